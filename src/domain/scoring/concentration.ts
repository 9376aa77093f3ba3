/**
 * Concentration of the customer base: per period, the share of revenue from
 * the top 20% of customers (80/20 drifting to 60/40 or 50/50), the Lorenz curve
 * and the Gini coefficient.
 *
 * - A period's population is every customer listed for it (several rows of one
 *   customer are summed); list customers with 0 revenue to count them. Negative
 *   net revenue (refunds) counts as 0, and the reasons say how often.
 * - Lorenz curve: points (i/n, share of revenue of the i smallest customers),
 *   i = 0..n; with more than `maxLorenzPoints` customers, the curve is sampled at
 *   evenly spaced population shares (linear interpolation, exact at the ends).
 * - Top share: 1 - L(1 - topFraction) on the piecewise-linear Lorenz curve, so
 *   the customer on the boundary counts with the fraction that falls in the top
 *   (with 10 customers the top 20% are exactly the 2 largest; with one customer
 *   or equal revenues the top 20% have 20%).
 * - Gini, exact on the sorted values y_1 <= ... <= y_n:
 *     G = 2·Σ i·y_i / (n·Σ y) - (n+1)/n
 *   (0 for equal values and for a single customer; (n-1)/n when one customer has
 *   everything), equal to 1 - 2·(area under the Lorenz curve).
 * - A period without revenue (no customers or all zero) has no shares: topShare,
 *   gini and lorenz are null. Periods passed in `options.periods` are reported even
 *   without any row, so a chart's time axis has no gaps.
 * - The headline value and band are those of the latest complete period with revenue (the
 *   period under way only when no complete one has revenue).
 * - The reasons name the periods without revenue after the headline's (but the one under way)
 *   and those between the first period with revenue and the headline's.
 * - A period with fewer customers than make one whole customer in the top (5 for the top 20%)
 *   has a top share in the fractional sense above, but the reasons do not say it as one (the
 *   one customer of a month "brought 20%" reads false): they say there are too few customers and
 *   what the largest brought, for complete periods and the one under way alike; such a latest
 *   period gives no band.
 */
import { fmt, pct } from './format.js';
import type { ScoreResult } from './score.js';
import { invalidInput } from './scoring.exception.js';

/**
 * 3: a period with too few customers for a top share is said so, with the largest customer's share,
 *    not as "the top 20% brought 20%" (its top share and band are unchanged).
 * 4: the trend's line (the first period of the window with revenue, after the latest two) says so, not a bare period.
 * 5: the months without revenue between months with revenue are named ("no revenue in 2021-06 to 2021-07"), not only those after
 *    the latest with revenue: a trend read from the reasons' months is not taken for an unbroken one.
 */
export const CONCENTRATION_MODEL_VERSION = 'concentration/5';

export interface PeriodRevenue {
  /** A sortable period label ("2025-Q4", "2025-11"). */
  period: string;
  customerId: string;
  revenue: number;
}

export interface LorenzPoint {
  populationShare: number;
  revenueShare: number;
}

export interface PeriodConcentration {
  period: string;
  customers: number;
  /** The sum of the revenues (negative ones as 0): exact while it is below 2^53 minor units, the nearest number beyond. */
  totalRevenue: number;
  topShare: number | null;
  gini: number | null;
  lorenz: LorenzPoint[] | null;
  negativeClamped: number;
}

export interface ConcentrationOptions {
  /** Fraction of customers counted as the top (default 0.2). */
  topFraction?: number;
  /** Most points per Lorenz curve (default 101). */
  maxLorenzPoints?: number;
  /** Periods to report even where no row falls (e.g. every month of the window asked for). */
  periods?: readonly string[];
  /**
   * The first period still under way (this month): it and every later one (next month, in a window
   * that ends there) are reported, said to be to date, and not the headline value or band while an
   * earlier period has revenue (a month of three days says little).
   */
  underWayFrom?: string;
}

/** A share rounded to 12 decimals: far below any revenue's weight, above floating point's leftovers. */
const asShare = (share: number): number => Math.round(share * 1e12) / 1e12;

/** The share of a period's revenue its largest customer brought, from its Lorenz curve when that has a point per customer (null if sampled). */
function largestShare(p: PeriodConcentration): number | null {
  const lorenz = p.lorenz;
  return lorenz && lorenz.length === p.customers + 1 ? asShare(1 - lorenz[lorenz.length - 2].revenueShare) : null;
}

/** Concentration of one population's revenues. */
export function concentrationOf(revenues: readonly number[], options: ConcentrationOptions = {}): Omit<PeriodConcentration, 'period'> {
  const topFraction = options.topFraction ?? 0.2;
  const maxPoints = options.maxLorenzPoints ?? 101;
  if (!(topFraction > 0 && topFraction < 1)) throw invalidInput('topFraction must lie in (0, 1)');
  if (!(Number.isInteger(maxPoints) && maxPoints >= 2)) throw invalidInput('maxLorenzPoints must be a whole number >= 2');
  let negativeClamped = 0;
  const y = revenues.map((v) => {
    if (!Number.isFinite(v)) throw invalidInput('revenue must be finite');
    if (v < 0) negativeClamped++;
    return Math.max(0, v);
  });
  y.sort((a, b) => a - b);
  const n = y.length;
  const total = y.reduce((s, v) => s + v, 0);
  if (n === 0 || total === 0) return { customers: n, totalRevenue: total, topShare: null, gini: null, lorenz: null, negativeClamped };
  const cumulative = new Array<number>(n + 1);
  cumulative[0] = 0;
  let weighted = 0;
  for (let i = 0; i < n; i++) {
    cumulative[i + 1] = cumulative[i] + y[i];
    weighted += (i + 1) * y[i];
  }
  const L = (p: number): number => {
    // piecewise-linear Lorenz curve at population share p
    const pos = p * n;
    const i = Math.min(n - 1, Math.floor(pos));
    const frac = pos - i;
    return (cumulative[i] + frac * y[i]) / total;
  };
  // Shares as a reader compares them: a single customer's 20% is 0.2, not floating point's 0.19999999999999996.
  const gini = asShare(Math.max(0, (2 * weighted) / (n * total) - (n + 1) / n));
  const topShare = asShare(1 - L(1 - topFraction));
  const lorenz: LorenzPoint[] =
    n + 1 <= maxPoints
      ? cumulative.map((c, i) => ({ populationShare: i / n, revenueShare: c / total }))
      : Array.from({ length: maxPoints }, (_, k) => {
          const p = k / (maxPoints - 1);
          return { populationShare: p, revenueShare: k === maxPoints - 1 ? 1 : L(p) };
        });
  return { customers: n, totalRevenue: total, topShare, gini, lorenz, negativeClamped };
}

export interface ConcentrationScore extends ScoreResult<number | null> {
  /** Top share of the latest complete period with revenue (the one under way only when no complete one has any). */
  value: number | null;
  band?: 'high' | 'medium' | 'low';
  periods: PeriodConcentration[];
}

export interface ConcentrationPolicy {
  version: number;
  /** Top share at or above which the band is "high" / "medium". */
  highAtLeast: number;
  mediumAtLeast: number;
}

export const defaultConcentrationPolicy: ConcentrationPolicy = { version: 1, highAtLeast: 0.8, mediumAtLeast: 0.6 };

/** The labels (YYYY-MM, UTC) of the `count` months up to and including the month of `today`, oldest first. */
export function monthPeriods(today: Date, count: number): string[] {
  const year = today.getUTCFullYear();
  const month = today.getUTCMonth();
  return Array.from({ length: count }, (_, i) => new Date(Date.UTC(year, month - (count - 1 - i), 1)).toISOString().slice(0, 7));
}

export interface ConcentrationWindow {
  /** Every month of the window (YYYY-MM, UTC), oldest first. */
  periods: string[];
  /** The UTC month under way when the window reaches it: it and any later month of the window are to date. */
  underWayFrom?: string;
  /** The first day after the window (YYYY-MM-DD): orders from it on are left out. */
  endsBefore: string;
}

/**
 * The `months` months of a concentration report up to the month of `until` (a day, YYYY-MM-DD) or,
 * without one, of `now`. Months are UTC months, but `until` may be today anywhere on earth: on a
 * month's last day after 10:00 UTC, Auckland's today is in the next month, so the window can end a
 * month after the UTC one under way. Every month from the UTC month under way on is to date (its
 * orders still come in, and the next month's are those dated ahead), not only the window's last.
 */
export function concentrationWindow(months: number, until: string | null, now: Date): ConcentrationWindow {
  const end = until === null ? now : new Date(`${until}T00:00:00Z`);
  const periods = monthPeriods(end, months);
  const thisMonth = now.toISOString().slice(0, 7);
  // Orders dated ahead (an import allows a day) do not open the month after the window.
  const endsBefore = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() + 1, 1)).toISOString().slice(0, 10);
  return { periods, ...(periods[periods.length - 1] >= thisMonth ? { underWayFrom: thisMonth } : {}), endsBefore };
}

/**
 * Concentration per period (sorted by label) and the trend, for the whole customer base, from
 * one row per customer and period: the reference the tests hold `concentrationByPeriod` to (the
 * report sums revenues per period in SQL first).
 */
export function concentration(rows: readonly PeriodRevenue[], options: ConcentrationOptions = {}, policy: ConcentrationPolicy = defaultConcentrationPolicy): ConcentrationScore {
  const byPeriod = new Map<string, Map<string, number>>();
  for (const r of rows) {
    let customers = byPeriod.get(r.period);
    if (!customers) byPeriod.set(r.period, (customers = new Map()));
    customers.set(r.customerId, (customers.get(r.customerId) ?? 0) + r.revenue);
  }
  return concentrationByPeriod(new Map([...byPeriod].map(([period, customers]) => [period, [...customers.values()]])), options, policy);
}

/** As `concentration`, from each period's revenues, one per customer (summed already, as a database returns them). */
export function concentrationByPeriod(revenues: ReadonlyMap<string, readonly number[]>, options: ConcentrationOptions, policy: ConcentrationPolicy): ConcentrationScore {
  const topFraction = options.topFraction ?? 0.2;
  const periods = [...new Set([...(options.periods ?? []), ...revenues.keys()])]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((period) => ({ period, ...concentrationOf(revenues.get(period) ?? [], options) }));
  const modelVersion = `${CONCENTRATION_MODEL_VERSION};policy=${policy.version}`;
  if (periods.length === 0) return { value: null, periods, reasons: ['no revenue data'], modelVersion };
  const span = (from: PeriodConcentration, to: PeriodConcentration) => (from === to ? from.period : `${from.period} to ${to.period}`);
  const withRevenue = periods.filter((p) => p.topShare !== null);
  const underWay = (p: PeriodConcentration) => options.underWayFrom !== undefined && p.period >= options.underWayFrom;
  const complete = withRevenue.filter((p) => !underWay(p));
  const latest = complete.length ? complete[complete.length - 1] : withRevenue[withRevenue.length - 1];
  if (!latest) return { value: null, periods, reasons: [`no revenue in ${span(periods[0], periods[periods.length - 1])}`], modelVersion };
  const top = `top ${pct(topFraction)} of customers`;
  const customers = (n: number) => `${n} customer${n === 1 ? '' : 's'}`;
  // Fewer customers than make one whole customer in the top: no top share to say in words (nor a band for the latest).
  const fewest = Math.ceil(1 / topFraction);
  const tooFew = (p: PeriodConcentration) => {
    const largest = largestShare(p);
    return (
      `too few customers (${p.customers}) for a top-${pct(topFraction)} share (it takes ${fewest})` +
      (p.customers === 1 ? ': the one customer brought all of the revenue' : largest === null ? '' : `: the largest brought ${pct(largest)} of the revenue`)
    );
  };
  const label = (p: PeriodConcentration) => `${p.period}${underWay(p) ? ' (to date)' : ''}`;
  const reasons: string[] = [];
  // The months under way are said as far as they go, newest first; the newest complete periods may have no revenue yet (a small segment): say so, then show the latest with revenue.
  for (const current of withRevenue.filter((p) => underWay(p) && p !== latest).reverse()) {
    reasons.push(`${label(current)}: ${current.customers < fewest ? tooFew(current) : `the ${top} brought ${pct(current.topShare!)} of revenue (${customers(current.customers)})`}`);
  }
  const after = periods.slice(periods.indexOf(latest) + 1).filter((p) => !underWay(p));
  if (after.length) reasons.push(`no revenue in ${span(after[0], after[after.length - 1])}`);
  for (const p of complete.length ? complete.slice(-2).reverse() : [latest]) {
    reasons.push(`${label(p)}: ${p.customers < fewest ? tooFew(p) : `the ${top} brought ${pct(p.topShare!)} of revenue (Gini ${fmt(p.gini!, 2)}, ${customers(p.customers)})`}`);
  }
  // The trend: the first month with revenue, unless it is among those just said.
  const said = complete.length ? complete : [latest];
  if (said.length > 2) reasons.push(`${said[0].period} (the window's first with revenue): ${said[0].customers < fewest ? tooFew(said[0]) : `the ${top} brought ${pct(said[0].topShare!)}`}`);
  // The months without revenue between the first with revenue and the headline's, so a trend read from those lines is not taken for an unbroken one.
  const gaps: string[] = [];
  for (let i = periods.indexOf(withRevenue[0]), last = periods.indexOf(latest); i < last; i++) {
    if (periods[i].topShare !== null) continue;
    let j = i;
    while (periods[j + 1].topShare === null) j++; // the headline's period has revenue: the run ends before it
    gaps.push(span(periods[i], periods[j]));
    i = j;
  }
  if (gaps.length) reasons.push(`no revenue in ${gaps.length === 1 ? gaps[0] : `${gaps.slice(0, -1).join(', ')} and ${gaps[gaps.length - 1]}`}`);
  const clamped = periods.reduce((sum, p) => sum + p.negativeClamped, 0);
  if (clamped) reasons.push(`${clamped} negative net revenue${clamped === 1 ? '' : 's'} counted as 0`);
  // With fewer customers than make one in the top share, one customer bringing everything reads as the top share itself: no band.
  if (latest.customers < fewest) {
    reasons.push(`no band: ${customers(latest.customers)} in ${latest.period}, fewer than the ${fewest} it takes for the ${top} to be one customer`);
    return { value: latest.topShare, periods, reasons, modelVersion };
  }
  const band = latest.topShare! >= policy.highAtLeast ? 'high' : latest.topShare! >= policy.mediumAtLeast ? 'medium' : 'low';
  // Which thresholds made the band: a screen showing "low" beside "the top 20% brought 53%" can say why.
  const bounds =
    band === 'high' ? `at least ${pct(policy.highAtLeast)}` : band === 'medium' ? `at least ${pct(policy.mediumAtLeast)}, under ${pct(policy.highAtLeast)}` : `under ${pct(policy.mediumAtLeast)}`;
  reasons.push(`band ${band}: the latest month's top-20% share of ${pct(latest.topShare!)} is ${bounds} (high from ${pct(policy.highAtLeast)}, medium from ${pct(policy.mediumAtLeast)})`);
  return { value: latest.topShare, band, periods, reasons, modelVersion };
}
