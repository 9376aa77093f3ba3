/** Rules for a customer's contact data, shared by the API and the import path. */

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** The e-mail shape as a regular expression source, for checks run in SQL (the import). */
export const EMAIL_PATTERN = EMAIL.source;
export const EMAIL_MAX_LENGTH = 254;
/** The longest name a customer may have (updateCustomer, the import). */
export const CUSTOMER_NAME_MAX_LENGTH = 200;
/**
 * A phone number as people write one: up to 40 digits, spaces and + ( ) / -, at least 3 of them digits, and an
 * extension as CRM exports write it ("ext. 5", "x 12", "#7"), so the team calls the right desk
 * (updateCustomer, the import: the same source runs in PostgreSQL, whose regular expressions look ahead too).
 */
export const PHONE = /^(?=(?:[+ ()/-]*[0-9]){3})[+0-9 ()/-]{3,40}(?: ?(?:[Ee][Xx][Tt]\.?|[Xx]|#) ?[0-9]{1,6})?$/;
/** What PHONE takes, in words, for the error messages of the API and the import. */
export const PHONE_RULE = 'up to 40 digits, spaces and + ( ) / -, at least 3 of them digits, and an extension such as "ext. 5"';

export function isEmail(value: string): boolean {
  return value.length <= EMAIL_MAX_LENGTH && EMAIL.test(value);
}

let zones: Set<string> | undefined;

/**
 * A time zone name this runtime computes quiet hours in: IANA's current names and the aliases
 * its data keeps (Asia/Kolkata, Europe/Kyiv, US/Eastern, EST5EDT), as a CRM exports them;
 * the runtime lists only one spelling of each zone (Asia/Calcutta), so the others are tried.
 */
export function isTimeZone(value: string): boolean {
  if ((zones ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC', 'Etc/UTC'])).has(value)) return true;
  if (!/^[A-Za-z]/.test(value)) return false; // names, not offsets such as "+05:30"
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** An e-mail address as it is stored: trimmed, in lower case and in Unicode NFC (the customer search looks in NFC). */
export function normaliseEmail(value: string): string {
  return value.trim().toLowerCase().normalize('NFC');
}

/** The longest language tag updateCustomer takes: the length RFC 5646 (4.4.1) asks every implementation to keep. */
export const LOCALE_MAX_LENGTH = 35;
/** The longest time zone name updateCustomer takes: IANA's longest is 32 characters (America/Argentina/ComodRivadavia). */
export const TIME_ZONE_MAX_LENGTH = 64;

const LOCALE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
/** A language tag's shape as a regular expression source, for checks run in SQL (the import). */
export const LOCALE_PATTERN = LOCALE.source;

/** A BCP 47 language tag in its canonical form (`de-at` -> `de-AT`); null for anything else. */
export function canonicalLocale(value: string): string | null {
  const tag = value.trim();
  if (!LOCALE.test(tag)) return null;
  try {
    return Intl.getCanonicalLocales(tag)[0] ?? null;
  } catch {
    return null;
  }
}

/** The audit action of a marketing-consent change an import made (the company's CRM export said yes or no). */
export const IMPORT_CONSENT_ACTION = 'customer.import-consent';

/**
 * The audit action of an erasure (GDPR Art. 17). It withdraws marketing consent: an erasure of a customer who had it records
 * `marketingConsent` in its before/after (one of a customer without it, a repeated request, and those written before it did, do not).
 */
export const ERASURE_ACTION = 'customer.erase';

/** The audit actions that may change a customer's marketing consent (those whose `after` has `marketingConsent`): the consent's history. */
export const CONSENT_ACTIONS: readonly string[] = ['customer.update', 'customer.opt-out', IMPORT_CONSENT_ACTION, ERASURE_ACTION];
