import { Role } from '../src/domain/auth/roles.js';
import { accountReviewWorkflowId, type AccountReviewPolicy } from '../src/domain/playbooks/account-review.js';
import { minutes } from '../src/domain/policies/duration.js';
import { AuditEntry, Customer, CustomerExport, CustomerStatus, MessageChannel, OutboxMessage } from '../src/entities/index.js';
import { AccountReviewDocument, AnswerAccountProposalDocument, CustomerTimelineDocument, CancelPlaybookRunDocument, DecideOffboardingDocument, EndOffboardingNoticeDocument, EraseCustomerDocument, StartAccountReviewDocument } from './__generated__/graphql.js';
import { NOTICE_ENDED_EARLY } from '../src/domain/messages/catalogue.js';
import { renderMessage } from '../src/domain/messages/templates.js';
import { RUN_CANCELLED } from '../src/domain/playbooks/run-status.js';
import { defaultPolicies } from '../src/domain/policies/index.js';
import { promisePolicyOf } from '../src/domain/playbooks/fair-reminder.js';
import { AuditService } from '../src/services/audit/audit.service.js';
import { OutboxService } from '../src/services/outbox/outbox.service.js';
import { PlaybookRunService } from '../src/services/playbooks/playbook-run.service.js';
import { AccountReviewSteps } from '../src/services/playbooks/steps/account-review-steps.service.js';
import { WorkflowUpdateStage } from '@temporalio/client';
import proto from '@temporalio/proto';
import { zoneAtTwoInTheMorning } from './support/time-zones.js';
import { eventually } from './support/eventually.js';
import { recordHistory } from './support/histories.js';
import { lossMakingAccount, shortNoticePolicy } from './support/loss-making-account.js';
import { startTestStack, type TestStack } from './support/stack.js';
import { temporalOperator } from './support/temporal-operator.js';

const { PendingActivityState } = proto.temporal.api.enums.v1;

/**
 * A customer under offboarding notice who asks to be erased (or to leave at once) leaves now: an admin ends the notice
 * early, the review carries the offboarding out as at the notice's end (offboarded, the billing team's final-invoice task,
 * the data export), never telling them the contract continues, and the customer may be erased right after. On the real
 * Temporal dev server; the notice is long (an hour), so only its early end can end it within the test.
 */
const policy: AccountReviewPolicy = { ...shortNoticePolicy, noticeMs: minutes(60) };

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ policies: { accountReview: policy }, workerSettings: { MESSAGE_CHANNEL: 'off' } });
}, 90_000);
afterAll(() => stack?.stop());

const review = (customerId: string) => stack.gql(AccountReviewDocument, { customerId }, Role.Viewer).then((r) => r.data?.accountReview ?? null);
const message = (workflowId: string, step: string) => stack.orm.em.fork().findOne(OutboxMessage, { idempotencyKey: `${workflowId}/${step}` });
const customer = (customerId: string) => stack.orm.em.fork().findOneOrFail(Customer, { id: customerId });
const entries = (entityId: string, action: string) => stack.orm.em.fork().find(AuditEntry, { entityId, action }, { orderBy: { at: 'asc', id: 'asc' } });

/** A review through the API up to the customer's answer (declined): step awaiting-answer, then awaiting-approval once answered. */
async function answered(name: string) {
  const customerId = await lossMakingAccount(stack, name);
  expect((await stack.gql(StartAccountReviewDocument, { customerId }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => review(customerId), (s) => s?.step === 'awaiting-answer');
  return customerId;
}

/** A review approved by an admin, its notice running (an hour); the customer where it is `timeZone` from the approval on, when given. */
async function inNotice(name: string, timeZone?: string) {
  const customerId = await answered(name);
  const workflowId = accountReviewWorkflowId(customerId);
  expect((await stack.gql(AnswerAccountProposalDocument, { customerId, accepted: false }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => review(customerId), (s) => s?.step === 'awaiting-approval');
  if (timeZone) await stack.orm.em.fork().nativeUpdate(Customer, { id: customerId }, { timeZone });
  expect((await stack.gql(DecideOffboardingDocument, { customerId, approve: true, reason: 'still loss-making' }, Role.Admin)).errors).toBeUndefined();
  await eventually(() => message(workflowId, 'switch-help'), (m) => m !== null);
  expect(await review(customerId)).toMatchObject({ step: 'offboarding', status: 'Running', offboardingApproved: true, noticeEndedBy: null });
  expect(await customer(customerId)).toMatchObject({ status: CustomerStatus.Offboarding });
  return { customerId, workflowId };
}

it('ends the notice early for a customer who asked to be erased: offboarded now, the final invoice task written, no "contract continues" message, audited; then the erasure succeeds', async () => {
  const { customerId, workflowId } = await inNotice('Grace');
  // The erasure request meets the notice: refused, its message naming the way (not a cancel, which would withdraw the offboarding).
  const refused = await stack.gql(EraseCustomerDocument, { id: customerId, reason: 'GDPR Art. 17 request ticket 42' }, Role.Admin);
  expect(refused.errors![0].extensions).toMatchObject({ reason: 'CUSTOMER_PLAYBOOKS_RUNNING', workflowIds: [workflowId], offboardingNotice: [workflowId] });
  expect(refused.errors![0].message).toMatch(/is in its offboarding notice: end it early with endOffboardingNotice/);

  const startedAt = Date.now();
  const ended = await stack.gql(EndOffboardingNoticeDocument, { customerId, reason: 'Grace asked for erasure (ticket 42)' }, Role.Admin);
  expect(ended.errors).toBeUndefined();
  // Answered once the run has ended: offboarded, long before the notice's hour.
  expect(ended.data!.endOffboardingNotice).toMatchObject({ status: 'Completed', step: 'done', outcome: 'offboarded', offboardingApproved: true, offboardingWithdrawn: false, noticeEndedBy: expect.stringMatching(/^admin:/) });
  expect(Date.now() - startedAt).toBeLessThan(minutes(1));
  expect(await customer(customerId)).toMatchObject({ status: CustomerStatus.Offboarded });
  // What the notice's end does: the billing team's task for the final invoice, the data export; nothing tells them the contract continues.
  // Billed up to today, the day the notice was ended, not the day it named.
  expect(await message(workflowId, 'final-invoice')).toMatchObject({ channel: MessageChannel.Call, template: 'offboarding-final-invoice', payload: { endedEarlyOn: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) } });
  expect((await message(workflowId, 'final-invoice'))!.payload).not.toHaveProperty('closedOn');
  expect(await message(workflowId, 'data-export')).toMatchObject({ template: 'offboarding-data-export' });
  expect(await stack.orm.em.fork().count(CustomerExport, { workflowId })).toBe(1);
  expect(await message(workflowId, 'offboarding-withdrawn')).toBeNull();
  expect(await stack.orm.em.fork().count(OutboxMessage, { customer: customerId, template: 'offboarding-withdrawn' })).toBe(0);
  expect(await entries(customerId, 'customer.offboarding-withdrawn')).toEqual([]);
  // Audited: who ended the notice and why (taken), and the offboarding under them, naming that entry.
  const [request] = await entries(workflowId, 'playbook.end-offboarding-notice');
  expect(request).toMatchObject({ actor: expect.stringMatching(/^admin:/), after: { customerId, reason: 'Grace asked for erasure (ticket 42)' } });
  expect((request.after as { outcome?: string }).outcome ?? 'taken').toBe('taken');
  const [offboarded] = await entries(customerId, 'customer.offboarded');
  expect(offboarded).toMatchObject({ actor: request.actor, after: { status: 'offboarded', noticeEndedEarly: { workflowId, requestEntry: request.id } } });
  // The run's kept state says who ended it (its reason stays in the audit log).
  expect((await review(customerId))!.noticeEndedBy).toBe(request.actor);
  // The customer's story says the notice was ended early, not that it ran its course.
  const finished = await stack.gql(CustomerTimelineDocument, { id: customerId, first: 5, kinds: ['PlaybookFinished'] }, Role.Viewer);
  expect(finished.data!.customer!.timeline.edges.map((e) => e.node.summary)).toEqual(['Account review ended: offboarded (the notice ended early: the customer left at once)']);

  // The billing team's task goes out first: until then the erasure, which would hold it back, waits (this stack delivers nothing: sent here by hand).
  const early = await stack.gql(EraseCustomerDocument, { id: customerId, reason: 'GDPR Art. 17 request ticket 42' }, Role.Admin);
  expect(early.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'CUSTOMER_BILLING_TASKS_PENDING' });
  await stack.orm.em.fork().nativeUpdate(OutboxMessage, { idempotencyKey: `${workflowId}/final-invoice` }, { sentAt: new Date() });
  const erased = await stack.gql(EraseCustomerDocument, { id: customerId, reason: 'GDPR Art. 17 request ticket 42' }, Role.Admin);
  expect(erased.errors).toBeUndefined();
  expect(await customer(customerId)).toMatchObject({ status: CustomerStatus.Erased });
  // The reason given for ending the notice is a person's words about them: the erasure takes out the words that name them.
  expect((await entries(workflowId, 'playbook.end-offboarding-notice'))[0].after).toMatchObject({ reason: '[erased] asked for erasure (ticket 42)' });
  await recordHistory(workflowId, 'account-review-notice-ended-early');
}, 120_000);

it('refuses to end a notice the review is not in (PLAYBOOK_DECISION_REFUSED, not-in-notice), unaudited, and to a role other than admin (FORBIDDEN)', async () => {
  const customerId = await answered('Hugo');
  const workflowId = accountReviewWorkflowId(customerId);
  const refused = await stack.gql(EndOffboardingNoticeDocument, { customerId, reason: 'customer asked to leave' }, Role.Admin);
  expect(refused.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'PLAYBOOK_DECISION_REFUSED', refused: 'not-in-notice', step: 'awaiting-answer' });
  expect(await entries(workflowId, 'playbook.end-offboarding-notice')).toEqual([]);
  // Typed in the Temporal UI, the run refuses it too (its validator): nothing in its history.
  const handle = temporalOperator(stack).workflow.getHandle(workflowId);
  await expect(handle.executeUpdate('endOffboardingNotice', { args: [{ endedBy: 'ops-anna', reason: 'asked to leave' }] })).rejects.toMatchObject({
    cause: { message: 'the review is at step "awaiting-answer", not in an offboarding notice: there is no notice to end' },
  });
  expect(await review(customerId)).toMatchObject({ step: 'awaiting-answer', status: 'Running', noticeEndedBy: null });

  const { customerId: underNotice } = await inNotice('Ines');
  expect((await stack.gql(EndOffboardingNoticeDocument, { customerId: underNotice, reason: 'asked to leave' }, Role.Operator)).errors![0].extensions!.code).toBe('FORBIDDEN');
  expect(await review(underNotice)).toMatchObject({ step: 'offboarding', status: 'Running', noticeEndedBy: null });
  expect(await customer(underNotice)).toMatchObject({ status: CustomerStatus.Offboarding });
}, 120_000);

it('ends the notice early when typed in the Temporal UI or CLI, audited under who sent it; a decider named as an API caller is refused', async () => {
  const { customerId, workflowId } = await inNotice('Jana');
  const handle = temporalOperator(stack).workflow.getHandle(workflowId);
  await expect(handle.executeUpdate('endOffboardingNotice', { args: [{ endedBy: 'admin:d7d46ede', reason: 'asked to leave' }] })).rejects.toMatchObject({
    cause: { message: expect.stringMatching(/^endedBy must name the person who ends the notice, without a colon/) },
  });
  const state = await handle.executeUpdate<{ step: string; outcome: string; noticeEnded: unknown }, [unknown]>('endOffboardingNotice', { args: [{ endedBy: 'ops-anna', reason: 'the customer asked to leave at once' }] });
  expect(state).toMatchObject({ step: 'done', outcome: 'offboarded', noticeEnded: { endedBy: 'ops-anna' } });
  expect(await customer(customerId)).toMatchObject({ status: CustomerStatus.Offboarded });
  expect(await message(workflowId, 'final-invoice')).not.toBeNull();
  expect(await message(workflowId, 'offboarding-withdrawn')).toBeNull();
  const [typed] = await eventually(
    () => entries(workflowId, 'playbook.update-in-engine'),
    (found) => found.length === 1 && (found[0].after as { outcome?: string }).outcome !== 'pending',
  );
  expect(typed).toMatchObject({ actor: 'temporal:ops@example.com', after: { update: 'endOffboardingNotice', input: [{ endedBy: 'ops-anna', reason: 'the customer asked to leave at once' }] } });
  expect((await entries(customerId, 'customer.offboarded'))[0]).toMatchObject({ actor: 'ops-anna', after: { status: 'offboarded', noticeEndedEarly: { workflowId } } });
  await recordHistory(workflowId, 'account-review-notice-ended-early-in-engine');
}, 120_000);

it("answers a retry of a request whose outcome nobody knew with the run it ended, its entry settled taken, not refused as ended", async () => {
  const { customerId, workflowId } = await inNotice('Kira');
  const [decision] = await entries(workflowId, 'playbook.decide-offboarding');
  const admin = decision.actor;
  // The first call reached the run, which ended the notice, but its answer never came back (PLAYBOOK_OUTCOME_UNKNOWN): its entry says so.
  const em = stack.orm.em.fork();
  const first = em.create(AuditEntry, { actor: admin, action: 'playbook.end-offboarding-notice', entityType: 'playbook_run', entityId: workflowId, after: { customerId, reason: 'asked to go', outcome: 'unknown', updateId: 'playbook.end-offboarding-notice/first' } });
  await em.flush();
  await stack.temporal.client.workflow.getHandle(workflowId).executeUpdate('endOffboardingNotice', { args: [{ endedBy: admin, reasonEntry: first.id }], updateId: 'playbook.end-offboarding-notice/first' });
  expect(await review(customerId)).toMatchObject({ status: 'Completed', outcome: 'offboarded', noticeEndedBy: admin });
  // The caller tries again: the run took it.
  const again = await stack.gql(EndOffboardingNoticeDocument, { customerId, reason: 'asked to go' }, Role.Admin);
  expect(again.errors).toBeUndefined();
  expect(again.data!.endOffboardingNotice).toMatchObject({ status: 'Completed', outcome: 'offboarded', noticeEndedBy: admin });
  expect(await entries(workflowId, 'playbook.end-offboarding-notice')).toEqual([expect.objectContaining({ id: first.id, after: expect.objectContaining({ outcome: 'taken' }) })]);
  // Another request (another reason) is no retry of it: refused, the run has ended.
  const other = await stack.gql(EndOffboardingNoticeDocument, { customerId, reason: 'asked to go again' }, Role.Admin);
  expect(other.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'PLAYBOOK_RUN_ALREADY_FINISHED' });
}, 120_000);

it('tells a second request while the first is being carried out that the notice was already ended early, and by whom', async () => {
  const { customerId } = await inNotice('Lia');
  // The customer's row held (as by an import) keeps the run at carrying the offboarding out, its notice already ended.
  const held = await rowHeld('select 1 from customer where id = ? for update', customerId);
  const first = stack.gql(EndOffboardingNoticeDocument, { customerId, reason: 'asked to be erased' }, Role.Admin);
  try {
    await eventually(() => review(customerId), (s) => s?.noticeEndedBy != null, 20_000);
    const second = await stack.gql(EndOffboardingNoticeDocument, { customerId, reason: 'asked to leave, says a colleague' }, Role.Admin);
    expect(second.errors![0]).toMatchObject({
      message: expect.stringMatching(/cannot be ended early: its notice was already ended early \(by admin:/),
      extensions: { code: 'CONFLICT', reason: 'PLAYBOOK_DECISION_REFUSED', refused: 'notice-already-ended', endedBy: expect.stringMatching(/^admin:/) },
    });
  } finally {
    await held.release();
  }
  expect((await first).errors).toBeUndefined();
  expect(await customer(customerId)).toMatchObject({ status: CustomerStatus.Offboarded });
}, 120_000);

it("holds back the notice and help to switch still queued for the customer's quiet hours when the notice is ended early: the data export's message says the contract ended today", async () => {
  const { customerId, workflowId } = await inNotice('Lena', zoneAtTwoInTheMorning(new Date()));
  // Still queued, as for the customer's night (delivery holds it until 08:00 their time; this stack delivers nothing): they have not read that the contract ends in two months.
  for (const step of ['notice', 'switch-help']) expect(await message(workflowId, step)).toMatchObject({ sentAt: null, suppressedAt: null });
  expect((await stack.gql(EndOffboardingNoticeDocument, { customerId, reason: 'Lena asked to leave at once' }, Role.Admin)).errors).toBeUndefined();
  expect(await customer(customerId)).toMatchObject({ status: CustomerStatus.Offboarded });
  // Neither goes out the next morning to tell an offboarded customer of a later end, nor a final invoice up to it.
  for (const step of ['notice', 'switch-help']) expect(await message(workflowId, step)).toMatchObject({ sentAt: null, suppressedAt: expect.any(Date), suppressedReason: NOTICE_ENDED_EARLY });
  expect(NOTICE_ENDED_EARLY).toMatch(/^notice-ended-early: /);
  // What they are told instead: the contract ended today, the final invoice covers up to today (no day of a notice they never read).
  const exported = (await message(workflowId, 'data-export'))!;
  const { endedEarlyOn } = (await message(workflowId, 'final-invoice'))!.payload as { endedEarlyOn: string };
  expect(exported).toMatchObject({ sentAt: null, suppressedAt: null, payload: { endedEarlyOn } });
  expect(exported.payload).not.toHaveProperty('noticeEndsOn');
  expect(renderMessage('offboarding-data-export', 'Lena', exported.payload, 'en', 'EUR').text).toMatch(/our contract has ended today, .*\. Your final invoice covers our service up to /);
}, 120_000);

it('tells a customer whom the notice reached that the contract ended early, before the day it named, in the data export\'s message', async () => {
  const { customerId, workflowId } = await inNotice('Mona');
  // The notice went out (this stack delivers nothing: marked sent by hand); the help to switch is still queued.
  await stack.orm.em.fork().nativeUpdate(OutboxMessage, { idempotencyKey: `${workflowId}/notice` }, { sentAt: new Date() });
  expect((await stack.gql(EndOffboardingNoticeDocument, { customerId, reason: 'Mona asked to be erased' }, Role.Admin)).errors).toBeUndefined();
  expect(await message(workflowId, 'notice')).toMatchObject({ sentAt: expect.any(Date), suppressedAt: null });
  expect(await message(workflowId, 'switch-help')).toMatchObject({ sentAt: null, suppressedReason: NOTICE_ENDED_EARLY });
  const { noticeEndsOn } = (await message(workflowId, 'notice'))!.payload as { noticeEndsOn: string };
  const exported = (await message(workflowId, 'data-export'))!;
  expect(exported.payload).toMatchObject({ endedEarlyOn: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), noticeEndsOn });
  expect(renderMessage('offboarding-data-export', 'Mona', exported.payload, 'en', 'EUR')).toMatchObject({ subject: 'Our contract has ended: your data', text: expect.stringMatching(/has ended today, .*, earlier than the .* our notice named/) });
}, 120_000);

/** The account review's completion step, as the worker takes it, for a run still in its notice: the state between the offboarding carried out and the run recording its end. */
function completionStep() {
  return new AccountReviewSteps(stack.orm.em.fork(), undefined as never, new OutboxService(), new AuditService(), undefined as never, 'EUR', 2, 'account-management');
}

it('refuses a cancel that comes after the offboarding was carried out (the run recording its end): the final invoice and data export stay queued, and the run ends offboarded', async () => {
  const { customerId, workflowId } = await inNotice('Nora');
  // The notice is ended early and the completion commits; the run has not recorded its end yet when the cancel comes.
  expect(await completionStep().completeOffboarding({ workflowId, customerId, decision: { approve: true, decidedBy: 'admin:test' }, noticeEnded: { endedBy: 'admin:test', at: new Date().toISOString() } })).toBe('offboarded');
  const cancel = await stack.gql(CancelPlaybookRunDocument, { workflowId, reason: 'operator cleanup' }, Role.Operator);
  expect(cancel.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'PLAYBOOK_RUN_ALREADY_FINISHED', offboarded: true });
  expect(await entries(workflowId, 'playbook.cancel')).toEqual([]);
  for (const step of ['final-invoice', 'data-export']) expect(await message(workflowId, step)).toMatchObject({ sentAt: null, suppressedAt: null });
  // The run goes on to its end, offboarded: the admin's end of the notice is answered as taken.
  const ended = await stack.gql(EndOffboardingNoticeDocument, { customerId, reason: 'Nora asked to leave' }, Role.Admin);
  expect(ended.errors).toBeUndefined();
  expect(ended.data!.endOffboardingNotice).toMatchObject({ status: 'Completed', outcome: 'offboarded' });
  for (const step of ['final-invoice', 'data-export']) expect(await message(workflowId, step)).toMatchObject({ sentAt: null, suppressedAt: null });
  // The erasure still waits for the billing team's task.
  expect((await stack.gql(EraseCustomerDocument, { id: customerId, reason: 'GDPR request' }, Role.Admin)).errors![0].extensions).toMatchObject({ reason: 'CUSTOMER_BILLING_TASKS_PENDING' });
}, 120_000);

it('keeps the final invoice and data export of an offboarding carried out at the notice\'s end when a cancel recorded after it stops the run (Temporal UI, or the API\'s record)', async () => {
  const { customerId, workflowId } = await inNotice('Olga');
  // A normal notice end (not early): the completion commits, then the cancel is recorded as the run winds down.
  expect(await completionStep().completeOffboarding({ workflowId, customerId, decision: { approve: true, decidedBy: 'admin:test' } })).toBe('offboarded');
  const runs = new PlaybookRunService(stack.orm.em.fork(), new AuditService(), defaultPolicies.delivery.maxAttempts, promisePolicyOf(defaultPolicies.fairReminder));
  await runs.recordOutcome({ workflowId, outcome: 'cancelled' });
  for (const step of ['final-invoice', 'data-export']) expect(await message(workflowId, step)).toMatchObject({ sentAt: null, suppressedAt: null });
  // What the run still had queued otherwise is held back, as for any cancelled run.
  expect(await message(workflowId, 'switch-help')).toMatchObject({ suppressedReason: RUN_CANCELLED });
  await temporalOperator(stack).workflow.getHandle(workflowId).terminate('test done');
}, 120_000);

it('tells an end of the notice that meets a cancel typed in the Temporal UI that the run ended, when the cancel came first, and names nobody as having ended the notice then', async () => {
  // The cancel a moment after the end (the moments vary: which comes first depends on when each reaches the run).
  for (const [name, afterMs] of [['Tomas', 0], ['Tove', 20], ['Tuula', 60], ['Tyra', 150]] as const) {
    const { customerId, workflowId } = await inNotice(name);
    const [ended] = await Promise.all([
      stack.gql(EndOffboardingNoticeDocument, { customerId, reason: 'the customer asked to leave at once' }, Role.Admin),
      new Promise((resolve) => setTimeout(resolve, afterMs)).then(() =>
        temporalOperator(stack).workflowService.requestCancelWorkflowExecution({ namespace: stack.config.temporal.namespace, workflowExecution: { workflowId }, identity: 'ops@example.com', reason: 'wrong review', requestId: `cancel-${Date.now()}` }),
      ),
    ]);
    // (An answer with errors shows them when the wait runs out, not as null.)
    const read = () => stack.gql(AccountReviewDocument, { customerId }, Role.Viewer).then((r) => ({ review: r.data?.accountReview ?? null, errors: r.errors?.map((e) => `${String(e.extensions?.code)}: ${e.message}`) }));
    const { review: done } = await eventually(read, (r) => r.review?.step === 'done', 60_000);
    if (ended.errors) {
      // The cancel came first: the run ended before it acted on the end, and withdrew the offboarding; nobody ended the notice.
      expect(ended.errors[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'PLAYBOOK_RUN_ALREADY_FINISHED' });
      expect(done).toMatchObject({ outcome: 'cancelled', offboardingWithdrawn: true, noticeEndedBy: null });
    } else {
      // The end came first: carried out, the cancel not taken.
      expect(done).toMatchObject({ outcome: 'offboarded', noticeEndedBy: expect.stringMatching(/^admin:/) });
    }
  }
}, 180_000);

/** A transaction holding the row `lockSql` selects by `id` (for share, for update), as a reader or an import would, until `release`. */
async function rowHeld(lockSql: string, id: string): Promise<{ release: () => Promise<void> }> {
  const holder = stack.orm.em.fork();
  await holder.begin();
  await holder.execute(lockSql, [id]);
  return { release: () => holder.commit() };
}

/** The notice ended early by ops-anna in the Temporal UI (the update, once accepted): its answer to come. */
async function endTypedInUi(handle: ReturnType<ReturnType<typeof temporalOperator>['workflow']['getHandle']>): Promise<{ answer: Promise<unknown> }> {
  const update = await handle.startUpdate('endOffboardingNotice', { args: [{ endedBy: 'ops-anna', reason: 'the customer asked to leave at once' }], waitForStage: WorkflowUpdateStage.ACCEPTED });
  const answer = update.result();
  answer.catch(() => {});
  return { answer };
}

/** A cancel typed in the Temporal UI by ops@example.com with `reason`, once the run has taken it up (a workflow task completed after it). */
async function cancelTakenUp(workflowId: string, reason: string): Promise<void> {
  const operator = temporalOperator(stack);
  await operator.workflowService.requestCancelWorkflowExecution({ namespace: stack.config.temporal.namespace, workflowExecution: { workflowId }, identity: 'ops@example.com', reason, requestId: `cancel-${Date.now()}` });
  const takenUp = async () => {
    const events = (await operator.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const at = events.findIndex((e) => e.workflowExecutionCancelRequestedEventAttributes);
    return at >= 0 && events.slice(at).some((e) => e.workflowTaskCompletedEventAttributes);
  };
  await eventually(takenUp, (found) => found, 20_000);
}

it('completes offboarded when a cancel typed in the Temporal UI comes after the offboarding was carried out: the final invoice and data export stay due, the cancel is audited as not taken', async () => {
  const { customerId, workflowId } = await inNotice('Pia');
  const operator = temporalOperator(stack);
  const handle = operator.workflow.getHandle(workflowId);
  // The run's record held FOR SHARE (as a reader holding it would): the completion, which reads it so, goes through; the
  // run's record of its end, which takes it FOR UPDATE, waits: the run stands between the offboarding and recording its end.
  const held = await rowHeld('select 1 from playbook_run where workflow_id = ? for share', workflowId);
  let ended: Promise<unknown>;
  try {
    ended = (await endTypedInUi(handle)).answer;
    const scheduled = async () => ((await handle.fetchHistory()).events ?? []).some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'recordRunOutcome');
    await eventually(scheduled, (found) => found, 20_000);
    expect(await customer(customerId)).toMatchObject({ status: CustomerStatus.Offboarded });
    // The run has taken the cancel up before its record is let go.
    await cancelTakenUp(workflowId, 'cleaning up old reviews');
  } finally {
    await held.release();
  }
  // The run completes as without the cancel: offboarded, its record and the update that ended the notice answered so.
  expect(await handle.result()).toBe('offboarded');
  expect((await handle.describe()).status.name).toBe('COMPLETED');
  await expect(ended).resolves.toMatchObject({ step: 'done', outcome: 'offboarded', noticeEnded: { endedBy: 'ops-anna' } });
  expect(await review(customerId)).toMatchObject({ status: 'Completed', outcome: 'offboarded' });
  expect(await customer(customerId)).toMatchObject({ status: CustomerStatus.Offboarded });
  // What the contract's end owes is not held back: the billing team's task for the final invoice, the data export.
  for (const step of ['final-invoice', 'data-export']) expect(await message(workflowId, step)).toMatchObject({ sentAt: null, suppressedAt: null });
  expect(await stack.orm.em.fork().count(CustomerExport, { workflowId })).toBe(1);
  expect(await entries(customerId, 'customer.offboarding-withdrawn')).toEqual([]);
  // The cancel is audited under who sent it, as not taken, with why.
  const [cancel, ...more] = await entries(workflowId, 'playbook.cancel-in-engine');
  expect(more).toEqual([]);
  expect(cancel).toMatchObject({
    actor: 'temporal:ops@example.com',
    after: { reason: 'cleaning up old reviews', outcome: 'not-taken', refused: expect.stringMatching(/^the offboarding was carried out .*the run completes offboarded$/), workflowId },
  });
  await recordHistory(workflowId, 'account-review-offboarded-cancel-not-taken');
}, 120_000);

it('completes offboarded when a cancel typed in the Temporal UI comes while the offboarding is being carried out and it goes through', async () => {
  const { customerId, workflowId } = await inNotice('Rhea');
  const operator = temporalOperator(stack);
  const handle = operator.workflow.getHandle(workflowId);
  // The customer's row held (as by an import): the completion waits for it, under way when the cancel comes.
  const held = await rowHeld('select 1 from customer where id = ? for update', customerId);
  let ended: Promise<unknown>;
  try {
    ended = (await endTypedInUi(handle)).answer;
    const completing = async () => (await handle.describe()).raw.pendingActivities?.some((a) => a.activityType?.name === 'completeOffboarding' && a.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED) ?? false;
    await eventually(completing, (found) => found, 20_000);
    await cancelTakenUp(workflowId, 'wrong customer');
    expect(await customer(customerId)).toMatchObject({ status: CustomerStatus.Offboarding });
  } finally {
    await held.release();
  }
  expect(await handle.result()).toBe('offboarded');
  await expect(ended).resolves.toMatchObject({ step: 'done', outcome: 'offboarded' });
  expect(await review(customerId)).toMatchObject({ status: 'Completed', outcome: 'offboarded' });
  expect(await customer(customerId)).toMatchObject({ status: CustomerStatus.Offboarded });
  for (const step of ['final-invoice', 'data-export']) expect(await message(workflowId, step)).toMatchObject({ sentAt: null, suppressedAt: null });
  expect((await entries(workflowId, 'playbook.cancel-in-engine')).map((e) => [e.actor, e.after])).toEqual([
    ['temporal:ops@example.com', expect.objectContaining({ reason: 'wrong customer', outcome: 'not-taken' })],
  ]);
  await recordHistory(workflowId, 'account-review-offboarded-cancel-while-carried-out');
}, 120_000);
