import { bestNewCustomerOffer, offersForExistingCustomer, type OfferTerms } from '../guards/fairness.js';
import type { ProjectedTier } from '../scoring/profitability.js';

/** The offer an account review puts to a loss-making account, with the result the model projects for the account once it is taken. */
export interface HelpingOffer {
  offer: OfferTerms;
  /** The tier the offer moves the account to. */
  tier: string;
  projectedValueMinor: number;
}

/**
 * The offers that move an existing customer to `tier` on `day`: those for existing customers and everyone, and a new
 * customers' one of the same kind matched for them (the fairness rule, comparing like with like: offers to that tier).
 * None gives them less than the best a newcomer gets for the same move that day: an offer of theirs below it is left out,
 * so a review that picks the offer best for the account never puts a smaller discount to a customer than a newcomer gets.
 */
export function offersToTier(offers: readonly OfferTerms[], day: string, tier: string): OfferTerms[] {
  const toTier = offers.filter((o) => o.serviceTier === tier);
  const floor = bestNewCustomerOffer(toTier, day)?.discountPercent ?? 0;
  return offersForExistingCustomer(toTier, day).offers.filter((o) => o.discountPercent >= floor);
}

/**
 * Which offer helps an account that loses money and that no cheaper tier turns around: one that moves it to a tier
 * the profitability model projects better than now, with the offer's discount taken off that tier's fee (what the
 * customer pays for it over the window). A discount on the service the customer has takes from a margin its costs
 * already exceed, so it is never one. Of the offers to each other tier (`offersToTier`: none below what a newcomer gets
 * for the move), the one projected best (then the bigger discount, then by code); null when none beats now, also when only
 * a smaller discount than a newcomer's would: the account is then not offered less than a newcomer, but nothing.
 */
export function offerThatHelps(offers: readonly OfferTerms[], day: string, account: { tier: string; valueMinor: number; projections: readonly ProjectedTier[] }): HelpingOffer | null {
  const helping: HelpingOffer[] = [];
  for (const on of account.projections.filter((p) => p.tier !== account.tier)) {
    for (const offer of offersToTier(offers, day, on.tier)) {
      const projectedValueMinor = on.projectedValueMinor - discountOff(on.feeMinor, offer.discountPercent);
      if (projectedValueMinor > account.valueMinor) helping.push({ offer, tier: on.tier, projectedValueMinor });
    }
  }
  helping.sort((a, b) => b.projectedValueMinor - a.projectedValueMinor || b.offer.discountPercent - a.offer.discountPercent || a.offer.code.localeCompare(b.offer.code));
  return helping[0] ?? null;
}

/** What a discount of `percent` takes off a tier's fee for the window (`feeMinor`, its window's share of a year's, rounded), minor units. */
export function discountOff(feeMinor: number, percent: number): number {
  return Math.round((feeMinor * percent) / 100);
}

/**
 * What goes with the cheaper tier an account review proposes (the model's suggested `tier`). The fairness rule holds for
 * this move too: where offers to that tier are open to the customer today (`offersToTier`: their own and everyone's, a
 * newcomers' one matched, none below the newcomers' best), the move is put to them with one, weighed as `offerThatHelps`
 * weighs offers (its discount off that tier's fee; the one projected best, so never less than a newcomer gets), provided
 * the account still does better than now with it (`offer`). Only offers with a discount count: one without adds nothing
 * to the move itself. Otherwise the move is proposed at its full fee (`offer` null); `notHelping` then names the smallest
 * discount open to the customer for it (at least the newcomers') with what the account is projected at with it, when
 * even that leaves the account no better than now: a change of tier is no offer, and proposing nothing would take the
 * customer towards an offboarding decision rather than to the service that fits them, so the move is still proposed,
 * saying why without the discount.
 */
export function tierChangeOffer(
  offers: readonly OfferTerms[],
  day: string,
  account: { tier: string; valueMinor: number; projections: readonly ProjectedTier[] },
  tier: string,
): { offer: HelpingOffer | null; notHelping: HelpingOffer | null } {
  const on = account.projections.find((p) => p.tier === tier);
  if (!on || tier === account.tier) return { offer: null, notHelping: null };
  const discounted = offers.filter((o) => o.discountPercent > 0);
  const offer = offerThatHelps(discounted, day, { ...account, projections: [on] });
  if (offer) return { offer, notHelping: null };
  const smallest = offersToTier(discounted, day, tier).sort((a, b) => a.discountPercent - b.discountPercent || a.code.localeCompare(b.code))[0];
  return { offer: null, notHelping: smallest ? { offer: smallest, tier, projectedValueMinor: on.projectedValueMinor - discountOff(on.feeMinor, smallest.discountPercent) } : null };
}
