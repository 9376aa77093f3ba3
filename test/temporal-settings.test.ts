import { randomBytes } from 'node:crypto';
import { putSchedulesInPlace } from '../src/app/worker-process.js';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { cronProblem } from '../src/config/cron.js';
import { defaultPolicies } from '../src/domain/policies/index.js';
import { createLogger } from '../src/logger.js';
import { connectTemporal, whenConnected, type TemporalClient } from '../src/temporal/client.js';
import { rescoreScheduleId } from '../src/temporal/schedules.js';

/**
 * The Temporal settings the start check cannot judge alone, on the real Temporal dev server:
 * the schedules' grammar is Temporal's, and a namespace exists there or not (QA 58 F3).
 */
const address = process.env.TEMPORAL_ADDRESS!;
let temporal: TemporalClient;
beforeAll(async () => {
  temporal = await connectTemporal(address, process.env.TEMPORAL_NAMESPACE ?? 'default');
});
afterAll(() => temporal.close());

const taskQueue = `test-settings-${randomBytes(4).toString('hex')}`;
const everyScheduleOff = { RESCORE_SCHEDULE: 'off', SCORE_HISTORY_SCHEDULE: 'off', PLAYBOOK_TRIGGERS_SCHEDULE: 'off', DATA_RETENTION_SCHEDULE: 'off', RUN_RECONCILIATION_SCHEDULE: 'off' };
const config = loadConfig({ ...process.env, DATABASE_URL: 'postgres://unused', TEMPORAL_TASK_QUEUE: taskQueue, ...everyScheduleOff });

it('takes every schedule the start check takes, and refuses those it refuses', async () => {
  const samples = ['0 2 * * *', '0 2 * * * 2027', '0 0 2 * * * 2027', '@daily', '@every 1d', '@every 1h30m', '@every 1.5h', '@every 1d/2h', 'TZ=UTC @daily', 'CRON_TZ=Europe/Berlin 0 2 * * *', '0 2 * * * # nightly'];
  const refused = ['@Hourly', '@every 5x', '@every 500ms', '@every 1h/2h', '0 2 * * * 1999', '61 0 2 * * * *', '@EVERY 5m', 'CRON_TZ=Europe/Berlin'];
  const temporalTakes = async (cron: string) => {
    const scheduleId = `${taskQueue}-${randomBytes(4).toString('hex')}`;
    try {
      await temporal.client.schedule.create({ scheduleId, spec: { cronExpressions: [cron] }, action: { type: 'startWorkflow', workflowType: 'none', taskQueue, args: [] }, state: { paused: true } });
    } catch (error) {
      if (error instanceof TypeError) return false;
      throw error;
    }
    await temporal.client.schedule.getHandle(scheduleId).delete();
    return true;
  };
  for (const cron of [...samples, ...refused]) expect([cron, cronProblem(cron) === null]).toEqual([cron, await temporalTakes(cron)]);
});

it('names the setting of a schedule Temporal refuses when the worker puts it in place', async () => {
  // A time zone's name is left for Temporal to judge.
  const cron = 'CRON_TZ=Mars/Olympus_Mons 0 2 * * *';
  expect(cronProblem(cron)).toBeNull();
  const refused = await putSchedulesInPlace(temporal.client, { ...config, rescoreSchedule: cron }, createLogger('silent', 'test'), defaultPolicies).catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(ConfigError);
  expect((refused as Error).message).toBe(`RESCORE_SCHEDULE="${cron}": Temporal refuses it: unknown time zone Mars/Olympus_Mons`);
  const created = await temporal.client.schedule.getHandle(rescoreScheduleId(taskQueue)).describe().then(() => true, () => false);
  expect(created).toBe(false);
});

it('names TEMPORAL_NAMESPACE when Temporal has no such namespace, at once, without waiting for it', async () => {
  const waits: unknown[] = [];
  const refused = await whenConnected(() => connectTemporal(address, 'no-such-namespace'), (error) => waits.push(error)).catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(ConfigError);
  expect((refused as Error).message).toMatch(new RegExp(`^TEMPORAL_NAMESPACE "no-such-namespace": Temporal at ${address} has no such namespace \\(create it`));
  expect(waits).toEqual([]);
});
