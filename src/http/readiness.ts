import type { Connection } from '@temporalio/client';
import type { Orm } from '../db/orm.js';

export interface Readiness {
  ready: boolean;
  checks: { database: CheckResult; temporal: CheckResult };
}
type CheckResult = { ok: true } | { ok: false; reason: string };

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms).unref())]);
}

async function check(fn: () => Promise<unknown>, what: string, timeoutMs: number): Promise<CheckResult> {
  try {
    await withTimeout(fn(), timeoutMs, what);
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

/** Ready when both PostgreSQL and the Temporal frontend answer. */
export async function checkReadiness(orm: Orm, temporal: Connection, timeoutMs = 2000): Promise<Readiness> {
  const [database, temporalCheck] = await Promise.all([
    check(() => orm.em.getConnection().execute('select 1'), 'PostgreSQL', timeoutMs),
    check(() => temporal.healthService.check({}), 'Temporal', timeoutMs),
  ]);
  return { ready: database.ok && temporalCheck.ok, checks: { database, temporal: temporalCheck } };
}
