import type { OfferTerms } from '../guards/fairness.js';
import { offerThatHelps } from './account-offer.js';

const day = '2026-12-05';
const offer = (code: string, discountPercent: number, serviceTier: string | null, audience: OfferTerms['audience'] = 'existing'): OfferTerms => ({ code, audience, discountPercent, validFrom: '2026-01-01', serviceTier });
// A basic account losing 30.00 on returns: on standard it keeps the returns and gains that tier's fee margin.
const account = { tier: 'basic', valueMinor: -3_000, projections: [{ tier: 'standard', projectedValueMinor: -1_000, feeMarginMinor: 2_000 }, { tier: 'premium', projectedValueMinor: 3_000, feeMarginMinor: 6_000 }] };

describe('offerThatHelps', () => {
  it('never takes a discount on the service the account has: it deepens the loss', () => {
    expect(offerThatHelps([offer('LOYAL30', 30, null), offer('BASIC10', 10, 'basic')], day, account)).toBeNull();
  });

  it('takes an offer that moves the account to a tier projected better than now, its discount taken off that tier\'s fee margin', () => {
    // Standard at 15% off: -1,000 - 300 = -1,300, better than -3,000.
    expect(offerThatHelps([offer('STD15', 15, 'standard')], day, account)).toMatchObject({ offer: { code: 'STD15' }, tier: 'standard', projectedValueMinor: -1_300 });
    // At 100% off the standard fee: -1,000 - 2,000 = -3,000, no better than now.
    expect(offerThatHelps([offer('STD100', 100, 'standard')], day, account)).toBeNull();
  });

  it('takes the offer projected best, then the bigger discount, then by code', () => {
    // Premium at 50% off: 3,000 - 3,000 = 0; standard at 0%: -1,000.
    expect(offerThatHelps([offer('STD0', 0, 'standard'), offer('PREM50', 50, 'premium')], day, account)!.offer.code).toBe('PREM50');
    // A tier without a fee margin of its own: its discounts leave the projection as it is.
    const feeless = { ...account, projections: [{ tier: 'plus', projectedValueMinor: -1_000, feeMarginMinor: 0 }] };
    expect(offerThatHelps([offer('PLUS-B', 5, 'plus'), offer('PLUS-A', 5, 'plus'), offer('PLUS-C', 0, 'plus')], day, feeless)!.offer.code).toBe('PLUS-A');
  });

  it("weighs a new customers' offer matched for existing customers, and none outside its days or without a projection", () => {
    expect(offerThatHelps([offer('NEW-PREM', 20, 'premium', 'new')], day, account)).toMatchObject({ offer: { code: 'NEW-PREM' }, projectedValueMinor: 1_800 });
    expect(offerThatHelps([{ ...offer('OLD', 10, 'premium'), validUntil: '2026-06-30' }], day, account)).toBeNull();
    expect(offerThatHelps([offer('PREM10', 10, 'premium')], day, { ...account, projections: [] })).toBeNull();
  });
});
