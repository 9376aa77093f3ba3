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
