/**
 * What PostgreSQL can store of a text: without NUL characters (no `text` or `jsonb` value holds
 * one) and well-formed UTF-16 (`jsonb` refuses the `\ud800` escape JSON.stringify writes for a lone
 * surrogate half), each replaced by U+FFFD. An audit entry records what came from outside (a signal
 * typed in the Temporal UI, a name): refusing to write it would lose the entry, and with it the change
 * it describes or, for a run's steering, the run's completion.
 */
export function storableText(text: string): string {
  const wellFormed = text.isWellFormed() ? text : text.toWellFormed();
  return wellFormed.includes('\0') ? wellFormed.replaceAll('\0', '\uFFFD') : wellFormed;
}

const isPlain = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
};

/** A JSON value (strings and keys alike) as PostgreSQL stores it: see `storableText`. Other objects (a Date) are kept as they are. */
export function storableJson<T>(value: T): T {
  if (typeof value === 'string') return storableText(value) as T;
  if (Array.isArray(value)) return value.map(storableJson) as T;
  if (value && typeof value === 'object' && isPlain(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [storableText(key), storableJson(inner)])) as T;
  }
  return value;
}
