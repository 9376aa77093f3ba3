/**
 * What a thank-you promised of its offer, in SQL over an outbox message `m`: the customer read that the offer "is yours
 * until" a day (its last day then), or, for an offer without an end, that it is theirs, which the thank-you keeps for
 * the days the appreciation policy gives a customer to use it (`offerPromisedUntil`, written with it). An offer is
 * ended neither by hand (`endOffer`: OFFER_PROMISED) nor by an offers import before the latest such day.
 */
export const promisedUntilSql = (m: string) => `coalesce(${m}.payload->>'offerValidUntil', ${m}.payload->>'offerPromisedUntil')::date`;

/** The thank-you `m` promised offer `code` to its customer: one that reached them or is on its way (one held back told nobody). */
export const promisedOfferSql = (m: string, code: string) =>
  `${m}.template = 'appreciation' and ${m}.payload->>'offerCode' = ${code} and (${m}.sent_at is not null or ${m}.suppressed_at is null)`;
