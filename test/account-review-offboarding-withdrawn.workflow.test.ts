import { defaultPolicies } from '../src/domain/policies/index.js';
import { Role } from '../src/domain/auth/roles.js';
import { accountReviewPolicy, accountReviewWorkflowId, type AccountReviewPolicy } from '../src/domain/playbooks/account-review.js';
import { seconds } from '../src/domain/policies/duration.js';
import { AuditEntry, Customer, CustomerExport, OutboxMessage, PlaybookRun } from '../src/entities/index.js';
import { AuditService } from '../src/services/audit/audit.service.js';
import { createServices } from '../src/services/index.js';
import { withdrawOffboardingOnCancel } from '../src/services/playbooks/offboarding-withdrawal.js';
import { TemporalCampaignEngine } from '../src/temporal/temporal-campaign-engine.js';
import { TemporalPlaybookEngine } from '../src/temporal/temporal-playbook-engine.js';
import { TemporalScoringEngine } from '../src/temporal/temporal-scoring-engine.js';
import { AccountReviewDocument, CancelPlaybookRunDocument, CustomerTimelineDocument, DecideOffboardingDocument, StartAccountReviewDocument } from './__generated__/graphql.js';
import { lossMakingAccount } from './support/accounts.js';
import { eventually } from './support/eventually.js';
import { recordHistory } from './support/histories.js';
import { startTestStack, type TestStack } from './support/stack.js';
import { zoneAtNoon, zoneAtTwoInTheMorning } from './support/time-zones.js';
import { resetInEngine, taskBefore } from './support/temporal-operator.js';

/**
 * An account review that ends during the offboarding notice (cancelled by an operator, or
 * terminated in the Temporal UI and recorded by the run reconciliation) withdraws the
 * offboarding: the customer is `active` again, audited with who ended the run and why, instead
 * of `offboarding` for good (no review, thank-you or campaign would reach them again). A run
 * reset after such an end runs again, but its withdrawn offboarding stays withdrawn.
 */
const policy: AccountReviewPolicy = { ...accountReviewPolicy, answerWaitMs: seconds(1), reviewAfterMs: seconds(1), approvalWaitMs: seconds(120), noticeMs: seconds(30), noticeRecheckMs: seconds(1) };

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ policies: { accountReview: policy } });
}, 90_000);
afterAll(() => stack?.stop());

/**
 * A loss-making account whose review an admin approved offboarding for: the notice is running. In a time zone where it
 * is midday unless told (the notice goes at once), whatever the hour the tests run at.
 */
async function accountUnderNotice(name: string, timeZone = zoneAtNoon(new Date())): Promise<{ customerId: string; workflowId: string }> {
  const customerId = await lossMakingAccount(stack.orm.em.fork(), name);
  await stack.orm.em.fork().nativeUpdate(Customer, { id: customerId }, { timeZone });
  expect((await stack.gql(StartAccountReviewDocument, { customerId }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => review(customerId), (s) => s?.step === 'awaiting-approval', 45_000);
  expect((await stack.gql(DecideOffboardingDocument, { customerId, approve: true, reason: 'still loss-making' }, Role.Admin)).errors).toBeUndefined();
  await eventually(() => status(customerId), (s) => s === 'offboarding');
  expect(await review(customerId)).toMatchObject({ step: 'offboarding' });
  return { customerId, workflowId: accountReviewWorkflowId(customerId) };
}

const review = (customerId: string) => stack.gql(AccountReviewDocument, { customerId }, Role.Viewer).then((r) => r.data?.accountReview ?? null);
const status = (customerId: string) => stack.orm.em.fork().findOneOrFail(Customer, { id: customerId }).then((c) => c.status);
const record = (workflowId: string) => stack.orm.em.fork().findOneOrFail(PlaybookRun, { workflowId });
/** One pass of the run reconciliation, as the worker's schedule runs it. */
function reconcile(): Promise<string[]> {
  const { client } = stack.temporal;
  const { taskQueue } = stack.config.temporal;
  const engines = { playbooks: new TemporalPlaybookEngine(client, taskQueue), scoring: new TemporalScoringEngine(client, taskQueue), campaigns: new TemporalCampaignEngine(client, taskQueue) };
  return createServices(stack.orm.em.fork(), engines, defaultPolicies).runReconciliation.recordRunsEndedInEngine();
}
const withdrawals = (customerId: string) =>
  stack.orm.em
    .fork()
    .find(AuditEntry, { entityType: 'customer', entityId: customerId, action: 'customer.offboarding-withdrawn' })
    .then((entries) => entries.map((e) => ({ actor: e.actor, before: e.before, after: e.after })));

it('an account review cancelled during the offboarding notice sets the customer active again, audited with who cancelled it and why', async () => {
  const { customerId, workflowId } = await accountUnderNotice('Otto');
  const message = (step: string) => stack.orm.em.fork().findOne(OutboxMessage, { idempotencyKey: `${workflowId}/${step}` });
  // The customer has read the notice.
  await eventually(() => message('notice'), (m) => Boolean(m?.sentAt), 30_000);
  expect(await review(customerId)).toMatchObject({ offboardingApproved: true, offboardingWithdrawn: false });
  // The customer turns around during the notice; an operator stops the offboarding.
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId, reason: 'the customer upgraded; keep the account' }, Role.Operator)).errors).toBeUndefined();
  // Its view says the approved offboarding was withdrawn, not only that it was approved; so does the customer's timeline.
  expect(await eventually(() => review(customerId), (s) => s?.status === 'Cancelled')).toMatchObject({ outcome: 'cancelled', offboardingApproved: true, offboardingWithdrawn: true });
  const ended = await stack.gql(CustomerTimelineDocument, { id: customerId, first: 5, kinds: ['PlaybookFinished'] }, Role.Viewer);
  expect(ended.data!.customer!.timeline.edges.map((e) => e.node.summary)).toEqual(['Account review ended: cancelled (the offboarding notice withdrawn: the customer stays)']);
  expect(await status(customerId)).toBe('active');
  expect(await withdrawals(customerId)).toEqual([
    { actor: expect.stringMatching(/^operator:/), before: { status: 'offboarding' }, after: { status: 'active', reason: 'the customer upgraded; keep the account', workflowId } },
  ]);
  // Told that the notice no longer stands: not held back with the run's queued messages as its cancel is recorded.
  const withdrawn = await eventually(() => message('offboarding-withdrawn'), (m) => Boolean(m?.sentAt), 30_000);
  expect(withdrawn).toMatchObject({ template: 'offboarding-withdrawn', suppressedAt: null });
  // It names the day the notice named: the customer's own (where it is midday: near midnight in UTC another day than UTC's), written with the notice (QA 51 F3).
  const { noticeEndsAt } = (await message('notice'))!.payload as { noticeEndsAt: string };
  const { timeZone } = await stack.orm.em.fork().findOneOrFail(Customer, { id: customerId });
  const customersDay = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(noticeEndsAt));
  expect(withdrawn!.payload).toEqual({ noticeEndsAt, noticeEndsOn: customersDay });
  // Once only: the customer is no longer offboarding by this run.
  expect(await withdrawOffboardingOnCancel(stack.orm.em.fork(), new AuditService(), { workflowId, customerId })).toBe(false);
  expect(await withdrawals(customerId)).toHaveLength(1);
  expect(await stack.orm.em.fork().count(OutboxMessage, { customer: customerId, template: 'offboarding-withdrawn' })).toBe(1);
  await recordHistory(workflowId, 'account-review-cancelled-in-notice');
}, 120_000);

it('an account review terminated in the Temporal UI during the notice sets the customer active again once the reconciliation records the end', async () => {
  // A customer whose calendar day at the end of the notice is not UTC's: 12 hours behind it before 11:00 UTC, 14 hours ahead after.
  const behind = new Date().getUTCHours() < 11;
  const { customerId, workflowId } = await accountUnderNotice('Tess', behind ? 'Etc/GMT+12' : 'Pacific/Kiritimati');
  // The notice names the day the run offboards them on, as their calendar has it (QA 51 F3).
  const { deadline } = (await review(customerId))!;
  const theirDay = new Date(Date.parse(deadline!) + (behind ? -12 : 14) * 3_600_000).toISOString().slice(0, 10);
  expect(theirDay).not.toBe(deadline!.slice(0, 10));
  expect((await stack.orm.em.fork().findOneOrFail(OutboxMessage, { idempotencyKey: `${workflowId}/notice` })).payload).toEqual({ noticeEndsAt: deadline, noticeEndsOn: theirDay });
  await stack.temporal.client.workflow.getHandle(workflowId).terminate('started for the wrong account');
  await eventually(async () => (await reconcile(), record(workflowId)), (r) => r.status === 'terminated');
  expect(await status(customerId)).toBe('active');
  expect(await withdrawals(customerId)).toEqual([{ actor: expect.stringMatching(/^temporal:/), before: { status: 'offboarding' }, after: { status: 'active', reason: 'started for the wrong account', workflowId } }]);
  await reconcile();
  expect(await withdrawals(customerId)).toHaveLength(1);
}, 120_000);

it('an account review reset after its termination withdrew the offboarding keeps the customer and ends at once, not after a notice nobody was given: nobody is offboarded without notice', async () => {
  // At night in the customer's time zone: the notice and the switch help wait for the morning.
  const { customerId, workflowId } = await accountUnderNotice('Rhea', zoneAtTwoInTheMorning(new Date()));
  await stack.temporal.client.workflow.getHandle(workflowId).terminate('terminated by mistake during the notice');
  await eventually(async () => (await reconcile(), record(workflowId)), (r) => r.status === 'terminated');
  expect(await status(customerId)).toBe('active');
  // The notice never reached them (held for the night, then held back as the run ended): nothing to take back.
  expect(await stack.orm.em.fork().findOneOrFail(OutboxMessage, { idempotencyKey: `${workflowId}/notice` })).toMatchObject({ sentAt: null, suppressedAt: expect.any(Date) });
  expect(await stack.orm.em.fork().count(OutboxMessage, { customer: customerId, template: 'offboarding-withdrawn' })).toBe(0);

  // The operator undoes the termination: the run finds its offboarding withdrawn as it takes up its notice again, and ends
  // then, instead of showing the customer under notice (step offboarding, a notice deadline) for the whole notice.
  const resetAt = Date.now();
  await resetInEngine(stack, workflowId, 'undo the termination');
  // (Its end waits for the reconciliation to record it running again, then follows at once.)
  await eventually(async () => (await reconcile(), record(workflowId)), (r) => r.status !== 'terminated');
  const ended = await eventually(() => record(workflowId), (r) => r.status !== 'running', 90_000);
  expect(ended).toMatchObject({ status: 'completed', outcome: 'kept-offboarding-withdrawn' });
  expect(ended.finishedAt!.getTime()).toBeLessThan(resetAt + policy.noticeMs);
  expect(await review(customerId)).toMatchObject({ step: 'done', outcome: 'kept-offboarding-withdrawn' });
  expect(await status(customerId)).toBe('active');
  const em = stack.orm.em.fork();
  expect(await em.count(AuditEntry, { entityType: 'customer', entityId: customerId, action: 'customer.offboarded' })).toBe(0);
  expect(await em.count(CustomerExport, { workflowId })).toBe(0);
  // No final invoice, no data export; the notice and the switch help its end held back stay held back (the relationship
  // team's task to talk the account through, written before the review period as nothing was proposed, went before).
  const messages = await em.find(OutboxMessage, { idempotencyKey: { $like: `${workflowId}/%` }, template: { $ne: 'account-nothing-proposed' } }, { orderBy: { template: 'asc' } });
  expect(messages.map((m) => [m.template, m.sentAt ?? null, m.suppressedReason?.split(':')[0] ?? null])).toEqual([
    ['offboarding-notice', null, 'run-terminated'],
    ['offboarding-switch-help', null, 'run-terminated'],
  ]);
  await recordHistory(workflowId, 'account-review-reset-withdrawn-ends-at-once');
}, 180_000);

it('an account review reset to before its notice after its termination withdrew the offboarding gives no second notice and keeps the customer', async () => {
  const { customerId, workflowId } = await accountUnderNotice('Ines');
  const notice = () => stack.orm.em.fork().findOne(OutboxMessage, { idempotencyKey: `${workflowId}/notice` });
  // The customer has read the notice; then the run is terminated, which withdraws the offboarding (and tells them so).
  await eventually(notice, (m) => Boolean(m?.sentAt), 30_000);
  await stack.temporal.client.workflow.getHandle(workflowId).terminate('terminated during the notice');
  await eventually(async () => (await reconcile(), record(workflowId)), (r) => r.status === 'terminated');
  expect(await status(customerId)).toBe('active');

  // The operator resets to before the notice step (the approval kept): the run does not begin the withdrawn offboarding again.
  const beforeNotice = await taskBefore(stack, workflowId, (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'startOffboarding');
  await resetInEngine(stack, workflowId, 'go on from the approval', { finishEventId: beforeNotice });
  await eventually(async () => (await reconcile(), record(workflowId)), (r) => r.status !== 'terminated');
  expect(await eventually(() => record(workflowId), (r) => r.status !== 'running', 30_000)).toMatchObject({ status: 'completed', outcome: 'kept-offboarding-withdrawn' });
  expect(await status(customerId)).toBe('active');
  const em = stack.orm.em.fork();
  expect(await em.count(AuditEntry, { entityType: 'customer', entityId: customerId, action: 'customer.offboarding' })).toBe(1);
  expect(await em.count(AuditEntry, { entityType: 'customer', entityId: customerId, action: 'customer.offboarded' })).toBe(0);
  expect(await em.count(CustomerExport, { workflowId })).toBe(0);
  // One notice, the one read before the withdrawal, and one word that it no longer stands.
  expect(await em.count(OutboxMessage, { customer: customerId, template: 'offboarding-notice' })).toBe(1);
  expect(await em.count(OutboxMessage, { customer: customerId, template: 'offboarding-withdrawn' })).toBe(1);
  await recordHistory(workflowId, 'account-review-reset-before-notice-withdrawn');
}, 180_000);
