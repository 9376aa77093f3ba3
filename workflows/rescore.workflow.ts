import { ActivityCancellationType, CancellationScope, CancelledFailure, ContinueAsNew, continueAsNew, defineQuery, isCancellation, patched, proxyActivities, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import type { ScoringActivities } from '../src/activities/scoring.activities.js';
import type { FittedModels } from '../src/domain/scoring/customer-scores.js';
import type { RescorePolicy } from '../src/domain/scoring/scoring-policy.js';
import { pageRanges } from '../src/domain/scoring/score-pages.js';
import { ScheduledStartTimeKey } from './search-attributes.js';
import { stepRetry } from './activity-options.js';

/** The run's steps, with the time each may take from the policy. */
function steps(policy: RescorePolicy) {
  // On cancellation, a step under way finishes first, so nothing it writes lands after the run has been cleaned up.
  const common = { retry: stepRetry, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED };
  const short = proxyActivities<ScoringActivities>({ ...common, startToCloseTimeout: '1 minute' });
  const gather = proxyActivities<ScoringActivities>({
    ...common,
    startToCloseTimeout: policy.gatherTimeoutSeconds * 1000,
    // (Runs started before the policy had a heartbeat have none.)
    heartbeatTimeout: policy.gatherHeartbeatSeconds ? policy.gatherHeartbeatSeconds * 1000 : undefined,
  });
  // Fitting is one stretch of CPU in the worker: it cannot report while it runs, so its own short timeout bounds a lost worker.
  const fit = proxyActivities<ScoringActivities>({ ...common, startToCloseTimeout: (policy.fitTimeoutSeconds ?? policy.gatherTimeoutSeconds) * 1000 });
  const page = proxyActivities<ScoringActivities>({
    ...common,
    startToCloseTimeout: policy.pageTimeoutSeconds * 1000,
    // (Runs started before the policy had one have none.)
    heartbeatTimeout: policy.pageHeartbeatSeconds ? policy.pageHeartbeatSeconds * 1000 : undefined,
  });
  return {
    beginScoringRun: short.beginScoringRun,
    prepareScoringRun: gather.prepareScoringRun,
    fitScoreModels: fit.fitScoreModels,
    scoreCustomerPage: page.scoreCustomerPage,
    completeScoringRun: short.completeScoringRun,
    cancelScoringRun: short.cancelScoringRun,
  };
}

export type RescorePhase = 'starting' | 'gathering' | 'fitting' | 'scoring' | 'completing' | 'completed' | 'cancelled';

export interface RescoreProgress {
  runId: string;
  asOf: string;
  phase: RescorePhase;
  population: number | null;
  buyers: number | null;
  customersScored: number;
  pages: number;
  pagesTotal: number | null;
  models: FittedModels | null;
  notFitted: { kind: string; reason: string }[];
}

export interface RescoreInput {
  /** `schedule` or the admin who asked for it. */
  trigger: string;
  policy: RescorePolicy;
  /** The day to score (UTC, YYYY-MM-DD); default: the day the schedule meant it for (a backfilled night too), or today. */
  asOf?: string;
  /** Carried over by continue-as-new: the progress so far and the pages still to score (by the customer ID each starts after). */
  resume?: { progress: RescoreProgress; pending: (string | null)[] };
}

export const rescoreProgressQuery = defineQuery<RescoreProgress>('progress');

/**
 * Rescores the whole base: gather aggregates, fit the models, score page by page, complete.
 * Cancelled by an operator, it keeps the pages scored so far and ends the run as cancelled.
 */
export async function rescoreCustomerBase(input: RescoreInput): Promise<RescoreProgress> {
  const runId = workflowInfo().workflowId;
  const { beginScoringRun, prepareScoringRun, fitScoreModels, scoreCustomerPage, completeScoringRun, cancelScoringRun } = steps(input.policy);
  const progress: RescoreProgress = input.resume?.progress ?? {
    runId,
    asOf: input.asOf ?? dayToScore(),
    phase: 'starting',
    population: null,
    buyers: null,
    customersScored: 0,
    pages: 0,
    pagesTotal: null,
    models: null,
    notFitted: [],
  };
  let pending = input.resume?.pending ?? [];
  setHandler(rescoreProgressQuery, () => progress, { description: 'Phase, customers and pages scored so far (of how many), and the fitted models' });

  try {
    if (!input.resume) {
      await beginScoringRun({ runId, trigger: input.trigger, asOf: progress.asOf });

      progress.phase = 'gathering';
      setCurrentDetails(`Gathering purchase aggregates as of ${progress.asOf}`);
      const gathered = await prepareScoringRun({ runId, pageSize: input.policy.pageSize });
      Object.assign(progress, { population: gathered.population, buyers: gathered.buyers, pagesTotal: gathered.pageStarts.length });
      pending = gathered.pageStarts;

      progress.phase = 'fitting';
      setCurrentDetails(`Fitting BG/NBD and Gamma-Gamma on ${progress.buyers} buyers`);
      Object.assign(progress, await fitScoreModels(runId));
      progress.phase = 'scoring';
    }

    // Pages are independent: a few at a time, as the policy allows; all of a batch settle before a cancellation ends the run.
    let pagesThisExecution = 0;
    while (pending.length > 0) {
      const batch = pageRanges(pending).slice(0, input.policy.pageConcurrency);
      // (The size too, for a worker not yet updated during a rolling deploy: it pages by size.)
      const pages = settled(await Promise.allSettled(batch.map((range) => scoreCustomerPage({ runId, ...range, limit: input.policy.pageSize, models: progress.models! }))));
      pending = pending.slice(batch.length);
      for (const page of pages) progress.customersScored += page.customers;
      progress.pages += pages.length;
      pagesThisExecution += pages.length;
      setCurrentDetails(`Scored ${progress.customersScored} of ${progress.population} customers`);
      if (pending.length > 0 && (pagesThisExecution >= input.policy.pagesPerExecution || workflowInfo().continueAsNewSuggested)) {
        await continueAsNew<typeof rescoreCustomerBase>({ ...input, resume: { progress, pending } });
      }
    }

    progress.phase = 'completing';
    await completeScoringRun(runId);
    progress.phase = 'completed';
    setCurrentDetails(`Completed: ${progress.customersScored} customers scored as of ${progress.asOf}`);
    return progress;
  } catch (error) {
    if (!isCancellation(error) && !failedAfterCancel(error)) throw error;
    // Cancelled by an operator (Temporal UI or CLI): the pages scored so far stand; the run is ended and its work rows dropped.
    await CancellationScope.nonCancellable(() => cancelScoringRun(runId));
    progress.phase = 'cancelled';
    setCurrentDetails(`Cancelled: ${progress.customersScored} customers scored as of ${progress.asOf}`);
    throw isCancellation(error) ? error : new CancelledFailure('The rescore was cancelled while a step ran; the step failed after the cancel and was not retried');
  }
}

/**
 * A step that failed after the run was cancelled: Temporal tries no step of a run being cancelled again, so an attempt
 * that times out then (a page behind a lock, a worker slowed by load past its heartbeat) is final. The cancel is what
 * ends the run (recorded cancelled, as the admin asked), not the step's failure; before the marker, the run failed and
 * its record was later ended as abandoned.
 */
function failedAfterCancel(error: unknown): boolean {
  return !(error instanceof ContinueAsNew) && CancellationScope.current().consideredCancelled && patched('rescore-step-failure-after-cancel-cancels');
}

/**
 * The day a run without one scores: the day of the schedule's time for a run the schedule
 * started (a night backfilled in the Temporal UI scores that night, not the day it ran), else
 * today (runs started before this, replayed, scored the day they ran).
 */
function dayToScore(): string {
  const scheduledFor = patched('rescore-scheduled-day') ? workflowInfo().typedSearchAttributes.get(ScheduledStartTimeKey) : undefined;
  return (scheduledFor ?? new Date()).toISOString().slice(0, 10);
}

/** The values of settled promises, or the first failure. */
function settled<T>(results: PromiseSettledResult<T>[]): T[] {
  return results.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  });
}
