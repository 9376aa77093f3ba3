import fs from 'node:fs';
import path from 'node:path';
import { conditionalExpectedSpend, fitGammaGamma, type GammaGammaParams, type SpendSummary } from './gamma-gamma.js';
import { gammaGammaLogLikelihood, populationMeanSpend } from './gamma-gamma.reference.js';
import { ScoringException } from './scoring.exception.js';
import { lgamma } from './special-functions.js';

/** cdnow_customers_summary_with_transactions.csv: ID, x, t_x, T, zbar. */
function readCdnowSpend(): SpendSummary[] {
  const file = path.resolve('test', 'fixtures', 'cdnow', 'cdnow_customers_summary_with_transactions.csv');
  const [header, ...lines] = fs.readFileSync(file, 'utf8').trim().split(/\r?\n/);
  expect(header).toBe('ID,x,t_x,T,zbar');
  return lines.map((line) => {
    const [, x, , , zbar] = line.split(',').map(Number);
    return { x, zbar };
  });
}

/** Fader & Hardie (2013), CDNOW sample, repeat buyers. */
const PUBLISHED: GammaGammaParams = { p: 6.25, q: 3.74, gamma: 15.44 };
const within = (actual: number, expected: number, rel: number) => expect(Math.abs(actual - expected) / Math.abs(expected)).toBeLessThanOrEqual(rel);

describe('Gamma-Gamma fit on the CDNOW sample', () => {
  const customers = readCdnowSpend();

  it('reproduces p = 6.25, q = 3.74, γ = 15.44 within 0.5% from the 946 repeat buyers', () => {
    const started = performance.now();
    const fit = fitGammaGamma(customers);
    const ms = performance.now() - started;
    expect(fit.customers).toBe(946);
    expect(fit.skipped).toBe(2357 - 946);
    expect(fit.converged).toBe(true);
    within(fit.params.p, PUBLISHED.p, 0.005);
    within(fit.params.q, PUBLISHED.q, 0.005);
    within(fit.params.gamma, PUBLISHED.gamma, 0.005);
    expect(fit.params.p).toBeCloseTo(6.25, 2);
    expect(fit.params.q).toBeCloseTo(3.74, 2);
    expect(fit.params.gamma).toBeCloseTo(15.44, 1);
    expect(ms).toBeLessThan(2000);
  });

  it('reports the log-likelihood of its estimate, which beats nearby points', () => {
    const fit = fitGammaGamma(customers);
    const repeat = customers.filter((c) => c.x > 0);
    const at = (p: GammaGammaParams) => repeat.reduce((s, c) => s + gammaGammaLogLikelihood(p, c), 0);
    expect(fit.logLikelihood).toBeCloseTo(at(fit.params), 7);
    for (const key of ['p', 'q', 'gamma'] as const) for (const f of [0.99, 1.01]) expect(at({ ...fit.params, [key]: fit.params[key] * f })).toBeLessThan(fit.logLikelihood);
  });

  it('implies the population mean spend pγ/(q-1) ≈ 35.2 (the sample mean of zbar is 35.08)', () => {
    const fit = fitGammaGamma(customers);
    expect(populationMeanSpend(fit.params)).toBeCloseTo((fit.params.p * fit.params.gamma) / (fit.params.q - 1), 12);
    within(populationMeanSpend(fit.params), 35.22, 0.005);
  });
});

describe('Gamma-Gamma density', () => {
  it('matches the formula by hand', () => {
    const { p, q, gamma } = PUBLISHED;
    const [x, z] = [2, 22.35];
    const hand = lgamma(p * x + q) - lgamma(p * x) - lgamma(q) + q * Math.log(gamma) + p * x * Math.log(x) + (p * x - 1) * Math.log(z) - (p * x + q) * Math.log(gamma + x * z);
    expect(gammaGammaLogLikelihood(PUBLISHED, { x, zbar: z })).toBeCloseTo(hand, 12);
  });

  it('integrates to 1 over zbar', () => {
    // midpoint rule on a fine grid, x = 3 (the density is negligible beyond 1,000)
    let total = 0;
    const h = 0.05;
    for (let z = h / 2; z < 1000; z += h) total += Math.exp(gammaGammaLogLikelihood(PUBLISHED, { x: 3, zbar: z })) * h;
    expect(total).toBeCloseTo(1, 3);
  });

  it('needs a repeat buyer with positive spend', () => {
    expect(() => gammaGammaLogLikelihood(PUBLISHED, { x: 0, zbar: 10 })).toThrow(ScoringException);
    expect(() => gammaGammaLogLikelihood(PUBLISHED, { x: 1, zbar: 0 })).toThrow(ScoringException);
  });
});

describe('Gamma-Gamma fit edge cases', () => {
  it('refuses data without two different repeat spends (all zero spend, one customer, no repeat buyer)', () => {
    // Each says which it is: the repeat buyers of spend 0 left out, one only, all alike.
    expect(() => fitGammaGamma([{ x: 0, zbar: 0 }, { x: 2, zbar: 0 }, { x: 1, zbar: 0 }])).toThrow(
      'Gamma-Gamma needs at least two repeat buyers with different mean spend above 0: no repeat buyer with spend above 0 (2 with spend 0 left out: no spend model fits them)',
    );
    expect(() => fitGammaGamma([{ x: 3, zbar: 20 }])).toThrow('Gamma-Gamma needs at least two repeat buyers with different mean spend above 0: one repeat buyer with spend above 0');
    expect(() => fitGammaGamma([{ x: 3, zbar: 20 }, { x: 1, zbar: 20 }])).toThrow('Gamma-Gamma needs at least two repeat buyers with different mean spend above 0: the 2 repeat buyers with spend above 0 all spend 20 on average');
    expect(() => fitGammaGamma([{ x: 0, zbar: 0 }])).toThrow(ScoringException);
  });

  it('refuses malformed input', () => {
    expect(() => fitGammaGamma([{ x: -1, zbar: 2 }])).toThrow(/invalid spend summary/);
    expect(() => fitGammaGamma([{ x: 1, zbar: NaN }])).toThrow(ScoringException);
  });
});

describe('conditional expected spend', () => {
  it('is (γ + x·zbar)·p/(px + q - 1), a weighted average of own and population mean', () => {
    const { p, q, gamma } = PUBLISHED;
    const c = { x: 2, zbar: 22.35 };
    const value = conditionalExpectedSpend(PUBLISHED, c);
    expect(value).toBeCloseTo(((gamma + 2 * 22.35) * p) / (p * 2 + q - 1), 12);
    expect(value).toBeCloseTo(24.66, 2);
    const w = (q - 1) / (p * 2 + q - 1);
    expect(value).toBeCloseTo(w * populationMeanSpend(PUBLISHED) + (1 - w) * 22.35, 12);
  });

  it('is the population mean for x = 0 and moves to the own mean as x grows', () => {
    expect(conditionalExpectedSpend(PUBLISHED, { x: 0, zbar: 0 })).toBeCloseTo(populationMeanSpend(PUBLISHED), 12);
    expect(conditionalExpectedSpend(PUBLISHED, { x: 0, zbar: 999 })).toBeCloseTo(populationMeanSpend(PUBLISHED), 12);
    const gap = (x: number) => Math.abs(conditionalExpectedSpend(PUBLISHED, { x, zbar: 100 }) - 100);
    expect(gap(1)).toBeGreaterThan(gap(5));
    expect(gap(5)).toBeGreaterThan(gap(50));
    expect(gap(10_000)).toBeLessThan(0.01);
  });

  it('is infinite (refused) when q <= 1 and x = 0', () => {
    expect(() => conditionalExpectedSpend({ p: 2, q: 0.8, gamma: 10 }, { x: 0, zbar: 0 })).toThrow(RangeError);
    expect(populationMeanSpend({ p: 2, q: 0.8, gamma: 10 })).toBe(Infinity);
    expect(conditionalExpectedSpend({ p: 2, q: 0.8, gamma: 10 }, { x: 1, zbar: 10 })).toBeCloseTo(((10 + 10) * 2) / (2 + 0.8 - 1), 12);
  });

});
