/**
 * Whether a person's words (a reason typed for a cancel, a discard, an export) name a customer:
 * what erasure must take out of the texts it keeps. Privacy comes first: a reason that only may
 * name them (a word of their name) counts, and loses its text; a missed mention would keep
 * personal data after the erasure.
 */

/** Every name, e-mail address and phone number the customer has had (now and in the audit log). */
export interface Identity {
  names: readonly string[];
  emails: readonly string[];
  phones: readonly string[];
}

/** A phone number is compared by its last digits, however it was written (+44 20 7946 0001, 020-7946-0001). */
const PHONE_DIGITS = 7;

export function mentions(text: string, who: Identity): boolean {
  const lower = text.toLocaleLowerCase('und');
  if (who.emails.some((email) => email.trim() !== '' && lower.includes(email.trim().toLocaleLowerCase('und')))) return true;
  if (who.phones.some((phone) => phoneIn(text, phone))) return true;
  return who.names.flatMap(nameWords).some((word) => wordIn(lower, word));
}

/** The words of a name that can identify: letters (any script) and digits, two or more, lower-cased. */
function nameWords(name: string): string[] {
  return (name.toLocaleLowerCase('und').match(/[\p{L}\p{M}\p{N}'’-]+/gu) ?? []).map((w) => w.replace(/^['’-]+|['’-]+$/g, '')).filter((w) => [...w].length >= 2);
}

/** `word` as a whole word of `text` (not inside another word: "Ada" is not in "Canada"). */
function wordIn(text: string, word: string): boolean {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\p{L}\\p{M}\\p{N}])${escaped}(?![\\p{L}\\p{M}\\p{N}])`, 'u').test(text);
}

function phoneIn(text: string, phone: string): boolean {
  const digits = phone.replace(/\D/g, '');
  if (digits.length < PHONE_DIGITS) return false;
  const tail = digits.slice(-PHONE_DIGITS);
  // Runs of digits written with the separators people use.
  return (text.match(/[\d][\d\s().\/-]*/g) ?? []).some((run) => run.replace(/\D/g, '').includes(tail));
}
