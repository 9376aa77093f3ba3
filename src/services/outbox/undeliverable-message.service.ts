import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../../domain/ids.js';
import { Customer, OutboxMessage } from '../../entities/index.js';
import type { AuditService } from '../audit/audit.service.js';
import { keysetPage } from '../common/keyset-page.js';
import { mapPage, type Page, type PageArgs } from '../common/pagination.js';
import { messageView, type MessageView } from './message-history.service.js';
import { OutboxException, OutboxExceptionCode } from './outbox.exception.js';
import { reasonProblem } from '../../domain/text.js';
import { givenUp } from '../../domain/messages/message-status.js';
import { bookSentReminder } from './sent-reminder.js';

/**
 * The messages the channel refused for good, or so often that delivery gave up on them, or whose hand-over
 * to the channel was interrupted (they may have gone out): they wait for a person, oldest first. Once the cause is mended (a wrong address corrected, the gateway
 * back), the operator sends one again; or discards it, with a reason. Both audited.
 */
export class UndeliverableMessageService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    /** After this many failed attempts a message is undeliverable (the delivery policy's), as is one refused for good. */
    private readonly maxAttempts: number,
    /** The currency of amounts in message texts (the money policy's). */
    private readonly currency: string,
  ) {}

  async list(args: PageArgs): Promise<Page<MessageView>> {
    const page = await keysetPage(
      this.em,
      OutboxMessage,
      // `givenUp` as a filter (test/undeliverable-messages.test.ts holds it equal to the rule).
      { tag: 'undeliverable', where: { sentAt: null, suppressedAt: null, $or: [{ attempts: { $gte: this.maxAttempts } }, { refusedAt: { $ne: null } }, { interruptedAt: { $ne: null } }] }, key: { property: 'createdAt', direction: 'asc', time: true }, tiebreaker: { property: 'id', direction: 'asc' } },
      args,
    );
    const customers = await this.em.find(Customer, { id: { $in: [...new Set(page.edges.map((e) => e.node.customer.id))] } }, { fields: ['name', 'locale'] });
    const readers = new Map(customers.map((c) => [c.id, { name: c.name, locale: c.locale }]));
    const now = new Date();
    return mapPage(page, (m) => messageView(m, readers.get(m.customer.id) ?? { name: '', locale: 'en' }, now, this.maxAttempts, this.currency));
  }

  /** Sends a message delivery gave up on (refused, interrupted) again in the next delivery round, with a fresh count of attempts and its refusal for good or interruption lifted. */
  async retry(id: string, actor: string): Promise<MessageView> {
    return this.settle(id, (message, em) => {
      // Only one delivery gave up on: one still being tried keeps its back-off and its count (a retry would reset them).
      if (!givenUp(message, this.maxAttempts)) {
        const when = message.attempts === 0 ? 'was never refused: it goes in the next delivery round' : 'is still being tried: delivery tries it again after its back-off';
        throw new OutboxException(OutboxExceptionCode.NotRefused, `Message ${id} ${when}`, { id });
      }
      this.audit.record(em, {
        actor,
        action: 'message.retry',
        entityType: 'outbox_message',
        entityId: id,
        before: {
          attempts: message.attempts,
          lastError: message.lastError ?? null,
          ...(message.refusedAt && { refusedAt: message.refusedAt.toISOString() }),
          ...(message.interruptedAt && { interruptedAt: message.interruptedAt.toISOString() }),
        },
        after: { attempts: 0, ...(message.refusedAt && { refusedAt: null }), ...(message.interruptedAt && { interruptedAt: null }) },
      });
      message.attempts = 0;
      message.sendAfter = null;
      message.refusedAt = null;
      message.interruptedAt = null;
    });
  }

  /**
   * Records a message whose hand-over was interrupted as sent, once a person found that the customer got it (the
   * channel's log, the customer's word): sent at the interruption, no longer waiting, and a reminder booked on its
   * invoice with its fee, as delivery books one that goes out. Audited.
   */
  async confirmSent(id: string, actor: string): Promise<MessageView> {
    return this.settle(id, async (message, em) => {
      if (!message.interruptedAt) {
        throw new OutboxException(OutboxExceptionCode.NotInterrupted, `Message ${id} was not interrupted in its hand-over: only delivery says a message was sent`, { id });
      }
      message.sentAt = message.interruptedAt;
      this.audit.record(em, { actor, action: 'message.confirm-sent', entityType: 'outbox_message', entityId: id, after: { sentAt: message.sentAt.toISOString() } });
      await bookSentReminder(em, this.audit, { invoiceId: message.invoice?.id ?? null, idempotencyKey: message.idempotencyKey, payload: message.payload });
    });
  }

  /** Gives a message up for good (it is never sent), with the reason shown where it was suppressed. */
  async discard(id: string, reason: string, actor: string): Promise<MessageView> {
    const why = reason.trim();
    const problem = reasonProblem(why, 'Discarding a message needs a reason');
    if (problem) throw new OutboxException(OutboxExceptionCode.InvalidInput, problem, { field: 'reason' });
    return this.settle(id, (message, em) => {
      message.suppressedAt = new Date();
      message.suppressedReason = `discarded: ${why}`;
      this.audit.record(em, { actor, action: 'message.discard', entityType: 'outbox_message', entityId: id, after: { reason: why } });
    });
  }

  /** Changes a message not yet sent, suppressed or discarded, holding its row against a delivery round. */
  private async settle(id: string, change: (message: OutboxMessage, em: EntityManager) => void | Promise<void>): Promise<MessageView> {
    if (!isUuid(id)) throw new OutboxException(OutboxExceptionCode.InvalidInput, `"${id}" is not a message ID`, { field: 'id' });
    return this.em.transactional(async (em) => {
      const message = await em.findOne(OutboxMessage, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!message) throw new OutboxException(OutboxExceptionCode.NotFound, `No message ${id}`, { id, field: 'id' });
      if (message.sentAt || message.suppressedAt) {
        throw new OutboxException(OutboxExceptionCode.Settled, `Message ${id} was ${message.sentAt ? 'sent' : 'suppressed'} already`, { id, suppressedReason: message.suppressedReason ?? null });
      }
      await change(message, em);
      const customer = await em.findOneOrFail(Customer, { id: message.customer.id }, { fields: ['name', 'locale'] });
      return messageView(message, customer, new Date(), this.maxAttempts, this.currency);
    });
  }
}
