import { encodeCursor } from '../src/services/common/pagination.js';
import { Role } from '../src/domain/auth/roles.js';
import { Customer, ScoreSnapshot, ServiceTier } from '../src/entities/index.js';
import { CreateSegmentDocument, CustomerScoresDocument, CustomersDocument, ScoreBandChangesDocument, type ScoreBandChangesQueryVariables } from './__generated__/graphql.js';
import { countStatements } from './support/statement-counter.js';
import { startTestStack, type TestStack } from './support/stack.js';

/** A retention team's morning question: who moved between bands lately, across the base or a segment. */
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
  const em = stack.orm.em.fork();
  // Churn-risk bands per night (one scoring a night, as the nightly rescore writes them).
  const nights = ['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04'];
  const bands: Record<string, [ServiceTier, string[]]> = {
    Ada: [ServiceTier.Premium, ['low', 'high', 'high', 'high']],
    Ben: [ServiceTier.Basic, ['low', 'low', 'high', 'low']],
    Cem: [ServiceTier.Basic, ['medium', 'medium', 'medium', 'high']],
    Dora: [ServiceTier.Basic, ['high', 'high', 'high', 'medium']],
    Eve: [ServiceTier.Basic, ['low', 'low', 'low', 'low']],
  };
  // IDs in name order: within a night the list goes by customer ID, descending.
  const customers = Object.entries(bands).map(([name, [serviceTier]], i) =>
    em.create(Customer, { id: `00000000-0000-4000-8000-00000000000${i + 1}`, name, email: `${name.toLowerCase()}@example.com`, acquiredAt: '2025-01-01', serviceTier }),
  );
  await em.flush();
  for (const [i, night] of nights.entries()) {
    for (const c of customers) {
      em.create(ScoreSnapshot, { customer: c, computedAt: new Date(`${night}T02:00:00Z`), scores: { 'churn-risk': { value: null, band: bands[c.name][1][i], modelVersion: 'test/1', reasons: [] } } });
    }
    await em.flush();
  }
});
afterAll(() => stack?.stop());

const changes = async (vars: Partial<ScoreBandChangesQueryVariables>, role: Role | null = Role.Viewer) => {
  const result = await stack.gql(ScoreBandChangesDocument, { kind: 'ChurnRisk', since: '2026-11-01', first: 20, ...vars }, role);
  expect(result.errors).toBeUndefined();
  return result.data!.scoreBandChanges;
};
const moves = (page: Awaited<ReturnType<typeof changes>>) => page.edges.map((e) => `${e.node.customer.name} ${e.node.changedAt.slice(5, 10)} ${e.node.previous}→${e.node.band}`);

it('lists every move of a score across the base, newest first', async () => {
  const all = await changes({});
  expect(moves(all)).toEqual(['Dora 11-04 high→medium', 'Cem 11-04 medium→high', 'Ben 11-04 high→low', 'Ben 11-03 low→high', 'Ada 11-02 low→high']);
  expect(all.totalCount).toBe(5);
  // Each move has its own identity (customer, score, time), for a client's cache.
  const ids = all.edges.map((e) => e.node.id);
  expect(new Set(ids).size).toBe(5);
  expect(ids[0]).toBe(`${all.edges[0].node.customer.id}/churn-risk/${all.edges[0].node.changedAt}`);
  // From a day on only.
  expect((await changes({ since: '2026-11-03' })).totalCount).toBe(4);
});

it('narrows to moves into or out of bands, to the band customers are in now, and to a segment', async () => {
  expect(moves(await changes({ to: ['high'] }))).toEqual(['Cem 11-04 medium→high', 'Ben 11-03 low→high', 'Ada 11-02 low→high']);
  expect(moves(await changes({ from: ['high'] }))).toEqual(['Dora 11-04 high→medium', 'Ben 11-04 high→low']);
  // Ben went back to low: still at high risk are Ada and Cem.
  expect(moves(await changes({ to: ['high'], latestOnly: true }))).toEqual(['Cem 11-04 medium→high', 'Ada 11-02 low→high']);
  expect(moves(await changes({ to: ['high'], filter: { serviceTier: ['Premium'] } }))).toEqual(['Ada 11-02 low→high']);
});

it('pages through the list with cursors', async () => {
  const seen: string[] = [];
  let after: string | null = null;
  do {
    const page: Awaited<ReturnType<typeof changes>> = await changes({ first: 2, after });
    seen.push(...moves(page));
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor! : null;
  } while (after);
  expect(seen).toEqual(moves(await changes({})));
});

it('reads the customers of a page together', async () => {
  const statements = async (first: number) => (await countStatements(() => changes({ first }))).statements.length;
  expect(await statements(5)).toBe(await statements(1));
});

it('refuses a score without bands, an unknown band and a wrong filter, with the field', async () => {
  const refused = async (vars: Partial<ScoreBandChangesQueryVariables>) =>
    (await stack.gql(ScoreBandChangesDocument, { kind: 'ChurnRisk', since: '2026-11-01', ...vars }, Role.Viewer)).errors![0].extensions;
  expect(await refused({ kind: 'Clv' })).toMatchObject({ code: 'VALIDATION', reason: 'SCORING_INVALID_INPUT', field: 'kind' });
  expect(await refused({ to: ['hgih'] })).toMatchObject({ code: 'VALIDATION', reason: 'SCORING_INVALID_INPUT', field: 'to' });
  expect(await refused({ filter: { riskBand: ['severe'] } })).toMatchObject({ code: 'VALIDATION', field: 'filter.riskBand' });
  // A day to come, or a typo of a year (QA 48 F7).
  expect(await refused({ since: '2099-12-05' })).toMatchObject({ code: 'VALIDATION', reason: 'SCORING_INVALID_INPUT', field: 'since' });
  expect(await refused({ since: '0001-01-01' })).toMatchObject({ code: 'VALIDATION', reason: 'SCORING_INVALID_INPUT', field: 'since' });
  // A cursor of this list whose values were tampered with.
  const forged = encodeCursor('band-changes', ['not a time', 'not an id']);
  expect(await refused({ after: forged })).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_CURSOR' });
  expect((await stack.gql(ScoreBandChangesDocument, { kind: 'ChurnRisk', since: '2026-11-01' }, null)).errors![0].extensions!.code).toBe('UNAUTHENTICATED');
});

it('finds the customers who moved lately as a filter, for a segment a campaign can enrol', async () => {
  const em = stack.orm.em.fork();
  const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);
  const loyalty = (band: string) => ({ 'payment-loyalty': { value: null, band, modelVersion: 'test/1', reasons: [] } });
  // Fay stopped being a loyal payer two days ago; Gus three weeks ago; Hal is still loyal; Joy stopped three days ago and is loyal again since yesterday.
  const history: Record<string, [number, string][]> = {
    Fay: [[30, 'loyal'], [2, 'regular']],
    Gus: [[40, 'loyal'], [21, 'regular']],
    Hal: [[30, 'loyal'], [2, 'loyal']],
    Joy: [[30, 'loyal'], [3, 'regular'], [1, 'loyal']],
  };
  for (const [name, nights] of Object.entries(history)) {
    const customer = em.create(Customer, { name, email: `${name.toLowerCase()}@example.com`, acquiredAt: '2024-01-01' });
    for (const [days, band] of nights) {
      em.create(ScoreSnapshot, { customer, computedAt: daysAgo(days), scores: loyalty(band) });
      await em.flush();
    }
  }
  const bandMoved = (withinDays: number, latestOnly?: boolean) => ({ kind: 'PaymentLoyalty' as const, from: ['loyal'], withinDays, latestOnly });
  const names = async (withinDays: number, latestOnly?: boolean) => {
    const result = await stack.gql(CustomersDocument, { first: 20, filter: { bandMoved: bandMoved(withinDays, latestOnly) } }, Role.Viewer);
    expect(result.errors).toBeUndefined();
    return result.data!.customers.edges.map((e) => e.node.name).sort();
  };
  expect(await names(7)).toEqual(['Fay', 'Joy']);
  expect(await names(30)).toEqual(['Fay', 'Gus', 'Joy']);
  // Only their latest move: Joy is loyal again, so not among who stopped being loyal and still is not.
  expect(await names(7, true)).toEqual(['Fay']);

  // Kept as given in a saved segment: "stopped being loyal this week" stays relative to each day.
  const saved = await stack.gql(CreateSegmentDocument, { input: { name: 'No longer loyal this week', filter: { bandMoved: bandMoved(7) } } }, Role.Marketer);
  expect(saved.errors).toBeUndefined();
  expect(saved.data!.createSegment.filter.bandMoved).toEqual({ kind: 'PaymentLoyalty', from: ['loyal'], to: null, withinDays: 7, latestOnly: null });

  const refused = async (filter: object) => (await stack.gql(CustomersDocument, { first: 5, filter }, Role.Viewer)).errors![0].extensions;
  expect(await refused({ bandMoved: { kind: 'Clv', withinDays: 7 } })).toMatchObject({ code: 'VALIDATION', field: 'filter.bandMoved.kind' });
  expect(await refused({ bandMoved: { kind: 'PaymentLoyalty', to: ['disloyal'], withinDays: 7 } })).toMatchObject({ code: 'VALIDATION', field: 'filter.bandMoved.to' });
  expect(await refused({ bandMoved: { kind: 'PaymentLoyalty', withinDays: 0 } })).toMatchObject({ code: 'VALIDATION', field: 'filter.bandMoved.withinDays' });
});

it('records no move for a scoring as of an earlier day than the current score, whose values stay as history only', async () => {
  const em = stack.orm.em.fork();
  const risk = (band: string) => ({ 'churn-risk': { value: null, band, modelVersion: 'test/1', reasons: [] } });
  const ivy = em.create(Customer, { name: 'Ivy', email: 'ivy@example.com', acquiredAt: '2025-01-01' });
  const scored = async (computedAt: string, band: string, asOf?: string) => {
    em.create(ScoreSnapshot, { customer: ivy, computedAt: new Date(computedAt), asOf, scores: risk(band) });
    await em.flush();
  };
  const ivysMoves = async () => moves(await changes({})).filter((m) => m.startsWith('Ivy '));
  const ivysRisk = async () => {
    const result = await stack.gql(CustomerScoresDocument, { id: ivy.id, historyKind: 'ChurnRisk' }, Role.Viewer);
    expect(result.errors).toBeUndefined();
    const customer = result.data!.customer!;
    return { current: customer.scores.find((s) => s.kind === 'ChurnRisk')!.band, history: customer.scoreHistory.map((s) => s.band) };
  };
  const highRisk = async () =>
    (await stack.gql(CustomersDocument, { first: 20, filter: { riskBand: ['high'] } }, Role.Viewer)).data!.customers.edges.some((e) => e.node.name === 'Ivy');
  // The nights of 11-05 and 11-06.
  await scored('2026-11-05T02:00:00Z', 'low');
  await scored('2026-11-06T02:00:00Z', 'high');
  // An admin rescores as of 11-05 on 11-07: history, not a move back to low.
  await scored('2026-11-07T10:00:00Z', 'low', '2026-11-05');
  expect(await ivysMoves()).toEqual(['Ivy 11-06 low→high']);
  // The history by the day each value describes: 11-06's, then 11-05's, the rescore (computed last) first.
  expect(await ivysRisk()).toEqual({ current: 'high', history: ['high', 'low', 'low'] });
  expect(await highRisk()).toBe(true);
  // The night of 11-08 (as of a later day) moves it as usual.
  await scored('2026-11-08T02:00:00Z', 'medium');
  expect(await ivysMoves()).toEqual(['Ivy 11-08 high→medium', 'Ivy 11-06 low→high']);
  expect(await ivysRisk()).toEqual({ current: 'medium', history: ['medium', 'high', 'low', 'low'] });
  expect(await highRisk()).toBe(false);
});

it('dates the moves of a rescore of a past day on that day, not on the day it ran (QA 48 F2)', async () => {
  // A data set that ended long ago, scored as of two of its days today, the later one last: its moves are of 1997.
  const em = stack.orm.em.fork();
  const customer = em.create(Customer, { name: 'Old Data', email: 'old.data@example.com', acquiredAt: '1997-01-01' });
  const ranAt = new Date();
  for (const [asOf, band, ms] of [['1997-09-30', 'low', 0], ['1997-12-31', 'high', 1000]] as const) {
    em.create(ScoreSnapshot, { customer, asOf, computedAt: new Date(ranAt.getTime() + ms), scores: { 'churn-risk': { value: null, band, modelVersion: 'test/1', reasons: [] } } });
    await em.flush();
  }
  const moved = await changes({ since: '1997-01-01', filter: { search: 'Old Data' } });
  expect(moves(moved)).toEqual(['Old Data 12-31 low→high']);
  expect(moved.edges[0].node.changedAt.slice(0, 10)).toBe('1997-12-31');
  // Not among this week's moves.
  const weekAgo = new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10);
  expect((await changes({ since: weekAgo, filter: { search: 'Old Data' } })).totalCount).toBe(0);
  // A nightly run as of yesterday (it went past midnight) keeps the time it ran (review 34 F1).
  const nightly = em.create(Customer, { name: 'Night Run', email: 'night.run@example.com', acquiredAt: '2025-01-01' });
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  for (const [band, ms] of [['low', 0], ['high', 1000]] as const) {
    em.create(ScoreSnapshot, { customer: nightly, asOf: yesterday, computedAt: new Date(ranAt.getTime() + ms), scores: { 'churn-risk': { value: null, band, modelVersion: 'test/1', reasons: [] } } });
    await em.flush();
  }
  const latest = await changes({ since: weekAgo, filter: { search: 'Night Run' } });
  expect(new Date(latest.edges[0].node.changedAt).getTime()).toBe(ranAt.getTime() + 1000);
});
