/**
 * Calendar days, as the models and rules count them. Dates are calendar days in UTC:
 * ISO strings `YYYY-MM-DD` (or full ISO timestamps), `Date` objects, of which
 * only the UTC calendar day counts, or day numbers (whole days since 1970-01-01,
 * as a rescore reads them in bulk). No time zones, no clock: the caller always
 * passes "today" (`asOf`) explicitly, so every score is reproducible.
 */

export type DateLike = string | Date | number;

const MS_PER_DAY = 86_400_000;
const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})/;

/**
 * Parsed days by their text: a rescore reads the same few thousand dates (due, paid,
 * purchase days) millions of times. Bounded, so a long-lived worker does not grow it forever.
 */
const parsedDays = new Map<string, number>();
const PARSED_DAYS_LIMIT = 100_000;

/** Days since 1970-01-01 (UTC) of the calendar day of `d`; throws on an invalid date. */
export function dayNumber(d: DateLike): number {
  if (typeof d === 'number') {
    if (!Number.isSafeInteger(d)) throw new RangeError(`invalid day number ${d}`);
    return d;
  }
  if (d instanceof Date) {
    const ms = d.getTime();
    if (Number.isNaN(ms)) throw new RangeError('invalid date');
    return Math.floor(ms / MS_PER_DAY);
  }
  // Only the leading YYYY-MM-DD counts, so timestamps of one day share an entry.
  const key = d.length > 10 ? d.slice(0, 10) : d;
  let day = parsedDays.get(key);
  if (day === undefined) {
    day = parseDay(key);
    if (parsedDays.size >= PARSED_DAYS_LIMIT) parsedDays.clear();
    parsedDays.set(key, day);
  }
  return day;
}

function parseDay(d: string): number {
  const m = ISO_DAY.exec(d);
  if (!m) throw new RangeError(`invalid date "${d}" (expected YYYY-MM-DD)`);
  const [y, mo, da] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Year 0 is not a day PostgreSQL stores; setUTCFullYear keeps years 1-99 (Date.UTC reads them as 1901-1999).
  if (y < 1) throw new RangeError(`invalid date "${d}" (years begin at 0001)`);
  const back = new Date(0);
  back.setUTCFullYear(y, mo - 1, da);
  const ms = back.getTime();
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== da) throw new RangeError(`invalid date "${d}"`);
  return ms / MS_PER_DAY;
}

/** Whether `text` is a string that is exactly a calendar day `YYYY-MM-DD` that exists (no 2026-02-30; no ["2026-12-10"], which a pattern would read as one). */
export function isCalendarDay(text: unknown): text is string {
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  try {
    parseDay(text);
    return true;
  } catch {
    return false;
  }
}

/** `YYYY-MM-DD` of a day number. */
export const isoDay = (day: number): string => new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
