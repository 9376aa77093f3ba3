import { dayIn } from '../billing/paid-day.js';
import { latestDayNow } from '../latest-time.js';

/**
 * The day a rescore after an event (a payment, a complaint, an import) scores a customer as
 * of, at `now`: the day it is where the customer lives, or UTC's where that is later (so it
 * never falls behind the nightly run's day, which is UTC's), and not before the latest day a
 * record of theirs is dated (`latestRecordedDay`: a payment or an order dated ahead, not an invoice's issue day, as far as
 * the latest day on earth now). So the event's own rescore sees the event: a payment made
 * today in Tokyo, already tomorrow in UTC terms, is paid, not an invoice still overdue.
 */
export function eventRescoreDay(now: Date, timeZone: string, latestRecordedDay: string | null): string {
  const latestOnEarth = latestDayNow(now);
  const recorded = latestRecordedDay === null ? null : latestRecordedDay < latestOnEarth ? latestRecordedDay : latestOnEarth;
  return [now.toISOString().slice(0, 10), dayIn(timeZone, now), recorded ?? ''].sort().at(-1)!;
}
