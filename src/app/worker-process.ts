import type { Client } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { ConfigError, configuredPolicies, type AppConfig } from '../config/config.js';
import type { Logger } from '../logger.js';
import type { Policies } from '../domain/policies/index.js';
import { connectTemporal, whenConnected } from '../temporal/client.js';
import {
  ensureDataRetentionSchedule,
  ensurePlaybookTriggersSchedule,
  ensureRescoreSchedule,
  ensureRunReconciliationSchedule,
  ensureScoreHistorySchedule,
  platformSchedules,
  removeSchedule,
  type PlatformScheduleName,
  type ScheduleState,
} from '../temporal/schedules.js';
import { createWorker, installTemporalRuntime } from '../temporal/worker.js';
import { openProcessDatabase } from './process-database.js';
import { createOrm, stepOrmOptions } from '../db/orm.js';
import { createSender, startDeliveryLoop } from './delivery-loop.js';

/**
 * One Temporal worker polling the task queue. The Temporal runtime shuts it down
 * gracefully on SIGINT/SIGTERM (activities in flight finish); `done` resolves after that.
 * Its activities, schedules and outbox delivery all decide by `opts.policies` (the defaults
 * unless given: the API process must be given the same).
 */
export async function startWorkerProcess(config: AppConfig, logger: Logger, opts: { handleSignals?: boolean; policies?: Policies } = {}) {
  const policies = configuredPolicies(config, opts.policies);
  const orm = await openProcessDatabase(config.databaseUrl, policies.money.currency, logger);
  // A second pool for the playbooks' steps, whose statements PostgreSQL ends before an attempt's time is up (stepOrmOptions).
  const stepsOrm = await createOrm(config.databaseUrl, stepOrmOptions());
  const { address, namespace } = config.temporal;
  const temporal = await whenConnected(
    () => connectTemporal(config.temporal, namespace),
    (error, retryInMs) => logger.warn({ err: error, address }, `Temporal (TEMPORAL_ADDRESS ${address}) cannot be reached yet; trying again in ${retryInMs / 1000} s`),
  );
  // Installed once the database and Temporal are there: until then a signal stops the process as it would any other.
  // On the address the API listens on: loopback on a developer's machine, every interface in a container (HOST).
  installTemporalRuntime(logger, config.workerMetricsPort, { handleSignals: opts.handleSignals, metricsHost: config.api.host });
  const { worker, connection, answerWaits } = await createWorker(config.temporal, orm, temporal.client, policies, stepsOrm);
  await putSchedulesInPlace(temporal.client, config, logger, policies);
  const delivery = config.delivery.channel === 'off' ? null : startDeliveryLoop(orm, createSender(config.delivery), policies, config.delivery.intervalMs, config.unsubscribe, logger, Runtime.instance().metricMeter);
  const done = worker.run().finally(async () => {
    // The steering audits' waits for an update's answer outlive their activities: cut short and ended before what they use closes.
    await answerWaits.close();
    await delivery?.stop();
    await temporal.close();
    await connection.close();
    await stepsOrm.close();
    await orm.close();
  });
  logger.info({ taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace, messages: config.delivery.channel }, 'worker polling');
  return {
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}

/**
 * The deployment's schedules as configured: each one with a time is created or brought up to
 * date; each one switched `off` is deleted from Temporal, so `off` stops a sweep an earlier
 * start created (a legal hold on erasure, no automatic playbooks during a migration).
 */
export async function putSchedulesInPlace(client: Client, config: AppConfig, logger: Logger, policies: Policies): Promise<void> {
  const { taskQueue } = config.temporal;
  const retentionPolicy = { ...policies.dataRetention, eraseOffboardedAfterDays: config.dataRetention.eraseOffboardedAfterDays };
  // What each schedule is set by and does; its ID comes with its name from the one list of the deployment's schedules.
  const settings: Record<PlatformScheduleName, { setting: string; cron: string | null; ensure: (cron: string) => Promise<ScheduleState>; pausedMeans?: string }> = {
    rescore: { setting: 'RESCORE_SCHEDULE', cron: config.rescoreSchedule, ensure: (cron) => ensureRescoreSchedule(client, taskQueue, cron, policies.rescore), pausedMeans: 'no nightly rescore' },
    'score-history': { setting: 'SCORE_HISTORY_SCHEDULE', cron: config.scoreHistorySchedule, ensure: (cron) => ensureScoreHistorySchedule(client, taskQueue, cron, policies.scoreHistory) },
    'data-retention': { setting: 'DATA_RETENTION_SCHEDULE', cron: config.dataRetention.schedule, ensure: (cron) => ensureDataRetentionSchedule(client, taskQueue, cron, retentionPolicy), pausedMeans: "nobody's expired data is erased" },
    'playbook-triggers': { setting: 'PLAYBOOK_TRIGGERS_SCHEDULE', cron: config.triggersSchedule, ensure: (cron) => ensurePlaybookTriggersSchedule(client, taskQueue, cron, policies.triggers), pausedMeans: 'no playbook starts by its triggers' },
    'run-reconciliation': {
      setting: 'RUN_RECONCILIATION_SCHEDULE',
      cron: config.runReconciliationSchedule,
      ensure: (cron) => ensureRunReconciliationSchedule(client, taskQueue, cron),
      pausedMeans: 'runs and campaigns terminated, failed or reset in Temporal keep their old status in the API (a terminated run stays running, its fix case open, its queued messages not held back)',
    },
  };
  const schedules = platformSchedules(taskQueue).map(({ name, id }) => ({ name, id, ...settings[name] }));
  for (const schedule of schedules) {
    if (schedule.cron) {
      const state = await schedule.ensure(schedule.cron).catch((error: unknown) => {
        // Temporal refuses a spec it cannot read (INVALID_ARGUMENT, which its schedule client rethrows as a TypeError): a value the
        // start check lets through, such as an unknown CRON_TZ zone. Any other TypeError is a fault of the code, not of the setting.
        if (error instanceof TypeError && error.stack?.includes('rethrowGrpcError')) throw new ConfigError(`${schedule.setting}="${schedule.cron}": Temporal refuses it: ${error.message}`, { cause: error });
        throw error;
      });
      if (state.paused) {
        // Someone paused it in Temporal: it stays paused (theirs to undo), but it starts nothing meanwhile, which nothing else would say.
        logger.warn(
          { scheduleId: schedule.id, cron: schedule.cron, note: state.note },
          `${schedule.name} schedule in place but PAUSED in Temporal (note: ${state.note ? `"${state.note}"` : 'none'}): it starts nothing until unpaused (temporal schedule toggle --unpause -s ${schedule.id})${schedule.pausedMeans ? `; meanwhile ${schedule.pausedMeans}` : ''}`,
        );
        continue;
      }
      logger.info({ scheduleId: schedule.id, cron: schedule.cron }, `${schedule.name} schedule in place`);
    } else if (await removeSchedule(client, schedule.id)) {
      logger.warn({ scheduleId: schedule.id }, `${schedule.name} schedule switched off: deleted from Temporal`);
    }
  }
}
