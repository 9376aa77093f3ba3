/**
 * Fairness rules every playbook obeys: loyalty has to work in both directions.
 */

/** The payment-loyalty bands, most loyal first. */
export const LOYALTY_BANDS = ['loyal', 'regular', 'at-risk', 'new'] as const;

export type LoyaltyBand = (typeof LOYALTY_BANDS)[number];

export interface ReminderFeePolicy {
  version: number;
  /** Fee per reminder step for customers outside the loyal band, in minor units; index = reminder number - 1. */
  feesMinor: number[];
  /** Bands that never pay a reminder fee. */
  feeFreeBands: LoyaltyBand[];
}

export const reminderFeePolicy: ReminderFeePolicy = { version: 1, feesMinor: [0, 500, 1000], feeFreeBands: ['loyal'] };

export interface FeeDecision {
  /** The band the fee was decided for: the fairness report counts the fee under it. */
  band: LoyaltyBand;
  chargedMinor: number;
  /** What the standard schedule would have charged but this customer is spared: recorded, never hidden. */
  waivedMinor: number;
  reason: string;
}

/** The fee for the n-th reminder (1-based) of an overdue invoice. */
export function reminderFee(policy: ReminderFeePolicy, band: LoyaltyBand, reminderNumber: number): FeeDecision {
  const standard = policy.feesMinor[Math.min(reminderNumber, policy.feesMinor.length) - 1] ?? 0;
  if (policy.feeFreeBands.includes(band)) {
    return { band, chargedMinor: 0, waivedMinor: standard, reason: `no reminder fee for a ${band} payer` };
  }
  return { band, chargedMinor: standard, waivedMinor: 0, reason: standard ? `standard fee for reminder ${reminderNumber}` : `reminder ${reminderNumber} is free for everyone` };
}

export interface OfferTerms {
  code: string;
  audience: 'new' | 'existing' | 'all';
  /** Discount in percent; the comparable "value" of an offer. */
  discountPercent: number;
  validFrom: string;
  validUntil?: string | null;
  /** The service tier the offer moves the customer to; none: the customer keeps theirs. */
  serviceTier?: string | null;
}

const validOn = (offer: OfferTerms, day: string) => offer.validFrom <= day && (!offer.validUntil || day <= offer.validUntil);

/**
 * What an existing customer may be offered on `day`: the existing-customer and
 * all-customer offers, plus at least the best offer new customers get now
 * (no offer reserved for new customers that an existing one cannot get). With `keepingTier`,
 * only offers that leave the customer on that tier: a thank-you or a cross-sell is not a
 * downgrade in disguise, and its discount is compared with offers of the same kind.
 */
export function offersForExistingCustomer(offers: readonly OfferTerms[], day: string, keepingTier?: string): { offers: OfferTerms[]; matchedNewCustomerOffer: OfferTerms | null } {
  const current = offers.filter((o) => validOn(o, day) && (keepingTier === undefined || !o.serviceTier || o.serviceTier === keepingTier));
  const own = current.filter((o) => o.audience !== 'new');
  const bestNew = bestNewCustomerOffer(current, day);
  const bestOwn = Math.max(0, ...own.map((o) => o.discountPercent));
  const matched = bestNew && bestNew.discountPercent > bestOwn ? bestNew : null;
  return { offers: matched ? [...own, matched] : own, matchedNewCustomerOffer: matched };
}

/** Offers best first: the biggest discount, then by code. */
export const bestDiscountFirst = (a: OfferTerms, b: OfferTerms): number => b.discountPercent - a.discountPercent || a.code.localeCompare(b.code);

/** The best offer new customers get on `day` among `offers` (the biggest discount, then by code): what an existing customer gets at least. */
export function bestNewCustomerOffer(offers: readonly OfferTerms[], day: string): OfferTerms | null {
  return offers.filter((o) => o.audience === 'new' && validOn(o, day)).sort(bestDiscountFirst)[0] ?? null;
}

/** The best offer an existing customer gets on `day` (of those keeping `keepingTier`, when given), never worse than what a new customer gets. */
export function bestOfferForExistingCustomer(offers: OfferTerms[], day: string, keepingTier?: string): OfferTerms | null {
  const { offers: entitled } = offersForExistingCustomer(offers, day, keepingTier);
  return [...entitled].sort(bestDiscountFirst)[0] ?? null;
}
