/**
 * The plain references for the BG/NBD model, used by tests only:
 * - `bgnbdLogLikelihood`, one customer's log-likelihood by the paper's formula, which the tests
 *   hold the grouped likelihood `fitBgNbd` maximises (GroupedSummaries in bgnbd.ts) equal to;
 *   `bgnbdTotalLogLikelihood` is that grouped production likelihood for a given point;
 * - `expectedWhileAliveBySeries` and `expectedWhileAliveByQuadrature`, the two production forms
 *   `conditionalExpectedTransactions` (bgnbd.ts) chooses between, each one alone for one horizon,
 *   which the tests hold equal to each other, to the integral form and to the chosen result.
 */
import { assertBgNbdParams, assertPurchaseSummary, expectedWhileAliveByQuadratureAt, GroupedSummaries, transformedSeries, type BgNbdParams, type PurchaseSummary } from './bgnbd.js';
import { lgamma, logSumExp } from './special-functions.js';

/**
 * ln L(r, α, a, b | x, tx, T) of one customer (paper, eq. 6), in log space:
 *
 *   L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
 *     + [x > 0] · B(a+1, b+x-1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+tx)^(r+x))
 *
 * For x = 0 this is exactly r·ln(α/(α+T)) (0 when T = 0: nothing can be seen in no time).
 */
export function bgnbdLogLikelihood(params: BgNbdParams, c: PurchaseSummary): number {
  assertBgNbdParams(params);
  assertPurchaseSummary(c);
  const { r, alpha, a, b } = params;
  const { x, tx, T } = c;
  if (x === 0) return r * (Math.log(alpha) - Math.log(alpha + T));
  const common = lgamma(r + x) - lgamma(r) + r * Math.log(alpha) + lgamma(a + b) + lgamma(b + x) - lgamma(b) - lgamma(a + b + x);
  const stillActive = -(r + x) * Math.log(alpha + T);
  const droppedAfterLast = Math.log(a) - Math.log(b + x - 1) - (r + x) * Math.log(alpha + tx);
  return common + logSumExp(stillActive, droppedAfterLast);
}

/** Σ ln L over customers, as fitBgNbd computes it (customers grouped by identical history). */
export function bgnbdTotalLogLikelihood(params: BgNbdParams, customers: readonly PurchaseSummary[]): number {
  return new GroupedSummaries(customers).logLikelihood(params);
}

/** (a+b+x-1)/(a-1) · [1 - ((α+T)/(α+T+t))^(r+x) · 2F1(...)], by the transformed series alone (bgnbd.ts). */
export function expectedWhileAliveBySeries(params: BgNbdParams, c: PurchaseSummary, t: number): number {
  return transformedSeries(params, c, t, Infinity);
}

/** The same expectation by Gauss-Legendre quadrature over the drop-out probability alone (bgnbd.ts). */
export function expectedWhileAliveByQuadrature(params: BgNbdParams, c: PurchaseSummary, t: number): number {
  return expectedWhileAliveByQuadratureAt(params, c, [t])[0];
}
