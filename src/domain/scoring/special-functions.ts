/**
 * Special functions for the scoring models, in plain double precision.
 *
 * - `lgamma`: log|Γ(x)| by the Lanczos approximation (g = 7, 9 coefficients;
 *   relative error around 1e-15 for x >= 0.5), with the reflection formula for
 *   x < 0.5. Poles (0, -1, -2, ...) give +Infinity.
 * - `lbeta`: log B(a, b) for a, b > 0.
 * - `logSumExp`: log(e^u + e^v) without overflow.
 * - `sumSeries`: sums a power-like series from its first term and term ratio,
 *   with a convergence check (the tail is bounded by a geometric series once the
 *   ratio is below 1), used by `hyp2f1` and by the BG/NBD conditional expectation.
 * - `hyp2f1`: the Gauss hypergeometric function 2F1(a, b; c; z) by its power
 *   series, for real parameters and real z.
 */

// Module-level aliases: under test runners that give modules a proxied global
// object (jest 30), every `Math.x` in a hot loop is a proxy lookup, 20-50x slower.
const { abs, ceil, exp, floor, log, log1p, max, min, sin, PI } = Math;
const INF = Number.POSITIVE_INFINITY;
const isFiniteNumber = Number.isFinite;

const LANCZOS_G = 7;
const LANCZOS_COEFFICIENTS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_TWO_PI = 0.9189385332046727; // ln(2π)/2

/** log|Γ(x)|; +Infinity at the poles x = 0, -1, -2, ...; NaN for NaN. */
export function lgamma(x: number): number {
  if (x >= 0.5) {
    if (x === INF) return INF;
    const y = x - 1;
    let sum = LANCZOS_COEFFICIENTS[0];
    for (let i = 1; i < LANCZOS_COEFFICIENTS.length; i++) sum += LANCZOS_COEFFICIENTS[i] / (y + i);
    const t = y + LANCZOS_G + 0.5;
    return HALF_LOG_TWO_PI + (y + 0.5) * log(t) - t + log(sum);
  }
  if (x !== x) return x; // NaN
  if (x <= 0 && floor(x) === x) return INF;
  // Reflection: Γ(x) Γ(1-x) = π / sin(πx).
  return log(PI / abs(sin(PI * x))) - lgamma(1 - x);
}

/** Γ(x) for moderate x (overflows to Infinity beyond x ≈ 171.6). */
export function gamma(x: number): number {
  if (x <= 0 && Number.isInteger(x)) return NaN;
  // Γ is negative on (-1, 0), (-3, -2), ...: where floor(x) is odd.
  const sign = x > 0 || floor(x) % 2 === 0 ? 1 : -1;
  return sign * exp(lgamma(x));
}

/** log B(a, b) = lnΓ(a) + lnΓ(b) - lnΓ(a+b), for a, b > 0. */
export function lbeta(a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`lbeta needs a, b > 0 (got ${a}, ${b})`);
  return lgamma(a) + lgamma(b) - lgamma(a + b);
}

/** log(e^u + e^v), exact for infinite arguments. */
export function logSumExp(u: number, v: number): number {
  if (u === -INF) return v;
  if (v === -INF) return u;
  const m = max(u, v);
  return m + log1p(exp(min(u, v) - m));
}

export interface SeriesOptions {
  /** Relative tolerance of the truncation error against the sum (default 1e-14). */
  tolerance?: number;
  /** Give up (RangeError) after this many terms (default 1,000,000). */
  maxTerms?: number;
}

export interface SeriesShape {
  /**
   * Index from which |ratio(n)| is monotone towards its limit (for
   * hypergeometric ratios: beyond the largest parameter); before it no stopping.
   */
  warmUp?: number;
  /** lim |ratio(n)| as n grows (for hypergeometric series: |z|). */
  ratioLimit?: number;
}

/**
 * Σ_{n>=0} t_n with t_0 = `first` and t_{n+1} = t_n · ratio(n). Stops when the
 * series terminates (a zero term), or when, past `warmUp` terms and with
 * ρ = max(|ratio(n)|, ratioLimit) < 1, the geometric bound |t_{n+1}|·ρ/(1-ρ) on
 * the rest of the series is below tolerance·|sum|. Throws a RangeError when it
 * does not converge within `maxTerms` or overflows.
 */
export function sumSeries(first: number, ratio: (n: number) => number, shape: SeriesShape = {}, options: SeriesOptions = {}): number {
  const tolerance = options.tolerance ?? 1e-14;
  const maxTerms = options.maxTerms ?? 1_000_000;
  const warmUp = shape.warmUp ?? 0;
  const limit = shape.ratioLimit ?? 0;
  let term = first;
  let sum = first;
  for (let n = 0; n < maxTerms; n++) {
    if (term === 0) return sum;
    const r = ratio(n);
    term *= r;
    sum += term;
    if (!isFiniteNumber(sum)) throw new RangeError('series overflowed');
    const rho = max(abs(r), limit);
    if (n >= warmUp && rho < 1 && (abs(term) * rho) / (1 - rho) <= tolerance * abs(sum)) return sum;
  }
  throw new RangeError(`series did not converge in ${maxTerms} terms`);
}

/**
 * Gauss hypergeometric function 2F1(a, b; c; z) = Σ (a)_n (b)_n / ((c)_n n!) z^n
 * for real a, b, c, z.
 *
 * Domain (what this implementation computes, RangeError otherwise):
 * - c must not be 0 or a negative integer (the terms have a pole), unless the
 *   series terminates first because a or b is a larger non-positive integer;
 * - |z| < 1: the series converges absolutely; it needs about
 *   log(tolerance)/log|z| terms beyond the largest parameter, so z close to 1
 *   is slow (z = 0.999 takes tens of thousands of terms);
 * - z = 1 with c - a - b > 0: Gauss's theorem Γ(c)Γ(c-a-b)/(Γ(c-a)Γ(c-b)),
 *   here for c, c-a, c-b > 0;
 * - a or b a non-positive integer: a polynomial, any z.
 * |z| > 1 (and z = -1) would need analytic continuation, which the scoring models
 * never require (they call it with z = t/(α+T+t) in [0, 1)).
 */
export function hyp2f1(a: number, b: number, c: number, z: number, options: SeriesOptions = {}): number {
  if ([a, b, c, z].some((v) => !isFiniteNumber(v))) throw new RangeError('hyp2f1 needs finite arguments');
  const terminatesAt = (p: number) => (p <= 0 && Number.isInteger(p) ? -p : Infinity);
  const stop = min(terminatesAt(a), terminatesAt(b));
  if (c <= 0 && Number.isInteger(c) && -c < stop) throw new RangeError(`hyp2f1: c = ${c} is a pole`);
  if (z === 0) return 1;
  if (stop === INF) {
    if (z === 1) {
      if (c - a - b > 0 && c > 0 && c - a > 0 && c - b > 0) return exp(lgamma(c) + lgamma(c - a - b) - lgamma(c - a) - lgamma(c - b));
      throw new RangeError('hyp2f1: z = 1 needs c > a + b (and c, c-a, c-b > 0 here)');
    }
    if (abs(z) >= 1) throw new RangeError(`hyp2f1: |z| = ${abs(z)} >= 1 is outside the series' domain`);
  }
  const warmUp = ceil(max(abs(a), abs(b), abs(c))) + 1;
  return sumSeries(1, (n) => ((a + n) * (b + n) * z) / ((c + n) * (n + 1)), { warmUp, ratioLimit: abs(z) }, options);
}
