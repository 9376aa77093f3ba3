import type { AppConfig } from '../config/config.js';
import type { Orm } from '../db/orm.js';
import type { Logger } from '../logger.js';
import { LogSender } from '../services/outbox/channels/log-sender.js';
import { SmtpSender } from '../services/outbox/channels/smtp-sender.js';
import type { UnsubscribeLinks } from '../domain/messages/unsubscribe-link.js';
import { DeliveryService, defaultDeliveryPolicy } from '../services/outbox/delivery.service.js';
import type { MessageSender } from '../services/outbox/message-sender.js';

export function createSender(config: Exclude<AppConfig['delivery'], { channel: 'off' }>): MessageSender {
  return config.channel === 'log' ? new LogSender(config.file) : new SmtpSender(config.smtpUrl, config.from, config.teamAddress);
}

/** Polls the outbox every `intervalMs` and delivers what is due, round after round while full rounds come back. */
export function startDeliveryLoop(orm: Orm, sender: MessageSender, intervalMs: number, unsubscribe: UnsubscribeLinks | null, logger: Logger) {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = async () => {
    try {
      for (;;) {
        const round = await new DeliveryService(orm.em.fork(), sender, defaultDeliveryPolicy, unsubscribe).deliverDue();
        const handled = round.sent + round.deferred + round.suppressed + round.failed;
        if (handled) logger.info(round, 'outbox delivery');
        if (stopped || handled < defaultDeliveryPolicy.batchSize) break;
      }
    } catch (error) {
      logger.error({ err: error }, 'outbox delivery failed');
    }
    if (!stopped) timer = setTimeout(() => (running = tick()), intervalMs);
  };
  running = tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      await sender.close?.();
    },
  };
}
