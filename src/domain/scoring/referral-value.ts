/**
 * Referral value: what the customers someone brought in are worth, as the sum
 * of their margin (or CLV, whichever the caller passes; the basis is named in
 * the reasons), with the count. Loss-making referrals count with their negative
 * value: the sum is honest, and the reasons say so.
 *
 * Bands: "none" (no referral), "referrer", "ambassador" (at least
 * `ambassadorMinReferrals` referrals worth at least `ambassadorMinValueMinor`).
 */
import { money } from './format.js';
import { withPolicyVersion, type ScoreResult } from './score.js';
import { invalidInput } from './scoring.exception.js';

/** 2: a referred customer's orders without a margin count at that customer's own margin share, not as zero. */
export const REFERRAL_VALUE_MODEL_VERSION = 'referral-value/2';

export interface ReferralPolicy {
  version: number;
  ambassadorMinReferrals: number;
  ambassadorMinValueMinor: number;
}

export const defaultReferralPolicy: ReferralPolicy = { version: 1, ambassadorMinReferrals: 3, ambassadorMinValueMinor: 50_000 };

export interface ReferredCustomer {
  customerId: string;
  /** Margin or CLV of the referred customer, minor units. */
  valueMinor: number;
}

export const REFERRAL_BANDS = ['none', 'referrer', 'ambassador'] as const;

export interface ReferralValueScore extends ScoreResult {
  /** Sum of the referred customers' values, minor units. */
  value: number;
  band: (typeof REFERRAL_BANDS)[number];
  count: number;
  /** Referred customers, highest value first (ties by id). */
  referrals: ReferredCustomer[];
}

export function referralValue(
  referred: readonly ReferredCustomer[],
  options: { basis?: 'margin' | 'CLV'; currency?: string } = {},
  policy: ReferralPolicy = defaultReferralPolicy,
): ReferralValueScore {
  const basis = options.basis ?? 'margin';
  const m = (v: number) => money(v, options.currency ?? '');
  const seen = new Set<string>();
  for (const r of referred) {
    if (!Number.isFinite(r.valueMinor)) throw invalidInput(`value of referred customer ${r.customerId} must be finite`);
    if (seen.has(r.customerId)) throw invalidInput(`customer ${r.customerId} is listed twice`, { customerId: r.customerId });
    seen.add(r.customerId);
  }
  const referrals = [...referred].sort((a, b) => b.valueMinor - a.valueMinor || (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0));
  const value = referrals.reduce((s, r) => s + r.valueMinor, 0);
  const count = referrals.length;
  const modelVersion = withPolicyVersion(REFERRAL_VALUE_MODEL_VERSION, policy.version);
  if (count === 0) return { value: 0, band: 'none', count, referrals, reasons: ['has not brought in any customer'], modelVersion };
  const band = count >= policy.ambassadorMinReferrals && value >= policy.ambassadorMinValueMinor ? 'ambassador' : 'referrer';
  const reasons = [`brought in ${count} customer${count === 1 ? '' : 's'} worth ${m(value)} in ${basis}`];
  if (count > 1) reasons.push(`most valuable referral: ${m(referrals[0].valueMinor)}`);
  const losing = referrals.filter((r) => r.valueMinor < 0);
  if (losing.length) reasons.push(`${losing.length} of them loss-making so far (${m(losing.reduce((s, r) => s + r.valueMinor, 0))}), counted in the sum`);
  if (band === 'ambassador') reasons.push(`ambassador: at least ${policy.ambassadorMinReferrals} referrals worth at least ${m(policy.ambassadorMinValueMinor)}`);
  return { value, band, count, referrals, reasons, modelVersion };
}
