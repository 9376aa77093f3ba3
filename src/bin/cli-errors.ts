import { DomainException } from '../domain/errors/domain-exception.js';

/**
 * How the command-line tools (import, scores) end on a failure: the message, or a domain
 * exception as one line of JSON, on stderr, and the exit code their usage text promises.
 */
export function fail(exitCode: number, message: string | Record<string, unknown>): never {
  console.error(typeof message === 'string' ? message : JSON.stringify(message));
  process.exit(exitCode);
}

/** A domain exception as the CLIs print it: its code, its message and its details (`line`, `file`, ...). */
export const asJson = (error: DomainException): Record<string, unknown> => ({ code: error.code, message: error.message, ...error.details });
