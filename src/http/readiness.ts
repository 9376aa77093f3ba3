import net from 'node:net';
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

/**
 * `host:port` (`[::1]:7233` too) tried by TCP: the error code when the connection fails (ECONNREFUSED, ENOTFOUND, ...),
 * null once it connects or while it neither connects nor fails.
 */
function tcpFailure(address: string, timeoutMs: number): { failure: () => string | null } {
  let failure: string | null = null;
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address);
  if (match) {
    const socket = net.connect({ host: match[1], port: Number(match[2]) });
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.on('connect', () => socket.destroy());
    socket.on('error', (error: NodeJS.ErrnoException) => (failure = error.code ?? error.message));
    socket.unref();
  }
  return { failure: () => failure };
}

/** `refused`: why the server cannot be reached, if known when the check found no answer in time (the Temporal client retries a refused connection until then). */
async function check(fn: () => Promise<unknown>, what: string, timeoutMs: number, logger: Logger, refused: () => string | null = () => null): Promise<CheckResult> {
  try {
    const answer = await Promise.race([fn(), new Promise<typeof TIMED_OUT>((resolve) => setTimeout(() => resolve(TIMED_OUT), timeoutMs).unref())]);
    if (answer !== TIMED_OUT) return { ok: true };
    const failure = refused();
    if (failure) {
      logger.warn({ check: what, code: failure }, 'readiness check failed: no connection');
      return { ok: false, reason: 'unreachable' };
    }
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
    // The Temporal client retries a refused connection until the check gives up: a TCP connection tried beside it tells
    // an unreachable server (refused, unknown host) from one that takes the connection but does not answer.
    (() => {
      const probe = tcpFailure(temporal.options.address, timeoutMs);
      // With a deadline a second past the check's own, so the client's retries end soon after this answer, not ~20 s later.
      return check(() => temporal.withDeadline(Date.now() + timeoutMs + 1000, () => temporal.healthService.check({})), 'Temporal', timeoutMs, logger, probe.failure);
    })(),
  ]);
  return { ready: database.ok && temporalCheck.ok, checks: { database, temporal: temporalCheck } };
}
