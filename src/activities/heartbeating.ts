import { activityInfo, heartbeat } from '@temporalio/activity';

/**
 * Reports the activity alive while `work` (statements in PostgreSQL) runs, three times per
 * heartbeat timeout: if the worker dies, Temporal notices the silence and runs it elsewhere.
 */
export async function heartbeating<T>(work: Promise<T>): Promise<T> {
  const timeoutMs = activityInfo().heartbeatTimeoutMs;
  const timer = timeoutMs ? setInterval(() => heartbeat(), Math.max(timeoutMs / 3, 100)) : null;
  try {
    return await work;
  } finally {
    if (timer) clearInterval(timer);
  }
}
