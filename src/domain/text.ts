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

/** How much of a value sent by hand (Temporal UI or CLI) a refusal quotes back. */
export const MAX_ECHO = 60;

/**
 * `text` as a refusal or validation message quotes it back: whole when short, else its start
 * and its length. A refusal travels back to the engine with the run's workflow task (its
 * message and its stack, each with the echo): a paste of megabytes quoted whole took the task
 * over gRPC's 4 MB, and the run stopped answering for as long as the sender waited.
 */
export function echoed(text: string, max = MAX_ECHO): string {
  if (text.length <= max) return text;
  // Not half an emoji: a high surrogate at the cut goes with its pair.
  const end = /[\uD800-\uDBFF]/.test(text[max - 1]) ? max - 1 : max;
  return `${text.slice(0, end)}… (${characterCountOfLong(text)} characters)`;
}

/** How many of the values a refusal names (unknown bands, segments): the rest it counts. */
export const MAX_ECHOED_VALUES = 5;

/**
 * Values a refusal names (those not known, say), each in quotes as `echoed` quotes it, each once,
 * at most `max` of them and how many more: a list of 200,000 typos named whole made a message of
 * megabytes, and a 1 MB one a message of 2 MB.
 */
export function echoedList(values: readonly string[], max = MAX_ECHOED_VALUES): string {
  const distinct = [...new Set(values)];
  const named = distinct.slice(0, max).map((value) => `"${echoed(value)}"`).join(', ');
  return distinct.length > max ? `${named} and ${distinct.length - max} more` : named;
}

/** Any value sent by hand, as JSON (as it was typed), quoted back by `echoed`. */
export function echoedValue(value: unknown): string {
  return echoed(JSON.stringify(value) ?? String(value));
}

/** `characterCount` without an array of every character (a text of megabytes). */
function characterCountOfLong(text: string): number {
  return text.length - (text.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0);
}

/**
 * Characters no name or reference people read may hold: control characters (a line break, a tab, an
 * ESC sequence that recolours a terminal), invisible format characters (a zero-width space, a direction
 * override that shows "evil" reversed, a byte-order mark), line and paragraph separators.
 */
export const INVISIBLE_OR_CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/**
 * A zero-width non-joiner or joiner between two characters that show (neither white space nor
 * INVISIBLE_OR_CONTROL): spelling, not hiding (a Persian name such as "حسین‌زاده", a Sinhala or
 * Malayalam letter, an emoji such as 👩‍💻). Where people's names allow them.
 */
export const JOINER_BETWEEN_SHOWN = /(?<=[^\p{Z}\p{Cc}\p{Cf}])[\u200C\u200D](?=[^\p{Z}\p{Cc}\p{Cf}])/gu;
/** The characters that do not show, as JOINER_BETWEEN_SHOWN reads its neighbours: white space and separators (Z), Cc, Cf. */
export const NOT_SHOWN = /[\p{Z}\p{Cc}\p{Cf}]/u;

/**
 * The first INVISIBLE_OR_CONTROL character of `text`, as `U+XXXX`, or null. With `joiners`, a joiner
 * between two characters that show (JOINER_BETWEEN_SHOWN) is not one: a person's name takes it.
 */
export function hiddenCharacter(text: string, { joiners = false }: { joiners?: boolean } = {}): string | null {
  const hit = INVISIBLE_OR_CONTROL.exec(joiners ? text.replace(JOINER_BETWEEN_SHOWN, '') : text);
  return hit ? `U+${hit[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : null;
}

/**
 * Why a name people read (`what`: "A segment's name") is refused for a hidden character, or null:
 * one rule for every such name (API keys, segments, campaigns, customers), so none can hold an ESC
 * sequence, a direction override or only a zero-width space, and two cannot read the same.
 */
export function hiddenCharacterProblem(text: string, what: string, options?: { joiners?: boolean }): string | null {
  const hidden = hiddenCharacter(text, options);
  return hidden && `${what} holds no control or invisible characters (line breaks, tabs, zero-width or direction marks; this one has ${hidden})`;
}

/**
 * A name people choose between by reading it (an API key's, a saved segment's), as it is stored and compared: in NFKC,
 * so that the compatibility forms of a letter (a full-width "ａdmin", the ligature "ﬁ", a superscript "²") are the letter
 * itself and a decomposed "u" with its accent is the "ü" a keyboard types; a run of spaces as one (NFKC has made a no-break,
 * ideographic or other width of space a plain one); trimmed. Two names that read the same are then one name, which the
 * unique indexes compare in any case (lower(name)). The names stored before were put in this form by migrations
 * (Migration20261217000000_api_key_name_nfkc, Migration20261227164100_readable_names).
 */
export const readableName = (name: string): string => name.normalize('NFKC').replace(/ {2,}/g, ' ').trim();
