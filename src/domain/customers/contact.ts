/** Rules for a customer's contact data, shared by the API and the import path. */

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function isEmail(value: string): boolean {
  return value.length <= 254 && EMAIL.test(value);
}

let zones: Set<string> | undefined;
/** An IANA time zone name this runtime knows (quiet hours are computed in it). */
export function isTimeZone(value: string): boolean {
  zones ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC', 'Etc/UTC']);
  return zones.has(value);
}

export function normaliseEmail(value: string): string {
  return value.trim().toLowerCase();
}
