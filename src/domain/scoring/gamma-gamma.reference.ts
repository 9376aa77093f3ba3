/**
 * The plain references for the Gamma-Gamma model, used by tests only:
 * - `gammaGammaLogLikelihood`, one repeat buyer's log-likelihood by the density's formula, which
 *   the tests hold the likelihood `fitGammaGamma` (gamma-gamma.ts) maximises, grouped by x, equal to;
 * - `populationMeanSpend`, E[M] = pγ/(q-1), which the tests hold `conditionalExpectedSpend`
 *   (gamma-gamma.ts) equal to for a customer without a repeat purchase.
 */
import { assertGammaGammaParams, type GammaGammaParams, type SpendSummary } from './gamma-gamma.js';
import { invalidInput } from './scoring.exception.js';
import { lgamma } from './special-functions.js';

/**
 * ln f(zbar | p, q, γ; x), the density of a repeat buyer's mean spend:
 *   Γ(px+q) / (Γ(px) Γ(q)) · γ^q · x^(px) · zbar^(px-1) / (γ + x·zbar)^(px+q).
 */
export function gammaGammaLogLikelihood(params: GammaGammaParams, c: SpendSummary): number {
  assertGammaGammaParams(params);
  assertRepeatBuyer(c);
  return logDensity(params, c.x, c.zbar);
}

function logDensity({ p, q, gamma }: GammaGammaParams, x: number, zbar: number): number {
  const px = p * x;
  return lgamma(px + q) - lgamma(px) - lgamma(q) + q * Math.log(gamma) + px * Math.log(x) + (px - 1) * Math.log(zbar) - (px + q) * Math.log(gamma + x * zbar);
}

function assertRepeatBuyer({ x, zbar }: SpendSummary): void {
  if (!(Number.isInteger(x) && x > 0)) throw invalidInput(`the Gamma-Gamma likelihood needs x >= 1 (got ${x})`, { x });
  if (!(Number.isFinite(zbar) && zbar > 0)) throw invalidInput(`the Gamma-Gamma likelihood needs a mean spend > 0 (got ${zbar})`, { zbar });
}

/**
 * Mean transaction value of a randomly chosen customer, E[M] = pγ/(q-1);
 * Infinity when q <= 1 (the Gamma(q, γ) mixing makes the mean diverge).
 */
export function populationMeanSpend({ p, q, gamma }: GammaGammaParams): number {
  return q > 1 ? (p * gamma) / (q - 1) : Infinity;
}
