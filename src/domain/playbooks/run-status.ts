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
  // Values as the database keeps them; an underscore, as PostgreSQL enum values become GraphQL names elsewhere (PostGraphile).
  TimedOut = 'timed_out',
}

/** How a run can end without recording it itself: none of its code runs at such an end. */
export type EndedInEngine = RunStatus.Failed | RunStatus.Terminated | RunStatus.TimedOut;

/**
 * Ends recorded from the engine (by the run reconciliation): the engine's to say, so a run reset
 * there since runs again, and a step it takes waits until the record says so.
 */
export const ENDED_IN_ENGINE: readonly EndedInEngine[] = [RunStatus.Failed, RunStatus.Terminated, RunStatus.TimedOut];

/** Whether a recorded status is an end recorded from the engine. */
export const endedInEngine = (status: string): status is EndedInEngine => (ENDED_IN_ENGINE as readonly string[]).includes(status);

/**
 * Where a run stands: how it ended, by the engine (its live state) or by its record (written as the
 * run's last act, a moment before the engine says so); else it is under way, unless at its last step.
 * An end recorded of a run the engine says is running again does not count: one recorded from the
 * engine (only a reset runs such a run again), or any end recorded before the run's last reset (a
 * completed or cancelled run reset in the Temporal UI, before the reconciliation records it running).
 */
export function runStatus(
  recorded: RunStatus | null,
  live: { status?: RunStatus | null; step?: string | null; lastResetAt?: Date | null } | null,
  recordedEndAt: Date | null = null,
): RunStatus {
  const resetSince =
    live?.status === RunStatus.Running &&
    recorded !== null &&
    (endedInEngine(recorded) || (recordedEndAt !== null && live.lastResetAt != null && live.lastResetAt > recordedEndAt));
  const ended = [live?.status, recorded !== null && !resetSince ? recorded : undefined].find((status) => status && status !== RunStatus.Running);
  return ended ?? (live?.step === 'done' ? RunStatus.Completed : RunStatus.Running);
}

/** The outcome a run records when an operator cancels it (Temporal UI or GraphQL). */
export const CANCELLED_OUTCOME = 'cancelled';

/** Why a message asking what its run waited for was held back once the run had ended (the customer answered meanwhile). */
export const RUN_ENDED = 'run-ended: its playbook run has ended, what it asked is answered';

/**
 * Why a message asking what its run waited for was held back once the run had ended with no answer (a welcome still
 * held for quiet hours at the end of its wait): a person follows up instead, and asking now would cross their call.
 */
export const RUN_ENDED_UNANSWERED = 'run-ended: its playbook run ended without an answer; a person follows up instead';

/**
 * Why a message asking what its run waited for was held back once the run had ended with no answer and nobody to follow
 * up: a welcome check whose customer turned out to be no newcomer (an orders import moved the day they joined back).
 */
export const RUN_ENDED_NOT_NEW = 'run-ended: its playbook run ended without an answer; the customer is no newcomer: nobody follows up';

/** The outcomes of a run that ended without the answer it waited for: a person follows up (a welcome check's call: welcome-check.test.ts holds the two together). */
const UNANSWERED_OUTCOMES: readonly string[] = ['follow-up-needed'];
/** A welcome check's end for a customer no longer within its window (welcome-check.ts `NOT_NEW`). */
const NOT_NEW_OUTCOME = 'not-new';

/** Why a completed run's messages asking what it waited for are held back, by how it ended: answered, or not (and by whom followed up). */
export const runEndedReason = (outcome: string): string =>
  UNANSWERED_OUTCOMES.includes(outcome) ? RUN_ENDED_UNANSWERED : outcome === NOT_NEW_OUTCOME ? RUN_ENDED_NOT_NEW : RUN_ENDED;

/** Why a cancelled run's queued messages were held back (as the message history shows it). */
export const RUN_CANCELLED = 'run-cancelled: its playbook run was cancelled; it sends nothing more';

/** Why the queued messages of a run that ended in the engine were held back (as the message history shows it). */
export const runEndedInEngine = (status: EndedInEngine) => `run-${status.replace('_', '-')}: its playbook run was ${status.replace('_', ' ')} in the workflow engine; it sends nothing more`;

/**
 * Why a message was held back by its run's end or stop (completed: what it asked is answered, or went unanswered;
 * cancelled, failed, terminated, timed out), not by a guard of its own: a reset that makes the
 * run run again releases such a message (a welcome check reset to before a confirmation
 * recorded by mistake waits for an answer to its welcome again, so the welcome goes).
 */
export const heldBackByRunStop: readonly string[] = [RUN_ENDED, RUN_ENDED_UNANSWERED, RUN_ENDED_NOT_NEW, RUN_CANCELLED, ...ENDED_IN_ENGINE.map(runEndedInEngine)];

/**
 * Why a message still queued was held back when a reset of its run (in the Temporal UI or CLI) was recorded: a step after the
 * point the run was reset to wrote it, so the reset undid the step (an operator reset to before it, not to take it: a fix
 * reported by mistake). It goes out only if the reset run takes that step again (`heldBackUntilStepTakenAgain`).
 */
export const RESET_UNDONE = 'reset-undone: its playbook run was reset in the workflow engine to before the step that wrote it; it goes out only if the run takes that step again';

/** Why a message was held back that its step, taken by a running run, releases: its run's stop (`heldBackByRunStop`), or a reset that undid the step. */
export const heldBackUntilStepTakenAgain: readonly string[] = [...heldBackByRunStop, RESET_UNDONE];
