import { ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError, isGrpcServiceError, type Client } from '@temporalio/client';

/** gRPC status codes (grpc/doc/statuscodes.md) meaning the server could not be reached in time. */
const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;

/**
 * Runs a Temporal call with a deadline. Temporal out of reach (or not answering in time)
 * is a temporary condition the caller may retry, not an internal error: `unavailable()`
 * builds the domain's exception for it. An update's call that ran out of time is one too
 * (the client reports it as WorkflowUpdateRPCTimeoutOrCancelledError, not a ServiceError); what
 * the caller makes of it (a sent update's outcome is unknown) is up to `unavailable()`.
 */
export async function withinDeadline<T>(client: Client, timeoutMs: number, call: () => Promise<T>, unavailable: () => Error): Promise<T> {
  try {
    return await client.connection.withDeadline(Date.now() + timeoutMs, call);
  } catch (error) {
    if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) throw unavailable();
    const grpc = error instanceof ServiceError ? error.cause : error;
    if (isGrpcServiceError(grpc) && (grpc.code === UNAVAILABLE || grpc.code === DEADLINE_EXCEEDED)) throw unavailable();
    throw error;
  }
}
