import { ERASED_MENTION, redact, type Identity } from './personal-mentions.js';

/**
 * What an operator typed into a signal or update of a customer's playbook run in the Temporal UI or CLI, as the steering
 * audit keeps it (`playbook.signal-in-engine`, `playbook.update-in-engine`: `after.input`, the message's arguments): words
 * a person wrote about the customer, which their erasure takes out and their data export shows.
 *
 * Only the members a run reads as data keep their value (DATA_MEMBERS: a promise's day, an offboarding decision's
 * answer, decider and entry, a proposal's answer), so the audit still says what was promised or decided, and even they
 * lose the customer's name, e-mail address and phone (`redact`), should one have been typed there. Every other string or
 * number is free text (a promise's `recordedBy`, "a note kept as typed", any input of a message that takes none, any
 * input of a signal of a name the run does not take) and becomes ERASED_MENTION whole: a note names a person in ways a
 * redaction of the names and numbers they had cannot find (a nickname, a relative, their street, a misspelling). What
 * stays is its shape (the keys, themselves redacted; true, false and null), so the log still says which members were typed.
 */

/** A message a run took from the Temporal UI or CLI, as its audit entry names it. */
export interface TypedMessage {
  signal?: string;
  update?: string;
  /** Set on a signal of a name the run has no handler for: nothing of it is read as data. */
  ignored?: string;
}

/**
 * The members of each message's first argument that the run reads as data, by message name. `decideOffboarding`'s
 * `reason` is free text (the erasure has taken it out since such decisions were typed; the export shows it, when the
 * decision was taken, as an offboarding note).
 */
const DATA_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  promiseToPay: ['until'],
  decideOffboarding: ['approve', 'decidedBy', 'reasonEntry'],
  endOffboardingNotice: ['endedBy', 'reasonEntry'],
  answerProposal: ['accepted'],
  proposalAnswered: ['accepted'],
};

/** A free-text member of a typed input: where it was (`recordedBy`, `note`, '' for a bare first argument) and what it said. */
export interface TypedText {
  member: string;
  text: string;
}

/** The data members of `message`'s first argument (none for an ignored signal). */
function dataMembers(message: TypedMessage): readonly string[] {
  if (message.ignored) return [];
  return DATA_MEMBERS[message.update ?? message.signal ?? ''] ?? [];
}

/** The steering audit's form of an input too long to keep whole (auditedInput): its start is free text, its length not. */
function isTruncated(input: unknown): input is { truncated: true; jsonLength: number; start: string } {
  return !!input && typeof input === 'object' && !Array.isArray(input) && (input as { truncated?: unknown }).truncated === true;
}

/**
 * Walks `input` (a message's arguments as audited), calling `data` for each value of a data member and `text` for
 * each other string or number (with the path to it); answers the input rebuilt from what they return. Keys go through `key`.
 */
function mapInput(message: TypedMessage, input: unknown, visit: { data: (value: string) => string; text: (value: string | number, path: string[]) => unknown; key: (key: string) => string }): unknown {
  if (isTruncated(input)) return { ...input, start: visit.text(input.start, ['start']) };
  const members = dataMembers(message);
  const walk = (value: unknown, path: string[], isData: boolean): unknown => {
    if (typeof value === 'string') return isData ? visit.data(value) : visit.text(value, path);
    if (typeof value === 'number') return isData ? value : visit.text(value, path);
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, String(i)], false));
    if (value && typeof value === 'object') {
      // Only the first argument's own members are read as data.
      const top = path.length === 1 && path[0] === '0';
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [visit.key(k), walk(v, [...path, k], top && members.includes(k))]));
    }
    return value;
  };
  return walk(input, [], false);
}

/** `input` as the erasure leaves it (see above): the same value (deep-equal) when there is nothing to take out. */
export function typedInputErased(message: TypedMessage, input: unknown, who: Identity): unknown {
  return mapInput(message, input, { data: (value) => redact(value, who), text: () => ERASED_MENTION, key: (key) => redact(key, who) });
}

/**
 * The free text of `input` (see above), in order, for the customer's data export: what the erasure replaces whole.
 * A value already erased is not text about them any more. `decideOffboarding`'s `reason` is left to the offboarding
 * notes (TAKEN_TYPED_DECISION), which show it once the run took the decision.
 */
export function typedTexts(message: TypedMessage, input: unknown): TypedText[] {
  const texts: TypedText[] = [];
  mapInput(message, input, {
    data: (value) => value,
    text: (value, path) => {
      // A member of the first argument by its name (`recordedBy`), a bare first argument by none.
      const member = (path[0] === '0' ? path.slice(1) : path).join('.');
      const decisionReason = message.update === 'decideOffboarding' && !message.ignored && path.length === 2 && path[0] === '0' && path[1] === 'reason';
      if (!decisionReason && value !== ERASED_MENTION && String(value).trim() !== '') texts.push({ member, text: String(value) });
      return value;
    },
    key: (key) => key,
  });
  return texts;
}
