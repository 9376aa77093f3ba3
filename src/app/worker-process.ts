import type { AppConfig } from '../config/config.js';
import { createOrm } from '../db/orm.js';
import type { Logger } from '../logger.js';
import { defaultScoreHistoryPolicy } from '../domain/scoring/score-history.js';
import { defaultRescorePolicy } from '../domain/scoring/scoring-policy.js';
import { connectTemporal } from '../temporal/client.js';
import { triggerPolicy } from '../domain/playbooks/triggers.js';
import { dataRetentionPolicy } from '../domain/customers/data-retention.js';
import { ensureDataRetentionSchedule, ensurePlaybookTriggersSchedule, ensureRescoreSchedule, ensureRunReconciliationSchedule, ensureScoreHistorySchedule } from '../temporal/schedules.js';
import { createWorker, installTemporalRuntime } from '../temporal/worker.js';
import { createSender, startDeliveryLoop } from './delivery-loop.js';

/**
 * One Temporal worker polling the task queue. The Temporal runtime shuts it down
 * gracefully on SIGINT/SIGTERM (activities in flight finish); `done` resolves after that.
 */
export async function startWorkerProcess(config: AppConfig, logger: Logger, opts: { handleSignals?: boolean } = {}) {
  installTemporalRuntime(logger, config.workerMetricsPort, { handleSignals: opts.handleSignals });
  const orm = await createOrm(config.databaseUrl);
  const temporal = await connectTemporal(config.temporal.address, config.temporal.namespace);
  const { worker, connection } = await createWorker(config.temporal, orm, temporal.client);
  const { taskQueue } = config.temporal;
  if (config.rescoreSchedule) {
    const scheduleId = await ensureRescoreSchedule(temporal.client, taskQueue, config.rescoreSchedule, defaultRescorePolicy);
    logger.info({ scheduleId, cron: config.rescoreSchedule }, 'rescore schedule in place');
  }
  if (config.scoreHistorySchedule) {
    const scheduleId = await ensureScoreHistorySchedule(temporal.client, taskQueue, config.scoreHistorySchedule, defaultScoreHistoryPolicy);
    logger.info({ scheduleId, cron: config.scoreHistorySchedule }, 'score history schedule in place');
  }
  if (config.dataRetention.schedule) {
    const policy = { ...dataRetentionPolicy, eraseOffboardedAfterDays: config.dataRetention.eraseOffboardedAfterDays };
    const scheduleId = await ensureDataRetentionSchedule(temporal.client, taskQueue, config.dataRetention.schedule, policy);
    logger.info({ scheduleId, cron: config.dataRetention.schedule, eraseOffboardedAfterDays: policy.eraseOffboardedAfterDays }, 'data retention schedule in place');
  }
  if (config.triggersSchedule) {
    const scheduleId = await ensurePlaybookTriggersSchedule(temporal.client, taskQueue, config.triggersSchedule, triggerPolicy);
    logger.info({ scheduleId, cron: config.triggersSchedule }, 'playbook trigger schedule in place');
  }
  if (config.runReconciliationSchedule) {
    const scheduleId = await ensureRunReconciliationSchedule(temporal.client, taskQueue, config.runReconciliationSchedule);
    logger.info({ scheduleId, cron: config.runReconciliationSchedule }, 'run reconciliation schedule in place');
  }
  const delivery = config.delivery.channel === 'off' ? null : startDeliveryLoop(orm, createSender(config.delivery), config.delivery.intervalMs, config.unsubscribe, logger);
  const done = worker.run().finally(async () => {
    await delivery?.stop();
    await temporal.close();
    await connection.close();
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
