import { canonicalLocale } from '../customers/contact.js';

/** The longest name of an offer (createOffer, the import). */
export const OFFER_NAME_MAX_LENGTH = 200;
/** An offer's description: what a customer reads about it in a message, a paragraph at most (createOffer, the import). */
export const MAX_OFFER_DESCRIPTION = 1000;

/** Codes are what a customer types or a message quotes: short, upper case, letters, digits, - and _ (createOffer, the import's SQL). */
export const OFFER_CODE = /^[A-Z0-9][A-Z0-9_-]{1,39}$/;
export const OFFER_CODE_RULE = 'a code of 2 to 40 letters, digits, - or _';

/** An offer's discount: a whole percentage in this range (createOffer, the import's SQL). */
export const DISCOUNT_PERCENT = { min: 1, max: 100 } as const;

/** A language an offer's name is translated into: a primary language subtag (`de`), as messages choose their language from a customer's locale. */
export const NAME_LANGUAGE = /^[a-z]{2,3}$/;

/**
 * The code messages know `language` (a NAME_LANGUAGE) by: the primary subtag of it as a customer's locale is kept
 * (canonical: `deu` and `ger` become `de`, `iw` becomes `he`), null for no language. A translation under any other code
 * would never be read, as no reader's locale starts with it.
 */
export function messagesLanguage(language: string): string | null {
  return canonicalLocale(language)?.split('-')[0] ?? null;
}
/** At most this many translations of one offer's name. */
export const MAX_TRANSLATED_NAMES = 20;

