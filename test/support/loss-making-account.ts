import { CostEntry, CostKind, Customer, Order, ScoreSnapshot, ServiceTier } from '../../src/entities/index.js';
import { accountReviewPolicy, type AccountReviewPolicy } from '../../src/domain/playbooks/account-review.js';
import { seconds } from '../../src/domain/policies/duration.js';
import type { TestStack } from './stack.js';
import { zoneAtNoon } from './time-zones.js';

const DAY = 86_400_000;

/** The account review in seconds, for the tests of its notice: answer and approval waits, a 3 s notice looked at every half second. */
export const shortNoticePolicy: AccountReviewPolicy = {
  ...accountReviewPolicy,
  answerWaitMs: seconds(20),
  reviewAfterMs: seconds(1),
  approvalWaitMs: seconds(20),
  noticeMs: seconds(3),
  noticeRecheckMs: seconds(0.5),
  noticeDeliveryWaitMs: seconds(5),
};

/**
 * A customer for account-review tests: four orders a year (each 25.00 of margin) against 300.00 of
 * support a month ago, scored loss-making (-140.00 on premium); where it is midday, so its messages go
 * at once whatever the hour the tests run at. Its orders carry no margin with `margins: false`; its cost is of
 * `costKind` (returns: every tier takes them alike, so a richer tier's fee margin helps the account).
 */
export async function lossMakingAccount(stack: TestStack, name: string, opts: { tier?: ServiceTier; margins?: boolean; marketingConsent?: boolean; costKind?: CostKind } = {}): Promise<string> {
  const em = stack.orm.em.fork();
  const c = em.create(Customer, {
    name,
    email: `${name.toLowerCase()}@example.com`,
    acquiredAt: '2024-01-01',
    serviceTier: opts.tier ?? ServiceTier.Premium,
    marketingConsent: opts.marketingConsent ?? false,
    timeZone: zoneAtNoon(new Date()),
  });
  for (let i = 1; i <= 4; i++) em.create(Order, { customer: c, orderedAt: new Date(Date.now() - i * 60 * DAY), amountMinor: 10_000, marginMinor: opts.margins === false ? null : 2_500 });
  em.create(CostEntry, { customer: c, occurredAt: new Date(Date.now() - 30 * DAY).toISOString().slice(0, 10), kind: opts.costKind ?? CostKind.SupportMinutes, amountMinor: 30_000 });
  em.create(ScoreSnapshot, { customer: c, computedAt: new Date(), scores: { profitability: { value: -14_000, band: 'loss-making', modelVersion: 'test', reasons: ['test'] } } });
  await em.flush();
  return c.id;
}
