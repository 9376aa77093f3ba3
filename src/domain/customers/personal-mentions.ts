/**
 * Where a person's words (a reason typed for a cancel, a discard, an export, an erasure) name a
 * customer: what erasure takes out of the texts it keeps. Privacy comes first: a word of any
 * name they had counts (a part of a double-barrelled name too, with or without its accents), as
 * do their e-mail addresses and phone numbers however written; the rest of the text (a ticket
 * number, why) stays.
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
const DIGIT_RUN = /\+?\d[\d\s().\/-]*\d/g;

/** `text` with every mention of the customer replaced by ERASED_MENTION; the same text when it names them nowhere. */
export function redact(text: string, who: Identity): string {
  let out = text;
  for (const email of who.emails.map((e) => e.trim()).filter(Boolean)) out = out.replace(new RegExp(escapeRegExp(email), 'gi'), ERASED_MENTION);
  const tails = who.phones.map((p) => p.replace(/\D/g, '')).filter((d) => d.length >= PHONE_DIGITS).map((d) => d.slice(-PHONE_DIGITS));
  if (tails.length) out = out.replace(DIGIT_RUN, (run) => (tails.some((tail) => run.replace(/\D/g, '').includes(tail)) ? ERASED_MENTION : run));
  const words = new Set(who.names.flatMap(nameWords));
  if (words.size) out = out.replace(WORD, (word) => (wordForms(word).some((form) => words.has(form)) ? ERASED_MENTION : word));
  return out;
}

/** Whether `text` names the customer anywhere (`redact` would change it). */
export function mentions(text: string, who: Identity): boolean {
  return redact(text, who) !== text;
}

/** A word as compared: lower case, without accents, one kind of apostrophe. */
function folded(word: string): string {
  return word.normalize('NFD').replace(/\p{M}/gu, '').toLocaleLowerCase('und').replace(/[’‘]/g, "'");
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

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
