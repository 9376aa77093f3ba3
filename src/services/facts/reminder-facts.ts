import type { EntityManager } from '@mikro-orm/postgresql';
import type { RemindersSoFar } from '../../domain/messages/template.js';
import { stepMessageKey, stepMessageKeyParts } from '../../domain/playbooks/run-id.js';
import { feesStandingSql } from './invoice-facts.js';

/** The standard schedule's reminders (with the policy's fees), as opposed to a loyal payer's friendly and gentle ones. */
const STANDARD_REMINDER = 'reminder-standard-';

/**
 * What the reminder run `workflowId` of invoice `invoiceId` has sent and what is charged on the invoice, as its call
 * tasks name them: the run's reminders that went out (held-back ones reached nobody), the numbers of those on the
 * standard schedule, the fees booked on the invoice (each reminder's as it went out, and any the billing system
 * charged), and the band the run started in when the payer's band was raised on the way (its audit entry). Read when
 * the task is written and again as delivery sends it, after the reminders before it went out.
 */
export async function remindersSoFar(em: EntityManager, workflowId: string, invoiceId: string): Promise<RemindersSoFar> {
  const sent = await em.execute<{ key: string; template: string }[]>(
    `select m.idempotency_key as key, m.template from outbox_message m
      where m.invoice_id = ? and starts_with(m.idempotency_key, ?) and m.sent_at is not null`,
    [invoiceId, stepMessageKey(workflowId, 'reminder-')],
  );
  const [facts] = await em.execute<{ fees: string | null; all_sent: number | null; raised_from: string | null }[]>(
    `select (select ${feesStandingSql('i')} from invoice i where i.id = ?) as fees, (select i.reminders_sent from invoice i where i.id = ?) as all_sent,
            (select a.before ->> 'loyaltyBand' from audit_entry a
              where a.entity_type = 'playbook_run' and a.entity_id = ? and a.action = 'playbook.loyalty-band-raised' order by a.at, a.id limit 1) as raised_from`,
    [invoiceId, invoiceId, workflowId],
  );
  const numberOf = (key: string) => Number(stepMessageKeyParts(key).step.slice('reminder-'.length));
  return {
    remindersSent: sent.length,
    standardReminders: sent
      .filter((m) => m.template.startsWith(STANDARD_REMINDER))
      .map((m) => numberOf(m.key))
      .sort((a, b) => a - b),
    feesChargedMinor: Number(facts?.fees ?? 0),
    loyaltyBandRaisedFrom: facts?.raised_from ?? null,
    // The invoice's reminders beyond this run's: the billing system's (an import's), or an earlier run's, whose fees are in the figure too.
    earlierReminders: Math.max(0, Number(facts?.all_sent ?? 0) - sent.length),
  };
}
