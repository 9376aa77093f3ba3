import { CancellationScope, log, patched, setDefaultSignalHandler, workflowInfo } from '@temporalio/workflow';

/** The run the steering audit reads, and (runs since `unknown-signals-audited`) the names of the signals it takes. */
export interface SteeredRun {
  workflowId: string;
  runId: string;
  signals?: string[];
}

/**
 * The signals this run takes, once it has said (runs since `unknown-signals-audited`): every audit it asks for
 * then marks a signal of another name as ignored. (Module state is the run's own: each run has its own copy.)
 */
let signalsTaken: string[] | undefined;

/**
 * Called by a signal or update handler once the run has taken the message: one an operator
 * sent in the Temporal UI (or CLI) is audited with who sent it, as a steer through the API is
 * by the API. The activity reads the run's history, so it also audits a signal the run ignored
 * (typed wrongly) and skips the platform's own. Runs that took messages before this (no marker)
 * did not audit them.
 */
export async function auditSteering(audit: (run: SteeredRun) => Promise<unknown>): Promise<void> {
  if (!patched('signals-audited')) return;
  const { workflowId, runId } = workflowInfo();
  // A cancel of the run does not cancel the record of what steered it.
  await CancellationScope.nonCancellable(() => audit({ workflowId, runId, ...(signalsTaken ? { signals: signalsTaken } : {}) }));
}

/**
 * What the run does with a signal of a name it has no handler for (an operator's typo in the Temporal UI or CLI,
 * `proposalAnswerd`): nothing but say so. The worker logs a warning naming the signals the run takes, and the
 * steering audit records it at once, as ignored (`ignored: "no such signal"`), so the operator's attempt is neither
 * lost nor read later as a message the run took. Null for runs started before this (no marker), which buffered such
 * a signal silently (audited, unmarked, only when another message asked for the audit).
 * `signals`: the names of the run's own signals.
 */
export function unknownSignalHandler(signals: string[], audit: (run: SteeredRun) => Promise<unknown>): ((name: string) => Promise<void>) | null {
  if (!patched('unknown-signals-audited')) return null;
  signalsTaken = [...signals];
  return async (name) => {
    const takes = signals.length > 0 ? `this run takes ${signals.map((s) => `"${s}"`).join(', ')}` : 'this run takes no signals';
    log.warn(`signal "${name}" ignored: no such signal (${takes})`, { signal: name, signals });
    await auditSteering(audit);
  };
}

/**
 * Ignores, logs and audits signals of names the run has no handler for (see unknownSignalHandler). Set after the run's
 * own signal handlers: a signal already in the history when the run starts reaches its own handler, not this one.
 */
export function ignoringUnknownSignals(signals: string[], audit: (run: SteeredRun) => Promise<unknown>): void {
  const handler = unknownSignalHandler(signals, audit);
  if (handler) setDefaultSignalHandler(handler);
}
