import { behaviourChange, behaviourChangeFromRhythm, defaultBehaviourChangePolicy, purchaseRhythm } from './behaviour-change.js';
import { ScoringException } from './scoring.exception.js';

describe('behaviour change', () => {
  it('compares days since the last purchase with the usual gap: "last purchase 140 days ago; usually buys every 30 days (±8)"', () => {
    // gaps 20, 30, 40, 30 days → mean 30, sample sd √((100 + 0 + 100 + 0) / 3) = 8.16
    const dates = ['2025-01-01', '2025-01-21', '2025-02-20', '2025-04-01', '2025-05-01'];
    const s = behaviourChange(dates, '2025-09-18'); // 140 days after 2025-05-01
    expect(s.daysSinceLastPurchase).toBe(140);
    expect(s.meanGapDays).toBe(30);
    expect(s.gapSpreadDays).toBeCloseTo(Math.sqrt(200 / 3), 12);
    expect(s.value).toBeCloseTo((140 - 30) / Math.sqrt(200 / 3), 12);
    expect(s.band).toBe('overdue');
    expect(s.reasons[0]).toBe('last purchase 140 days ago; usually buys every 30 days (±8)');
    expect(s.reasons[1]).toBe('4.7× the usual gap, 13.5 spreads later than usual');
    expect(s.modelVersion).toBe('behaviour-change/1;policy=1');
  });

  it('is in rhythm before the usual gap has passed, and the score grows with silence', () => {
    const dates = ['2025-01-01', '2025-01-21', '2025-02-20', '2025-04-01', '2025-05-01'];
    const early = behaviourChange(dates, '2025-05-20');
    expect(early.band).toBe('in-rhythm');
    expect(early.value!).toBeLessThan(0);
    let previous = -Infinity;
    for (const asOf of ['2025-05-20', '2025-06-05', '2025-06-20', '2025-08-01']) {
      const v = behaviourChange(dates, asOf).value!;
      expect(v).toBeGreaterThan(previous);
      previous = v;
    }
    expect(behaviourChange(dates, '2025-06-09').band).toBe('later-than-usual'); // 39 days: (39-30)/8.16 = 1.1
  });

  it('writes a short time into the usual gap in days, not as a ratio rounded to 0 (QA 73 F5)', () => {
    // 4 days since the last purchase, usually every 91.5 days: it read "within the usual rhythm (0× the usual gap)".
    const s = behaviourChangeFromRhythm({ purchaseDays: 3, daysSinceLastPurchase: 4, meanGapDays: 91.5, gapSdDays: 10 });
    expect(s.band).toBe('in-rhythm');
    expect(s.reasons[1]).toBe('within the usual rhythm: 4 days into a usual gap of 92 days');
    expect(behaviourChangeFromRhythm({ purchaseDays: 3, daysSinceLastPurchase: 1, meanGapDays: 30, gapSdDays: 8 }).reasons[1]).toBe('within the usual rhythm: 1 day into a usual gap of 30 days');
    // Past the usual gap but within its spread: the ratio, at least 1.
    expect(behaviourChangeFromRhythm({ purchaseDays: 5, daysSinceLastPurchase: 36, meanGapDays: 30, gapSdDays: 8 }).reasons[1]).toBe('within the usual rhythm: 1.2× the usual gap');
  });

  it('needs at least two gaps: "not enough history"', () => {
    const none = behaviourChange([], '2025-01-01');
    expect(none).toMatchObject({ value: null, band: 'not-enough-history', daysSinceLastPurchase: null, gaps: 0 });
    expect(none.reasons[0]).toMatch(/^not enough history: no purchase yet/);
    const two = behaviourChange(['2025-01-01', '2025-02-01'], '2025-03-01');
    expect(two).toMatchObject({ value: null, band: 'not-enough-history', daysSinceLastPurchase: 28, gaps: 1 });
    expect(two.reasons).toEqual(['not enough history: 2 purchase days so far; a usual rhythm needs at least 3 purchase days (2 gaps)', 'last purchase 28 days ago']);
  });

  it('counts several purchases on one day once and ignores purchases after asOf', () => {
    const s = behaviourChange(['2025-01-01', '2025-01-01', '2025-01-11', '2025-01-21', '2025-01-21', '2025-12-01'], '2025-01-31');
    expect(s.gaps).toBe(2);
    expect(s.meanGapDays).toBe(10);
    expect(s.daysSinceLastPurchase).toBe(10);
  });

  it('floors the spread for perfectly regular buyers (no infinite score) and says so', () => {
    const s = behaviourChange(['2025-01-01', '2025-01-31', '2025-03-02', '2025-04-01'], '2025-05-11'); // gaps 30, 30, 30; 40 days since
    expect(s.gapSpreadDays).toBe(0);
    expect(s.value).toBeCloseTo((40 - 30) / 7.5, 12); // floor: 25% of 30 days
    expect(s.reasons).toContain('spread taken as 7.5 days (the minimum for very regular buyers)');
  });

  it('handles a purchase today (0 days since) and works from SQL-style aggregates', () => {
    const s = behaviourChange(['2025-01-01', '2025-01-11', '2025-01-21'], '2025-01-21');
    expect(s.daysSinceLastPurchase).toBe(0);
    expect(s.band).toBe('in-rhythm');
    const rhythm = purchaseRhythm(['2025-01-01', '2025-01-11', '2025-01-21'], '2025-01-21');
    expect(rhythm).toEqual({ purchaseDays: 3, daysSinceLastPurchase: 0, meanGapDays: 10, gapSdDays: 0 });
    expect(behaviourChangeFromRhythm(rhythm)).toEqual(s);
    expect(() => behaviourChangeFromRhythm({ purchaseDays: 3, daysSinceLastPurchase: 5, meanGapDays: 0, gapSdDays: 0 })).toThrow(ScoringException);
    expect(() => behaviourChange([], '2025-01-01', { ...defaultBehaviourChangePolicy, minGaps: 1 })).toThrow(ScoringException);
  });
});
