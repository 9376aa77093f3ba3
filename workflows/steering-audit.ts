import { CancellationScope, log, patched, setDefaultSignalHandler, workflowInfo } from '@temporalio/workflow';

/** The run the steering audit reads, and (runs since `unknown-signals-audited`) the names of the signals it takes. */
export interface SteeredRun {
  workflowId: string;
  runId: string;
  signals?: string[];
  /** Signals of those names its handlers ignored, and why (runs since `ignored-signals-audited`; only those not audited so yet). */
  ignored?: IgnoredSignal[];
  /** Why the run did not take the cancel requested of it in the Temporal UI or CLI (runs since `offboarding-carried-out-ignores-cancel`): audited so. */
  cancelNotTaken?: string;
}

/** A signal the run took up by name and ignored: its place among the run's signals of its name (1 for the first, whoever sent them), and why. */
export interface IgnoredSignal {
  signal: string;
  nameOrdinal: number;
  why: string;
}

/** A signal a handler has taken up: its name and its place among the run's signals of that name, as the audit counts them in the history. */
export interface ReceivedSignal {
  signal: string;
  nameOrdinal: number;
}

/**
 * The signals this run takes, once it has said (runs since `unknown-signals-audited`): every audit it asks for
 * then marks a signal of another name as ignored. (Module state is the run's own: each run has its own copy.)
 */
let signalsTaken: string[] | undefined;

/** How many signals of each name the run's handlers have taken up so far (each one's place among its name's signals). */
const signalsReceived = new Map<string, number>();
/** Signals a handler ignored whose audit has not been asked with the reason yet. */
let ignoredUnaudited: IgnoredSignal[] = [];

/**
 * Called by a signal handler as it starts (before it awaits anything): the signal's place among the run's signals of its
 * name. Handlers run in the order the signals are in the history, so this is the place the steering audit finds it at.
 */
export function signalReceived(name: string): ReceivedSignal {
  const nameOrdinal = (signalsReceived.get(name) ?? 0) + 1;
  signalsReceived.set(name, nameOrdinal);
  return { signal: name, nameOrdinal };
}

/**
 * The run ignored this signal (typed wrongly, not awaited at this step, a payment the invoice does not show): its audit
 * entry says so, with `why` (`ignored`), at the next audit the run asks for, so an operator's attempt is not read later as
 * a message the run took. Only recorded: the caller asks for the audit (auditSteering) once it has said why.
 */
export function signalIgnored(signal: ReceivedSignal, why: string): void {
  ignoredUnaudited.push({ ...signal, why });
}

/** Why the run did not take the cancel requested of it, until audited. */
let cancelNotTakenUnaudited: string | undefined;

/**
 * The run did not take the cancel requested of it (in the Temporal UI or CLI: through the API it is refused before it
 * reaches the run) and completes as it would have: the request is audited at the next audit the run asks for, as
 * `<playbook>.cancel-in-engine` under who sent it, `outcome: "not-taken"` with `refused`, why, as a refused update is. Only
 * recorded: the caller asks for the audit (auditSteering).
 */
export function cancelNotTaken(why: string): void {
  cancelNotTakenUnaudited = why;
}

/**
 * Called by a signal or update handler once the run has taken the message: one an operator
 * sent in the Temporal UI (or CLI) is audited with who sent it, as a steer through the API is
 * by the API. The activity reads the run's history, so it also audits a signal the run ignored
 * (typed wrongly, or one its handler ignored: see signalIgnored) and skips the platform's own.
 * Runs that took messages before this (no marker) did not audit them.
 */
export async function auditSteering(audit: (run: SteeredRun) => Promise<unknown>): Promise<void> {
  if (!patched('signals-audited')) return;
  const { workflowId, runId } = workflowInfo();
  // The signals ignored so far, for their entries to say why (runs since the marker; before, they read as taken). Once an
  // audit with them is done, their entries say so: later audits leave them out.
  const ignored = ignoredUnaudited.length > 0 && patched('ignored-signals-audited') ? [...ignoredUnaudited] : undefined;
  // A cancel of the run does not cancel the record of what steered it.
  const cancel = cancelNotTakenUnaudited;
  await CancellationScope.nonCancellable(() => audit({ workflowId, runId, ...(signalsTaken ? { signals: signalsTaken } : {}), ...(ignored ? { ignored } : {}), ...(cancel !== undefined ? { cancelNotTaken: cancel } : {}) }));
  if (ignored) ignoredUnaudited = ignoredUnaudited.filter((s) => !ignored.includes(s));
  if (cancel !== undefined) cancelNotTakenUnaudited = undefined;
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
