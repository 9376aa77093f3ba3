import { stepMessageKey } from '../../domain/playbooks/run-id.js';
import { randomUUID } from 'node:crypto';
import { raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { heldBackUntilStepTakenAgain } from '../../domain/playbooks/run-status.js';
import { MessageChannel, MessagePurpose, OutboxMessage } from '../../entities/index.js';

export interface OutgoingMessage {
  /** `<workflow id>/<step>`: the same step of the same run never writes a second message. */
  idempotencyKey: string;
  customerId: string;
  channel: MessageChannel;
  purpose: MessagePurpose;
  template: string;
  /** IDs and amounts for the template; the delivery worker looks up names and addresses. */
  payload: Record<string, unknown>;
  /** The invoice the message is about, if any: a message chasing its payment is held back once it is paid. */
  invoiceId?: string | null;
  /** Not delivered before this (a reminder before the customer's due day has ended); delivery applies quiet hours from then. */
  sendAfter?: Date | null;
  /**
   * The payment-loyalty band the message was decided under (a reminder run's band), for the fairness report; when not
   * given, the customer's stored band as it is written.
   */
  loyaltyBand?: string | null;
}

/** Messages to customers go to the outbox first, inside the transaction of the change they belong to. */
export class OutboxService {
  /** `stepScheduledAt`: when the engine scheduled the step writing through this service (see OutboxMessage.stepScheduledAt); null outside a step. */
  constructor(private readonly stepScheduledAt: Date | null = null) {}

  /** True when the message is new; false when this key was written before (a retried or replayed step). */
  async enqueue(em: EntityManager, message: OutgoingMessage): Promise<boolean> {
    const result = await em
      .createQueryBuilder(OutboxMessage)
      .insert({
        id: randomUUID(),
        idempotencyKey: message.idempotencyKey,
        customer: message.customerId,
        invoice: message.invoiceId ?? null,
        channel: message.channel,
        purpose: message.purpose,
        template: message.template,
        payload: message.payload,
        sendAfter: message.sendAfter ?? null,
        createdAt: new Date(),
        stepScheduledAt: this.stepScheduledAt,
        attempts: 0,
        // The band the message was decided under, for the fairness report: the run's when it says, else the customer's
        // stored band, read in the same statement.
        loyaltyBand: message.loyaltyBand ?? raw(`(select band from current_score where customer_id = ? and kind = 'payment-loyalty')`, [message.customerId]),
      })
      .onConflict('idempotencyKey')
      .ignore()
      .execute('run');
    return result.affectedRows === 1;
  }

  /**
   * A playbook step's message, keyed `<workflow id>/<step>`; service messages unless said
   * otherwise. Called by a step of a running run only (`runStillRunning`), so a message of the
   * step that its run's stop held back was held back by an end a reset has undone since: the
   * reset run takes the step again (it was reset to before it) and means it, so the message is
   * released, to go out as if the run had never stopped (once at most: it is the same row). So is one
   * held back as a step a reset undid (`RESET_UNDONE`): the reset run took the step again after all.
   */
  async enqueueStep(
    em: EntityManager,
    run: { workflowId: string; customerId: string },
    step: string,
    message: { channel: MessageChannel; template: string; payload: Record<string, unknown>; purpose?: MessagePurpose; invoiceId?: string; sendAfter?: Date | null; loyaltyBand?: string | null },
  ): Promise<boolean> {
    const idempotencyKey = stepMessageKey(run.workflowId, step);
    if (await this.enqueue(em, { idempotencyKey, customerId: run.customerId, purpose: MessagePurpose.Service, ...message })) return true;
    await this.takenAgain(em, idempotencyKey);
    return false;
  }

  /**
   * A step's message found written: the step is taken again (a retry, or a reset run's), which recording a reset looks at;
   * one held back by the run's stop, or by a reset that undid the step, is meant again and released.
   */
  private async takenAgain(em: EntityManager, idempotencyKey: string): Promise<void> {
    await em.nativeUpdate(OutboxMessage, { idempotencyKey, sentAt: null }, { takenAgainAt: new Date() });
    await em.nativeUpdate(OutboxMessage, { idempotencyKey, sentAt: null, suppressedReason: { $in: [...heldBackUntilStepTakenAgain] } }, { suppressedAt: null, suppressedReason: null });
  }

  /**
   * `enqueueStep`, answering with the payload the step's message holds: this one when it is
   * new, else the one written first. A retried step that worked out its message again (an
   * offer ended, a score moved meanwhile) goes on with what the customer was told.
   */
  async enqueueStepOnce(em: EntityManager, run: { workflowId: string; customerId: string }, step: string, message: Parameters<OutboxService['enqueueStep']>[3]): Promise<Record<string, unknown>> {
    if (await this.enqueueStep(em, run, step, message)) return message.payload;
    return (await this.payloadOf(em, stepMessageKey(run.workflowId, step)))!;
  }

  /**
   * The payload of a step's message written before, or null when it wrote none: for a step that goes on with what it wrote
   * first (retried, or taken again by a reset run) instead of writing it (`enqueueStep`), which takes the message found as
   * `enqueueStep` does (marked taken again, released where its run's stop or a reset held it back): the run goes on as
   * if it went, so it goes.
   */
  async stepPayload(em: EntityManager, run: { workflowId: string }, step: string): Promise<Record<string, unknown> | null> {
    const idempotencyKey = stepMessageKey(run.workflowId, step);
    const payload = await this.payloadOf(em, idempotencyKey);
    if (payload) await this.takenAgain(em, idempotencyKey);
    return payload;
  }

  private async payloadOf(em: EntityManager, idempotencyKey: string): Promise<Record<string, unknown> | null> {
    return (await em.findOne(OutboxMessage, { idempotencyKey }, { fields: ['payload'] }))?.payload ?? null;
  }
}
