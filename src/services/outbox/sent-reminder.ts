import type { EntityManager } from '@mikro-orm/postgresql';
import { bookingOnSending } from '../../domain/playbooks/fair-reminder.js';
import { stepMessageKeyParts } from '../../domain/playbooks/run-id.js';
import { Invoice, ReminderBooking } from '../../entities/index.js';
import type { AuditService } from '../audit/audit.service.js';
import { runActor } from '../../domain/auth/roles.js';

/**
 * A reminder that went out is booked on its invoice with its fee (charged, or waived and
 * recorded) and the band it was decided for, audited as its run's, in the transaction that
 * records it sent: one held back is never booked. Delivery calls it as it sends one; an operator
 * confirming that an interrupted hand-over reached the customer, as they confirm it. The invoice
 * keeps totals and its latest band; the reminder's own booking (reminder_booking) keeps its band
 * and fee, which the fairness report counts, so a fee charged as "regular" stays with "regular"
 * after a later run on the invoice is loyal.
 */
export async function bookSentReminder(em: EntityManager, audit: AuditService, message: { invoiceId: string | null; idempotencyKey: string; payload: Record<string, unknown> }): Promise<void> {
  const booking = bookingOnSending(message.payload);
  if (!booking || !message.invoiceId) return;
  const [before] = await em.execute<{ reminders_sent: number; fee_charged_minor: string; fee_waived_minor: string }[]>(
    `select reminders_sent, fee_charged_minor, fee_waived_minor from invoice where id = ? for update`,
    [message.invoiceId],
  );
  if (!before) return;
  const was = { remindersSent: before.reminders_sent, feeChargedMinor: Number(before.fee_charged_minor), feeWaivedMinor: Number(before.fee_waived_minor) };
  const now = { remindersSent: was.remindersSent + 1, feeChargedMinor: was.feeChargedMinor + booking.chargedMinor, feeWaivedMinor: was.feeWaivedMinor + booking.waivedMinor };
  await em.nativeUpdate(Invoice, { id: message.invoiceId }, { ...now, reminderLoyaltyBand: booking.band });
  await em.insert(ReminderBooking, {
    messageKey: message.idempotencyKey,
    invoice: message.invoiceId,
    reminderNumber: booking.reminderNumber,
    band: booking.band,
    chargedMinor: booking.chargedMinor,
    waivedMinor: booking.waivedMinor,
    bookedAt: new Date(),
  });
  audit.record(em, {
    actor: runActor(stepMessageKeyParts(message.idempotencyKey).workflowId),
    action: 'invoice.reminder',
    entityType: 'invoice',
    entityId: message.invoiceId,
    before: was,
    after: { ...now, reminderNumber: booking.reminderNumber, reason: booking.reason },
  });
}
