/** Local wall-clock parts of an instant in an IANA time zone. */
function localParts(at: Date, timeZone: string) {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') };
}

/** Offset of the zone from UTC at an instant, in minutes (Berlin in summer: +120). */
function offsetMinutes(at: Date, timeZone: string): number {
  const p = localParts(at, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
}

/** The instant when the wall clock in `timeZone` shows the given local time (first one, across DST changes). */
export function instantAtLocal(timeZone: string, y: number, m: number, d: number, hour: number, minute = 0): Date {
  const guess = Date.UTC(y, m - 1, d, hour, minute);
  let instant = new Date(guess - offsetMinutes(new Date(guess), timeZone) * 60_000);
  // A second pass settles the offset when the guess fell on the other side of a DST change.
  instant = new Date(guess - offsetMinutes(instant, timeZone) * 60_000);
  return instant;
}

export interface QuietHours {
  /** Local hour (0-23) when quiet time starts, e.g. 21. */
  startHour: number;
  /** Local hour when it ends, e.g. 8. */
  endHour: number;
}

export function isQuietTime(at: Date, timeZone: string, quiet: QuietHours): boolean {
  const { hour } = localParts(at, timeZone);
  return quiet.startHour > quiet.endHour ? hour >= quiet.startHour || hour < quiet.endHour : hour >= quiet.startHour && hour < quiet.endHour;
}

/** `at` itself outside quiet hours, else the instant quiet time ends in the customer's zone. */
export function nextSendTime(at: Date, timeZone: string, quiet: QuietHours): Date {
  if (!isQuietTime(at, timeZone, quiet)) return at;
  const local = localParts(at, timeZone);
  // Quiet time that started last evening ends this morning; one that started tonight ends tomorrow.
  const endsTomorrow = quiet.startHour > quiet.endHour && local.hour >= quiet.startHour;
  const day = new Date(Date.UTC(local.year, local.month - 1, local.day + (endsTomorrow ? 1 : 0)));
  return instantAtLocal(timeZone, day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), quiet.endHour);
}
