/** Policy durations are milliseconds, written with these helpers so a policy reads like the playbook. */
export const seconds = (n: number): number => n * 1000;
export const minutes = (n: number): number => n * 60_000;
export const hours = (n: number): number => n * 3_600_000;
export const days = (n: number): number => n * 86_400_000;

/** A wait as a person reads it (in a policy check's problem): days, hours, minutes or seconds. */
export function readableWait(ms: number): string {
  const units: Array<[number, string]> = [
    [days(1), 'day'],
    [hours(1), 'hour'],
    [minutes(1), 'minute'],
    [seconds(1), 'second'],
  ];
  for (const [size, unit] of units) if (Math.abs(ms) >= size && ms % size === 0) return `${ms / size} ${unit}${Math.abs(ms) === size ? '' : 's'}`;
  return `${ms} ms`;
}
