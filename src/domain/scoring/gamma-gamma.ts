/**
 * Gamma-Gamma model of monetary value (Fader & Hardie 2013, "The Gamma-Gamma
 * Model of Monetary Value", brucehardie.com/notes/025; after Colombo & Jiang 1999).
 *
 * A customer's transaction values z are Gamma(p, ν) around their own mean p/ν;
 * ν varies across customers as Gamma(q, γ). Only repeat buyers (x > 0) carry
 * information: x is the number of transactions whose mean value is zbar (in the
 * CDNOW analyses: the repeat transactions, the first purchase excluded). The
 * model assumes spend is independent of the purchase process (check the
 * correlation of x and zbar before relying on it).
 */
import { nelderMead, type NelderMeadOptions } from './optimize.js';
import { invalidInput, ScoringException, ScoringExceptionCode } from './scoring.exception.js';
import { lgamma } from './special-functions.js';

// Alias for the likelihood loop (a proxied global object, as under jest 30, makes `Math.x` slow).
const { log } = Math;

export const GAMMA_GAMMA_MODEL_VERSION = 'gamma-gamma/1';

export interface GammaGammaParams {
  p: number;
  q: number;
  gamma: number;
}

/** Number of transactions (integer) and their mean value. */
export interface SpendSummary {
  x: number;
  zbar: number;
}

/** Throws a ScoringException (invalid input) unless p, q and γ are finite and > 0. */
export function assertGammaGammaParams(params: GammaGammaParams): void {
  for (const [k, v] of Object.entries(params)) if (!(Number.isFinite(v) && v > 0)) throw invalidInput(`Gamma-Gamma parameter ${k} must be > 0 (got ${v})`, { [k]: v });
}

export interface GammaGammaFit {
  params: GammaGammaParams;
  logLikelihood: number;
  /** Repeat buyers used (x > 0 and zbar > 0); the others were skipped. */
  customers: number;
  skipped: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
  modelVersion: string;
}

export interface GammaGammaFitOptions {
  /** Default: p = 1, q = 2, γ = mean zbar (so that the implied mean spend pγ/(q-1) starts at the sample mean). */
  start?: GammaGammaParams;
  optimizer?: NelderMeadOptions;
}

/**
 * Maximum-likelihood estimate of (p, q, γ) over the logarithms of the
 * parameters (Nelder-Mead with restarts). Customers with x = 0 or zbar <= 0 are
 * skipped (counted in `skipped`); at least two repeat buyers with different
 * mean spend are needed (ScoringException NOT_IDENTIFIABLE otherwise: with
 * identical spend the likelihood grows without bound as p → ∞).
 */
export function fitGammaGamma(customers: readonly SpendSummary[], options: GammaGammaFitOptions = {}): GammaGammaFit {
  const used: SpendSummary[] = [];
  for (const c of customers) {
    if (!(Number.isInteger(c.x) && c.x >= 0) || !Number.isFinite(c.zbar) || c.zbar < 0) throw invalidInput(`invalid spend summary (x = ${c.x}, zbar = ${c.zbar})`);
    if (c.x > 0 && c.zbar > 0) used.push(c);
  }
  if (used.length < 2 || used.every((c) => c.zbar === used[0].zbar)) {
    // Which of the three it is: too few repeat buyers with spend, those with none left out, or all spending alike.
    const withoutSpend = customers.filter((c) => c.x > 0 && c.zbar === 0).length;
    const found =
      used.length >= 2
        ? `the ${used.length} repeat buyers with spend above 0 all spend ${used[0].zbar} on average`
        : `${used.length === 0 ? 'no' : 'one'} repeat buyer with spend above 0${withoutSpend ? ` (${withoutSpend} with spend 0 left out: no spend model fits them)` : ''}`;
    throw new ScoringException(ScoringExceptionCode.NotIdentifiable, `Gamma-Gamma needs at least two repeat buyers with different mean spend above 0: ${found}`, { repeatBuyers: used.length, repeatBuyersWithoutSpend: withoutSpend });
  }
  // Per customer only ln zbar and ln(γ + x·zbar) vary; the gamma-function terms depend on x alone.
  const xs = [...new Set(used.map((c) => c.x))];
  const xIndex = new Int32Array(used.map((c) => xs.indexOf(c.x)));
  const counts = xs.map((x) => used.filter((c) => c.x === x).length);
  const sumLnZbarByX = xs.map((x) => used.filter((c) => c.x === x).reduce((s, c) => s + Math.log(c.zbar), 0));
  const xz = Float64Array.from(used.map((c) => c.x * c.zbar));
  const meanSpend = used.reduce((s, c) => s + c.zbar, 0) / used.length;
  const start = options.start ?? { p: 1, q: 2, gamma: meanSpend };
  assertGammaGammaParams(start);
  const toParams = (th: number[]): GammaGammaParams => ({ p: Math.exp(th[0]), q: Math.exp(th[1]), gamma: Math.exp(th[2]) });
  const negLL = (th: number[]) => {
    const { p, q, gamma } = toParams(th);
    if (![p, q, gamma].every((v) => v > 0 && Number.isFinite(v))) return NaN;
    // Σ over customers of ln f(zbar | p, q, γ; x) (gamma-gamma.reference.ts), with the x-only terms summed per distinct x.
    let total = 0;
    const lnGamma = log(gamma);
    const lgq = lgamma(q);
    const pxq = xs.map((x) => p * x + q);
    for (let k = 0; k < xs.length; k++) {
      const px = p * xs[k];
      total += counts[k] * (lgamma(px + q) - lgamma(px) - lgq + q * lnGamma + px * log(xs[k])) + (px - 1) * sumLnZbarByX[k];
    }
    for (let i = 0; i < xz.length; i++) total -= pxq[xIndex[i]] * log(gamma + xz[i]);
    return -total;
  };
  // Per repeat buyer, so the tolerances do not depend on the size of the base.
  const result = nelderMead((th) => negLL(th) / used.length, [start.p, start.q, start.gamma].map(Math.log), { initialStep: 0.5, fTolerance: 1e-9, xTolerance: 1e-7, ...options.optimizer });
  return {
    params: toParams(result.x),
    logLikelihood: -result.fx * used.length,
    customers: used.length,
    skipped: customers.length - used.length,
    iterations: result.iterations,
    evaluations: result.evaluations,
    converged: result.converged,
    modelVersion: GAMMA_GAMMA_MODEL_VERSION,
  };
}

/**
 * E[M | p, q, γ, x, zbar], a customer's expected mean transaction value:
 *   (γ + x·zbar)·p / (p·x + q - 1)
 *   = w · pγ/(q-1) + (1-w) · zbar,  w = (q-1)/(px+q-1)
 * a weighted average of the population mean and the customer's own mean, the
 * weight moving to the customer's own mean as x grows. For x = 0 this is the
 * population mean pγ/(q-1) (zbar is ignored). Needs p·x + q > 1 (for x = 0: q > 1),
 * else the expectation is infinite (RangeError).
 */
export function conditionalExpectedSpend(params: GammaGammaParams, c: SpendSummary): number {
  assertGammaGammaParams(params);
  const { x, zbar } = c;
  if (!(Number.isInteger(x) && x >= 0)) throw invalidInput(`x must be a whole number >= 0 (got ${x})`, { x });
  if (!(Number.isFinite(zbar) && zbar >= 0)) throw invalidInput(`zbar must be finite and >= 0 (got ${zbar})`, { zbar });
  const { p, q, gamma } = params;
  const denominator = p * x + q - 1;
  if (!(denominator > 0)) throw new RangeError(`expected spend is infinite: p·x + q <= 1 (p = ${p}, q = ${q}, x = ${x})`);
  return ((gamma + x * zbar) * p) / denominator;
}
