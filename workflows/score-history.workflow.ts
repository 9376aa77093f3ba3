import { continueAsNew, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { ScoringActivities } from '../src/activities/scoring.activities.js';
import type { ScoreHistoryPolicy } from '../src/domain/scoring/score-history.js';
import { stepRetry } from './activity-options.js';

export interface ThinningTotals {
  periods: number;
  /** Snapshots deleted. */
  deleted: number;
}

export interface ThinScoreHistoryInput {
  policy: ScoreHistoryPolicy;
  /** Carried over by continue-as-new; where each tier stands is kept in the database. */
  totals?: ThinningTotals;
}

/**
 * Thins old score history, tier by tier (by default weekly after 90 days, then monthly), one whole
 * period per step, oldest first, until no period is old enough. Nightly, that is one new
 * week now and then; the first pass over years of history continues as new as it goes.
 */
export async function thinScoreHistory(input: ThinScoreHistoryInput): Promise<ThinningTotals> {
  const { policy } = input;
  const { thinScoreHistoryPeriod } = proxyActivities<ScoringActivities>({
    startToCloseTimeout: policy.periodTimeoutSeconds * 1000,
    retry: stepRetry,
  });
  const totals = input.totals ?? { periods: 0, deleted: 0 };
  let periodsThisExecution = 0;
  for (const tier of policy.tiers) {
    for (;;) {
      if (periodsThisExecution >= policy.periodsPerExecution) return continueAsNew<typeof thinScoreHistory>({ policy, totals });
      const period = await thinScoreHistoryPeriod(tier);
      if (!period) break;
      periodsThisExecution++;
      totals.periods++;
      totals.deleted += period.deleted;
      setCurrentDetails(`Thinned ${period.tier} up to ${period.to.slice(0, 10)}: ${totals.deleted} snapshots deleted in ${totals.periods} periods`);
    }
  }
  return totals;
}
