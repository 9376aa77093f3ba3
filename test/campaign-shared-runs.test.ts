import { sql, type RawBuilder } from 'kysely';
import { Role } from '../src/domain/auth/roles.js';
import { campaignPolicy, type CampaignPolicy } from '../src/domain/campaigns/campaign.js';
import { CostEntry, CostKind, Customer, Order, ScoreSnapshot } from '../src/entities/index.js';
import { CampaignDocument, CreateCampaignDocument, LaunchCampaignDocument } from './__generated__/graphql.js';
import { eventually } from './support/eventually.js';
import { spawnWorker, startTestStack, workerEnvOf, type TestStack } from './support/stack.js';

/**
 * Two campaigns of one playbook over overlapping segments, launched at the same moment, on the
 * real Temporal dev server and a worker process: both enrol the shared customers before either
 * customer's run records its start. Each shared run is started by exactly one of them (the one
 * whose start created it) and joined by the other.
 */
const policy: CampaignPolicy = { ...campaignPolicy, pageSize: 10, pageIntervalMs: 100 };

let stack: TestStack;
let worker: Awaited<ReturnType<typeof spawnWorker>> | null = null;

beforeAll(async () => {
  stack = await startTestStack({ worker: false, policies: { campaign: policy } });
  worker = await spawnWorker(workerEnvOf(stack, { MESSAGE_CHANNEL: 'off', RUN_RECONCILIATION_SCHEDULE: 'off' }));
}, 90_000);
afterAll(async () => {
  await worker?.stop();
  await stack?.stop();
});

const rows = async <T>(q: RawBuilder<T>) => (await q.execute(stack.orm.em.fork().getKysely())).rows;
const campaign = (id: string) => stack.gql(CampaignDocument, { id }, Role.Viewer).then((r) => r.data!.campaign!);

it('counts a run two campaigns enrol its customer into at once as started by the one whose start created it, and as joined by the other', async () => {
  const tag = `ovl${Math.random().toString(36).slice(2, 8)}`;
  // Only in A, in both, only in B: segment A searches "<tag>-a", segment B "<tag>-b".
  const em = stack.orm.em.fork();
  const groups = { onlyA: 8, both: 30, onlyB: 8 };
  const names = (n: number, name: (i: number) => string) => Array.from({ length: n }, (_, i) => name(i));
  const customers = [
    ...names(groups.onlyA, (i) => `${tag}-a ${i}`),
    ...names(groups.both, (i) => `${tag}-a ${tag}-b ${i}`),
    ...names(groups.onlyB, (i) => `${tag}-b ${i}`),
  ].map((name, i) => em.create(Customer, { name, email: `customer${i}@example.com`, acquiredAt: '2024-06-01' }));
  // Loss-making by their scores and by their figures, so each one's review waits for the customer's answer to a proposal.
  for (const customer of customers) {
    em.create(ScoreSnapshot, { customer, computedAt: new Date(), scores: { profitability: { value: -14_000, band: 'loss-making', modelVersion: 'test', reasons: ['test'] } } });
    em.create(Order, { customer, orderedAt: new Date(Date.now() - 60 * 86_400_000), amountMinor: 10_000, marginMinor: 2_500 });
    em.create(CostEntry, { customer, occurredAt: new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10), kind: CostKind.SupportMinutes, amountMinor: 30_000 });
  }
  await em.flush();
  const ids = customers.map((c) => c.id);

  const create = async (name: string, search: string) => {
    const created = await stack.gql(CreateCampaignDocument, { input: { name, playbook: 'AccountReview', filter: { search }, holdoutPercent: 0 } }, Role.Marketer);
    expect(created.errors).toBeUndefined();
    return created.data!.createCampaign;
  };
  const a = await create('Review A', `${tag}-a`);
  const b = await create('Review B', `${tag}-b`);
  expect(a.preview).toMatchObject({ customers: groups.onlyA + groups.both, treated: groups.onlyA + groups.both });
  expect(b.preview).toMatchObject({ customers: groups.both + groups.onlyB, treated: groups.both + groups.onlyB });

  const launched = await Promise.all([a, b].map((c) => stack.gql(LaunchCampaignDocument, { id: c.id }, Role.Marketer)));
  expect(launched.map((l) => l.errors)).toEqual([undefined, undefined]);
  const [doneA, doneB] = await Promise.all([a, b].map((c) => eventually(() => campaign(c.id), (v) => v.status === 'Completed', 90_000)));
  expect(doneA.progress).toMatchObject({ enrolled: groups.onlyA + groups.both, treated: groups.onlyA + groups.both });
  expect(doneB.progress).toMatchObject({ enrolled: groups.both + groups.onlyB, treated: groups.both + groups.onlyB });

  // One review per customer, each recorded by its first step a moment after it starts.
  const runs = await eventually(
    () => rows(sql<{ customer_id: string; campaign_id: string | null }>`select customer_id, campaign_id from playbook_run where playbook = 'account-review' and customer_id = any(${ids}::uuid[])`),
    (rs) => rs.length === ids.length,
    30_000,
  );
  // Both campaigns' runs started add up to the runs there are: none is counted twice.
  expect(doneA.progress!.runsStarted + doneB.progress!.runsStarted).toBe(runs.length);
  const startedBy = new Map(runs.map((r) => [r.customer_id, r.campaign_id]));
  // The runs of the customers only one campaign enrolled are that campaign's; each shared one is A's or B's.
  expect(ids.slice(0, groups.onlyA).map((id) => startedBy.get(id))).toEqual(Array(groups.onlyA).fill(a.id));
  expect(ids.slice(groups.onlyA + groups.both).map((id) => startedBy.get(id))).toEqual(Array(groups.onlyB).fill(b.id));
  const shared = ids.slice(groups.onlyA, groups.onlyA + groups.both).map((id) => startedBy.get(id));
  expect(shared.filter((c) => c !== a.id && c !== b.id)).toEqual([]);
  const sharedOfA = shared.filter((c) => c === a.id).length;
  const sharedOfB = groups.both - sharedOfA;

  // Each campaign's runs started are those its start created, as the runs' records and their CampaignId tags say.
  expect(doneA.progress!.runsStarted).toBe(groups.onlyA + sharedOfA);
  expect(doneB.progress!.runsStarted).toBe(groups.onlyB + sharedOfB);
  const tagged = async (id: string) => (await stack.temporal.client.workflow.count(`CampaignId = "${id}" AND WorkflowType != "campaign"`)).count;
  await eventually(() => Promise.all([tagged(a.id), tagged(b.id)]), (n) => n[0] === doneA.progress!.runsStarted && n[1] === doneB.progress!.runsStarted, 30_000);

  // Each campaign's treated group counts the shared runs the other started as joined (in the playbook elsewhere).
  const [outcomeA, outcomeB] = await Promise.all([campaign(a.id), campaign(b.id)]).then((cs) => cs.map((c) => c.outcome!.find((o) => o.group === 'Treated')!));
  expect(outcomeA).toMatchObject({ members: groups.onlyA + groups.both, inPlaybookElsewhere: sharedOfB });
  expect(outcomeB).toMatchObject({ members: groups.both + groups.onlyB, inPlaybookElsewhere: sharedOfA });
}, 180_000);
