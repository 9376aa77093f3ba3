import { ConnectionException } from '@mikro-orm/core';

/** Error codes of a database that is not there: refused or dropped connections, PostgreSQL shutting down or starting. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);
const UNREACHABLE_MESSAGES = [/Connection terminated/i, /Timeout acquiring a connection/i, /Client has encountered a connection error/i, /timeout exceeded when trying to connect/i, /Query read timeout/i, /canceling statement due to statement timeout/i];

/**
 * Whether an error says PostgreSQL cannot be reached just now (down, restarting, the network
 * gone), as opposed to a statement that failed: a passing condition a client may retry.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  // Read by shape: Node's own errors may come from another realm (a test's VM context), where `instanceof Error` fails.
  let current: unknown = error;
  for (let depth = 0; typeof current === 'object' && current !== null && depth < 5; depth++) {
    if (current instanceof ConnectionException) return true;
    const { code, message, errors, cause } = current as { code?: unknown; message?: unknown; errors?: unknown; cause?: unknown };
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
    if (typeof message === 'string' && UNREACHABLE_MESSAGES.some((pattern) => pattern.test(message))) return true;
    if (Array.isArray(errors) && errors.some(isDatabaseUnreachable)) return true; // AggregateError of a connect to several addresses
    current = cause;
  }
  return false;
}
