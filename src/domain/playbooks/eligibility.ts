import { persistentIssues, type ComplaintRecord, type PersistentIssuePolicy } from '../scoring/persistent-issue.js';
import { dayNumber, type DateLike } from '../dates.js';
import { instantAtLocal } from '../guards/quiet-hours.js';
import { days } from '../policies/duration.js';
import { topicKey } from '../complaints/topic.js';
import { LOSS_MAKING } from '../scoring/profitability.js';
import type { AppreciationPolicy } from './appreciation.js';
import type { TriggerPolicy } from './triggers.js';
import type { WelcomeCheckPolicy } from './welcome-check.js';

/**
 * Who a playbook's message is true of. The trigger sweep selects customers by these rules in
 * SQL, from the same policy values (playbook-triggers.service.ts); a run started by hand is
 * checked against them here, so nobody is told of a persistent issue they never had, thanked
 * for years they were not with us, or sent a second proposal within the cooldown. Each rule
 * says why a customer is not eligible, or null when they are.
 */

/** Whether an invoice due on `dueAt` is overdue on `today` (its due day has passed): nothing chases it before. */
export function isOverdue(dueAt: DateLike, today: DateLike): boolean {
  return dayNumber(today) - dayNumber(dueAt) >= 1;
}

/**
 * When the due day `dueAt` has ended where the customer lives (`timeZone`: the next day begins there). A payment
 * made on the due day is on time wherever they live, so nothing calls the invoice overdue before this: far west of
 * UTC (Honolulu) the due day still has hours to run when it has already passed in UTC.
 */
export function dueDayEndsAt(dueAt: string, timeZone: string): Date {
  const [year, month, day] = dueAt.split('-').map(Number);
  return instantAtLocal(timeZone, year, month, day + 1, 0);
}

/** A fair reminder: the invoice is at least `minDaysOverdue` days past its due day (the sweep's trigger), else why not. */
export function fairReminderProblem(dueAt: string, today: DateLike, policy: Pick<TriggerPolicy, 'minDaysOverdue'>): string | null {
  const overdue = dayNumber(today) - dayNumber(dueAt);
  if (overdue >= policy.minDaysOverdue) return null;
  return overdue < 1 ? `due on ${dueAt}: not overdue yet` : `${overdue} day${overdue === 1 ? '' : 's'} overdue: fair reminders start at ${policy.minDaysOverdue} days overdue`;
}

/** Fixing an issue: the topic is persistent now (complaints or reopens in the window, as the persistent-issue score counts them). */
export function fixIssueProblem(topic: string, complaints: readonly ComplaintRecord[], asOf: DateLike, policy: PersistentIssuePolicy): string | null {
  // The model lists only persistent topics; counted from one complaint up, it gives this topic's numbers too.
  const counted = persistentIssues(
    complaints.filter((c) => topicKey(c.topic) === topic),
    asOf,
    { ...policy, minComplaints: 1 },
  ).topics[0];
  const [complained, reopens] = [counted?.complaints ?? 0, counted?.reopens ?? 0];
  if (complained >= policy.minComplaints || reopens >= policy.minReopens) return null;
  return `no persistent issue on topic "${topic}": ${complained} complaint${complained === 1 ? '' : 's'} and ${reopens} reopen${reopens === 1 ? '' : 's'} in the last ${policy.windowDays} days (it takes ${policy.minComplaints} complaints or ${policy.minReopens} reopen${policy.minReopens === 1 ? '' : 's'})`;
}

/** An account review: the account's profitability band (last scored) is loss-making, no review ended within the cooldown, and no fix of theirs is under way. */
export function accountReviewProblem(account: { profitabilityBand: string | null; lastReviewEndedAt: Date | null; fixOpen: boolean }, now: Date, cooldownDays: number): string | null {
  if (account.profitabilityBand !== LOSS_MAKING) {
    return account.profitabilityBand === null
      ? // No band: not scored yet, or scored and not judged (no margin to judge it by, or nothing but the tier fee).
        "the account has no profitability band (no profitability score yet, or the account is not judged: its score's reasons say why): a review is for loss-making accounts"
      : `the account's profitability band is "${account.profitabilityBand}", not "${LOSS_MAKING}": a review is for loss-making accounts`;
  }
  const ended = account.lastReviewEndedAt;
  if (ended && now.getTime() - ended.getTime() < days(cooldownDays)) {
    const day = (at: Date) => at.toISOString().slice(0, 10);
    return `the last account review ended ${day(ended)}; the next one may start after ${cooldownDays} days (from ${day(new Date(ended.getTime() + days(cooldownDays)))})`;
  }
  // The losses may be what the issue costs to handle: the account is judged once it is fixed.
  if (account.fixOpen) return 'a persistent issue of theirs is being fixed (a fix case is open): fix first, review the account after';
  return null;
}

/** A welcome is for a newcomer: a customer who joined at most the policy's days ago. */
export function welcomeCheckProblem(customer: { acquiredAt: string }, today: DateLike, policy: Pick<WelcomeCheckPolicy, 'newCustomerDays'>): string | null {
  const tenureDays = dayNumber(today) - dayNumber(customer.acquiredAt);
  return tenureDays > policy.newCustomerDays ? `customer for ${tenureDays} days (since ${customer.acquiredAt}); a welcome check is for customers of ${policy.newCustomerDays} days or less` : null;
}

/**
 * A thank-you for loyalty: a customer for at least the policy's tenure, in a loyal payment band
 * (last scored), whose account does not lose money (it gets the account review's proposal, and a
 * thank-you offer on top would deepen the loss), and who takes marketing (as the sweep and a
 * campaign pick them): a thank-you is marketing, so one without consent would have a run that
 * ends at once, not thanked (nothing spent: a start by hand once they consent starts the year's
 * next run; the sweep and campaigns would leave that year as it is). Nor is one thanked whom
 * another thank-you reached within the policy's silent days (`lastThankYouAt`: the newest one
 * written and not held back, within them; one that waited into the new year, say): the run's step
 * would find it and end `not-thanked` at once (`thanked-recently`).
 */
export function appreciationProblem(
  customer: { acquiredAt: string; loyaltyBand: string | null; profitabilityBand: string | null; marketingConsent: boolean; lastThankYouAt?: Date | null },
  today: DateLike,
  policy: AppreciationPolicy,
): string | null {
  const tenureDays = dayNumber(today) - dayNumber(customer.acquiredAt);
  if (tenureDays < policy.minTenureDays) {
    return `customer for ${tenureDays} days (since ${customer.acquiredAt}); appreciation needs ${policy.minTenureDays} (${Math.round(policy.minTenureDays / 365)} years)`;
  }
  if (!customer.loyaltyBand || !policy.loyaltyBands.includes(customer.loyaltyBand)) {
    return `payment-loyalty band is ${customer.loyaltyBand ? `"${customer.loyaltyBand}"` : 'not scored yet'}; appreciation is for ${policy.loyaltyBands.map((b) => `"${b}"`).join(', ')}`;
  }
  if (customer.profitabilityBand === LOSS_MAKING) return 'the account is loss-making: an account review, not a thank-you offer';
  if (!customer.marketingConsent) {
    return 'no-consent: the customer has not agreed to marketing contact or opted out; a thank-you is marketing: they take none (started now, it would end at once, not thanked)';
  }
  const thanked = customer.lastThankYouAt;
  if (thanked) {
    const next = nextThankYouFrom(thanked, policy);
    return `thanked-recently: a thank-you was written to the customer on ${thanked.toISOString().slice(0, 10)}; the next may go ${policy.silentDays} days after it, from ${next} (started now, it would end at once, not thanked)`;
  }
  return null;
}

/** The day from which a thank-you may go again after one written at `thankedAt`: the policy's silent days on (UTC day). */
export function nextThankYouFrom(thankedAt: Date, policy: Pick<AppreciationPolicy, 'silentDays'>): string {
  return new Date(thankedAt.getTime() + days(policy.silentDays)).toISOString().slice(0, 10);
}
