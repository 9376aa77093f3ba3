/**
 * Raw purchases → the (x, tx, T) summary the BG/NBD and Gamma-Gamma models take.
 *
 * Conventions (they reproduce the published CDNOW summary, cdnow_customers_summary.csv):
 * - Time is counted in whole calendar days (UTC) and divided by `unitDays`
 *   (7: weeks). Several purchases of one customer on one day are one
 *   transaction, whose amount is their sum.
 * - Purchases up to and including the calibration end day count; later ones
 *   are the holdout period (counted in `holdoutTransactions` up to `holdoutEnd`).
 * - x = transaction days in the calibration period minus 1 (the first purchase
 *   is not a repeat).
 * - tx = (last transaction day - first transaction day) / unitDays.
 * - T = (calibration end day - first transaction day) / unitDays: the end day
 *   counts as day 0 of its own, like every purchase day, i.e. T runs to the start
 *   of the calibration end day. A customer whose first purchase is on the end day
 *   has T = 0; a purchase on the end day has tx = T. (CDNOW: first purchase
 *   1997-01-01, end 1997-09-30 → 272 days → T = 38.857 weeks, printed 38.86.)
 * - zbar = mean amount of the repeat transactions (the first one excluded, as in
 *   Fader & Hardie's Gamma-Gamma note); 0 when x = 0.
 * - Customers whose first purchase is after the calibration end are left out.
 */
import type { PurchaseSummary } from './bgnbd.js';
import { dayNumber, isoDay, type DateLike } from '../dates.js';
import { invalidInput } from './scoring.exception.js';

export interface Transaction {
  customerId: string;
  date: DateLike;
  /** Purchase value (any currency unit; summed per day). Default 0. */
  amount?: number;
}

export interface SummarizeOptions {
  /** Last day of the calibration period (inclusive). */
  calibrationEnd: DateLike;
  /** Days per model time unit (default 7: weeks). */
  unitDays?: number;
  /** Last day of the holdout period (inclusive); purchases after it are ignored. Default: no limit. */
  holdoutEnd?: DateLike;
}

export interface CustomerPurchaseSummary extends PurchaseSummary {
  customerId: string;
  /** First and last transaction day in the calibration period (YYYY-MM-DD). */
  firstPurchase: string;
  lastPurchase: string;
  /** Mean value of the repeat transactions in the calibration period (0 when x = 0). */
  zbar: number;
  /** Value of all calibration transactions, the first included. */
  calibrationValue: number;
  /** Transaction days after the calibration end (up to holdoutEnd). */
  holdoutTransactions: number;
  holdoutValue: number;
}

/** Summaries sorted by customerId (code-unit order), one per customer with a purchase in the calibration period. */
export function summarizeTransactions(transactions: Iterable<Transaction>, options: SummarizeOptions): CustomerPurchaseSummary[] {
  const unitDays = options.unitDays ?? 7;
  if (!(Number.isFinite(unitDays) && unitDays > 0)) throw invalidInput(`unitDays must be > 0 (got ${unitDays})`);
  const end = dayNumber(options.calibrationEnd);
  const holdoutEnd = options.holdoutEnd === undefined ? Infinity : dayNumber(options.holdoutEnd);
  if (holdoutEnd < end) throw invalidInput('holdoutEnd must not be before calibrationEnd');

  // customer → day → amount
  const byCustomer = new Map<string, Map<number, number>>();
  for (const t of transactions) {
    const amount = t.amount ?? 0;
    if (!Number.isFinite(amount)) throw invalidInput(`amount must be finite (customer ${t.customerId})`, { customerId: t.customerId });
    const day = dayNumber(t.date);
    if (day > holdoutEnd) continue;
    let days = byCustomer.get(t.customerId);
    if (!days) byCustomer.set(t.customerId, (days = new Map()));
    days.set(day, (days.get(day) ?? 0) + amount);
  }

  const out: CustomerPurchaseSummary[] = [];
  for (const [customerId, days] of byCustomer) {
    const sorted = [...days.keys()].sort((p, q) => p - q);
    const calibration = sorted.filter((d) => d <= end);
    if (calibration.length === 0) continue;
    const first = calibration[0];
    const last = calibration[calibration.length - 1];
    const repeat = calibration.slice(1);
    const repeatValue = repeat.reduce((s, d) => s + days.get(d)!, 0);
    const holdout = sorted.filter((d) => d > end);
    out.push({
      customerId,
      x: repeat.length,
      tx: (last - first) / unitDays,
      T: (end - first) / unitDays,
      firstPurchase: isoDay(first),
      lastPurchase: isoDay(last),
      zbar: repeat.length ? repeatValue / repeat.length : 0,
      calibrationValue: calibration.reduce((s, d) => s + days.get(d)!, 0),
      holdoutTransactions: holdout.length,
      holdoutValue: holdout.reduce((s, d) => s + days.get(d)!, 0),
    });
  }
  return out.sort((p, q) => (p.customerId < q.customerId ? -1 : p.customerId > q.customerId ? 1 : 0));
}
