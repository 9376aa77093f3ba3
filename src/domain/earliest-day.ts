import { isCalendarDay } from './dates.js';
import { latestDayNow } from './latest-time.js';
import { echoed } from './text.js';

/**
 * The earliest day a business date may be (an order, a payment, an invoice, a complaint, a
 * cost, an offer, a customer's acquisition, the day a rescore scores): an earlier one is a
 * typo (0001 for 2001), and stored it would drive the scores (a customer whose only order is
 * two thousand years old is "lost"). The import refuses such a cell, the API such an argument.
 */
export const EARLIEST_DAY = '1900-01-01';

/** Whether a day (YYYY-MM-DD) or a time is before EARLIEST_DAY (UTC). */
export function beforeEarliestDay(value: string | Date): boolean {
  return typeof value === 'string' ? value < EARLIEST_DAY : value.getTime() < Date.parse(`${EARLIEST_DAY}T00:00:00Z`);
}

/** The refusal of `field` dated before EARLIEST_DAY. */
export const tooEarly = (field: string) => `${field} must not be before ${EARLIEST_DAY}`;

/**
 * Why `day`, a day a report reads up to or from (`field`), is refused, or null: not a real day, after today anywhere on
 * earth (it would read nothing yet, a mistyped year as 2062 for 2026 giving an empty report; a date picker in Auckland
 * defaults to its own today, which is tomorrow in UTC for half the day, as a payment's day may be), or before EARLIEST_DAY (a typo).
 * Each service answers it with its own exception (`assertPastDay` for the scores'), so every report checks its days alike.
 */
export function pastDayProblem(day: string, field: string, now: Date = new Date()): string | null {
  if (!isCalendarDay(day)) return `${field} "${echoed(day)}" is not a date (YYYY-MM-DD)`;
  if (day > latestDayNow(now)) return `${field} must not be after today (got "${day}")`;
  if (beforeEarliestDay(day)) return tooEarly(field);
  return null;
}
