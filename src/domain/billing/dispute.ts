import { dayNumber, isoDay, type DateLike } from '../dates.js';

/** How a dispute ends: the customer was right (`upheld`: billing corrects or cancels the invoice), or the invoice stands (`rejected`). */
export const DISPUTE_OUTCOMES = ['upheld', 'rejected'] as const;
export type DisputeOutcome = (typeof DISPUTE_OUTCOMES)[number];

/** The dispute facts of an invoice as payment loyalty reads them (calendar days, UTC). */
export interface DisputeDays {
  /** The day the customer disputed it; null or absent when never. */
  disputedFrom?: DateLike | null;
  /** The day the dispute was resolved; null while it is open. */
  disputeResolvedAt?: DateLike | null;
  /**
   * The dispute was upheld (the customer is right): billing corrects or cancels the invoice in its own time, and until it is
   * paid (or cancelled) it is judged as still disputed, not as a debt the customer is late with.
   */
  disputeUpheld?: boolean;
  /** The days earlier disputes of it left out (kept when it was disputed again); absent: none. */
  disputedDaysBefore?: number | null;
  paidAt: DateLike | null;
}

/**
 * The days an invoice was disputed up to `asOf`: from the day it was disputed to the day the dispute was rejected, the
 * invoice paid, or `asOf`, whichever comes first (an upheld dispute does not end them: the invoice is billing's to correct). Payment loyalty leaves them out: the invoice's due day is judged that
 * many days later, so a customer who rightly disputes an invoice is not late while billing looks into it, and one who
 * disputed it already late keeps the days they were late before. An invoice disputed again adds the days its earlier
 * disputes left out (`disputedDaysBefore`): a second dispute does not make the first one's days late ones.
 */
export function disputedDays(invoice: DisputeDays, asOf: DateLike): number {
  if (invoice.disputedFrom == null) return 0;
  const from = dayNumber(invoice.disputedFrom);
  const ends = [dayNumber(asOf)];
  if (invoice.disputeResolvedAt != null && !invoice.disputeUpheld) ends.push(dayNumber(invoice.disputeResolvedAt));
  if (invoice.paidAt != null) ends.push(dayNumber(invoice.paidAt));
  return (invoice.disputedDaysBefore ?? 0) + Math.max(0, Math.min(...ends) - from);
}

/** An invoice's dispute as it is stored (the invoice row's columns). */
export interface StoredDispute {
  dueAt: DateLike;
  paidAt?: DateLike | null;
  disputedAt?: DateLike | null;
  disputeResolvedAt?: DateLike | null;
  disputeOutcome?: DisputeOutcome | null;
  disputedDaysBefore?: number | null;
}

/**
 * The due day an invoice is judged by as of `asOf` (a day number): its own, moved later by the days it was disputed
 * (`disputedDays`: from the dispute to its rejection, the payment or `asOf`). While a dispute is open the invoice is never
 * more overdue than it was on the day it was disputed; one disputed ten days before its due day and rejected keeps the
 * ten days of its payment term the dispute took.
 */
export function judgedDueDay(invoice: DisputeDays & { dueAt: DateLike }, asOf: DateLike): number {
  return dayNumber(invoice.dueAt) + disputedDays(invoice, asOf);
}

/** `judgedDueDay` of an invoice as it is stored (YYYY-MM-DD): as payment loyalty, the trigger sweep and a start by hand judge whether it is overdue. */
export function judgedDueDate(invoice: StoredDispute, asOf: DateLike): string {
  const { dueAt, disputedAt, disputeResolvedAt, disputeOutcome, disputedDaysBefore, paidAt } = invoice;
  return isoDay(judgedDueDay({ dueAt, disputedFrom: disputedAt, disputeResolvedAt, disputeUpheld: disputeOutcome === 'upheld', disputedDaysBefore, paidAt: paidAt ?? null }, asOf));
}
