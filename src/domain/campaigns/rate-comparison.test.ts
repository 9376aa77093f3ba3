import { compareRates, comparisonWarning } from './rate-comparison.js';

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
    expect(c.smallSample).toBe(false);
  });

  it('keeps the interval around 0 and the p-value high when the groups do alike', () => {
    const c = compareRates({ count: 30, of: 100 }, { count: 15, of: 50 });
    expect(c.difference).toBeCloseTo(0, 12);
    expect(c.low!).toBeLessThan(0);
    expect(c.high!).toBeGreaterThan(0);
    expect(c.pValue).toBeCloseTo(1, 6);
  });

  it('handles rates of 0 and 1 (Newcombe: 0/10 against 0/20 spans -0.1611 to 0.2775)', () => {
    // Nothing happened in either group: the interval still says how large a difference could hide; the z-test has nothing to go on.
    const none = compareRates({ count: 0, of: 10 }, { count: 0, of: 20 });
    expect(none).toMatchObject({ treatedRate: 0, holdoutRate: 0, difference: 0, pValue: null, smallSample: true });
    expect(none.low).toBeCloseTo(-0.1611, 4);
    expect(none.high).toBeCloseTo(0.2775, 4);
    // 5 expected either way in each group: just enough.
    const all = compareRates({ count: 10, of: 10 }, { count: 0, of: 10 });
    expect(all.difference).toBe(1);
    expect(all.high!).toBeLessThanOrEqual(1);
    expect(all.smallSample).toBe(false);
    expect(all.pValue!).toBeLessThan(1e-4);
  });

  it('gives no p-value when an expected count is below 5: a holdout of 3 with one order is no evidence (QA 14, F12)', () => {
    const tiny = compareRates({ count: 2, of: 52 }, { count: 1, of: 3 });
    expect(tiny).toMatchObject({ pValue: null, smallSample: true });
    expect(tiny.difference).toBeCloseTo(2 / 52 - 1 / 3, 12);
    // The interval stays (sound for small groups), and wide.
    expect(tiny.low!).toBeLessThan(-0.7);
    // Large groups with a rare event: 3 expected in the holdout is too few, though it has 100 members.
    expect(compareRates({ count: 20, of: 600 }, { count: 1, of: 100 })).toMatchObject({ pValue: null, smallSample: true });
    expect(compareRates({ count: 20, of: 600 }, { count: 5, of: 200 }).smallSample).toBe(false);
  });

  it('says nothing about the difference when a group is empty, and refuses counts that cannot be', () => {
    expect(compareRates({ count: 3, of: 4 }, { count: 0, of: 0 })).toEqual({ treatedRate: 0.75, holdoutRate: null, difference: null, low: null, high: null, pValue: null, smallSample: true });
    expect(() => compareRates({ count: 5, of: 4 }, { count: 0, of: 1 })).toThrow(RangeError);
    expect(() => compareRates({ count: -1, of: 4 }, { count: 0, of: 1 })).toThrow(RangeError);
    expect(() => compareRates({ count: 1.5, of: 4 }, { count: 0, of: 1 })).toThrow(RangeError);
  });
});

describe('comparisonWarning', () => {
  const groups = (treated: number, holdout: number, holdoutInRun = 0, holdoutPercent = 10) => comparisonWarning({ holdoutPercent, treated, holdout, holdoutInRun });

  it('says nothing without a holdout asked for', () => {
    expect(groups(3, 0, 0, 0)).toBeNull();
    expect(groups(0, 0, 0, 0)).toBeNull();
  });

  it('warns a holdout asked for over nobody to enrol: nothing will be compared (a repeating campaign\'s later passes may add some)', () => {
    expect(groups(0, 0)).toBe('groups-too-small');
  });

  it('warns when the draw held nobody back', () => {
    expect(groups(3, 0)).toBe('no-holdout');
  });

  it('warns when a group is below the 10 members a rate of one half needs for a p-value', () => {
    expect(groups(22, 9, 0, 50)).toBe('groups-too-small');
    expect(groups(9, 40, 0, 50)).toBe('groups-too-small');
    expect(groups(90, 10)).toBeNull();
  });

  it('warns when half the holdout or more is in a run of the playbook already', () => {
    expect(groups(90, 10, 5)).toBe('holdout-in-playbook');
    expect(groups(90, 10, 4)).toBeNull();
  });

  it('says the holdout is in the playbook already before its groups are too small: a larger holdout does not help then', () => {
    expect(groups(26, 2, 2)).toBe('holdout-in-playbook');
    expect(groups(22, 9, 5, 50)).toBe('holdout-in-playbook');
    expect(groups(22, 9, 4, 50)).toBe('groups-too-small');
  });
});
