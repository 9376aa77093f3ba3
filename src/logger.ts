import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type DestinationStream, type Logger } from 'pino';

/** What each log line written while the API serves one request carries: its ID, and its GraphQL operation's name once known (src/http/request-log.ts). */
export const requestLogContext = new AsyncLocalStorage<{ requestId: string; operation?: string }>();

/**
 * An error as pino writes it (type, message, stack, its own fields), with the message of each cause after its own only
 * where that message does not say it already: `The API cannot listen on …: listen EADDRINUSE …` carries its cause, which
 * pino's serializer would append a second time.
 */
function serializeError(err: unknown): unknown {
  const out = pino.stdSerializers.err(err as Error) as unknown;
  if (!(err instanceof Error) || out === null || typeof out !== 'object') return out;
  let message = err.message;
  const seen = new Set<unknown>([err]);
  for (let cause = err.cause; cause instanceof Error && !seen.has(cause); cause = cause.cause) {
    seen.add(cause);
    if (cause.message && !message.includes(cause.message)) message += `: ${cause.message}`;
  }
  (out as { message: string }).message = message;
  return out;
}

/** One structured JSON logger for the API, the worker and (through the Temporal runtime) the workflows; lines go to stdout unless told. */
export function createLogger(level: string, name: string, destination?: DestinationStream): Logger {
  const options = {
    name,
    level,
    base: { service: name },
    // A copy: pino merges each line's fields into what the mixin returns, which would carry them into the request's later lines.
    mixin: () => ({ ...requestLogContext.getStore() }),
    // Errors keep their type, message and stack under either key: ours log `err`, the Temporal SDK `error` (a failed activity's cause).
    serializers: { err: serializeError, error: serializeError },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
