import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FeeDecision, LoyaltyBand } from '../../../domain/guards/fairness.js';
import { Customer, Invoice, MessageChannel } from '../../../entities/index.js';
import { BillingException, BillingExceptionCode } from '../../billing/billing.exception.js';
import type { OutboxService } from '../../outbox/outbox.service.js';
import type { CustomerRescoreService } from '../../scores/customer-rescore.service.js';
import { runStillRunning } from '../running-run.js';
import { COLLECTIONS_HANDOVER, FIRST_FRIENDLY_REMINDER, reminderBooking, reminderTemplateFor } from '../../../domain/playbooks/fair-reminder.js';
import { stepMessageKey, stepMessageKeyParts } from '../../../domain/playbooks/run-id.js';
import { givenUpSql } from '../../facts/outbox-facts.js';
import { heldForRunSql, templateCatalogue } from '../../../domain/messages/catalogue.js';
import { feesStandingMinor, outstandingMinorSql } from '../../facts/invoice-facts.js';
import { lookAgainAtWaiters } from '../../outbox/waiting-messages.js';
import { dueDayEndsAt, isOverdue } from '../../../domain/playbooks/eligibility.js';
import { remindersSoFar } from '../../facts/reminder-facts.js';


/** The run's tasks for a person who calls the customer: they say what the run sent and charged before them. */
const CALL_TASKS: ReadonlySet<string> = new Set(['call-personal', 'call-follow-up']);

/** The reminders and call tasks of the reminder runs: what chasing an invoice sent (not the thank-you). */
const CHASING_TEMPLATES = Object.entries(templateCatalogue)
  .filter(([, t]) => t.playbook === 'fair-reminder' && t.untilPaid)
  .map(([name]) => name);

/**
 * Whether an earlier reminder run of the invoice chased it: a reminder or a call task of another run, not held back (one
 * held back never reached anyone; one still queued goes). The first friendly reminder then does not say the invoice slipped through.
 */
async function chasedByEarlierRun(em: EntityManager, workflowId: string, invoiceId: string): Promise<boolean> {
  const [{ n }] = await em.execute<{ n: number }[]>(
    `select count(*)::int as n from outbox_message m
      where m.invoice_id = ? and m.suppressed_reason is null and m.template in (?) and not starts_with(m.idempotency_key, ?)`,
    [invoiceId, CHASING_TEMPLATES, stepMessageKey(workflowId, '')],
  );
  return n > 0;
}

/** The run's steps that chase the invoice (a call, the decision after it, the hand-over): for an invoice still owed and overdue only. */
const CHASING_STEPS: ReadonlySet<string> = new Set(['call', 'follow-up', 'handover']);

/** Why an invoice is no longer chased: paid, cancelled by the billing system, or not overdue (its due day moved later). */
export type NotOwed = 'paid' | 'cancelled' | 'not-due';

/**
 * Ends a run whose step found its invoice no longer owed, as the run reconciliation would minutes later: a run of a
 * cancelled invoice (or one not due) is cancelled, audited as the billing system's word; a run of a paid one is told.
 */
export type EndRunOfInvoiceNotOwed = (invoiceId: string, why: NotOwed) => Promise<unknown>;

export interface ReminderContext {
  customerId: string;
  loyaltyBand: LoyaltyBand;
  paid: boolean;
}

/** The side effects of a fair-reminder run; each is idempotent per run and step, as activities may be retried. */
export class FairReminderSteps {
  constructor(
    private readonly em: EntityManager,
    private readonly scoring: CustomerRescoreService,
    private readonly outbox: OutboxService,
    /** The currency of the fee (the money policy's): written with the message, which shows it as sent. */
    private readonly currency: string,
    /** When delivery gives up on a message (the delivery policy's): such a reminder is not sent again by the run. */
    private readonly maxAttempts: number,
    /** How a step ends its run once it finds the invoice no longer owed; none: the run reconciliation does, on its next pass. */
    private readonly endRunOfInvoiceNotOwed?: EndRunOfInvoiceNotOwed,
  ) {}

  /**
   * The invoice's state and the customer's payment-loyalty band, rescored now so the run
   * starts from today's record: the record without this invoice, which is not late payment
   * until it has been chased.
   */
  async context(invoiceId: string): Promise<ReminderContext> {
    const invoice = await this.em.findOne(Invoice, { id: invoiceId });
    if (!invoice) throw new BillingException(BillingExceptionCode.InvoiceNotFound, `No invoice with ID ${invoiceId}`, { invoiceId });
    return { customerId: invoice.customer.id, loyaltyBand: await this.scoring.loyaltyBandNow(invoice.customer.id, invoice.id), paid: Boolean(invoice.paidAt) };
  }

  /** Whether the invoice is paid, and since when (ISO time) the customer disputes it while that dispute is open (null: not disputed). */
  async dispute(invoiceId: string): Promise<{ paid: boolean; disputedSince: string | null }> {
    const invoice = await this.em.findOne(Invoice, { id: invoiceId });
    if (!invoice) throw new BillingException(BillingExceptionCode.InvoiceNotFound, `No invoice with ID ${invoiceId}`, { invoiceId });
    return { paid: Boolean(invoice.paidAt), disputedSince: invoice.disputedAt && !invoice.disputeResolvedAt ? invoice.disputedAt.toISOString() : null };
  }

  /**
   * Writes the n-th reminder to the outbox with its fee decision, which delivery books on the
   * invoice once the reminder goes out (a reminder held back costs no fee). Once per run and
   * reminder: a retried step writes nothing twice. An invoice paid meanwhile gets no reminder (the
   * payment signal may still be on its way); nor does one cancelled meanwhile, nor one no longer
   * overdue (its due day moved later), nor one whose run no longer runs (cancelled while the step waited).
   * `now`: the moment it writes.
   */
  async sendReminder(input: { workflowId: string; invoiceId: string; reminderNumber: number; template: string; fee: FeeDecision }, now = new Date()): Promise<{ sent: boolean; paid: boolean }> {
    const written = await this.em.transactional(async (em): Promise<{ sent: boolean; paid: boolean; notOwed?: NotOwed }> => {
      const invoice = await em.findOneOrFail(Invoice, { id: input.invoiceId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (invoice.paidAt) return { sent: false, paid: true };
      // Cancelled: nothing is owed (the run itself is cancelled as the cancellation is imported through the API; after
      // one from the command line, by this step).
      // Not overdue (its due day moved later, a payment extension): nothing calls it overdue or charges a fee before
      // the new due day (the run itself is cancelled, as for a cancellation).
      const notOwed = notOwedOn(invoice, now);
      if (notOwed) return { sent: false, paid: false, notOwed };
      // (After the invoice: a step waiting for it does not hold the run's record, so a cancel meanwhile is seen.)
      if (!(await runStillRunning(em, input.workflowId))) return { sent: false, paid: false };
      const step = `reminder-${input.reminderNumber}`;
      // A reminder a promise to pay or a dispute held back before it went out is sent once the run asks for it again (the
      // promise lapsed, the dispute was rejected).
      if (await this.releaseHeldReminder(em, stepMessageKey(input.workflowId, step), reminderBooking(input.reminderNumber, input.fee))) return { sent: true, paid: false };
      // Overdue by the UTC day, the due day may still run where the customer lives (the 06:00 UTC sweep is the evening
      // before in Honolulu): the reminder, which calls the invoice overdue, waits until it has ended there.
      const { timeZone } = await em.findOneOrFail(Customer, { id: invoice.customer.id }, { fields: ['timeZone'] });
      const dueDayEnds = dueDayEndsAt(invoice.dueAt, timeZone);
      const chasedBefore = input.template === FIRST_FRIENDLY_REMINDER && (await chasedByEarlierRun(em, input.workflowId, invoice.id));
      const sent = await this.outbox.enqueueStep(em, { workflowId: input.workflowId, customerId: invoice.customer.id }, step, {
        channel: MessageChannel.Email,
        sendAfter: dueDayEnds > now ? dueDayEnds : null,
        template: reminderTemplateFor(input.template, chasedBefore),
        invoiceId: invoice.id,
        // Filed under the band its fee was decided under (the run's), as its booking is, not the customer's stored band.
        loyaltyBand: input.fee.band,
        payload: {
          ...(await invoiceNamed(em, invoice)),
          reminderNumber: input.reminderNumber,
          feeMinor: input.fee.chargedMinor,
          feesOnInvoiceMinor: feesStandingMinor(invoice),
          currency: this.currency,
          booking: reminderBooking(input.reminderNumber, input.fee),
        },
      });
      return { sent, paid: false };
    });
    if (written.notOwed) await this.endRun(input.workflowId, input.invoiceId, written.notOwed);
    return { sent: written.sent, paid: written.paid };
  }

  /**
   * A step found the invoice no longer owed (an import from the command line cancelled it or moved its due day, which
   * tells no run): the run ends now, as the run reconciliation would end it on its next pass, rather than going on to
   * its next step as if it had chased the invoice. (After the step's transaction: the cancel writes the run's record.)
   */
  private async endRun(workflowId: string, invoiceId: string, why: NotOwed): Promise<void> {
    if (!this.endRunOfInvoiceNotOwed || !(await runStillRunning(this.em, workflowId))) return;
    await this.endRunOfInvoiceNotOwed(invoiceId, why);
  }

  /**
   * The run's earliest reminder a promise to pay or a dispute held back before it went out, if any: once the promise has
   * lapsed, or the dispute was rejected, the run sends it in its next step's place, so the customer's first reminder never
   * comes as the second, with its fee. (One a dispute held back while the run's step ran beside it is held by delivery.)
   */
  async heldReminder(workflowId: string): Promise<{ reminderNumber: number; template: string } | null> {
    const held = await this.em.execute<{ key: string; template: string }[]>(
      `select m.idempotency_key as key, m.template from outbox_message m
        where m.customer_id = (select r.customer_id from playbook_run r where r.workflow_id = ?)
          and starts_with(m.idempotency_key, ?) and m.sent_at is null and ${heldForRunSql('m.suppressed_reason')} and not ${givenUpSql('m', this.maxAttempts)}`,
      [workflowId, stepMessageKey(workflowId, 'reminder-')],
    );
    const reminders = held.map((m) => ({ reminderNumber: Number(stepMessageKeyParts(m.key).step.slice('reminder-'.length)), template: m.template }));
    return reminders.sort((a, b) => a.reminderNumber - b.reminderNumber)[0] ?? null;
  }

  /**
   * Releases the reminder `key` if a promise to pay or a dispute held it back: it goes out in the next delivery round (delivery applies
   * quiet hours again; a hold until an earlier promise's end, from a retry, is over with it), and the run's later messages
   * waiting for it are looked at again then. It books the fee the run decides now: none once the payer's band was raised
   * to a fee-free one meanwhile (the same as written otherwise; one written before fees were booked on sending has none to book),
   * and is filed under the band it decides it under.
   */
  private async releaseHeldReminder(em: EntityManager, key: string, booking: ReturnType<typeof reminderBooking>): Promise<boolean> {
    const [released] = await em.execute<{ customer_id: string; created_at: Date; template: string }[]>(
      `update outbox_message set suppressed_at = null, suppressed_reason = null, send_after = null,
              payload = case when payload -> 'booking' is null then payload else payload || jsonb_build_object('feeMinor', ?::int, 'booking', ?::jsonb) end,
              loyalty_band = case when payload -> 'booking' is null then loyalty_band else ? end
        where idempotency_key = ? and sent_at is null and ${heldForRunSql('suppressed_reason')} returning customer_id, created_at, template`,
      [booking.chargedMinor, JSON.stringify(booking), booking.band, key],
    );
    if (!released) return false;
    await lookAgainAtWaiters(em, { customerId: released.customer_id, idempotencyKey: key, createdAt: new Date(released.created_at), template: released.template });
    return true;
  }

  /**
   * A call task for a person, a hand-over to collections, or a thank-you: one per run and step. A call task says what
   * the run sent and what is charged on the invoice (delivery brings it up to date as it goes): a payer whose band was
   * raised on the way got standard reminders, perhaps with a fee, and the caller must not tell them nothing was charged.
   */
  async sendMessage(input: { workflowId: string; step: string; invoiceId: string; customerId: string; channel: MessageChannel; template: string; loyaltyBand?: string }, now = new Date()): Promise<boolean> {
    const chasing = CHASING_STEPS.has(input.step);
    const written = await this.em.transactional(async (em): Promise<{ sent: boolean; notOwed?: NotOwed }> => {
      // A call, the decision after it or the hand-over chase an invoice still owed: not one the billing system cancelled
      // since the last step, nor one no longer overdue (an import from the command line tells no run), nor one paid
      // meanwhile. Collections must never be handed, nor a caller asked to chase, an invoice nobody owes.
      // (The invoice first, as a reminder does: a step waiting for it does not hold the run's record.)
      const invoice = await em.findOneOrFail(Invoice, { id: input.invoiceId }, chasing ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {});
      const notOwed = chasing ? notOwedOn(invoice, now) : null;
      if (notOwed) return { sent: false, notOwed };
      if (!(await runStillRunning(em, input.workflowId))) return { sent: false };
      const payload = {
        ...(await invoiceNamed(em, invoice)),
        currency: this.currency,
        ...(CALL_TASKS.has(input.template) ? { remindersSoFar: await remindersSoFar(em, input.workflowId, input.invoiceId) } : {}),
        // The hand-over letter says what fees go with the invoice.
        ...(input.template === COLLECTIONS_HANDOVER ? { feesOnInvoiceMinor: feesStandingMinor(invoice) } : {}),
      };
      // Filed under the band the run goes by (a loyal payer's thank-you stays with "loyal" after the payment that rescored
      // them); a step scheduled before runs passed it, under the customer's stored band.
      return { sent: await this.outbox.enqueueStep(em, input, input.step, { channel: input.channel, template: input.template, invoiceId: input.invoiceId, payload, loyaltyBand: input.loyaltyBand ?? null }) };
    });
    if (written.notOwed) await this.endRun(input.workflowId, input.invoiceId, written.notOwed);
    return written.sent;
  }
}

/** Why the invoice is no longer chased as of `now`, or null while it is owed and overdue. */
function notOwedOn(invoice: Invoice, now: Date): NotOwed | null {
  if (invoice.paidAt) return 'paid';
  if (invoice.cancelledAt) return 'cancelled';
  return isOverdue(invoice.dueAt, now) ? null : 'not-due';
}

/**
 * The invoice as a message names it: the company's invoice number (its reference in the
 * billing system), what is still open on it and its due day, so the customer knows which one is meant.
 */
async function invoiceNamed(em: EntityManager, invoice: Invoice): Promise<{ invoiceId: string; invoiceNumber: string | null; amountMinor: number; openMinor: number; dueAt: string }> {
  const [{ open }] = await em.execute<{ open: string }[]>(`select ${outstandingMinorSql('i')} as open from invoice i where i.id = ?`, [invoice.id]);
  // The invoice's amount as well: once paid nothing is open, and the thank-you names what was paid.
  return { invoiceId: invoice.id, invoiceNumber: invoice.externalRef ?? null, amountMinor: invoice.amountMinor, openMinor: Number(open), dueAt: invoice.dueAt };
}
