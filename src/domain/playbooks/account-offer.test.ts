import type { OfferTerms } from '../guards/fairness.js';
import { offerThatHelps } from './account-offer.js';

const day = '2026-12-05';
const offer = (code: string, discountPercent: number, serviceTier: string | null, audience: OfferTerms['audience'] = 'existing'): OfferTerms => ({ code, audience, discountPercent, validFrom: '2026-01-01', serviceTier });
// A basic account losing 30.00 on returns: on standard (a fee of 60.00) it keeps the returns and gains that tier's fee margin.
const account = { tier: 'basic', valueMinor: -3_000, projections: [{ tier: 'standard', projectedValueMinor: -1_000, feeMinor: 6_000 }, { tier: 'premium', projectedValueMinor: 3_000, feeMinor: 12_000 }] };

describe('offerThatHelps', () => {
  it('never takes a discount on the service the account has: it deepens the loss', () => {
    expect(offerThatHelps([offer('LOYAL30', 30, null), offer('BASIC10', 10, 'basic')], day, account)).toBeNull();
  });

  it("takes an offer that moves the account to a tier projected better than now, its discount taken off that tier's fee", () => {
    // Standard at 15% off: -1,000 - 900 = -1,900, better than -3,000.
    expect(offerThatHelps([offer('STD15', 15, 'standard')], day, account)).toMatchObject({ offer: { code: 'STD15' }, tier: 'standard', projectedValueMinor: -1_900 });
    // At 40% off the standard fee: -1,000 - 2,400 = -3,400, worse than now: a big discount on a richer tier is no help either.
    expect(offerThatHelps([offer('STD40', 40, 'standard')], day, account)).toBeNull();
  });

  it('takes the offer projected best, then the bigger discount, then by code', () => {
    // Premium at 25% off: 3,000 - 3,000 = 0; standard at 0%: -1,000.
    expect(offerThatHelps([offer('STD0', 0, 'standard'), offer('PREM25', 25, 'premium')], day, account)!.offer.code).toBe('PREM25');
    // A tier without a fee of its own: its discounts leave the projection as it is.
    const feeless = { ...account, projections: [{ tier: 'plus', projectedValueMinor: -1_000, feeMinor: 0 }] };
    expect(offerThatHelps([offer('PLUS-B', 5, 'plus'), offer('PLUS-A', 5, 'plus'), offer('PLUS-C', 0, 'plus')], day, feeless)!.offer.code).toBe('PLUS-A');
  });

  it("matches a new customers' offer that moves the tier for existing ones, compared with offers of its kind only, and none outside its days or without a projection", () => {
    expect(offerThatHelps([offer('NEW-PREM', 20, 'premium', 'new')], day, account)).toMatchObject({ offer: { code: 'NEW-PREM' }, projectedValueMinor: 600 });
    // A bigger price cut on the customer's own service does not out-rank it: newcomers get premium at 20% off, so may they.
    expect(offerThatHelps([offer('NEW-STD', 10, 'standard', 'new'), offer('LOYAL30', 30, null)], day, account)).toMatchObject({ offer: { code: 'NEW-STD' } });
    // Matched tier by tier: a bigger new customers' discount to a tier that cannot help does not keep out one to a tier that can.
    const standard = { tier: 'standard', valueMinor: -3_000, projections: [{ tier: 'basic', projectedValueMinor: -5_000, feeMinor: 0 }, { tier: 'premium', projectedValueMinor: 1_000, feeMinor: 12_000 }] };
    expect(offerThatHelps([offer('NEW-BASIC50', 50, 'basic', 'new'), offer('NEW-PREM20', 20, 'premium', 'new')], day, standard)).toMatchObject({ offer: { code: 'NEW-PREM20' }, projectedValueMinor: -1_400 });
    expect(offerThatHelps([{ ...offer('OLD', 10, 'premium'), validUntil: '2026-06-30' }], day, account)).toBeNull();
    expect(offerThatHelps([offer('PREM10', 10, 'premium')], day, { ...account, projections: [] })).toBeNull();
  });

  it('never puts a smaller discount to an existing customer than newcomers get for the same move that day', () => {
    // Standard: existing customers' 15% would help the account most, but newcomers get standard at 25% off that day.
    expect(offerThatHelps([offer('STD15', 15, 'standard'), offer('NEW-STD25', 25, 'standard', 'new')], day, account)).toMatchObject({ offer: { code: 'NEW-STD25' }, projectedValueMinor: -2_500 });
    // Also where an own offer beats the newcomers' (so theirs is not matched): the own offer below theirs stays out.
    expect(offerThatHelps([offer('STD15', 15, 'standard'), offer('STD30', 30, 'standard'), offer('NEW-STD25', 25, 'standard', 'new')], day, account)).toMatchObject({ offer: { code: 'STD30' }, projectedValueMinor: -2_800 });
    // At the newcomers' 50% the account would lose more than now: nothing is offered, rather than less than a newcomer gets.
    expect(offerThatHelps([offer('STD15', 15, 'standard'), offer('NEW-STD50', 50, 'standard', 'new')], day, account)).toBeNull();
    // A newcomers' offer outside its days sets no floor.
    expect(offerThatHelps([offer('STD15', 15, 'standard'), { ...offer('NEW-STD50', 50, 'standard', 'new'), validFrom: '2027-01-01' }], day, account)).toMatchObject({ offer: { code: 'STD15' } });
  });
});
