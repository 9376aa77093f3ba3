import type { EntityManager } from '@mikro-orm/postgresql';
import { DISPUTE_UPHELD, INVOICE_DISPUTED, untilPaidTemplates } from '../../domain/messages/catalogue.js';
import type { DisputeOutcome } from '../../domain/billing/dispute.js';
import { stepMessageKeyParts } from '../../domain/playbooks/run-id.js';
import type { AuditService } from '../audit/audit.service.js';
import { runPrefixOfKeySql } from '../facts/run-ids.js';
import { MESSAGE_HELD_BACK, MESSAGE_RELEASED } from '../outbox/message-audit.js';

/** Why a dispute holds back what still chases the invoice (`INVOICE_DISPUTED`, with the day it was disputed). */
export function invoiceDisputedReason(disputedAt: Date): string {
  return `${INVOICE_DISPUTED}: the customer disputed the invoice on ${disputedAt.toISOString().slice(0, 10)}; nothing chasing it goes out until the dispute is resolved`;
}

/** SQL over `outbox_message m`: a message held back by a dispute of its invoice, not gone out. */
const heldByDispute = `m.sent_at is null and starts_with(m.suppressed_reason, '${INVOICE_DISPUTED}:')`;

/**
 * The customer disputed the invoice: whatever still chases it, queued (a reminder held for the customer's quiet hours, a call
 * task or the collections letter behind a reminder), is held back in the dispute's transaction, so delivery either sent it
 * before or finds it held back. Each audited `message.held-back` by whoever recorded the dispute. Not one delivery gave up on
 * (it waits for a person; delivery holds it back if retried while the dispute is open), nor one whose hand-over was
 * interrupted (it may have reached the customer). The messages held back.
 */
export async function holdBackForDispute(em: EntityManager, audit: AuditService, invoice: { id: string; customerId: string; disputedAt: Date }, actor: string, maxAttempts: number): Promise<number> {
  const reason = invoiceDisputedReason(invoice.disputedAt);
  const held = await em.execute<{ id: string; template: string; idempotency_key: string }[]>(
    `update outbox_message m set suppressed_at = now(), suppressed_reason = ?
      where m.invoice_id = ? and m.template in (?) and m.sent_at is null and m.suppressed_at is null
        and m.refused_at is null and m.interrupted_at is null and m.attempts < ?
      returning m.id, m.template, m.idempotency_key`,
    [reason, invoice.id, [...untilPaidTemplates], maxAttempts],
  );
  for (const m of held) {
    const { workflowId, step } = stepMessageKeyParts(m.idempotency_key);
    audit.record(em, { actor, action: MESSAGE_HELD_BACK, entityType: 'outbox_message', entityId: m.id, after: { reason, invoiceId: invoice.id, customerId: invoice.customerId, template: m.template, workflowId, step } });
  }
  return held.length;
}

/**
 * The dispute was resolved: what it held back is settled, in the resolution's transaction.
 * - `rejected`, the invoice stands: a reminder of a run under way stays held, and the run sends it again in its next step's
 *   place (after the step's wait starts afresh), as after a lapsed promise. The rest (a call task, the collections letter, a
 *   reminder of a run that has ended) goes once `graceDays` have passed, as the run's next step would: the customer hears the
 *   outcome first. Delivery holds it back if the invoice was paid by then.
 * - `upheld`, the customer is right: all of it is held back for good (`DISPUTE_UPHELD`), the run being cancelled.
 * Each audited (`message.released` or `message.held-back`) by whoever resolved it. The messages settled.
 */
export async function settleDisputeHolds(em: EntityManager, audit: AuditService, invoice: { id: string; customerId: string }, outcome: DisputeOutcome, graceDays: number, actor: string): Promise<number> {
  const settled =
    outcome === 'upheld'
      ? await em.execute<{ id: string; template: string; idempotency_key: string }[]>(
          `update outbox_message m set suppressed_reason = ? where m.invoice_id = ? and ${heldByDispute} returning m.id, m.template, m.idempotency_key`,
          [DISPUTE_UPHELD, invoice.id],
        )
      : await em.execute<{ id: string; template: string; idempotency_key: string }[]>(
          `update outbox_message m set suppressed_at = null, suppressed_reason = null, waits_for = null,
                  send_after = greatest(m.send_after, now() + make_interval(days => ?::int))
            where m.invoice_id = ? and ${heldByDispute}
              and not (m.idempotency_key ~ '/reminder-[0-9]+$' and exists (select 1 from playbook_run r where r.status = 'running' and r.customer_id = m.customer_id
                                                                            and r.workflow_id || '/' = ${runPrefixOfKeySql('m.idempotency_key')}))
            returning m.id, m.template, m.idempotency_key`,
          [graceDays, invoice.id],
        );
  for (const m of settled) {
    const { workflowId, step } = stepMessageKeyParts(m.idempotency_key);
    const after = outcome === 'upheld' ? { reason: DISPUTE_UPHELD } : { reason: 'dispute-rejected: the invoice stands; it goes after the grace days', graceDays };
    audit.record(em, { actor, action: outcome === 'upheld' ? MESSAGE_HELD_BACK : MESSAGE_RELEASED, entityType: 'outbox_message', entityId: m.id, after: { ...after, invoiceId: invoice.id, customerId: invoice.customerId, template: m.template, workflowId, step } });
  }
  return settled.length;
}
