import { ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError, isGrpcServiceError, type Client } from '@temporalio/client';
import { TemporalWorkerPresence } from './temporal-worker-presence.js';
import { withinTime } from '../services/common/within-time.js';

/** gRPC status codes (grpc/doc/statuscodes.md) meaning the server could not be reached in time. */
const CANCELLED = 1;
const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;
/** Temporal's answer to a query on a task queue no worker polled lately ("no poller seen for task queue recently"). */
const FAILED_PRECONDITION = 9;

/** The call's time ran out before Temporal answered. */
class OutOfTime extends Error {}

/** `pending`'s outcome, or OutOfTime once `timeoutMs` has passed without one. */
export function byDeadline<T>(pending: Promise<T>, timeoutMs: number): Promise<T> {
  return withinTime(pending, timeoutMs, 'no answer', () => new OutOfTime(`no answer within ${timeoutMs} ms`));
}

/**
 * Runs a Temporal call with a deadline. Temporal out of reach (or not answering in time)
 * is a temporary condition the caller may retry, not an internal error: `unavailable()`
 * builds the domain's exception for it. An update's call that ran out of time is one too
 * (the client reports it as WorkflowUpdateRPCTimeoutOrCancelledError, not a ServiceError); what
 * the caller makes of it (a sent update's outcome is unknown) is up to `unavailable()`.
 *
 * The answer comes by the deadline, whatever the call does: the client tries a call Temporal
 * refused as unavailable (restarting) again after a pause of up to 5 s, and a retry that starts
 * after the deadline only then fails, so the gRPC deadline alone could be overrun by that pause.
 * A call given up here stops at its next try (its gRPC deadline has passed).
 * `timedOut`: the call got no answer in time (Temporal may be up, with no worker taking the
 * run's work), rather than Temporal refusing the connection.
 */
export async function withinDeadline<T>(client: Client, timeoutMs: number, call: () => Promise<T>, unavailable: (timedOut: boolean) => Error | Promise<Error>): Promise<T> {
  const calling = client.connection.withDeadline(Date.now() + timeoutMs, call);
  try {
    return await byDeadline(calling, timeoutMs);
  } catch (error) {
    if (error instanceof OutOfTime || error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) throw await unavailable(true);
    const grpc = error instanceof ServiceError ? error.cause : error;
    if (isGrpcServiceError(grpc) && grpc.code === UNAVAILABLE) throw await unavailable(false);
    if (noAnswerFromRun(error)) throw await unavailable(true);
    throw error;
  }
}

/**
 * A call to a run that got no answer: it ran out of time (a query on a dead worker's sticky queue ends CANCELLED at the
 * deadline, the next DEADLINE_EXCEEDED), or Temporal said no worker polled the run's task queue lately.
 */
export function noAnswerFromRun(error: unknown): boolean {
  const grpc = error instanceof ServiceError ? error.cause : error;
  if (!isGrpcServiceError(grpc)) return false;
  return grpc.code === DEADLINE_EXCEEDED || grpc.code === CANCELLED || (grpc.code === FAILED_PRECONDITION && /poller/i.test(grpc.details ?? grpc.message));
}

/**
 * What an engine call that got no answer says. Temporal refused the connection, or does not answer even its task
 * queue's description (asked with a short deadline of its own after the call's): `engine` (Temporal) cannot be
 * reached. Temporal answers that: for a call a worker answers (a run's query, `needsWorker`), that no worker is taking
 * `work` just now, with what the task queue shows of its workers, so an on-call engineer looks at the workers, not at
 * Temporal; otherwise (a start, a signal, a cancel: Temporal's own work) that Temporal did not answer in time.
 */
export async function unansweredMessage(
  client: Client,
  taskQueue: string,
  engine: string,
  work: string,
  { timedOut = true, needsWorker = false }: { timedOut?: boolean; needsWorker?: boolean } = {},
  timeoutMs = 1_500,
): Promise<string> {
  const unreachable = `${engine} (Temporal) cannot be reached; try again shortly`;
  if (!timedOut) return unreachable;
  // The client tries a call Temporal refuses again until the time is up: whether Temporal answers at all tells the two apart.
  const workers = await new TemporalWorkerPresence(client, taskQueue, timeoutMs).workers().catch(() => null);
  if (!workers) return unreachable;
  if (needsWorker) {
    const seen =
      workers.polling === 0 || workers.lastPollSecondsAgo === null
        ? `no worker polls its task queue "${taskQueue}"`
        : `no worker answered in time (its task queue "${taskQueue}" was last polled ${Math.round(workers.lastPollSecondsAgo)} s ago)`;
    return `No worker is taking ${work} just now: Temporal is up, but ${seen}; try again shortly`;
  }
  return `${engine} (Temporal) did not answer in time; try again shortly`;
}

/** An engine's UNAVAILABLE says `timedOut` when Temporal did not answer in time: a call it may still have taken (a start, a cancel), unlike one it refused. */
export const unansweredDetails = (timedOut: boolean): Record<string, unknown> => (timedOut ? { timedOut: true } : {});
