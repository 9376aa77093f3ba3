import iso4217 from 'currency-codes';

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

// Compiled once: `scores fit` parses every order of a file with them.
const AMOUNT = new RegExp(amountPattern());
const SIGNED_AMOUNT = new RegExp(amountPattern(true));

/**
 * Minor units (cents) of a trimmed amount as the import takes it, exact, without floats: "12.5" -> 1250,
 * and with `signed` "-3.10" -> -310. Null when the import refuses it: more than 2 decimals or
 * MAX_AMOUNT_INTEGER_DIGITS integer digits, a decimal comma, a currency, an exponent, a sign unless `signed`.
 */
export function parseMinor(amount: string, signed = false): number | null {
  if (!(signed ? SIGNED_AMOUNT : AMOUNT).test(amount)) return null;
  const [whole, fraction = ''] = amount.replace('-', '').split('.');
  const minor = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  return amount.startsWith('-') && minor !== 0 ? -minor : minor;
}

/** What is wrong with a positive amount in minor units (a payment), or null. */
export function positiveAmountProblem(amountMinor: number): string | null {
  if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0) return 'must be a positive whole number of minor units';
  if (amountMinor > MAX_AMOUNT_MINOR) return `must be at most ${MAX_AMOUNT_MINOR} minor units (${MAX_AMOUNT_INTEGER_DIGITS} integer digits, as the import takes)`;
  return null;
}

/**
 * The currency every amount is in: one per deployment (ISO 4217, `CURRENCY`), with two decimals,
 * as the import reads amounts. Messages to customers name it; the API tells front ends (`currency`).
 */
export interface MoneyPolicy {
  currency: string;
}

export const moneyPolicy: MoneyPolicy = { currency: 'EUR' };

/** The digits after the decimal point of every amount: minor units per major unit are 10^this. */
export const MINOR_UNIT_DIGITS = 2;

/** What is wrong with a currency code for this platform, or null: an ISO 4217 currency whose minor unit is two decimals (not JPY, not KWD). */
export function currencyProblem(code: string): string | null {
  const known = /^[A-Z]{3}$/.test(code) ? iso4217.code(code) : undefined;
  if (!known) return `must be an ISO 4217 currency code such as EUR, got "${code}"`;
  if (known.digits !== MINOR_UNIT_DIGITS) return `must be a currency with ${MINOR_UNIT_DIGITS} decimals, as amounts are imported and stored; ${code} has ${known.digits} in ISO 4217`;
  return null;
}

/**
 * An amount in minor units as a reader of `locale` writes it in `currency`: 500 EUR is "€5.00" in English,
 * "5,00 €" in German. Always with its two decimals, also where the language rounds the currency to whole
 * units for display (Hungarian forint, Colombian peso): the amount is what was charged.
 */
export function formatMoney(minor: number, currency: string, locale: string): string {
  const key = `${locale}|${currency}`;
  let format = moneyFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: MINOR_UNIT_DIGITS, maximumFractionDigits: MINOR_UNIT_DIGITS });
    moneyFormats.set(key, format);
  }
  return format.format(minor / 10 ** MINOR_UNIT_DIGITS);
}

/** Formatters by language and currency: building one costs far more than using it (a timeline page writes dozens of amounts). A handful in practice. */
const moneyFormats = new Map<string, Intl.NumberFormat>();
