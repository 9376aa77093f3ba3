import { defaultPolicies } from '../src/domain/policies/index.js';
import { sql, type RawBuilder } from 'kysely';
import pg from 'pg';
import { optionalTsToMs } from '@temporalio/common/lib/time.js';
import { Role } from '../src/domain/auth/roles.js';
import { monthPeriods } from '../src/domain/scoring/concentration.js';
import { baseMarginShareOf } from '../src/domain/scoring/customer-scores.js';
import { paymentLoyalty } from '../src/domain/scoring/payment-loyalty.js';
import { ScoreKind } from '../src/domain/scoring/score-kind.js';
import { defaultRescorePolicy, defaultScoringPolicy, type RescorePolicy } from '../src/domain/scoring/scoring-policy.js';
import { CustomerRescoreService, type FollowUpFailureReporter } from '../src/services/scores/customer-rescore.service.js';
import { pageRanges } from '../src/domain/scoring/score-pages.js';
import { ScoringRunService } from '../src/services/scores/scoring-run.service.js';
import { ImportService, type ImportOptions } from '../src/services/import/import.service.js';
import { Complaint, ComplaintSeverity, CostEntry, CostKind, Customer, Order, ServiceTier, ServiceTierChange, TierChangeSource } from '../src/entities/index.js';
import { loadDemoDataIfEmpty } from '../src/dev/demo-loader.js';
import { putSchedulesInPlace } from '../src/app/worker-process.js';
import { createLogger } from '../src/logger.js';
import { dataRetentionScheduleId, playbookTriggersScheduleId, rescoreScheduleId, runReconciliationScheduleId, scoreHistoryScheduleId } from '../src/temporal/schedules.js';
import type { rescoreCustomerBase } from '../workflows/index.js';
import { rescoreProgressQuery } from '../workflows/rescore.workflow.js';
import {
  CancelRescoreDocument,
  ConcentrationDocument,
  CustomerScoresDocument,
  CustomersDocument,
  RecordComplaintDocument,
  ScoreModelsDocument,
  ScoringRunModelsDocument,
  ScoringRunDocument,
  ScoringRunsDocument,
  StartRescoreDocument,
} from './__generated__/graphql.js';
import { recordHistory } from './support/histories.js';
import { resetInEngine, temporalOperator } from './support/temporal-operator.js';
import { createServices } from '../src/services/index.js';
import { TemporalCampaignEngine } from '../src/temporal/temporal-campaign-engine.js';
import { TemporalPlaybookEngine } from '../src/temporal/temporal-playbook-engine.js';
import { TemporalScoringEngine } from '../src/temporal/temporal-scoring-engine.js';
import { eventually as eventuallyWithin, passesUntilHandled } from './support/eventually.js';
import { completedRescore } from './support/rescores.js';
import { spawnWorker, startTestStack, workerEnvOf, type TestStack } from './support/stack.js';

const eventually = <T>(fn: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 60_000) => eventuallyWithin(fn, ok, timeoutMs);

/**
 * The rescore workflow on the real Temporal dev server and worker processes, over the
 * demo data set in a real PostgreSQL: through GraphQL, after a worker crash, and on schedule.
 */
let stack: TestStack;
const CUSTOMERS = 300;
const AS_OF = '2026-11-01';

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
  await loadDemoDataIfEmpty(stack.orm.em.fork(), CUSTOMERS);
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await stack?.stop();
});

let worker: Awaited<ReturnType<typeof spawnWorker>> | null = null;
const workerEnv = () => workerEnvOf(stack);


const query = async <T>(text: RawBuilder<T>) => (await text.execute(stack.orm.em.fork().getKysely())).rows;
/** A single customer's rescore, as after an event. */
const rescorer = (onFailed?: FollowUpFailureReporter) => {
  const em = stack.orm.em.fork();
  return new CustomerRescoreService(em, defaultScoringPolicy, new ScoringRunService(em, defaultScoringPolicy), onFailed);
};
const snapshotStats = async (runId: string) =>
  (
    // snapshots: the scores written (one per customer and kind); rows: the snapshot rows (one per customer).
    await query(sql<{ snapshots: number; distinct_keys: number; customers: number; rows: number }>`
      select count(*)::int as snapshots, count(distinct (s.customer_id, k.kind))::int as distinct_keys,
             count(distinct s.customer_id)::int as customers, count(distinct s.id)::int as rows
        from score_snapshot s cross join jsonb_object_keys(s.scores) as k(kind) where s.run_id = ${runId}`)
  )[0];

/** Each customer's margin and margined revenue (of their orders that carry a margin) up to the runs' day. */
const customerMargins = () =>
  query(sql<{ ref: string | null; margin: string; revenue: string }>`
    select c.external_ref as ref, sum(margin_minor)::text as margin, sum(amount_minor)::text as revenue from customer_order o join customer c on c.id = o.customer_id
     where margin_minor is not null and o.ordered_at < (${AS_OF}::date + 1)::timestamp at time zone 'UTC' and c.acquired_at <= ${AS_OF}::date group by c.id`);
const shareOf = (margins: { margin: string; revenue: string }[]) => baseMarginShareOf(margins.map((m) => ({ marginMinor: Number(m.margin), marginedRevenueMinor: Number(m.revenue) })));

/** A run of pages of three customers, once it has scored two of them (well before its last). */
/** A run of the base's scores in one page, completed; the scores it wrote of a customer, by kind. */
async function scoredInOnePage(runId: string) {
  const runs = () => new ScoringRunService(stack.orm.em.fork(), defaultScoringPolicy);
  await runs().begin({ runId, trigger: 'test', asOf: AS_OF });
  await runs().prepare(runId, 1000);
  const { models } = await runs().fitModels(runId);
  await runs().scorePage({ runId, after: null, until: null, models });
  await runs().complete(runId);
  return async (customerId: string) =>
    (await query(sql<{ scores: Record<string, { value: number | null; band: string | null; reasons: string[] }> }>`select scores from score_snapshot where run_id = ${runId} and customer_id = ${customerId}`))[0].scores;
}

async function startSmallRun(runId: string) {
  const handle = await stack.temporal.client.workflow.start<typeof rescoreCustomerBase>('rescoreCustomerBase', {
    workflowId: runId,
    taskQueue: stack.config.temporal.taskQueue,
    args: [{ trigger: 'test', asOf: AS_OF, policy: { ...defaultRescorePolicy, pageSize: 3 } }],
  });
  await eventually(
    () => handle.query(rescoreProgressQuery).catch(() => null),
    (p) => p !== null && p.phase === 'scoring' && p.pages >= 2,
  );
  return handle;
}


/** Every customer's current scores (the snapshot each comes from), and every band move recorded. */
const currentScores = () =>
  query(sql<{ customer_id: string; kind: string; band: string | null; snapshot_id: string }>`select customer_id, kind, band, snapshot_id from current_score order by customer_id, kind`);
const bandMoves = () =>
  query(sql<{ customer_id: string; kind: string; changed_at: Date; previous: string | null; band: string | null }>`
    select customer_id, kind, changed_at, previous, band from score_band_change order by customer_id, kind, changed_at`);

/** One pass of the run reconciliation, as the worker's schedule runs it (called directly, so the test knows when it ran). */
function reconcile(): Promise<string[]> {
  const { client } = stack.temporal;
  const { taskQueue } = stack.config.temporal;
  const engines = { playbooks: new TemporalPlaybookEngine(client, taskQueue), scoring: new TemporalScoringEngine(client, taskQueue), campaigns: new TemporalCampaignEngine(client, taskQueue) };
  return createServices(stack.orm.em.fork(), engines, defaultPolicies).runReconciliation.recordRunsEndedInEngine();
}
/** A scoring run's audit entries, in the order written. */
const auditOf = (runId: string) =>
  query(sql<{ actor: string; action: string; after: Record<string, unknown> }>`select actor, action, after from audit_entry where entity_type = 'scoring_run' and entity_id = ${runId} and action <> 'scoring-run.start' order by at, id`);

/** A run's rows in the work tables and the page ledger. */
const workRowsLeft = async (runId: string) =>
  (
    await query(sql<{ n: number }>`select ((select count(*) from scoring_page where run_id = ${runId}) + (select count(*) from scoring_work where run_id = ${runId})
                                          + (select count(*) from scoring_invoice_work where run_id = ${runId}))::int as n`)
  )[0].n;

describe('rescoring the whole base', () => {
  beforeAll(async () => {
    worker = await spawnWorker(workerEnv());
  }, 60_000);

  it('is started by an admin only, and refuses a day that is not a past date', async () => {
    for (const role of [Role.Viewer, Role.Marketer, Role.Operator]) {
      const denied = await stack.gql(StartRescoreDocument, { asOf: AS_OF }, role);
      expect(denied.errors![0].extensions!.code).toBe('FORBIDDEN');
    }
    expect((await stack.gql(StartRescoreDocument, { asOf: AS_OF }, null)).errors![0].extensions!.code).toBe('UNAUTHENTICATED');
    // Not a day at all: refused by the LocalDate type; a day to come: by the scoring service.
    for (const asOf of ['2026-13-01', 'yesterday']) {
      expect((await stack.gql(StartRescoreDocument, { asOf }, Role.Admin)).errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    }
    const future = await stack.gql(StartRescoreDocument, { asOf: '2999-01-01' }, Role.Admin);
    expect(future.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'SCORING_INVALID_INPUT', field: 'asOf' });
    const ancient = await stack.gql(StartRescoreDocument, { asOf: '0001-01-01' }, Role.Admin);
    expect(ancient.errors![0]).toMatchObject({ message: 'asOf must not be before 1900-01-01', extensions: { code: 'VALIDATION', reason: 'SCORING_INVALID_INPUT', field: 'asOf' } });
    expect((await stack.gql(ScoringRunsDocument, { first: 10 }, Role.Viewer)).data!.scoringRuns.totalCount).toBe(0);
  });

  it('writes one snapshot per customer holding its scores with reasons, fits the models, and reports progress', async () => {
    const started = await stack.gql(StartRescoreDocument, { asOf: AS_OF }, Role.Admin);
    expect(started.errors).toBeUndefined();
    const runId = started.data!.startRescore.id;
    expect(runId).toMatch(/^rescore\//);
    const audited = await query(sql<{ actor: string; action: string; after: unknown }>`select actor, action, after from audit_entry where entity_id = ${runId}`);
    expect(audited).toEqual([{ actor: expect.stringMatching(/^admin:/), action: 'scoring-run.start', after: { asOf: AS_OF } }]);

    const done = await eventually(
      () => stack.gql(ScoringRunDocument, { id: runId }, Role.Viewer),
      (r) => r.data?.scoringRun?.phase === 'Completed',
    );
    const run = done.data!.scoringRun!;
    expect(run).toMatchObject({ asOf: AS_OF, trigger: expect.stringMatching(/^admin:/), population: CUSTOMERS, customersScored: CUSTOMERS });
    expect(run.buyers).toBeGreaterThan(CUSTOMERS / 2);
    const stats = await snapshotStats(runId);
    expect(stats.snapshots).toBe(run.snapshots);
    expect(stats.distinct_keys).toBe(stats.snapshots);
    expect(stats.customers).toBe(CUSTOMERS);
    expect(stats.rows).toBe(CUSTOMERS);

    // Payment loyalty from the invoices the run gathered in bulk equals the model on each customer's invoices read one by one.
    const sample = await query(sql<{ id: string; acquired_at: string; score: { value: number | null; band: string; reasons: string[] } }>`
      select c.id, c.acquired_at::text as acquired_at, s.scores -> ${ScoreKind.PaymentLoyalty} as score
        from score_snapshot s join customer c on c.id = s.customer_id where s.run_id = ${runId} order by c.id limit 40`);
    let withInvoices = 0;
    for (const customer of sample) {
      const invoices = await query(sql<{ dueAt: string; paidAt: string | null }>`
        select due_at::text as "dueAt", paid_at::text as "paidAt" from invoice where customer_id = ${customer.id} and issued_at <= ${AS_OF}::date`);
      if (invoices.length > 0) withInvoices++;
      const expected = paymentLoyalty({ customerSince: customer.acquired_at, invoices, asOf: AS_OF }, defaultScoringPolicy.paymentLoyalty);
      expect({ id: customer.id, ...customer.score }).toMatchObject({ id: customer.id, value: expected.value, band: expected.band, reasons: expected.reasons });
    }
    expect(withInvoices).toBeGreaterThan(20);

    // Every buyer has all eight scores; every customer at least the ones that need no purchase.
    const kinds = await query(sql<{ kind: string; n: number }>`
      select k.kind, count(*)::int as n from score_snapshot s cross join jsonb_object_keys(s.scores) as k(kind) where s.run_id = ${runId} group by k.kind order by k.kind`);
    expect(Object.fromEntries(kinds.map((k) => [k.kind, k.n]))).toEqual({
      [ScoreKind.BehaviourChange]: CUSTOMERS,
      [ScoreKind.ChurnRisk]: run.buyers,
      [ScoreKind.Clv]: run.buyers,
      [ScoreKind.PaymentLoyalty]: CUSTOMERS,
      [ScoreKind.PersistentIssue]: CUSTOMERS,
      [ScoreKind.Profitability]: CUSTOMERS,
      [ScoreKind.ReferralValue]: CUSTOMERS,
      [ScoreKind.Rfm]: CUSTOMERS,
    });

    const models = (await stack.gql(ScoreModelsDocument, {}, Role.Viewer)).data!.scoreModels;
    expect(models.map((m) => m.kind).sort()).toEqual(['bgnbd', 'gamma-gamma']);
    const bgnbd = models.find((m) => m.kind === 'bgnbd')!;
    // (The synthetic demo base has almost no drop-out, so a and b run off towards the NBD limit; the CDNOW fit converges.)
    expect(bgnbd).toMatchObject({ runId, customers: run.buyers, converged: expect.any(Boolean) });
    for (const name of ['r', 'alpha', 'a', 'b']) expect((bgnbd.params as Record<string, number>)[name]).toBeGreaterThan(0);
    expect(bgnbd.logLikelihood).toBeLessThan(0);

    // The API returns the run's scores with their reasons; a persistent-issue persona shows its topic.
    const [persistent] = await query(sql<{ customer_id: string }>`
      select customer_id from score_snapshot where run_id = ${runId} and scores -> ${ScoreKind.PersistentIssue} ->> 'band' = 'persistent' limit 1`);
    expect(persistent).toBeDefined();
    const customer = (await stack.gql(CustomerScoresDocument, { id: persistent.customer_id, historyKind: 'Rfm' }, Role.Viewer)).data!.customer!;
    const issue = customer.scores.find((s) => s.kind === 'PersistentIssue')!;
    expect(issue.band).toBe('persistent');
    expect(issue.reasons.join(' ')).toMatch(/complained|times|reopened/);
    const churn = customer.scores.find((s) => s.kind === 'ChurnRisk');
    if (churn) expect(churn.value).toBeGreaterThanOrEqual(0);
    expect(customer.scoreHistory[0]).toMatchObject({ kind: 'Rfm' });
    // A fit whose worker died is fitted again on another after its own short timeout, not after the gather's 30 minutes.
    const history = await stack.temporal.client.workflow.getHandle(runId).fetchHistory();
    const fit = history.events!.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'fitScoreModels')!.activityTaskScheduledEventAttributes!;
    expect(Number(fit.startToCloseTimeout!.seconds)).toBe(defaultRescorePolicy.fitTimeoutSeconds);
    expect(defaultRescorePolicy.fitTimeoutSeconds).toBeLessThan(defaultRescorePolicy.gatherTimeoutSeconds);
    await recordHistory(runId, 'rescore-small-base');
  }, 120_000);

  it('finishes a run whose worker is killed mid-way, without duplicates, across continue-as-new', async () => {
    const policy: RescorePolicy = { ...defaultRescorePolicy, pageSize: 10, pagesPerExecution: 4, pageTimeoutSeconds: 3 };
    const runId = 'rescore/crash-test';
    const handle = await stack.temporal.client.workflow.start<typeof rescoreCustomerBase>('rescoreCustomerBase', {
      workflowId: runId,
      taskQueue: stack.config.temporal.taskQueue,
      args: [{ trigger: 'test', asOf: AS_OF, policy }],
    });
    for (let crash = 0; crash < 2; crash++) {
      const before = await eventually(
        () => handle.query(rescoreProgressQuery).catch(() => null),
        (p) => p !== null && p.phase === 'scoring' && p.pages >= 3 + crash * 8,
      );
      worker!.process.kill('SIGKILL');
      await new Promise((r) => worker!.process.once('exit', r));
      worker = await spawnWorker(workerEnv());
      expect(before!.customersScored).toBeLessThan(CUSTOMERS);
    }
    const result = await handle.result();
    expect(result).toMatchObject({ phase: 'completed', customersScored: CUSTOMERS, pages: CUSTOMERS / 10, pagesTotal: CUSTOMERS / 10 });
    const stats = await snapshotStats(runId);
    expect(stats.distinct_keys).toBe(stats.snapshots);
    expect(stats.customers).toBe(CUSTOMERS);
    expect(stats.rows).toBe(CUSTOMERS);
    // More pages than one execution takes: the run continued as new at least once.
    expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId);
    const [work] = await query(sql<{ n: number }>`select count(*)::int as n from scoring_work where run_id = ${runId}`);
    expect(work.n).toBe(0);
  }, 180_000);

  /**
   * A step waits on a lock this test holds on `table` (its statement matching `waiting`), the worker dies while it
   * waits, a new one starts, the lock goes: the run completes, and how long it took from there.
   */
  async function rescoreAfterWorkerDiesWaiting(runId: string, policy: RescorePolicy, table: string, waiting: string): Promise<number> {
    const lock = new pg.Client({ connectionString: stack.config.databaseUrl });
    await lock.connect();
    await lock.query(`begin; lock table ${table} in access exclusive mode`);
    const handle = await stack.temporal.client.workflow.start<typeof rescoreCustomerBase>('rescoreCustomerBase', {
      workflowId: runId,
      taskQueue: stack.config.temporal.taskQueue,
      args: [{ trigger: 'test', asOf: AS_OF, policy }],
    });
    await eventually(
      () => query(sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like ${`%${waiting}%`}`),
      (r) => r[0].n > 0,
    );
    worker!.process.kill('SIGKILL');
    await new Promise((r) => worker!.process.once('exit', r));
    worker = await spawnWorker(workerEnv());
    await lock.query('commit');
    await lock.end();
    const started = Date.now();
    expect(await handle.result()).toMatchObject({ phase: 'completed', customersScored: CUSTOMERS });
    return Date.now() - started;
  }

  it('gathers again on a new worker within seconds when its worker dies mid-statement, not after the gather timeout', async () => {
    const policy: RescorePolicy = { ...defaultRescorePolicy, gatherTimeoutSeconds: 600, gatherHeartbeatSeconds: 2 };
    expect(await rescoreAfterWorkerDiesWaiting('rescore/gather-crash-test', policy, 'scoring_work', 'scoring_work')).toBeLessThan(60_000);
    expect((await snapshotStats('rescore/gather-crash-test')).customers).toBe(CUSTOMERS);
  }, 120_000);

  it('scores a page again on a new worker within seconds when its worker dies mid-page, not after the page timeout', async () => {
    const policy: RescorePolicy = { ...defaultRescorePolicy, pageSize: 50, pageTimeoutSeconds: 600, pageHeartbeatSeconds: 2 };
    expect(await rescoreAfterWorkerDiesWaiting('rescore/page-crash-test', policy, 'score_snapshot', 'insert into score_snapshot')).toBeLessThan(60_000);
    expect(await snapshotStats('rescore/page-crash-test')).toMatchObject({ customers: CUSTOMERS, rows: CUSTOMERS });
  }, 120_000);

  it('ends a run an admin cancels as cancelled: the pages it scored stand, its work rows go', async () => {
    const runId = 'rescore/cancel-test';
    const handle = await startSmallRun(runId);
    for (const role of [Role.Viewer, Role.Marketer, Role.Operator]) {
      expect((await stack.gql(CancelRescoreDocument, { id: runId }, role)).errors![0].extensions!.code).toBe('FORBIDDEN');
    }
    expect((await stack.gql(CancelRescoreDocument, { id: 'rescore/no-such-run' }, Role.Admin)).errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'SCORING_RUN_NOT_FOUND' });
    // An ID longer than Temporal's limit names no run: refused, not echoed back.
    for (const answer of [await stack.gql(CancelRescoreDocument, { id: 'x'.repeat(1001) }, Role.Admin), await stack.gql(ScoringRunDocument, { id: 'x'.repeat(1001) }, Role.Viewer)]) {
      expect(answer.errors![0]).toMatchObject({ message: 'id must be at most 1000 characters', extensions: { code: 'VALIDATION', reason: 'SCORING_INVALID_INPUT', field: 'id' } });
    }
    // Nor does an empty one (it reached Temporal, an INTERNAL_SERVER_ERROR: QA 48 F5).
    for (const answer of [await stack.gql(CancelRescoreDocument, { id: '' }, Role.Admin), await stack.gql(ScoringRunDocument, { id: ' ' }, Role.Viewer)]) {
      expect(answer.errors![0]).toMatchObject({ message: 'id must not be empty', extensions: { code: 'VALIDATION', reason: 'SCORING_INVALID_INPUT', field: 'id' } });
    }
    const cancelling = await stack.gql(CancelRescoreDocument, { id: runId }, Role.Admin);
    // Its pages in flight are written first: still scoring, or already cancelled.
    expect(cancelling.data!.cancelRescore.id).toBe(runId);
    expect(['Scoring', 'Cancelled']).toContain(cancelling.data!.cancelRescore.phase);
    await expect(handle.result()).rejects.toMatchObject({ cause: { name: 'CancelledFailure' } });
    expect((await stack.gql(CancelRescoreDocument, { id: runId }, Role.Admin)).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'SCORING_RUN_ALREADY_FINISHED' });
    const [audit] = await query(sql<{ actor: string; action: string }>`select actor, action from audit_entry where entity_id = ${runId}`);
    expect(audit).toMatchObject({ action: 'scoring-run.cancel' });

    const [run] = await query(sql<{ status: string; scored_customers: number; snapshots: number; finished_at: string | null }>`
      select status, scored_customers, snapshots, finished_at from scoring_run where id = ${runId}`);
    const stats = await snapshotStats(runId);
    expect(run).toMatchObject({ status: 'cancelled', scored_customers: stats.customers, snapshots: stats.snapshots });
    expect(run.finished_at).not.toBeNull();
    // Stopped part-way: whole pages written, each customer once.
    expect(stats.customers).toBeGreaterThanOrEqual(6);
    expect(stats.customers).toBeLessThan(CUSTOMERS);
    expect(stats.customers % 3).toBe(0);
    expect(stats.rows).toBe(stats.customers);
    expect(await workRowsLeft(runId)).toBe(0);
    const view = (await stack.gql(ScoringRunDocument, { id: runId }, Role.Viewer)).data!.scoringRun!;
    expect(view).toMatchObject({ phase: 'Cancelled', customersScored: stats.customers, snapshots: stats.snapshots });
  }, 120_000);

  /*
   * Temporal tries no step of a run being cancelled again: a page whose attempt runs out of time after the cancel (stuck
   * behind a lock here; a worker slowed by load past its heartbeat in CI) fails for good. The cancel still ends the run:
   * before, the run failed ("activity timeout"), Failed in the Temporal UI, and its record was later ended as abandoned.
   */
  it('ends a run an admin cancels as cancelled also when a page in flight times out after the cancel', async () => {
    const runId = 'rescore/cancel-page-timed-out-test';
    const policy: RescorePolicy = { ...defaultRescorePolicy, pageSize: 3, pageTimeoutSeconds: 10 };
    const handle = await stack.temporal.client.workflow.start<typeof rescoreCustomerBase>('rescoreCustomerBase', {
      workflowId: runId,
      taskQueue: stack.config.temporal.taskQueue,
      args: [{ trigger: 'test', asOf: AS_OF, policy }],
    });
    await eventually(
      () => handle.query(rescoreProgressQuery).catch(() => null),
      (p) => p !== null && p.phase === 'scoring' && p.pages >= 2,
    );
    const lock = new pg.Client({ connectionString: stack.config.databaseUrl });
    await lock.connect();
    try {
      await lock.query('begin; lock table score_snapshot in exclusive mode');
      await eventually(
        () => query(sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%insert into score_snapshot%'`),
        (r) => r[0].n > 0,
      );
      expect((await stack.gql(CancelRescoreDocument, { id: runId }, Role.Admin)).errors).toBeUndefined();
      // The stuck page's attempt runs out of its 10 s after the cancel (the history says so), not retried.
      const timedOut = async () => (await handle.fetchHistory()).events!.filter((e) => e.activityTaskTimedOutEventAttributes).length;
      await eventually(timedOut, (n) => n > 0);
    } finally {
      await lock.query('commit');
      await lock.end();
    }
    await expect(handle.result()).rejects.toMatchObject({ cause: { name: 'CancelledFailure' } });
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    // The stuck page committed once the lock went: the run's end (which waits for a page being written) counts it.
    const stats = await snapshotStats(runId);
    const [run] = await query(sql<{ status: string; scored_customers: number }>`select status, scored_customers from scoring_run where id = ${runId}`);
    expect(run).toMatchObject({ status: 'cancelled', scored_customers: stats.customers });
    expect(stats.customers % 3).toBe(0);
    expect(await workRowsLeft(runId)).toBe(0);
    expect((await stack.gql(ScoringRunDocument, { id: runId }, Role.Viewer)).data!.scoringRun).toMatchObject({ phase: 'Cancelled', customersScored: stats.customers });
    await recordHistory(runId, 'rescore-cancelled-page-timed-out');
  }, 180_000);

  /*
   * A page reports three times per heartbeat timeout (heartbeating.ts), and Temporal hears each: it has two reports' worth
   * of slack before it gives up on the attempt. (The SDK sent them on only every 0.8 of the timeout: 24 s of a page's 30,
   * so a worker slowed 6 s by load lost the attempt, and after a cancel the run.)
   */
  it("has a page's reports reach Temporal as often as it makes them, a third of its heartbeat timeout apart", async () => {
    const runId = 'rescore/heartbeats-test';
    // Reports every 5 s; sent on every 12 s before.
    const policy: RescorePolicy = { ...defaultRescorePolicy, pageSize: 100, pageHeartbeatSeconds: 15 };
    const lock = new pg.Client({ connectionString: stack.config.databaseUrl });
    await lock.connect();
    await lock.query('begin; lock table score_snapshot in exclusive mode');
    const handle = await stack.temporal.client.workflow.start<typeof rescoreCustomerBase>('rescoreCustomerBase', {
      workflowId: runId,
      taskQueue: stack.config.temporal.taskQueue,
      args: [{ trigger: 'test', asOf: AS_OF, policy }],
    });
    // Each stuck page's heartbeat times as Temporal last heard them, until one page has been heard three times.
    const heard = new Map<string, number[]>();
    try {
      await eventually(
        async () => {
          for (const a of (await handle.describe()).raw.pendingActivities ?? []) {
            const at = optionalTsToMs(a.lastHeartbeatTime);
            const times = heard.get(a.activityId!) ?? [];
            if (at && !times.includes(at)) heard.set(a.activityId!, [...times, at]);
          }
          return [...heard.values()];
        },
        (pages) => pages.some((times) => times.length >= 3),
        90_000,
      );
    } finally {
      await lock.query('commit');
      await lock.end();
    }
    const gaps = [...heard.values()].flatMap((times) => times.slice(1).map((t, i) => t - times[i]));
    expect(gaps.length).toBeGreaterThanOrEqual(2);
    expect(gaps.filter((gap) => gap >= 9_000)).toEqual([]);
    expect(await handle.result()).toMatchObject({ phase: 'completed', customersScored: CUSTOMERS });
  }, 180_000);

  it('takes a cancel sent as soon as a rescore has started, and refuses a second rescore of a day while one is under way', async () => {
    const day = '2026-10-15';
    const runOf = (started: { errors?: unknown; data?: { startRescore: { id: string } } | null }) => {
      expect(started.errors).toBeUndefined();
      return started.data!.startRescore;
    };
    // The ID the start answered names the run at once: cancelled before it has begun to gather.
    const first = runOf(await stack.gql(StartRescoreDocument, { asOf: day }, Role.Admin));
    expect(first).toMatchObject({ phase: 'Starting', asOf: day });
    const cancelled = await stack.gql(CancelRescoreDocument, { id: first.id }, Role.Admin);
    expect(cancelled.errors).toBeUndefined();
    await expect(stack.temporal.client.workflow.getHandle(first.id).result()).rejects.toMatchObject({ cause: { name: 'CancelledFailure' } });
    expect((await stack.gql(ScoringRunDocument, { id: first.id }, Role.Viewer)).data!.scoringRun).toMatchObject({ phase: 'Cancelled', asOf: day });

    // Once it has ended, the day can be rescored again; admins (or one request's aliases) at the same moment start one rescore,
    // also more of them than the API's pool has connections (each waiting start held one, and the pool ran dry).
    // The orders held meanwhile keep the one that starts at its gathering, under way: on a small base, under load, it
    // could finish before the last of the twelve had looked, which would then rightly start the day again.
    const holder = stack.orm.em.fork();
    await holder.begin();
    await holder.execute('lock table customer_order in access exclusive mode');
    let second: { id: string };
    try {
      const starts = await Promise.all(Array.from({ length: 12 }, () => stack.gql(StartRescoreDocument, { asOf: day }, Role.Admin)));
      [second] = starts.filter((s) => s.errors === undefined).map(runOf);
      expect(starts.filter((s) => s.errors === undefined)).toHaveLength(1);
      for (const refused of starts.filter((s) => s.errors)) expect(refused.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'SCORING_RUN_IN_PROGRESS', id: second.id, asOf: day });
      expect((await stack.gql(CancelRescoreDocument, { id: second.id }, Role.Admin)).errors).toBeUndefined();
    } finally {
      await holder.commit();
    }
    await expect(stack.temporal.client.workflow.getHandle(second.id).result()).rejects.toThrow();
  }, 120_000);

  it('shows a run whose workflow was terminated as abandoned at once (recorded at that read, once), not as still scoring until the next run begins', async () => {
    const runId = 'rescore/terminate-test';
    const handle = await startSmallRun(runId);
    // The list shows it as scoring, as scoringRun(id) does, not as starting (QA 48 F3).
    const listed = async () => (await stack.gql(ScoringRunsDocument, { first: 50 }, Role.Viewer)).data!.scoringRuns.edges.find((e) => e.node.id === runId)!.node;
    expect(await listed()).toMatchObject({ phase: 'Scoring', customersScored: expect.any(Number) });
    expect((await listed()).customersScored).toBeGreaterThan(0);
    // Terminated, the workflow runs no code of its own; the read that finds it stopped ends the run as abandoned (the list's too).
    await handle.terminate('test: an operator terminates the run');
    expect(await listed()).toMatchObject({ phase: 'Abandoned' });
    const ended = (await stack.gql(ScoringRunDocument, { id: runId }, Role.Viewer)).data!.scoringRun!;
    const stats = await snapshotStats(runId);
    expect(ended).toMatchObject({ phase: 'Abandoned', customersScored: stats.customers, snapshots: stats.snapshots });
    expect(stats.customers).toBeGreaterThanOrEqual(6);
    expect(await workRowsLeft(runId)).toBe(0);
    const [record] = await query(sql<{ status: string; finished_at: Date }>`select status, finished_at from scoring_run where id = ${runId}`);
    expect(record.status).toBe('abandoned');
    // Read again, it is the same record: ended once.
    await new Promise((r) => setTimeout(r, 50));
    expect((await stack.gql(ScoringRunDocument, { id: runId }, Role.Viewer)).data!.scoringRun).toMatchObject({ phase: 'Abandoned', customersScored: stats.customers, snapshots: stats.snapshots });
    expect((await query(sql<{ finished_at: Date }>`select finished_at from scoring_run where id = ${runId}`))[0].finished_at).toEqual(record.finished_at);
    const next = (await stack.gql(StartRescoreDocument, { asOf: AS_OF }, Role.Admin)).data!.startRescore;
    // The run that found it carries on as usual.
    await stack.temporal.client.workflow.getHandle(next.id).result();
    expect((await stack.gql(ScoringRunDocument, { id: next.id }, Role.Viewer)).data!.scoringRun!.phase).toBe('Completed');
  }, 120_000);

  it('audits a rescore terminated and then reset in Temporal; the reset execution fails saying to start another, instead of completing having scored nobody (QA 81 F3)', async () => {
    const runId = 'rescore/terminate-reset-test';
    await startSmallRun(runId);
    await temporalOperator(stack, 'alice@ops.example.com').workflow.getHandle(runId).terminate('qa terminate rescore');
    // The reconciliation's pass ends it as abandoned, audited with who terminated it and why, as a playbook run's or campaign's end.
    expect(await reconcile()).toContain(runId);
    const ended = (await stack.gql(ScoringRunDocument, { id: runId }, Role.Viewer)).data!.scoringRun!;
    expect(ended).toMatchObject({ phase: 'Abandoned' });
    expect(await auditOf(runId)).toEqual([
      expect.objectContaining({
        actor: 'temporal:alice@ops.example.com',
        action: 'scoring-run.ended-in-engine',
        after: expect.objectContaining({ status: 'abandoned', endedInEngine: 'terminated', reason: 'qa terminate rescore', scoredCustomers: ended.customersScored }),
      }),
    ]);
    expect(await reconcile()).not.toContain(runId);

    // Reset to its first task, an operator's usual undo of a termination: its record has ended and its gathered work is gone,
    // so its first step refuses and the execution fails, saying to start another rescore; it does not gather again, nor "complete".
    const executionId = await resetInEngine(stack, runId, 'qa reset rescore', { finishEventId: 'first' });
    const failure = await stack.temporal.client.workflow
      .getHandle(runId)
      .result()
      .then(
        () => null,
        (error: unknown) => error as { cause?: { cause?: { type?: string; message?: string } } },
      );
    expect(failure?.cause?.cause).toMatchObject({ type: 'ScoringRunEnded', message: expect.stringMatching(/has already ended \(abandoned.*Start another rescore/) });
    expect((await stack.gql(ScoringRunDocument, { id: runId }, Role.Viewer)).data!.scoringRun).toMatchObject({ phase: 'Abandoned', customersScored: ended.customersScored });
    expect(await workRowsLeft(runId)).toBe(0);
    // The reset is audited once, saying it does not resume the run (in passes, as its schedule makes them: the reconciliation finds
    // the reset execution in Temporal's list of executions, which can show it a moment late on a loaded machine).
    await passesUntilHandled(reconcile, runId);
    expect(await reconcile()).not.toContain(runId);
    expect((await auditOf(runId)).map((a) => a.action)).toEqual(['scoring-run.ended-in-engine', 'scoring-run.reset-in-engine']);
    expect((await auditOf(runId))[1]).toMatchObject({ actor: expect.stringMatching(/^temporal:/), after: { executionId, reason: 'qa reset rescore', status: 'abandoned', resumes: false } });
  }, 120_000);

  it('carries on a rescore reset in Temporal before anything recorded its termination, audited as resuming it (QA 81 F3)', async () => {
    const runId = 'rescore/reset-resumes-test';
    const handle = await startSmallRun(runId);
    await handle.terminate('qa terminate rescore');
    const executionId = await resetInEngine(stack, runId, 'qa undo the termination', { finishEventId: 'first' });
    const done = await stack.temporal.client.workflow.getHandle(runId).result();
    const run = (await stack.gql(ScoringRunDocument, { id: runId }, Role.Viewer)).data!.scoringRun!;
    const stats = await snapshotStats(runId);
    expect(run).toMatchObject({ phase: 'Completed', customersScored: stats.customers });
    expect(done).toMatchObject({ phase: 'completed', customersScored: stats.customers });
    expect(stats.customers).toBeGreaterThan(CUSTOMERS / 2);
    // (In passes: the reset execution is found in Temporal's list of executions, which can show it a moment late, and on a
    // machine loaded by the whole suite more than 20 s late.)
    await passesUntilHandled(reconcile, runId, 60_000);
    expect((await auditOf(runId)).map((a) => [a.action, a.after])).toEqual([['scoring-run.reset-in-engine', expect.objectContaining({ executionId, reason: 'qa undo the termination', status: 'completed', resumes: true })]]);
  }, 120_000);

  it("records the API's start of a run that has already ended (a small base's, done before the API wrote it) without refusing it; only the run's own first step refuses an ended record", async () => {
    const runs = () => new ScoringRunService(stack.orm.em.fork(), defaultScoringPolicy);
    const runId = 'rescore/ended-before-recorded';
    await runs().begin({ runId, trigger: 'test', asOf: AS_OF });
    await stack.orm.em.fork().execute(`update scoring_run set status = 'completed', finished_at = now() where id = ?`, [runId]);
    await expect(runs().recordStart({ runId, trigger: 'test', asOf: AS_OF })).resolves.toMatchObject({ id: runId, status: 'completed' });
    await expect(runs().begin({ runId, trigger: 'test', asOf: AS_OF })).rejects.toMatchObject({ code: 'SCORING_RUN_ALREADY_FINISHED' });
  });

  it('scores every customer of its base once when customers come and go between gathering and the pages (an import during the night): one recorded since the run began is the next run\'s', async () => {
    const runs = () => new ScoringRunService(stack.orm.em.fork(), defaultScoringPolicy);
    const runId = 'rescore/pages-move';
    await runs().begin({ runId, trigger: 'test', asOf: AS_OF });
    const { pageStarts } = await runs().prepare(runId, 100);
    expect(pageStarts.length).toBeGreaterThanOrEqual(3);
    const { models } = await runs().fitModels(runId);
    // A customer imported into the first page's range of IDs, and one of the second page's acquired later after a correction.
    const e = stack.orm.em.fork();
    const added = e.create(Customer, { id: '00000000-0000-4000-8000-000000000001', name: 'Ida Imported', email: 'ida.imported@example.com', acquiredAt: '2026-10-01' });
    await e.flush();
    const [moved] = await query(sql<{ id: string; acquired_at: string }>`select id, acquired_at::text from customer where id > ${pageStarts[1]}::uuid and acquired_at <= ${AS_OF}::date order by id offset 1 limit 1`);
    await query(sql`update customer set acquired_at = '2026-11-20' where id = ${moved.id}::uuid returning id`);
    for (const range of pageRanges(pageStarts)) await runs().scorePage({ runId, ...range, models });
    await runs().complete(runId);
    const scored = await query(sql<{ customer_id: string; n: number }>`select customer_id, count(*)::int as n from score_snapshot where run_id = ${runId} group by customer_id`);
    const population = await query(sql<{ id: string }>`select id from customer where acquired_at <= ${AS_OF}::date and id <> ${added.id}::uuid`);
    expect(scored.filter((r) => r.n > 1)).toEqual([]);
    expect(scored.map((r) => r.customer_id).sort()).toEqual(population.map((r) => r.id).sort());
    // The second page's first customer, whom a first page of a fixed size left out; not the one added, whose purchases the
    // run did not gather: scored, they would read as having bought nothing.
    expect(scored.map((r) => r.customer_id)).toContain(pageStarts[1]);
    expect(scored.map((r) => r.customer_id)).not.toContain(added.id);
    // As it was, for the tests after this one.
    await query(sql`update customer set acquired_at = ${moved.acquired_at}::date where id = ${moved.id}::uuid returning id`);
    await query(sql`delete from customer where id = ${added.id}::uuid returning id`);
  });

  it("writes no new scores for an erased customer, nightly or after an event: the ones they had stay as they were", async () => {
    const runs = () => new ScoringRunService(stack.orm.em.fork(), defaultScoringPolicy);
    const [erased] = await query(
      sql<{ id: string; status: string }>`select c.id, c.status from customer c where c.acquired_at <= ${AS_OF}::date and exists (select 1 from current_score s where s.customer_id = c.id) order by c.id limit 1`,
    );
    const scoresOf = () => query(sql<{ kind: string; value: number | null; band: string | null; computed_at: Date }>`select kind, value, band, computed_at from current_score where customer_id = ${erased.id}::uuid order by kind`);
    const before = await scoresOf();
    await query(sql`update customer set status = 'erased' where id = ${erased.id}::uuid returning id`);
    try {
      const runId = 'rescore/erased-left-alone';
      await runs().begin({ runId, trigger: 'test', asOf: AS_OF });
      const { pageStarts, population } = await runs().prepare(runId, 100);
      const { models } = await runs().fitModels(runId);
      for (const range of pageRanges(pageStarts)) await runs().scorePage({ runId, ...range, models });
      const run = await runs().complete(runId);
      const scored = (await query(sql<{ customer_id: string }>`select customer_id from score_snapshot where run_id = ${runId}`)).map((r) => r.customer_id);
      expect(scored).not.toContain(erased.id);
      // Not in the run's population, so its progress reaches all of it; still in the purchases that rank the others.
      expect(population).toBe((await query(sql<{ id: string }>`select id from customer where acquired_at <= ${AS_OF}::date`)).length - 1);
      expect(run.scoredCustomers).toBe(population);
      expect(scored).toHaveLength(population);
      expect(await scoresOf()).toEqual(before);
      // Nor after an event (a complaint of theirs resolved, kept under the ID).
      expect(await rescorer().rescoreCustomer(erased.id, new Set([ScoreKind.PersistentIssue]))).toEqual([]);
      expect(await scoresOf()).toEqual(before);
    } finally {
      await query(sql`update customer set status = ${erased.status}::customer_status where id = ${erased.id}::uuid returning id`);
    }
  });

  it('writes a page retried after it committed, or twice at once, only once, and completes with its totals', async () => {
    const runs = () => new ScoringRunService(stack.orm.em.fork(), defaultScoringPolicy);
    const runId = 'rescore/page-retry';
    await runs().begin({ runId, trigger: 'test', asOf: AS_OF });
    const { pageStarts } = await runs().prepare(runId, 100);
    const workRows = () => query(sql<{ purchases: number; invoices: number }>`
      select (select count(*) from scoring_work where run_id = ${runId})::int as purchases, (select count(*) from scoring_invoice_work where run_id = ${runId})::int as invoices`);
    const [gathered] = await workRows();
    expect(gathered.invoices).toBeGreaterThan(CUSTOMERS / 2);
    // Gathering again (a retried activity) writes nothing twice.
    expect((await runs().prepare(runId, 100)).pageStarts).toEqual(pageStarts);
    expect(await workRows()).toEqual([gathered]);
    const { models } = await runs().fitModels(runId);
    const page = { runId, ...pageRanges(pageStarts)[1], models };
    // Two deliveries of the same activity at once, then a third after both committed.
    const results = await Promise.all([runs().scorePage(page), runs().scorePage(page)]);
    results.push(await runs().scorePage(page));
    expect(results[0].customers).toBe(100);
    expect(results[0].snapshots).toBeGreaterThan(100 * 6);
    for (const r of results) expect(r).toEqual(results[0]);
    const stats = await snapshotStats(runId);
    expect(stats).toEqual({ snapshots: results[0].snapshots, distinct_keys: results[0].snapshots, customers: 100, rows: 100 });

    const completed = await runs().complete(runId);
    expect(completed).toMatchObject({ status: 'completed', scoredCustomers: 100, snapshots: results[0].snapshots });
    // Completing again (a retried activity) keeps the totals, though the page ledger is gone.
    expect(await runs().complete(runId)).toMatchObject({ scoredCustomers: 100, snapshots: results[0].snapshots });
    const [left] = await query(sql<{ n: number }>`select (select count(*) from scoring_page where run_id = ${runId}) + (select count(*) from scoring_work where run_id = ${runId})
                                                        + (select count(*) from scoring_invoice_work where run_id = ${runId})::int as n`);
    expect(Number(left.n)).toBe(0);
  });

  it('fits the same models in two runs over the same data, also when it fits a sample of the buyers (QA 57 F1: no band moves without a change)', async () => {
    const sampled = { ...defaultScoringPolicy, fitSampleSize: 60 };
    const fitted: unknown[] = [];
    for (const runId of ['rescore/same-sample-1', 'rescore/same-sample-2']) {
      const runs = () => new ScoringRunService(stack.orm.em.fork(), sampled);
      await runs().begin({ runId, trigger: 'test', asOf: AS_OF });
      const { buyers } = await runs().prepare(runId, 100);
      expect(buyers).toBeGreaterThan(sampled.fitSampleSize * 2);
      const { models } = await runs().fitModels(runId);
      fitted.push(models);
      await runs().cancel(runId);
    }
    expect(fitted[0]).toMatchObject({ bgnbd: expect.anything(), gammaGamma: expect.anything() });
    expect(fitted[1]).toEqual(fitted[0]);
  });

  it('keeps the current scores and their bands through a rescore as of an earlier day, whose snapshots stay as history', async () => {
    // A payment today rescored a customer's payment loyalty, as of today.
    const [paid] = await query(sql<{ id: string }>`select id from customer order by id desc limit 1`);
    await rescorer().rescoreCustomer(paid.id, new Set([ScoreKind.PaymentLoyalty]));
    const current = await currentScores();
    const moves = await bandMoves();

    const fitsBefore = await new ScoringRunService(stack.orm.em.fork(), defaultScoringPolicy).latestFits();
    const past = await completedRescore(stack, '2026-10-01');
    // Its models are of that day: rescores after an event and scoreModels keep the current day's.
    expect(await new ScoringRunService(stack.orm.em.fork(), defaultScoringPolicy).latestFits()).toEqual(fitsBefore);
    // Its own fit is read through the API on the run, as stored, and differs from the current day's scoreModels shows.
    const stored = await query(sql<{ kind: string; params: Record<string, number>; log_likelihood: number; customers: number; converged: boolean }>`
      select kind, params, log_likelihood, customers, converged from score_model where run_id = ${past.id} order by kind`);
    expect(stored.map((m) => m.kind)).toEqual(['bgnbd', 'gamma-gamma']);
    const pastRun = (await stack.gql(ScoringRunModelsDocument, { id: past.id }, Role.Viewer)).data!.scoringRun!;
    expect(pastRun.models.map((m) => ({ kind: m.kind, params: m.params, logLikelihood: m.logLikelihood, customers: m.customers, converged: m.converged, runId: m.runId, asOf: m.asOf }))).toEqual(
      stored.map((m) => ({ kind: m.kind, params: m.params, logLikelihood: m.log_likelihood, customers: m.customers, converged: m.converged, runId: past.id, asOf: '2026-10-01' })),
    );
    const newestDay = (await stack.gql(ScoreModelsDocument, {}, Role.Viewer)).data!.scoreModels;
    expect(newestDay.map((m) => m.runId)).not.toContain(past.id);
    const stats = await snapshotStats(past.id);
    expect(stats).toMatchObject({ customers: past.customersScored, snapshots: past.snapshots });
    expect(stats.customers).toBeGreaterThan(CUSTOMERS / 2);
    // Its bands differ from the current ones here and there: replacing those would have moved them.
    const [differing] = await query(sql<{ n: number }>`
      select count(*)::int as n from score_snapshot s cross join jsonb_each(s.scores) k
        join current_score cs on cs.customer_id = s.customer_id and cs.kind = k.key
       where s.run_id = ${past.id} and k.value ->> 'band' is distinct from cs.band`);
    expect(differing.n).toBeGreaterThan(0);
    expect(await currentScores()).toEqual(current);
    expect(await bandMoves()).toEqual(moves);
  }, 120_000);

  it('replaces the current scores with a rescore as of a later day, recording the bands it moves, but not a score rescored after an event today', async () => {
    const current = new Map((await currentScores()).map((c) => [`${c.customer_id}/${c.kind}`, c]));
    const movesBefore = (await bandMoves()).length;

    const later = await completedRescore(stack, '2026-11-15');
    const after = await currentScores();
    const fromRun = await query(sql<{ customer_id: string; kind: string }>`
      select cs.customer_id, cs.kind from current_score cs join score_snapshot s on s.id = cs.snapshot_id where s.run_id = ${later.id}`);
    // Each score it wrote is current now, but the payment loyalty rescored today (the last test's).
    expect(fromRun.length).toBe(later.snapshots! - 1);
    const [paid] = await query(sql<{ kind: string; run_id: string | null }>`
      select cs.kind, s.run_id from current_score cs join score_snapshot s on s.id = cs.snapshot_id
       where cs.customer_id = (select id from customer order by id desc limit 1) and cs.kind = ${ScoreKind.PaymentLoyalty}`);
    expect(paid.run_id).toBeNull();

    const moved = after
      .filter((a) => current.has(`${a.customer_id}/${a.kind}`) && current.get(`${a.customer_id}/${a.kind}`)!.band !== a.band)
      .map((a) => ({ customer_id: a.customer_id, kind: a.kind, previous: current.get(`${a.customer_id}/${a.kind}`)!.band, band: a.band }));
    expect(moved.length).toBeGreaterThan(0);
    const recorded = await query(sql<{ customer_id: string; kind: string; previous: string | null; band: string | null }>`
      select b.customer_id, b.kind, b.previous, b.band from score_band_change b join score_snapshot s on s.id = b.snapshot_id
       where s.run_id = ${later.id} order by b.customer_id, b.kind`);
    expect(recorded).toEqual(moved);
    expect((await bandMoves()).length).toBe(movesBefore + moved.length);
  }, 120_000);

  it('reports a rescore after an event that fails instead of failing the event', async () => {
    const failures: { error: unknown; customerId: string }[] = [];
    const runs = rescorer((error, customerId) => failures.push({ error, customerId }));
    await expect(runs.rescoreAfterEvent('not-a-customer-id', new Set([ScoreKind.PersistentIssue]))).resolves.toBeUndefined();
    expect(failures).toEqual([{ error: expect.any(Error), customerId: 'not-a-customer-id' }]);
  });

  it('rescores a customer after a complaint at once, with a snapshot of its own', async () => {
    const [customer] = await query(sql<{ id: string }>`select id from customer order by id limit 1`);
    const recorded = await stack.gql(RecordComplaintDocument, { input: { customerId: customer.id, topic: 'billing-error', severity: 'High' } }, Role.Operator);
    expect(recorded.errors).toBeUndefined();
    const [latest] = await query(sql<{ run_id: string | null; kinds: string[] }>`
      select run_id, array(select jsonb_object_keys(scores) order by 1) as kinds from score_snapshot where customer_id = ${customer.id} order by computed_at desc limit 1`);
    expect(latest.run_id).toBeNull();
    expect(latest.kinds).toContain(ScoreKind.PersistentIssue);
    const [current] = await query(sql<{ computed_at: string }>`select computed_at from current_score where customer_id = ${customer.id} and kind = ${ScoreKind.PersistentIssue}`);
    expect(Date.now() - new Date(current.computed_at).getTime()).toBeLessThan(60_000);
  });

  it('keeps a nightly schedule that starts the rescore workflow', async () => {
    const schedule = await stack.temporal.client.schedule.getHandle(rescoreScheduleId(stack.config.temporal.taskQueue)).describe();
    expect(schedule.spec.calendars?.length ?? 0).toBeGreaterThan(0);
    expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'rescoreCustomerBase', taskQueue: stack.config.temporal.taskQueue });
    expect(schedule.policies.overlap).toBe('SKIP');
  });

  it('scores each night a backfill of the nightly schedule starts as of that night, not as of the day it runs', async () => {
    const schedule = stack.temporal.client.schedule.getHandle(rescoreScheduleId(stack.config.temporal.taskQueue));
    const today = new Date();
    // Two nights missed (the schedule runs at 02:00 UTC), backfilled one after the other as an operator does in the Temporal UI.
    const nights = [3, 2].map((daysAgo) => new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - daysAgo, 2)));
    await schedule.backfill([{ start: new Date(nights[0].getTime() - 3_600_000), end: new Date(nights[1].getTime() + 3_600_000), overlap: 'BUFFER_ALL' }]);
    const runs = [];
    for (const night of nights) {
      const id = `${rescoreScheduleId(stack.config.temporal.taskQueue)}-${night.toISOString().replace('.000Z', 'Z')}`;
      runs.push((await eventually(() => stack.gql(ScoringRunDocument, { id }, Role.Viewer), (r) => r.data?.scoringRun?.phase === 'Completed', 120_000)).data!.scoringRun!);
    }
    expect(runs.map((r) => [r.trigger, r.asOf])).toEqual(nights.map((night) => ['schedule', night.toISOString().slice(0, 10)]));
    await recordHistory(runs[0].id, 'rescore-scheduled-backfilled');
  }, 300_000);

  it("deletes a schedule switched off in the configuration, so `off` stops a sweep an earlier start created", async () => {
    // A deployment of its own (task queue), so this stack's schedules stay as they are.
    const config = { ...stack.config, temporal: { ...stack.config.temporal, taskQueue: `${stack.config.temporal.taskQueue}-off` } };
    const logger = createLogger('silent', 'test');
    const { client } = stack.temporal;
    const exists = (id: string) => client.schedule.getHandle(id).describe().then(() => true, () => false);
    await putSchedulesInPlace(client, config, logger, defaultPolicies);
    const ids = [rescoreScheduleId, playbookTriggersScheduleId, dataRetentionScheduleId].map((id) => id(config.temporal.taskQueue));
    expect(await Promise.all(ids.map(exists))).toEqual([true, true, true]);
    // The runs each starts carry its ID, of this deployment's task queue: another deployment's runs of the same minute take other IDs (QA 47 F1).
    const every = [...ids, scoreHistoryScheduleId(config.temporal.taskQueue), runReconciliationScheduleId(config.temporal.taskQueue)];
    const actions = await Promise.all(every.map(async (id) => (await client.schedule.getHandle(id).describe()).action));
    expect(actions.map((a) => (a.type === 'startWorkflow' ? a.workflowId : null))).toEqual(every);
    await putSchedulesInPlace(client, { ...config, rescoreSchedule: null, triggersSchedule: null, dataRetention: { ...config.dataRetention, schedule: null } }, logger, defaultPolicies);
    expect(await Promise.all(ids.map(exists))).toEqual([false, false, false]);
    expect(await exists(runReconciliationScheduleId(config.temporal.taskQueue))).toBe(true);
    await putSchedulesInPlace(client, { ...config, rescoreSchedule: null, scoreHistorySchedule: null, triggersSchedule: null, dataRetention: { ...config.dataRetention, schedule: null }, runReconciliationSchedule: null }, logger, defaultPolicies);
  });

  it('reports revenue concentration for the base and for a segment', async () => {
    const all = (await stack.gql(ConcentrationDocument, { months: 24 }, Role.Viewer)).data!.concentration;
    // Every month of the window, the current one last, those without orders too.
    expect(all!.periods.map((p) => p.period)).toEqual(monthPeriods(new Date(), 24));
    const withRevenue = all!.periods.filter((p) => p.topShare !== null);
    expect(withRevenue.length).toBeGreaterThan(1);
    const latest = withRevenue[withRevenue.length - 1];
    expect(all!.value).toBe(latest.topShare);
    expect(latest.topShare).toBeGreaterThan(0.2);
    expect(latest.topShare).toBeLessThanOrEqual(1);
    expect(latest.lorenz![latest.lorenz!.length - 1]).toEqual({ populationShare: 1, revenueShare: 1 });
    const premium = (await stack.gql(ConcentrationDocument, { months: 24, filter: { serviceTier: ['Premium'] } }, Role.Viewer)).data!.concentration;
    expect(premium!.periods.find((p) => p.period === latest.period)!.customers).toBeLessThan(latest.customers);
    const typo = await stack.gql(ConcentrationDocument, { months: 3, filter: { segment: ['Champs'] } }, Role.Viewer);
    expect(typo.errors![0].extensions).toMatchObject({ code: 'VALIDATION', field: 'filter.segment' });
    const bad = await stack.gql(ConcentrationDocument, { months: 0 }, Role.Viewer);
    expect(bad.errors![0].extensions).toMatchObject({ code: 'VALIDATION', field: 'months' });
    // As of an earlier month with revenue: the window ends there, and that month, complete, is the headline.
    const earlier = withRevenue.filter((p) => p.period !== all!.periods.at(-1)!.period).at(-1)!;
    const at = all!.periods.findIndex((p) => p.period === earlier.period);
    const asThen = (await stack.gql(ConcentrationDocument, { months: 6, until: `${earlier.period}-15` }, Role.Viewer)).data!.concentration!;
    expect(asThen.periods.map((p) => p.period)).toEqual(monthPeriods(new Date(`${earlier.period}-15T00:00:00Z`), 6));
    expect(asThen.periods.at(-1)).toEqual(all!.periods[at]);
    expect(asThen.value).toBe(earlier.topShare);
    const ahead = await stack.gql(ConcentrationDocument, { months: 3, until: '2999-01-01' }, Role.Viewer);
    expect(ahead.errors![0].extensions).toMatchObject({ code: 'VALIDATION', field: 'until' });
    // A segment of one buyer: its month has too few customers for a top-20% share, said so (not "the top 20% brought 20%"), no band (QA 80 F5).
    const [one] = await query(sql<{ email: string; month: string }>`
      select c.email, to_char(o.ordered_at at time zone 'UTC', 'YYYY-MM') as month from customer_order o join customer c on c.id = o.customer_id
       where o.amount_minor > 0 and o.ordered_at < date_trunc('month', now()) order by o.ordered_at desc, o.id limit 1`);
    const single = (await stack.gql(ConcentrationDocument, { months: 1, until: `${one.month}-15`, filter: { search: one.email } }, Role.Viewer)).data!.concentration!;
    expect(single.periods[0]).toMatchObject({ period: one.month, customers: 1 });
    expect(single.band).toBeNull();
    expect(single.reasons[0]).toBe(`${one.month}: too few customers (1) for a top-20% share (it takes 5): the one customer brought all of the revenue`);
  });

  it('scores orders without a recorded margin at the customer\'s own margin share, and leaves an account none of whose orders carries one unjudged, not loss-making', async () => {
    const em = stack.orm.em.fork();
    const day = (d: string) => new Date(`${d}T12:00:00Z`);
    // None of Ada's orders carries a margin; half of Bo's revenue is margin, and one order in the window carries none.
    const ada = em.create(Customer, { name: 'Ada Nomargin', email: 'ada.nomargin@example.com', acquiredAt: '2025-06-01', serviceTier: ServiceTier.Basic });
    const bo = em.create(Customer, { name: 'Bo Halfmargin', email: 'bo.halfmargin@example.com', acquiredAt: '2025-06-01', serviceTier: ServiceTier.Basic });
    for (const d of ['2026-08-10', '2026-09-10', '2026-10-10']) em.create(Order, { customer: ada, orderedAt: day(d), amountMinor: 10_000 });
    em.create(Order, { customer: bo, orderedAt: day('2025-07-01'), amountMinor: 8_000, marginMinor: 4_000 });
    em.create(Order, { customer: bo, orderedAt: day('2026-09-01'), amountMinor: 2_000, marginMinor: 1_000 });
    em.create(Order, { customer: bo, orderedAt: day('2026-10-01'), amountMinor: 6_000 });
    for (const c of [ada, bo]) em.create(CostEntry, { customer: c, occurredAt: '2026-10-15', kind: CostKind.SupportMinutes, amountMinor: 9_000 });
    // Cy brought Bo in: Bo's worth is Bo's window margin as profitability counts it, the order without a margin at Bo's own share.
    const cy = em.create(Customer, { name: 'Cy Referrer', email: 'cy.referrer@example.com', acquiredAt: '2025-01-01', serviceTier: ServiceTier.Basic });
    bo.referrer = cy;
    await em.flush();

    const scored = await scoredInOnePage('rescore/margins');
    const adaScores = await scored(ada.id);
    expect(adaScores[ScoreKind.Profitability]).toMatchObject({ value: null, band: null, reasons: ['not judged: the orders of the last 365 days (300.00) carry no margin, nor does any earlier order'] });
    expect(adaScores[ScoreKind.Clv].value).toBeGreaterThan(0);
    // Not at revenue beside everyone else's margin (QA 80 F3): at the base's margin share, the median of its customers' own up to the run's day.
    const margins = await customerMargins();
    const [run] = await query(sql<{ margin: string; revenue: string; share: number }>`
      select base_margin_minor::text as margin, base_margined_revenue_minor::text as revenue, base_margin_share as share from scoring_run where id = 'rescore/margins'`);
    // The run's figures as the reference computes them: the median, and the sums of margin and margined revenue beside it.
    const baseShare = shareOf(margins)!;
    expect(run.share).toBeCloseTo(baseShare, 12);
    expect([run.margin, run.revenue]).toEqual([margins.reduce((s, m) => s + BigInt(m.margin), 0n).toString(), margins.reduce((s, m) => s + BigInt(m.revenue), 0n).toString()]);
    expect(baseShare).toBeGreaterThan(0);
    // (Among its reasons: this test's base is too small for the spend model to converge, which another reason says.)
    expect(adaScores[ScoreKind.Clv].reasons).toContain(`no order carries a margin: valued at the base's margin share (its customers' median), ${Math.round(baseShare * 100)}% of spend`);
    expect(adaScores[ScoreKind.Clv]).toMatchObject({ modelVersion: 'clv/4(bgnbd/1+gamma-gamma/1)' });
    // A rescore after an event values Ada so too (at the base's share of the latest run that fitted the spend model).
    const [adaClv] = await rescorer().rescoreCustomer(ada.id, new Set([ScoreKind.Clv]));
    expect(adaClv.reasons).toContainEqual(`no order carries a margin: valued at the base's margin share (its customers' median), ${Math.round(baseShare * 100)}% of spend`);
    // Bo (basic: no fee margin): 1,000 known margin in the window and 6,000 without one at Bo's own 50% (5,000 of 10,000), minus 9,000 support.
    const boScores = await scored(bo.id);
    expect(boScores[ScoreKind.Profitability]).toMatchObject({ value: 1_000 + 3_000 - 9_000, band: 'loss-making' });
    expect(boScores[ScoreKind.Profitability].reasons[1]).toBe("orders without a recorded margin (60.00) counted at the customer's own margin of 50% of spend");
    expect((await scored(cy.id))[ScoreKind.ReferralValue]).toMatchObject({ value: 1_000 + 3_000, reasons: ['brought in 1 customer worth 40.00 in margin'] });

    // A rescore after an event reads the same facts: the same scores.
    const [profitability] = await rescorer().rescoreCustomer(bo.id, new Set([ScoreKind.Profitability]));
    expect(profitability).toMatchObject({ value: boScores[ScoreKind.Profitability].value, reasons: boScores[ScoreKind.Profitability].reasons });
    // (Today, not as of the run's day: the 2025-07-01 order, outside that window, is out of today's too.)
    expect((await rescorer().rescoreCustomer(cy.id, new Set([ScoreKind.ReferralValue])))[0]).toMatchObject({ value: 4_000 });
    expect((await rescorer().rescoreCustomer(ada.id, new Set([ScoreKind.Profitability])))[0]).toMatchObject({ value: null, band: null });
  });

  it('does not judge an account the window holds nothing of, and bands a free order break-even, not profitable (QA 80 F2)', async () => {
    const em = stack.orm.em.fork();
    const day = (d: string) => new Date(`${d}T10:00:00Z`);
    // Basic (no fee margin). Quinn's two orders with margins are from early 2024, nothing since, no cost; Ray's only order,
    // in the window, was free (0.00, margin 0.00).
    const quinn = em.create(Customer, { name: 'Quinn Silent', email: 'quinn.silent@example.com', acquiredAt: '2023-01-01', serviceTier: ServiceTier.Basic });
    const ray = em.create(Customer, { name: 'Ray Freeorder', email: 'ray.freeorder@example.com', acquiredAt: '2023-01-01', serviceTier: ServiceTier.Basic });
    em.create(Order, { customer: quinn, orderedAt: day('2024-01-01'), amountMinor: 10_000, marginMinor: 2_000 });
    em.create(Order, { customer: quinn, orderedAt: day('2024-02-01'), amountMinor: 10_000, marginMinor: 2_000 });
    em.create(Order, { customer: ray, orderedAt: day('2026-05-01'), amountMinor: 0, marginMinor: 0 });
    await em.flush();

    const scored = await scoredInOnePage('rescore/nothing-in-window');
    // Before: value 0, band profitable, "margin 0.00 minus cost to serve 0.00 over the last 365 days: 0.00".
    expect((await scored(quinn.id))[ScoreKind.Profitability]).toMatchObject({
      value: null,
      band: null,
      reasons: ['not judged: nothing in the last 365 days to judge it by: no order, no tier fee margin, no cost to serve'],
      modelVersion: 'profitability/12;policy=1',
    });
    expect((await scored(ray.id))[ScoreKind.Profitability]).toMatchObject({ value: 0, band: 'break-even' });
    // Through GraphQL: the profitable filter finds neither; break-even is a band the filter takes.
    const filtered = async (search: string, bands: string[]) =>
      (await stack.gql(CustomersDocument, { first: 10, filter: { search, scores: [{ kind: 'Profitability', bands }] } }, Role.Viewer)).data!.customers.edges.map((e) => e.node.email);
    expect(await filtered('ray.freeorder@example.com', ['break-even'])).toEqual(['ray.freeorder@example.com']);
    expect(await filtered('ray.freeorder@example.com', ['profitable'])).toEqual([]);
    expect(await filtered('quinn.silent@example.com', ['profitable', 'break-even', 'loss-making', 'too-new'])).toEqual([]);
    // A rescore after an event gathers the same facts itself: the same judgements.
    expect((await rescorer().rescoreCustomer(quinn.id, new Set([ScoreKind.Profitability])))[0]).toMatchObject({ value: null, band: null });
    expect((await rescorer().rescoreCustomer(ray.id, new Set([ScoreKind.Profitability])))[0]).toMatchObject({ value: 0, band: 'break-even' });
  });

  it('counts the fee margin of the tier the customer held each day of the window, from their recorded tier changes', async () => {
    const em = stack.orm.em.fork();
    // Tia: standard until premium from 2026-10-01 (and basic before a move of 2025, before the window); one order of margin 100.00.
    const tia = em.create(Customer, { name: 'Tia Tierchange', email: 'tia.tierchange@example.com', acquiredAt: '2024-01-01', serviceTier: ServiceTier.Premium });
    em.create(Order, { customer: tia, orderedAt: new Date('2026-06-01T10:00:00Z'), amountMinor: 50_000, marginMinor: 10_000 });
    em.create(ServiceTierChange, { customer: tia, changedOn: '2025-01-01', fromTier: ServiceTier.Basic, toTier: ServiceTier.Standard, source: TierChangeSource.Import });
    em.create(ServiceTierChange, { customer: tia, changedOn: '2026-10-01', fromTier: ServiceTier.Standard, toTier: ServiceTier.Premium, source: TierChangeSource.AccountReview });
    // Support given on standard before the move, and on premium since.
    em.create(CostEntry, { customer: tia, occurredAt: '2026-09-01', kind: CostKind.SupportMinutes, amountMinor: 10_000 });
    em.create(CostEntry, { customer: tia, occurredAt: '2026-10-15', kind: CostKind.SupportMinutes, amountMinor: 5_000 });
    await em.flush();

    const scored = await scoredInOnePage('rescore/tier-changes');
    // 2,000 × 333/365 + 6,000 × 32/365 = 2,351: not premium's 6,000 for the whole year.
    // On standard, each support cost from the tier it was given on: 100.00 as given there + 50.00 × 0.6 = 130.00 (not 150.00 × 0.6),
    // and standard's fee margin for the year (20.00): -10.00, no material loss, so standard rather than basic is suggested;
    // weighed against premium, the tier held now, for the whole year (100.00 / 0.6 + 50.00 of support, 60.00 of fee margin): -56.67.
    expect((await scored(tia.id))[ScoreKind.Profitability]).toMatchObject({
      value: 12_351 - 15_000,
      band: 'loss-making',
      reasons: [
        'margin 123.51 minus cost to serve 150.00 over the last 365 days: -26.49',
        'the margin includes the tier fee margin of 23.51 for the tiers held: standard 333 days, premium 32 days',
        'cost drivers: support minutes 150.00 (100%)',
        // Both support costs (2026-09-01 and 2026-10-15) fell in the last 90 days before 2026-11-01, summed across the tiers held.
        "150.00 of the 150.00 cost to serve (100%) in the last 90 days, none in the 275 days with us before them: a recent rise, not the account's usual cost",
        'on premium, the tier held now, the same window comes to -56.67 (support minutes about 66.67 more; tier fee margin 36.49 more): other tiers are weighed against that',
        'a cheaper service concept helps: standard (support minutes about 86.67 less; tier fee margin 40.00 less; projected -10.00 instead of -56.67 on premium)',
      ],
    });
    // A rescore after an event gathers the same tier changes itself (as of today: more of the window on premium).
    const [now] = await rescorer().rescoreCustomer(tia.id, new Set([ScoreKind.Profitability]));
    expect(now.reasons[1]).toMatch(/^the margin includes the tier fee margin of [0-9.]+ for the tiers held: standard \d+ days, premium \d+ days$/);
  });

  it('takes a cost on the tier held on its day: a change on that day counts for it, and a customer back on a tier since was not on it all along', async () => {
    const em = stack.orm.em.fork();
    // Ben: basic, premium from 2026-03-01, basic again from 2026-12-01 (after the day scored). Support of 400.00 in
    // February (on basic) and 60.00 on the day of the move to premium (on premium).
    const ben = em.create(Customer, { name: 'Ben Backagain', email: 'ben.backagain@example.com', acquiredAt: '2024-01-01', serviceTier: ServiceTier.Basic });
    em.create(Order, { customer: ben, orderedAt: new Date('2026-06-01T10:00:00Z'), amountMinor: 50_000, marginMinor: 10_000 });
    em.create(ServiceTierChange, { customer: ben, changedOn: '2026-03-01', fromTier: ServiceTier.Basic, toTier: ServiceTier.Premium, source: TierChangeSource.Import });
    em.create(ServiceTierChange, { customer: ben, changedOn: '2026-12-01', fromTier: ServiceTier.Premium, toTier: ServiceTier.Basic, source: TierChangeSource.Import });
    em.create(CostEntry, { customer: ben, occurredAt: '2026-02-10', kind: CostKind.SupportMinutes, amountMinor: 40_000 });
    em.create(CostEntry, { customer: ben, occurredAt: '2026-03-01', kind: CostKind.SupportMinutes, amountMinor: 6_000 });
    await em.flush();

    const scored = await scoredInOnePage('rescore/back-on-a-tier');
    // As of 2026-11-01 Ben is on premium: 119 days of basic, 246 of premium (6,000 × 246/365 = 4,044). On basic the
    // February support costs what it did (not a quarter of it, as if given on premium: "345.00 less") and the one of the
    // move's day, on premium, a quarter: 10,000 - 40,000 - 1,500 = -31,500. Weighed against premium, the tier held, for the
    // whole window (the February support at premium's full share, 1,600.00; its fee margin 60.00): -1,500.00.
    expect((await scored(ben.id))[ScoreKind.Profitability]).toMatchObject({
      value: 10_000 + 4_044 - 46_000,
      band: 'loss-making',
      reasons: [
        'margin 140.44 minus cost to serve 460.00 over the last 365 days: -319.56',
        'the margin includes the tier fee margin of 40.44 for the tiers held: basic 119 days, premium 246 days',
        'cost drivers: support minutes 460.00 (100%)',
        'on premium, the tier held now, the same window comes to -1,500.00 (support minutes about 1,200.00 more; tier fee margin 19.56 more): other tiers are weighed against that',
        'a cheaper service concept helps: basic (support minutes about 1,245.00 less; tier fee margin 60.00 less; projected -315.00 instead of -1,500.00 on premium)',
      ],
    });
  });

  it('does not count the support our product defects took against the customer: a loyal account whose only loss is that support is not loss-making', async () => {
    const em = stack.orm.em.fork();
    const at = (d: string) => new Date(`${d}T10:00:00Z`);
    // Four basic customers (no tier fee margin), each with a margin of 220.30 in the window and 300.00 of support booked on
    // 2026-10-15 for a complaint that cost 300.00 to handle. Only Dana's and Gus's complaints were our product's defect.
    const customer = (name: string) => {
      const c = em.create(Customer, { name, email: `${name.toLowerCase().replace(' ', '.')}@example.com`, acquiredAt: '2024-01-01', serviceTier: ServiceTier.Basic });
      em.create(Order, { customer: c, orderedAt: at('2026-06-01'), amountMinor: 100_000, marginMinor: 22_030 });
      em.create(CostEntry, { customer: c, occurredAt: '2026-10-15', kind: CostKind.SupportMinutes, amountMinor: 30_000 });
      return c;
    };
    const complaint = (c: Customer, productDefect: boolean, openedAt: string, resolvedAt: string | null, handlingCostMinor = 30_000) =>
      em.create(Complaint, { customer: c, topic: 'device-fault', severity: ComplaintSeverity.High, openedAt: at(openedAt), resolvedAt: resolvedAt ? at(resolvedAt) : null, productDefect, handlingCostMinor });
    // Dana: our firmware bricked her device; fixed on 2026-10-15.
    const dana = customer('Dana Defect');
    complaint(dana, true, '2026-10-01', '2026-10-15');
    // Eli: the same support for a complaint that was not our defect: his cost to serve, as before.
    const eli = customer('Eli Nodefect');
    complaint(eli, false, '2026-10-01', '2026-10-15');
    // Fay: a defect complaint resolved before the window (which starts 2025-11-02): it explains none of the window's support.
    const fay = customer('Fay Olddefect');
    complaint(fay, true, '2025-08-01', '2025-10-01');
    // Gus: a defect complaint from before the window, still open (handled in the window), whose handling cost 100.00.
    const gus = customer('Gus Opendefect');
    complaint(gus, true, '2025-06-01', null, 10_000);
    await em.flush();

    const scored = await scoredInOnePage('rescore/defect-support');
    const defectNote = (amount: string) =>
      `support for our product defects ${amount} not counted (handling the customer's complaints marked product defect cost ${amount} over the last 365 days: our own defect is not their cost to serve)`;
    // Before: -79.70, loss-making, "cost drivers: support minutes 300.00 (100%)", an account review and its offboarding.
    expect((await scored(dana.id))[ScoreKind.Profitability]).toEqual({
      value: 22_030,
      band: 'profitable',
      reasons: ['margin 220.30 minus cost to serve 0.00 over the last 365 days: 220.30', defectNote('300.00')],
      modelVersion: 'profitability/12;policy=1',
    });
    const loss = { value: 22_030 - 30_000, band: 'loss-making' };
    expect((await scored(eli.id))[ScoreKind.Profitability]).toMatchObject({ ...loss, reasons: expect.arrayContaining(['cost drivers: support minutes 300.00 (100%)']) });
    expect((await scored(eli.id))[ScoreKind.Profitability].reasons.join(' ')).not.toMatch(/product defect/);
    expect((await scored(fay.id))[ScoreKind.Profitability]).toMatchObject(loss);
    // Gus: 100.00 of the support was our defect's, the other 200.00 his: 220.30 - 200.00 = 20.30.
    expect((await scored(gus.id))[ScoreKind.Profitability]).toMatchObject({
      value: 22_030 - 20_000,
      band: 'profitable',
      reasons: ['margin 220.30 minus cost to serve 200.00 over the last 365 days: 20.30', defectNote('100.00'), 'cost drivers: support minutes 200.00 (100%)'],
    });
    // A rescore after an event (as of today) gathers the complaints itself: the same judgements.
    expect((await rescorer().rescoreCustomer(dana.id, new Set([ScoreKind.Profitability])))[0]).toMatchObject({ value: 22_030, band: 'profitable', reasons: [expect.any(String), defectNote('300.00')] });
    expect((await rescorer().rescoreCustomer(eli.id, new Set([ScoreKind.Profitability])))[0]).toMatchObject(loss);

    // Hal moved from standard to basic on 2026-10-20 (a review's proposal); the defect's support was given on standard
    // before it. As the review judges him on basic, that support is left out too, not scaled to basic's share and counted.
    const hal = customer('Hal Moveddefect');
    hal.serviceTier = ServiceTier.Basic;
    complaint(hal, true, '2026-10-01', '2026-10-15');
    em.create(ServiceTierChange, { customer: hal, changedOn: '2026-10-20', fromTier: ServiceTier.Standard, toTier: ServiceTier.Basic, source: TierChangeSource.AccountReview });
    await em.flush();
    const sinceMove = await rescorer().profitabilitySinceTierChange(hal.id, { fromTier: ServiceTier.Standard, at: new Date('2026-10-20T10:00:00Z') });
    expect(sinceMove.score).toMatchObject({ band: 'profitable', reasons: expect.arrayContaining([defectNote('300.00')]) });
    // On basic (no fee margin), the margin alone: 220.30 (not 220.30 + 300.00 - 125.00, the support re-counted at basic's share).
    expect(sinceMove.projected).toMatchObject({ valueMinor: 22_030, costsBefore: [], costsBeforeOnTierMinor: 0 });
  });

  it('counts orders of 0.00 with a margin of 0.00 as carrying one, values a repeat buyer who paid nothing at 0, and judges no one on the tier fee alone (QA 73 F2, F3)', async () => {
    const em = stack.orm.em.fork();
    const day = (d: string) => new Date(`${d}T10:00:00Z`);
    // Dee's two orders are free, each with a recorded margin of 0.00; Noe never bought, and nothing was spent on Noe.
    const dee = em.create(Customer, { name: 'Dee Freeorders', email: 'dee.freeorders@example.com', acquiredAt: '2025-01-01', serviceTier: ServiceTier.Standard });
    const noe = em.create(Customer, { name: 'Noe Nobuy', email: 'noe.nobuy@example.com', acquiredAt: '2025-01-01', serviceTier: ServiceTier.Standard });
    for (const d of ['2026-10-01', '2026-10-20']) em.create(Order, { customer: dee, orderedAt: day(d), amountMinor: 0, marginMinor: 0 });
    await em.flush();

    const scored = await scoredInOnePage('rescore/free-orders');
    const deeScores = await scored(dee.id);
    // A margin of 0.00 is recorded: judged on it and the standard tier's fee margin (20.00), not "none of the orders carries a margin".
    expect(deeScores[ScoreKind.Profitability]).toMatchObject({ value: 2_000, band: 'profitable', reasons: ['margin 20.00 minus cost to serve 0.00 over the last 365 days: 20.00', "the margin includes the standard tier's fee margin of 20.00"] });
    // Its repeat purchase paid nothing: a CLV of 0, not the base's mean spend.
    expect(deeScores[ScoreKind.Clv]).toMatchObject({ value: 0, band: null });
    expect(deeScores[ScoreKind.Clv].reasons).toContain('expected spend per purchase: 0.00 (the 1 repeat purchase so far was free: nothing paid, nothing expected)');
    expect(deeScores[ScoreKind.Clv].reasons).not.toContain('no order carries a margin: valued at revenue');
    // Nothing but the tier fee would speak for Noe: not judged, rather than "profitable".
    expect((await scored(noe.id))[ScoreKind.Profitability]).toMatchObject({ value: null, band: null, reasons: ['not judged: no purchase yet, and no cost to serve was recorded in the last 365 days'] });

    // A rescore after an event gathers the same facts itself: the same judgements.
    const [profitability, clv] = await rescorer().rescoreCustomer(dee.id, new Set([ScoreKind.Profitability, ScoreKind.Clv])).then((s) => [ScoreKind.Profitability, ScoreKind.Clv].map((k) => s.find((x) => x.kind === k)!));
    expect(profitability).toMatchObject({ value: 2_000, band: 'profitable' });
    expect(clv).toMatchObject({ value: 0 });
    expect((await rescorer().rescoreCustomer(noe.id, new Set([ScoreKind.Profitability])))[0]).toMatchObject({ value: null, band: null });
  });

  it("keeps valuing the customers without margins at the base's margin share when one imported account loses all of a 13-digit order, and the import refuses a loss beyond the amount", async () => {
    const imports = new ImportService(stack.config.databaseUrl, {}, null, 'EUR');
    const options: ImportOptions = { mode: 'good-rows', actor: 'test', source: 'test' };
    await imports.importCsvText('customers', 'customer_ref,name,email,acquired_at\nNEGM-1,Neg Margin,negm1.rescore@example.com,2025-01-01\nNOM-1,Nia Nomargin,nom1.rescore@example.com,2025-01-01\n', options);
    // Nia's orders carry no margin; the other account's lines lose 400.00 on 100.00 twice, and all of 9,999,999,999,999.99.
    const orders = await imports.importCsvText(
      'orders',
      'order_ref,customer_ref,ordered_at,amount,margin\nNOM-O1,NOM-1,2026-08-10,80.00,\nNOM-O2,NOM-1,2026-09-10,80.00,\nNOM-O3,NOM-1,2026-10-10,80.00,\n' +
        'NEGM-O1,NEGM-1,2026-03-01,100.00,-400.00\nNEGM-O2,NEGM-1,2026-06-01,100.00,-400.00\nNEGM-O3,NEGM-1,2026-10-01,9999999999999.99,-9999999999999.99\n',
      options,
    );
    // A loss beyond the amount is refused, a misplaced decimal point as a margin above it is; a loss of all of it is taken.
    expect(orders.errors.map((e) => [e.line, e.field, e.code, e.message])).toEqual([
      [5, 'margin', 'INVALID_VALUE', 'margin is a loss of more than the amount'],
      [6, 'margin', 'INVALID_VALUE', 'margin is a loss of more than the amount'],
    ]);
    expect(orders).toMatchObject({ inserted: 4, rejected: 2 });
    try {
      const [nia] = await query(sql<{ id: string }>`select id from customer where external_ref = 'NOM-1'`);
      const scored = await scoredInOnePage('rescore/one-account-loss');
      // Valued at the base's share, not at 0.
      const niaClv = (await scored(nia.id))[ScoreKind.Clv];
      expect(niaClv.value).toBeGreaterThan(0);
      const [run] = await query(sql<{ margin: string; revenue: string; share: number }>`
        select base_margin_minor::text as margin, base_margined_revenue_minor::text as revenue, base_margin_share as share from scoring_run where id = 'rescore/one-account-loss'`);
      const atBaseShare = `no order carries a margin: valued at the base's margin share (its customers' median), ${Math.round(run.share * 100)}% of spend`;
      expect(niaClv.reasons).toContain(atBaseShare);
      // Weighted by revenue the base's share is that one account's, -100%, and every CLV without a margin of its own was 0;
      // as the median of the customers' own shares it is the base's typical share, as it was before the account came.
      expect(Number(run.margin) / Number(run.revenue)).toBeLessThan(-0.99);
      const margins = await customerMargins();
      expect(run.share).toBeCloseTo(shareOf(margins)!, 12);
      expect(run.share).toBeGreaterThan(0);
      expect(Math.abs(run.share - shareOf(margins.filter((m) => m.ref !== 'NEGM-1'))!)).toBeLessThan(0.02);
      // Nobody whose orders carry no margin is valued at 0 (before: every one of them), nor after an event. (A buyer whose
      // free orders carry margins of 0.00 is valued at the base's share too, at 0 for their spend of 0: not counted here.)
      const [zeroed] = await query(sql<{ n: number }>`
        select count(*)::int as n from score_snapshot s where s.run_id = 'rescore/one-account-loss' and (s.scores -> ${ScoreKind.Clv} ->> 'value')::float8 = 0
           and exists (select 1 from jsonb_array_elements_text(s.scores -> ${ScoreKind.Clv} -> 'reasons') r where r like 'no order carries a margin: valued at the base''s margin share%')`);
      expect(zeroed.n).toBe(0);
      const [afterEvent] = await rescorer().rescoreCustomer(nia.id, new Set([ScoreKind.Clv]));
      expect(afterEvent.value).toBeGreaterThan(0);
      expect(afterEvent.reasons).toContain(atBaseShare);
    } finally {
      // Out of the base again, for whatever runs after.
      await query(sql`delete from customer_order where external_ref = 'NEGM-O3'`);
    }
  });
});
