import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../../domain/ids.js';
import { Customer, OutboxMessage } from '../../entities/index.js';
import type { AuditService } from '../audit/audit.service.js';
import { keysetPage } from '../common/keyset-page.js';
import { mapPage, type Page, type PageArgs } from '../common/pagination.js';
import { messageView, type MessageView } from './message-history.service.js';
import { OutboxException, OutboxExceptionCode } from './outbox.exception.js';
import { echoed, reasonProblem } from '../../domain/text.js';
import { givenUp } from '../../domain/messages/message-status.js';
import { bookSentReminder } from './sent-reminder.js';
import { lookAgainAtWaiters, promiseHoldingRun, runsGoingOn } from './waiting-messages.js';
import { heldByPromise, untilPaidTemplates } from '../../domain/messages/catalogue.js';
import { promiseEndsAt, type PaymentPromisePolicy } from '../../domain/playbooks/fair-reminder.js';
import { stepMessageKey, stepMessageKeyParts } from '../../domain/playbooks/run-id.js';
import { overtakenSql } from '../facts/outbox-facts.js';
import { PROMISED_UNTIL, PROMISE_TO_PAY_ENTRY } from '../facts/payment-promise-entries.js';

/**
 * The messages the channel refused for good, or so often that delivery gave up on them, or whose hand-over
 * to the channel was interrupted (they may have gone out): they wait for a person, oldest first. Once the cause is mended (a wrong address corrected, the gateway
 * back), the operator sends one again; or discards it, with a reason. Both audited. Either way the run's later messages
 * held for it are looked at again at once.
 */
export class UndeliverableMessageService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    /** After this many failed attempts a message is undeliverable (the delivery policy's), as is one refused for good. */
    private readonly maxAttempts: number,
    /** The currency of amounts in message texts (the money policy's). */
    private readonly currency: string,
    /** How long a promise to pay holds a reminder run (the fair-reminder policy's). */
    private readonly promise: PaymentPromisePolicy,
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

  /**
   * Sends a message delivery gave up on (refused, interrupted) again in the next delivery round, with a fresh count of
   * attempts and its refusal for good or interruption lifted. One chasing payment while the customer's promise to pay
   * stands is held until the promise ends (it goes then, unless the invoice was paid); a reminder its run's later
   * messages overtook is refused (it would come out of order).
   */
  async retry(id: string, actor: string): Promise<MessageView> {
    return this.settle(id, async (message, em) => {
      // Only one delivery gave up on: one still being tried keeps its back-off and its count (a retry would reset them).
      if (!givenUp(message, this.maxAttempts)) {
        const now = new Date();
        const when = heldByPromise(message.suppressedReason)
          ? 'is not refused: a promise to pay holds it back, and its run sends it again if the promise lapses unpaid'
          : message.attempts > 0
            ? 'is still being tried: delivery tries it again after its back-off'
            : message.waitsFor
              ? `is not refused now: it waits for ${message.waitsFor}`
              : message.sendAfter && message.sendAfter > now
                ? `is not refused now: it is held until ${message.sendAfter.toISOString()} (quiet hours or a promise to pay) and goes then`
                : 'is not refused now: it goes in the next delivery round';
        throw new OutboxException(OutboxExceptionCode.NotRefused, `Message ${id} ${when}`, { id });
      }
      const chasing = untilPaidTemplates.includes(message.template);
      if (chasing && (await this.overtaken(em, message))) {
        const { step } = stepMessageKeyParts(message.idempotencyKey);
        throw new OutboxException(
          OutboxExceptionCode.Overtaken,
          `Message ${id} (${step}) was overtaken: a later message of its run chasing payment went out, so sent now it would reach the customer out of order; discard it, or confirm it if it reached the customer`,
          { id },
        );
      }
      const heldUntil = chasing ? await this.promiseEnd(em, message, new Date()) : null;
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
        after: { attempts: 0, ...(message.refusedAt && { refusedAt: null }), ...(message.interruptedAt && { interruptedAt: null }), ...(heldUntil && { heldForPromiseUntil: heldUntil.toISOString() }) },
      });
      message.attempts = 0;
      message.sendAfter = heldUntil;
      message.refusedAt = null;
      message.interruptedAt = null;
      message.waitsFor = null;
    });
  }

  /**
   * Records a message whose hand-over was interrupted as sent, once a person found that the customer got it (the
   * channel's log, the customer's word): sent at the interruption (when its hand-over began), no longer waiting, and a reminder booked on its
   * invoice with its fee, as delivery books one that goes out. Audited.
   */
  async confirmSent(id: string, actor: string): Promise<MessageView> {
    return this.settle(id, async (message, em) => {
      if (!message.interruptedAt) {
        throw new OutboxException(OutboxExceptionCode.NotInterrupted, `Message ${id} was not interrupted in its hand-over: only delivery says a message was sent`, { id });
      }
      message.sentAt = message.interruptedAt;
      // Sent: what the interruption asked a person to do is done (the interruption's time stays).
      message.lastError = null;
      // As delivery wrote it then, as far as is known now.
      const reader = await em.findOneOrFail(Customer, { id: message.customer.id }, { fields: ['name', 'locale'] });
      message.sentName = reader.name;
      message.sentLocale = reader.locale;
      this.audit.record(em, { actor, action: 'message.confirm-sent', entityType: 'outbox_message', entityId: id, after: { sentAt: message.sentAt.toISOString() } });
      await bookSentReminder(em, this.audit, { invoiceId: message.invoice?.id ?? null, idempotencyKey: message.idempotencyKey, payload: message.payload });
    });
  }

  /**
   * Gives a message up for good (it is never sent), with the reason shown where it was suppressed; also one a promise to
   * pay held back, which its run would otherwise send again if the promise lapsed unpaid.
   */
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
    if (!isUuid(id)) throw new OutboxException(OutboxExceptionCode.InvalidInput, `"${echoed(id)}" is not a message ID`, { field: 'id' });
    return this.em.transactional(async (em) => {
      const message = await em.findOne(OutboxMessage, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!message) throw new OutboxException(OutboxExceptionCode.NotFound, `No message ${id}`, { id, field: 'id' });
      // One a promise to pay held back is not settled while its run goes on: the run may send it again.
      if (message.sentAt || (message.suppressedAt && !(await this.promiseHoldsIt(em, message)))) {
        throw new OutboxException(OutboxExceptionCode.Settled, `Message ${id} was ${message.sentAt ? 'sent' : 'suppressed'} already`, { id, suppressedReason: message.suppressedReason ?? null });
      }
      await change(message, em);
      await lookAgainAtWaiters(em, { customerId: message.customer.id, idempotencyKey: message.idempotencyKey, createdAt: message.createdAt, template: message.template });
      const customer = await em.findOneOrFail(Customer, { id: message.customer.id }, { fields: ['name', 'locale'] });
      return messageView(message, customer, new Date(), this.maxAttempts, this.currency);
    });
  }

  /** A promise to pay holds `message` back and its run goes on, so the run sends it again if the promise lapses unpaid. */
  private async promiseHoldsIt(em: EntityManager, message: OutboxMessage): Promise<boolean> {
    const run = promiseHoldingRun(message);
    return run !== null && (await runsGoingOn(em, [run])).has(run);
  }

  /** A reminder of its run chasing payment went out after `message` was written (SQL `overtakenSql`). */
  private async overtaken(em: EntityManager, message: OutboxMessage): Promise<boolean> {
    const { workflowId, step } = stepMessageKeyParts(message.idempotencyKey);
    if (!step.startsWith('reminder-')) return false;
    const [{ overtaken }] = await em.execute<{ overtaken: boolean }[]>(`select ${overtakenSql('m')} as overtaken from outbox_message m where m.id = ?`, [
      stepMessageKey(workflowId, ''),
      [...untilPaidTemplates],
      message.id,
    ]);
    return overtaken;
  }

  /**
   * When the promise to pay the customer made on the run of `message` stops holding it, if it still holds at `now`: the
   * latest promise the audit log holds for the run (a reset to before it is not looked at: holding too long is the fair
   * mistake). Null when there is none, or it has ended.
   */
  private async promiseEnd(em: EntityManager, message: OutboxMessage, now: Date): Promise<Date | null> {
    const { workflowId } = stepMessageKeyParts(message.idempotencyKey);
    const [latest] = await em.execute<{ until: string | null }[]>(
      `select ${PROMISED_UNTIL} as until from playbook_run r join audit_entry a on ${PROMISE_TO_PAY_ENTRY} where r.workflow_id = ? order by a.at desc limit 1`,
      [workflowId],
    );
    if (!latest?.until) return null;
    const ends = promiseEndsAt(latest.until, this.promise);
    return ends > now.getTime() ? new Date(ends) : null;
  }
}
