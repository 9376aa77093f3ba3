import { defaultPolicies } from '../src/domain/policies/index.js';
import { Role } from '../src/domain/auth/roles.js';
import { accountReviewPolicy, accountReviewWorkflowId, type AccountReviewPolicy } from '../src/domain/playbooks/account-review.js';
import { seconds } from '../src/domain/policies/duration.js';
import { AuditEntry, Customer } from '../src/entities/index.js';
import { AccountReviewDocument, DecideOffboardingDocument, StartAccountReviewDocument } from './__generated__/graphql.js';
import { createServices } from '../src/services/index.js';
import { TemporalCampaignEngine } from '../src/temporal/temporal-campaign-engine.js';
import { TemporalPlaybookEngine } from '../src/temporal/temporal-playbook-engine.js';
import { TemporalScoringEngine } from '../src/temporal/temporal-scoring-engine.js';
import { lossMakingAccount } from './support/accounts.js';
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

/** A loss-making customer whose account review waits for the offboarding decision. */
async function reviewAwaitingApproval(name: string): Promise<{ customerId: string; workflowId: string }> {
  const customerId = await lossMakingAccount(stack.orm.em.fork(), name);
  expect((await stack.gql(StartAccountReviewDocument, { customerId }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => stack.gql(AccountReviewDocument, { customerId }, Role.Viewer), (r) => r.data?.accountReview?.step === 'awaiting-approval', 45_000);
  return { customerId, workflowId: accountReviewWorkflowId(customerId) };
}

/** The run reconciliation's settling of updates of unknown outcome, for entries of any age. */
function settleUnknownUpdates(): Promise<string[]> {
  const { client } = stack.temporal;
  const { taskQueue } = stack.config.temporal;
  const engines = { playbooks: new TemporalPlaybookEngine(client, taskQueue), scoring: new TemporalScoringEngine(client, taskQueue), campaigns: new TemporalCampaignEngine(client, taskQueue) };
  return createServices(stack.orm.em.fork(), engines, defaultPolicies).runReconciliation.settleUnsettledCalls(0);
}

it('settles a decision of unknown outcome nobody retried, as the engine tells: pending while no worker takes it, taken once the run took it; one that never reached the engine as not taken', async () => {
  const { customerId, workflowId } = await reviewAwaitingApproval('Otto');
  const decisionAudits = () => stack.orm.em.fork().find(AuditEntry, { entityId: workflowId, action: 'playbook.decide-offboarding' }, { orderBy: { at: 'asc' } });
  await worker!.stop();
  worker = null;
  const decided = await stack.gql(DecideOffboardingDocument, { customerId, approve: true, reason: 'no cheaper tier fits' }, Role.Admin);
  expect(decided.errors?.[0]?.extensions).toMatchObject({ reason: 'PLAYBOOK_OUTCOME_UNKNOWN' });
  const updateId = decided.errors![0].extensions!.updateId as string;
  // A request that gave up before it reached the engine: its update ID is unknown there.
  const lost = stack.orm.em.fork();
  lost.create(AuditEntry, { actor: 'admin:lost', action: 'playbook.decide-offboarding', entityType: 'playbook_run', entityId: workflowId, after: { customerId, approve: false, reason: 'lost', outcome: 'unknown', updateId: 'playbook.decide-offboarding/never-sent' }, at: new Date(Date.now() - 60_000) });
  await lost.flush();

  // No worker: the decision waits in the engine, its entry stays unknown; the lost one is settled as not taken.
  expect(await settleUnknownUpdates()).toEqual([workflowId]);
  expect((await decisionAudits()).map((a) => [a.actor, a.after?.outcome])).toEqual([
    ['admin:lost', 'not-taken'],
    [expect.stringMatching(/^admin:/), 'unknown'],
  ]);

  // The worker is back and the run takes the decision: the next pass settles its entry, nobody having retried.
  worker = await spawnWorker(workerEnv());
  // (Taken once the run has answered it: while its handler runs, it is still pending.)
  expect(await eventually(settleUnknownUpdates, (settled) => settled.length > 0, 30_000)).toEqual([workflowId]);
  expect((await decisionAudits()).map((a) => a.after)).toEqual([
    { customerId, approve: false, reason: 'lost', outcome: 'not-taken', updateId: 'playbook.decide-offboarding/never-sent' },
    { customerId, approve: true, reason: 'no cheaper tier fits', outcome: 'taken', updateId },
  ]);
  // Settled once: a later pass has nothing to do.
  expect(await settleUnknownUpdates()).toEqual([]);
}, 120_000);

it('answers an offboarding decision Temporal did not confirm in time as UNAVAILABLE (outcome unknown) and keeps its audit entry; the run takes it later, and the same request again joins it with one entry', async () => {
  const customerId = await lossMakingAccount(stack.orm.em.fork(), 'Nora');
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
  // Another decision is a new one, which the run refuses: its own entry, marked refused with the answer the admin got.
  const another = (await decide(false)).errors?.[0];
  expect(another?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'PLAYBOOK_DECISION_REFUSED' });
  expect((await decisionAudits()).map((a) => a.after)).toEqual(
    expect.arrayContaining([
      { customerId, approve: true, reason: 'still loss-making', outcome: 'taken', updateId },
      { customerId, approve: false, reason: 'still loss-making', outcome: 'not-taken', refused: another!.message },
    ]),
  );
  expect(await decisionAudits()).toHaveLength(2);
}, 120_000);
