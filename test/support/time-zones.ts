/** A time zone where it is 02:00 now, deep in quiet hours (until 08:00). Etc/GMT signs are reversed: Etc/GMT-9 is UTC+9, Tokyo's. */
export function zoneAtTwoInTheMorning(now: Date): string {
  const offset = ((2 - now.getUTCHours() + 36) % 24) - 12;
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}
