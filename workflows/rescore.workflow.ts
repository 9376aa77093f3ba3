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
  /** Where the next page starts (customer ID order); null before the first page. */
  lastCustomerId: string | null;
  models: FittedModels | null;
  notFitted: { kind: string; reason: string }[];
}

export interface RescoreInput {
  /** `schedule` or the admin who asked for it. */
  trigger: string;
  policy: RescorePolicy;
  /** The day to score (UTC, YYYY-MM-DD); default: today. */
  asOf?: string;
  /** Carried over by continue-as-new. */
  resume?: RescoreProgress;
}

export const rescoreProgressQuery = defineQuery<RescoreProgress>('progress');

/** Rescores the whole base: gather aggregates, fit the models, score page by page, complete. */
export async function rescoreCustomerBase(input: RescoreInput): Promise<RescoreProgress> {
  const runId = workflowInfo().workflowId;
  const { beginScoringRun, prepareScoringRun, fitScoreModels, scoreCustomerPage, completeScoringRun } = steps(input.policy);
  const progress: RescoreProgress = input.resume ?? {
    runId,
    asOf: input.asOf ?? new Date().toISOString().slice(0, 10),
    phase: 'starting',
    population: null,
    buyers: null,
    customersScored: 0,
    pages: 0,
    lastCustomerId: null,
    models: null,
    notFitted: [],
  };
  setHandler(rescoreProgressQuery, () => progress);

  if (!input.resume) {
    await beginScoringRun({ runId, trigger: input.trigger, asOf: progress.asOf });

    progress.phase = 'gathering';
    setCurrentDetails(`Gathering purchase aggregates as of ${progress.asOf}`);
    Object.assign(progress, await prepareScoringRun(runId));

    progress.phase = 'fitting';
    setCurrentDetails(`Fitting BG/NBD and Gamma-Gamma on ${progress.buyers} buyers`);
    Object.assign(progress, await fitScoreModels(runId));
    progress.phase = 'scoring';
  }

  let pagesThisExecution = 0;
  while (progress.phase === 'scoring') {
    const page = await scoreCustomerPage({ runId, after: progress.lastCustomerId, limit: input.policy.pageSize, models: progress.models! });
    progress.customersScored += page.customers;
    progress.pages += 1;
    progress.lastCustomerId = page.last ?? progress.lastCustomerId;
    setCurrentDetails(`Scored ${progress.customersScored} of ${progress.population} customers`);
    if (page.last === null) progress.phase = 'completing';
    else if (++pagesThisExecution >= input.policy.pagesPerExecution || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof rescoreCustomerBase>({ ...input, resume: progress });
    }
  }

  await completeScoringRun(runId);
  progress.phase = 'completed';
  setCurrentDetails(`Completed: ${progress.customersScored} customers scored as of ${progress.asOf}`);
  return progress;
}
