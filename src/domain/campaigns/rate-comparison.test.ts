import { compareRates } from './rate-comparison.js';

describe('compareRates', () => {
  it("gives Newcombe's published interval and the z-test's p-value (56/70 against 48/80)", () => {
    // Newcombe (1998), Statistics in Medicine 17:873-890, table II, method 10: 0.0524 to 0.3339.
    const c = compareRates({ count: 56, of: 70 }, { count: 48, of: 80 });
    expect(c.treatedRate).toBeCloseTo(0.8, 12);
    expect(c.holdoutRate).toBeCloseTo(0.6, 12);
    expect(c.difference).toBeCloseTo(0.2, 12);
    expect(c.low).toBeCloseTo(0.0524, 4);
    expect(c.high).toBeCloseTo(0.3339, 4);
    // z = 0.2 / sqrt(104/150 * 46/150 * (1/70 + 1/80)) = 2.6501; two-sided p = 0.00805 (by hand).
    expect(c.pValue).toBeCloseTo(0.00805, 4);
  });

  it('keeps the interval around 0 and the p-value high when the groups do alike', () => {
    const c = compareRates({ count: 30, of: 100 }, { count: 3, of: 10 });
    expect(c.difference).toBeCloseTo(0, 12);
    expect(c.low!).toBeLessThan(0);
    expect(c.high!).toBeGreaterThan(0);
    expect(c.pValue).toBeCloseTo(1, 6);
  });

  it('handles rates of 0 and 1 (Newcombe: 0/10 against 0/20 spans -0.1611 to 0.2775)', () => {
    const none = compareRates({ count: 0, of: 10 }, { count: 0, of: 20 });
    expect(none).toMatchObject({ treatedRate: 0, holdoutRate: 0, difference: 0, pValue: 1 });
    expect(none.low).toBeCloseTo(-0.1611, 4);
    expect(none.high).toBeCloseTo(0.2775, 4);
    const all = compareRates({ count: 10, of: 10 }, { count: 0, of: 10 });
    expect(all.difference).toBe(1);
    expect(all.high!).toBeLessThanOrEqual(1);
    expect(all.pValue!).toBeLessThan(1e-4);
  });

  it('says nothing about the difference when a group is empty, and refuses counts that cannot be', () => {
    expect(compareRates({ count: 3, of: 4 }, { count: 0, of: 0 })).toEqual({ treatedRate: 0.75, holdoutRate: null, difference: null, low: null, high: null, pValue: null });
    expect(() => compareRates({ count: 5, of: 4 }, { count: 0, of: 1 })).toThrow(RangeError);
    expect(() => compareRates({ count: -1, of: 4 }, { count: 0, of: 1 })).toThrow(RangeError);
    expect(() => compareRates({ count: 1.5, of: 4 }, { count: 0, of: 1 })).toThrow(RangeError);
  });
});
