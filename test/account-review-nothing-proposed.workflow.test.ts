import { Role } from '../src/domain/auth/roles.js';
import { accountReviewPolicy, accountReviewWorkflowId, type AccountReviewPolicy } from '../src/domain/playbooks/account-review.js';
import { seconds } from '../src/domain/policies/duration.js';
import { CostKind, Customer, MessageChannel, Order, OutboxMessage, ServiceTier } from '../src/entities/index.js';
import { AccountReviewDocument, CustomerMessagesDocument, DecideOffboardingDocument, RunningPlaybookRunsDocument, StartAccountReviewDocument, type RunningPlaybookRunsFilterInput } from './__generated__/graphql.js';
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
