/** A payment towards an invoice: the calendar day it was paid (YYYY-MM-DD) and its amount in minor units. */
export interface PaymentFact {
  paidAt: string;
  amountMinor: number;
}

/**
 * The day an invoice counts as paid: the day its payments, in date order, first cover its
 * amount (a payment recorded late but dated early counts on its own day); null while they
 * do not cover it. The payments import applies the same rule in SQL. An invoice of amount 0 is
 * not paid by payments: the invoices import (and a migration, for those stored before) settles it
 * on the day it was issued, so it takes none.
 */
export function paidOn(payments: readonly PaymentFact[], amountMinor: number): string | null {
  let paid = 0;
  for (const payment of [...payments].sort((a, b) => a.paidAt.localeCompare(b.paidAt))) {
    paid += payment.amountMinor;
    if (paid >= amountMinor) return payment.paidAt;
  }
  return null;
}

/**
 * What is still owed on an invoice, in minor units: its amount less its payments, never below
 * 0, and 0 once it counts as paid (`paidOn`), also when it was settled some other way than a
 * recorded payment (an import that says so), and 0 once it was cancelled (it was never owed). Reminder fees are not part of it: an invoice is
 * paid once its payments cover its amount, as `paidOn` decides.
 */
export function outstandingOn(invoice: { amountMinor: number; paidAt?: string | null; cancelledAt?: string | null }, paidMinor: number): number {
  if (invoice.paidAt || invoice.cancelledAt) return 0;
  return Math.max(0, invoice.amountMinor - paidMinor);
}

/**
 * The calendar day it is now where the customer lives: the day a payment recorded without a
 * date was made (one made on the due day in the evening in New York is on time, though it is
 * the next day in UTC).
 */
export function dayIn(timeZone: string, now = new Date()): string {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(now);
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${part('year')}-${part('month')}-${part('day')}`;
}
