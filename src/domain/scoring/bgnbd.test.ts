import fs from 'node:fs';
import path from 'node:path';
import {
  churnRisk,
  conditionalExpectedTransactions,
  expectedTransactions,
  expectedWhileAliveByIntegral,
  expectedWhileAliveByMoments,
  fitBgNbd,
  probabilityAlive,
  type BgNbdParams,
  type PurchaseSummary,
} from './bgnbd.js';
import { bgnbdLogLikelihood, bgnbdTotalLogLikelihood, expectedWhileAliveByQuadrature, expectedWhileAliveBySeries } from './bgnbd.reference.js';
import { ScoringException } from './scoring.exception.js';
import { lbeta, lgamma } from './special-functions.js';

/** cdnow_customers_summary.csv: ID, frequency (x), recency (t_x, weeks), T (weeks). */
function readCdnowSummary(): PurchaseSummary[] {
  const file = path.resolve('test', 'fixtures', 'cdnow', 'cdnow_customers_summary.csv');
  const [header, ...lines] = fs.readFileSync(file, 'utf8').trim().split(/\r?\n/);
  expect(header).toBe('ID,frequency,recency,T');
  return lines.map((line) => {
    const [, x, tx, T] = line.split(',').map(Number);
    return { x, tx, T };
  });
}

/** Fader, Hardie & Lee (2005), CDNOW 1/10 sample. */
const PUBLISHED: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const PUBLISHED_LL = -9582.4;

const within = (actual: number, expected: number, rel: number) => expect(Math.abs(actual - expected) / Math.abs(expected)).toBeLessThanOrEqual(rel);

describe('BG/NBD fit on the CDNOW sample', () => {
  const customers = readCdnowSummary();

  it('reproduces the published estimates and log-likelihood within 0.5%, fast', () => {
    expect(customers).toHaveLength(2357);
    const started = performance.now();
    const fit = fitBgNbd(customers);
    const ms = performance.now() - started;
    expect(fit.converged).toBe(true);
    within(fit.params.r, PUBLISHED.r, 0.005);
    within(fit.params.alpha, PUBLISHED.alpha, 0.005);
    within(fit.params.a, PUBLISHED.a, 0.005);
    within(fit.params.b, PUBLISHED.b, 0.005);
    within(fit.logLikelihood, PUBLISHED_LL, 0.005);
    // and to the printed precision
    expect(fit.params.r).toBeCloseTo(0.243, 3);
    expect(fit.params.alpha).toBeCloseTo(4.414, 3);
    expect(fit.params.a).toBeCloseTo(0.793, 3);
    expect(fit.params.b).toBeCloseTo(2.426, 3);
    expect(fit.logLikelihood).toBeCloseTo(-9582.4, 1);
    expect(fit.customers).toBe(2357);
    expect(fit.modelVersion).toBe('bgnbd/1');
    expect(ms).toBeLessThan(2000);
  });

  it('finds the maximum: the fitted likelihood beats the published (rounded) point and nearby points', () => {
    const fit = fitBgNbd(customers);
    const at = (p: BgNbdParams) => bgnbdTotalLogLikelihood(p, customers);
    expect(fit.logLikelihood).toBeCloseTo(at(fit.params), 8);
    expect(fit.logLikelihood).toBeGreaterThanOrEqual(at(PUBLISHED));
    for (const key of ['r', 'alpha', 'a', 'b'] as const) {
      for (const f of [0.99, 1.01]) expect(at({ ...fit.params, [key]: fit.params[key] * f })).toBeLessThan(fit.logLikelihood);
    }
  });

  it('gets there from a poor starting point too', () => {
    const fit = fitBgNbd(customers, { start: { r: 5, alpha: 0.5, a: 5, b: 0.2 } });
    within(fit.params.r, PUBLISHED.r, 0.005);
    within(fit.params.b, PUBLISHED.b, 0.005);
  });

  it('gives the conditional expectation of Hardie’s spreadsheet: 1.226 for (x=2, tx=30.43, T=38.86) over 39 weeks', () => {
    const fit = fitBgNbd(customers);
    expect(conditionalExpectedTransactions(fit.params, { x: 2, tx: 30.43, T: 38.86 }, 39)).toBeCloseTo(1.226, 3);
  });
});

describe('BG/NBD likelihood', () => {
  it('equals the paper’s formula computed literally with beta and gamma functions', () => {
    const { r, alpha, a, b } = PUBLISHED;
    const [x, tx, T] = [4, 30.7, 38.9];
    const g = lgamma(r + x) - lgamma(r) + r * Math.log(alpha);
    const alive = Math.exp(lbeta(a, b + x) - lbeta(a, b) + g - (r + x) * Math.log(alpha + T));
    const dead = Math.exp(lbeta(a + 1, b + x - 1) - lbeta(a, b) + g - (r + x) * Math.log(alpha + tx));
    expect(bgnbdLogLikelihood(PUBLISHED, { x, tx, T })).toBeCloseTo(Math.log(alive + dead), 12);
  });

  it('is exactly r·ln(α/(α+T)) without repeat purchases, and 0 for a purchase made today', () => {
    expect(bgnbdLogLikelihood(PUBLISHED, { x: 0, tx: 0, T: 38.86 })).toBe(PUBLISHED.r * (Math.log(4.414) - Math.log(4.414 + 38.86)));
    expect(bgnbdLogLikelihood(PUBLISHED, { x: 0, tx: 0, T: 0 })).toBe(0);
  });

  it('sums over customers, also when they are grouped', () => {
    const cs = [
      { x: 1, tx: 2, T: 5 },
      { x: 3, tx: 2, T: 6 },
      { x: 1, tx: 2, T: 5 },
      { x: 0, tx: 0, T: 7 },
    ];
    const separately = cs.reduce((s, c) => s + bgnbdLogLikelihood(PUBLISHED, c), 0);
    expect(bgnbdTotalLogLikelihood(PUBLISHED, cs)).toBeCloseTo(separately, 12);
  });

  it('stays finite for heavy buyers, where the natural-space formula overflows', () => {
    const { r, alpha, a, b } = PUBLISHED;
    const [x, tx, T] = [500, 38, 39];
    expect(Math.exp(lgamma(r + x))).toBe(Infinity);
    const g = lgamma(r + x) - lgamma(r) + r * Math.log(alpha);
    const alive = lbeta(a, b + x) - lbeta(a, b) + g - (r + x) * Math.log(alpha + T);
    const dead = lbeta(a + 1, b + x - 1) - lbeta(a, b) + g - (r + x) * Math.log(alpha + tx);
    const ll = bgnbdLogLikelihood(PUBLISHED, { x, tx, T });
    expect(Number.isFinite(ll)).toBe(true);
    expect(ll).toBeCloseTo(Math.max(alive, dead) + Math.log1p(Math.exp(Math.min(alive, dead) - Math.max(alive, dead))), 8);
  });

  it('refuses inconsistent histories and parameters', () => {
    expect(() => bgnbdLogLikelihood(PUBLISHED, { x: 1.5, tx: 1, T: 2 })).toThrow(ScoringException);
    expect(() => bgnbdLogLikelihood(PUBLISHED, { x: 1, tx: 3, T: 2 })).toThrow(/tx must lie/);
    expect(() => bgnbdLogLikelihood(PUBLISHED, { x: 0, tx: 1, T: 2 })).toThrow(/tx must be 0/);
    expect(() => bgnbdLogLikelihood({ ...PUBLISHED, a: 0 }, { x: 1, tx: 1, T: 2 })).toThrow(/parameter a/);
  });
});

describe('BG/NBD fit edge cases', () => {
  it('refuses data without any repeat purchase (no maximum exists) and an empty population', () => {
    expect(() => fitBgNbd([{ x: 0, tx: 0, T: 10 }, { x: 0, tx: 0, T: 0 }])).toThrow(/no customer has a repeat transaction/);
    expect(() => fitBgNbd([])).toThrow(ScoringException);
  });

  it('fits a single repeat buyer to something finite and is deterministic', () => {
    const one = [{ x: 2, tx: 5, T: 10 }];
    const fit = fitBgNbd(one);
    expect(Number.isFinite(fit.logLikelihood)).toBe(true);
    expect(fit.logLikelihood).toBeGreaterThanOrEqual(bgnbdTotalLogLikelihood({ r: 1, alpha: 5, a: 1, b: 1 }, one));
    expect(fitBgNbd(one)).toEqual(fit);
  });

  it('recovers the parameters of simulated data', () => {
    // Deterministic simulation (linear congruential generator) from known parameters.
    const truth: BgNbdParams = { r: 0.8, alpha: 6, a: 0.6, b: 3 };
    let seed = 12345;
    const u = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
    const gammaDraw = (shape: number): number => {
      // Marsaglia-Tsang, with the shape < 1 boost
      if (shape < 1) return gammaDraw(shape + 1) * Math.pow(u(), 1 / shape);
      const d = shape - 1 / 3;
      const c = 1 / Math.sqrt(9 * d);
      for (;;) {
        const z = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
        const v = (1 + c * z) ** 3;
        if (v > 0 && Math.log(u()) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
      }
    };
    const customers: PurchaseSummary[] = [];
    for (let i = 0; i < 4000; i++) {
      const lambda = gammaDraw(truth.r) / truth.alpha;
      const ga = gammaDraw(truth.a);
      const p = ga / (ga + gammaDraw(truth.b));
      const T = 20 + (i % 20);
      let t = 0;
      let x = 0;
      let tx = 0;
      for (;;) {
        t += -Math.log(u()) / lambda;
        if (t > T) break;
        x++;
        tx = t;
        if (u() < p) break;
      }
      customers.push({ x, tx, T });
    }
    const fit = fitBgNbd(customers);
    within(fit.params.r, truth.r, 0.2);
    within(fit.params.alpha, truth.alpha, 0.25);
    within(fit.params.a, truth.a, 0.35);
    within(fit.params.b, truth.b, 0.5);
    expect(fit.logLikelihood).toBeGreaterThan(bgnbdTotalLogLikelihood(truth, customers));
  });
});

describe('P(alive)', () => {
  it('is 1 without a repeat purchase (x = 0), also for a purchase made today', () => {
    expect(probabilityAlive(PUBLISHED, { x: 0, tx: 0, T: 38.86 })).toBe(1);
    expect(probabilityAlive(PUBLISHED, { x: 0, tx: 0, T: 0 })).toBe(1);
  });

  it('follows 1/(1 + a/(b+x-1)·((α+T)/(α+tx))^(r+x)) by hand', () => {
    const { r, alpha, a, b } = PUBLISHED;
    const hand = 1 / (1 + (a / (b + 2 - 1)) * ((alpha + 38.86) / (alpha + 30.43)) ** (r + 2));
    expect(probabilityAlive(PUBLISHED, { x: 2, tx: 30.43, T: 38.86 })).toBeCloseTo(hand, 14);
    // A purchase just now: tx = T, P(alive) = 1/(1 + a/(b+x-1)).
    expect(probabilityAlive(PUBLISHED, { x: 3, tx: 20, T: 20 })).toBeCloseTo(1 / (1 + a / (b + 2)), 14);
  });

  it('falls with time since the last purchase and shows the frequency paradox', () => {
    const p = (x: number, tx: number) => probabilityAlive(PUBLISHED, { x, tx, T: 39 });
    expect(p(3, 35)).toBeGreaterThan(p(3, 20));
    expect(p(3, 20)).toBeGreaterThan(p(3, 5));
    // a frequent buyer who has been silent for long is more likely gone than an infrequent one
    expect(p(10, 10)).toBeLessThan(p(1, 10));
    for (const x of [1, 5, 50]) expect(p(x, 15)).toBeGreaterThan(0);
  });
});

describe('conditional expected transactions', () => {
  // Reference values: the paper's eq. (10) evaluated with mpmath at 50 significant digits.
  it.each([
    [PUBLISHED, 2, 30.43, 38.86, 39, 1.2260281747671445],
    [PUBLISHED, 0, 0, 38.86, 39, 0.19509805201126264],
    [PUBLISHED, 0, 0, 0, 39, 1.1967231933208169],
    [PUBLISHED, 1, 1.71, 38.86, 52, 0.25982346486862243],
    [PUBLISHED, 7, 35, 38.86, 10, 1.3183586858571915],
    [PUBLISHED, 50, 38, 39, 1000, 220.22492939131898],
    [PUBLISHED, 3, 5, 38, 520, 0.56348037283370066],
    [{ r: 0.5, alpha: 10, a: 1.5, b: 0.6 }, 0, 0, 20, 30, 0.33653548490023704],
    [{ r: 2, alpha: 3, a: 0.3, b: 0.2 }, 0, 0, 5, 100, 5.5684530040907591],
    // a = 1: the formula's 0/0, taken as the limit (mpmath at a = 1 + 1e-30)
    [{ r: 0.5, alpha: 10, a: 1, b: 0.6 }, 2, 5, 20, 30, 0.38531718932919137],
    [{ r: 0.5, alpha: 10, a: 1, b: 0.6 }, 0, 0, 20, 30, 0.35379783606769416],
  ])('%j x=%p tx=%p T=%p t=%p → %p', (params, x, tx, T, t, expected) => {
    const actual = conditionalExpectedTransactions(params as BgNbdParams, { x: x as number, tx: tx as number, T: T as number }, t as number);
    expect(Math.abs(actual - (expected as number)) / (expected as number)).toBeLessThan(1e-12);
  });

  it('is continuous through a = 1', () => {
    const at = (a: number) => conditionalExpectedTransactions({ r: 0.5, alpha: 10, a, b: 0.6 }, { x: 2, tx: 5, T: 20 }, 30);
    expect(at(1 - 1e-9)).toBeCloseTo(at(1), 8);
    expect(at(1 + 1e-9)).toBeCloseTo(at(1), 8);
  });

  it('equals the unconditional E[X(t)] (paper eq. 9, via hyp2f1) for a customer whose only purchase is today', () => {
    for (const t of [1, 13, 39, 104]) {
      expect(conditionalExpectedTransactions(PUBLISHED, { x: 0, tx: 0, T: 0 }, t)).toBeCloseTo(expectedTransactions(PUBLISHED, t), 10);
    }
  });

  it('gives E[X(t)] where the textbook formula has a 0/0 (a = 1, a + b = 1)', () => {
    for (const p of [{ r: 0.5, alpha: 10, a: 1, b: 0.6 }, { r: 0.5, alpha: 10, a: 0.4, b: 0.6 }]) {
      const e = expectedTransactions(p, 30);
      expect(Number.isFinite(e)).toBe(true);
      expect(e).toBeCloseTo(expectedTransactions({ ...p, a: p.a + 1e-7 }, 30), 5);
    }
  });

  it('is 0 for t = 0, grows with t, and starts at rate (r+x)/(α+T) · P(alive)', () => {
    const c = { x: 2, tx: 30.43, T: 38.86 };
    expect(conditionalExpectedTransactions(PUBLISHED, c, 0)).toBe(0);
    let previous = 0;
    for (const t of [1, 5, 10, 39, 100, 500]) {
      const e = conditionalExpectedTransactions(PUBLISHED, c, t);
      expect(e).toBeGreaterThan(previous);
      previous = e;
    }
    const h = 1e-6;
    const slope = conditionalExpectedTransactions(PUBLISHED, c, h) / h;
    const { r, alpha } = PUBLISHED;
    expect(slope).toBeCloseTo(((r + 2) / (alpha + 38.86)) * probabilityAlive(PUBLISHED, c), 5);
  });

  it('is monotone in x for a customer who bought just now (tx = T)', () => {
    let previous = -1;
    for (let x = 0; x <= 40; x++) {
      const e = conditionalExpectedTransactions(PUBLISHED, { x, tx: x === 0 ? 0 : 39, T: 39 }, 39);
      expect(e).toBeGreaterThan(previous);
      previous = e;
    }
  });

  it('is lower the longer the customer has been silent', () => {
    const e = (tx: number) => conditionalExpectedTransactions(PUBLISHED, { x: 4, tx, T: 39 }, 26);
    expect(e(39)).toBeGreaterThan(e(30));
    expect(e(30)).toBeGreaterThan(e(10));
  });

  it('handles very long horizons (z close to 1) and refuses negative t', () => {
    const e = conditionalExpectedTransactions(PUBLISHED, { x: 1, tx: 10, T: 39 }, 50_000);
    expect(Number.isFinite(e)).toBe(true);
    expect(e).toBeGreaterThan(conditionalExpectedTransactions(PUBLISHED, { x: 1, tx: 10, T: 39 }, 5_000));
    expect(() => conditionalExpectedTransactions(PUBLISHED, { x: 1, tx: 10, T: 39 }, -1)).toThrow(ScoringException);
  });
});

describe('churn risk score', () => {
  it('explains the risk of a repeat buyer who has gone quiet', () => {
    const s = churnRisk(PUBLISHED, { x: 5, tx: 10, T: 39 }, { version: 2, horizon: 13, unit: 'week', highRiskAtLeast: 0.5, mediumRiskAtLeast: 0.25 });
    expect(s.value).toBeCloseTo(1 - probabilityAlive(PUBLISHED, { x: 5, tx: 10, T: 39 }), 14);
    expect(s.band).toBe('high');
    expect(s.reasons[0]).toBe('5 repeat purchases in the 39 weeks since the first purchase; the last one 29 weeks ago');
    expect(s.reasons[1]).toMatch(/^probability still active: \d+%$/);
    expect(s.reasons[2]).toMatch(/^expected purchases in the next 13 weeks: /);
    expect(s.modelVersion).toBe('bgnbd/1;policy=2');
    expect(churnRisk(PUBLISHED, { x: 5, tx: 10, T: 39 }).modelVersion).toBe('bgnbd/1;policy=3');
  });

  it("rates a customer without a repeat purchase by what the silence since has cost: none today, high after 18 months (where P(alive) stays 1)", () => {
    const firstTime = conditionalExpectedTransactions(PUBLISHED, { x: 0, tx: 0, T: 0 }, 13);
    const silent = churnRisk(PUBLISHED, { x: 0, tx: 0, T: 78 });
    expect(silent.probabilityAlive).toBe(1);
    expect(silent.value).toBeCloseTo(1 - conditionalExpectedTransactions(PUBLISHED, { x: 0, tx: 0, T: 78 }, 13) / firstTime, 12);
    expect(silent.band).toBe('high');
    expect(silent.reasons[0]).toBe('no repeat purchase in the 78 weeks since the first purchase');
    expect(silent.reasons[1]).toMatch(/^expected purchases \d+% below those of a customer who bought for the first time today \(\d+\.\d\d in the next 13 weeks\)$/);
    expect(silent.reasons[2]).toBe("band high: without a repeat purchase medium from 50% below, high from 80% (not a probability of having stopped, as a repeat buyer's 25% and 50% are)");
    expect(silent.modelVersion).toBe('bgnbd/1;policy=3');
    // At least as risky as a repeat buyer seen 8 weeks ago; none for a purchase today; rising with the silence.
    expect(silent.value).toBeGreaterThanOrEqual(churnRisk(PUBLISHED, { x: 1, tx: 70, T: 78 }).value);
    expect(churnRisk(PUBLISHED, { x: 0, tx: 0, T: 0 })).toMatchObject({ value: 0, band: 'low' });
    const risks = [2, 10, 20, 40].map((T) => churnRisk(PUBLISHED, { x: 0, tx: 0, T }).value);
    expect([...risks].sort((p, q) => p - q)).toEqual(risks);
  });

  it('bands a customer without a repeat purchase by thresholds of its own, 0.5 and 0.8, not the probability bands 0.25 and 0.5', () => {
    // By hand (mpmath), 1 - E[Y(13) | 0, 0, T] / E[Y(13) | 0, 0, 0] with the published CDNOW estimates:
    // T = 4 weeks 0.41326, 6 weeks 0.51230, 20 weeks 0.77490, 26 weeks 0.81691.
    const at = (T: number) => churnRisk(PUBLISHED, { x: 0, tx: 0, T });
    expect([4, 6, 20, 26].map((T) => at(T).value)).toEqual([0.413259, 0.512299, 0.774897, 0.816908].map((v) => expect.closeTo(v, 5)));
    // On the repeat buyers' thresholds these were medium, high, high, high: a first-time buyer high six weeks on.
    expect([4, 6, 20, 26].map((T) => at(T).band)).toEqual(['low', 'medium', 'medium', 'high']);
    expect(at(6).reasons[2]).toMatch(/^band medium: without a repeat purchase medium from 50% below, high from 80%/);
    // Said in weeks of silence for this fit: between 4 and 6 weeks (0.41, 0.51), and between 20 and 26 (0.77, 0.82).
    expect(at(6).reasons[3]).toBe("on this base's fit, without a repeat purchase a customer turns medium after 5.7 weeks of silence and high after 23 weeks (its time scale α: 4.4)");
    // A base whose customers buy alike (large r) and every five weeks on average has a longer time scale: the same
    // thresholds take months there, which the reasons say rather than leave "low" to read as recently active.
    const alike = churnRisk({ r: 7.16, alpha: 38.2, a: 1e6, b: 1e7 }, { x: 0, tx: 0, T: 26.6 });
    expect(alike.band).toBe('low');
    expect(alike.reasons[3]).toBe("on this base's fit, without a repeat purchase a customer turns medium after 43 weeks of silence and high after 173 weeks (its time scale α: 38.2)");
    expect(churnRisk({ r: 7.16, alpha: 38.2, a: 1e6, b: 1e7 }, { x: 0, tx: 0, T: 43.5 }).band).toBe('medium');
    // A repeat buyer stays on 1 - P(alive) and 0.25 / 0.5.
    const repeat = churnRisk(PUBLISHED, { x: 5, tx: 20, T: 28 });
    expect(repeat.value).toBeCloseTo(1 - probabilityAlive(PUBLISHED, { x: 5, tx: 20, T: 28 }), 14);
    expect(repeat.band).toBe(repeat.value >= 0.5 ? 'high' : repeat.value >= 0.25 ? 'medium' : 'low');
    // A policy without thresholds of its own (before version 3) bands both alike, and its reasons do not speak of them.
    const v2 = { version: 2, horizon: 13, unit: 'week', highRiskAtLeast: 0.5, mediumRiskAtLeast: 0.25 };
    expect(churnRisk(PUBLISHED, { x: 0, tx: 0, T: 6 }, v2)).toMatchObject({ band: 'high', modelVersion: 'bgnbd/1;policy=2' });
    expect(churnRisk(PUBLISHED, { x: 0, tx: 0, T: 6 }, v2).reasons).toHaveLength(3);
  });

  it('bands by the policy thresholds', () => {
    const c = { x: 2, tx: 30.43, T: 38.86 };
    const risk = 1 - probabilityAlive(PUBLISHED, c);
    const policy = { version: 1, horizon: 4, unit: 'week', highRiskAtLeast: risk + 0.01, mediumRiskAtLeast: risk };
    expect(churnRisk(PUBLISHED, c, policy).band).toBe('medium');
    expect(churnRisk(PUBLISHED, c, { ...policy, mediumRiskAtLeast: risk + 0.005 }).band).toBe('low');
  });
});

describe('conditional expectation when drop-out is rare (large a and b)', () => {
  const history = { x: 6, tx: 40, T: 52 };

  it('integrates over the drop-out probability to the same value as the series', () => {
    for (const params of [
      { r: 2, alpha: 30, a: 60, b: 600 },
      { r: 7.1, alpha: 122.9, a: 13632, b: 2667117 },
    ]) {
      for (const t of [1, 13, 52]) {
        const series = expectedWhileAliveBySeries(params, history, t);
        const quadrature = expectedWhileAliveByQuadrature(params, history, t);
        expect(Math.abs(quadrature - series) / series).toBeLessThan(1e-8);
      }
    }
  });

  it('stays finite where the plain series overflowed, and approaches the no-drop-out limit', () => {
    const params = { r: 7.1, alpha: 122.9, a: 13632, b: 2667117 };
    const e = conditionalExpectedTransactions(params, history, 13);
    // Nearly nobody drops out: close to the Gamma-Poisson expectation (r+x)/(α+T)·t, a little below it.
    const noDropOut = ((params.r + history.x) / (params.alpha + history.T)) * 13;
    expect(e).toBeLessThan(noDropOut);
    expect(e).toBeGreaterThan(0.95 * noDropOut);
    expect(churnRisk(params, history).expectedTransactions).toBeCloseTo(e, 12);
  });
});

describe('conditional expectation when a ran off towards 0 and b is large (drop-out all but ruled out)', () => {
  // A fit on 17 buyers, converged with a = 9e-6, b = 103,835: the series cancelled and the integral could not resolve the
  // Beta density's spike at 0, so 16 of the 17 went without churn risk and CLV ("got NaN"). mpmath's eq. (10), as below.
  const params = { r: 3.8867, alpha: 21.0682, a: 9.0145e-6, b: 103835.26 };
  const cases: [number, number, number, number, number][] = [
    [5, 30, 40, 13, 1.8917718213457262],
    [0, 0, 40, 13, 0.82738806772949636],
    [5, 30, 40, 4.35, 0.63301595564262443],
  ];

  it.each(cases)('x=%p tx=%p T=%p t=%p → %p', (x, tx, T, t, expected) => {
    within(conditionalExpectedTransactions(params, { x, tx, T }, t), expected, 1e-9);
  });

  it('sums the moments to the integral and the series where those hold, and says NaN where the expansion does not', () => {
    const history = { x: 2, tx: 10, T: 20 };
    for (const t of [4.35, 13, 52]) {
      const p = { r: 2, alpha: 10, a: 0.5, b: 5000 };
      within(expectedWhileAliveByMoments(p, history, t), expectedWhileAliveByIntegral(p, history, t), 1e-10);
    }
    // With a = 1e-4 the integral gives up at 13 weeks (NaN): the moments carry it, to mpmath's figure.
    expect(expectedWhileAliveByIntegral({ r: 2, alpha: 10, a: 1e-4, b: 5000 }, history, 13)).toBeNaN();
    within(conditionalExpectedTransactions({ r: 2, alpha: 10, a: 1e-4, b: 5000 }, history, 52), 6.9333320312409574, 1e-9);
    // CDNOW's a and b leave weight on drop-out probabilities beyond 1/s: the expansion is no sum there.
    expect(expectedWhileAliveByMoments(PUBLISHED, { x: 0, tx: 0, T: 0 }, 520)).toBeNaN();
  });
});

describe('conditional expectation when r is large against a + b (the series cancels)', () => {
  // Reference values: the paper's eq. (10),
  //   E = (a+b+x-1)/(a-1) · [1 - ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x-1; t/(α+T+t))]
  //       / (1 + [x > 0] · a/(b+x-1) · ((α+T)/(α+tx))^(r+x)),
  // evaluated with Python mpmath 1.3.0 (mp.dps = 60, mpmath.hyp2f1; a = 1 taken as a = 1 + 1e-30), printed to 17 digits.
  // Before the fix the first four gave -165.3, 184,097,766.8, -30,092.6 and -1.0e29.
  const cases: [BgNbdParams, number, number, number, number, number][] = [
    [{ r: 150, alpha: 75, a: 1.5, b: 2 }, 0, 0, 0, 52, 4.3497752339648214],
    [{ r: 300, alpha: 150, a: 0.8, b: 2.4 }, 0, 0, 0, 52, 13.761413373099902],
    [{ r: 300, alpha: 150, a: 1.5, b: 2 }, 0, 0, 52, 52, 4.2476361507366963],
    [{ r: 200, alpha: 100, a: 1.5, b: 2 }, 0, 0, 30, 520, 4.7647100913510915],
    [{ r: 80, alpha: 40, a: 1.5, b: 2 }, 0, 0, 0, 52, 4.3483705095151996],
    [{ r: 300, alpha: 150, a: 0.8, b: 2.4 }, 3, 20, 39, 52, 1.2868871251408088e-12],
    [{ r: 150, alpha: 75, a: 0.3, b: 0.2 }, 0, 0, 0, 520, 71.994567997667254],
    [{ r: 300, alpha: 150, a: 5, b: 0.5 }, 10, 38, 39, 13, 0.95299059172479617],
    [{ r: 200, alpha: 100, a: 1, b: 1.3 }, 2, 5, 20, 104, 6.0670266414680491e-11],
  ];

  it.each(cases)('%j x=%p tx=%p T=%p t=%p → %p', (params, x, tx, T, t, expected) => {
    within(conditionalExpectedTransactions(params, { x, tx, T }, t), expected, 1e-9);
  });

  it('gives the review’s example (r = 150, α = 75, a = 1.5, b = 2, a purchase today, 52 weeks) to 1e-9', () => {
    within(conditionalExpectedTransactions({ r: 150, alpha: 75, a: 1.5, b: 2 }, { x: 0, tx: 0, T: 0 }, 52), 4.349775233964821, 1e-9);
  });

  it('is finite, >= 0 and non-decreasing in t across large r, rates and histories', () => {
    for (const r of [20, 80, 150, 300, 1000]) {
      for (const rate of [0.05, 0.5, 2, 7]) {
        for (const [a, b] of [[0.8, 2.4], [1.5, 2], [0.3, 0.2], [5, 0.5], [0.1, 5], [1, 1.3]]) {
          for (const c of [{ x: 0, tx: 0, T: 0 }, { x: 0, tx: 0, T: 30 }, { x: 3, tx: 20, T: 39 }, { x: 40, tx: 38, T: 39 }]) {
            let previous = 0;
            for (const t of [1, 4.35, 13, 52, 104, 520]) {
              const e = conditionalExpectedTransactions({ r, alpha: r / rate, a, b }, c, t);
              expect(Number.isFinite(e)).toBe(true);
              expect(e).toBeGreaterThanOrEqual(previous * (1 - 1e-12));
              previous = e;
            }
          }
        }
      }
    }
  });

  it('throws a ScoringException, not a number, where nothing finite can be computed', () => {
    // A purchase rate of 1e600 per week overflows every form.
    expect(() => conditionalExpectedTransactions({ r: 1e300, alpha: 1e-300, a: 0.5, b: 2 }, { x: 0, tx: 0, T: 0 }, 52)).toThrow(ScoringException);
  });
});

describe('conditional expectation where the series is well-conditioned (CDNOW parameters): unchanged', () => {
  // mpmath hyp2f1 at 60 digits on eq. (10), as above.
  const cases: [number, number, number, number, number][] = [
    [0, 0, 0, 4.35, 0.2114078777060146],
    [0, 0, 0, 13, 0.53443954109403079],
    [0, 0, 0, 52, 1.4460505953964037],
    [0, 0, 0, 104, 2.2028051144016666],
    [0, 0, 20, 4.35, 0.042177874458217345],
    [0, 0, 20, 13, 0.120303732186827],
    [0, 0, 20, 52, 0.41097381942698307],
    [0, 0, 20, 104, 0.7111156501973065],
    [1, 1.71, 38.86, 4.35, 0.025960286571309703],
    [1, 1.71, 38.86, 13, 0.074676165003370616],
    [1, 1.71, 38.86, 52, 0.25982346486862243],
    [1, 1.71, 38.86, 104, 0.45277434246839914],
    [4, 30.7, 38.9, 4.35, 0.30553829167243428],
    [4, 30.7, 38.9, 13, 0.86744102869118989],
    [4, 30.7, 38.9, 52, 2.8928241152374257],
    [4, 30.7, 38.9, 104, 4.867083681302574],
    [12, 35, 39, 4.35, 0.99458575815443621],
    [12, 35, 39, 13, 2.7980003014924049],
    [12, 35, 39, 52, 9.0830149448106076],
    [12, 35, 39, 104, 14.983732992230304],
    [30, 38.5, 39, 4.35, 2.8219741581408132],
    [30, 38.5, 39, 13, 7.9044219390939052],
    [30, 38.5, 39, 52, 25.354154543698439],
    [30, 38.5, 39, 104, 41.489250748257976],
  ];

  it.each(cases)('x=%p tx=%p T=%p t=%p → %p', (x, tx, T, t, expected) => {
    const c = { x, tx, T };
    const e = conditionalExpectedTransactions(PUBLISHED, c, t);
    within(e, expected, 1e-9);
    // Still the series' number, bit for bit (D as in the code), and the integral agrees with it.
    const { r, alpha, a, b } = PUBLISHED;
    const D = x === 0 ? 1 : 1 + Math.exp(Math.log(a) - Math.log(b + x - 1) + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx)));
    expect(e).toBe(expectedWhileAliveBySeries(PUBLISHED, c, t) / D);
    within(expectedWhileAliveByIntegral(PUBLISHED, c, t), expectedWhileAliveBySeries(PUBLISHED, c, t), 1e-12);
  });
});
