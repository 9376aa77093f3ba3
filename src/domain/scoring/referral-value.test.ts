import { referralValue } from './referral-value.js';
import { ScoringException } from './scoring.exception.js';

describe('referral value', () => {
  it('sums what the referred customers are worth, largest first', () => {
    const s = referralValue([
      { customerId: 'b', valueMinor: 12_000 },
      { customerId: 'a', valueMinor: 30_000 },
      { customerId: 'c', valueMinor: 12_000 },
    ]);
    expect(s.value).toBe(54_000);
    expect(s.count).toBe(3);
    expect(s.referrals.map((r) => r.customerId)).toEqual(['a', 'b', 'c']);
    expect(s.band).toBe('ambassador');
    expect(s.reasons).toEqual([
      'brought in 3 customers worth 540.00 in margin',
      'most valuable referral: 300.00',
      'ambassador: at least 3 referrals worth at least 500.00',
    ]);
    expect(s.modelVersion).toBe('referral-value/2;policy=1');
  });

  it('counts loss-making referrals honestly and names the basis', () => {
    const s = referralValue([{ customerId: 'a', valueMinor: 10_000 }, { customerId: 'b', valueMinor: -2_500 }], { basis: 'CLV', currency: 'EUR' });
    expect(s.value).toBe(7_500);
    expect(s.band).toBe('referrer');
    expect(s.reasons).toContain('brought in 2 customers worth EUR 75.00 in CLV');
    expect(s.reasons).toContain('1 of them loss-making so far (EUR -25.00), counted in the sum');
  });

  it('says so when nobody was brought in, and handles a single referral', () => {
    expect(referralValue([])).toMatchObject({ value: 0, band: 'none', count: 0, reasons: ['has not brought in any customer'] });
    const one = referralValue([{ customerId: 'a', valueMinor: 0 }]);
    expect(one).toMatchObject({ value: 0, band: 'referrer', count: 1 });
    expect(one.reasons).toEqual(['brought in 1 customer worth 0.00 in margin']);
  });

  it('refuses duplicates and non-finite values', () => {
    expect(() => referralValue([{ customerId: 'a', valueMinor: 1 }, { customerId: 'a', valueMinor: 2 }])).toThrow(ScoringException);
    expect(() => referralValue([{ customerId: 'a', valueMinor: NaN }])).toThrow(ScoringException);
  });
});
