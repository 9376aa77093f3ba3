/**
 * Error codes of a database that is not there: refused or dropped connections, PostgreSQL shutting down or starting,
 * or taking no more connections (53300: max_connections reached, "sorry, too many clients already", or a role's or
 * database's connection limit), which passes as others close theirs.
 */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006', '53300']);
// A read timeout is the client's own deadline, set past the server's statement timeout: the server did not answer at all.
const UNREACHABLE_MESSAGES = [/Connection terminated/i, /Timeout acquiring a connection/i, /Client has encountered a connection error/i, /timeout exceeded when trying to connect/i, /Query read timeout/i];

/**
 * Whether an error says PostgreSQL cannot be reached just now (down, restarting, the network
 * gone, every connection slot taken), as opposed to a statement that failed: a passing condition a client may retry.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  return inCauses(error, (e) => {
    // MikroORM's ConnectionException, by its name: the import's command line checks errors too, and loads no MikroORM.
    const { name, code, message, errors } = e as { name?: unknown; code?: unknown; message?: unknown; errors?: unknown };
    if (name === 'ConnectionException') return true;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
    if (typeof message === 'string' && UNREACHABLE_MESSAGES.some((pattern) => pattern.test(message))) return true;
    return Array.isArray(errors) && errors.some(isDatabaseUnreachable); // AggregateError of a connect to several addresses
  });
}

/**
 * Whether PostgreSQL cancelled a statement at its statement timeout: it answered, but the statement
 * ran (or waited for a lock another transaction held) too long; its transaction was rolled back. By
 * its code (the message is in the server's language); the API cancels none of its statements itself,
 * so only a cancel by an administrator shares the code, and says so in English.
 */
export function isStatementTimeout(error: unknown): boolean {
  return inCauses(error, (e) => {
    const { code, message } = e as { code?: unknown; message?: unknown };
    return code === '57014' && !(typeof message === 'string' && /due to user request/i.test(message));
  });
}

/** Whether `error` or one of its causes is `wanted`. Read by shape: Node's own errors may come from another realm (a test's VM context), where `instanceof Error` fails. */
function inCauses(error: unknown, wanted: (e: object) => boolean): boolean {
  let current: unknown = error;
  for (let depth = 0; typeof current === 'object' && current !== null && depth < 5; depth++) {
    if (wanted(current)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
