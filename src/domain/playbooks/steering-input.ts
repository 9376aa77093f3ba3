/**
 * Signals such as `welcomeConfirmed` and `issueResolved` say only that something happened; they take no input. Typed in
 * the Temporal UI or CLI with one that says the opposite ("no", `false`, `{ "confirmed": false }`), they must not be taken
 * for a yes: an operator recording "the customer is not happy" would close the check that exists to call them.
 * A note beside (`{ "note": "..." }`) says nothing otherwise and is taken.
 */
const SAYS_NO = new Set<unknown>([false, 0, 'false', 'no', 'n', '0', 'not']);

/** Why the input given with `signal` is not the yes it stands for (`field`: the object key that would say it), or null. */
export function inputSaysOtherwise(signal: string, field: string, args: readonly unknown[]): string | null {
  const no = args.find((a) => SAYS_NO.has(typeof a === 'string' ? a.trim().toLowerCase() : a) || (typeof a === 'object' && a !== null && field in a && (a as Record<string, unknown>)[field] !== true));
  if (no === undefined) return null;
  const shown = JSON.stringify(no) ?? String(no);
  return `${signal} takes no input, and this one says otherwise (${shown.length > 80 ? `${shown.slice(0, 79)}…` : shown}): not taken as a yes`;
}
