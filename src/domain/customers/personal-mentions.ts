import { escapeRegExp } from '../text.js';

/**
 * Where a person's words (a reason typed for a cancel, a discard, an export, an erasure) name a
 * customer: what erasure takes out of the texts it keeps. Privacy comes first: a word of any
 * name they had counts (a part of a double-barrelled name too, with or without its accents), as
 * do their e-mail addresses and phone numbers however written; the rest of the text (a ticket
 * number, why) stays. In texts about many people (a segment's name) only a full mention counts
 * (`redactFullMentions`).
 */

/** Every name, e-mail address and phone number the customer has had (now, in the audit log, on messages sent to them). */
export interface Identity {
  names: readonly string[];
  emails: readonly string[];
  phones: readonly string[];
}

/** What stands where the customer was named. */
export const ERASED_MENTION = '[erased]';

/** A phone number is compared by its last digits, however it was written (+44 20 7946 0001, 020-7946-0001). */
const PHONE_DIGITS = 7;
/** A word, with the hyphens and apostrophes inside names (Schmidt-Weber, O'Brien). */
const WORD = /[\p{L}\p{M}\p{N}]+(?:['’‘-][\p{L}\p{M}\p{N}]+)*/gu;
/** Runs of digits written with the separators people use. */
const DIGIT_RUN = /[+(]*\d[\d\s().\/-]*\d/g;

/** `text` with every mention of the customer replaced by ERASED_MENTION; the same text when it names them nowhere. */
export function redact(text: string, who: Identity): string {
  const out = redactContacts(text, who);
  const words = new Set(who.names.flatMap(nameWords));
  return words.size ? out.replace(WORD, (word) => (wordForms(word).some((form) => words.has(form)) ? ERASED_MENTION : word)) : out;
}

/**
 * `text` with every full mention of the customer replaced by ERASED_MENTION: for texts that are
 * about many people (a segment's or campaign's name and description), where a word of their name
 * alone would take out others' names too. A name counts when all its words are written, in its
 * order, with nothing but spaces or hyphens between them (a full stop after an initial too), in
 * any case, with or without accents ("Mateo Yilmaz Oberholzer" for "Mateo Yilmaz-Oberholzer");
 * a first name or a surname alone stays. Their e-mail addresses and phone numbers go as `redact` takes them.
 */
export function redactFullMentions(text: string, who: Identity): string {
  const out = redactContacts(text, who);
  // The longest first, so "Priya L. Hansen" is taken whole where "Priya L." is a name too.
  const names = who.names
    .map(nameParts)
    .filter((parts) => parts.some((p) => [...p].length >= 2))
    .sort((a, b) => b.length - a.length);
  if (!names.length) return out;
  const parts = [...out.matchAll(PART)].map((m) => ({ from: m.index, to: m.index + m[0].length, text: m[0], folded: folded(m[0]) }));
  /** Where a mention of `name` that begins at the i-th part of the text ends, or null. */
  const endOf = (i: number, name: string[]): number | null => {
    for (let k = 0; k < name.length; k++) {
      const part = parts[i + k];
      if (!part || (k > 0 && !BETWEEN_PARTS.test(out.slice(parts[i + k - 1].to, part.from)))) return null;
      if (part.folded === name[k]) continue;
      // The last part may go on with an apostrophe ("Yilmaz's"): that stays.
      const at = k === name.length - 1 ? [...part.text.matchAll(/['’‘]/g)].find((a) => folded(part.text.slice(0, a.index)) === name[k]) : undefined;
      return at ? part.from + at.index : null;
    }
    return parts[i + name.length - 1].to;
  };
  let result = '';
  let done = 0;
  for (let i = 0; i < parts.length; i++) {
    const name = names.find((n) => endOf(i, n) !== null);
    if (!name) continue;
    result += out.slice(done, parts[i].from) + ERASED_MENTION;
    done = endOf(i, name)!;
    i += name.length - 1;
  }
  return result + out.slice(done);
}

/** `text` without the customer's e-mail addresses and phone numbers. */
function redactContacts(text: string, who: Identity): string {
  let out = text;
  for (const email of who.emails.map((e) => e.trim()).filter(Boolean)) out = out.replace(new RegExp(escapeRegExp(email), 'gi'), ERASED_MENTION);
  const phones = phoneDigits(who);
  if (phones.length) out = out.replace(DIGIT_RUN, (run) => phones.reduce((text, phone) => redactPhone(text, phone), run));
  return out;
}

/** The digits of each of their phone numbers long enough to be told apart (PHONE_DIGITS or more). */
const phoneDigits = (who: Identity) => who.phones.map((p) => p.replace(/\D/g, '')).filter((d) => d.length >= PHONE_DIGITS);

/**
 * What a text naming the customer in full (`redactFullMentions`) holds for sure, for a cheap first
 * look in the database: the longest part of each name (folded), their e-mail addresses (lower
 * case), the last PHONE_DIGITS digits of their phones. Each without repeats.
 */
export function fullMentionNeedles(who: Identity): { nameParts: string[]; emails: string[]; phoneTails: string[] } {
  return {
    nameParts: [...new Set(who.names.map(longestNamePart).filter((p): p is string => p !== null))],
    emails: [...new Set(who.emails.map((e) => e.trim().toLowerCase()).filter(Boolean))],
    phoneTails: [...new Set(phoneDigits(who).map((d) => d.slice(-PHONE_DIGITS)))],
  };
}

/** A part of a name: a word, split at hyphens (O'Brien is one part, Yilmaz-Oberholzer two). */
const PART = /[\p{L}\p{M}\p{N}]+(?:['’‘][\p{L}\p{M}\p{N}]+)*/gu;
/** What may stand between the parts of a full name: spaces and hyphens (dashes), after a full stop (an initial's) or not. */
const BETWEEN_PARTS = /^\.?[\s\p{Pd}]*$/u;

/** A name's parts, folded, in order. */
function nameParts(name: string): string[] {
  return (name.match(PART) ?? []).map(folded);
}

/**
 * The part of a name that a text naming them in full holds for sure, folded (lower case, without
 * accents): the longest, for a cheap first look in the database (`redactFullMentions` decides).
 * Null for a name with no part of two letters (`redactFullMentions` takes none of it).
 */
export function longestNamePart(name: string): string | null {
  const parts = nameParts(name).filter((p) => [...p].length >= 2);
  return parts.length ? parts.reduce((a, b) => ([...b].length > [...a].length ? b : a)) : null;
}

/**
 * `run` (digits with separators) with the number `phone` (its digits) taken out, however much of
 * it was written (its last digits at least, a trunk 0 before them): other numbers beside it in the
 * run (a ticket's) stay.
 */
function redactPhone(run: string, phone: string): string {
  const positions = [...run].flatMap((c, i) => (/\d/.test(c) ? [i] : []));
  const digits = positions.map((i) => run[i]).join('');
  const at = digits.indexOf(phone.slice(-PHONE_DIGITS));
  if (at < 0) return run;
  let from = at;
  let k = phone.length - PHONE_DIGITS - 1;
  // Leftwards as long as the digits are the number's, right-aligned; a trunk 0 (written instead of, or beside, the country code) is taken too.
  const more = () => {
    while (k >= 0 && from > 0 && digits[from - 1] === phone[k]) (from--, k--);
  };
  more();
  if (from > 0 && digits[from - 1] === '0') (from--, more());
  let start = positions[from];
  const end = positions[at + PHONE_DIGITS - 1] + 1;
  // The number's own lead-in: a + right before its first digit, an opening parenthesis closed within it ("(020) 7946").
  while (start > 0 && (run[start - 1] === '+' || (run[start - 1] === '(' && run.slice(start, end).includes(')')))) start--;
  return redactPhone(`${run.slice(0, start)}${ERASED_MENTION}${run.slice(end)}`, phone);
}

/** Letters that are no letter with an accent, as they are written without them (Łukasz as Lukasz, Straße as Strasse). */
const PLAIN: Record<string, string> = { ł: 'l', ø: 'o', æ: 'ae', œ: 'oe', ß: 'ss', đ: 'd', ð: 'd', þ: 'th', ı: 'i', ħ: 'h', ŀ: 'l' };

/**
 * A word as compared: lower case, without accents, one kind of apostrophe, one kind of sigma (a
 * final ς is σ: lower-casing picks one by what follows, which differs between a part folded alone
 * and the whole text the database folds, "ΠΑΠΑΔΟΠΟΥΛΟΣ'S" giving σ there).
 */
function folded(word: string): string {
  return word
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLocaleLowerCase('und')
    .replace(/[łøæœßđðþıħŀ]/g, (c) => PLAIN[c])
    .replace(/[’‘]/g, "'")
    .replace(/ς/g, 'σ');
}

/** A word and its parts (split at hyphens and apostrophes), folded; parts of one letter are no name. */
function wordForms(word: string): string[] {
  const whole = folded(word);
  return [whole, ...whole.split(/['-]/)].filter((w) => [...w].length >= 2);
}

/** The words of a name that can identify someone, and their parts. */
function nameWords(name: string): string[] {
  return (name.match(WORD) ?? []).flatMap(wordForms);
}
