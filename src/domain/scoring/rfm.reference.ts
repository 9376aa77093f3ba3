/**
 * The plain reference for RFM: `scoreRfm` ranks a whole population in memory. The tests hold
 * the production path equal to it: the rescore ranks the population in SQL and scores each
 * customer with `rankedRfm` (rfm.ts) from those rank positions. Used by tests only.
 */
import { invalidInput } from './scoring.exception.js';
import { rankedRfm, unranked, type RankPosition, type RfmInput, type RfmOptions, type RfmScore } from './rfm.js';

/** RFM scores of every customer of the population, in input order. */
export function scoreRfm(population: readonly RfmInput[], options: RfmOptions = {}): RfmScore[] {
  for (const c of population) {
    if (c.recencyDays !== null && !(Number.isFinite(c.recencyDays) && c.recencyDays >= 0)) throw invalidInput(`recencyDays must be >= 0 or null (customer ${c.customerId})`, { customerId: c.customerId });
    if (!(Number.isFinite(c.frequency) && c.frequency >= 0)) throw invalidInput(`frequency must be >= 0 (customer ${c.customerId})`, { customerId: c.customerId });
    if (!Number.isFinite(c.monetary)) throw invalidInput(`monetary must be finite (customer ${c.customerId})`, { customerId: c.customerId });
  }
  const buyers = population.filter((c) => c.recencyDays !== null);
  const rp = positions(buyers.map((c) => c.recencyDays!), false);
  const fp = positions(buyers.map((c) => c.frequency), true);
  const mp = positions(buyers.map((c) => c.monetary), true);
  let next = 0;
  const buyerIndex = population.map((c) => (c.recencyDays === null ? -1 : next++));
  return population.map((c, k) => {
    const i = buyerIndex[k];
    return i < 0 ? unranked(c.customerId) : rankedRfm(c, { r: rp[i], f: fp[i], m: mp[i] }, buyers.length, options);
  });
}

/** Rank position of each value against all of them. */
function positions(values: number[], higherIsBetter: boolean): RankPosition[] {
  const n = values.length;
  const sorted = values.map((v) => (higherIsBetter ? v : -v)).sort((a, b) => a - b);
  // first index of each value, and count of equal values, by binary search
  const lowerBound = (v: number) => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const upperBound = (v: number) => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] <= v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return values.map((raw) => {
    const v = higherIsBetter ? raw : -raw;
    const below = lowerBound(v);
    return { below, equal: upperBound(v) - below };
  });
}
