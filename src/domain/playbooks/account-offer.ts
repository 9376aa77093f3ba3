import { offersForExistingCustomer, type OfferTerms } from '../guards/fairness.js';

/** A tier the profitability model projects a loss-making account on: its result there, and that tier's fee over the window. */
export interface ProjectedTier {
  tier: string;
  projectedValueMinor: number;
  feeMinor: number;
}

/** The offer an account review puts to a loss-making account, with the result the model projects for the account once it is taken. */
export interface HelpingOffer {
  offer: OfferTerms;
  /** The tier the offer moves the account to. */
  tier: string;
  projectedValueMinor: number;
}

/**
 * Which offer helps an account that loses money and that no cheaper tier turns around: one that moves it to a tier
 * the profitability model projects better than now, with the offer's discount taken off that tier's fee (what the
 * customer pays for it over the window). A discount on the service the customer has takes from a margin its costs
 * already exceed, so it is never one. Of the offers that move the account off its tier an existing customer may get on
 * `day` (a new customers' offer of that kind matched for them too: the fairness rule compares like with like), the one
 * projected best (then the bigger discount, then by code); null when none beats now.
 */
export function offerThatHelps(offers: OfferTerms[], day: string, account: { tier: string; valueMinor: number; projections: readonly ProjectedTier[] }): HelpingOffer | null {
  const helping: HelpingOffer[] = [];
  const moving = offers.filter((o) => o.serviceTier && o.serviceTier !== account.tier);
  for (const offer of offersForExistingCustomer(moving, day).offers) {
    const on = account.projections.find((p) => p.tier === offer.serviceTier);
    if (!on) continue;
    const projectedValueMinor = on.projectedValueMinor - Math.round((on.feeMinor * offer.discountPercent) / 100);
    if (projectedValueMinor > account.valueMinor) helping.push({ offer, tier: on.tier, projectedValueMinor });
  }
  helping.sort((a, b) => b.projectedValueMinor - a.projectedValueMinor || b.offer.discountPercent - a.offer.discountPercent || a.offer.code.localeCompare(b.offer.code));
  return helping[0] ?? null;
}
