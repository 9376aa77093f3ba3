import { defaultScoreHistoryPolicy, nextPeriodStart, nextPeriodToThin, periodStart, thinningCutoff, tierKey, type HistoryTier } from './score-history.js';

const at = (iso: string) => new Date(iso);
const weekly: HistoryTier = { olderThanDays: 90, keepOnePer: 'week' };
const monthly: HistoryTier = { olderThanDays: 730, keepOnePer: 'month' };

describe('score history periods (UTC)', () => {
  it('starts a week on Monday midnight, whatever the day and hour', () => {
    // 2026-11-30 is a Monday.
    expect(periodStart(at('2026-11-30T00:00:00Z'), 'week')).toEqual(at('2026-11-30T00:00:00Z'));
    expect(periodStart(at('2026-12-06T23:59:59Z'), 'week')).toEqual(at('2026-11-30T00:00:00Z'));
    expect(periodStart(at('2026-12-01T13:45:00Z'), 'week')).toEqual(at('2026-11-30T00:00:00Z'));
    // across a year's end: Thursday 2026-01-01 belongs to the week of Monday 2025-12-29
    expect(periodStart(at('2026-01-01T08:00:00Z'), 'week')).toEqual(at('2025-12-29T00:00:00Z'));
  });

  it('starts a month on its first day and steps over months of any length', () => {
    expect(periodStart(at('2026-02-28T22:00:00Z'), 'month')).toEqual(at('2026-02-01T00:00:00Z'));
    expect(nextPeriodStart(at('2026-02-01T00:00:00Z'), 'month')).toEqual(at('2026-03-01T00:00:00Z'));
    expect(nextPeriodStart(at('2026-12-01T00:00:00Z'), 'month')).toEqual(at('2027-01-01T00:00:00Z'));
    expect(nextPeriodStart(at('2026-11-30T00:00:00Z'), 'week')).toEqual(at('2026-12-07T00:00:00Z'));
  });

  it('names each tier by what it keeps, so a changed policy starts its own progress', () => {
    expect(defaultScoreHistoryPolicy.tiers.map(tierKey)).toEqual(['week-after-90d', 'month-after-730d']);
  });
});

describe('the next period to thin', () => {
  const now = at('2026-12-01T04:00:00Z');

  it('is none while no snapshot exists or none is old enough', () => {
    expect(nextPeriodToThin(weekly, null, null, now)).toBeNull();
    expect(nextPeriodToThin(weekly, null, at('2026-11-01T02:00:00Z'), now)).toBeNull();
  });

  it('starts on a first pass with the week of the oldest snapshot', () => {
    expect(nextPeriodToThin(weekly, null, at('2026-01-07T02:00:00Z'), now)).toEqual({ from: at('2026-01-05T00:00:00Z'), to: at('2026-01-12T00:00:00Z') });
  });

  it('goes on after the last thinned period, whatever older snapshot there is', () => {
    expect(nextPeriodToThin(weekly, at('2026-03-02T00:00:00Z'), at('2026-01-07T02:00:00Z'), now)).toEqual({ from: at('2026-03-02T00:00:00Z'), to: at('2026-03-09T00:00:00Z') });
  });

  it('thins only whole periods that ended before the cutoff', () => {
    // cutoff 90 days before now: 2026-09-02T04:00Z (a Wednesday)
    expect(thinningCutoff(weekly, now)).toEqual(at('2026-09-02T04:00:00Z'));
    expect(nextPeriodToThin(weekly, at('2026-08-24T00:00:00Z'), null, now)).toEqual({ from: at('2026-08-24T00:00:00Z'), to: at('2026-08-31T00:00:00Z') });
    // the week of Monday 2026-08-31 straddles the cutoff: not yet
    expect(nextPeriodToThin(weekly, at('2026-08-31T00:00:00Z'), null, now)).toBeNull();
    // a month ends exactly at its cutoff: thinned
    expect(nextPeriodToThin(monthly, at('2024-11-01T00:00:00Z'), null, at('2026-12-01T00:00:00Z'))).toEqual({ from: at('2024-11-01T00:00:00Z'), to: at('2024-12-01T00:00:00Z') });
    expect(nextPeriodToThin(monthly, at('2024-12-01T00:00:00Z'), null, at('2026-12-01T00:00:00Z'))).toBeNull();
  });
});
