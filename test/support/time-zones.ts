/** A time zone where it is `hour` o'clock now (whole hours; Etc/GMT signs are reversed: Etc/GMT-9 is UTC+9, Tokyo's). */
function zoneAt(hour: number, now: Date): string {
  const offset = ((hour - now.getUTCHours() + 36) % 24) - 12;
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

/** A time zone where it is 02:00 now, deep in quiet hours (until 08:00). */
export const zoneAtTwoInTheMorning = (now: Date): string => zoneAt(2, now);

/** A time zone where it is midday now, far from quiet hours (21:00 to 08:00): a message to a customer there goes at once. */
export const zoneAtNoon = (now: Date): string => zoneAt(12, now);
