import { errorFunction } from 'simple-statistics';

/**
 * Did the playbook work? A rate of the treated group (e.g. customers who ordered again)
 * against the holdout's, with how far chance alone could explain the difference: the 95%
 * interval of the difference (Newcombe's hybrid score interval, sound for small groups and
 * rates near 0 or 1) and the two-sided p-value of the two-proportion z-test. The z-test leans
 * on the normal approximation, which does not hold for small groups or rare events: with an
 * expected count below 5 in any cell of the two-by-two table, no p-value is given (a holdout of
 * 3 with one order would otherwise make a "significant" result of one customer).
 */
export interface Rate {
  /** Members (or invoices) for which it happened. */
  count: number;
  /** Members (or invoices) it could have happened for. */
  of: number;
}

export interface RateComparison {
  treatedRate: number | null;
  holdoutRate: number | null;
  /** treatedRate - holdoutRate. */
  difference: number | null;
  /** The 95% interval of the difference; it holds 0 when chance alone could explain it. */
  low: number | null;
  high: number | null;
  /** How likely a difference at least this large would be if the playbook changed nothing; null when `smallSample`. */
  pValue: number | null;
  /**
   * Too few for the z-test: a group is empty, or in some group the count expected (at the two
   * groups' pooled rate) of those it happened for, or of those it did not, is below 5.
   */
  smallSample: boolean;
}

/** The smallest expected cell count at which the z-test's normal approximation is taken to hold (Cochran's rule). */
export const MIN_EXPECTED_COUNT = 5;

/** The standard normal quantile of 0.975. */
const Z95 = 1.959963984540054;

export function compareRates(treated: Rate, holdout: Rate): RateComparison {
  for (const [group, r] of [['treated', treated], ['holdout', holdout]] as const) {
    if (!(Number.isInteger(r.count) && Number.isInteger(r.of) && r.count >= 0 && r.count <= r.of)) throw new RangeError(`${group}: count must be a whole number from 0 to of (got ${r.count} of ${r.of})`);
  }
  const treatedRate = treated.of ? treated.count / treated.of : null;
  const holdoutRate = holdout.of ? holdout.count / holdout.of : null;
  if (treatedRate === null || holdoutRate === null) return { treatedRate, holdoutRate, difference: null, low: null, high: null, pValue: null, smallSample: true };
  const difference = treatedRate - holdoutRate;
  const [l1, u1] = wilson(treatedRate, treated.of);
  const [l2, u2] = wilson(holdoutRate, holdout.of);
  const low = difference - Math.sqrt((treatedRate - l1) ** 2 + (u2 - holdoutRate) ** 2);
  const high = difference + Math.sqrt((u1 - treatedRate) ** 2 + (holdoutRate - l2) ** 2);
  const pooled = (treated.count + holdout.count) / (treated.of + holdout.of);
  // The counts expected in each group under "no difference", either way; all or none in both groups gives 0.
  const smallSample = Math.min(treated.of, holdout.of) * Math.min(pooled, 1 - pooled) < MIN_EXPECTED_COUNT;
  if (smallSample) return { treatedRate, holdoutRate, difference, low, high, pValue: null, smallSample };
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / treated.of + 1 / holdout.of));
  const pValue = 1 - errorFunction(Math.abs(difference) / se / Math.SQRT2);
  return { treatedRate, holdoutRate, difference, low, high, pValue, smallSample };
}

/** Wilson's score interval of a rate p over n. */
function wilson(p: number, n: number): [number, number] {
  const z2 = Z95 * Z95;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z95 / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [centre - half, centre + half];
}

/**
 * Why a campaign's outcome will compare little, told before its launch while the groups can still be changed (a larger
 * segment, a larger holdout): `no-holdout`, a holdout was asked for and the draw held nobody back, so nothing is compared;
 * `groups-too-small`, a group has fewer than twice MIN_EXPECTED_COUNT members, so even a rate of one half (the rate that
 * needs the fewest) gives no p-value (also when nobody is to be enrolled at all); `holdout-in-playbook`, half the holdout or more is in a run of the playbook already,
 * so the comparison sets the playbook against itself. Null when none applies, and when no holdout is asked for.
 * One is said, the one that decides: a holdout in the playbook already is said before groups too small, since larger
 * groups do not help it (a marketer told to enlarge the holdout would learn only then that it gets the playbook).
 */
export type ComparisonWarning = 'no-holdout' | 'groups-too-small' | 'holdout-in-playbook';

export function comparisonWarning(groups: { holdoutPercent: number; treated: number; holdout: number; holdoutInRun: number }): ComparisonWarning | null {
  const { holdoutPercent, treated, holdout, holdoutInRun } = groups;
  if (holdoutPercent === 0) return null;
  // Nobody to enrol now: nothing will be compared, whichever group is empty.
  if (treated + holdout === 0) return 'groups-too-small';
  if (holdout === 0) return 'no-holdout';
  if (holdoutInRun * 2 >= holdout) return 'holdout-in-playbook';
  if (Math.min(treated, holdout) < 2 * MIN_EXPECTED_COUNT) return 'groups-too-small';
  return null;
}
