import { Role } from '../src/domain/auth/roles.js';
import { accountReviewPolicy, accountReviewWorkflowId, type AccountReviewPolicy } from '../src/domain/playbooks/account-review.js';
import { seconds } from '../src/domain/policies/duration.js';
import { dayIn } from '../src/domain/billing/paid-day.js';
import { Complaint, ComplaintSeverity, CostKind, Customer, FixCase, FixCaseStatus, MessageChannel, Order, OutboxMessage, ServiceTier, ServiceTierChange, TierChangeSource } from '../src/entities/index.js';
import { AccountReviewDocument, AnswerAccountProposalDocument, CustomerMessagesDocument, DecideOffboardingDocument, RunningPlaybookRunsDocument, StartAccountReviewDocument, type RunningPlaybookRunsFilterInput } from './__generated__/graphql.js';
import { eventually } from './support/eventually.js';
import { recordHistory } from './support/histories.js';
import { lossMakingAccount } from './support/loss-making-account.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * An account review that can propose nothing (a basic-tier account: no cheaper tier, and no offer exists), on the real
 * Temporal dev server, its waits shortened to seconds: the customer's first word from the review is a conversation with the
 * team that owns customer relationships, never an offboarding notice, and no offboarding decision is asked for while a
 * complaint or fix case of theirs is open (it could only be refused).
 */
const policy: AccountReviewPolicy = {
  ...accountReviewPolicy,
  answerWaitMs: seconds(20),
  reviewAfterMs: seconds(6),
  approvalWaitMs: seconds(20),
  noticeMs: seconds(1),
  noticeRecheckMs: seconds(1),
  openIssueRecheckMs: seconds(0.5),
  openIssueWaitMs: seconds(20),
  relationshipTeam: 'key-accounts',
};

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ policies: { accountReview: policy }, workerSettings: { MESSAGE_CHANNEL: 'off' } });
}, 90_000);
afterAll(() => stack?.stop());

const DAY = 86_400_000;

/** A basic-tier account losing money on support (-200.00): no cheaper tier, no offer: nothing to propose. */
const account = (name: string) => lossMakingAccount(stack, name, { tier: ServiceTier.Basic, costKind: CostKind.SupportMinutes });
const review = (customerId: string) => stack.gql(AccountReviewDocument, { customerId }, Role.Viewer).then((r) => r.data?.accountReview ?? null);
const message = (workflowId: string, step: string) => stack.orm.em.fork().findOne(OutboxMessage, { idempotencyKey: `${workflowId}/${step}` });
/** The run's step detail (what the Temporal UI shows beside the step). */
const details = async (workflowId: string) => (await stack.temporal.client.workflow.getHandle(workflowId).query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails;
const awaitingApproval = async () =>
  (await stack.gql(RunningPlaybookRunsDocument, { filter: { playbook: 'AccountReview', step: 'awaiting-approval' } as RunningPlaybookRunsFilterInput, first: 100 }, Role.Viewer)).data!.runningPlaybookRuns!.edges.map((e) => e.node.customerId);

async function openComplaint(customerId: string, topic: string): Promise<string> {
  const em = stack.orm.em.fork();
  const k = em.create(Complaint, { customer: em.getReference(Customer, customerId), topic, severity: ComplaintSeverity.Medium, openedAt: new Date(Date.now() - DAY) });
  await em.flush();
  return k.id;
}

it('asks the relationship team to talk the account through with the customer when nothing can be proposed, and gives that the review period before an offboarding decision is asked for; an account that turns around meanwhile ends turned-around', async () => {
  const customerId = await account('Lena');
  const workflowId = accountReviewWorkflowId(customerId);
  const started = Date.now();
  expect((await stack.gql(StartAccountReviewDocument, { customerId }, Role.Operator)).errors).toBeUndefined();
  // Not the offboarding inbox within a second: the review period, its end the deadline.
  const waiting = await eventually(() => review(customerId), (s) => s?.step === 'awaiting-review');
  expect(waiting).toMatchObject({ proposal: expect.stringMatching(/^none: no cheaper tier, and no offer moves the account/), accountProposal: null, profitabilityMinor: -20_000 });
  expect(Date.parse(waiting!.deadline!)).toBeGreaterThan(started + policy.reviewAfterMs - 1_000);
  expect(await details(workflowId)).toBe('Nothing to propose: the relationship team talks the account through with the customer; scoring again then');
  expect(await awaitingApproval()).not.toContain(customerId);
  // The team that owns customer relationships (the policy's) has a task naming what the review found.
  const task = await eventually(() => message(workflowId, 'nothing-proposed'), (m) => m !== null);
  expect(task).toMatchObject({
    channel: MessageChannel.Call,
    template: 'account-nothing-proposed',
    payload: {
      profitabilityMinor: -20_000,
      reasons: expect.arrayContaining([expect.stringMatching(/^margin 100\.00 minus cost to serve 300\.00 /), 'cost drivers: support minutes 300.00 (100%)']),
      nothingProposed: expect.stringMatching(/^no cheaper tier, and no offer moves the account/),
      reviewAt: waiting!.deadline,
      owner: 'key-accounts',
    },
  });
  // Nothing to the customer: no notice, no proposal.
  for (const step of ['notice', 'switch-help', 'proposal']) expect(await message(workflowId, step)).toBeNull();
  await stack.orm.em.fork().nativeUpdate(OutboxMessage, { id: task!.id }, { sentAt: new Date(), attempts: 1 });
  const sent = (await stack.gql(CustomerMessagesDocument, { id: customerId, first: 20 }, Role.Viewer)).data!.customer!.messages.edges.map((e) => e.node);
  expect(sent.find((m) => m.template === 'account-nothing-proposed')).toMatchObject({
    recipient: 'Team',
    recipientTeam: 'key-accounts',
    subject: 'Talk to Lena: their account loses money and the review found nothing to propose',
    text: expect.stringMatching(/^Lena's account review found the account losing money: .*200\.00\. What the profitability score says: .*cost drivers: support minutes 300\.00 \(100%\).*Nothing could be proposed to them: no cheaper tier/),
  });
  // Still losing money after the review period: now a person is asked.
  const asked = await eventually(() => review(customerId), (s) => s?.step === 'awaiting-approval');
  expect(Date.now() - started).toBeGreaterThan(policy.reviewAfterMs - 1_000);
  expect(asked).toMatchObject({ profitabilityMinor: -20_000, openIssues: null });
  expect((await stack.gql(DecideOffboardingDocument, { customerId, approve: false, reason: 'talked it through: keep' }, Role.Admin)).errors).toBeUndefined();
  expect(await eventually(() => review(customerId), (s) => s?.step === 'done')).toMatchObject({ outcome: 'kept-by-decision' });
  await recordHistory(workflowId, 'account-review-nothing-proposed-talked-through');

  // The conversation helped: they bought again during the review period, and the review ends turned-around, nobody asked.
  const turned = await account('Tove');
  expect((await stack.gql(StartAccountReviewDocument, { customerId: turned }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => review(turned), (s) => s?.step === 'awaiting-review');
  const em = stack.orm.em.fork();
  em.create(Order, { customer: em.getReference(Customer, turned), orderedAt: new Date(Date.now() - DAY), amountMinor: 500_000, marginMinor: 200_000 });
  await em.flush();
  const done = await eventually(() => review(turned), (s) => s?.step === 'done');
  expect(done).toMatchObject({ outcome: 'turned-around', offboardingApproved: null });
  expect(done!.profitabilityMinor).toBeGreaterThan(0);
  expect(await message(accountReviewWorkflowId(turned), 'nothing-proposed')).toMatchObject({ template: 'account-nothing-proposed' });
}, 90_000);

it('asks for no offboarding decision while a complaint or fix case of the customer is open: waits for it to close, then asks; still open after the wait, it ends kept-issue-open, no offboarding weighed', async () => {
  const customerId = await account('Carl');
  const workflowId = accountReviewWorkflowId(customerId);
  const complaintId = await openComplaint(customerId, 'billing');
  expect((await stack.gql(StartAccountReviewDocument, { customerId }, Role.Operator)).errors).toBeUndefined();
  // Past the review period, still losing money, a complaint open: it waits, out of the offboarding inbox, saying why.
  await eventually(() => details(workflowId), (d) => d === 'No offboarding is weighed while a complaint or fix is open (complaint open: billing): looking again then', 30_000);
  expect(await review(customerId)).toMatchObject({ step: 'awaiting-review', openIssues: 'complaint open: billing', offboardingApproved: null });
  await new Promise((r) => setTimeout(r, 2_000));
  expect(await review(customerId)).toMatchObject({ step: 'awaiting-review' });
  expect(await awaitingApproval()).not.toContain(customerId);
  // The complaint resolved: the next look asks a person, and an approval can be taken.
  await stack.orm.em.fork().nativeUpdate(Complaint, { id: complaintId }, { resolvedAt: new Date() });
  expect(await eventually(() => review(customerId), (s) => s?.step === 'awaiting-approval')).toMatchObject({ openIssues: null, profitabilityMinor: -20_000 });
  expect(await awaitingApproval()).toContain(customerId);
  expect((await stack.gql(DecideOffboardingDocument, { customerId, approve: false, reason: 'keep' }, Role.Admin)).errors).toBeUndefined();
  await eventually(() => review(customerId), (s) => s?.step === 'done');

  // A fix case that stays open through the wait: the review ends kept-issue-open, nobody asked, nothing sent to the customer.
  const open = await account('Cleo');
  const em = stack.orm.em.fork();
  em.create(FixCase, { workflowId: `fix-issue/${open}/delivery`, customer: em.getReference(Customer, open), topic: 'delivery', team: 'customer-care', owner: 'customer-care', status: FixCaseStatus.Open, openedAt: new Date() });
  await em.flush();
  const openId = accountReviewWorkflowId(open);
  const handle = await stack.temporal.client.workflow.start('accountReview', {
    workflowId: openId,
    taskQueue: stack.config.temporal.taskQueue,
    args: [{ customerId: open, policy: { ...policy, reviewAfterMs: seconds(1), openIssueWaitMs: seconds(3) } }],
  });
  expect(await handle.result()).toBe('kept-issue-open');
  expect(await review(open)).toMatchObject({ outcome: 'kept-issue-open', offboardingApproved: null });
  expect(await details(openId)).toBe("A complaint or fix case of the customer's stayed open through the wait before the offboarding decision (fix case open: delivery): no offboarding weighed");
  for (const step of ['notice', 'switch-help', 'proposal']) expect(await message(openId, step)).toBeNull();
  await recordHistory(openId, 'account-review-approval-waits-for-open-issues');
}, 90_000);

it('refuses an approval taken on the finding that nothing could be proposed once the CRM moved the customer to a richer tier on which a cheaper one helps, and proposes that tier first', async () => {
  const customerId = await account('Lars');
  const workflowId = accountReviewWorkflowId(customerId);
  expect((await stack.gql(StartAccountReviewDocument, { customerId }, Role.Operator)).errors).toBeUndefined();
  expect(await eventually(() => review(customerId), (s) => s?.step === 'awaiting-approval', 30_000)).toMatchObject({ proposal: expect.stringMatching(/^none: no cheaper tier/), profitabilityMinor: -20_000 });
  // The CRM moves the customer to premium (a customers import: the tier, and the change as the import records it).
  const em = stack.orm.em.fork();
  const customer = await em.findOneOrFail(Customer, { id: customerId });
  em.create(ServiceTierChange, { customer, changedOn: dayIn(customer.timeZone), fromTier: ServiceTier.Basic, toTier: ServiceTier.Premium, source: TierChangeSource.Import });
  customer.serviceTier = ServiceTier.Premium;
  await em.flush();
  // The approval rests on "no cheaper tier", while basic now helps: refused, saying so with the figures and the basis.
  const refused = await stack.gql(DecideOffboardingDocument, { customerId, approve: true, reason: 'still losing' }, Role.Admin);
  expect(refused.errors?.[0]?.extensions).toMatchObject({
    code: 'CONFLICT',
    reason: 'PLAYBOOK_DECISION_REFUSED',
    refused: 'tier-changed',
    tier: 'premium',
    tierAtStart: 'basic',
    suggestedTier: 'basic',
    // The plain window (a day of premium's fee margin in it now), beside the figure on premium the basis names.
    profitabilityMinor: expect.any(Number),
    profitabilityBasis: expect.stringMatching(/; on premium, the tier held now, for all of it: -\d[\d,]*\.\d\d, which other tiers are weighed against$/),
  });
  expect(refused.errors![0].message).toMatch(
    /^The offboarding of customer .* was not approved: the customer's service tier changed since the review began \(basic then, premium now, not by the review\): rescored now, a cheaper service tier helps: basic, projected EUR -200\.00 instead of EUR -1,040\.00 on premium, and the review proposed nothing: the customer is offered it first \(the account EUR -199\.\d\d: .*; on premium, the tier held now, for all of it: -1,040\.00, which other tiers are weighed against\); a rejection is taken$/,
  );
  expect(refused.errors![0].extensions).toMatchObject({ projectedProfitabilityMinor: -20_000 });
  // The run goes back to proposing: the cheaper tier is put to the customer, and the answer awaited; nobody under notice.
  const proposed = await eventually(() => review(customerId), (s) => s?.step === 'awaiting-answer', 30_000);
  expect(proposed).toMatchObject({ accountProposal: { kind: 'TierChange', tier: 'Basic' }, offboardingApproved: null, customer: { status: 'Active' } });
  expect(await message(workflowId, 'proposal')).toMatchObject({ template: 'account-proposal', payload: { proposal: { kind: 'tier-change', tier: 'basic' } } });
  expect(await message(workflowId, 'notice')).toBeNull();
  // They take it: the review period runs, and a person decides on the account as it stands after the change.
  expect((await stack.gql(AnswerAccountProposalDocument, { customerId, accepted: true }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => review(customerId), (s) => s?.step === 'awaiting-approval' || s?.step === 'done', 30_000);
  const current = await review(customerId);
  if (current?.step === 'awaiting-approval') expect((await stack.gql(DecideOffboardingDocument, { customerId, approve: false, reason: 'took basic: keep' }, Role.Admin)).errors).toBeUndefined();
  await eventually(() => review(customerId), (s) => s?.step === 'done', 30_000);
  await recordHistory(workflowId, 'account-review-stale-approval-reproposes');
}, 120_000);
