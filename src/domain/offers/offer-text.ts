/** The longest name of an offer (createOffer, the import). */
export const OFFER_NAME_MAX_LENGTH = 200;
/** An offer's description: what a customer reads about it in a message, a paragraph at most (createOffer, the import). */
export const MAX_OFFER_DESCRIPTION = 1000;
