/**
 * Whether a schedule setting is a cron expression Temporal takes (five fields, UTC, or a
 * shorthand such as @daily): checked at start, so a typo names its variable instead of
 * crashing the worker when it puts its schedules in place.
 */
const SHORTHANDS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FULL_NAMES = [
  ...['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'],
  ...['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'],
];
const FIELDS: Array<{ name: string; min: number; max: number; names?: string[]; namesFrom?: number }> = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  { name: 'day of week', min: 0, max: 7, names: DAYS, namesFrom: 0 },
];

/**
 * What is wrong with `expression` as a cron schedule, or null. The usual five fields are checked
 * here; what else Temporal takes (seconds and years as six or seven fields, `@every 24h`, a
 * `CRON_TZ=` time zone, a `#` comment) is left for Temporal to judge.
 */
export function cronProblem(expression: string): string | null {
  const trimmed = expression.trim();
  if (SHORTHANDS.includes(trimmed.toLowerCase()) || /^@every\s/i.test(trimmed) || /^(CRON_)?TZ=/.test(trimmed) || trimmed.includes('#')) return null;
  const parts = trimmed.split(/\s+/);
  if (parts.length === 6 || parts.length === 7) return null;
  if (parts.length !== 5) return `a cron schedule has five fields (minute hour day-of-month month day-of-week, UTC), e.g. "0 2 * * *", or is one of ${SHORTHANDS.join(', ')}`;
  for (const [i, part] of parts.entries()) {
    const field = FIELDS[i];
    for (const item of part.split(',')) {
      const problem = itemProblem(item, field);
      if (problem) return `its ${field.name} field "${part}": ${problem}`;
    }
  }
  return null;
}

function itemProblem(item: string, field: (typeof FIELDS)[number]): string | null {
  const [range, step, ...more] = item.split('/');
  if (more.length || (step !== undefined && !/^[1-9]\d*$/.test(step))) return 'a step is a whole number after one "/"';
  if (range === '*') return null;
  const bounds = range.split('-');
  if (bounds.length > 2 || bounds.some((b) => b === '')) return `"${item}" is no value, range or "*"`;
  const values = bounds.map((b) => valueOf(b, field));
  if (values.some((v) => v === null)) return `"${item}" is not within ${field.min}-${field.max}${field.names ? ` or a name such as ${field.names[0].toUpperCase()}` : ''}`;
  if (values.length === 2 && values[0]! > values[1]!) return `the range "${range}" runs backwards`;
  return null;
}

function valueOf(text: string, field: (typeof FIELDS)[number]): number | null {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n >= field.min && n <= field.max ? n : null;
  }
  // A name by its first three letters, or in full (MON, Monday; JAN, January).
  const lower = text.toLowerCase();
  const named = field.names?.findIndex((name) => lower === name || (lower.startsWith(name) && FULL_NAMES.includes(lower))) ?? -1;
  return named >= 0 ? named + field.namesFrom! : null;
}
