/**
 * How large one amount may be, wherever one comes in (an import row, a payment recorded by
 * hand): at most 13 integer digits in major units, so below 10^15 minor units. Far above any
 * real order or payment, it catches a misplaced decimal point or a unit mix-up, and keeps every
 * single amount an exact integer in JavaScript (below 2^53). Totals over many amounts can still
 * pass 2^53: reports expose those as Float (see README, "Money").
 */
export const MAX_AMOUNT_INTEGER_DIGITS = 13;

/** The largest amount in minor units: 9,999,999,999,999.99 major units. */
export const MAX_AMOUNT_MINOR = 10 ** (MAX_AMOUNT_INTEGER_DIGITS + 2) - 1;

/** An amount as the import reads it (major units, at most 2 decimals), as a PostgreSQL regular expression; `signed` allows a minus sign. */
export function amountPattern(signed = false): string {
  return `^${signed ? '-?' : ''}\\d{1,${MAX_AMOUNT_INTEGER_DIGITS}}(\\.\\d{1,2})?$`;
}

/** What is wrong with a positive amount in minor units (a payment), or null. */
export function positiveAmountProblem(amountMinor: number): string | null {
  if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0) return 'must be a positive whole number of minor units';
  if (amountMinor > MAX_AMOUNT_MINOR) return `must be at most ${MAX_AMOUNT_MINOR} minor units (${MAX_AMOUNT_INTEGER_DIGITS} integer digits, as the import takes)`;
  return null;
}
