/**
 * Behaviour change: the time since the last purchase against the customer's own
 * usual rhythm (the mean and spread of the gaps between their purchases).
 *
 *   value = (days since last purchase - mean gap) / max(sd of gaps, floor)
 *
 * a z-like score: 0 = right on rhythm, 2 = two usual spreads later than usual;
 * negative = earlier than the usual gap has passed. The spread is the sample
 * standard deviation of the gaps (n-1); its floor (a share of the mean gap, and
 * at least `minSpreadDays`) keeps a perfectly regular buyer from jumping to a
 * huge score one day after the usual gap. Purchases on one day count once;
 * purchases after `asOf` are ignored. At least `minGaps` gaps (minGaps + 1
 * purchase days) are needed, else the value is null with the reason "not enough
 * history".
 */
import { dayNumber, type DateLike } from '../dates.js';
import { fmt } from './format.js';
import { withPolicyVersion, type ScoreResult } from './score.js';
import { invalidInput } from './scoring.exception.js';

export const BEHAVIOUR_CHANGE_MODEL_VERSION = 'behaviour-change/1';

export interface BehaviourChangePolicy {
  version: number;
  /** Gaps between purchase days needed for a rhythm (default 2). */
  minGaps: number;
  /** Score from which the band is "later-than-usual" / "overdue". */
  laterThanUsualAt: number;
  overdueAt: number;
  /** Floor of the spread as a share of the mean gap (default 0.25). */
  minSpreadShare: number;
  /** Floor of the spread in days (default 1). */
  minSpreadDays: number;
}

export const defaultBehaviourChangePolicy: BehaviourChangePolicy = { version: 1, minGaps: 2, laterThanUsualAt: 1, overdueAt: 2, minSpreadShare: 0.25, minSpreadDays: 1 };

export const BEHAVIOUR_CHANGE_BANDS = ['in-rhythm', 'later-than-usual', 'overdue', 'not-enough-history'] as const;

export type BehaviourChangeBand = (typeof BEHAVIOUR_CHANGE_BANDS)[number];

export interface BehaviourChangeScore extends ScoreResult<number | null> {
  band: BehaviourChangeBand;
  daysSinceLastPurchase: number | null;
  meanGapDays: number | null;
  gapSpreadDays: number | null;
  /** Days since the last purchase / mean gap (1 = exactly one usual gap). */
  ratio: number | null;
  gaps: number;
}

export interface PurchaseRhythm {
  /** Distinct purchase days so far (gaps = purchaseDays - 1). */
  purchaseDays: number;
  daysSinceLastPurchase: number | null;
  /** Mean and sample standard deviation (n-1) of the gaps in days; null with fewer than 2 gaps. */
  meanGapDays: number | null;
  gapSdDays: number | null;
}

/** The purchase rhythm of one customer from their purchase dates (purchases after `asOf` ignored). */
export function purchaseRhythm(purchaseDates: readonly DateLike[], asOf: DateLike): PurchaseRhythm {
  const today = dayNumber(asOf);
  const days = [...new Set(purchaseDates.map(dayNumber))].filter((d) => d <= today).sort((a, b) => a - b);
  const gaps = days.slice(1).map((d, i) => d - days[i]);
  const mean = gaps.length ? gaps.reduce((s, g) => s + g, 0) / gaps.length : null;
  const sd = gaps.length >= 2 ? Math.sqrt(gaps.reduce((s, g) => s + (g - mean!) ** 2, 0) / (gaps.length - 1)) : null;
  return { purchaseDays: days.length, daysSinceLastPurchase: days.length ? today - days[days.length - 1] : null, meanGapDays: gaps.length >= 2 ? mean : null, gapSdDays: sd };
}

/** The behaviour-change score from a customer's purchase dates. */
export function behaviourChange(purchaseDates: readonly DateLike[], asOf: DateLike, policy: BehaviourChangePolicy = defaultBehaviourChangePolicy): BehaviourChangeScore {
  return behaviourChangeFromRhythm(purchaseRhythm(purchaseDates, asOf), policy);
}

/**
 * The behaviour-change score from rhythm statistics (e.g. computed set-based in
 * SQL: count of distinct purchase days, avg and stddev_samp of the gaps, days
 * since the last purchase).
 */
export function behaviourChangeFromRhythm(rhythm: PurchaseRhythm, policy: BehaviourChangePolicy = defaultBehaviourChangePolicy): BehaviourChangeScore {
  if (!(Number.isInteger(policy.minGaps) && policy.minGaps >= 2)) throw invalidInput('minGaps must be a whole number >= 2 (a spread needs two gaps)');
  const { purchaseDays, daysSinceLastPurchase: since, meanGapDays: mean, gapSdDays: sd } = rhythm;
  if (!(Number.isInteger(purchaseDays) && purchaseDays >= 0)) throw invalidInput(`purchaseDays must be a whole number >= 0 (got ${purchaseDays})`);
  if (purchaseDays > 0 && !(since !== null && Number.isFinite(since) && since >= 0)) throw invalidInput('daysSinceLastPurchase must be >= 0 when there are purchases');
  const modelVersion = withPolicyVersion(BEHAVIOUR_CHANGE_MODEL_VERSION, policy.version);
  const gaps = Math.max(0, purchaseDays - 1);
  const ago = (d: number) => `last purchase ${d === 1 ? '1 day' : `${d} days`} ago`;
  if (gaps < policy.minGaps || mean === null || sd === null) {
    const had = purchaseDays === 0 ? 'no purchase yet' : `${purchaseDays} purchase day${purchaseDays === 1 ? '' : 's'} so far`;
    const reasons = [`not enough history: ${had}; a usual rhythm needs at least ${policy.minGaps + 1} purchase days (${policy.minGaps} gaps)`];
    if (purchaseDays > 0) reasons.push(ago(since!));
    return { value: null, band: 'not-enough-history', reasons, modelVersion, daysSinceLastPurchase: purchaseDays ? since : null, meanGapDays: null, gapSpreadDays: null, ratio: null, gaps };
  }
  if (!(mean > 0 && sd >= 0)) throw invalidInput('meanGapDays must be > 0 and gapSdDays >= 0');
  const spread = Math.max(sd, policy.minSpreadShare * mean, policy.minSpreadDays);
  const value = (since! - mean) / spread;
  const ratio = since! / mean;
  const band: BehaviourChangeBand = value >= policy.overdueAt ? 'overdue' : value >= policy.laterThanUsualAt ? 'later-than-usual' : 'in-rhythm';
  const days = (d: number) => (d === 1 ? '1 day' : `${d} days`);
  // Before the usual gap has passed, its days say it plainly ("4 days into a usual gap of 92 days", not "0× the usual gap").
  const within = since! <= mean ? `${days(since!)} into a usual gap of ${fmt(mean, 0)} days` : `${fmt(ratio, 1)}× the usual gap`;
  const reasons = [
    `${ago(since!)}; usually buys every ${fmt(mean, 0)} days (±${fmt(sd, 0)})`,
    band === 'in-rhythm' ? `within the usual rhythm: ${within}` : `${fmt(ratio, 1)}× the usual gap, ${fmt(value, 1)} spreads later than usual`,
    `rhythm from ${purchaseDays} purchase days`,
  ];
  if (sd < spread) reasons.push(`spread taken as ${fmt(spread, 1)} days (the minimum for very regular buyers)`);
  return { value, band, reasons, modelVersion, daysSinceLastPurchase: since, meanGapDays: mean, gapSpreadDays: sd, ratio, gaps };
}
