import { Role } from '../src/domain/auth/roles.js';
import { accountReviewWorkflowId, type AccountReviewPolicy } from '../src/domain/playbooks/account-review.js';
import { seconds } from '../src/domain/policies/duration.js';
import { AuditEntry, Complaint, ComplaintSeverity, Customer, CustomerExport, CustomerStatus, FixCase, FixCaseStatus, MessageChannel, Order, OutboxMessage } from '../src/entities/index.js';
import { AccountReviewDocument, AnswerAccountProposalDocument, CustomerMessagesDocument, CustomerTimelineDocument, DecideOffboardingDocument, StartAccountReviewDocument, type CustomerEventKind } from './__generated__/graphql.js';
import { eventually } from './support/eventually.js';
import { recordHistory } from './support/histories.js';
import { lossMakingAccount, shortNoticePolicy } from './support/loss-making-account.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * The end of an account review's offboarding notice looks again at whether the offboarding is still due (QA 64 F2, F4),
 * on the real Temporal dev server with the waits shortened to seconds: an account that no longer loses money is kept, and
 * a customer with a complaint or fix open is not offboarded while it is (bounded). Delivery is off: the test marks the
 * notice sent as it is written, so the notice ends `noticeMs` after that.
 */
const policy: AccountReviewPolicy = {
  ...shortNoticePolicy,
  openIssueRecheckMs: seconds(0.5),
  openIssueWaitMs: seconds(6),
  // The team that owns customer relationships, as a deployment names it: a customer kept at the notice's end is theirs.
  relationshipTeam: 'key-accounts',
};

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ policies: { accountReview: policy }, workerSettings: { MESSAGE_CHANNEL: 'off' } });
}, 120_000);
afterAll(() => stack?.stop());

const DAY = 86_400_000;

const account = (name: string, opts: Parameters<typeof lossMakingAccount>[2] = {}) => lossMakingAccount(stack, name, opts);

/** The review's last refusal by the API (a loaded engine answers PLAYBOOK_ENGINE_BUSY), named when a wait runs out. */
let lastRefusal: string | undefined;
const review = (customerId: string) =>
  stack.gql(AccountReviewDocument, { customerId }, Role.Viewer).then((r) => {
    if (r.errors) lastRefusal = r.errors.map((e) => e.extensions?.code ?? e.message).join(', ');
    return r.data?.accountReview ?? null;
  });

/** The review once it ended. The notice's end, the open-issue wait and its checks are timers and activities a loaded CI machine runs late: up to a minute. */
async function ended(customerId: string) {
  lastRefusal = undefined;
  try {
    return await eventually(() => review(customerId), (s) => s?.step === 'done', 60_000);
  } catch (e) {
    throw new Error(`${(e as Error).message}${lastRefusal ? `; last refusal: ${lastRefusal}` : ''}`);
  }
}
const message = (workflowId: string, step: string) => stack.orm.em.fork().findOne(OutboxMessage, { idempotencyKey: `${workflowId}/${step}` });
const customer = (customerId: string) => stack.orm.em.fork().findOneOrFail(Customer, { id: customerId });

/** A review through the API up to an admin's approval, its notice marked sent as it is written: the notice ends `noticeMs` after `sentAt`. */
async function inNotice(name: string) {
  const customerId = await account(name);
  const workflowId = accountReviewWorkflowId(customerId);
  expect((await stack.gql(StartAccountReviewDocument, { customerId }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => review(customerId), (s) => s?.step === 'awaiting-answer');
  expect((await stack.gql(AnswerAccountProposalDocument, { customerId, accepted: false }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => review(customerId), (s) => s?.step === 'awaiting-approval');
  expect((await stack.gql(DecideOffboardingDocument, { customerId, approve: true, reason: 'still loss-making' }, Role.Admin)).errors).toBeUndefined();
  const notice = await eventually(() => message(workflowId, 'notice'), (m) => m !== null);
  const sentAt = new Date();
  await stack.orm.em.fork().nativeUpdate(OutboxMessage, { id: notice!.id }, { sentAt, attempts: 1 });
  return { customerId, workflowId, noticeEndsAt: sentAt.getTime() + policy.noticeMs };
}

/** A complaint of the customer's, open (not resolved). */
async function complaint(customerId: string, topic: string): Promise<string> {
  const em = stack.orm.em.fork();
  const k = em.create(Complaint, { customer: em.getReference(Customer, customerId), topic, severity: ComplaintSeverity.High, openedAt: new Date() });
  await em.flush();
  return k.id;
}

/** A fix case of the customer's, open: a persistent issue being fixed (as the fix-issue playbook opens it). */
async function fixCase(customerId: string, topic: string): Promise<string> {
  const em = stack.orm.em.fork();
  const f = em.create(FixCase, { workflowId: `fix-issue/${customerId}/${topic}`, customer: em.getReference(Customer, customerId), topic, team: 'customer-care', owner: 'customer-care', openedAt: new Date() });
  await em.flush();
  return f.id;
}

/** The run's step detail (what the Temporal UI shows beside the step). */
const details = async (workflowId: string) => (await stack.temporal.client.workflow.getHandle(workflowId).query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails;

const withdrawals = async (customerId: string) => (await stack.orm.em.fork().find(AuditEntry, { entityId: customerId, action: 'customer.offboarding-withdrawn' })).map((a) => [a.actor, a.after]);

it('does not offboard a customer whose account no longer loses money at the end of the notice: withdrawn, the customer told (QA 64 F4)', async () => {
  const { customerId, workflowId } = await inNotice('Ada');
  // They started buying again during the notice.
  const em = stack.orm.em.fork();
  em.create(Order, { customer: em.getReference(Customer, customerId), orderedAt: new Date(Date.now() - DAY), amountMinor: 500_000, marginMinor: 200_000 });
  await em.flush();
  const done = await ended(customerId);
  expect(done).toMatchObject({ outcome: 'kept-turned-around', status: 'Completed', offboardingApproved: true });
  expect(done!.profitabilityMinor).toBeGreaterThan(0);
  expect(await customer(customerId)).toMatchObject({ status: CustomerStatus.Active, offboardedAt: null });
  expect(await stack.orm.em.fork().count(CustomerExport, { workflowId })).toBe(0);
  expect(await withdrawals(customerId)).toEqual([[`playbook:${workflowId}`, { status: 'active', workflowId, reason: 'the account no longer lost money at the end of the notice' }]]);
  // The customer read the notice: told that it no longer stands; the help to switch still queued is held back.
  expect(await message(workflowId, 'offboarding-withdrawn')).toMatchObject({ template: 'offboarding-withdrawn', channel: MessageChannel.Email });
  expect(await message(workflowId, 'switch-help')).toMatchObject({ sentAt: null, suppressedReason: expect.stringMatching(/^offboarding-withdrawn/) });
  for (const step of ['final-invoice', 'data-export', 'kept-at-notice-end']) expect(await message(workflowId, step)).toBeNull();
  await recordHistory(workflowId, 'account-review-kept-turned-around');
}, 120_000);

it('waits at the end of the notice while a complaint is open, and offboards once it is resolved (QA 64 F2)', async () => {
  const { customerId, workflowId, noticeEndsAt } = await inNotice('Ben');
  const complaintId = await complaint(customerId, 'billing');
  // The notice has run its time, but the complaint is open: the run waits for it, the customer still under notice.
  await new Promise((r) => setTimeout(r, Math.max(0, noticeEndsAt - Date.now()) + seconds(1.5)));
  const waiting = await review(customerId);
  expect(waiting).toMatchObject({ step: 'offboarding', status: 'Running' });
  expect(await customer(customerId)).toMatchObject({ status: CustomerStatus.Offboarding });
  expect(await message(workflowId, 'data-export')).toBeNull();
  await stack.orm.em.fork().nativeUpdate(Complaint, { id: complaintId }, { resolvedAt: new Date() });
  expect(await ended(customerId)).toMatchObject({ outcome: 'offboarded' });
  expect(await customer(customerId)).toMatchObject({ status: CustomerStatus.Offboarded });
  expect(await message(workflowId, 'data-export')).not.toBeNull();
  await recordHistory(workflowId, 'account-review-offboarded-after-issue-resolved');
}, 120_000);

it('does not offboard a customer whose complaint is still open after the wait: withdrawn, the customer and the team told (QA 64 F2)', async () => {
  const { customerId, workflowId } = await inNotice('Cleo');
  await complaint(customerId, 'delivery');
  const done = await ended(customerId);
  expect(done).toMatchObject({ outcome: 'kept-issue-open', status: 'Completed' });
  expect(await customer(customerId)).toMatchObject({ status: CustomerStatus.Active, offboardedAt: null });
  expect(await withdrawals(customerId)).toEqual([[`playbook:${workflowId}`, { status: 'active', workflowId, reason: 'a complaint or fix was still open at the end of the notice (complaint open: delivery)' }]]);
  expect(await message(workflowId, 'offboarding-withdrawn')).toMatchObject({ template: 'offboarding-withdrawn' });
  const task = await message(workflowId, 'kept-at-notice-end');
  expect(task).toMatchObject({ channel: MessageChannel.Call, template: 'offboarding-kept-at-notice-end', payload: { why: 'issue-open', openIssues: 'complaint open: delivery', owner: 'key-accounts' } });
  for (const step of ['final-invoice', 'data-export']) expect(await message(workflowId, step)).toBeNull();
  expect(await stack.orm.em.fork().count(CustomerExport, { workflowId })).toBe(0);
  // The task is the relationship team's (the policy's), and the timeline says what it is: a task for them, not a call to make.
  await stack.orm.em.fork().nativeUpdate(OutboxMessage, { id: task!.id }, { sentAt: new Date(), attempts: 1 });
  const messages = await stack.gql(CustomerMessagesDocument, { id: customerId, first: 20 }, Role.Viewer);
  expect(messages.data!.customer!.messages.edges.map((e) => e.node).find((m) => m.template === 'offboarding-kept-at-notice-end')).toMatchObject({ recipient: 'Team', recipientTeam: 'key-accounts' });
  const timeline = await stack.gql(CustomerTimelineDocument, { id: customerId, first: 20, kinds: ['MessageSent' as CustomerEventKind] }, Role.Viewer);
  expect(timeline.data!.customer!.timeline.edges.map((e) => e.node.summary)).toContain("Task for key-accounts: Not offboarded: Cleo's complaint is still open");
  await recordHistory(workflowId, 'account-review-kept-issue-open');
}, 120_000);

it('does not offboard a customer whose account cannot be judged at the end of the notice: withdrawn, ends not-judged, the customer and the team told', async () => {
  const { customerId, workflowId } = await inNotice('Dora');
  // During the notice an orders import blanked the margins: the rescore at the end cannot judge the account.
  await stack.orm.em.fork().nativeUpdate(Order, { customer: customerId }, { marginMinor: null });
  const done = await ended(customerId);
  // Not judged now: no profitability shown (the review's figure from before the notice is no judgement of it).
  expect(done).toMatchObject({ outcome: 'not-judged', status: 'Completed', offboardingApproved: true, profitabilityMinor: null, profitabilityBasis: null });
  expect(await details(workflowId)).toMatch(/^The account cannot be judged at the end of the notice \(not judged: .*\): not offboarded, the offboarding withdrawn, the customer and the team told$/);
  expect(await customer(customerId)).toMatchObject({ status: CustomerStatus.Active, offboardedAt: null });
  const [[actor, after]] = await withdrawals(customerId);
  expect(actor).toBe(`playbook:${workflowId}`);
  expect(after).toMatchObject({ status: 'active', workflowId, reason: expect.stringMatching(/^the account could not be judged at the end of the notice \(not judged: .*\)$/) });
  expect(await message(workflowId, 'offboarding-withdrawn')).toMatchObject({ template: 'offboarding-withdrawn' });
  expect(await message(workflowId, 'kept-at-notice-end')).toMatchObject({ channel: MessageChannel.Call, template: 'offboarding-kept-at-notice-end', payload: { why: 'not-judged', notJudged: expect.stringMatching(/^not judged: /) } });
  for (const step of ['final-invoice', 'data-export']) expect(await message(workflowId, step)).toBeNull();
  expect(await stack.orm.em.fork().count(CustomerExport, { workflowId })).toBe(0);
  await recordHistory(workflowId, 'account-review-not-judged-at-notice-end');
}, 120_000);

it('waits at the end of the notice while a fix case is open, and offboards once it is resolved', async () => {
  const { customerId, workflowId, noticeEndsAt } = await inNotice('Eli');
  const fixCaseId = await fixCase(customerId, 'delivery');
  await new Promise((r) => setTimeout(r, Math.max(0, noticeEndsAt - Date.now()) + seconds(1.5)));
  expect(await review(customerId)).toMatchObject({ step: 'offboarding', status: 'Running' });
  // The run looks at the open issues once its notice timer has fired and its check has run, which a loaded machine can
  // take longer than the sleep for: read as it comes (the wait for the fix lasts openIssueWaitMs, 6 s).
  const waitingDetails = 'Not offboarded while a complaint or fix is open (fix case open: delivery): looking again then';
  expect(await eventually(() => details(workflowId), (d) => d === waitingDetails, seconds(5))).toBe(waitingDetails);
  expect(await customer(customerId)).toMatchObject({ status: CustomerStatus.Offboarding });
  expect(await message(workflowId, 'data-export')).toBeNull();
  await stack.orm.em.fork().nativeUpdate(FixCase, { id: fixCaseId }, { status: FixCaseStatus.Resolved, resolvedAt: new Date() });
  expect(await ended(customerId)).toMatchObject({ outcome: 'offboarded' });
  expect(await customer(customerId)).toMatchObject({ status: CustomerStatus.Offboarded });
  expect(await message(workflowId, 'data-export')).not.toBeNull();
  expect(await withdrawals(customerId)).toEqual([]);
}, 120_000);

it('does not offboard a customer whose fix case is still open after the wait: ends kept-issue-open, the team told', async () => {
  const { customerId, workflowId } = await inNotice('Fay');
  await fixCase(customerId, 'billing');
  const done = await ended(customerId);
  expect(done).toMatchObject({ outcome: 'kept-issue-open', status: 'Completed' });
  expect(await customer(customerId)).toMatchObject({ status: CustomerStatus.Active, offboardedAt: null });
  expect(await withdrawals(customerId)).toEqual([[`playbook:${workflowId}`, { status: 'active', workflowId, reason: 'a complaint or fix was still open at the end of the notice (fix case open: billing)' }]]);
  expect(await message(workflowId, 'kept-at-notice-end')).toMatchObject({ channel: MessageChannel.Call, template: 'offboarding-kept-at-notice-end', payload: { why: 'issue-open', openIssues: 'fix case open: billing' } });
  for (const step of ['final-invoice', 'data-export']) expect(await message(workflowId, step)).toBeNull();
}, 120_000);
