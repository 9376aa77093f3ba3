import { ApplicationFailure, log } from '@temporalio/activity';
import { ScoringException, ScoringExceptionCode } from '../domain/scoring/scoring.exception.js';
import { heartbeating } from './heartbeating.js';
import type { WorkerServices } from '../services/index.js';
import type { FittedModels } from '../domain/scoring/index.js';
import type { HistoryTier } from '../domain/scoring/score-history.js';
import type { PageResult } from '../services/scores/scoring-run.service.js';

/**
 * A step of a run whose record has already ended (its workflow reset in Temporal after the run was abandoned, cancelled or
 * completed) fails for good, not retried: the rescore's workflow ends as failed, its failure saying to start another
 * rescore, instead of "completing" having scored nobody. Any other failure is retried as before.
 */
async function refusedForEndedRun<T>(step: Promise<T>): Promise<T> {
  try {
    return await step;
  } catch (error) {
    if (error instanceof ScoringException && error.code === ScoringExceptionCode.RunAlreadyFinished) {
      throw ApplicationFailure.create({ message: error.message, type: 'ScoringRunEnded', nonRetryable: true, details: [error.details] });
    }
    throw error;
  }
}

/** The rescore and history-thinning workflows' steps; thin calls into the scoring services, each safe to retry. */
export function createScoringActivities(services: () => WorkerServices) {
  const runs = () => services().scoringRuns;
  return {
    /** Records the run, ends earlier runs whose workflows ended without completing them, and settles starts by hand left unsettled. */
    async beginScoringRun(input: { runId: string; trigger: string; asOf: string }): Promise<void> {
      await refusedForEndedRun(runs().begin(input));
      await services().scoring.endAbandonedRuns();
      // Bookkeeping of other runs' starts: a failure here must not fail this run's beginning (the next rescore tries again).
      await services()
        .scoring.settleUnsettledStarts()
        .catch((error: unknown) => log.warn('settling rescore starts left unsettled failed; the next rescore tries again', { error: String(error) }));
    },
    prepareScoringRun(input: { runId: string; pageSize: number }): Promise<{ population: number; buyers: number; pageStarts: (string | null)[] }> {
      return refusedForEndedRun(heartbeating(runs().prepare(input.runId, input.pageSize)));
    },
    async fitScoreModels(runId: string): Promise<{ models: FittedModels; notFitted: { kind: string; reason: string }[] }> {
      const { models, notFitted, fits } = await refusedForEndedRun(runs().fitModels(runId));
      // The scores' reasons say it to a reader of each score; this says it to whoever watches the worker.
      for (const fit of fits.filter((f) => !f.converged)) {
        log.warn(
          fit.scoredWith
            ? `the rescore's ${fit.kind} fit did not converge: scoring with the converged fit of the rescore as of ${fit.scoredWith.asOf}`
            : `the rescore's ${fit.kind} fit did not converge and no earlier fit did: scoring with the parameters where it stopped (uncertain values; the scores' reasons say so)`,
          { runId, kind: fit.kind, modelVersion: fit.modelVersion, params: fit.params, customers: fit.customers, scoredWith: fit.scoredWith?.runId ?? null },
        );
      }
      // Converged or not, a parameter that ran off is no estimate: only its ratio to another is (a and b where hardly anyone seems to drop out).
      for (const fit of fits.filter((f) => f.runOff.length > 0)) {
        log.warn(
          `the rescore's ${fit.kind} fit: ${fit.runOff.join(', ')} ran off towards 0 or infinity: the data pins down at most a ratio of them, not each (too few customers, or hardly anyone seems to drop out)`,
          { runId, kind: fit.kind, modelVersion: fit.modelVersion, runOff: fit.runOff, params: fit.params, converged: fit.converged, customers: fit.customers },
        );
      }
      return { models, notFitted };
    },
    scoreCustomerPage(input: { runId: string; after: string | null; until?: string | null; limit?: number; models: FittedModels }): Promise<PageResult> {
      return refusedForEndedRun(heartbeating(runs().scorePage(input)));
    },
    async completeScoringRun(runId: string): Promise<{ scoredCustomers: number; snapshots: number }> {
      const run = await refusedForEndedRun(runs().complete(runId));
      return { scoredCustomers: run.scoredCustomers ?? 0, snapshots: run.snapshots ?? 0 };
    },
    /** Ends a cancelled run: its totals so far, its work rows dropped. */
    async cancelScoringRun(runId: string): Promise<void> {
      await runs().cancel(runId);
    },
    /** Thins the tier's next whole period that is old enough; null when none is. */
    async thinScoreHistoryPeriod(tier: HistoryTier): Promise<{ tier: string; from: string; to: string; deleted: number; kept: number } | null> {
      const period = await services().scoreHistory.thinNextPeriod(tier);
      return period && { ...period, from: period.from.toISOString(), to: period.to.toISOString() };
    },
  };
}

export type ScoringActivities = ReturnType<typeof createScoringActivities>;
