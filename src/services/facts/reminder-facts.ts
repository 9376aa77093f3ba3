import type { EntityManager } from '@mikro-orm/postgresql';
import type { RemindersSoFar } from '../../domain/messages/template.js';
import { RUN_ID_SEPARATOR, stepMessageKey, stepMessageKeyParts } from '../../domain/playbooks/run-id.js';
import { occurrenceOf } from '../../domain/playbooks/occurrence.js';
import { feesStandingSql } from './invoice-facts.js';
import { promiseLapsedEntry } from './payment-promise-entries.js';

const CALL_TASK = 'call-personal';

/** The standard schedule's reminders (with the policy's fees), as opposed to a loyal payer's friendly and gentle ones. */
const STANDARD_REMINDER = 'reminder-standard-';

/**
 * What the reminder run `workflowId` of invoice `invoiceId` has sent and what is charged on the invoice, as its call
 * tasks name them: the run's reminders that went out (held-back ones reached nobody), the numbers of those on the
 * standard schedule, the fees booked on the invoice (each reminder's as it went out, and any the billing system
 * charged), and the band the run started in when the payer's band was raised on the way (its audit entry). For a next
 * course of the invoice, also what the person calling picks up from: the earlier runs' call tasks that went out, and the
 * promises to pay it that lapsed (the days promised, whichever run held them, this one included). Read when the task is
 * written and again as delivery sends it, after the reminders before it went out.
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
  // The invoice's earlier runs are `fair-reminder/<customer>/<invoice>` and its occurrences `/2`, `/3`, ... before this one.
  const base = workflowId.split(RUN_ID_SEPARATOR).slice(0, 3).join(RUN_ID_SEPARATOR);
  const occurrence = occurrenceOf(base, workflowId) ?? 1;
  const calls = await em.execute<{ key: string; sent_at: Date }[]>(
    `select m.idempotency_key as key, m.sent_at from outbox_message m where m.invoice_id = ? and m.template = ? and m.sent_at is not null order by m.sent_at`,
    [invoiceId, CALL_TASK],
  );
  const earlierCalls = calls.filter((m) => (occurrenceOf(base, stepMessageKeyParts(m.key).workflowId) ?? occurrence) < occurrence);
  // The first lapse of each day promised (a promise is audited lapsed by the run that held it, once).
  const lapsed = await em.execute<{ until: string }[]>(
    `select a.after ->> 'until' as until from playbook_run r join audit_entry a on ${promiseLapsedEntry()}
      where r.customer_id = (select i.customer_id from invoice i where i.id = ?) and a.after ->> 'invoiceId' = ?
      group by a.after ->> 'until' order by min(a.at), a.after ->> 'until'`,
    [invoiceId, invoiceId],
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
    earlierCalls: earlierCalls.length,
    lastEarlierCallAt: earlierCalls.length ? new Date(earlierCalls[earlierCalls.length - 1].sent_at).toISOString() : null,
    lapsedPromises: lapsed.map((l) => l.until),
  };
}
