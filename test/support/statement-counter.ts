import pg from 'pg';

/**
 * Counts the statements this process sends to PostgreSQL, whatever issues them
 * (MikroORM, Kysely or raw pg), by wrapping pg's Client#query.
 */
export async function countStatements<T>(fn: () => Promise<T>): Promise<{ result: T; statements: string[]; names: (string | undefined)[] }> {
  const statements: string[] = [];
  // The name of each statement sent as a prepared one (undefined for unnamed statements).
  const names: (string | undefined)[] = [];
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string })?.text;
    statements.push(String(text));
    names.push(typeof args[0] === 'object' ? (args[0] as { name?: string })?.name : undefined);
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    const result = await fn();
    return { result, statements, names };
  } finally {
    pg.Client.prototype.query = original;
  }
}
