/**
 * What has happened is not dated later than now. A day may be today anywhere on earth: the
 * latest clock is UTC+14, so a payment dated by a customer in Kiribati is not refused. A time
 * may run up to a minute ahead (another machine's clock). The API refuses such an argument and
 * the import such a cell (a date alone by the day rule, a time by the instant rule).
 */
export const LATEST_UTC_OFFSET_HOURS = 14;
export const CLOCK_SKEW_MS = 60_000;

/** The latest calendar day anywhere on earth now: a payment, an order or a complaint dated after it has not happened yet. */
export function latestDayNow(now = new Date()): string {
  return new Date(now.getTime() + LATEST_UTC_OFFSET_HOURS * 3_600_000).toISOString().slice(0, 10);
}

/** The time is later than now, beyond the clocks' skew: it has not happened yet. */
export function afterNow(at: Date, now = new Date()): boolean {
  return at.getTime() > now.getTime() + CLOCK_SKEW_MS;
}
