import { Role } from '../src/domain/auth/roles.js';
import { accountReviewPolicy, accountReviewWorkflowId, type AccountReviewPolicy } from '../src/domain/playbooks/account-review.js';
import { seconds } from '../src/domain/policies/duration.js';
import { AuditEntry, CostEntry, CostKind, Customer, Order, ScoreSnapshot, ServiceTier } from '../src/entities/index.js';
import { AccountReviewDocument, DecideOffboardingDocument, StartAccountReviewDocument } from './__generated__/graphql.js';
import { eventually } from './support/eventually.js';
import { spawnWorker, startTestStack, workerEnvOf, type TestStack } from './support/stack.js';

/**
 * A person's input goes to a run as a Temporal update. When no worker takes it in time (a
 * deploy, a crash, a busy worker), Temporal may still have admitted it, and the run takes it
 * once a worker polls again: the API cannot say "not taken". It answers UNAVAILABLE with
 * PLAYBOOK_OUTCOME_UNKNOWN and keeps the audit entry (marked `outcome: "unknown"`), and the same
 * request again joins that update and settles the entry.
 */
const policy: AccountReviewPolicy = { ...accountReviewPolicy, answerWaitMs: seconds(1), reviewAfterMs: seconds(1), approvalWaitMs: seconds(120), noticeMs: seconds(120) };

let stack: TestStack;
let worker: Awaited<ReturnType<typeof spawnWorker>> | null = null;
const workerEnv = () => workerEnvOf(stack, { MESSAGE_CHANNEL: 'off', RUN_RECONCILIATION_SCHEDULE: 'off' });
beforeAll(async () => {
  stack = await startTestStack({ worker: false, policies: { accountReview: policy } });
  worker = await spawnWorker(workerEnv());
}, 90_000);
afterAll(async () => {
  await worker?.stop();
  await stack?.stop();
});

const DAY = 86_400_000;

it('answers an offboarding decision Temporal did not confirm in time as UNAVAILABLE (outcome unknown) and keeps its audit entry; the run takes it later, and the same request again joins it with one entry', async () => {
  const em = stack.orm.em.fork();
  const c = em.create(Customer, { name: 'Nora', email: 'nora@example.com', acquiredAt: '2024-01-01', serviceTier: ServiceTier.Basic });
  for (let i = 1; i <= 4; i++) em.create(Order, { customer: c, orderedAt: new Date(Date.now() - i * 60 * DAY), amountMinor: 10_000, marginMinor: 2_500 });
  em.create(CostEntry, { customer: c, occurredAt: new Date(Date.now() - 30 * DAY).toISOString().slice(0, 10), kind: CostKind.SupportMinutes, amountMinor: 30_000 });
  em.create(ScoreSnapshot, { customer: c, computedAt: new Date(), scores: { profitability: { value: -14_000, band: 'loss-making', modelVersion: 'test', reasons: ['test'] } } });
  await em.flush();
  const customerId = c.id;
  const workflowId = accountReviewWorkflowId(customerId);
  const review = () => stack.gql(AccountReviewDocument, { customerId }, Role.Viewer).then((r) => r.data?.accountReview ?? null);
  const decide = (approve: boolean) => stack.gql(DecideOffboardingDocument, { customerId, approve, reason: 'still loss-making' }, Role.Admin);
  const decisionAudits = () => stack.orm.em.fork().find(AuditEntry, { entityId: workflowId, action: 'playbook.decide-offboarding' });
  expect((await stack.gql(StartAccountReviewDocument, { customerId }, Role.Operator)).errors).toBeUndefined();
  await eventually(review, (s) => s?.step === 'awaiting-approval', 45_000);

  // The worker goes away for a moment (a deploy); the admin decides meanwhile.
  await worker!.stop();
  worker = null;
  const decided = await decide(true);
  expect(decided.errors?.[0]).toMatchObject({
    message: expect.stringMatching(/may still take it\. Read the run's state before trying again/),
    extensions: { code: 'UNAVAILABLE', reason: 'PLAYBOOK_OUTCOME_UNKNOWN', workflowId, updateId: expect.stringMatching(/^playbook\.decide-offboarding\//) },
  });
  const updateId = decided.errors![0].extensions!.updateId;
  // The decision may be taken: its entry is kept, saying so.
  const [entry] = await decisionAudits();
  expect(entry.after).toEqual({ customerId, approve: true, reason: 'still loss-making', outcome: 'unknown', updateId });
  expect(entry.actor).toMatch(/^admin:/);
  // The same request again joins the same update (still not answered): no second entry.
  expect((await decide(true)).errors?.[0]?.extensions).toMatchObject({ reason: 'PLAYBOOK_OUTCOME_UNKNOWN', updateId });
  expect(await decisionAudits()).toHaveLength(1);

  // The worker is back: the run takes the decision Temporal admitted.
  worker = await spawnWorker(workerEnv());
  const after = await eventually(review, (s) => s?.step === 'offboarding', 30_000);
  expect(after).toMatchObject({ offboardingApproved: true, decidedBy: entry.actor, decisionReason: 'still loss-making' });
  await eventually(() => stack.orm.em.fork().findOneOrFail(Customer, { id: customerId }), (customer) => customer.status === 'offboarding');

  // Retried once more, the request joins the update the run took (not refused as a second decision) and settles the entry.
  const retried = await decide(true);
  expect(retried.errors).toBeUndefined();
  expect(retried.data!.decideOffboarding).toMatchObject({ offboardingApproved: true });
  expect((await decisionAudits()).map((a) => a.after)).toEqual([{ customerId, approve: true, reason: 'still loss-making', outcome: 'taken', updateId }]);
  // Another decision is a new one, which the run refuses: no entry.
  expect((await decide(false)).errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'PLAYBOOK_DECISION_REFUSED' });
  expect(await decisionAudits()).toHaveLength(1);
}, 120_000);
