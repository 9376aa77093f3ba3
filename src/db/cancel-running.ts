import pg from 'pg';
import type { Orm } from './orm.js';
import { postgresConnection } from './connection.js';

interface PoolInternals {
  _clients: pg.Client[];
  _idle: Array<{ client: pg.Client }>;
  totalCount: number;
  idleCount: number;
}

/**
 * Cancels the statements the ORM's pool is running (pg_cancel_backend over a connection of its own: each is
 * rolled back, its connection given back), then waits up to `waitMs` for the connections to come back. The API
 * calls it at shutdown once the requests had their grace: closing the pool would otherwise wait for every
 * statement still running (up to the 30 s statement timeout, or a lock held for longer), past the container's
 * stop grace period, and the request that went on after would meet a destroyed driver.
 */
export async function cancelRunningStatements(orm: Orm, waitMs = 3_000): Promise<number> {
  const pool = (await orm.em.getConnection().getNativeClient()) as unknown as PoolInternals;
  const idle = new Set(pool._idle.map((i) => i.client));
  const pids = pool._clients.filter((c) => !idle.has(c)).map((c) => (c as unknown as { processID: number | null }).processID).filter((pid): pid is number => typeof pid === 'number');
  if (!pids.length) return 0;
  const canceller = new pg.Client(postgresConnection(orm.config.get('clientUrl')!, { application_name: 'shutdown cancel', connectionTimeoutMillis: 2_000 }));
  canceller.on('error', () => undefined);
  try {
    await canceller.connect();
    await canceller.query('select pg_cancel_backend(pid) from unnest($1::int[]) as pid', [pids]);
  } catch {
    // PostgreSQL gone: the statements end with their connections.
  } finally {
    await canceller.end().catch(() => undefined);
  }
  for (const deadline = Date.now() + waitMs; pool.totalCount > pool.idleCount && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
  return pids.length;
}
