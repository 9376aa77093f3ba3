/**
 * BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005, "Counting Your
 * Customers the Easy Way: An Alternative to the Pareto/NBD Model", Marketing
 * Science 24(2)).
 *
 * A customer's history is summarised as (x, tx, T) in one time unit (weeks in
 * the CDNOW examples, see summarize-transactions.ts):
 * - x: number of repeat transactions (transactions after the first one),
 * - tx: time of the last transaction, measured from the first one (0 when x = 0),
 * - T: time from the first transaction to the end of the observation period.
 * While active, a customer buys at Poisson rate λ ~ Gamma(r, α); after each
 * transaction they become inactive with probability p ~ Beta(a, b).
 *
 * Everything here is plain arithmetic on these numbers: no I/O, deterministic.
 */
import type { ScoreResult } from './score.js';
import { fmt, pct } from './format.js';
import { nelderMead, type NelderMeadOptions } from './optimize.js';
import { invalidInput, ScoringException, ScoringExceptionCode } from './scoring.exception.js';
import { hyp2f1, lbeta, lgamma, logSumExp, sumSeries } from './special-functions.js';

// Aliases for the likelihood loop (a proxied global object, as under jest 30, makes `Math.x` slow).
const { log } = Math;

export const BGNBD_MODEL_VERSION = 'bgnbd/1';

export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

/** A customer's purchase history in the model's time unit. */
export interface PurchaseSummary {
  /** Repeat transactions (integer >= 0). */
  x: number;
  /** Time of the last transaction since the first (0 <= tx <= T; 0 when x = 0). */
  tx: number;
  /** Time since the first transaction at the end of the observation period (>= 0). */
  T: number;
}

/** Throws a ScoringException (invalid input) unless (x, tx, T) is a consistent history. */
export function assertPurchaseSummary(c: PurchaseSummary): void {
  const { x, tx, T } = c;
  if (!(Number.isInteger(x) && x >= 0)) throw invalidInput(`x must be a whole number >= 0 (got ${x})`, { x });
  if (!(Number.isFinite(T) && T >= 0)) throw invalidInput(`T must be finite and >= 0 (got ${T})`, { T });
  if (!(Number.isFinite(tx) && tx >= 0 && tx <= T)) throw invalidInput(`tx must lie in [0, T] (got tx = ${tx}, T = ${T})`, { tx, T });
  if (x === 0 && tx !== 0) throw invalidInput(`tx must be 0 when there is no repeat transaction (got ${tx})`, { x, tx });
}

/** Throws a ScoringException (invalid input) unless r, α, a and b are finite and > 0. */
export function assertBgNbdParams(p: BgNbdParams): void {
  for (const [k, v] of Object.entries(p)) if (!(Number.isFinite(v) && v > 0)) throw invalidInput(`BG/NBD parameter ${k} must be > 0 (got ${v})`, { [k]: v });
}

/**
 * Customers grouped by identical (x, tx, T) with counts. The gamma-function
 * terms are computed once per distinct x and the logarithms ln(α+T), ln(α+tx)
 * once per distinct T and tx (in day-based data there are few of each), so one
 * likelihood evaluation costs about one exp and one log1p per distinct history.
 */
export class GroupedSummaries {
  readonly x: number[] = [];
  readonly tx: number[] = [];
  readonly T: number[] = [];
  readonly weight: number[] = [];
  readonly size: number;
  private readonly xIndex: Int32Array;
  private readonly txIndex: Int32Array;
  private readonly TIndex: Int32Array;
  private readonly distinctX: number[];
  private readonly distinctTx: number[];
  private readonly distinctT: number[];

  constructor(customers: readonly PurchaseSummary[]) {
    const groups = new Map<string, number>();
    for (const c of customers) {
      assertPurchaseSummary(c);
      const key = `${c.x}|${c.tx}|${c.T}`;
      const g = groups.get(key);
      if (g !== undefined) {
        this.weight[g]++;
        continue;
      }
      groups.set(key, this.x.length);
      this.x.push(c.x);
      this.tx.push(c.tx);
      this.T.push(c.T);
      this.weight.push(1);
    }
    this.size = customers.length;
    const index = (values: number[]): [number[], Int32Array] => {
      const distinct: number[] = [];
      const pos = new Map<number, number>();
      const idx = new Int32Array(values.length);
      values.forEach((v, i) => {
        let k = pos.get(v);
        if (k === undefined) {
          k = distinct.length;
          pos.set(v, k);
          distinct.push(v);
        }
        idx[i] = k;
      });
      return [distinct, idx];
    };
    [this.distinctX, this.xIndex] = index(this.x);
    [this.distinctTx, this.txIndex] = index(this.tx);
    [this.distinctT, this.TIndex] = index(this.T);
  }

  get repeatTransactions(): number {
    return this.x.reduce((s, x, i) => s + x * this.weight[i], 0);
  }

  logLikelihood({ r, alpha, a, b }: BgNbdParams): number {
    if (!(r > 0 && alpha > 0 && a > 0 && b > 0) || ![r, alpha, a, b].every(Number.isFinite)) return NaN;
    const lnAlpha = log(alpha);
    const lnA = log(a);
    const base = lgamma(a + b) - lgamma(r) - lgamma(b) + r * lnAlpha;
    const common = this.distinctX.map((x) => (x === 0 ? 0 : base + lgamma(r + x) + lgamma(b + x) - lgamma(a + b + x)));
    const dropWeight = this.distinctX.map((x) => (x === 0 ? 0 : lnA - log(b + x - 1)));
    const lnAlphaT = this.distinctT.map((T) => log(alpha + T));
    const lnAlphaTx = this.distinctTx.map((tx) => log(alpha + tx));
    let total = 0;
    for (let i = 0; i < this.x.length; i++) {
      const x = this.x[i];
      let ll: number;
      if (x === 0) {
        ll = r * (lnAlpha - lnAlphaT[this.TIndex[i]]);
      } else {
        const k = this.xIndex[i];
        const rx = r + x;
        ll = common[k] + logSumExp(-rx * lnAlphaT[this.TIndex[i]], dropWeight[k] - rx * lnAlphaTx[this.txIndex[i]]);
      }
      total += this.weight[i] * ll;
    }
    return total;
  }
}

export interface BgNbdFitOptions {
  /** Starting point (default: r = 1, α = ΣT/Σx, a = 1, b = 1). */
  start?: BgNbdParams;
  /** Passed to Nelder-Mead (defaults: fTolerance 1e-7 on the mean log-likelihood, xTolerance 1e-7 on the log parameters). */
  optimizer?: NelderMeadOptions;
}

export interface BgNbdFit {
  params: BgNbdParams;
  /** Σ ln L at the estimate. */
  logLikelihood: number;
  customers: number;
  /** Distinct (x, tx, T) histories the likelihood was evaluated on. */
  distinctHistories: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
  modelVersion: string;
}

/**
 * Maximum-likelihood estimate of (r, α, a, b). The search runs over the
 * logarithms of the parameters (so they stay positive) with Nelder-Mead and
 * restarts. Needs at least one repeat transaction: without any, the likelihood
 * r·Σ ln(α/(α+T)) grows towards 0 as r → 0 and has no maximum
 * (ScoringException NOT_IDENTIFIABLE).
 */
export function fitBgNbd(customers: readonly PurchaseSummary[], options: BgNbdFitOptions = {}): BgNbdFit {
  const data = new GroupedSummaries(customers);
  if (data.size === 0) throw new ScoringException(ScoringExceptionCode.NotIdentifiable, 'BG/NBD needs at least one customer');
  const repeat = data.repeatTransactions;
  if (repeat === 0) throw new ScoringException(ScoringExceptionCode.NotIdentifiable, 'BG/NBD cannot be fitted: no customer has a repeat transaction');
  const totalT = data.T.reduce((s, T, i) => s + T * data.weight[i], 0);
  const start = options.start ?? { r: 1, alpha: Math.max(totalT / repeat, 1e-3), a: 1, b: 1 };
  assertBgNbdParams(start);
  const toParams = (th: number[]): BgNbdParams => ({ r: Math.exp(th[0]), alpha: Math.exp(th[1]), a: Math.exp(th[2]), b: Math.exp(th[3]) });
  // The mean log-likelihood per customer is minimised, so the tolerances mean the same for
  // 2,000 customers as for 2,000,000 (an absolute tolerance on the sum sinks in rounding noise).
  // 1e-7 per customer: on a base with hardly any drop-out the optimum lies where a and b run
  // off together, and a tighter tolerance only walks that flat ridge for thousands of steps
  // without changing the estimate.
  const result = nelderMead((th) => -data.logLikelihood(toParams(th)) / data.size, [start.r, start.alpha, start.a, start.b].map(Math.log), {
    initialStep: 0.5,
    fTolerance: 1e-7,
    xTolerance: 1e-7,
    ...options.optimizer,
  });
  return {
    params: toParams(result.x),
    logLikelihood: data.logLikelihood(toParams(result.x)),
    customers: data.size,
    distinctHistories: data.x.length,
    iterations: result.iterations,
    evaluations: result.evaluations,
    converged: result.converged,
    modelVersion: BGNBD_MODEL_VERSION,
  };
}

/**
 * P(active | x, tx, T) (paper, eq. 12):
 *   1 / (1 + [x > 0] · a/(b+x-1) · ((α+T)/(α+tx))^(r+x)).
 * Exactly 1 for x = 0: in the BG/NBD a customer can only drop out right after a
 * transaction, so someone who never came back has not had the chance to.
 */
export function probabilityAlive(params: BgNbdParams, c: PurchaseSummary): number {
  assertBgNbdParams(params);
  assertPurchaseSummary(c);
  if (c.x === 0) return 1;
  return 1 / (1 + Math.exp(logDropOdds(params, c)));
}

/** ln of a/(b+x-1)·((α+T)/(α+tx))^(r+x) for x > 0. */
function logDropOdds({ r, alpha, a, b }: BgNbdParams, { x, tx, T }: PurchaseSummary): number {
  return Math.log(a) - Math.log(b + x - 1) + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx));
}

/**
 * Unconditional E[X(t)] for a new customer over t time units since their first
 * purchase (paper, eq. 9), by the textbook formula
 *   (a+b-1)/(a-1) · [1 - (α/(α+t))^r · 2F1(r, b; a+b-1; t/(α+t))].
 * Where that formula breaks down (a = 1, or a+b-1 = 0 or a negative integer) the
 * same number comes from the conditional expectation with x = tx = T = 0, whose
 * form has no such restriction.
 */
export function expectedTransactions(params: BgNbdParams, t: number): number {
  assertBgNbdParams(params);
  if (!(Number.isFinite(t) && t >= 0)) throw invalidInput(`t must be finite and >= 0 (got ${t})`, { t });
  const { r, alpha, a, b } = params;
  const c = a + b - 1;
  if (a === 1 || (c <= 0 && Number.isInteger(c))) return conditionalExpectedTransactions(params, { x: 0, tx: 0, T: 0 }, t);
  const z = t / (alpha + t);
  return (c / (a - 1)) * (1 - Math.pow(alpha / (alpha + t), r) * hyp2f1(r, b, c, z));
}

/**
 * E[Y(t) | x, tx, T]: expected transactions in the next t time units of a
 * customer with history (x, tx, T) (paper, eq. 10):
 *
 *   (a+b+x-1)/(a-1) · [1 - ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x-1; z)] / D,
 *   z = t/(α+T+t),  D = 1 + [x > 0] · a/(b+x-1) · ((α+T)/(α+tx))^(r+x).
 *
 * Computed in an equivalent form that avoids overflow for every positive parameter set:
 * Euler's transformation 2F1(A0, B0; C; z) = (1-z)^(C-A0-B0) 2F1(C-A0, C-B0; C; z)
 * turns the bracket into 1 - (1-z)^B · 2F1(A, B; C; z) with A = a+b-1-r, B = a-1,
 * C = a+b+x-1, whose parameters do not grow with x (the original series' terms
 * grow like n^(r+x) before they fall, and overflow for large x). Dividing by B
 * term by term (the series' terms all carry the factor (B)_n = B·(B+1)_{n-1})
 * removes the apparent singularity at a = 1 and the division by C:
 *
 *   E = [ -C·expm1(B·L)/B - (1-z)^B · Σ_{n>=1} u_n ] / D,  L = ln(1-z),
 *   u_1 = A·z,  u_{n+1} = u_n · (A+n)(B+n) z / ((C+n)(n+1))     (-C·expm1(BL)/B = -C·L at B = 0)
 *
 * The series converges for every finite t (0 <= z < 1, ratio → z), geometrically
 * with ratio z; about ln(1e-15)/ln(z) terms: 50 for z = 0.5, 3,500 for z = 0.99.
 * For x = 0, D = 1 exactly (no division by b+x-1, which may be <= 0 then).
 * When r is large against a+b (A ≪ 0) the terms alternate and cancel; where more than
 * four digits would be lost, the integral form (expectedWhileAliveByIntegral) is used.
 * Throws a ScoringException (invalid input) rather than return a value that is not
 * finite and >= 0.
 */
export function conditionalExpectedTransactions(params: BgNbdParams, c: PurchaseSummary, t: number): number {
  return conditionalExpectedTransactionsAt(params, c, [t])[0];
}

/**
 * E[Y(t) | x, tx, T] for several horizons of one customer (CLV's monthly steps): the
 * same numbers as one call per horizon, with the checks, the drop-out odds and the
 * quadrature's density weights computed once.
 */
export function conditionalExpectedTransactionsAt(params: BgNbdParams, c: PurchaseSummary, horizons: readonly number[]): number[] {
  assertBgNbdParams(params);
  assertPurchaseSummary(c);
  for (const t of horizons) if (!(Number.isFinite(t) && t >= 0)) throw invalidInput(`t must be finite and >= 0 (got ${t})`, { t });
  const { a, b } = params;
  const D = c.x === 0 ? 1 : 1 + Math.exp(logDropOdds(params, c));
  const concentrated = a >= QUADRATURE_MIN_A && betaSpread(a, b + c.x) < 0.02;
  // Both forms give 0 for a zero horizon; the series is not evaluated there.
  const whileAlive = concentrated
    ? expectedWhileAliveByQuadratureAt(params, c, horizons)
    : horizons.map((t) => (t === 0 ? 0 : expectedWhileAlive(params, c, t)));
  for (let k = 0; k < whileAlive.length; k++) {
    const e = whileAlive[k];
    // An expected count is finite and >= 0; anything else is a numerical failure, not a forecast.
    if (!(e >= 0 && e < Infinity)) {
      throw invalidInput(`E[Y(t) | x, tx, T] cannot be evaluated for these BG/NBD parameters (got ${e} for t = ${horizons[k]})`, { ...params, ...c, t: horizons[k] });
    }
    whileAlive[k] = e / D;
  }
  return whileAlive;
}

/** Below this a, the drop-out density p^(a-1) is too steep near 0 for a fixed quadrature rule: the series is used. */
const QUADRATURE_MIN_A = 20;

/** Standard deviation of Beta(a, b) relative to its mean. */
const betaSpread = (a: number, b: number) => Math.sqrt(b / (a * (a + b + 1)));

/**
 * Digits the series may lose to cancellation before the integral is used instead: its result
 * may be the difference of parts up to this many times larger than itself (relative error
 * about 1e-16 · 1e4 at the limit).
 */
const MAX_SERIES_CANCELLATION = 1e4;

/**
 * The series where it is well-conditioned, else the integral. When r is large against a+b
 * (A = a+b-1-r ≪ 0) and z is not small, the series' terms alternate and grow like binomial
 * coefficients before they fall, and their sum cancels to nothing (-165 or 1e8 for an answer
 * of 4.35); the integral's integrand is positive, so nothing cancels there.
 */
function expectedWhileAlive(params: BgNbdParams, c: PurchaseSummary, t: number): number {
  let value: number;
  try {
    value = transformedSeries(params, c, t, MAX_SERIES_CANCELLATION);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    value = NaN; // the series overflowed or did not converge
  }
  if (value >= 0) return value;
  const integral = expectedWhileAliveByIntegral(params, c, t);
  return integral >= 0 && integral < Infinity ? integral : expectedWhileAliveByMoments(params, c, t);
}

/**
 * E[Y(t) | x, tx, T] while alive from the moments of the drop-out probability: with g(p) = (1 - (1+p·s)^-n)/p,
 * n = r+x, s = t/(α+T), expanded in powers of p, and p ~ Beta(a, c), c = b+x,
 *
 *   E = Σ_{j>=1} (-1)^(j+1) · C(n+j-1, j) · s^j · E[p^(j-1)],   E[p^k] = Π_{i<k} (a+i)/(a+c+i).
 *
 * For a fit whose a ran off towards 0 with b large (drop-out all but ruled out: E[p] = a/(a+c) near 0), the Beta density
 * is a spike at 0 the integral's substitution cannot resolve, and the series above cancels; here the terms fall at once
 * (the j-th carries E[p^(j-1)], about a·(j-2)!/c^(j-1)) and E is close to the no-drop-out n·s. NaN where the terms do not
 * fall away (the expansion holds for p·s < 1 only: a Beta with weight beyond 1/s) or their sum cancels.
 */
export function expectedWhileAliveByMoments({ r, alpha, a, b }: BgNbdParams, { x, T }: PurchaseSummary, t: number): number {
  if (t === 0) return 0;
  const n = r + x;
  const c = b + x;
  const s = t / (alpha + T);
  let term = n * s;
  let sum = term;
  let magnitude = Math.abs(term);
  for (let j = 1; j < 10_000; j++) {
    const ratio = (-(n + j) / (j + 1)) * s * ((a + j - 1) / (a + c + j - 1));
    term *= ratio;
    sum += term;
    magnitude += Math.abs(term);
    if (Math.abs(ratio) < 0.5 && Math.abs(term) <= 1e-17 * Math.abs(sum)) return wellConditioned(sum, magnitude, MAX_SERIES_CANCELLATION);
  }
  return NaN;
}

/**
 * The transformed series; NaN when its result is the difference of parts more than
 * `maxCancellation` times larger than itself, (|head| + (1-z)^B·Σ|u_n|) / |E|.
 */
export function transformedSeries({ r, alpha, a, b }: BgNbdParams, { x, T }: PurchaseSummary, t: number, maxCancellation: number): number {
  const z = t / (alpha + T + t);
  const L = -Math.log1p(t / (alpha + T)); // ln(1-z)
  const A = a + b - 1 - r;
  const B = a - 1;
  const C = a + b + x - 1;
  const head = B === 0 ? -C * L : (-C * Math.expm1(B * L)) / B;
  const ratio = (k: number) => ((A + k + 1) * (B + k + 1) * z) / ((C + k + 1) * (k + 2));
  if (A > 0 && B > 0) {
    // All terms positive. (1-z)^B · Σ u_n stays bounded while Σ u_n alone can overflow, so
    // it is summed in log space. Every later ratio is at most z·(B+k+1)/(k+2) (as A < C).
    let logTerm = B * L + Math.log(A * z);
    let logSum = logTerm;
    for (let k = 0; k < 10_000_000; k++) {
      logTerm += Math.log(ratio(k));
      logSum = logSumExp(logSum, logTerm);
      const rho = z * Math.max(1, (B + k + 1) / (k + 2));
      if (rho < 1 && logTerm + Math.log(rho / (1 - rho)) <= logSum - 34.5) {
        const tail = Math.exp(logSum); // e^-34.5 ≈ 1e-15
        return wellConditioned(head - tail, head + tail, maxCancellation);
      }
    }
    throw new RangeError('series did not converge');
  }
  const warmUp = Math.ceil(Math.max(Math.abs(A), Math.abs(B), Math.abs(C))) + 1;
  const scale = Math.exp(B * L);
  // B + k + 1 = a + k > 0, so the ratio's sign is that of A + k + 1: with A >= -1 all terms
  // share u_1's sign and Σ|u_n| = |Σ u_n|. Below, the first terms alternate, and their
  // magnitudes are added up beside the sum.
  if (A >= -1) {
    const sum = sumSeries(A * z, ratio, { warmUp, ratioLimit: z });
    return wellConditioned(head - scale * sum, Math.abs(head) + scale * Math.abs(sum), maxCancellation);
  }
  const [sum, magnitude] = sumSeriesWithMagnitude(A * z, ratio, warmUp, z);
  return wellConditioned(head - scale * sum, Math.abs(head) + scale * magnitude, maxCancellation);
}

/** value, or NaN when it is the difference of parts (adding up to magnitude) more than maxCancellation times larger. */
const wellConditioned = (value: number, magnitude: number, maxCancellation: number) => (magnitude <= maxCancellation * Math.abs(value) ? value : NaN);

/** sumSeries and Σ|terms| (sumSeries multiplies by the same ratios in the same order, so the sum is the same). */
function sumSeriesWithMagnitude(first: number, ratio: (k: number) => number, warmUp: number, ratioLimit: number): [number, number] {
  let term = first;
  let magnitude = Math.abs(first);
  const tracked = (k: number) => {
    const q = ratio(k);
    term *= q;
    magnitude += Math.abs(term);
    return q;
  };
  const sum = sumSeries(first, tracked, { warmUp, ratioLimit });
  return [sum, magnitude];
}

/**
 * E[Y(t) | x, tx, T] while alive as the integral over the drop-out probability (see the
 * quadrature below), for any a and b, by tanh-sinh quadrature after substitutions that take
 * out the Beta density's endpoint singularities:
 *
 *   ∫ g(p) p^(a-1) (1-p)^(c-1) dp / B(a, c),  g(p) = (1 - (1+p·s)^-(r+x)) / p,  s = t/(α+T),  c = b+x,
 *
 * on [0, ½] with p = ½·u^(1/a) (p^(a-1) dp = (½)^a/a du) and on [½, 1] with 1-p = ½·v^(1/c).
 * Both integrands are then bounded and positive, so nothing cancels. g falls from (r+x)·s to
 * 1/p around p = 1/((r+x)·s), which may lie very close to 0; tanh-sinh's nodes crowd towards
 * the ends geometrically, and the step is halved until two levels agree (tanhSinh). A few
 * hundred evaluations (about 10 µs against 0.5 µs for the series), so used only where the
 * series cancels.
 */
export function expectedWhileAliveByIntegral({ r, alpha, a, b }: BgNbdParams, { x, T }: PurchaseSummary, t: number): number {
  if (t === 0) return 0;
  const n = r + x;
  const c = b + x;
  const s = t / (alpha + T);
  const g = (p: number) => (p === 0 ? n * s : -Math.expm1(-n * Math.log1p(p * s)) / p);
  const lnB = lbeta(a, c);
  const left = tanhSinh((u) => {
    const p = 0.5 * Math.pow(u, 1 / a);
    return Math.exp((c - 1) * Math.log1p(-p)) * g(p);
  });
  const right = tanhSinh((v) => {
    const q = 0.5 * Math.pow(v, 1 / c); // 1 - p
    return Math.exp((a - 1) * Math.log1p(-q)) * g(1 - q);
  });
  return left * Math.exp(-a * Math.LN2 - Math.log(a) - lnB) + right * Math.exp(-c * Math.LN2 - Math.log(c) - lnB);
}

/**
 * ∫_0^1 f(u) du for a bounded f that may be singular in its derivatives at the ends, by the
 * tanh-sinh rule u = (1 + tanh(π/2·sinh τ))/2 on τ in [-4, 4] (the weights beyond are below
 * 1e-36), halving the step from 1/2 until two levels agree to 1e-10 relative (the finer level's
 * error is then about the square of that); NaN if they never do.
 */
function tanhSinh(f: (u: number) => number): number {
  let sum = 0;
  let estimate = NaN;
  for (let level = 0; level < TANH_SINH.length; level++) {
    const { h, u, w } = TANH_SINH[level];
    for (let i = 0; i < u.length; i++) sum += w[i] * f(u[i]);
    const next = sum * h;
    if (level >= 2 && Math.abs(next - estimate) <= 1e-10 * Math.abs(next)) return next;
    estimate = next;
  }
  return NaN;
}

/** Nodes and weights of tanhSinh by level: all multiples of h = 1/2 first, then the odd multiples of h = 2^-(level+1). */
const TANH_SINH = (() => {
  const tauMax = 4;
  const levels: { h: number; u: Float64Array; w: Float64Array }[] = [];
  for (let level = 0; level < 10; level++) {
    const h = 0.5 / 2 ** level;
    const taus: number[] = [];
    for (let k = level === 0 ? 0 : 1; k * h <= tauMax; k += level === 0 ? 1 : 2) taus.push(...(k === 0 ? [0] : [k * h, -k * h]));
    const u: number[] = [];
    const w: number[] = [];
    for (const tau of taus) {
      const q = (Math.PI / 2) * Math.sinh(tau);
      // u (or 1-u) from e = exp(-2|q|) without cancellation; du/dτ = π/2·cosh τ · 2e/(1+e)^2.
      const e = Math.exp(-2 * Math.abs(q));
      u.push(q < 0 ? e / (1 + e) : 1 / (1 + e));
      w.push(((Math.PI / 2) * Math.cosh(tau) * 2 * e) / ((1 + e) * (1 + e)));
    }
    levels.push({ h, u: Float64Array.from(u), w: Float64Array.from(w) });
  }
  return levels;
})();

/**
 * The same expectation as an integral over the drop-out probability: a customer alive
 * with purchase rate λ and drop-out probability p makes (1 - e^(-λpt))/p purchases in t,
 * and given the history, λ ~ Gamma(r+x, α+T) and p ~ Beta(a, b+x), so
 *   E = ∫ (1 - ((α+T)/(α+T+pt))^(r+x)) / p · Beta(p; a, b+x) dp.
 * Used when a and b are large (a base with hardly any drop-out, where the series needs
 * thousands of terms): the Beta density is then narrow and smooth, and Gauss-Legendre on
 * ±12 standard deviations around its mean integrates it to machine precision.
 */
export function expectedWhileAliveByQuadratureAt({ r, alpha, a, b }: BgNbdParams, { x, T }: PurchaseSummary, horizons: readonly number[]): number[] {
  const bx = b + x;
  const mean = a / (a + bx);
  const sd = mean * betaSpread(a, bx);
  const lo = Math.max(mean - 12 * sd, Number.MIN_VALUE);
  const hi = Math.min(mean + 12 * sd, 1);
  const half = (hi - lo) / 2;
  const logMode = (a - 1) * Math.log(mean) + (bx - 1) * Math.log1p(-mean);
  let weight = 0;
  const values = horizons.map(() => 0);
  for (let i = 0; i < GAUSS_LEGENDRE_32.nodes.length; i++) {
    const p = lo + half * (1 + GAUSS_LEGENDRE_32.nodes[i]);
    // Density relative to its value at the mean (normalised below by the same rule).
    const w = GAUSS_LEGENDRE_32.weights[i] * Math.exp((a - 1) * Math.log(p) + (bx - 1) * Math.log1p(-p) - logMode);
    weight += w;
    for (let k = 0; k < horizons.length; k++) values[k] += (w * -Math.expm1(-(r + x) * Math.log1p((p * horizons[k]) / (alpha + T)))) / p;
  }
  return values.map((v) => v / weight);
}

/** Nodes and weights of 32-point Gauss-Legendre quadrature on [-1, 1] (Newton on the Legendre polynomial). */
const GAUSS_LEGENDRE_32 = (() => {
  const n = 32;
  const nodes: number[] = [];
  const weights: number[] = [];
  for (let i = 1; i <= n; i++) {
    let z = Math.cos((Math.PI * (i - 0.25)) / (n + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p0 = 1;
      let p1 = z;
      for (let k = 2; k <= n; k++) [p0, p1] = [p1, ((2 * k - 1) * z * p1 - (k - 1) * p0) / k];
      dp = (n * (z * p1 - p0)) / (z * z - 1);
      const step = p1 / dp;
      z -= step;
      if (Math.abs(step) < 1e-16) break;
    }
    nodes.push(z);
    weights.push(2 / ((1 - z * z) * dp * dp));
  }
  return { nodes, weights };
})();

export interface ChurnRiskPolicy {
  version: number;
  /** Forecast horizon for the expected purchases, in the model's time unit. */
  horizon: number;
  /** Name of the time unit for reasons ("week"). */
  unit: string;
  /** The risk value at or above which a repeat buyer's band is "high" / "medium"; below: "low" (on 1 - P(alive), a probability). */
  highRiskAtLeast: number;
  mediumRiskAtLeast: number;
  /**
   * The same for a customer without a repeat purchase yet, whose value is no probability (see `churnRisk`) and rises
   * far faster with the silence: on the repeat buyers' thresholds every first-time buyer was "high" about six weeks
   * after their purchase. (Policies written before version 3 have none: the repeat buyers' thresholds apply.)
   */
  noRepeatYet?: { highRiskAtLeast: number; mediumRiskAtLeast: number };
}

/**
 * Version 2: a customer without a repeat purchase is valued by what their silence has cost, not as alive for sure.
 * Version 3: that value has thresholds of its own, medium from 0.5 and high from 0.8. Calibrated on the CDNOW fits
 * (as of 1997-03-31 and 1998-06-30): a first-time buyer turns medium after 4 to 6 weeks of silence, about when half of
 * those who do buy again have (the median gap from first to second purchase day was 7.9 weeks), and high after 20 to 26
 * weeks, when about three in four of them have (75th percentile: 23 weeks). The value is relative to the base's own
 * purchase rates, so in a base that buys more slowly the same thresholds take longer. Kept on the low/medium/high scale
 * rather than a band of their own: the fix-issue trigger, the saved segments and campaigns read those bands, and a
 * first-time buyer silent for a year is the commonest lost customer there is.
 */
export const defaultChurnRiskPolicy: ChurnRiskPolicy = {
  version: 3,
  horizon: 13,
  unit: 'week',
  highRiskAtLeast: 0.5,
  mediumRiskAtLeast: 0.25,
  noRepeatYet: { highRiskAtLeast: 0.8, mediumRiskAtLeast: 0.5 },
};

/** The bands a churn-risk score takes (and the customers filter accepts), lowest risk first. */
export const CHURN_RISK_BANDS = ['low', 'medium', 'high'] as const;

export type ChurnRiskBand = (typeof CHURN_RISK_BANDS)[number];

export interface ChurnRiskScore extends ScoreResult {
  /**
   * 1 - P(alive), a probability; without a repeat purchase no probability but the share of a first-time buyer's expected
   * purchases the silence since has cost (banded by the policy's `noRepeatYet` thresholds).
   */
  value: number;
  band: ChurnRiskBand;
  probabilityAlive: number;
  expectedTransactions: number;
}

/**
 * Churn risk from behaviour: value = 1 - P(alive) under fitted BG/NBD parameters, with the
 * expected purchases over the policy's horizon. BG/NBD lets a customer drop out only after a
 * repeat purchase, so without one P(alive) is 1 however long ago they bought; their risk is
 * instead how far their silence has cut the purchases expected of them, against a customer
 * who bought for the first time today: 1 - E[Y(h) | 0, 0, T] / E[Y(h) | 0, 0, 0] (0 for a
 * purchase today, towards 1 as the silence grows). That is no probability of having left: the model cannot tell a
 * first-time buyer who has gone from a slow one, and the value counts the slowness the silence shows too, so it rises
 * far faster than a repeat buyer's 1 - P(alive) (CDNOW: 0.55 after 8 weeks, where a buyer of 5 repeat purchases silent
 * for 8 weeks is at 0.28); it is banded by thresholds of its own (`noRepeatYet`), said in the reasons.
 */
/**
 * How long a first-time buyer's silence takes, on this fit, to turn them medium and high: the thresholds are on a value
 * that follows the fitted time scale α (about T/(α+T)), not the base's purchase gaps, so the same thresholds take weeks on
 * one base and months on another whose customers buy more alike. Said in the reasons, so nobody reads "low" as "recently
 * active". Once per fit and policy (every first-time buyer of a rescore shares them).
 */
function silenceReason(params: BgNbdParams, policy: ChurnRiskPolicy, firstTimeBuyer: number, u: (n: number) => string): string {
  let byPolicy = silenceCache.get(params);
  if (!byPolicy) silenceCache.set(params, (byPolicy = new WeakMap()));
  let said = byPolicy.get(policy);
  if (said === undefined) {
    const { mediumRiskAtLeast, highRiskAtLeast } = policy.noRepeatYet!;
    const after = (threshold: number) => {
      const t = silenceUntil(params, policy.horizon, firstTimeBuyer, threshold);
      return t === null ? `not within ${u(1040)}` : `after ${u(t < 10 ? Math.round(t * 10) / 10 : Math.round(t))}`;
    };
    said = `on this base's fit, without a repeat purchase a customer turns medium ${after(mediumRiskAtLeast)} of silence and high ${after(highRiskAtLeast)} (its time scale α: ${fmt(params.alpha)})`;
    byPolicy.set(policy, said);
  }
  return said;
}

const silenceCache = new WeakMap<BgNbdParams, WeakMap<ChurnRiskPolicy, string>>();

/** The silence (time since the first purchase) at which a first-time buyer's value reaches `threshold`; null beyond 1040 of the model's time units (20 years of weeks). */
function silenceUntil(params: BgNbdParams, horizon: number, firstTimeBuyer: number, threshold: number): number | null {
  const value = (T: number) => 1 - conditionalExpectedTransactions(params, { x: 0, tx: 0, T }, horizon) / firstTimeBuyer;
  let hi = 1;
  while (value(hi) < threshold) {
    hi *= 2;
    if (hi > 1040) return null;
  }
  let lo = 0;
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (value(mid) < threshold) lo = mid;
    else hi = mid;
  }
  return hi;
}

export function churnRisk(params: BgNbdParams, c: PurchaseSummary, policy: ChurnRiskPolicy = defaultChurnRiskPolicy): ChurnRiskScore {
  const alive = probabilityAlive(params, c);
  const expected = conditionalExpectedTransactions(params, c, policy.horizon);
  const firstTimeBuyer = c.x === 0 ? conditionalExpectedTransactions(params, { x: 0, tx: 0, T: 0 }, policy.horizon) : 0;
  const value = c.x > 0 ? 1 - alive : firstTimeBuyer > 0 ? Math.min(1, Math.max(0, 1 - expected / firstTimeBuyer)) : 0;
  const thresholds = c.x === 0 && policy.noRepeatYet ? policy.noRepeatYet : policy;
  const band: ChurnRiskBand = value >= thresholds.highRiskAtLeast ? 'high' : value >= thresholds.mediumRiskAtLeast ? 'medium' : 'low';
  const u = (n: number) => `${fmt(n)} ${policy.unit}${n === 1 ? '' : 's'}`;
  const reasons =
    c.x === 0
      ? [
          `no repeat purchase in the ${u(c.T)} since the first purchase`,
          `expected purchases ${pct(value)} below those of a customer who bought for the first time today (${fmt(firstTimeBuyer, 2)} in the next ${u(policy.horizon)})`,
          ...(policy.noRepeatYet
            ? [
                `band ${band}: without a repeat purchase medium from ${pct(thresholds.mediumRiskAtLeast)} below, high from ${pct(thresholds.highRiskAtLeast)} (not a probability of having stopped, as a repeat buyer's ${pct(policy.mediumRiskAtLeast)} and ${pct(policy.highRiskAtLeast)} are)`,
                silenceReason(params, policy, firstTimeBuyer, u),
              ]
            : []),
        ]
      : [
          `${c.x} repeat purchase${c.x === 1 ? '' : 's'} in the ${u(c.T)} since the first purchase; the last one ${u(c.T - c.tx)} ago`,
          `probability still active: ${pct(alive)}`,
        ];
  reasons.push(`expected purchases in the next ${u(policy.horizon)}: ${fmt(expected, 2)}`);
  return { value, band, reasons, modelVersion: `${BGNBD_MODEL_VERSION};policy=${policy.version}`, probabilityAlive: alive, expectedTransactions: expected };
}
