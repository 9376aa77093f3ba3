import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type DestinationStream, type Logger } from 'pino';

/** What each log line written while the API serves one request carries: its ID, and its GraphQL operation's name once known (src/http/request-log.ts). */
export const requestLogContext = new AsyncLocalStorage<{ requestId: string; operation?: string }>();

/** One structured JSON logger for the API, the worker and (through the Temporal runtime) the workflows; lines go to stdout unless told. */
export function createLogger(level: string, name: string, destination?: DestinationStream): Logger {
  const options = {
    name,
    level,
    base: { service: name },
    // A copy: pino merges each line's fields into what the mixin returns, which would carry them into the request's later lines.
    mixin: () => ({ ...requestLogContext.getStore() }),
    // Errors keep their type, message and stack under either key: ours log `err`, the Temporal SDK `error` (a failed activity's cause).
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
