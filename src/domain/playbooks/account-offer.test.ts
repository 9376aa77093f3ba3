import type { OfferTerms } from '../guards/fairness.js';
import { offerThatHelps, tierChangeOffer } from './account-offer.js';

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

describe('tierChangeOffer', () => {
  // A premium account losing 50.00: the model suggests basic (a fee of 40.00), projected at -10.00 there at full fee.
  const premium = { tier: 'premium', valueMinor: -5_000, projections: [{ tier: 'basic', projectedValueMinor: -1_000, feeMinor: 4_000 }, { tier: 'standard', projectedValueMinor: -3_000, feeMinor: 6_000 }] };

  it("puts the move with the newcomers' discount on that tier, or everyone's, where the account still does better than now", () => {
    // Newcomers get 50% off basic: the move carries it (-10.00 - 20.00 = -30.00, better than -50.00).
    expect(tierChangeOffer([offer('NEW-BASIC50', 50, 'basic', 'new')], day, premium, 'basic')).toEqual({ offer: { offer: expect.objectContaining({ code: 'NEW-BASIC50' }), tier: 'basic', projectedValueMinor: -3_000 }, notHelping: null });
    // Everyone's 35% off basic, no newcomers' one: the move carries it.
    expect(tierChangeOffer([offer('BASIC-SELF-SERVICE', 35, 'basic', 'all')], day, premium, 'basic').offer).toMatchObject({ offer: { code: 'BASIC-SELF-SERVICE' }, projectedValueMinor: -2_400 });
    // Everyone's 35% is below the newcomers' 50%: the newcomers' is matched, never the smaller one.
    expect(tierChangeOffer([offer('BASIC-SELF-SERVICE', 35, 'basic', 'all'), offer('NEW-BASIC50', 50, 'basic', 'new')], day, premium, 'basic').offer).toMatchObject({ offer: { code: 'NEW-BASIC50' } });
  });

  it('takes offers to the suggested tier only, with a discount, valid today', () => {
    // An offer to another tier, one without a discount, one not yet valid, one on the service kept: the move at full fee.
    const none = [offer('STD40', 40, 'standard'), offer('BASIC-MOVE', 0, 'basic'), { ...offer('BASIC20', 20, 'basic'), validFrom: '2027-01-01' }, offer('LOYAL30', 30, null)];
    expect(tierChangeOffer(none, day, premium, 'basic')).toEqual({ offer: null, notHelping: null });
    // Not a tier the model projects: nothing to weigh.
    expect(tierChangeOffer([offer('BASIC20', 20, 'basic')], day, { ...premium, projections: [] }, 'basic')).toEqual({ offer: null, notHelping: null });
  });

  it("proposes the move at full fee, naming why, where even the newcomers' discount would leave the account no better than now", () => {
    // 100% off basic takes its whole fee: -10.00 - 40.00 = -50.00, no better than now. The existing customers' 10% would help,
    // but is below the newcomers' best and so never put to them.
    expect(tierChangeOffer([offer('NEW-BASIC-FREE', 100, 'basic', 'new'), offer('BASIC10', 10, 'basic')], day, premium, 'basic')).toEqual({
      offer: null,
      notHelping: { offer: expect.objectContaining({ code: 'NEW-BASIC-FREE' }), tier: 'basic', projectedValueMinor: -5_000 },
    });
  });
});
