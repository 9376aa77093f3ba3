import { sql } from 'kysely';
import { Role } from '../src/domain/auth/roles.js';
import { accountReviewPolicy, accountReviewWorkflowId, type AccountReviewPolicy } from '../src/domain/playbooks/account-review.js';
import { seconds } from '../src/domain/policies/duration.js';
import { Order } from '../src/entities/index.js';
import type { accountReview } from '../workflows/index.js';
import { AccountReviewDocument, AnswerAccountProposalDocument, StartAccountReviewDocument } from './__generated__/graphql.js';
import { eventually } from './support/eventually.js';
import { recordHistory } from './support/histories.js';
import { lossMakingAccount } from './support/loss-making-account.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * An account review on the real Temporal dev server, its waits shortened to seconds: an account the rescore cannot
 * judge is not "turned around" (QA 64 F8).
 */
const policy: AccountReviewPolicy = {
  ...accountReviewPolicy,
  answerWaitMs: seconds(20),
  reviewAfterMs: seconds(1),
  approvalWaitMs: seconds(20),
  noticeMs: seconds(1),
  noticeRecheckMs: seconds(1),
};

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ policies: { accountReview: policy } });
}, 90_000);
afterAll(() => stack?.stop());

const account = (name: string, opts: Parameters<typeof lossMakingAccount>[2] = {}) => lossMakingAccount(stack, name, opts);

const review = (customerId: string) => stack.gql(AccountReviewDocument, { customerId }, Role.Viewer).then((r) => r.data?.accountReview ?? null);
const outboxSteps = async (workflowId: string) =>
  (await sql<{ key: string }>`select idempotency_key as key from outbox_message where idempotency_key like ${`${workflowId}/%`} order by idempotency_key`.execute(stack.orm.em.fork().getKysely())).rows.map((r) =>
    r.key.slice(workflowId.length + 1),
  );
/** The run's step detail (what the Temporal UI shows beside the step). */
const details = async (workflowId: string) => (await stack.temporal.client.workflow.getHandle(workflowId).query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails;

it('ends not-judged, not turned-around, for an account the rescore cannot judge (no order carries a margin): profitability null, nothing sent (QA 64 F8)', async () => {
  // Scored loss-making last night; since then its orders lost their margins (an orders import without them).
  const customerId = await account('Nell', { margins: false });
  const workflowId = accountReviewWorkflowId(customerId);
  const outcome = await stack.temporal.client.workflow.execute<typeof accountReview>('accountReview', { workflowId, taskQueue: stack.config.temporal.taskQueue, args: [{ customerId, policy }] });
  expect(outcome).toBe('not-judged');
  expect(await review(customerId)).toMatchObject({ step: 'done', outcome: 'not-judged', profitabilityMinor: null, proposal: null, status: 'Completed' });
  expect(await details(workflowId)).toMatch(/^The account cannot be judged \(not judged: the orders of the last \d+ days .* carry no margin, nor does any earlier order\): nothing proposed, nothing sent$/);
  expect(await outboxSteps(workflowId)).toEqual([]);
}, 60_000);

it('ends not-judged at the review when the account can no longer be judged then, with no offboarding asked for (QA 64 F8)', async () => {
  const customerId = await account('Orla');
  const workflowId = accountReviewWorkflowId(customerId);
  expect((await stack.gql(StartAccountReviewDocument, { customerId }, Role.Operator)).errors).toBeUndefined();
  expect(await eventually(() => review(customerId), (s) => s?.step === 'awaiting-answer')).toMatchObject({ profitabilityMinor: expect.any(Number) });
  // Meanwhile an orders import blanks the margins: the review period's rescore cannot judge the account.
  await stack.orm.em.fork().nativeUpdate(Order, { customer: customerId }, { marginMinor: null });
  expect((await stack.gql(AnswerAccountProposalDocument, { customerId, accepted: false }, Role.Operator)).errors).toBeUndefined();
  const done = await eventually(() => review(customerId), (s) => s?.step === 'done');
  expect(done).toMatchObject({ outcome: 'not-judged', profitabilityMinor: null, answer: 'declined', offboardingApproved: null });
  expect(await details(workflowId)).toMatch(/^The account cannot be judged at the review \(not judged: .*\): no offboarding is asked for; a later review judges it again$/);
  expect(await outboxSteps(workflowId)).toEqual(['proposal']);
  await recordHistory(workflowId, 'account-review-not-judged');
}, 60_000);
