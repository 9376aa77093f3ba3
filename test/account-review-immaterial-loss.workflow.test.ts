import { Role } from '../src/domain/auth/roles.js';
import { accountReviewPolicy, accountReviewWorkflowId, type AccountReviewPolicy } from '../src/domain/playbooks/account-review.js';
import { triggerPolicy } from '../src/domain/playbooks/triggers.js';
import { seconds } from '../src/domain/policies/duration.js';
import { AuditEntry, CostEntry, CostKind, Customer, Order, PlaybookRun, ServiceTier } from '../src/entities/index.js';
import type { playbookTriggers } from '../workflows/index.js';
import { AccountReviewDocument, AnswerAccountProposalDocument, CustomerScoresDocument, DecideOffboardingDocument, StartAccountReviewDocument } from './__generated__/graphql.js';
import { eventually } from './support/eventually.js';
import { recordHistory } from './support/histories.js';
import { completedRescore } from './support/rescores.js';
import { startTestStack, type TestStack } from './support/stack.js';
import { zoneAtNoon } from './support/time-zones.js';

/**
 * A loss too small to be material (under the larger of 25.00 and 5% of the margin over the window) is not loss-making:
 * a loyal premium payer losing 3.00 a year is scored `break-even`, the sweep and a start by hand leave them alone, and an
 * account review whose account is down to such a loss by the time it judges it again asks nobody to offboard it.
 * On the real PostgreSQL, Temporal dev server and worker; the account review's waits shortened to seconds.
 */
const policy: AccountReviewPolicy = { ...accountReviewPolicy, answerWaitMs: seconds(20), reviewAfterMs: seconds(1), approvalWaitMs: seconds(20), noticeMs: seconds(1), noticeRecheckMs: seconds(1) };

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ policies: { accountReview: policy } });
}, 90_000);
afterAll(() => stack?.stop());

const DAY = 86_400_000;
const day = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY).toISOString().slice(0, 10);

/**
 * A premium customer since 2024: four orders in the last year of 25.00 margin each, with premium's 60.00 fee margin 160.00
 * over the window, against `costMinor` of support (or of returns, which every tier takes alike: no cheaper tier helps).
 */
async function account(name: string, costMinor: number, costKind = CostKind.SupportMinutes): Promise<string> {
  const em = stack.orm.em.fork();
  const c = em.create(Customer, { name, email: `${name.toLowerCase()}@example.com`, acquiredAt: '2024-01-01', serviceTier: ServiceTier.Premium, timeZone: zoneAtNoon(new Date()) });
  for (let i = 1; i <= 4; i++) em.create(Order, { customer: c, orderedAt: new Date(Date.now() - i * 60 * DAY), amountMinor: 10_000, marginMinor: 2_500 });
  em.create(CostEntry, { customer: c, occurredAt: day(30), kind: costKind, amountMinor: costMinor });
  await em.flush();
  return c.id;
}

/** An order of yesterday with `marginMinor` (imported: no rescore), bringing the account's loss down. */
async function bought(customerId: string, marginMinor: number): Promise<void> {
  const em = stack.orm.em.fork();
  em.create(Order, { customer: customerId, orderedAt: new Date(Date.now() - DAY), amountMinor: marginMinor * 2, marginMinor });
  await em.flush();
}

const profitability = async (customerId: string) =>
  (await stack.gql(CustomerScoresDocument, { id: customerId, historyKind: 'Profitability' as never }, Role.Viewer)).data!.customer!.scores.find((s) => s.kind === 'Profitability');
const review = (customerId: string) => stack.gql(AccountReviewDocument, { customerId }, Role.Viewer).then((r) => r.data?.accountReview ?? null);
const sweep = (id: string) => stack.temporal.client.workflow.execute<typeof playbookTriggers>('playbookTriggers', { workflowId: id, taskQueue: stack.config.temporal.taskQueue, args: [{ policy: triggerPolicy }] });

it('scores a loss of 3.00 break-even, with why; neither the sweep nor a start by hand reviews the account, while one losing 140.00 is reviewed', async () => {
  // 160.00 of margin against 163.00 of support: -3.00, under the 25.00 (5% of 160.00 is 8.00) that makes an account loss-making.
  const small = await account('Ada', 16_300);
  // 160.00 against 300.00: -140.00, loss-making.
  const large = await account('Max', 30_000);
  await completedRescore(stack, day(0));

  expect(await profitability(small)).toMatchObject({ value: -300, band: 'break-even' });
  expect((await profitability(small))!.reasons).toContain('a loss of 3.00 over the last 365 days, under the 25.00 that makes an account loss-making: break-even, not a loss to review');
  expect(await profitability(large)).toMatchObject({ value: -14_000, band: 'loss-making' });

  // The sweep starts a review for the material loss only.
  expect(await sweep('playbook-triggers/immaterial-1')).toMatchObject({ 'loss-making': 1 });
  await eventually(() => stack.orm.em.fork().count(PlaybookRun, { customer: large }), (n) => n === 1);
  expect(await stack.orm.em.fork().count(PlaybookRun, { customer: small })).toBe(0);
  expect(await review(small)).toBeNull();

  // By hand: refused, the band named.
  const refused = await stack.gql(StartAccountReviewDocument, { customerId: small }, Role.Operator);
  expect(refused.errors![0]).toMatchObject({
    message: `No account-review for customer ${small}: the account's profitability band is "break-even", not "loss-making": a review is for loss-making accounts`,
    extensions: { code: 'CONFLICT', reason: 'PLAYBOOK_NOT_ELIGIBLE', customerId: small, playbook: 'AccountReview' },
  });
  expect(await stack.orm.em.fork().count(PlaybookRun, { customer: small })).toBe(0);
}, 180_000);

it('ends a review whose account is down to a loss too small to count at the review turned-around, with the true figure, and asks nobody to offboard it', async () => {
  // Support: the review proposes the cheaper basic tier; the customer declines.
  const customerId = await account('Eve', 30_000);
  await completedRescore(stack, day(0));
  const workflowId = accountReviewWorkflowId(customerId);
  expect((await stack.gql(StartAccountReviewDocument, { customerId }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => review(customerId), (s) => s?.step === 'awaiting-answer');
  // Meanwhile the customer bought again: 297.00 of margin against 300.00 of support, -3.00.
  await bought(customerId, 13_700);
  expect((await stack.gql(AnswerAccountProposalDocument, { customerId, accepted: false }, Role.Operator)).errors).toBeUndefined();
  expect(await eventually(() => review(customerId), (s) => s?.step === 'done')).toMatchObject({ outcome: 'turned-around', profitabilityMinor: -300, offboardingApproved: null });
  await recordHistory(workflowId, 'account-review-immaterial-loss-at-review');
}, 180_000);

it('refuses an offboarding approval for an account down to a loss of 3.00, and the run ends turned-around with that figure', async () => {
  // Returns (the same on every tier) and no marketing consent: nothing to propose, so a person is asked at once.
  const customerId = await account('Ned', 30_000, CostKind.Return);
  await completedRescore(stack, day(0));
  expect((await stack.gql(StartAccountReviewDocument, { customerId }, Role.Operator)).errors).toBeUndefined();
  expect(await eventually(() => review(customerId), (s) => s?.step === 'awaiting-approval')).toMatchObject({ profitabilityMinor: -14_000 });
  // An orders import (no rescore): 297.00 of margin against 300.00 of returns by the decision.
  await bought(customerId, 13_700);
  const refused = await stack.gql(DecideOffboardingDocument, { customerId, approve: true, reason: 'still loss-making' }, Role.Admin);
  expect(refused.errors![0]).toMatchObject({
    message: expect.stringContaining('the account is no longer loss-making: rescored now, EUR -3.00, a loss too small to make an account loss-making: break-even'),
    extensions: { code: 'CONFLICT', reason: 'PLAYBOOK_DECISION_REFUSED', refused: 'not-loss-making', profitabilityMinor: -300 },
  });
  expect(await eventually(() => review(customerId), (s) => s?.step === 'done')).toMatchObject({ outcome: 'turned-around', profitabilityMinor: -300, offboardingApproved: null });
  expect(await stack.orm.em.fork().count(AuditEntry, { action: 'playbook.decide-offboarding', entityId: accountReviewWorkflowId(customerId) })).toBe(0);
  expect(await stack.orm.em.fork().findOneOrFail(Customer, { id: customerId })).toMatchObject({ status: 'active' });
}, 180_000);
