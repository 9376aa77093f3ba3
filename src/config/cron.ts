/**
 * Whether a schedule setting is a schedule Temporal takes: checked at start, so a typo names
 * its variable instead of crashing the worker when it puts its schedules in place. The grammar
 * is Temporal's (its server's cron string parser): five fields (UTC), six (a year after them) or
 * seven (seconds first, a year last); a shorthand such as @daily (lower case, as Temporal reads
 * it); `@every <duration>[/<offset>]`; a leading `CRON_TZ=<zone>` and a trailing `# comment`.
 */
const SHORTHANDS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FULL_NAMES = [
  ...['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'],
  ...['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'],
];
type Field = { name: string; min: number; max: number; names?: string[]; namesFrom?: number };
const FIELDS: Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  { name: 'day of week', min: 0, max: 7, names: DAYS, namesFrom: 0 },
];
const SECOND: Field = { name: 'second', min: 0, max: 59 };
// The years a Temporal calendar spec can name.
const YEAR: Field = { name: 'year', min: 2000, max: 2100 };
/** The fields of a cron string by their number: a year after the five, or seconds before and a year after. */
const FIELDS_BY_COUNT: Record<number, Field[]> = { 5: FIELDS, 6: [...FIELDS, YEAR], 7: [SECOND, ...FIELDS, YEAR] };

/** What is wrong with `expression` as a Temporal schedule, or null. (The name of a `CRON_TZ=` time zone is left for Temporal to judge.) */
export function cronProblem(expression: string): string | null {
  let rest = expression.trim();
  const zone = /^(CRON_)?TZ=\S*/.exec(rest);
  if (zone) {
    rest = rest.slice(zone[0].length);
    if (!rest.startsWith(' ')) return `a time zone (${zone[0]}) is followed by a space and the schedule`;
  }
  rest = rest.split('#')[0].trim();
  if (rest.startsWith('@every')) return everyProblem(rest);
  if (SHORTHANDS.includes(rest)) return null;
  if (SHORTHANDS.includes(rest.toLowerCase())) return `Temporal reads the shorthand in lower case only: "${rest.toLowerCase()}"`;
  const parts = rest.split(/\s+/);
  const fields = FIELDS_BY_COUNT[parts.length];
  if (!fields) return `a cron schedule has five fields (minute hour day-of-month month day-of-week, UTC), e.g. "0 2 * * *", or is one of ${SHORTHANDS.join(', ')} or "@every <duration>", e.g. "@every 6h"`;
  for (const [i, part] of parts.entries()) {
    const field = fields[i];
    for (const item of part.split(',')) {
      const problem = itemProblem(item, field);
      if (problem) return `its ${field.name} field "${part}": ${problem}`;
    }
  }
  return null;
}

/** Milliseconds in each unit of a duration as Temporal reads it (Go's, and `d` for 24 hours). */
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h|d))+$/;

/** `@every <interval>[/<offset>]`: an interval of a second or more, an offset shorter than it. */
function everyProblem(expression: string): string | null {
  const usage = '"@every <duration>" takes a duration such as 30m, 6h, 1d or 1h30m (units ms, s, m, h, d), and an offset after "/" (e.g. "@every 1d/2h")';
  const [keyword, spec, ...more] = expression.split(' ');
  if (keyword !== '@every' || spec === undefined || more.length) return usage;
  const [interval, offset, ...extra] = spec.split('/');
  if (extra.length) return usage;
  const intervalMs = durationMs(interval);
  if (intervalMs === null) return `"${interval}" is not a duration: ${usage}`;
  if (intervalMs < 1_000) return `the interval "${interval}" is shorter than a second`;
  if (offset === undefined) return null;
  const offsetMs = durationMs(offset);
  if (offsetMs === null) return `the offset "${offset}" is not a duration: ${usage}`;
  if (offsetMs >= intervalMs) return `the offset "${offset}" is not shorter than the interval "${interval}"`;
  return null;
}

function durationMs(text: string): number | null {
  if (!DURATION.test(text)) return null;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d)/g)) total += Number(amount) * UNIT_MS[unit];
  return total;
}

function itemProblem(item: string, field: Field): string | null {
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

function valueOf(text: string, field: Field): number | null {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n >= field.min && n <= field.max ? n : null;
  }
  // A name by its first three letters, or in full (MON, Monday; JAN, January).
  const lower = text.toLowerCase();
  const named = field.names?.findIndex((name) => lower === name || (lower.startsWith(name) && FULL_NAMES.includes(lower))) ?? -1;
  return named >= 0 ? named + field.namesFrom! : null;
}
