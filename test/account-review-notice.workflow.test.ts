import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Role } from '../src/domain/auth/roles.js';
import { accountReviewWorkflowId, type AccountReviewState } from '../src/domain/playbooks/account-review.js';
import { seconds } from '../src/domain/policies/duration.js';
import { PlaybookException, PlaybookExceptionCode } from '../src/services/playbooks/playbook.exception.js';
import { AuditEntry, Complaint, ComplaintSeverity, Customer, CustomerExport, CustomerStatus, MessageChannel, OutboxMessage } from '../src/entities/index.js';
import { TemporalPlaybookEngine } from '../src/temporal/temporal-playbook-engine.js';
import type { accountReview } from '../workflows/index.js';
import { AccountReviewDocument, AnswerAccountProposalDocument, DecideOffboardingDocument, StartAccountReviewDocument } from './__generated__/graphql.js';
import { eventually } from './support/eventually.js';
import { recordHistory } from './support/histories.js';
import { lossMakingAccount, shortNoticePolicy } from './support/loss-making-account.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * The end of an account review's offboarding notice, on the real Temporal dev server with the waits shortened to
 * seconds: nobody is offboarded whom the notice did not reach (QA 64 F3). Delivery is off: the test says what
 * happened to each notice. And a decision that comes as the approval wait ends, or as the run is cancelled (QA 64 F5).
 */
const policy = shortNoticePolicy;

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ policies: { accountReview: policy }, workerSettings: { MESSAGE_CHANNEL: 'off' } });
}, 90_000);
afterAll(() => stack?.stop());

const account = (name: string, opts: Parameters<typeof lossMakingAccount>[2] = {}) => lossMakingAccount(stack, name, opts);

const review = (customerId: string) => stack.gql(AccountReviewDocument, { customerId }, Role.Viewer).then((r) => r.data?.accountReview ?? null);
const message = (workflowId: string, step: string) => stack.orm.em.fork().findOne(OutboxMessage, { idempotencyKey: `${workflowId}/${step}` });

/** A review through the API up to an admin's approval: the notice is written (not sent: delivery is off). */
async function approved(name: string) {
  const customerId = await account(name);
  const workflowId = accountReviewWorkflowId(customerId);
  expect((await stack.gql(StartAccountReviewDocument, { customerId }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => review(customerId), (s) => s?.step === 'awaiting-answer');
  expect((await stack.gql(AnswerAccountProposalDocument, { customerId, accepted: false }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => review(customerId), (s) => s?.step === 'awaiting-approval');
  expect((await stack.gql(DecideOffboardingDocument, { customerId, approve: true, reason: 'still loss-making' }, Role.Admin)).errors).toBeUndefined();
  const notice = await eventually(() => message(workflowId, 'notice'), (m) => m !== null);
  return { customerId, workflowId, notice: notice! };
}

it('does not offboard a customer whose notice the mail server refused for good: the offboarding is withdrawn, the notice held back, the team told (QA 64 F3)', async () => {
  const { customerId, workflowId, notice } = await approved('Dave');
  // The approver's same decision again (its response lost on the way): answered with the run as the first was, nothing recorded again.
  const repeated = await stack.gql(DecideOffboardingDocument, { customerId, approve: true, reason: 'still loss-making' }, Role.Admin);
  expect(repeated.errors).toBeUndefined();
  expect(repeated.data!.decideOffboarding).toMatchObject({ offboardingApproved: true });
  expect(await stack.orm.em.fork().count(AuditEntry, { action: 'playbook.decide-offboarding', entityId: workflowId })).toBe(1);
  // As delivery records a permanent refusal (550): tried no more, waiting for a person in the undeliverable queue.
  await stack.orm.em.fork().nativeUpdate(OutboxMessage, { id: notice.id }, { attempts: 1, lastError: '550 5.1.1 mailbox unknown', refusedAt: new Date() });
  const done = await eventually(() => review(customerId), (s) => s?.step === 'done', 30_000);
  expect(done).toMatchObject({ outcome: 'kept-notice-undelivered', status: 'Completed', offboardingApproved: true });
  expect(await stack.orm.em.fork().findOneOrFail(Customer, { id: customerId })).toMatchObject({ status: CustomerStatus.Active, offboardedAt: null });
  expect(await stack.orm.em.fork().count(CustomerExport, { workflowId })).toBe(0);
  // Held back with the withdrawal, so a retry in the undeliverable queue cannot announce an offboarding that no longer stands.
  for (const step of ['notice', 'switch-help']) expect(await message(workflowId, step)).toMatchObject({ sentAt: null, suppressedReason: expect.stringMatching(/^offboarding-withdrawn/) });
  // The team that owns customer relationships (the policy's default) is to reach them: the task is theirs, not no one's.
  expect(await message(workflowId, 'notice-undelivered')).toMatchObject({ channel: MessageChannel.Call, template: 'offboarding-notice-undelivered', payload: { undelivered: 'refused', owner: 'account-management' } });
  for (const step of ['final-invoice', 'data-export']) expect(await message(workflowId, step)).toBeNull();
  const withdrawn = await stack.orm.em.fork().find(AuditEntry, { entityId: customerId, action: 'customer.offboarding-withdrawn' });
  expect(withdrawn.map((a) => [a.actor, a.after])).toEqual([[`playbook:${workflowId}`, { status: 'active', workflowId, reason: 'the offboarding notice never reached the customer (refused)' }]]);
  await recordHistory(workflowId, 'account-review-notice-undelivered');
}, 90_000);

it('waits for a notice still queued at the end of the notice, and offboards a full notice after it went out (QA 64 F3)', async () => {
  const { customerId, workflowId, notice } = await approved('Ella');
  // The notice has run its time, but the message has not gone out: the run waits for it.
  await new Promise((r) => setTimeout(r, policy.noticeMs + seconds(1)));
  expect(await review(customerId)).toMatchObject({ step: 'offboarding', status: 'Running' });
  expect(await stack.orm.em.fork().findOneOrFail(Customer, { id: customerId })).toMatchObject({ status: CustomerStatus.Offboarding });
  const sentAt = new Date();
  await stack.orm.em.fork().nativeUpdate(OutboxMessage, { id: notice.id }, { sentAt, attempts: 1 });
  expect(await eventually(() => review(customerId), (s) => s?.step === 'done', 30_000)).toMatchObject({ outcome: 'offboarded' });
  // The notice ran from when it went out.
  const customer = await stack.orm.em.fork().findOneOrFail(Customer, { id: customerId });
  expect(customer.status).toBe(CustomerStatus.Offboarded);
  expect(customer.offboardedAt!.getTime()).toBeGreaterThanOrEqual(sentAt.getTime() + policy.noticeMs - 50);
  expect(await message(workflowId, 'data-export')).not.toBeNull();
  await recordHistory(workflowId, 'account-review-offboarded-after-notice-sent');
}, 90_000);

it('does not offboard when the notice is still not sent after the wait for it: withdrawn, the team told (QA 64 F3)', async () => {
  const { customerId, workflowId } = await approved('Finn');
  const done = await eventually(() => review(customerId), (s) => s?.step === 'done', 30_000);
  expect(done).toMatchObject({ outcome: 'kept-notice-undelivered' });
  expect(await stack.orm.em.fork().findOneOrFail(Customer, { id: customerId })).toMatchObject({ status: CustomerStatus.Active });
  expect(await message(workflowId, 'notice-undelivered')).toMatchObject({ payload: { undelivered: 'not-sent' } });
  expect(await message(workflowId, 'notice')).toMatchObject({ sentAt: null, suppressedReason: expect.stringMatching(/^offboarding-withdrawn/) });
}, 90_000);

/** A review started in the engine whose approval wait is short, at that wait; and an audit entry of an API decision on it (for its reasonEntry). */
async function awaitingApproval(name: string, approvalWaitMs: number) {
  const customerId = await account(name);
  const workflowId = accountReviewWorkflowId(customerId);
  const handle = await stack.temporal.client.workflow.start<typeof accountReview>('accountReview', {
    workflowId,
    taskQueue: stack.config.temporal.taskQueue,
    args: [{ customerId, policy: { ...policy, answerWaitMs: seconds(1), approvalWaitMs } }],
  });
  const state = await eventually(() => handle.query<AccountReviewState>('state'), (s) => s.step === 'awaiting-approval');
  const em = stack.orm.em.fork();
  const decidedBy = 'admin:d7d46ede';
  const entry = em.create(AuditEntry, { actor: decidedBy, action: 'playbook.decide-offboarding', entityType: 'playbook_run', entityId: workflowId, after: { customerId, approve: true, reason: 'still loss-making' } });
  await em.flush();
  return { customerId, workflowId, handle, deadline: Date.parse(state.deadline!), decision: { approve: true, decidedBy, reasonEntry: entry.id } };
}

/** A transaction holding `table` so that nothing reads or writes it until `release`. */
async function locked(table: 'audit_entry' | 'playbook_run') {
  const client = new pg.Client(stack.config.databaseUrl);
  await client.connect();
  await client.query('begin');
  await client.query(`lock table ${table} in access exclusive mode`);
  return { release: async () => (await client.query('commit'), await client.end()) };
}

it('refuses a decision the run was still checking when its approval wait ran out: not taken for a run that ends kept-no-decision (QA 64 F5)', async () => {
  const { workflowId, handle, deadline, decision } = await awaitingApproval('Gus', seconds(4));
  // The decision's check (its reasonEntry) waits for the audit log; the run's record of its outcome for its record.
  const auditLog = await locked('audit_entry');
  const runRecord = await locked('playbook_run');
  const decided = handle.executeUpdate('decideOffboarding', { args: [decision] }).then(
    (state) => ({ state }),
    (error: unknown) => ({ error }),
  );
  // The wait runs out while the decision is being checked; the run goes on to end without a decision (its record held):
  // waited for until the run has taken the wait's end, recording its outcome (a fixed second past the deadline was not
  // always enough on a loaded machine for its timer to fire and its task to run).
  await new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())));
  await eventually(() => handle.describe(), (d) => (d.raw.pendingActivities ?? []).some((a) => a.activityType?.name === 'recordRunOutcome'), 30_000);
  // The check ends before the run has recorded its end: the wait is over, so the decision is refused (its answer awaited
  // before the run's record is let go, rather than for a fixed second).
  await auditLog.release();
  const answer = await decided;
  await runRecord.release();
  expect(answer).toMatchObject({ error: { cause: { message: 'the wait for an offboarding decision has ended without one: the account stays' } } });
  expect(await handle.result()).toBe('kept-no-decision');
  expect(await handle.query<AccountReviewState>('state')).toMatchObject({ step: 'done', outcome: 'kept-no-decision', decision: null });
  await recordHistory(workflowId, 'account-review-decision-after-wait-refused');
}, 90_000);

it('tells a decision the run was still checking as the review was cancelled that the run ended, not that it was taken (QA 64 F5)', async () => {
  const { workflowId, handle, decision } = await awaitingApproval('Hal', seconds(60));
  const auditLog = await locked('audit_entry');
  const engine = new TemporalPlaybookEngine(stack.temporal.client, stack.config.temporal.taskQueue);
  const decided = engine.decideOffboarding(workflowId, decision, `playbook.decide-offboarding/${randomUUID()}`).then(
    (state) => ({ state }),
    (error: unknown) => ({ error }),
  );
  // The update is under way in the run (its check waits for the audit log) when the cancel comes.
  await eventually(() => handle.fetchHistory(), (h) => (h.events ?? []).some((e) => e.workflowExecutionUpdateAcceptedEventAttributes));
  await handle.cancel();
  // The run took the cancel: it winds down (withdrawing an offboarding it may have begun).
  await eventually(() => handle.fetchHistory(), (h) => (h.events ?? []).some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'withdrawOffboarding')).finally(() => auditLog.release());
  const answer = await decided;
  expect((answer as { error: unknown }).error).toBeInstanceOf(PlaybookException);
  expect((answer as { error: PlaybookException }).error.code).toBe(PlaybookExceptionCode.RunAlreadyFinished);
  await expect(handle.result()).rejects.toThrow();
  expect(await handle.query<AccountReviewState>('state')).toMatchObject({ decision: null });
  await recordHistory(workflowId, 'account-review-decision-as-cancelled-refused');
}, 90_000);

it("refuses an API decision that meets a complaint recorded after the API's check: the run checks the approval itself, nobody is under notice", async () => {
  const { customerId, workflowId, handle, decision } = await awaitingApproval('Ivo', seconds(60));
  // The API found nothing open; the complaint comes before its decision reaches the run.
  const em = stack.orm.em.fork();
  em.create(Complaint, { customer: em.getReference(Customer, customerId), topic: 'delivery', severity: ComplaintSeverity.High, openedAt: new Date() });
  await em.flush();
  const engine = new TemporalPlaybookEngine(stack.temporal.client, stack.config.temporal.taskQueue);
  const answer = await engine.decideOffboarding(workflowId, decision, `playbook.decide-offboarding/${randomUUID()}`).then(
    (state) => ({ state }),
    (error: unknown) => ({ error }),
  );
  expect(answer).toMatchObject({ error: { code: PlaybookExceptionCode.DecisionRefused, message: expect.stringMatching(/the offboarding is not approved \(complaint-open\): complaint open: delivery/) } });
  expect(await handle.query<AccountReviewState>('state')).toMatchObject({ step: 'awaiting-approval', decision: null });
  expect(await stack.orm.em.fork().findOneOrFail(Customer, { id: customerId })).toMatchObject({ status: CustomerStatus.Active });
  expect(await message(workflowId, 'notice')).toBeNull();
  await handle.cancel();
}, 90_000);
