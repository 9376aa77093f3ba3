import { sql, type RawBuilder } from 'kysely';
import { Role } from '../src/domain/auth/roles.js';
import { defaultScoreHistoryPolicy } from '../src/domain/scoring/score-history.js';
import { loadDemoDataIfEmpty } from '../src/dev/demo-loader.js';
import { scoreHistoryScheduleId } from '../src/temporal/schedules.js';
import type { thinScoreHistory } from '../workflows/index.js';
import { Customer } from '../src/entities/index.js';
import { CustomersScoreHistoryDocument, CustomersScoreValuesDocument, ScoreHistoryDocument, ScoreValuesDocument, type ScoreKind as ApiScoreKind } from './__generated__/graphql.js';
import { countStatements } from './support/statement-counter.js';
import { recordHistory } from './support/histories.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * The score history's thinning on the real Temporal dev server, a worker process and a
 * real PostgreSQL: snapshots older than 90 days thinned to the newest per customer, kind
 * and week, older than two years per month, read back through GraphQL.
 */
let stack: TestStack;
const DAY = 86_400_000;
const now = Date.now();
const utcMidnight = (ms: number) => Math.floor(ms / DAY) * DAY;
// Monday 00:00 UTC of the week holding `ms` (1970-01-01 was a Thursday).
const monday = (ms: number) => utcMidnight(ms) - ((Math.floor(ms / DAY) + 3) % 7) * DAY;
const firstOfMonth = (ms: number) => Date.UTC(new Date(ms).getUTCFullYear(), new Date(ms).getUTCMonth(), 1);

// Two whole weeks well past the 90 days, a month past the two years, and the last days.
const week = monday(now - 120 * DAY);
const weekBefore = week - 7 * DAY;
const oldMonth = firstOfMonth(now - 800 * DAY);
const recent = [utcMidnight(now - 11 * DAY), utcMidnight(now - 10 * DAY)];
const at = (ms: number, hour = 2) => new Date(ms + hour * 3_600_000);

const query = async <T>(text: RawBuilder<T>) => (await text.execute(stack.orm.em.fork().getKysely())).rows;
const iso = (d: Date) => d.toISOString();

/** Snapshots of one customer at the given times, each holding the given kinds; their IDs in time order. */
async function insertSnapshots(customerId: string, times: Date[], kinds: string[], runId: string | null): Promise<string[]> {
  const scores = JSON.stringify(Object.fromEntries(kinds.map((kind) => [kind, { value: 1, band: 'b', modelVersion: 'test/1', reasons: ['a reason'] }])));
  const rows = await query(sql<{ id: string; computed_at: string }>`
    insert into score_snapshot (id, customer_id, computed_at, as_of, scores, run_id)
    select gen_random_uuid(), ${customerId}::uuid, t, (t at time zone 'UTC')::date, ${scores}::jsonb, ${runId} from unnest(${times.map(iso)}::timestamptz[]) as t
    returning id, computed_at`);
  return rows.sort((x, y) => Date.parse(x.computed_at) - Date.parse(y.computed_at)).map((r) => r.id);
}

const remaining = async (customerId: string) =>
  (
    await query(sql<{ computed_at: string; kinds: string[] }>`
      select computed_at, array(select jsonb_object_keys(scores) order by 1) as kinds from score_snapshot where customer_id = ${customerId}::uuid order by computed_at`)
  ).map((r) => `${iso(new Date(r.computed_at))} ${r.kinds.join(',')}`);

const thin = (workflowId: string, periodsPerExecution = defaultScoreHistoryPolicy.periodsPerExecution) =>
  stack.temporal.client.workflow.execute<typeof thinScoreHistory>('thinScoreHistory', {
    workflowId,
    taskQueue: stack.config.temporal.taskQueue,
    args: [{ policy: { ...defaultScoreHistoryPolicy, periodsPerExecution } }],
  });

let a: string;
let b: string;
beforeAll(async () => {
  stack = await startTestStack();
  await loadDemoDataIfEmpty(stack.orm.em.fork(), 2);
  [a, b] = (await query(sql<{ id: string }>`select id from customer order by id`)).map((r) => r.id);
}, 60_000);
afterAll(() => stack?.stop());

const days = (from: number, count: number, hour = 2) => Array.from({ length: count }, (_, i) => at(from + i * DAY, hour));
const both = ['churn-risk', 'rfm'];

it('thins snapshots older than 90 days to the newest per customer, kind and week, and older than two years per month', async () => {
  // Customer A: nightly runs in two old weeks, one-kind rescores after events (mid-week; after the week's last run), two runs in a month two years back, two recent runs.
  await insertSnapshots(a, days(weekBefore, 7), both, 'run');
  await insertSnapshots(a, [at(weekBefore + 6 * DAY, 15)], ['rfm'], null);
  await insertSnapshots(a, days(week, 7), both, 'run');
  await insertSnapshots(a, [at(week + 2 * DAY, 15)], ['persistent-issue'], null);
  await insertSnapshots(a, [at(oldMonth), at(oldMonth + 9 * DAY)], both, 'run');
  await insertSnapshots(a, recent.map((d) => at(d)), both, 'run');
  // Customer B: one old week, its current RFM score pointing at an older snapshot of it than the newest.
  const bWeek = await insertSnapshots(b, days(week, 7), ['rfm'], 'run');
  await query(sql`update current_score set snapshot_id = ${bWeek[1]}::uuid where customer_id = ${b}::uuid and kind = 'rfm'`);
  // And a rescore as of the week before, run late on the week's last day: not the week's point (the nightly of that day is).
  await query(sql`insert into score_snapshot (id, customer_id, computed_at, as_of, scores, run_id)
                  values (gen_random_uuid(), ${b}::uuid, ${iso(at(week + 6 * DAY, 20))}::timestamptz, ${iso(new Date(weekBefore)).slice(0, 10)}::date,
                          '{"rfm": {"value": 1, "band": "b", "modelVersion": "test/1", "reasons": ["backfill"]}}'::jsonb, 'backfill')`);

  const totals = await thin('score-history-first-pass', 25);

  // Every whole week from the oldest snapshot's to the one before the 90 days' cutoff; every month before the two years' cutoff.
  const weeks = (monday(now - 90 * DAY) - monday(oldMonth)) / (7 * DAY);
  const monthIndex = (ms: number) => new Date(ms).getUTCFullYear() * 12 + new Date(ms).getUTCMonth();
  const months = monthIndex(now - 730 * DAY) - monthIndex(oldMonth);
  expect(totals).toEqual({ periods: weeks + months, deleted: 6 + 6 + 1 + 5 + 1 });
  expect(await remaining(a)).toEqual([
    `${iso(at(oldMonth + 9 * DAY))} churn-risk,rfm`,
    `${iso(at(weekBefore + 6 * DAY))} churn-risk,rfm`,
    `${iso(at(weekBefore + 6 * DAY, 15))} rfm`,
    `${iso(at(week + 2 * DAY, 15))} persistent-issue`,
    `${iso(at(week + 6 * DAY))} churn-risk,rfm`,
    ...recent.map((d) => `${iso(at(d))} churn-risk,rfm`),
  ]);
  // B keeps the snapshot its current score points at beside the week's newest.
  expect(await remaining(b)).toEqual([`${iso(at(week + DAY))} rfm`, `${iso(at(week + 6 * DAY))} rfm`]);
  const progress = await query(sql<{ tier: string; thinned_until: string }>`select tier, thinned_until from score_history_thinning order by tier`);
  expect(progress.map((p) => [p.tier, iso(new Date(p.thinned_until))])).toEqual([
    ['month-after-730d', iso(new Date(firstOfMonth(now - 730 * DAY)))],
    ['week-after-90d', iso(new Date(monday(now - 90 * DAY)))],
  ]);

  // The API's history is the thinned one, newest first; a snapshot kept for one of its scores keeps the others too.
  const history = async (kind: ApiScoreKind) => (await stack.gql(ScoreHistoryDocument, { id: a, kind, last: 100 }, Role.Viewer)).data!.customer!.scoreHistory.map((s) => s.computedAt);
  expect(await history('Rfm')).toEqual([...recent.map((d) => iso(at(d))).reverse(), iso(at(week + 6 * DAY)), iso(at(weekBefore + 6 * DAY, 15)), iso(at(weekBefore + 6 * DAY)), iso(at(oldMonth + 9 * DAY))]);
  expect(await history('ChurnRisk')).toEqual([...recent.map((d) => iso(at(d))).reverse(), iso(at(week + 6 * DAY)), iso(at(weekBefore + 6 * DAY)), iso(at(oldMonth + 9 * DAY))]);
  expect(await history('PersistentIssue')).toEqual([iso(at(week + 2 * DAY, 15))]);
  // Paging back through it: the newest three, then those before the oldest of them.
  const page = async (before: string | null) => (await stack.gql(ScoreHistoryDocument, { id: a, kind: 'Rfm', last: 3, before }, Role.Viewer)).data!.customer!.scoreHistory.map((s) => s.computedAt);
  const newest = await page(null);
  expect([...newest, ...(await page(newest[2]))]).toEqual(await history('Rfm'));
  const bad = await stack.gql(ScoreHistoryDocument, { id: a, kind: 'Rfm', last: 3, before: 'last week' }, Role.Viewer);
  expect(bad.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
  // A score that does not exist is refused, not answered with an empty history.
  const unknown = await stack.gql(ScoreHistoryDocument, { id: a, kind: 'churn-risk' as ApiScoreKind, last: 3 }, Role.Viewer);
  expect(unknown.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
  await recordHistory('score-history-first-pass', 'score-history-thinned');
}, 120_000);

it("names each score by its snapshot and kind: a current score and its entry in the history share the name, for a client's cache", async () => {
  const customer = (await stack.gql(ScoreHistoryDocument, { id: a, kind: 'Rfm', last: 100 }, Role.Viewer)).data!.customer!;
  const ids = customer.scoreHistory.map((s) => s.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}\/rfm$/);
  expect(customer.scores.find((s) => s.kind === 'Rfm')!.id).toBe(ids[0]);
  expect(new Set(customer.scores.map((s) => s.id)).size).toBe(customer.scores.length);
});

describe('order by the day described', () => {
  const day = (daysAgo: number) => utcMidnight(now - daysAgo * DAY);
  const isoDay = (ms: number) => iso(new Date(ms)).slice(0, 10);
  let c: string;
  let d: string;
  /** Churn-risk snapshots of one customer: [value, the day it is as of, when computed]; two sharing both differ by their ID only. */
  const insertDays = (customerId: string, values: Array<[number, string, Date]>) =>
    query(sql`insert into score_snapshot (id, customer_id, computed_at, as_of, scores, run_id)
              select gen_random_uuid(), ${customerId}::uuid, v.computed_at, v.as_of,
                     jsonb_build_object('churn-risk', jsonb_build_object('value', v.value, 'band', 'low', 'modelVersion', 'test/1', 'reasons', jsonb_build_array('test'))), 'run'
                from unnest(${values.map((v) => v[0])}::float8[], ${values.map((v) => v[1])}::date[], ${values.map((v) => iso(v[2]))}::timestamptz[]) as v(value, as_of, computed_at)`);
  const history = async (id: string, last: number, after?: { asOf: string; computedAt: string; id: string } | null, before?: string) => {
    // Only the variables given, as a client's JSON sends them.
    const r = await stack.gql(ScoreHistoryDocument, { id, kind: 'ChurnRisk', last, ...(after && { after }), ...(before && { before }) }, Role.Viewer);
    expect(r.errors).toBeUndefined();
    return r.data!.customer!.scoreHistory;
  };
  const values = (list: Array<{ value?: number | null }>) => list.map((s) => s.value);

  beforeAll(async () => {
    const em = stack.orm.em.fork();
    const [one, two] = [1, 2].map((i) => em.create(Customer, { name: `Trend Reader ${i}`, email: `history-order-${i}@example.com`, acquiredAt: '1996-01-01' }));
    await em.flush();
    [c, d] = [one.id, two.id];
    // Nightly runs of the last three days; then, after the last of them, a CDNOW-style backfill of two past days (one of them twice,
    // at the same moment) and a rescore of the day before yesterday.
    await insertDays(c, [
      [0.3, isoDay(day(3)), at(day(3))],
      [0.2, isoDay(day(2)), at(day(2))],
      [0.1, isoDay(day(1)), at(day(1))],
      [0.27, '1997-09-30', at(day(1), 15)],
      [0.28, '1997-09-30', at(day(1), 15)],
      [0.5, '1997-01-01', at(day(1), 16)],
      [0.25, isoDay(day(2)), at(day(1), 17)],
    ]);
    await insertDays(d, [
      [0.6, '1997-09-30', at(day(1), 15)],
      [0.4, isoDay(day(1)), at(day(1))],
    ]);
  });

  it("lists a backfill of a past day, rescored after today's run, below the later days; a day's values the last computed first, then by ID", async () => {
    const all = await history(c, 100);
    // The two of 1997-09-30 computed at the same moment: the greater snapshot ID first.
    const tied = all.filter((s) => s.asOf === '1997-09-30');
    const [first, second] = [...tied].sort((x, y) => (x.id < y.id ? 1 : -1));
    expect(values(all)).toEqual([0.1, 0.25, 0.2, 0.3, first.value, second.value, 0.5]);
    expect(all.map((s) => s.asOf)).toEqual([isoDay(day(1)), isoDay(day(2)), isoDay(day(2)), isoDay(day(3)), '1997-09-30', '1997-09-30', '1997-01-01']);
    expect(new Set(values(tied))).toEqual(new Set([0.27, 0.28]));
  });

  it('pages further back after the last value of a page, each value once, in the same order', async () => {
    const all = await history(c, 100);
    const pages: Array<Awaited<ReturnType<typeof history>>> = [];
    let after: { asOf: string; computedAt: string; id: string } | null = null;
    for (;;) {
      const page = await history(c, 2, after);
      if (page.length === 0) break;
      pages.push(page);
      const { asOf, computedAt, id } = page[page.length - 1];
      after = { asOf, computedAt, id };
    }
    expect(pages.map((p) => p.length)).toEqual([2, 2, 2, 1]);
    expect(pages.flat()).toEqual(all);
    // A page ending between the two values of the same day and moment goes on with the other one.
    const tiedAt = all.findIndex((s) => s.asOf === '1997-09-30');
    const { asOf, computedAt, id } = all[tiedAt];
    expect(await history(c, 100, { asOf, computedAt, id })).toEqual(all.slice(tiedAt + 1));
    // The (deprecated) before still filters by when a value was computed: the nightly runs only, in the same order.
    expect(values(await history(c, 100, null, iso(at(day(1), 15))))).toEqual([0.1, 0.2, 0.3]);
    // An ID that is not a score's is refused.
    const bad = await stack.gql(ScoreHistoryDocument, { id: c, kind: 'ChurnRisk', last: 2, after: { asOf, computedAt, id: 'not-a-score' } }, Role.Viewer);
    expect(bad.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_CURSOR' });
    // So is a value of another score's history, or of another customer's, as another parent's cursor is.
    const snapshot = id.split('/')[0];
    const otherKind = await stack.gql(ScoreHistoryDocument, { id: c, kind: 'ChurnRisk', last: 2, after: { asOf, computedAt, id: `${snapshot}/clv` } }, Role.Viewer);
    expect(otherKind.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_CURSOR', field: 'after.id' });
    expect(otherKind.errors![0].message).toBe("after.id must be the id of a value of this customer's churn-risk history");
    const otherCustomer = await stack.gql(ScoreHistoryDocument, { id: d, kind: 'ChurnRisk', last: 2, after: { asOf, computedAt, id } }, Role.Viewer);
    expect(otherCustomer.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_CURSOR', field: 'after.id' });
    // A value thinned away since its page was read still says where the page ended: the next page follows it.
    const gone = `${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/churn-risk`;
    expect(await history(c, 100, { asOf, computedAt, id: gone })).toEqual(all.slice(tiedAt + 1).filter((s) => s.asOf !== asOf || s.computedAt !== computedAt || s.id < gone));
  });

  it('refuses a position whose asOf or computedAt are not those of the stored value its id names, rather than repeating or skipping values', async () => {
    const all = await history(c, 100);
    const { asOf, computedAt, id } = all[1];
    const nextDay = new Date(Date.parse(`${asOf}T00:00:00Z`) + DAY).toISOString().slice(0, 10);
    // A later day would list the value itself again; a day long past, nothing of the history; a moment off by a millisecond, either.
    for (const after of [{ asOf: nextDay, computedAt, id }, { asOf: '2020-01-01', computedAt, id }, { asOf, computedAt: iso(new Date(Date.parse(computedAt) + 1)), id }]) {
      const r = await stack.gql(ScoreHistoryDocument, { id: c, kind: 'ChurnRisk', last: 5, after }, Role.Viewer);
      expect(r.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_CURSOR', field: 'after' });
    }
    // As listed, it pages on.
    expect(await history(c, 5, { asOf, computedAt, id })).toEqual(all.slice(2, 7));
  });

  describe('scoreValues, the history as a connection', () => {
    type Page = NonNullable<Awaited<ReturnType<typeof valuesPage>>>;
    const valuesPage = async (id: string, args: { first?: number | null; after?: string; last?: number; before?: string }, kind: ApiScoreKind = 'ChurnRisk') => {
      const r = await stack.gql(ScoreValuesDocument, { id, kind, ...args }, Role.Viewer);
      expect(r.errors).toBeUndefined();
      return r.data!.customer!.scoreValues;
    };
    const nodes = (page: Page) => page.edges.map((e) => e.node);

    it('pages forward from the newest, each value once, in the order of the (deprecated) scoreHistory, with pageInfo and a count', async () => {
      const all = await history(c, 100);
      const pages: Page[] = [];
      let after: string | undefined;
      do {
        pages.push(await valuesPage(c, { first: 2, after }));
        after = pages[pages.length - 1].pageInfo.endCursor ?? undefined;
      } while (pages[pages.length - 1].pageInfo.hasNextPage);
      expect(pages.map((p) => p.edges.length)).toEqual([2, 2, 2, 1]);
      expect(pages.flatMap(nodes).map(({ id, value, computedAt, asOf }) => ({ id, value, computedAt, asOf }))).toEqual(all.map(({ id, value, computedAt, asOf }) => ({ id, value, computedAt, asOf })));
      expect(pages.map((p) => p.pageInfo.hasPreviousPage)).toEqual([false, true, true, true]);
      expect(pages.map((p) => p.totalCount)).toEqual([7, 7, 7, 7]);
      expect(pages[0].edges[0].node).toMatchObject({ kind: 'ChurnRisk', value: 0.1, reasons: ['test'] });
      // The cursors are opaque: nothing of the value shows.
      for (const edge of pages.flatMap((p) => p.edges)) expect(edge.cursor).not.toContain(edge.node.asOf);
    });

    it('pages backward with last from the oldest, as on every other connection, and meets the forward order through the values tied in computedAt', async () => {
      const all = await history(c, 100);
      const oldest = await valuesPage(c, { first: null, last: 2 });
      // last: the end of the newest-first list (the oldest values), as timeline(last:) and orders(last:) give.
      expect(nodes(oldest).map((n) => n.id)).toEqual(all.slice(5).map((s) => s.id));
      expect(oldest.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
      const pages: Page[] = [oldest];
      while (pages[0].pageInfo.hasPreviousPage) pages.unshift(await valuesPage(c, { first: null, last: 2, before: pages[0].pageInfo.startCursor! }));
      expect(pages.flatMap(nodes).map((n) => n.id)).toEqual(all.map((s) => s.id));
      expect(pages.map((p) => p.edges.length)).toEqual([1, 2, 2, 2]);
      // A page ending between the two values of the same day and moment goes on with the other one, either way, and back again.
      const tied = all.findIndex((s) => s.asOf === '1997-09-30');
      expect(all[tied].computedAt).toBe(all[tied + 1].computedAt);
      const toTied = await valuesPage(c, { first: tied + 1 });
      const afterTied = await valuesPage(c, { first: 1, after: toTied.pageInfo.endCursor! });
      expect(nodes(afterTied).map((n) => n.id)).toEqual([all[tied + 1].id]);
      const beforeNext = await valuesPage(c, { first: null, last: 1, before: afterTied.pageInfo.startCursor! });
      expect(nodes(beforeNext).map((n) => n.id)).toEqual([all[tied].id]);
      // The same cursor twice reads the same page.
      expect(await valuesPage(c, { first: 2, after: toTied.pageInfo.endCursor! })).toEqual(await valuesPage(c, { first: 2, after: toTied.pageInfo.endCursor! }));
    });

    it("refuses a cursor of another customer's history, of another score's, or a doctored one, as INVALID_CURSOR", async () => {
      const ofC = (await valuesPage(c, { first: 1 })).pageInfo.endCursor!;
      const refusal = async (id: string, args: { first?: number | null; after?: string; last?: number; before?: string }, kind: ApiScoreKind = 'ChurnRisk') =>
        (await stack.gql(ScoreValuesDocument, { id, kind, ...args }, Role.Viewer)).errors?.[0]?.extensions;
      expect(await refusal(d, { first: 2, after: ofC })).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_CURSOR', field: 'after' });
      expect(await refusal(c, { first: 2, after: ofC }, 'Rfm')).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_CURSOR', field: 'after' });
      expect(await refusal(d, { first: null, last: 2, before: ofC })).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_CURSOR', field: 'before' });
      expect(await refusal(c, { first: 2, after: 'not-a-cursor' })).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_CURSOR', field: 'after' });
      // As every connection: first and last are not both given, and a page is 1 to 100.
      expect(await refusal(c, { first: 2, last: 2 })).toMatchObject({ code: 'VALIDATION' });
      expect(await refusal(c, { first: 101 })).toMatchObject({ code: 'VALIDATION' });
    });

    it("reads a page of customers' first pages in one statement", async () => {
      const { result, statements } = await countStatements(() =>
        stack.gql(CustomersScoreValuesDocument, { first: 10, filter: { search: 'history-order-' }, kind: 'ChurnRisk', valuesFirst: 3 }, Role.Viewer),
      );
      expect(result.errors).toBeUndefined();
      const byCustomer = new Map(result.data!.customers.edges.map(({ node }) => [node.id, [values(node.scoreValues.edges.map((e) => e.node)), node.scoreValues.pageInfo.hasNextPage]]));
      expect(byCustomer).toEqual(new Map([[c, [[0.1, 0.25, 0.2], true]], [d, [[0.4, 0.6], false]]]));
      expect(statements.filter((s) => s.includes('from score_snapshot'))).toHaveLength(1);
    });
  });

  it("reads a page of customers' histories in that order in one statement", async () => {
    const { result, statements } = await countStatements(() =>
      stack.gql(CustomersScoreHistoryDocument, { first: 10, filter: { search: 'history-order-' }, kind: 'ChurnRisk', last: 3 }, Role.Viewer),
    );
    expect(result.errors).toBeUndefined();
    const byCustomer = new Map(result.data!.customers.edges.map(({ node }) => [node.id, values(node.scoreHistory)]));
    expect(byCustomer).toEqual(new Map([[c, [0.1, 0.25, 0.2]], [d, [0.4, 0.6]]]));
    expect(statements.filter((s) => s.includes('from score_snapshot'))).toHaveLength(1);
  });
});

it('finds nothing to thin on the next pass, and leaves the history as it was', async () => {
  const before = [await remaining(a), await remaining(b)];
  expect(await thin('score-history-second-pass')).toEqual({ periods: 0, deleted: 0 });
  expect([await remaining(a), await remaining(b)]).toEqual(before);
});

it('is kept as a daily schedule by the worker', async () => {
  const schedule = await stack.temporal.client.schedule.getHandle(scoreHistoryScheduleId(stack.config.temporal.taskQueue)).describe();
  expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'thinScoreHistory', taskQueue: stack.config.temporal.taskQueue });
  expect(schedule.policies.overlap).toBe('SKIP');
});
