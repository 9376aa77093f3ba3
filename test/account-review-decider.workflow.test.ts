import { jest } from '@jest/globals';
import { Role } from '../src/domain/auth/roles.js';
import { accountReviewWorkflowId } from '../src/domain/playbooks/account-review.js';
import { AuditEntry, Customer, ScoreSnapshot } from '../src/entities/index.js';
import { AccountReviewDocument, AccountReviewStandingDocument, AccountReviewStandingsDocument, AnswerAccountProposalDocument, StartAccountReviewDocument } from './__generated__/graphql.js';
import { eventually } from './support/eventually.js';
import { lossMakingAccount, shortNoticePolicy } from './support/loss-making-account.js';
import { countStatements } from './support/statement-counter.js';
import { startTestStack, type TestStack } from './support/stack.js';
import { TemporalPlaybookEngine } from '../src/temporal/temporal-playbook-engine.js';

/**
 * What an account review tells the people who act on it: the person deciding on offboarding sees the customer's standing
 * beside the loss (how long they have been with us, how they pay, what they are expected to bring), and an account
 * manager who records a second answer to the proposal is told which answer was taken (their own answer retried after
 * PLAYBOOK_OUTCOME_UNKNOWN is no second answer: it joins the first).
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ policies: { accountReview: shortNoticePolicy } });
}, 90_000);
afterAll(() => stack?.stop());

const review = (customerId: string) => stack.gql(AccountReviewDocument, { customerId }, Role.Viewer).then((r) => r.data?.accountReview ?? null);

it("shows the decider the customer's standing as stored now (customer since, payment-loyalty band, lifetime value), read for a page of reviews in one statement, from their records", async () => {
  const loyal = await lossMakingAccount(stack, 'Lena');
  const unscored = await lossMakingAccount(stack, 'Ulla');
  const em = stack.orm.em.fork();
  await em.nativeUpdate(Customer, { id: loyal }, { acquiredAt: '2018-01-10' });
  // Her payment record and lifetime value, as the nightly scoring left them (a snapshot of those kinds alone).
  em.create(ScoreSnapshot, {
    customer: em.getReference(Customer, loyal),
    computedAt: new Date(),
    scores: {
      'payment-loyalty': { value: 1, band: 'loyal', modelVersion: 'test', reasons: ['test'] },
      clv: { value: 20_868.6, band: null, modelVersion: 'test', reasons: ['test'] },
    },
  });
  await em.flush();
  for (const customerId of [loyal, unscored]) expect((await stack.gql(StartAccountReviewDocument, { customerId }, Role.Operator)).errors).toBeUndefined();
  for (const customerId of [loyal, unscored]) await eventually(() => review(customerId), (s) => s?.step === 'awaiting-answer');

  const standing = (await stack.gql(AccountReviewStandingDocument, { customerId: loyal }, Role.Viewer)).data!.accountReview;
  expect(standing).toEqual({ id: accountReviewWorkflowId(loyal), workflowId: accountReviewWorkflowId(loyal), step: 'awaiting-answer', profitabilityMinor: expect.any(Number), customerSince: '2018-01-10', paymentLoyaltyBand: 'loyal', clvMinor: 20_869 });

  // The list of reviews under way (what the approver works from), from the runs' records: Temporal is asked nothing, and
  // the customers' standing is read in one statement for the page, however many reviews it lists.
  const listed = () => stack.gql(AccountReviewStandingsDocument, {}, Role.Viewer).then((r) => r.data?.runningPlaybookRuns?.edges.map((e) => e.node) ?? []);
  await eventually(listed, (nodes) => [loyal, unscored].every((id) => nodes.some((n) => n.customerId === id)));
  const asked = jest.spyOn(TemporalPlaybookEngine.prototype, 'runState');
  try {
    const read = await countStatements(listed);
    expect(read.result.find((n) => n.customerId === loyal)).toEqual({ id: accountReviewWorkflowId(loyal), customerId: loyal, customerSince: '2018-01-10', paymentLoyaltyBand: 'loyal', clvMinor: 20_869 });
    expect(read.result.find((n) => n.customerId === unscored)).toEqual({ id: accountReviewWorkflowId(unscored), customerId: unscored, customerSince: '2024-01-01', paymentLoyaltyBand: null, clvMinor: null });
    expect(read.statements.filter((s) => /left join current_score pl/.test(s))).toHaveLength(1);
    expect(asked).not.toHaveBeenCalled();
  } finally {
    asked.mockRestore();
  }
}, 60_000);

it("tells a second answer to the proposal which answer the customer gave, and that it stands (PLAYBOOK_DECISION_REFUSED, with answer)", async () => {
  const customerId = await lossMakingAccount(stack, 'Paula');
  expect((await stack.gql(StartAccountReviewDocument, { customerId }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => review(customerId), (s) => s?.step === 'awaiting-answer');
  const declined = await stack.gql(AnswerAccountProposalDocument, { customerId, accepted: false }, Role.Operator);
  expect(declined.errors).toBeUndefined();
  expect(declined.data!.answerAccountProposal).toMatchObject({ answer: 'declined' });

  // A colleague records a yes afterwards: refused, saying the customer's no was taken (whatever step the review is at by then).
  const second = await stack.gql(AnswerAccountProposalDocument, { customerId, accepted: true }, Role.Operator);
  expect(second.errors![0]).toMatchObject({
    message: expect.stringMatching(/^The account review of customer [0-9a-f-]+ takes no second answer: the customer's answer was already taken \(declined\), and a proposal takes one answer \(step [a-z-]+\)$/),
    extensions: { code: 'CONFLICT', reason: 'PLAYBOOK_DECISION_REFUSED', answer: 'declined', step: expect.any(String) },
  });
  expect((await review(customerId))!.answer).toBe('declined');

  // The first caller's same request again (its response lost on the way): answered as the first was, nothing recorded again.
  const entries = () => stack.orm.em.fork().find(AuditEntry, { action: 'playbook.answer-proposal', entityId: accountReviewWorkflowId(customerId) });
  const repeated = await stack.gql(AnswerAccountProposalDocument, { customerId, accepted: false }, Role.Operator);
  expect(repeated.errors).toBeUndefined();
  expect(repeated.data!.answerAccountProposal).toMatchObject({ answer: 'declined' });
  expect((await entries()).map((e) => [e.actor, e.after])).toEqual([[expect.stringMatching(/^operator:/), { customerId, accepted: false }]]);
  // Another caller's same answer is still a second answer.
  expect((await stack.gql(AnswerAccountProposalDocument, { customerId, accepted: false }, Role.Admin)).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'PLAYBOOK_DECISION_REFUSED', answer: 'declined' });
  await stack.temporal.client.workflow.getHandle(accountReviewWorkflowId(customerId)).terminate('test over');
}, 60_000);

it('joins an answer retried after PLAYBOOK_OUTCOME_UNKNOWN whose update the run took: answered as the first, its entry settled taken, no second one; another answer or caller is refused', async () => {
  const customerId = await lossMakingAccount(stack, 'Rita');
  const workflowId = accountReviewWorkflowId(customerId);
  expect((await stack.gql(StartAccountReviewDocument, { customerId }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => review(customerId), (s) => s?.step === 'awaiting-answer');
  // The first call as it went: its entry written, its update sent and taken by the run, then no answer in time (unknown).
  const { caller, services } = await stack.api.contextFor('Bearer test-operator-key-0123456789');
  const updateId = `playbook.answer-proposal/first-${customerId}`;
  const em = stack.orm.em.fork();
  const [entryId] = await services.audit.recordCall(em, [{ actor: caller!.id, action: 'playbook.answer-proposal', entityType: 'playbook_run', entityId: workflowId, after: { customerId, accepted: false } }], updateId);
  await (await new TemporalPlaybookEngine(stack.temporal.client, stack.config.temporal.taskQueue).answerProposal(workflowId, false, updateId))!.acted();
  await services.audit.callOutcomeUnknown(em, [entryId]);
  expect((await review(customerId))!.answer).toBe('declined');

  // The same request again, as the error said: the run's answer, not CONFLICT/PLAYBOOK_DECISION_REFUSED naming their own answer.
  const retried = await stack.gql(AnswerAccountProposalDocument, { customerId, accepted: false }, Role.Operator);
  expect(retried.errors).toBeUndefined();
  expect(retried.data!.answerAccountProposal).toMatchObject({ answer: 'declined' });
  const entries = () => stack.orm.em.fork().find(AuditEntry, { action: 'playbook.answer-proposal', entityId: workflowId });
  expect((await entries()).map((e) => [e.id, e.after?.outcome ?? null, e.after?.updateId])).toEqual([[entryId, 'taken', updateId]]);
  // Another person's answer, or the same person's other answer, is a second answer: refused, unaudited; a third call of
  // theirs with the same answer repeats the one the run took: answered as it was, nothing recorded again.
  for (const [accepted, role] of [[false, Role.Admin], [true, Role.Operator]] as const) {
    expect((await stack.gql(AnswerAccountProposalDocument, { customerId, accepted }, role)).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'PLAYBOOK_DECISION_REFUSED', answer: 'declined' });
  }
  expect((await stack.gql(AnswerAccountProposalDocument, { customerId, accepted: false }, Role.Operator)).data!.answerAccountProposal).toMatchObject({ answer: 'declined' });
  expect(await entries()).toHaveLength(1);
  await stack.temporal.client.workflow.getHandle(workflowId).terminate('test over');
}, 60_000);
