import { concentration, concentrationByPeriod, concentrationOf, concentrationWindow, defaultConcentrationPolicy, monthPeriods, type PeriodRevenue } from './concentration.js';
import { ScoringException } from './scoring.exception.js';

describe('concentrationOf', () => {
  it('computes the top-20% share, Lorenz points and the exact Gini of a small population', () => {
    // 10 customers: 8 with 5, 2 with 30 → total 100; the top 20% (2 customers) have 60%
    const c = concentrationOf([5, 30, 5, 5, 5, 5, 30, 5, 5, 5]);
    expect(c.customers).toBe(10);
    expect(c.totalRevenue).toBe(100);
    expect(c.topShare).toBeCloseTo(0.6, 12);
    // Gini = 2·Σ i·y_i/(n·Σy) - (n+1)/n with y sorted ascending: Σ i·y_i = 5·36 + 30·19 = 750
    expect(c.gini).toBeCloseTo((2 * 750) / (10 * 100) - 11 / 10, 12);
    expect(c.lorenz).toHaveLength(11);
    expect(c.lorenz![0]).toEqual({ populationShare: 0, revenueShare: 0 });
    expect(c.lorenz![8].revenueShare).toBeCloseTo(0.4, 12);
    expect(c.lorenz![10]).toEqual({ populationShare: 1, revenueShare: 1 });
  });

  it('agrees with 1 - 2·(area under the Lorenz curve)', () => {
    const values = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9];
    const c = concentrationOf(values, { maxLorenzPoints: 1000 });
    const pts = c.lorenz!;
    let area = 0;
    for (let i = 1; i < pts.length; i++) area += ((pts[i].populationShare - pts[i - 1].populationShare) * (pts[i].revenueShare + pts[i - 1].revenueShare)) / 2;
    expect(c.gini).toBeCloseTo(1 - 2 * area, 12);
  });

  it('is 0 for equal revenues and (n-1)/n when one customer has everything', () => {
    const equal = concentrationOf([7, 7, 7, 7, 7]);
    expect(equal.gini).toBe(0);
    expect(equal.topShare).toBe(0.2);
    const one = concentrationOf([0, 0, 0, 0, 100]);
    expect(one.gini).toBeCloseTo(4 / 5, 12);
    expect(one.topShare).toBeCloseTo(1, 12);
  });

  it('handles a single customer and all-zero revenue', () => {
    const single = concentrationOf([42]);
    expect(single).toMatchObject({ customers: 1, gini: 0 });
    // Exactly 0.2, as a front end comparing with the documented 20% reads it (QA 57 F3).
    expect(single.topShare).toBe(0.2);
    expect(concentrationOf([3]).topShare).toBe(0.2);
    expect(concentrationOf([0, 0, 0])).toMatchObject({ customers: 3, totalRevenue: 0, topShare: null, gini: null, lorenz: null });
    expect(concentrationOf([])).toMatchObject({ customers: 0, topShare: null, gini: null, lorenz: null });
  });

  it('samples the Lorenz curve of a large population and interpolates the boundary customer', () => {
    const values = Array.from({ length: 10_001 }, (_, i) => i);
    const c = concentrationOf(values);
    expect(c.lorenz).toHaveLength(101);
    expect(c.lorenz![100]).toEqual({ populationShare: 1, revenueShare: 1 });
    // continuous limit of y = i: L(p) = p², top 20% share = 1 - 0.64
    expect(c.topShare!).toBeCloseTo(0.36, 3);
    expect(c.gini!).toBeCloseTo(1 / 3, 3);
    // 3 customers: the top 20% is 0.6 of the largest one
    expect(concentrationOf([1, 1, 8]).topShare).toBeCloseTo((0.6 * 8) / 10, 12);
  });

  it('counts negative net revenue as 0 and refuses non-finite values', () => {
    const c = concentrationOf([-5, 5, 5]);
    expect(c.negativeClamped).toBe(1);
    expect(c.totalRevenue).toBe(10);
    expect(() => concentrationOf([1, NaN])).toThrow(ScoringException);
    expect(() => concentrationOf([1], { topFraction: 1 })).toThrow(ScoringException);
  });
});

describe('concentration over time', () => {
  it('reports the drift from 80/20 towards 50/50 per period', () => {
    const rows: PeriodRevenue[] = [];
    const add = (period: string, revenues: number[]) => revenues.forEach((revenue, i) => rows.push({ period, customerId: `c${i}`, revenue }));
    add('2024-Q4', [80, 80, 5, 5, 5, 5, 5, 5, 5, 5]); // 160/200 = 80%
    add('2025-Q1', [60, 60, 10, 10, 10, 10, 10, 10, 10, 10]); // 60%
    add('2025-Q2', [25, 25, 25, 25, 25, 25, 25, 25, 25, 25].map((v, i) => (i < 2 ? 50 : v))); // 100/300 = 33%
    const s = concentration(rows);
    expect(s.periods.map((p) => p.period)).toEqual(['2024-Q4', '2025-Q1', '2025-Q2']);
    expect(s.periods.map((p) => Math.round(p.topShare! * 100))).toEqual([80, 60, 33]);
    expect(s.value).toBeCloseTo(1 / 3, 12);
    expect(s.band).toBe('low');
    expect(s.reasons[0]).toMatch(/^2025-Q2: the top 20% of customers brought 33% of revenue \(Gini 0\.\d\d, 10 customers\)$/);
    expect(s.reasons[1]).toMatch(/^2025-Q1: the top 20% of customers brought 60% of revenue/);
    expect(s.reasons[2]).toBe("2024-Q4 (the window's first with revenue): the top 20% of customers brought 80%");
    expect(s.modelVersion).toBe('concentration/5;policy=1');
  });

  it('sums several rows of a customer in a period and bands by the policy', () => {
    const s = concentration([
      { period: '2025-01', customerId: 'a', revenue: 50 },
      { period: '2025-01', customerId: 'a', revenue: 50 },
      { period: '2025-01', customerId: 'b', revenue: 0 },
      { period: '2025-01', customerId: 'c', revenue: 0 },
      { period: '2025-01', customerId: 'd', revenue: 0 },
      { period: '2025-01', customerId: 'e', revenue: 0 },
    ]);
    expect(s.periods[0].customers).toBe(5);
    expect(s.value).toBeCloseTo(1, 12);
    expect(s.band).toBe('high');
  });

  it('gives no band to a period with fewer customers than make one in the top share: one bringing everything is no 20% (QA 48 F8)', () => {
    const s = concentration([
      { period: '2025-01', customerId: 'a', revenue: 100 },
      { period: '2025-01', customerId: 'b', revenue: 0 },
      { period: '2025-01', customerId: 'c', revenue: 0 },
    ]);
    expect(s.periods[0].customers).toBe(3);
    expect(s.value).not.toBeNull();
    expect(s.band).toBeUndefined();
    expect(s.reasons.at(-1)).toBe('no band: 3 customers in 2025-01, fewer than the 5 it takes for the top 20% of customers to be one customer');
    // 100 of 100: the largest brought it all; not "the top 20% brought 100%".
    expect(s.reasons[0]).toBe('2025-01: too few customers (3) for a top-20% share (it takes 5): the largest brought 100% of the revenue');
  });

  it('says a month of one customer, complete or under way, has too few customers for a top share, not that they brought 20% (QA 80 F5)', () => {
    // December so far: one customer (20.00); November: one customer too; October: two, 30.00 and 10.00 (the largest 75%).
    const byPeriod = new Map([
      ['2026-10', [3_000, 1_000]],
      ['2026-11', [5_000]],
      ['2026-12', [2_000]],
    ]);
    const s = concentrationByPeriod(byPeriod, { periods: ['2026-10', '2026-11', '2026-12'], underWayFrom: '2026-12' }, defaultConcentrationPolicy);
    expect(s.value).toBeCloseTo(0.2, 12); // the top share itself keeps its documented, fractional reading
    expect(s.band).toBeUndefined();
    expect(s.reasons).toEqual([
      '2026-12 (to date): too few customers (1) for a top-20% share (it takes 5): the one customer brought all of the revenue',
      '2026-11: too few customers (1) for a top-20% share (it takes 5): the one customer brought all of the revenue',
      '2026-10: too few customers (2) for a top-20% share (it takes 5): the largest brought 75% of the revenue',
      'no band: 1 customer in 2026-11, fewer than the 5 it takes for the top 20% of customers to be one customer',
    ]);
    expect(s.reasons.join(' ')).not.toMatch(/brought 20%/);
    // Only the month under way has revenue: the same caveat, and no band.
    const early = concentrationByPeriod(new Map([['2026-12', [2_000]]]), { periods: ['2026-11', '2026-12'], underWayFrom: '2026-12' }, defaultConcentrationPolicy);
    expect(early.reasons[0]).toBe('2026-12 (to date): too few customers (1) for a top-20% share (it takes 5): the one customer brought all of the revenue');
    expect(early.band).toBeUndefined();
  });

  it('handles no data and a period without revenue', () => {
    expect(concentration([])).toMatchObject({ value: null, periods: [], reasons: ['no revenue data'] });
    const s = concentration([{ period: '2025-01', customerId: 'a', revenue: 0 }]);
    expect(s.value).toBeNull();
    expect(s.band).toBeUndefined();
    expect(s.reasons).toEqual(['no revenue in 2025-01']);
    expect(concentration([], { periods: ['2025-01', '2025-02'] }).reasons).toEqual(['no revenue in 2025-01 to 2025-02']);
  });

  it('reports every period asked for, and heads with the latest one that has revenue', () => {
    const s = concentration(
      [
        ...[60, 10, 10, 10, 10].map((revenue, i) => ({ period: '2025-01', customerId: `c${i}`, revenue })),
        ...[20, 20, 20, 20, 20].map((revenue, i) => ({ period: '2025-03', customerId: `c${i}`, revenue })),
      ],
      { periods: ['2024-12', '2025-01', '2025-02', '2025-03', '2025-04', '2025-05'] },
    );
    const share = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 1000);
    expect(s.periods.map((p) => [p.period, p.customers, p.totalRevenue, share(p.topShare)])).toEqual([
      ['2024-12', 0, 0, null],
      ['2025-01', 5, 100, 0.6],
      ['2025-02', 0, 0, null],
      ['2025-03', 5, 100, 0.2],
      ['2025-04', 0, 0, null],
      ['2025-05', 0, 0, null],
    ]);
    expect(s.value).toBeCloseTo(0.2, 12);
    expect(s.band).toBe('low');
    expect(s.reasons[0]).toBe('no revenue in 2025-04 to 2025-05');
    expect(s.reasons[1]).toMatch(/^2025-03: the top 20% of customers brought 20% of revenue/);
    expect(s.reasons[2]).toMatch(/^2025-01: the top 20% of customers brought 60% of revenue/);
    // February, between the two months with revenue, had none; December, before the first, is not a gap in what is said.
    expect(s.reasons[3]).toBe('no revenue in 2025-02');
    // Last, the band and the thresholds that made it.
    expect(s.reasons[4]).toBe("band low: the latest month's top-20% share of 20% is under 60% (high from 80%, medium from 60%)");
    expect(s.reasons).toHaveLength(5);
  });

  describe('names the months without revenue between months with revenue', () => {
    // Five equal customers in each month with revenue: the top 20% bring 20%, Gini 0.
    const equal = [20, 20, 20, 20, 20];
    const said = (month: string) => `${month}: the top 20% of customers brought 20% of revenue (Gini 0, 5 customers)`;
    const first = (month: string) => `${month} (the window's first with revenue): the top 20% of customers brought 20%`;
    const band = "band low: the latest month's top-20% share of 20% is under 60% (high from 80%, medium from 60%)";
    const score = (periods: string[], withRevenue: string[], underWayFrom?: string) =>
      concentrationByPeriod(new Map(withRevenue.map((m) => [m, equal])), { periods, underWayFrom }, defaultConcentrationPolicy).reasons;

    it('one gap of two months', () => {
      // May to September 2021, June and July without orders.
      const periods = ['2021-05', '2021-06', '2021-07', '2021-08', '2021-09'];
      expect(score(periods, ['2021-05', '2021-08', '2021-09'])).toEqual([said('2021-09'), said('2021-08'), first('2021-05'), 'no revenue in 2021-06 to 2021-07', band]);
    });

    it('a gap of one month', () => {
      expect(score(['2021-05', '2021-06', '2021-07'], ['2021-05', '2021-07'])).toEqual([said('2021-07'), said('2021-05'), 'no revenue in 2021-06', band]);
    });

    it('two gaps, and three', () => {
      // January (before the first month with revenue) is no gap; March alone, and May to July.
      const periods = ['2021-01', '2021-02', '2021-03', '2021-04', '2021-05', '2021-06', '2021-07', '2021-08', '2021-09'];
      expect(score(periods, ['2021-02', '2021-04', '2021-08', '2021-09'])).toEqual([
        said('2021-09'),
        said('2021-08'),
        first('2021-02'),
        'no revenue in 2021-03 and 2021-05 to 2021-07',
        band,
      ]);
      expect(score(periods, ['2021-02', '2021-04', '2021-06', '2021-09'])).toEqual([
        said('2021-09'),
        said('2021-06'),
        first('2021-02'),
        'no revenue in 2021-03, 2021-05 and 2021-07 to 2021-08',
        band,
      ]);
    });

    it('none: revenue in every month from the first, or months without it only before the first or after the headline', () => {
      const periods = ['2021-05', '2021-06', '2021-07', '2021-08'];
      expect(score(periods, periods)).toEqual([said('2021-08'), said('2021-07'), first('2021-05'), band]);
      // Before the first month with revenue: not named (the trend's line says which is the first); after the headline: named once, as before.
      expect(score(periods, ['2021-06', '2021-07'])).toEqual(['no revenue in 2021-08', said('2021-07'), said('2021-06'), band]);
      // The month under way has revenue, the one before it none: said once, as the months after the headline.
      expect(score(periods, ['2021-05', '2021-06', '2021-08'], '2021-08')).toEqual([
        '2021-08 (to date): the top 20% of customers brought 20% of revenue (5 customers)',
        'no revenue in 2021-07',
        said('2021-06'),
        said('2021-05'),
        band,
      ]);
    });
  });

  it('gives the same from the revenues of each period, one per customer, as a database sums them', () => {
    const rows: PeriodRevenue[] = [
      { period: '2025-02', customerId: 'a', revenue: 30 },
      { period: '2025-02', customerId: 'a', revenue: 10 },
      { period: '2025-02', customerId: 'b', revenue: 5 },
      { period: '2025-01', customerId: 'c', revenue: 80 },
      { period: '2025-01', customerId: 'd', revenue: -3 },
    ];
    const byPeriod = new Map([
      ['2025-02', [5, 40]],
      ['2025-01', [80, -3]],
    ]);
    const options = { periods: ['2024-12', '2025-01', '2025-02'] };
    expect(concentrationByPeriod(byPeriod, options, defaultConcentrationPolicy)).toEqual(concentration(rows, options));
    expect(concentrationByPeriod(byPeriod, options, defaultConcentrationPolicy).periods.map((p) => [p.period, p.customers, p.totalRevenue, p.negativeClamped])).toEqual([
      ['2024-12', 0, 0, 0],
      ['2025-01', 2, 80, 1],
      ['2025-02', 2, 45, 0],
    ]);
  });

  it('names the months of a window, oldest first, across a year boundary', () => {
    expect(monthPeriods(new Date('2026-02-28T23:59:59Z'), 4)).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(monthPeriods(new Date('2026-12-01T00:00:00Z'), 1)).toEqual(['2026-12']);
  });

  it('heads with the last complete month, not the month under way, which it reports to date', () => {
    // November: one customer brings everything of five; December so far: three equal buyers.
    const byPeriod = new Map([
      ['2026-11', [100, 0.0001, 0.0001, 0.0001, 0.0001]],
      ['2026-12', [10, 10, 10]],
    ]);
    const score = concentrationByPeriod(byPeriod, { periods: ['2026-11', '2026-12'], underWayFrom: '2026-12' }, defaultConcentrationPolicy);
    expect(score.value).toBeCloseTo(1, 5);
    expect(score.band).toBe('high');
    expect(score.reasons[0]).toBe('2026-12 (to date): too few customers (3) for a top-20% share (it takes 5): the largest brought 33% of the revenue');
    expect(score.reasons[1]).toMatch(/^2026-11: /);
    // Only the month under way has revenue: it is all there is to say.
    const early = concentrationByPeriod(new Map([['2026-12', [10, 10, 10]]]), { periods: ['2026-11', '2026-12'], underWayFrom: '2026-12' }, defaultConcentrationPolicy);
    expect(early.value).toBeCloseTo(0.2, 5);
    expect(early.reasons).toContain('2026-12 (to date): too few customers (3) for a top-20% share (it takes 5): the largest brought 33% of the revenue');
  });

  it('names each month once in its reasons, the month under way too', () => {
    const byPeriod = new Map([
      ['2026-10', [50, 10, 10, 10, 10]],
      ['2026-11', [100, 1, 1, 1, 1]],
      ['2026-12', [10, 10, 10]],
    ]);
    const months = (reasons: string[]) => reasons.map((r) => r.slice(0, 7));
    const three = concentrationByPeriod(byPeriod, { periods: ['2026-10', '2026-11', '2026-12'], underWayFrom: '2026-12' }, defaultConcentrationPolicy);
    expect(months(three.reasons)).toEqual(['2026-12', '2026-11', '2026-10', 'band hi']);
    expect(three.reasons.at(-1)).toBe("band high: the latest month's top-20% share of 96% is at least 80% (high from 80%, medium from 60%)");
  });

  describe('the window and its months under way, by the UTC clock', () => {
    // 31 December 2026, 11:00 UTC: already 1 January 2027 in Auckland (UTC+13), whose date picker sends until 2027-01-01.
    const now = new Date('2026-12-31T11:00:00Z');

    it('counts every month from the UTC month under way on as under way, the next month of a window ending there too', () => {
      expect(concentrationWindow(3, '2027-01-01', now)).toEqual({ periods: ['2026-11', '2026-12', '2027-01'], underWayFrom: '2026-12', endsBefore: '2027-02-01' });
      // The usual cases: no until (this month, under way), a day of this month, a day of an earlier month (complete).
      expect(concentrationWindow(2, null, now)).toEqual({ periods: ['2026-11', '2026-12'], underWayFrom: '2026-12', endsBefore: '2027-01-01' });
      expect(concentrationWindow(2, '2026-12-01', now)).toEqual({ periods: ['2026-11', '2026-12'], underWayFrom: '2026-12', endsBefore: '2027-01-01' });
      expect(concentrationWindow(2, '2026-11-30', now)).toEqual({ periods: ['2026-10', '2026-11'], endsBefore: '2026-12-01' });
      // The first minute of a month: the month before is complete.
      expect(concentrationWindow(2, null, new Date('2027-01-01T00:00:00Z'))).toMatchObject({ periods: ['2026-12', '2027-01'], underWayFrom: '2027-01' });
    });

    it('heads with the last complete month and says December to date, not December as complete, when the window ends in January', () => {
      // November: one customer brings nearly everything of five (high); December so far: five equal buyers (low, but partial).
      const byPeriod = new Map([
        ['2026-11', [100, 0.0001, 0.0001, 0.0001, 0.0001]],
        ['2026-12', [10, 10, 10, 10, 10]],
      ]);
      const { periods, underWayFrom } = concentrationWindow(3, '2027-01-01', now);
      const score = concentrationByPeriod(byPeriod, { periods, underWayFrom }, defaultConcentrationPolicy);
      expect(score.value).toBeCloseTo(1, 5);
      expect(score.band).toBe('high');
      expect(score.reasons[0]).toBe('2026-12 (to date): the top 20% of customers brought 20% of revenue (5 customers)');
      expect(score.reasons[1]).toMatch(/^2026-11: the top 20% of customers brought 100% of revenue/);
      // January, under way and without orders yet, is not said to have none, as this month is not.
      expect(score.reasons.join(' ')).not.toMatch(/2027-01/);
      // Orders dated ahead into January: both months are to date, newest first, and November still heads.
      const ahead = concentrationByPeriod(new Map([...byPeriod, ['2027-01', [7]]]), { periods, underWayFrom }, defaultConcentrationPolicy);
      expect(ahead.value).toBeCloseTo(1, 5);
      expect(ahead.reasons.slice(0, 2)).toEqual([
        '2027-01 (to date): too few customers (1) for a top-20% share (it takes 5): the one customer brought all of the revenue',
        '2026-12 (to date): the top 20% of customers brought 20% of revenue (5 customers)',
      ]);
    });
  });
});
