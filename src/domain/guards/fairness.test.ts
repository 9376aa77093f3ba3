import { bestOfferForExistingCustomer, offersForExistingCustomer, reminderFee, reminderFeePolicy, type OfferTerms } from './fairness.js';

describe('reminder fees', () => {
  it('charge a loyal payer nothing and record what was waived', () => {
    expect(reminderFee(reminderFeePolicy, 'loyal', 2)).toEqual({ band: 'loyal', chargedMinor: 0, waivedMinor: 500, reason: 'no reminder fee for a loyal payer' });
  });

  it('follow the standard schedule for others', () => {
    expect(reminderFee(reminderFeePolicy, 'regular', 1)).toMatchObject({ chargedMinor: 0, waivedMinor: 0 });
    expect(reminderFee(reminderFeePolicy, 'at-risk', 2)).toMatchObject({ chargedMinor: 500, waivedMinor: 0 });
    expect(reminderFee(reminderFeePolicy, 'regular', 7)).toMatchObject({ chargedMinor: 1000 }); // capped at the last step
  });
});

describe('offers for existing customers', () => {
  const offers: OfferTerms[] = [
    { code: 'WELCOME30', audience: 'new', discountPercent: 30, validFrom: '2026-01-01', validUntil: '2026-12-31' },
    { code: 'WELCOME50-OLD', audience: 'new', discountPercent: 50, validFrom: '2025-01-01', validUntil: '2025-12-31' },
    { code: 'LOYAL10', audience: 'existing', discountPercent: 10, validFrom: '2026-01-01' },
    { code: 'ALL5', audience: 'all', discountPercent: 5, validFrom: '2026-01-01' },
  ];

  it('include the best current new-customer offer when it beats their own', () => {
    const r = offersForExistingCustomer(offers, '2026-06-01');
    expect(r.matchedNewCustomerOffer?.code).toBe('WELCOME30');
    expect(r.offers.map((o) => o.code).sort()).toEqual(['ALL5', 'LOYAL10', 'WELCOME30']);
    expect(bestOfferForExistingCustomer(offers, '2026-06-01')?.code).toBe('WELCOME30');
  });

  it('ignore expired new-customer offers and ones no better than their own', () => {
    const noBetter = offers.map((o) => (o.code === 'LOYAL10' ? { ...o, discountPercent: 35 } : o));
    expect(offersForExistingCustomer(noBetter, '2026-06-01').matchedNewCustomerOffer).toBeNull();
    expect(bestOfferForExistingCustomer(noBetter, '2026-06-01')?.code).toBe('LOYAL10');
    expect(offersForExistingCustomer(offers, '2027-02-01').matchedNewCustomerOffer).toBeNull();
  });

  it('give nothing when nothing is valid', () => {
    expect(bestOfferForExistingCustomer(offers, '2020-01-01')).toBeNull();
  });

  it('leave out, when the customer keeps their tier, offers that move them to another: a bigger discount for less service is no thank-you', () => {
    const withTiers: OfferTerms[] = [
      ...offers,
      { code: 'BASIC-SELF-SERVICE', audience: 'all', discountPercent: 35, validFrom: '2026-01-01', serviceTier: 'basic' },
      { code: 'PREMIUM-UPGRADE', audience: 'new', discountPercent: 40, validFrom: '2026-01-01', serviceTier: 'premium' },
    ];
    expect(bestOfferForExistingCustomer(withTiers, '2026-06-01')?.code).toBe('PREMIUM-UPGRADE');
    // A premium customer: the premium offer keeps their tier, the basic one does not.
    expect(bestOfferForExistingCustomer(withTiers, '2026-06-01', 'premium')?.code).toBe('PREMIUM-UPGRADE');
    // A standard customer: neither keeps it; the best of the rest, matched against new customers' offers of the same kind.
    expect(offersForExistingCustomer(withTiers, '2026-06-01', 'standard')).toMatchObject({ matchedNewCustomerOffer: { code: 'WELCOME30' } });
    expect(bestOfferForExistingCustomer(withTiers, '2026-06-01', 'standard')?.code).toBe('WELCOME30');
    expect(bestOfferForExistingCustomer(withTiers, '2026-06-01', 'basic')?.code).toBe('BASIC-SELF-SERVICE');
  });
});
