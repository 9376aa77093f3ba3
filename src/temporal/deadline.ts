import { ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError, isGrpcServiceError, type Client } from '@temporalio/client';

/** gRPC status codes (grpc/doc/statuscodes.md) meaning the server could not be reached in time. */
const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;

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
 */
export async function withinDeadline<T>(client: Client, timeoutMs: number, call: () => Promise<T>, unavailable: () => Error): Promise<T> {
  const calling = client.connection.withDeadline(Date.now() + timeoutMs, call);
  try {
    return await byDeadline(calling, timeoutMs);
  } catch (error) {
    if (error instanceof OutOfTime) throw unavailable();
    if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) throw unavailable();
    const grpc = error instanceof ServiceError ? error.cause : error;
    if (isGrpcServiceError(grpc) && (grpc.code === UNAVAILABLE || grpc.code === DEADLINE_EXCEEDED)) throw unavailable();
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

/** Whether `error` is `byDeadline`'s: the time ran out. */
export function isOutOfTime(error: unknown): boolean {
  return error instanceof OutOfTime;
}
