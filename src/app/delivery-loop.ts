import { noopMetricMeter, type MetricMeter } from '@temporalio/common';
import type { AppConfig } from '../config/config.js';
import type { Orm } from '../db/orm.js';
import { isDatabaseUnreachable } from '../db/unreachable.js';
import type { Logger } from '../logger.js';
import { LogSender } from '../services/outbox/channels/log-sender.js';
import { SmtpSender } from '../services/outbox/channels/smtp-sender.js';
import type { UnsubscribeLinks } from '../domain/messages/unsubscribe-link.js';
import type { Policies } from '../domain/policies/index.js';
import { DeliveryService } from '../services/outbox/delivery.service.js';
import type { MessageSender } from '../services/outbox/message-sender.js';

/** How often an outage of PostgreSQL is told again while it lasts. */
const OUTAGE_TOLD_EVERY_MS = 60_000;

export function createSender(config: Exclude<AppConfig['delivery'], { channel: 'off' }>): MessageSender {
  return config.channel === 'log' ? new LogSender(config.file) : new SmtpSender(config.smtpUrl, config.from, config.teamAddress);
}

/** The worker's counter of failed delivery attempts, as its metrics (WORKER_METRICS_PORT) serve it. */
export const DELIVERY_FAILURES_METRIC = 'retention_outbox_delivery_failures_total';

/**
 * Polls the outbox every `intervalMs` and delivers what is due, round after round while full rounds come back.
 * Stopping ends a round after the message being handed over (bounded by the channel's timeouts), not after the round.
 * Its failed attempts are counted on `meter` (the worker's metrics), so a channel failing shows at its first failure.
 */
export function startDeliveryLoop(
  orm: Orm,
  sender: MessageSender,
  policies: Pick<Policies, 'delivery' | 'money'>,
  intervalMs: number,
  unsubscribe: UnsubscribeLinks | null,
  logger: Logger,
  meter: MetricMeter = noopMetricMeter,
) {
  const failures = meter.createCounter(
    DELIVERY_FAILURES_METRIC,
    undefined,
    'Failed delivery attempts of outbox messages since the worker started: the channel refused a message (for now or for good), did not answer, could not be reached, or a hand-over was found interrupted. A rise: the channel fails (retention_outbox_messages{state="retrying"} on the API says how many wait)',
  );
  // Served from the start at 0: an alert on its rise sees the first failures after a restart, not only those after the first.
  failures.add(0);
  const stopping = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  // PostgreSQL gone (restarting, the network down): said when it starts, once a minute while it lasts and when it ends, not every round.
  let outage: { since: number; toldAt: number } | null = null;
  const tick = async () => {
    try {
      for (;;) {
        const round = await new DeliveryService(orm.em.fork(), sender, policies, unsubscribe).deliverDue(new Date(), stopping.signal);
        if (outage) logger.info({ downForSeconds: Math.round((Date.now() - outage.since) / 1000) }, 'PostgreSQL reached again: outbox delivery goes on');
        outage = null;
        if (round.failed) failures.add(round.failed);
        const handled = round.sent + round.deferred + round.suppressed + round.failed;
        if (handled) logger.info(round, 'outbox delivery');
        if (stopping.signal.aborted || handled < policies.delivery.batchSize) break;
      }
    } catch (error) {
      const now = Date.now();
      if (!isDatabaseUnreachable(error)) logger.error({ err: error }, 'outbox delivery failed');
      else if (!outage) {
        outage = { since: now, toldAt: now };
        logger.warn({ err: error }, 'PostgreSQL cannot be reached: outbox delivery waits for it');
      } else if (now - outage.toldAt >= OUTAGE_TOLD_EVERY_MS) {
        outage.toldAt = now;
        logger.warn({ downForSeconds: Math.round((now - outage.since) / 1000), reason: (error as Error).message }, 'PostgreSQL still cannot be reached: outbox delivery waits for it');
      }
    }
    if (!stopping.signal.aborted) timer = setTimeout(() => (running = tick()), intervalMs);
  };
  running = tick();
  return {
    async stop() {
      stopping.abort();
      clearTimeout(timer);
      await running;
      await sender.close?.();
    },
  };
}
