import type { AppConfig } from '../config/config.js';
import type { Orm } from '../db/orm.js';
import type { Logger } from '../logger.js';
import { LogSender } from '../services/outbox/channels/log-sender.js';
import { SmtpSender } from '../services/outbox/channels/smtp-sender.js';
import type { UnsubscribeLinks } from '../domain/messages/unsubscribe-link.js';
import type { Policies } from '../domain/policies/index.js';
import { DeliveryService } from '../services/outbox/delivery.service.js';
import type { MessageSender } from '../services/outbox/message-sender.js';

export function createSender(config: Exclude<AppConfig['delivery'], { channel: 'off' }>): MessageSender {
  return config.channel === 'log' ? new LogSender(config.file) : new SmtpSender(config.smtpUrl, config.from, config.teamAddress);
}

/**
 * Polls the outbox every `intervalMs` and delivers what is due, round after round while full rounds come back.
 * Stopping ends a round after the message being handed over (bounded by the channel's timeouts), not after the round.
 */
export function startDeliveryLoop(orm: Orm, sender: MessageSender, policies: Pick<Policies, 'delivery' | 'money'>, intervalMs: number, unsubscribe: UnsubscribeLinks | null, logger: Logger) {
  const stopping = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = async () => {
    try {
      for (;;) {
        const round = await new DeliveryService(orm.em.fork(), sender, policies, unsubscribe).deliverDue(new Date(), stopping.signal);
        const handled = round.sent + round.deferred + round.suppressed + round.failed;
        if (handled) logger.info(round, 'outbox delivery');
        if (stopping.signal.aborted || handled < policies.delivery.batchSize) break;
      }
    } catch (error) {
      logger.error({ err: error }, 'outbox delivery failed');
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
