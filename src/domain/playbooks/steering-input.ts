/**
 * Signals such as `welcomeConfirmed` and `issueResolved` say only that something happened; they take no input. Typed in
 * the Temporal UI or CLI with one, only an input that plainly says yes is taken as the yes they stand for: none, `true`,
 * "yes", an object whose `field` is `true`, or a note alone (`{ "note": "…" }`). Anything else ("No.", "the router does
 * not work", `{ "confirmed": false }`, `{ "status": "broken" }`) is not: an operator recording "the customer is not happy"
 * must not close the check that exists to call them.
 */
const SAYS_YES = new Set<unknown>([undefined, null, true, 'yes', 'y', 'true', 'ok']);

function saysYes(input: unknown, field: string): boolean {
  if (SAYS_YES.has(typeof input === 'string' ? input.trim().toLowerCase() : input)) return true;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return false;
  const keys = Object.keys(input);
  const { [field]: answer, note } = input as Record<string, unknown>;
  return answer === true || (keys.length === 1 && keys[0] === 'note' && typeof note === 'string');
}

/**
 * Why the input given with `signal` is not the yes it stands for (`field`: the object key that says it), or null. The
 * input is not quoted: the audit entry holds it, where an erasure takes what it says of the customer out.
 */
export function inputSaysOtherwise(signal: string, field: string, args: readonly unknown[]): string | null {
  if (args.every((a) => saysYes(a, field))) return null;
  return `${signal} takes no input, or one that says yes (true, "yes", { "${field}": true } or a { "note": "…" } alone); this one does not: not taken as a yes`;
}
