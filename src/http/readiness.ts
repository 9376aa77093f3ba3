import type { Connection } from '@temporalio/client';
import type { Orm } from '../db/orm.js';
import type { Logger } from '../logger.js';

export interface Readiness {
  ready: boolean;
  checks: { database: CheckResult; temporal: CheckResult };
}
/** A failed check names what went wrong in general terms: anyone who reaches the port may ask, so addresses and server messages go to the log only. */
type CheckResult = { ok: true } | { ok: false; reason: 'no answer in time' | 'unreachable' };

const TIMED_OUT = Symbol('timed out');

async function check(fn: () => Promise<unknown>, what: string, timeoutMs: number, logger: Logger): Promise<CheckResult> {
  try {
    const answer = await Promise.race([fn(), new Promise<typeof TIMED_OUT>((resolve) => setTimeout(() => resolve(TIMED_OUT), timeoutMs).unref())]);
    if (answer !== TIMED_OUT) return { ok: true };
    logger.warn({ check: what, timeoutMs }, 'readiness check: no answer in time');
    return { ok: false, reason: 'no answer in time' };
  } catch (error) {
    logger.warn({ check: what, err: error }, 'readiness check failed');
    return { ok: false, reason: 'unreachable' };
  }
}

/** Ready when both PostgreSQL and the Temporal frontend answer. */
export async function checkReadiness(orm: Orm, temporal: Connection, logger: Logger, timeoutMs = 2000): Promise<Readiness> {
  const [database, temporalCheck] = await Promise.all([
    check(() => orm.em.getConnection().execute('select 1'), 'PostgreSQL', timeoutMs, logger),
    check(() => temporal.healthService.check({}), 'Temporal', timeoutMs, logger),
  ]);
  return { ready: database.ok && temporalCheck.ok, checks: { database, temporal: temporalCheck } };
}
