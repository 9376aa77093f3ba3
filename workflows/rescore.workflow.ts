import { continueAsNew, defineQuery, proxyActivities, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import type { ScoringActivities } from '../src/activities/scoring.activities.js';
import type { FittedModels } from '../src/domain/scoring/customer-scores.js';
import type { RescorePolicy } from '../src/domain/scoring/scoring-policy.js';

/** The run's steps, with the time each may take from the policy. */
function steps(policy: RescorePolicy) {
  const retry = { initialInterval: '1 second', maximumInterval: '1 minute' };
  const short = proxyActivities<ScoringActivities>({ startToCloseTimeout: '1 minute', retry });
  const gather = proxyActivities<ScoringActivities>({ startToCloseTimeout: policy.gatherTimeoutSeconds * 1000, retry });
  const page = proxyActivities<ScoringActivities>({ startToCloseTimeout: policy.pageTimeoutSeconds * 1000, retry });
  return {
    beginScoringRun: short.beginScoringRun,
    prepareScoringRun: gather.prepareScoringRun,
    fitScoreModels: gather.fitScoreModels,
    scoreCustomerPage: page.scoreCustomerPage,
    completeScoringRun: short.completeScoringRun,
  };
}

export type RescorePhase = 'starting' | 'gathering' | 'fitting' | 'scoring' | 'completing' | 'completed';

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
  /** The day to score (UTC, YYYY-MM-DD); default: today. */
  asOf?: string;
  /** Carried over by continue-as-new: the progress so far and the pages still to score (by the customer ID each starts after). */
  resume?: { progress: RescoreProgress; pending: (string | null)[] };
}

export const rescoreProgressQuery = defineQuery<RescoreProgress>('progress');

/** Rescores the whole base: gather aggregates, fit the models, score page by page, complete. */
export async function rescoreCustomerBase(input: RescoreInput): Promise<RescoreProgress> {
  const runId = workflowInfo().workflowId;
  const { beginScoringRun, prepareScoringRun, fitScoreModels, scoreCustomerPage, completeScoringRun } = steps(input.policy);
  const progress: RescoreProgress = input.resume?.progress ?? {
    runId,
    asOf: input.asOf ?? new Date().toISOString().slice(0, 10),
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
  setHandler(rescoreProgressQuery, () => progress);

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

  // Pages are independent: a few at a time, as the policy allows.
  let pagesThisExecution = 0;
  while (pending.length > 0) {
    const batch = pending.slice(0, input.policy.pageConcurrency);
    const pages = await Promise.all(batch.map((after) => scoreCustomerPage({ runId, after, limit: input.policy.pageSize, models: progress.models! })));
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
}
