/**
 * Which service tier a customer was on, day by day, from their tier changes: the profitability
 * window counts the fee margin of the tier held each day. Counting today's tier for the whole
 * window would make an account that took a richer tier last week look as if it had paid that
 * tier's fee all year (and one that moved down look as if it never had).
 */
import { dayNumber, type DateLike } from '../dates.js';

/**
 * A move from one tier to another, in effect from its own day (the customer's calendar day: a day scored as UTC's, as
 * the nightly rescore does, may still be on the tier before a move made east of UTC on what is the next day there).
 */
export interface TierChange {
  day: DateLike;
  fromTier: string;
  toTier: string;
}

/** The tier on `day`: the one the first change after it moved from; with none after it, the tier held now. */
export function tierOn(day: DateLike, changes: readonly TierChange[], currentTier: string): string {
  const d = dayNumber(day);
  const next = sortedChanges(changes).find((c) => dayNumber(c.day) > d);
  return next ? next.fromTier : currentTier;
}

/**
 * How many of the `days` days ending with `asOf` (inclusive) the customer spent on each tier, in
 * the order they held them (tiers held again are counted once, together); tiers of no day left out.
 */
export function tierDays(changes: readonly TierChange[], currentTier: string, asOf: DateLike, days: number): { tier: string; days: number }[] {
  const end = dayNumber(asOf);
  const counted = new Map<string, number>();
  let from = end - days + 1;
  for (const c of sortedChanges(changes)) {
    const change = dayNumber(c.day);
    if (change <= from) continue;
    if (change > end) break;
    counted.set(c.fromTier, (counted.get(c.fromTier) ?? 0) + (change - from));
    from = change;
  }
  const last = tierOn(asOf, changes, currentTier);
  if (end - from + 1 > 0) counted.set(last, (counted.get(last) ?? 0) + (end - from + 1));
  return [...counted].filter(([, n]) => n > 0).map(([tier, n]) => ({ tier, days: n }));
}

function sortedChanges(changes: readonly TierChange[]): TierChange[] {
  return [...changes].sort((a, b) => dayNumber(a.day) - dayNumber(b.day));
}
