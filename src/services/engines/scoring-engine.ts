import type { RescorePolicy } from '../../domain/scoring/scoring-policy.js';
import type { FittedModels } from '../../domain/scoring/customer-scores.js';

/** Where a rescore run stands, as its workflow reports it. */
export interface RescoreProgressView {
  runId: string;
  asOf: string;
  phase: string;
  population: number | null;
  buyers: number | null;
  customersScored: number;
  pages: number;
  models: FittedModels | null;
}

/** What the scoring service needs from the durable workflow engine (Temporal, in src/temporal/). */
export interface ScoringEngine {
  /** The run ID for a rescore about to be started (its start is audited under it before the engine is asked); never one given before. */
  newRescoreId(): string;
  /** Whether the engine has the rescore (under way or ended). */
  rescoreExists(runId: string): Promise<boolean>;
  /** Starts a rescore of the whole base (under `runId`, or a new one); returns its run ID. */
  startRescore(input: { runId?: string; trigger: string; asOf?: string; policy: RescorePolicy }): Promise<{ runId: string }>;
  /** Live progress of a run; null when the engine does not know it (any more). */
  rescoreProgress(runId: string): Promise<RescoreProgressView | null>;
  /** Asks a running rescore to stop; false when it is not running (finished, or unknown). */
  cancelRescore(runId: string): Promise<boolean>;
  /** Whether the run's workflow is still running (false: it ended, or the engine does not know it). */
  isRescoreRunning(runId: string): Promise<boolean>;
}
