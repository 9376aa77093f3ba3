/**
 * Customer lifetime value: BG/NBD expected transactions × Gamma-Gamma expected
 * spend per transaction, discounted per period.
 *
 * Units (the usual source of mistakes, so spelled out):
 * - The BG/NBD parameters and the customer's (x, tx, T) are in one time unit,
 *   the model's: weeks for the CDNOW fits (see summarize-transactions.ts).
 * - The horizon is `periods` discounting periods of `periodLength` model time
 *   units each: monthly discounting on a weekly model is
 *   `{ periods: 12, periodLength: WEEKS_PER_MONTH }`; weekly discounting on a
 *   weekly model is `{ periods: 52, periodLength: 1 }`.
 * - `discountRate` is the rate per discounting period (monthly rate for
 *   months: 1% a month ≈ 12.7% a year; `ratePerPeriod(0.10, 12)` converts an
 *   annual 10% into the equivalent monthly rate).
 * - Cash flows fall at the end of each period and are discounted by (1+d)^i:
 *     CLV = Σ_{i=1..periods} m · E[M] · (E[Y(i·L)] - E[Y((i-1)·L)]) / (1+d)^i
 *   with E[Y(t)] the conditional expected transactions in the next t time units,
 *   E[M] the conditional expected spend per transaction and m the margin share.
 *   With d = 0 this telescopes to m · E[M] · E[Y(periods·L)].
 * - The value is in the unit of the spend amounts (zbar).
 * - A repeat buyer whose repeat purchases all came to 0 (zbar = 0, x > 0) is expected to spend 0
 *   per purchase, so their CLV is 0: Gamma-Gamma's spends lie above 0 (zbar = 0 is outside its
 *   support, and its fit leaves such customers out), and its shrinkage towards the base's mean
 *   would lend a customer who has paid nothing the base's average spend. A customer without a
 *   repeat purchase (x = 0) still gets the base's mean: nothing is known of their spend yet.
 */
import { BGNBD_MODEL_VERSION, conditionalExpectedTransactionsAt, probabilityAlive, type BgNbdParams, type PurchaseSummary } from './bgnbd.js';
import { fmt, money, pct } from './format.js';
import { conditionalExpectedSpend, GAMMA_GAMMA_MODEL_VERSION, type GammaGammaParams } from './gamma-gamma.js';
import type { ScoreResult } from './score.js';
import { invalidInput } from './scoring.exception.js';

/**
 * 2: a repeat buyer whose repeat purchases all came to 0 is valued at 0, not at the base's mean spend.
 * 3: the reasons write amounts as money ("1,234.56", "228.40"), as every other score's do; and a customer without a margin
 *    share of their own is valued at the base's (customer-scores.ts), not at revenue: every CLV a margin CLV.
 * 4: the base's margin share, at which a customer without one of their own is valued, is the median of the customers' own
 *    shares (customer-scores.ts `baseMarginShareOf`), not the base's margin over its margined revenue, which one account decided.
 */
export const CLV_MODEL_VERSION = `clv/4(${BGNBD_MODEL_VERSION}+${GAMMA_GAMMA_MODEL_VERSION})`;

/** Average month in weeks (365.25 / 12 / 7 ≈ 4.348). */
export const WEEKS_PER_MONTH = 365.25 / 12 / 7;

/** The per-period rate equivalent to an annual rate: (1 + annual)^(1/periodsPerYear) - 1. */
export function ratePerPeriod(annualRate: number, periodsPerYear: number): number {
  if (!(annualRate > -1 && periodsPerYear > 0)) throw invalidInput('ratePerPeriod needs annualRate > -1 and periodsPerYear > 0');
  return Math.pow(1 + annualRate, 1 / periodsPerYear) - 1;
}

export interface ClvOptions {
  /** Number of discounting periods in the horizon (whole number >= 1). */
  periods: number;
  /** Length of one period in the model's time unit (e.g. WEEKS_PER_MONTH). */
  periodLength: number;
  /** Discount rate per period (>= 0). */
  discountRate: number;
  /** Share of spend that is margin (default 1: revenue CLV). */
  marginShare?: number;
  /** Name of a period for reasons (default "month"). */
  periodName?: string;
  /** Currency put before money in reasons, as the other scores do ("EUR" → "EUR 1,234.56"). */
  currency?: string;
}

export interface ClvPeriod {
  period: number;
  expectedTransactions: number;
  discountedValue: number;
}

export interface ClvScore extends ScoreResult {
  value: number;
  expectedSpend: number;
  expectedTransactions: number;
  probabilityAlive: number;
  perPeriod: ClvPeriod[];
}

/** Discounted CLV of one customer with history (x, tx, T) and mean repeat spend zbar. */
export function customerLifetimeValue(
  bgnbd: BgNbdParams,
  gammaGamma: GammaGammaParams,
  customer: PurchaseSummary & { zbar: number },
  options: ClvOptions,
): ClvScore {
  const { periods, periodLength, discountRate } = options;
  const margin = options.marginShare ?? 1;
  if (!(Number.isInteger(periods) && periods >= 1)) throw invalidInput(`periods must be a whole number >= 1 (got ${periods})`);
  if (!(Number.isFinite(periodLength) && periodLength > 0)) throw invalidInput(`periodLength must be > 0 (got ${periodLength})`);
  if (!(Number.isFinite(discountRate) && discountRate >= 0)) throw invalidInput(`discountRate must be >= 0 (got ${discountRate})`);
  if (!(Number.isFinite(margin) && margin >= 0 && margin <= 1)) throw invalidInput(`marginShare must lie in [0, 1] (got ${margin})`);

  // Amounts are >= 0: a repeat buyer's mean of 0 means every repeat purchase was free.
  const paidNothing = customer.x > 0 && customer.zbar <= 0;
  const spend = paidNothing ? 0 : conditionalExpectedSpend(gammaGamma, customer);
  const perPeriod: ClvPeriod[] = [];
  const cumulativeAt = conditionalExpectedTransactionsAt(
    bgnbd,
    customer,
    Array.from({ length: periods }, (_, i) => (i + 1) * periodLength),
  );
  let previous = 0;
  let value = 0;
  for (let i = 1; i <= periods; i++) {
    const cumulative = cumulativeAt[i - 1];
    const expectedTransactions = cumulative - previous;
    previous = cumulative;
    const discountedValue = (margin * spend * expectedTransactions) / Math.pow(1 + discountRate, i);
    value += discountedValue;
    perPeriod.push({ period: i, expectedTransactions, discountedValue });
  }
  const alive = probabilityAlive(bgnbd, customer);
  const name = options.periodName ?? 'month';
  const cur = options.currency ?? '';
  const repeats = `${customer.x} repeat purchase${customer.x === 1 ? '' : 's'}`;
  // Amounts as every score's reasons write money ("1,234.56"): the spend data's unit taken as major units, in cents.
  const amount = (v: number) => money(v * 100, cur);
  const reasons = [
    `expected purchases in the next ${periods} ${name}${periods === 1 ? '' : 's'}: ${fmt(previous, 2)}` +
      (customer.x > 0 ? ` (probability still active ${pct(alive)})` : ' (no repeat purchase yet)'),
    `expected spend per purchase: ${amount(spend)}` +
      (paidNothing
        ? ` (the ${repeats} so far ${customer.x === 1 ? 'was' : 'were'} free: nothing paid, nothing expected)`
        : customer.x > 0
          ? ` (own average ${amount(customer.zbar)} over ${repeats})`
          : ''),
    `discounted at ${fmt(discountRate * 100, 2)}% per ${name}` + (margin < 1 ? `, margin ${pct(margin)} of spend` : ''),
  ];
  return { value, reasons, modelVersion: CLV_MODEL_VERSION, expectedSpend: spend, expectedTransactions: previous, probabilityAlive: alive, perPeriod };
}
