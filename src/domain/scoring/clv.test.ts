import { conditionalExpectedTransactions, probabilityAlive, type BgNbdParams } from './bgnbd.js';
import { customerLifetimeValue, ratePerPeriod, WEEKS_PER_MONTH } from './clv.js';
import { conditionalExpectedSpend, type GammaGammaParams } from './gamma-gamma.js';
import { ScoringException } from './scoring.exception.js';

const BG: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const GG: GammaGammaParams = { p: 6.25, q: 3.74, gamma: 15.44 };
const customer = { x: 2, tx: 30.43, T: 38.86, zbar: 22.35 };

describe('CLV', () => {
  it('without discounting is expected spend × expected transactions over the horizon (the sum telescopes)', () => {
    const s = customerLifetimeValue(BG, GG, customer, { periods: 12, periodLength: WEEKS_PER_MONTH, discountRate: 0 });
    const expected = conditionalExpectedSpend(GG, customer) * conditionalExpectedTransactions(BG, customer, 12 * WEEKS_PER_MONTH);
    expect(s.value).toBeCloseTo(expected, 10);
    expect(s.perPeriod).toHaveLength(12);
    expect(s.perPeriod.reduce((sum, p) => sum + p.expectedTransactions, 0)).toBeCloseTo(s.expectedTransactions, 12);
  });

  it('matches a value computed independently: 12 months at 10% a year for the CDNOW customer (2, 30.43, 38.86), zbar 22.35', () => {
    // mpmath at 50 digits: Σ_i spend · (E[Y(i·m)] − E[Y((i−1)·m)]) / (1 + d)^i with E[Y] by the paper's eq. 10 (hyp2f1),
    // spend = p(γ + x·zbar)/(px + q − 1), m = 365.25/12/7 weeks, d = 1.1^(1/12) − 1.
    const s = customerLifetimeValue(BG, GG, customer, { periods: 12, periodLength: WEEKS_PER_MONTH, discountRate: ratePerPeriod(0.1, 12) });
    expect(Math.abs(s.value / 36.749154381206525 - 1)).toBeLessThan(1e-9);
    expect(Math.abs(s.expectedSpend / 24.663713910761155 - 1)).toBeLessThan(1e-12);
    expect(Math.abs(s.expectedTransactions / 1.5630996522916256 - 1)).toBeLessThan(1e-9);
  });

  it('discounts each period’s value at the end of the period, by hand for two weekly periods', () => {
    const d = 0.01;
    const s = customerLifetimeValue(BG, GG, customer, { periods: 2, periodLength: 1, discountRate: d, marginShare: 0.3 });
    const m = conditionalExpectedSpend(GG, customer);
    const e1 = conditionalExpectedTransactions(BG, customer, 1);
    const e2 = conditionalExpectedTransactions(BG, customer, 2);
    expect(s.value).toBeCloseTo((0.3 * m * e1) / (1 + d) + (0.3 * m * (e2 - e1)) / (1 + d) ** 2, 12);
    expect(s.probabilityAlive).toBe(probabilityAlive(BG, customer));
  });

  it('falls with the discount rate and rises with the horizon', () => {
    const v = (discountRate: number, periods = 12) => customerLifetimeValue(BG, GG, customer, { periods, periodLength: WEEKS_PER_MONTH, discountRate }).value;
    expect(v(0)).toBeGreaterThan(v(0.01));
    expect(v(0.01)).toBeGreaterThan(v(0.05));
    expect(v(0.01, 24)).toBeGreaterThan(v(0.01, 12));
  });

  it('monthly on a weekly model equals the same horizon in days on a daily clock', () => {
    // A weekly model's parameters converted to days: α scales with the time unit.
    const daily = { ...BG, alpha: BG.alpha * 7 };
    const inDays = { ...customer, tx: customer.tx * 7, T: customer.T * 7 };
    const weekly = customerLifetimeValue(BG, GG, customer, { periods: 6, periodLength: WEEKS_PER_MONTH, discountRate: 0.01 }).value;
    const days = customerLifetimeValue(daily, GG, inDays, { periods: 6, periodLength: WEEKS_PER_MONTH * 7, discountRate: 0.01 }).value; // the same month, in days
    expect(days).toBeCloseTo(weekly, 8);
  });

  it('works for a customer without repeat purchase (population spend) and one whose only purchase is today', () => {
    const none = customerLifetimeValue(BG, GG, { x: 0, tx: 0, T: 20, zbar: 0 }, { periods: 12, periodLength: WEEKS_PER_MONTH, discountRate: 0.01 });
    expect(none.value).toBeGreaterThan(0);
    expect(none.expectedSpend).toBeCloseTo((GG.p * GG.gamma) / (GG.q - 1), 10);
    expect(none.reasons[0]).toMatch(/no repeat purchase yet/);
    const today = customerLifetimeValue(BG, GG, { x: 0, tx: 0, T: 0, zbar: 0 }, { periods: 12, periodLength: WEEKS_PER_MONTH, discountRate: 0.01 });
    expect(today.value).toBeGreaterThan(none.value); // a brand-new customer has not yet shown silence
  });

  it("values a repeat buyer who has paid nothing at 0, not at the base's mean spend (zbar = 0 is outside Gamma-Gamma's support; QA 73 F2)", () => {
    const free = { x: 2, tx: 30.43, T: 38.86, zbar: 0 };
    // The shrinkage the model would apply: towards the base's mean, far from the customer's own 0.
    expect(conditionalExpectedSpend(GG, free)).toBeGreaterThan(5);
    const s = customerLifetimeValue(BG, GG, free, { periods: 12, periodLength: WEEKS_PER_MONTH, discountRate: ratePerPeriod(0.1, 12), currency: 'EUR' });
    expect(s).toMatchObject({ value: 0, expectedSpend: 0 });
    // The purchases are still expected; only their spend is 0.
    expect(s.expectedTransactions).toBeCloseTo(conditionalExpectedTransactions(BG, free, 12 * WEEKS_PER_MONTH), 9);
    expect(s.reasons[1]).toBe('expected spend per purchase: EUR 0.00 (the 2 repeat purchases so far were free: nothing paid, nothing expected)');
    // Without a repeat purchase nothing is known of the spend yet: the base's mean, as before.
    expect(customerLifetimeValue(BG, GG, { x: 0, tx: 0, T: 20, zbar: 0 }, { periods: 12, periodLength: WEEKS_PER_MONTH, discountRate: 0 }).expectedSpend).toBeCloseTo((GG.p * GG.gamma) / (GG.q - 1), 10);
  });

  it('explains itself with units', () => {
    const s = customerLifetimeValue(BG, GG, customer, { periods: 12, periodLength: WEEKS_PER_MONTH, discountRate: 0.01, currency: 'EUR', marginShare: 0.25 });
    expect(s.reasons[0]).toMatch(/^expected purchases in the next 12 months: \d+\.\d+ \(probability still active \d+%\)$/);
    expect(s.reasons[1]).toBe('expected spend per purchase: EUR 24.66 (own average EUR 22.35 over 2 repeat purchases)');
    expect(s.reasons[2]).toBe('discounted at 1% per month, margin 25% of spend');
    expect(s.modelVersion).toBe('clv/4(bgnbd/1+gamma-gamma/1)');
  });

  it('writes amounts as the other scores write money: thousands separators, two decimals (QA 80 F4)', () => {
    // E[M] = p·(γ + x·zbar) / (p·x + q − 1) = 6.25 · (15.44 + 4 · 5000) / (6.25 · 4 + 3.74 − 1) = 125,096.5 / 27.74 = 4,509.607…
    const big = customerLifetimeValue(BG, GG, { x: 4, tx: 30, T: 40, zbar: 5_000 }, { periods: 12, periodLength: WEEKS_PER_MONTH, discountRate: 0 });
    expect(big.expectedSpend).toBeCloseTo(125_096.5 / 27.74, 9);
    expect(big.reasons[1]).toBe('expected spend per purchase: 4,509.61 (own average 5,000.00 over 4 repeat purchases)');
    // A whole amount keeps its cents: "100.00", not "100".
    const whole = customerLifetimeValue(BG, GG, { x: 1, tx: 10, T: 20, zbar: 100 }, { periods: 12, periodLength: WEEKS_PER_MONTH, discountRate: 0 });
    expect(whole.reasons[1]).toMatch(/^expected spend per purchase: \d+\.\d\d \(own average 100\.00 over 1 repeat purchase\)$/);
  });

  it('refuses nonsense options and converts annual rates', () => {
    expect(() => customerLifetimeValue(BG, GG, customer, { periods: 0, periodLength: 1, discountRate: 0 })).toThrow(ScoringException);
    expect(() => customerLifetimeValue(BG, GG, customer, { periods: 3, periodLength: 1, discountRate: -0.1 })).toThrow(ScoringException);
    expect(() => customerLifetimeValue(BG, GG, customer, { periods: 3, periodLength: 1, discountRate: 0, marginShare: 2 })).toThrow(ScoringException);
    expect((1 + ratePerPeriod(0.1, 12)) ** 12).toBeCloseTo(1.1, 12);
    expect(WEEKS_PER_MONTH * 12).toBeCloseTo(365.25 / 7, 12);
  });
});
