/**
 * Where a playbook run stands as an operator sees it: under way, or how it ended. A run
 * records its own end when it completes or is cancelled; one that failed, was terminated
 * (in the Temporal UI) or timed out cannot, and only the workflow engine knows.
 */
export enum RunStatus {
  Running = 'running',
  Completed = 'completed',
  Cancelled = 'cancelled',
  Failed = 'failed',
  Terminated = 'terminated',
  TimedOut = 'timed-out',
}

/** The outcome a run records when an operator cancels it (Temporal UI or GraphQL). */
export const CANCELLED_OUTCOME = 'cancelled';

/** Why a cancelled run's queued messages were held back (as the message history shows it). */
export const RUN_CANCELLED = 'run-cancelled: its playbook run was cancelled; it sends nothing more';
