import { RFM_SEGMENT_TABLE, rankedRfm, rfmSegment, type RfmInput, type Quintile } from './rfm.js';
import { scoreRfm } from './rfm.reference.js';
import { ScoringException } from './scoring.exception.js';

const customer = (id: string, recencyDays: number | null, frequency: number, monetary: number): RfmInput => ({ customerId: id, recencyDays, frequency, monetary });

describe('RFM quintiles', () => {
  it('puts 10 distinct customers two per quintile, more recent = higher R', () => {
    const pop = Array.from({ length: 10 }, (_, i) => customer(`c${i}`, 100 - i * 10, i + 1, (i + 1) * 1000));
    const scores = scoreRfm(pop);
    expect(scores.map((s) => s.r)).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    expect(scores.map((s) => s.f)).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    expect(scores.map((s) => s.m)).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    expect(scores[9].value).toBe(555);
    expect(scores[9].band).toBe('Champions');
    expect(scores[0].band).toBe('Lost');
  });

  it('gives equal values equal scores, whatever the input order (ties at their lower bound)', () => {
    // 6 customers with 1 purchase, 2 with 2, 2 with 5
    const freqs = [1, 5, 1, 2, 1, 1, 5, 2, 1, 1];
    const pop = freqs.map((f, i) => customer(`c${i}`, 10, f, 100));
    const byId = (list: RfmInput[]) => new Map(scoreRfm(list).map((s) => [s.customerId, s.f]));
    const a = byId(pop);
    const b = byId([...pop].reverse());
    expect(a).toEqual(b);
    // F=1 group: 0 customers below → 1; F=2: 5·6/9 = 3.3 → 4; F=5: 5·8/9 = 4.4 → 5
    expect(pop.map((c) => a.get(c.customerId))).toEqual([1, 5, 1, 4, 1, 1, 5, 4, 1, 1]);
    // everyone has the same recency and spend → middle scores
    expect(scoreRfm(pop).every((s) => s.r === 3 && s.m === 3)).toBe(true);
  });

  it('scores one customer alone 3/3/3 and says why', () => {
    const [s] = scoreRfm([customer('solo', 5, 2, 5000)]);
    expect([s.r, s.f, s.m, s.fm]).toEqual([3, 3, 3, 3]);
    expect(s.band).toBe('Need attention');
    expect(s.reasons).toContain('only customer with purchases: middle scores');
  });

  it('does not rank customers without a purchase', () => {
    const scores = scoreRfm([customer('never', null, 0, 0), customer('a', 1, 3, 100), customer('b', 50, 1, 10)]);
    expect(scores[0]).toMatchObject({ customerId: 'never', value: null, r: null, reasons: ['no purchase yet: not ranked'] });
    expect(scores[0].band).toBeUndefined();
    expect(scores[1].r).toBe(5); // 2 buyers: percent ranks 1 and 0
    expect(scores[2].r).toBe(1);
  });

  it('explains the scores in plain language', () => {
    const pop = [customer('a', 3, 12, 123456), customer('b', 40, 2, 5000), customer('c', 200, 1, 1000), customer('d', 90, 4, 20000), customer('e', 10, 6, 40000)];
    const a = scoreRfm(pop)[0];
    expect(a.reasons).toEqual([
      'last purchase 3 days ago (more recent than 80% of customers): R 5',
      'bought on 12 days (more than 80% of customers): F 5',
      'spent 1,234.56 (more than 80% of customers): M 5',
      'segment Champions (R 5, FM 5)',
    ]);
    expect(a.modelVersion).toBe('rfm-quintile/2');
  });

  it('says only true shares at the ends of a large base: 243 of 244 beaten is 99%, 1 of 244 is one customer, none is none', () => {
    const top = rankedRfm(customer('top', 30, 69, 1_966_011), { r: { below: 0, equal: 1 }, f: { below: 243, equal: 1 }, m: { below: 1, equal: 1 } }, 244);
    expect(top.reasons.slice(0, 3)).toEqual([
      'last purchase 30 days ago (not more recent than any other customer): R 1',
      'bought on 69 days (more than 99% of customers): F 5',
      'spent 19,660.11 (more than 1 of 244 customers): M 1',
    ]);
    // A share is floored, never rounded up past what is true (2 of 3 is 66%).
    expect(rankedRfm(customer('x', 1, 2, 100), { r: { below: 2, equal: 1 }, f: { below: 2, equal: 1 }, m: { below: 2, equal: 1 } }, 3).reasons[1]).toBe('bought on 2 days (more than 66% of customers): F 5');
  });

  it('scores the lowest value 1 however many share it: a recent one-time buyer is New, a fairly recent one Promising', () => {
    // 6 of 10 bought on one day only (usual in retail). By their middle they ranked at 0.3 (F 2), and FM was never 1.
    const recency = [1, 25, 10, 20, 30, 40, 50, 60, 70, 80];
    const frequency = [1, 1, 1, 1, 1, 1, 2, 3, 4, 5];
    const pop = recency.map((days, i) => customer(`c${i}`, days, frequency[i], (i + 1) * 100));
    const [a, b] = scoreRfm(pop);
    // a: most recent (9 below: R 5), one purchase day (F 1), least spend (M 1): FM 1 → New.
    expect([a.r, a.f, a.m, a.fm, a.band]).toEqual([5, 1, 1, 1, 'New']);
    // b: 25 days, 6 of 9 others longer ago: 5·6/9 = 3.3 → R 4; spend above 1 customer: 5·1/9 = 0.6 → M 1 → Promising.
    expect([b.r, b.f, b.m, b.fm, b.band]).toEqual([4, 1, 1, 1, 'Promising']);
  });

  it('leaves the scores above a large tie empty, not the ones below it (CDNOW, 1998-06-30: 1,218 of 2,357 on one purchase day)', () => {
    const f = (below: number, equal: number) => rankedRfm(customer('x', 10, 1, 100), { r: { below: 0, equal: 1 }, f: { below, equal }, m: { below: 0, equal: 1 } }, 2357).f;
    expect(f(0, 1218)).toBe(1);
    // The next value: 5·1218/2356 = 2.58 → F 3 (F 2 holds nobody).
    expect(f(1218, 500)).toBe(3);
    // A single top value is 5; everyone equal is the middle.
    expect(f(2356, 1)).toBe(5);
    expect(f(0, 2357)).toBe(3);
  });

  it('refuses invalid input', () => {
    expect(() => scoreRfm([customer('x', -1, 1, 1)])).toThrow(ScoringException);
    expect(() => scoreRfm([customer('x', 1, NaN, 1)])).toThrow(ScoringException);
    expect(() => scoreRfm([customer('x', 1, 1, Infinity)])).toThrow(ScoringException);
  });

  it('handles an empty population', () => {
    expect(scoreRfm([])).toEqual([]);
  });
});

describe('RFM segments', () => {
  it('covers every (R, FM) cell with one of the eleven usual names', () => {
    const names = new Set<string>();
    for (const r of [1, 2, 3, 4, 5] as Quintile[]) for (const fm of [1, 2, 3, 4, 5] as Quintile[]) names.add(rfmSegment(r, fm));
    expect([...names].sort()).toEqual(
      ['About to sleep', 'At risk', 'Can\'t lose them', 'Champions', 'Hibernating', 'Lost', 'Loyal', 'Need attention', 'New', 'Potential loyalist', 'Promising'].sort(),
    );
  });

  it('maps the corners and key cells as documented', () => {
    expect(rfmSegment(5, 5)).toBe('Champions');
    expect(rfmSegment(5, 1)).toBe('New');
    expect(rfmSegment(4, 1)).toBe('Promising');
    expect(rfmSegment(1, 5)).toBe("Can't lose them");
    expect(rfmSegment(1, 1)).toBe('Lost');
    expect(rfmSegment(2, 1)).toBe('Hibernating');
    expect(rfmSegment(2, 3)).toBe('At risk');
    expect(rfmSegment(3, 3)).toBe('Need attention');
    expect(rfmSegment(3, 4)).toBe('Loyal');
    expect(RFM_SEGMENT_TABLE[3][0]).toBe('About to sleep');
    expect(() => rfmSegment(0 as Quintile, 1)).toThrow(ScoringException);
  });

  it('uses FM = round half up of (F + M) / 2', () => {
    // F 5, M 2 → FM 4 (3.5 rounds up); R 5 → Champions. F 4, M 1 → FM 3 (2.5 up) → Potential loyalist.
    const pop = Array.from({ length: 5 }, (_, i) => customer(`c${i}`, 10 - i, i + 1, [5, 4, 3, 2, 1][i]));
    const s = scoreRfm(pop);
    expect([s[4].f, s[4].m, s[4].fm, s[4].band]).toEqual([5, 1, 3, 'Potential loyalist']);
    expect([s[3].f, s[3].m, s[3].fm]).toEqual([4, 2, 3]);
    expect([s[0].r, s[0].f, s[0].m, s[0].fm, s[0].band]).toEqual([1, 1, 5, 3, 'At risk']);
  });
});
