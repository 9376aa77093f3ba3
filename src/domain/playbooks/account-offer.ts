import { offersForExistingCustomer, type OfferTerms } from '../guards/fairness.js';

/** A tier the profitability model projects a loss-making account on: its result there, and that tier's fee margin over the window. */
export interface ProjectedTier {
  tier: string;
  projectedValueMinor: number;
  feeMarginMinor: number;
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
 * the profitability model projects better than now, counting the offer's discount off that tier's fee margin (a price
 * cut costs at least that much of the margin). A discount on the service the customer has takes from a margin its
 * costs already exceed, so it is never one. Of the offers an existing customer may get on `day` (a new customers'
 * offer matched for them too), the one projected best (then the bigger discount, then by code); null when none beats now.
 */
export function offerThatHelps(offers: OfferTerms[], day: string, account: { tier: string; valueMinor: number; projections: readonly ProjectedTier[] }): HelpingOffer | null {
  const helping: HelpingOffer[] = [];
  for (const offer of offersForExistingCustomer(offers, day).offers) {
    const on = offer.serviceTier && offer.serviceTier !== account.tier ? account.projections.find((p) => p.tier === offer.serviceTier) : undefined;
    if (!on) continue;
    const projectedValueMinor = on.projectedValueMinor - Math.round((on.feeMarginMinor * offer.discountPercent) / 100);
    if (projectedValueMinor > account.valueMinor) helping.push({ offer, tier: on.tier, projectedValueMinor });
  }
  helping.sort((a, b) => b.projectedValueMinor - a.projectedValueMinor || b.offer.discountPercent - a.offer.discountPercent || a.offer.code.localeCompare(b.offer.code));
  return helping[0] ?? null;
}
