/**
 * How long a customer's score history keeps every snapshot, and how it thins older ones.
 * A nightly rescore writes one snapshot per customer (about 1.5 KB with its reasons):
 * kept forever, 100k customers grow the history by ~60 GB a year, while nobody reads
 * last year's scores day by day. Older snapshots are thinned to one per customer, kind
 * and week, then per month: the history keeps its shape (a band's change still shows,
 * within its period) at a fraction of the size.
 */

export type HistoryPeriod = 'week' | 'month';

export interface HistoryTier {
  /** Snapshots computed more than this many days ago are thinned... */
  olderThanDays: number;
  /** ...to the newest one per customer, kind and period (UTC weeks start on Monday). */
  keepOnePer: HistoryPeriod;
}

export interface ScoreHistoryPolicy {
  version: number;
  /** Thinned in order; a later tier thins what an earlier one kept. */
  tiers: HistoryTier[];
  /** How long thinning one period may take before it is retried. */
  periodTimeoutSeconds: number;
  /** Periods per workflow execution before it continues as new (a first pass over years of history). */
  periodsPerExecution: number;
}

export const defaultScoreHistoryPolicy: ScoreHistoryPolicy = {
  version: 1,
  tiers: [
    { olderThanDays: 90, keepOnePer: 'week' },
    { olderThanDays: 730, keepOnePer: 'month' },
  ],
  periodTimeoutSeconds: 600,
  periodsPerExecution: 100,
};

const MS_PER_DAY = 86_400_000;

/** A tier's name as its progress is recorded under ("week-after-90d"). */
export const tierKey = (tier: HistoryTier): string => `${tier.keepOnePer}-after-${tier.olderThanDays}d`;

/** The start (UTC midnight) of the week (Monday) or month holding `at`. */
export function periodStart(at: Date, per: HistoryPeriod): Date {
  if (per === 'month') return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  const midnight = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  const daysSinceMonday = (at.getUTCDay() + 6) % 7;
  return new Date(midnight - daysSinceMonday * MS_PER_DAY);
}

/** The start of the period after the one starting at `start`. */
export function nextPeriodStart(start: Date, per: HistoryPeriod): Date {
  if (per === 'month') return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
  return new Date(start.getTime() + 7 * MS_PER_DAY);
}

export interface HistoryPeriodRange {
  from: Date;
  /** Exclusive. */
  to: Date;
}

/**
 * The next period of a tier to thin: the one after the last thinned (`thinnedUntil`), or
 * the one holding the oldest snapshot on a first pass; null when that period does not lie
 * wholly before the tier's cutoff yet (only whole periods are thinned, each once).
 */
export function nextPeriodToThin(tier: HistoryTier, thinnedUntil: Date | null, oldest: Date | null, now: Date): HistoryPeriodRange | null {
  const start = thinnedUntil ?? oldest;
  if (start === null) return null;
  const from = periodStart(start, tier.keepOnePer);
  const to = nextPeriodStart(from, tier.keepOnePer);
  return to.getTime() <= thinningCutoff(tier, now).getTime() ? { from, to } : null;
}

/** The tier's cutoff: snapshots computed before it are old enough to thin. */
export const thinningCutoff = (tier: HistoryTier, now: Date): Date => new Date(now.getTime() - tier.olderThanDays * MS_PER_DAY);
