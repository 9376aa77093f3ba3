/**
 * RFM: recency, frequency and monetary quintile scores (1-5) over a population,
 * and the usual named segments from R and FM.
 *
 * Quintiles by percent rank with ties at their lower bound (SQL's PERCENT_RANK): a
 * customer's percentile is (customers strictly worse) / (n − 1), and the score is
 * 1 + floor(5 · percentile) (5 at most). Equal values always get equal scores, the
 * order of the input does not matter, a higher value never gets a lower score, the
 * lowest value always scores 1 and a highest value held by one customer 5, and with
 * n distinct values each score holds n/5 customers (give or take one).
 * Why the lower bound: common RFM practice either splits ties arbitrarily (NTILE, pandas
 * qcut on rank(method='first'), a sorted file cut in fifths), so two customers with one
 * purchase each get different F scores by the order they were read in, or ranks a tie by
 * its upper or middle position (CUME_DIST, mid-rank), which lifts a tie shared by many
 * off the bottom: with over 40% of buyers on one purchase day, usual in retail, none got
 * F 1, and "New" and "Promising" (R 5 / 4 with FM 1) stayed empty. By the lower bound a
 * one-time buyer is always F 1 (unless every buyer bought once). So F is not a quintile in a heavily tied base: the tied
 * group holds more than a fifth, and the scores just above it stay empty (52% on one
 * purchase day: F 1, then F 3 for the next value).
 * One customer alone, or a population where everyone is equal on a dimension, scores 3
 * there (the middle: no one to compare with, no evidence either way).
 * - R: fewer days since the last purchase = better (more recent = higher score).
 * - F: more purchases = higher. M: more spend = higher.
 * - FM = round half up of (F + M) / 2.
 *
 * Customers without any purchase (recencyDays null) are not ranked (they would
 * distort the quintiles of the buyers); they get value null and no segment.
 */
import type { ScoreResult } from './score.js';
import { fmt, money } from './format.js';
import { invalidInput } from './scoring.exception.js';

// 2: ties ranked by their lower bound (percent rank), so the lowest value scores 1; 1 ranked them by their middle.
export const RFM_MODEL_VERSION = 'rfm-quintile/2';

/** The segment names an RFM score's band takes (and the customers filter accepts). */
export const RFM_SEGMENTS = [
  'Champions',
  'Loyal',
  'Potential loyalist',
  'New',
  'Promising',
  'Need attention',
  'About to sleep',
  'At risk',
  "Can't lose them",
  'Hibernating',
  'Lost',
] as const;

export type RfmSegment = (typeof RFM_SEGMENTS)[number];

/**
 * Segment by R (rows, 5 = bought most recently) and FM (columns 1..5, 5 = buys
 * most often and spends most):
 *
 * | R \ FM | 1              | 2                  | 3                  | 4               | 5               |
 * |--------|----------------|--------------------|--------------------|-----------------|-----------------|
 * | 5      | New            | Potential loyalist | Potential loyalist | Champions       | Champions       |
 * | 4      | Promising      | Potential loyalist | Potential loyalist | Loyal           | Loyal           |
 * | 3      | About to sleep | About to sleep     | Need attention     | Loyal           | Loyal           |
 * | 2      | Hibernating    | Hibernating        | At risk            | At risk         | Can't lose them |
 * | 1      | Lost           | Lost               | At risk            | At risk         | Can't lose them |
 *
 * (The widely used R×F grid, with its bottom-left "Hibernating" corner split:
 * R = 1 with low FM is "Lost".)
 */
export const RFM_SEGMENT_TABLE: Readonly<Record<1 | 2 | 3 | 4 | 5, readonly [RfmSegment, RfmSegment, RfmSegment, RfmSegment, RfmSegment]>> = {
  5: ['New', 'Potential loyalist', 'Potential loyalist', 'Champions', 'Champions'],
  4: ['Promising', 'Potential loyalist', 'Potential loyalist', 'Loyal', 'Loyal'],
  3: ['About to sleep', 'About to sleep', 'Need attention', 'Loyal', 'Loyal'],
  2: ['Hibernating', 'Hibernating', 'At risk', 'At risk', "Can't lose them"],
  1: ['Lost', 'Lost', 'At risk', 'At risk', "Can't lose them"],
};

export type Quintile = 1 | 2 | 3 | 4 | 5;

export function rfmSegment(r: Quintile, fm: Quintile): RfmSegment {
  const row = RFM_SEGMENT_TABLE[r];
  if (!row || !(fm >= 1 && fm <= 5 && Number.isInteger(fm))) throw invalidInput(`R and FM must be 1..5 (got ${r}, ${fm})`);
  return row[fm - 1];
}

export interface RfmInput {
  customerId: string;
  /** Days since the last purchase (>= 0); null when the customer never bought. */
  recencyDays: number | null;
  /** Number of purchases in the window (>= 0). */
  frequency: number;
  /** Spend in the window, in minor units (>= 0 expected; negative allowed for net refunds). */
  monetary: number;
}

export interface RfmScore extends ScoreResult<number | null> {
  customerId: string;
  /** R·100 + F·10 + M, e.g. 545; null for customers without a purchase (not ranked: they sort with the unscored). */
  value: number | null;
  band?: RfmSegment;
  r: Quintile | null;
  f: Quintile | null;
  m: Quintile | null;
  fm: Quintile | null;
}

/**
 * Where one value stands among n: `below` values are strictly worse, `equal` values
 * (itself included) the same. Quintile by percent rank, ties at their lower bound.
 */
export interface RankPosition {
  below: number;
  equal: number;
}

function quintileOf({ below, equal }: RankPosition, n: number): Quintile {
  if (!(Number.isInteger(below) && Number.isInteger(equal) && below >= 0 && equal >= 1 && below + equal <= n)) {
    throw invalidInput(`rank position must satisfy 0 <= below, 1 <= equal, below + equal <= n (got ${below}, ${equal}, ${n})`);
  }
  if (equal === n) return 3;
  // 5·below/(n − 1) in one division of integers: exact where it is a whole number (a bound between two quintiles).
  return Math.min(5, 1 + Math.floor((5 * below) / (n - 1))) as Quintile;
}

/**
 * The customers a buyer beats among `n`, in words that stay true: their share floored to a whole percent (243 of 244
 * is "99%", not "100%"), or their number when under 1% ("1 of 244", not "0%"); null when none.
 */
function beatenText({ below }: RankPosition, n: number): string | null {
  if (below === 0) return null;
  const percent = Math.floor((100 * below) / n + 1e-9);
  return percent >= 1 ? `${percent}% of customers` : `${below} of ${fmt(n, 0)} customers`;
}

export interface RfmOptions {
  /** Formats monetary values for reasons (default: minor units as "1,234.56"). */
  formatMoney?: (minor: number) => string;
}

/** The RFM score of a customer without a purchase. */
export function unranked(customerId: string): RfmScore {
  return { customerId, value: null, r: null, f: null, m: null, fm: null, reasons: ['no purchase yet: not ranked'], modelVersion: RFM_MODEL_VERSION };
}

/**
 * The RFM score of one buyer from where they stand among all `buyers` (the positions
 * can come from a set-based ranking in SQL, so a page of customers is scored against
 * the whole base). Recency ranks "better" for fewer days.
 */
export function rankedRfm(c: RfmInput, at: { r: RankPosition; f: RankPosition; m: RankPosition }, buyers: number, options: RfmOptions = {}): RfmScore {
  const formatMoney = options.formatMoney ?? ((v: number) => money(v));
  if (c.recencyDays === null) throw invalidInput(`customer ${c.customerId} has no purchase to rank`, { customerId: c.customerId });
  const [r, f, m] = [quintileOf(at.r, buyers), quintileOf(at.f, buyers), quintileOf(at.m, buyers)];
  const fm = Math.floor((f + m + 1) / 2) as Quintile;
  const segment = rfmSegment(r, fm);
  const days = c.recencyDays;
  const than = (position: RankPosition, more: string) => {
    if (buyers === 1) return '';
    const beaten = beatenText(position, buyers);
    return ` (${beaten ? `${more} than ${beaten}` : `not ${more} than any other customer`})`;
  };
  const reasons = [
    `last purchase ${days === 1 ? '1 day' : `${days} days`} ago${than(at.r, 'more recent')}: R ${r}`,
    `bought on ${c.frequency} day${c.frequency === 1 ? '' : 's'}${than(at.f, 'more')}: F ${f}`,
    `spent ${formatMoney(c.monetary)}${than(at.m, 'more')}: M ${m}`,
    `segment ${segment} (R ${r}, FM ${fm})`,
  ];
  if (buyers === 1) reasons.push('only customer with purchases: middle scores');
  return { customerId: c.customerId, value: r * 100 + f * 10 + m, band: segment, r, f, m, fm, reasons, modelVersion: RFM_MODEL_VERSION };
}
