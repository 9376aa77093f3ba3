import { ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError, isGrpcServiceError, type Client } from '@temporalio/client';
import { TemporalWorkerPresence } from './temporal-worker-presence.js';

/** gRPC status codes (grpc/doc/statuscodes.md) meaning the server could not be reached in time. */
const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;
/** Temporal's answer to a query on a task queue no worker polled lately ("no poller seen for task queue recently"). */
const FAILED_PRECONDITION = 9;

/** The call's time ran out before Temporal answered. */
class OutOfTime extends Error {}

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
 * `pending`'s outcome, or OutOfTime once `timeoutMs` has passed without one. A call given up on
 * may still fail later: that failure is nobody's to handle any more.
 */
export async function byDeadline<T>(pending: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const outOfTime = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OutOfTime(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([pending, outOfTime]);
  } catch (error) {
    if (error instanceof OutOfTime) pending.catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** A call to a run that got no answer: it ran out of time, or Temporal said no worker polled the run's task queue lately. */
export function noAnswerFromRun(error: unknown): boolean {
  const grpc = error instanceof ServiceError ? error.cause : error;
  if (!isGrpcServiceError(grpc)) return false;
  return grpc.code === DEADLINE_EXCEEDED || (grpc.code === FAILED_PRECONDITION && /poller/i.test(grpc.details ?? grpc.message));
}

/**
 * What an engine call that got no answer says: when Temporal itself answers (its task queue's description), that no
 * worker is taking `work` just now, with what the task queue shows of its workers; otherwise that `engine` (Temporal)
 * cannot be reached. An on-call engineer then looks at the workers, not at Temporal, when only the workers are away.
 * Asked with a short deadline of its own, after the call's.
 */
export async function unansweredMessage(client: Client, taskQueue: string, engine: string, work: string, timedOut = true, timeoutMs = 1_500): Promise<string> {
  if (timedOut) {
    const workers = await new TemporalWorkerPresence(client, taskQueue, timeoutMs).workers().catch(() => null);
    if (workers) {
      const seen =
        workers.polling === 0 || workers.lastPollSecondsAgo === null
          ? `no worker polls its task queue "${taskQueue}"`
          : `no worker answered in time (its task queue "${taskQueue}" was last polled ${Math.round(workers.lastPollSecondsAgo)} s ago)`;
      return `No worker is taking ${work} just now: Temporal is up, but ${seen}; try again shortly`;
    }
  }
  return `${engine} (Temporal) cannot be reached; try again shortly`;
}
