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

/** How a rescore's workflow ended, as the engine keeps it: `unknown` when the engine no longer knows the run (closedAt null then). */
export interface RescoreEnd {
  status: 'completed' | 'cancelled' | 'terminated' | 'failed' | 'timed-out' | 'unknown';
  closedAt: Date | null;
  /** The reason given (a termination's, a cancel request's) or what failed; null without one. */
  reason: string | null;
  /** Who gave it, as the engine recorded (an operator's identity in the Temporal UI or CLI); null when it does not say. */
  by: string | null;
}

/** One execution of a rescore's workflow (a run continued as new, or reset, has several). */
export interface RescoreExecution {
  /** The scoring run's ID (its workflow ID). */
  runId: string;
  /** The engine's ID of this execution. */
  executionId: string;
  startedAt: Date;
}

/** The reset that started an execution of a rescore (in the Temporal UI or CLI). */
export interface RescoreReset {
  at: Date;
  /** The point in the run reset to (the time of the task reset to). */
  from: Date;
  reason: string | null;
  by: string | null;
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
  /** How the run's workflow ended; null while it runs. */
  rescoreEnd(runId: string): Promise<RescoreEnd | null>;
  /** The executions of this deployment's rescores started since then, ended or not. */
  rescoreExecutionsSince(since: Date): Promise<RescoreExecution[]>;
  /** The reset that started this execution of the run; null when no reset did (or the engine does not know it). */
  rescoreReset(runId: string, executionId: string): Promise<RescoreReset | null>;
}
