import { createOrm } from '../../src/db/orm.js';
import { defaultPolicies } from '../../src/domain/policies/index.js';
import { SmtpSender } from '../../src/services/outbox/channels/smtp-sender.js';
import { DeliveryService } from '../../src/services/outbox/delivery.service.js';
import type { MessageSender } from '../../src/services/outbox/message-sender.js';

/**
 * A worker that dies during a hand-over (test/delivery.test.ts): it delivers one round at the time given, and once the
 * SMTP server has taken a message it tells its parent and waits, to be killed before it can record the outcome.
 * Arguments: database URL, SMTP URL, the round's time (ISO).
 */
const [databaseUrl, smtpUrl, at] = process.argv.slice(2);
const orm = await createOrm(databaseUrl);
const smtp = new SmtpSender(smtpUrl, 'Retention <care@example.com>', 'team@example.com');
const sender: MessageSender = {
  async send(message) {
    await smtp.send(message);
    process.send!({ handedOver: message.idempotencyKey });
    await new Promise(() => {});
  },
};
await new DeliveryService(orm.em.fork(), sender, defaultPolicies).deliverDue(new Date(at));
