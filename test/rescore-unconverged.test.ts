import { sql, type RawBuilder } from 'kysely';
import { Role } from '../src/domain/auth/roles.js';
import { loadDemoDataIfEmpty } from '../src/dev/demo-loader.js';
import { conditionalExpectedSpend, type GammaGammaParams } from '../src/domain/scoring/gamma-gamma.js';
import { ScoreKind } from '../src/domain/scoring/score-kind.js';
import { defaultScoringPolicy } from '../src/domain/scoring/scoring-policy.js';
import { CustomerRescoreService } from '../src/services/scores/customer-rescore.service.js';
import { ScoringRunService } from '../src/services/scores/scoring-run.service.js';
import { Order } from '../src/entities/index.js';
import { CustomerScoresDocument, OperationsStatusDocument, ScoreModelsDocument, ScoringRunModelsDocument } from './__generated__/graphql.js';
import { eventually } from './support/eventually.js';
import { completedRescore } from './support/rescores.js';
import { spawnWorker, startTestStack, workerEnvOf, type TestStack } from './support/stack.js';

/**
 * A rescore whose fit of a model does not converge (QA 80 F1: one outlier order took the spend model off to p → ∞, and
 * every customer's CLV with it, silently), on the real stack through GraphQL: without an earlier converged fit the scores
 * say their values are uncertain; with one, the run scores with it and says which, and `scoreModels` shows both fits; the
 * operations status and the API's metrics, what operators alert on, say so too. The demo base, where hardly anyone seems
 * to drop out, also shows a fit that says it converged while BG/NBD's a and b ran off (only their ratio is an estimate):
 * `runOff` names them wherever the fit is shown, and the worker warns of it.
 */
let stack: TestStack;
let worker: Awaited<ReturnType<typeof spawnWorker>> | null = null;
let metricsUrl: string;

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
  // Twenty orders a customer, as `npm start` loads: enough spread in each customer's spend for the spend model to converge.
  await loadDemoDataIfEmpty(stack.orm.em.fork(), 150, { asOf: new Date('2026-11-01T00:00:00Z'), ordersPerCustomer: 20 });
  worker = await spawnWorker(workerEnvOf(stack));
  metricsUrl = (await stack.api.listen()).url.replace(/\/graphql$/, '/metrics');
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await stack?.stop();
});

const query = async <T>(text: RawBuilder<T>) => (await text.execute(stack.orm.em.fork().getKysely())).rows;


const models = async () => {
  const { data, errors } = await stack.gql(ScoreModelsDocument, {}, Role.Viewer);
  expect(errors).toBeUndefined();
  return Object.fromEntries(data!.scoreModels.map((m) => [m.kind, m]));
};

/** The latest completed rescore's fits as an operator sees them: in operationsStatus, and in the API's metrics (their lines). */
const operationsView = async () => {
  const { data, errors } = await stack.gql(OperationsStatusDocument, {}, Role.Operator);
  expect(errors).toBeUndefined();
  // Past the one-second reuse of a scrape's reading.
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const scraped = await (await fetch(metricsUrl)).text();
  return { fits: data!.operationsStatus!.latestRescoreFits, metrics: scraped.split('\n').filter((line) => line.startsWith('retention_rescore_fit_')).sort() };
};

/** The scores a run wrote of a customer, by kind. */
const scoresOf = async (runId: string, customerId: string) =>
  (await query(sql<{ scores: Record<string, { value: number | null; reasons: string[] }> }>`select scores from score_snapshot where run_id = ${runId} and customer_id = ${customerId}`))[0]
    .scores;

it("scores with the earlier converged fit when a rescore's fit does not converge, says the values are uncertain without one, and logs both", async () => {
  // A repeat buyer's order of the largest amount an import takes (an amount in cents typed into the major-units column).
  const [buyer, other] = await query(sql<{ customer_id: string }>`
    select customer_id from customer_order where ordered_at < '2026-10-01' group by customer_id having count(distinct ordered_at::date) >= 3 order by customer_id limit 2`);
  const em = stack.orm.em.fork();
  em.create(Order, { customer: buyer.customer_id, orderedAt: new Date('2026-10-15T12:00:00Z'), amountMinor: 999_999_999_999_999 });
  await em.flush();

  // Before the first rescore, no fit to speak of.
  expect(await operationsView()).toEqual({ fits: [], metrics: [] });

  // 1. No earlier fit: the spend model's fit does not converge, and nothing stands in for it.
  const unconverged = await completedRescore(stack, '2026-11-01');
  // What an operator alerts on says so: the spend model did not converge, and the run used no earlier fit (uncertain values).
  const uncertainView = {
    fits: [
      { kind: 'bgnbd', modelVersion: 'bgnbd/1', converged: true, scoredWithAsOf: null, runOff: ['a', 'b'] },
      { kind: 'gamma-gamma', modelVersion: 'gamma-gamma/1', converged: false, scoredWithAsOf: null, runOff: ['p'] },
    ],
    metrics: [
      'retention_rescore_fit_converged{model="bgnbd"} 1',
      'retention_rescore_fit_converged{model="gamma-gamma"} 0',
      'retention_rescore_fit_scored_with_earlier{model="bgnbd"} 0',
      'retention_rescore_fit_scored_with_earlier{model="gamma-gamma"} 0',
    ],
  };
  expect(await operationsView()).toEqual(uncertainView);
  const first = await models();
  expect(first['gamma-gamma']).toMatchObject({ runId: unconverged.id, asOf: '2026-11-01', converged: false, scoredWith: null });
  expect(first.bgnbd).toMatchObject({ runId: unconverged.id, converged: true, scoredWith: null });
  // Converged, as the optimiser says, yet a and b ran off together (beyond e^10): the fit names them, and the spend model's p,
  // which went off to infinity as its fit failed.
  expect(first.bgnbd.runOff).toEqual(['a', 'b']);
  const { a, b } = first.bgnbd.params as { a: number; b: number };
  expect(Math.min(a, b)).toBeGreaterThan(Math.exp(10));
  expect(first['gamma-gamma'].runOff).toEqual(['p']);
  const uncertain =
    'spend model (Gamma-Gamma): the fit of the rescore as of 2026-11-01 did not converge, and no earlier fit did: scored with the parameters where it stopped, so the value is uncertain';
  const current = (await stack.gql(CustomerScoresDocument, { id: other.customer_id, historyKind: 'Clv' }, Role.Viewer)).data!.customer!.scores;
  expect(current.find((s) => s.kind === 'Clv')!.reasons.at(-1)).toBe(uncertain);
  // (Churn risk's purchase model converged: nothing said.)
  expect(current.find((s) => s.kind === 'ChurnRisk')!.reasons.join(' ')).not.toMatch(/converge/);
  // Where the optimiser stopped (p → ∞) the spend model trusts each customer's own average entirely.
  const ownAverage = /^expected spend per purchase: ([\d.,]+) \(own average ([\d.,]+) over/;
  const amount = (text: string) => Number(text.replace(/,/g, ''));
  const spendThen = (await scoresOf(unconverged.id, other.customer_id))[ScoreKind.Clv].reasons.map((r) => ownAverage.exec(r)).find(Boolean)!;
  expect(amount(spendThen[1])).toBeCloseTo(amount(spendThen[2]), 1);

  // 2. A rescore of a day before the outlier order: its fit converges.
  const converged = await completedRescore(stack, '2026-10-01');
  expect((await query(sql<{ converged: boolean }>`select converged from score_model where run_id = ${converged.id} and kind = 'gamma-gamma'`))[0].converged).toBe(true);
  // Its spend model is a fit like any other: nothing ran off (the run's own models, as scoreModels shows the newest day's).
  const convergedModels = (await stack.gql(ScoringRunModelsDocument, { id: converged.id }, Role.Viewer)).data!.scoringRun!.models;
  expect(convergedModels.map((m) => [m.kind, m.converged, m.runOff])).toEqual([
    ['bgnbd', true, ['a', 'b']],
    ['gamma-gamma', true, []],
  ]);
  // A backfill of an earlier day: the status still tells of the rescore of the newest day, as lastRescoreCompletedAt does.
  expect(await operationsView()).toEqual(uncertainView);

  // 3. The same day again: its own fit still does not converge, and it scores with the converged one of 2026-10-01.
  const fellBack = await completedRescore(stack, '2026-11-01');
  const third = await models();
  expect(third['gamma-gamma']).toMatchObject({
    runId: fellBack.id,
    asOf: '2026-11-01',
    converged: false,
    scoredWith: { kind: 'gamma-gamma', modelVersion: 'gamma-gamma/1', runId: converged.id, asOf: '2026-10-01', converged: true },
  });
  expect((third['gamma-gamma'].params as { p: number }).p).toBeGreaterThan(1e4);
  expect(third.bgnbd.scoredWith).toBeNull();
  expect(third['gamma-gamma'].scoredWith!.runOff).toEqual([]);
  expect(await operationsView()).toEqual({
    fits: [
      { kind: 'bgnbd', modelVersion: 'bgnbd/1', converged: true, scoredWithAsOf: null, runOff: ['a', 'b'] },
      { kind: 'gamma-gamma', modelVersion: 'gamma-gamma/1', converged: false, scoredWithAsOf: '2026-10-01', runOff: ['p'] },
    ],
    metrics: [
      'retention_rescore_fit_converged{model="bgnbd"} 1',
      'retention_rescore_fit_converged{model="gamma-gamma"} 0',
      'retention_rescore_fit_scored_with_earlier{model="bgnbd"} 0',
      'retention_rescore_fit_scored_with_earlier{model="gamma-gamma"} 1',
    ],
  });
  const scores = await scoresOf(fellBack.id, other.customer_id);
  expect(scores[ScoreKind.Clv].reasons.at(-1)).toBe(
    'spend model (Gamma-Gamma): the fit of the rescore as of 2026-11-01 did not converge; scored with the converged fit of the rescore as of 2026-10-01',
  );
  // Scored with that fit's parameters: the customer's expected spend is what they give (drawn towards the base's mean again).
  const spendNow = scores[ScoreKind.Clv].reasons.map((r) => ownAverage.exec(r)).find(Boolean)!;
  expect(spendNow[2]).toBe(spendThen[2]);
  const repeats = Number(/over (\d+) repeat purchases/.exec(spendNow.input)![1]);
  const fallback = third['gamma-gamma'].scoredWith!.params as unknown as GammaGammaParams;
  expect(amount(spendNow[1])).toBeCloseTo(conditionalExpectedSpend(fallback, { x: repeats, zbar: amount(spendNow[2]) }), 1);
  expect(amount(spendNow[1])).not.toBeCloseTo(amount(spendNow[2]), 2);
  expect(scores[ScoreKind.Clv].value).not.toBe((await scoresOf(unconverged.id, other.customer_id))[ScoreKind.Clv].value);
  // The current scores through the API are the new run's.
  const now = (await stack.gql(CustomerScoresDocument, { id: other.customer_id, historyKind: 'Clv' }, Role.Viewer)).data!.customer!.scores;
  expect(now.find((s) => s.kind === 'Clv')!.reasons.at(-1)).toMatch(/scored with the converged fit of the rescore as of 2026-10-01$/);

  // A rescore after an event scores with the models the latest run scored with, and says so too.
  const em2 = stack.orm.em.fork();
  const [clv] = await new CustomerRescoreService(em2, defaultScoringPolicy, new ScoringRunService(em2, defaultScoringPolicy)).rescoreCustomer(other.customer_id, new Set([ScoreKind.Clv]));
  expect(clv.reasons.at(-1)).toBe('spend model (Gamma-Gamma): the fit of the rescore as of 2026-11-01 did not converge; scored with the converged fit of the rescore as of 2026-10-01');

  // The worker said so each time (its output read as it arrives: the second line can come after the rescore's end).
  const warnings = await eventually(
    async () =>
      worker!
        .output()
        .split('\n')
        .filter((l) => l.includes('did not converge'))
        .map((l) => JSON.parse(l) as { level: number; msg: string; runId: string }),
    (lines) => lines.length >= 2,
    10_000,
  );
  expect(warnings.map(({ level, msg, runId }) => ({ level, msg, runId }))).toEqual([
    {
      level: 40,
      msg: "the rescore's gamma-gamma fit did not converge and no earlier fit did: scoring with the parameters where it stopped (uncertain values; the scores' reasons say so)",
      runId: unconverged.id,
    },
    { level: 40, msg: "the rescore's gamma-gamma fit did not converge: scoring with the converged fit of the rescore as of 2026-10-01", runId: fellBack.id },
  ]);
  // And of every fit that ran off, converged or not (in the order the runs fitted).
  const ranOff = (await eventually(
    async () => worker!.output().split('\n').filter((l) => l.includes('ran off towards 0 or infinity')).map((l) => JSON.parse(l) as { level: number; msg: string; runId: string; runOff: string[] }),
    (lines) => lines.length >= 5,
    10_000,
  )).map(({ level, msg, runId, runOff }) => ({ level, msg, runId, runOff }));
  const bgnbdRanOff = "the rescore's bgnbd fit: a, b ran off towards 0 or infinity: the data pins down at most a ratio of them, not each (too few customers, or hardly anyone seems to drop out)";
  const spendRanOff = "the rescore's gamma-gamma fit: p ran off towards 0 or infinity: the data pins down at most a ratio of them, not each (too few customers, or hardly anyone seems to drop out)";
  expect(ranOff).toEqual([
    { level: 40, msg: bgnbdRanOff, runId: unconverged.id, runOff: ['a', 'b'] },
    { level: 40, msg: spendRanOff, runId: unconverged.id, runOff: ['p'] },
    { level: 40, msg: bgnbdRanOff, runId: converged.id, runOff: ['a', 'b'] },
    { level: 40, msg: bgnbdRanOff, runId: fellBack.id, runOff: ['a', 'b'] },
    { level: 40, msg: spendRanOff, runId: fellBack.id, runOff: ['p'] },
  ]);
}, 300_000);
