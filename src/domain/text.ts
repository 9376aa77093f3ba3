/**
 * The longest reason a person may give (for an erasure, an export, a cancelled run, an
 * offboarding decision, a discarded message): it is kept in the audit log and, for a run,
 * in its workflow history, so it is a paragraph, not a document.
 */
export const MAX_REASON = 1000;

/**
 * How many characters a text has as its writer counts them: code points, so an emoji or a
 * letter outside the Basic Multilingual Plane is one, not the two UTF-16 units of `length`.
 */
export function characterCount(text: string): number {
  return [...text].length;
}

/** What is wrong with a reason (empty once trimmed: `whenEmpty`, or longer than MAX_REASON), or null. */
export function reasonProblem(reason: string, whenEmpty: string): string | null {
  const text = reason.trim();
  if (!text) return whenEmpty;
  const length = characterCount(text);
  if (length > MAX_REASON) return `A reason is at most ${MAX_REASON} characters (this one has ${length})`;
  return null;
}

/** `text` as a regular expression that matches only itself. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
