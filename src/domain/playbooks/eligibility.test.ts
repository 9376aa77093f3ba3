import { defaultPersistentIssuePolicy } from '../scoring/persistent-issue.js';
import { appreciationPolicy } from './appreciation.js';
import { accountReviewProblem, appreciationProblem, dueDayEndsAt, fairReminderProblem, fixIssueProblem } from './eligibility.js';
import { triggerPolicy } from './triggers.js';

describe('playbook eligibility', () => {
  it('starts fair reminders for an invoice as far past due as the sweep takes it, by hand too', () => {
    const today = '2026-11-24';
    expect(fairReminderProblem('2026-11-23', today, triggerPolicy)).toBeNull();
    expect(fairReminderProblem('2026-11-24', today, triggerPolicy)).toBe('due on 2026-11-24: not overdue yet');
    expect(fairReminderProblem('2026-12-01', today, triggerPolicy)).toBe('due on 2026-12-01: not overdue yet');
    // A deployment whose sweep waits three days: a start by hand waits as long.
    expect(fairReminderProblem('2026-11-22', today, { minDaysOverdue: 3 })).toBe('2 days overdue: fair reminders start at 3 days overdue');
    expect(fairReminderProblem('2026-11-21', today, { minDaysOverdue: 3 })).toBeNull();
  });

  const asOf = '2026-12-02';
  const complaint = (topic: string, openedAt: string, more: { resolvedAt?: string; reopenedCount?: number; reopenedAt?: string } = {}) => ({ topic, openedAt, resolvedAt: openedAt, ...more });

  it('fixes only a persistent topic: three complaints, or a reopen, in the window (an open one however old)', () => {
    const three = ['2026-11-01', '2026-11-10', '2026-11-20'].map((d) => complaint('delivery-delay', d));
    expect(fixIssueProblem('delivery-delay', three, asOf, defaultPersistentIssuePolicy)).toBeNull();
    expect(fixIssueProblem('delivery-delay', [complaint('app-login', '2026-11-01', { reopenedCount: 1, reopenedAt: '2026-11-05' })], asOf, defaultPersistentIssuePolicy)).toBe(
      'no persistent issue on topic "delivery-delay": 0 complaints and 0 reopens in the last 90 days (it takes 3 complaints or 1 reopen)',
    );
    expect(fixIssueProblem('app-login', [complaint('app-login', '2026-11-01', { reopenedCount: 1, reopenedAt: '2026-11-05' })], asOf, defaultPersistentIssuePolicy)).toBeNull();
    // Two in the window and one long before it (resolved) are not three; an old one still open counts.
    const old = complaint('delivery-delay', '2026-01-10');
    expect(fixIssueProblem('delivery-delay', [...three.slice(1), old], asOf, defaultPersistentIssuePolicy)).toMatch(/: 2 complaints and 0 reopens in the last 90 days/);
    expect(fixIssueProblem('delivery-delay', [...three.slice(1), { ...old, resolvedAt: null }], asOf, defaultPersistentIssuePolicy)).toBeNull();
  });

  it('reviews only a loss-making account, and at most once within the cooldown', () => {
    const now = new Date('2026-12-02T12:00:00Z');
    const cooldown = triggerPolicy.accountReviewCooldownDays;
    expect(accountReviewProblem({ profitabilityBand: 'loss-making', lastReviewEndedAt: null, fixOpen: false }, now, cooldown)).toBeNull();
    expect(accountReviewProblem({ profitabilityBand: 'too-new', lastReviewEndedAt: null, fixOpen: false }, now, cooldown)).toBe(
      'the account\'s profitability band is "too-new", not "loss-making": a review is for loss-making accounts',
    );
    expect(accountReviewProblem({ profitabilityBand: null, lastReviewEndedAt: null, fixOpen: false }, now, cooldown)).toBe(
      "the account has no profitability band (no profitability score yet, or the account is not judged: its score's reasons say why): a review is for loss-making accounts",
    );
    expect(accountReviewProblem({ profitabilityBand: 'loss-making', lastReviewEndedAt: new Date('2026-12-02T11:59:39Z'), fixOpen: false }, now, cooldown)).toBe(
      'the last account review ended 2026-12-02; the next one may start after 180 days (from 2027-05-31)',
    );
    expect(accountReviewProblem({ profitabilityBand: 'loss-making', lastReviewEndedAt: new Date('2026-06-05T11:59:00Z'), fixOpen: false }, now, cooldown)).toBeNull();
    // Fix first: while a persistent issue of theirs is being fixed, the losses may be what handling it costs.
    expect(accountReviewProblem({ profitabilityBand: 'loss-making', lastReviewEndedAt: null, fixOpen: true }, now, cooldown)).toBe(
      'a persistent issue of theirs is being fixed (a fix case is open): fix first, review the account after',
    );
  });

  it('thanks only customers of two years or more in a loyal payment band', () => {
    expect(appreciationProblem({ acquiredAt: '2024-12-02', loyaltyBand: 'loyal', profitabilityBand: 'profitable', marketingConsent: true }, asOf, appreciationPolicy)).toBeNull();
    expect(appreciationProblem({ acquiredAt: '2026-10-02', loyaltyBand: 'new', profitabilityBand: 'profitable', marketingConsent: true }, asOf, appreciationPolicy)).toBe('customer for 61 days (since 2026-10-02); appreciation needs 730 (2 years)');
    expect(appreciationProblem({ acquiredAt: '2024-12-03', loyaltyBand: 'loyal', profitabilityBand: 'profitable', marketingConsent: true }, asOf, appreciationPolicy)).toMatch(/^customer for 729 days/);
    expect(appreciationProblem({ acquiredAt: '2020-01-01', loyaltyBand: 'at-risk', profitabilityBand: 'profitable', marketingConsent: true }, asOf, appreciationPolicy)).toBe('payment-loyalty band is "at-risk"; appreciation is for "loyal"');
    expect(appreciationProblem({ acquiredAt: '2020-01-01', loyaltyBand: null, profitabilityBand: 'profitable', marketingConsent: true }, asOf, appreciationPolicy)).toMatch(/not scored yet/);
  });

  it('thanks no loss-making account: it gets the account review, and an offer on top would deepen the loss', () => {
    expect(appreciationProblem({ acquiredAt: '2020-01-01', loyaltyBand: 'loyal', profitabilityBand: 'loss-making', marketingConsent: true }, asOf, appreciationPolicy)).toBe('the account is loss-making: an account review, not a thank-you offer');
    expect(appreciationProblem({ acquiredAt: '2020-01-01', loyaltyBand: 'loyal', profitabilityBand: null, marketingConsent: true }, asOf, appreciationPolicy)).toBeNull();
  });

  it('thanks only customers who take marketing, as the sweep and a campaign: a run for one without consent would end at once, not thanked', () => {
    // Said as it is: such a run spends nothing (a start by hand once they consent starts the year's next run), so the refusal does not claim it would.
    expect(appreciationProblem({ acquiredAt: '2020-01-01', loyaltyBand: 'loyal', profitabilityBand: 'profitable', marketingConsent: false }, asOf, appreciationPolicy)).toBe(
      'no-consent: the customer has not agreed to marketing contact or opted out; a thank-you is marketing: they take none (started now, it would end at once, not thanked)',
    );
  });

  it('thanks nobody another thank-you reached within the silent days: the run would end at once, not thanked; it names when the next may go', () => {
    const loyal = { acquiredAt: '2020-01-01', loyaltyBand: 'loyal', profitabilityBand: 'profitable', marketingConsent: true };
    expect(appreciationProblem({ ...loyal, lastThankYouAt: new Date('2026-11-15T10:00:00Z') }, asOf, appreciationPolicy)).toBe(
      'thanked-recently: a thank-you was written to the customer on 2026-11-15; the next may go 120 days after it, from 2027-03-15 (started now, it would end at once, not thanked)',
    );
    expect(appreciationProblem({ ...loyal, lastThankYouAt: null }, asOf, appreciationPolicy)).toBeNull();
  });
});

describe("the end of an invoice's due day where the customer lives", () => {
  it('is the start of the next day in their time zone: hours after the UTC day for a customer far west, before it far east', () => {
    // 06:00 UTC on 5 December (the trigger sweep) is 20:00 on the due day in Honolulu: not overdue there before 10:00 UTC.
    expect(dueDayEndsAt('2026-12-04', 'Pacific/Honolulu').toISOString()).toBe('2026-12-05T10:00:00.000Z');
    expect(dueDayEndsAt('2026-12-04', 'UTC').toISOString()).toBe('2026-12-05T00:00:00.000Z');
    expect(dueDayEndsAt('2026-12-04', 'Europe/Berlin').toISOString()).toBe('2026-12-04T23:00:00.000Z');
    // The last day of a month, and summer time.
    expect(dueDayEndsAt('2026-07-31', 'America/New_York').toISOString()).toBe('2026-08-01T04:00:00.000Z');
  });
});
