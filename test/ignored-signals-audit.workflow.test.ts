import pg from 'pg';
import { sql } from 'kysely';
import { Role } from '../src/domain/auth/roles.js';
import { seconds } from '../src/domain/policies/duration.js';
import { accountReviewPolicy, accountReviewWorkflowId, type AccountReviewPolicy } from '../src/domain/playbooks/account-review.js';
import { fairReminderPolicy, fairReminderWorkflowId, type FairReminderPolicy, type FairReminderState } from '../src/domain/playbooks/fair-reminder.js';
import { fixIssuePolicy, fixIssueWorkflowId, type FixIssuePolicy } from '../src/domain/playbooks/fix-issue.js';
import { Customer, Invoice } from '../src/entities/index.js';
import type { fixIssue } from '../workflows/index.js';
import { AccountReviewDocument, CancelPlaybookRunDocument, FairReminderDocument, FixIssueDocument, StartAccountReviewDocument, StartFairReminderDocument, StartWelcomeCheckDocument, WelcomeCheckDocument } from './__generated__/graphql.js';
import { eventually } from './support/eventually.js';
import { recordHistory } from './support/histories.js';
import { lossMakingAccount } from './support/loss-making-account.js';
import { startTestStack, type TestStack } from './support/stack.js';
import { temporalOperator } from './support/temporal-operator.js';
import { zoneAtNoon } from './support/time-zones.js';

/**
 * A signal typed in the Temporal UI or CLI that the run ignores (of the wrong shape, not awaited at its step, a payment the
 * invoice does not show) is audited saying so and why (`ignored`), as one under a name the run does not take is: the audit
 * log does not read it as a message the run took. One the run took says nothing of the kind.
 */
const accountReview: AccountReviewPolicy = { ...accountReviewPolicy, version: 4, answerWaitMs: seconds(30), reviewAfterMs: seconds(1), approvalWaitMs: seconds(30), noticeMs: seconds(1), noticeRecheckMs: seconds(1) };
const fairReminder: FairReminderPolicy = {
  ...fairReminderPolicy,
  version: 3,
  loyalSchedule: [
    { waitMs: 0, action: 'reminder', template: 'reminder-friendly' },
    { waitMs: seconds(60), action: 'reminder', template: 'reminder-gentle' },
  ],
};
const fixIssueShort: FixIssuePolicy = { ...fixIssuePolicy, version: 2, fixDeadlineMs: seconds(60), checkBackAfterMs: seconds(60) };

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ policies: { accountReview, fairReminder, fixIssue: fixIssueShort, welcomeCheck: { version: 7, waitForConfirmationMs: seconds(4), newCustomerDays: 90 } } });
}, 90_000);
afterAll(() => stack?.stop());

const DAY = 86_400_000;
const day = (offsetDays: number) => new Date(Date.now() + offsetDays * DAY).toISOString().slice(0, 10);

/** The signals typed from outside the platform audited for the run, in the run's order: sender, name, input, and why it was ignored (undefined: taken). */
const signalsAudited = async (workflowId: string) =>
  (
    await sql<{ actor: string; after: Record<string, unknown> }>`
      select actor, after from audit_entry where entity_id = ${workflowId} and action = 'playbook.signal-in-engine' order by (after->>'eventId')::int`.execute(stack.orm.em.fork().getKysely())
  ).rows.map((r) => [r.actor, r.after.signal, r.after.input, r.after.ignored]);

it('audits a proposalAnswered the account review ignored with why: of the wrong shape, or after the answer was taken; the answer taken says nothing', async () => {
  const customerId = await lossMakingAccount(stack, 'Ira');
  const workflowId = accountReviewWorkflowId(customerId);
  await stack.gql(StartAccountReviewDocument, { customerId }, Role.Operator);
  const review = () => stack.gql(AccountReviewDocument, { customerId }, Role.Viewer).then((r) => r.data?.accountReview ?? null);
  await eventually(() => review(), (s) => s?.step === 'awaiting-answer');
  const handle = temporalOperator(stack, 'oncall-carol').workflow.getHandle(workflowId);

  // "no" is no answer: the run still waits, and the entry says it was not taken (read as a decline, it would be a lie).
  await handle.signal('proposalAnswered', { accepted: 'no' });
  expect(await eventually(() => signalsAudited(workflowId), (e) => e.length === 1 && e[0][3] !== undefined, 15_000)).toEqual([
    ['temporal:oncall-carol', 'proposalAnswered', [{ accepted: 'no' }], 'the answer must be { "accepted": true } or { "accepted": false }'],
  ]);
  expect(await review()).toMatchObject({ step: 'awaiting-answer', answer: null });

  // Typed right, it is taken: its entry carries no `ignored`.
  await handle.signal('proposalAnswered', { accepted: false });
  await eventually(() => review(), (s) => s?.answer === 'declined');
  await eventually(() => signalsAudited(workflowId), (e) => e.length === 2);

  // An acceptance after the decline changes nothing (the run keeps the decline), and its entry says why.
  await handle.signal('proposalAnswered', { accepted: true });
  expect(await eventually(() => signalsAudited(workflowId), (e) => e.length === 3 && e[2][3] !== undefined, 15_000)).toEqual([
    ['temporal:oncall-carol', 'proposalAnswered', [{ accepted: 'no' }], 'the answer must be { "accepted": true } or { "accepted": false }'],
    ['temporal:oncall-carol', 'proposalAnswered', [{ accepted: false }], undefined],
    ['temporal:oncall-carol', 'proposalAnswered', [{ accepted: true }], "the customer's answer was already taken (declined): a proposal takes one answer"],
  ]);
  expect(await review()).toMatchObject({ answer: 'declined' });
  expect(await stack.orm.em.fork().findOneOrFail(Customer, { id: customerId })).toMatchObject({ serviceTier: 'premium' });
  await recordHistory(workflowId, 'account-review-ignored-signals-audited');
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId, reason: 'test done' }, Role.Operator)).errors).toBeUndefined();
}, 60_000);

it('audits a paymentReceived the fair reminder ignored (the invoice is not paid) as ignored, once it has checked the invoice; one for a paid invoice ends the run, unmarked', async () => {
  const em = stack.orm.em.fork();
  const customer = em.create(Customer, { name: 'Dave', email: 'dave@example.com', acquiredAt: day(-730), timeZone: zoneAtNoon(new Date()) });
  for (let i = 1; i <= 8; i++) em.create(Invoice, { customer, issuedAt: day(-30 * i - 19), dueAt: day(-30 * i - 5), amountMinor: 5_000, paidAt: day(-30 * i - 7) });
  const open = em.create(Invoice, { customer, externalRef: 'INV-DAVE', issuedAt: day(-19), dueAt: day(-5), amountMinor: 7_500, paidAt: null });
  await em.flush();
  const invoiceId = open.id;
  const workflowId = fairReminderWorkflowId(customer.id, invoiceId);
  await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator);
  const state = () => stack.gql(FairReminderDocument, { invoiceId }, Role.Viewer).then((r) => r.data?.fairReminder ?? null);
  await eventually(state, (s) => s?.step === 'waiting' && s.remindersSent === 1);
  const handle = temporalOperator(stack, 'oncall-dave').workflow.getHandle(workflowId);

  // The customer says they paid; the invoice says not: the run waits on, and the entry, written as the signal came, says it was ignored.
  await handle.signal('paymentReceived');
  expect(await eventually(() => signalsAudited(workflowId), (e) => e.length === 1 && e[0][3] !== undefined, 15_000)).toEqual([['temporal:oncall-dave', 'paymentReceived', [], 'the invoice is not paid']]);
  expect(await handle.query<FairReminderState>('state')).toMatchObject({ step: 'waiting', paid: false, outcome: null });

  // Paid now (the billing system, not told yet): the next claim is checked, taken, and ends the run; its entry is not marked.
  await stack.orm.em.fork().nativeUpdate(Invoice, { id: invoiceId }, { paidAt: day(0) });
  await handle.signal('paymentReceived');
  expect(await eventually(state, (s) => s?.step === 'done')).toMatchObject({ outcome: 'paid', status: 'Completed' });
  expect(await signalsAudited(workflowId)).toEqual([
    ['temporal:oncall-dave', 'paymentReceived', [], 'the invoice is not paid'],
    ['temporal:oncall-dave', 'paymentReceived', [], undefined],
  ]);
  await recordHistory(workflowId, 'fair-reminder-ignored-payment-signal-audited');
}, 60_000);

it('audits a welcomeConfirmed signalled once the wait is over as ignored, with why', async () => {
  const em = stack.orm.em.fork();
  const customer = em.create(Customer, { name: 'Lio', email: 'lio@example.com', acquiredAt: day(-20), timeZone: zoneAtNoon(new Date()) });
  await em.flush();
  const customerId = customer.id;
  const workflowId = (await stack.gql(StartWelcomeCheckDocument, { customerId }, Role.Marketer)).data!.startWelcomeCheck.workflowId;
  const step = () => stack.gql(WelcomeCheckDocument, { customerId }, Role.Viewer).then((r) => r.data?.welcomeCheck?.step);
  await eventually(step, (s) => s === 'awaiting-confirmation');
  // Holding the run's record keeps its follow-up step (which reads it) waiting: the wait is over, the run not ended yet.
  const blocker = new pg.Client(stack.config.databaseUrl);
  await blocker.connect();
  try {
    await blocker.query('begin');
    await blocker.query('select 1 from playbook_run where workflow_id = $1 for update', [workflowId]);
    await eventually(step, (s) => s === 'recording-outcome', 20_000);
    await temporalOperator(stack, 'ana@example.com').workflow.getHandle(workflowId).signal('welcomeConfirmed');
    await eventually(() => signalsAudited(workflowId), (e) => e.length === 1, 15_000);
  } finally {
    await blocker.query('commit');
    await blocker.end();
  }
  expect(await stack.temporal.client.workflow.getHandle(workflowId).result()).toBe('follow-up-needed');
  expect(await signalsAudited(workflowId)).toEqual([['temporal:ana@example.com', 'welcomeConfirmed', [], 'its wait for a confirmation is over (step recording-outcome): a person follows up']]);
  await recordHistory(workflowId, 'welcome-check-late-confirmation-audited-ignored');
}, 60_000);

it('audits an issueRecurred before any fix, and an issueResolved once the fix is reported, as ignored with why; the fix taken says nothing', async () => {
  const em = stack.orm.em.fork();
  const customer = em.create(Customer, { name: 'Fay', email: 'fay@example.com', acquiredAt: day(-730) });
  await em.flush();
  const customerId = customer.id;
  const topic = 'delivery-delay';
  const workflowId = fixIssueWorkflowId(customerId, topic);
  const state = () => stack.gql(FixIssueDocument, { customerId, topic }, Role.Viewer).then((r) => r.data?.fixIssue ?? null);
  await stack.temporal.client.workflow.start<typeof fixIssue>('fixIssue', { workflowId, taskQueue: stack.config.temporal.taskQueue, args: [{ customerId, topic, policy: fixIssueShort }] });
  await eventually(state, (s) => s?.step === 'awaiting-fix');
  const handle = temporalOperator(stack, 'ops-fay').workflow.getHandle(workflowId);

  await handle.signal('issueRecurred');
  await handle.signal('issueResolved');
  await eventually(state, (s) => s?.step === 'awaiting-check-back');
  await handle.signal('issueResolved');
  expect(await eventually(() => signalsAudited(workflowId), (e) => e.length === 3 && e[2][3] !== undefined, 15_000)).toEqual([
    ['temporal:ops-fay', 'issueRecurred', [], 'no fix is reported yet (step awaiting-fix): the open case already works on the issue'],
    ['temporal:ops-fay', 'issueResolved', [], undefined],
    ['temporal:ops-fay', 'issueResolved', [], 'the fix is already reported; the run checks back with the customer (step awaiting-check-back)'],
  ]);
  expect(await state()).toMatchObject({ step: 'awaiting-check-back', recurrences: 0, escalations: 0 });
  await recordHistory(workflowId, 'fix-issue-ignored-signals-audited');
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId, reason: 'test done' }, Role.Operator)).errors).toBeUndefined();
}, 60_000);
