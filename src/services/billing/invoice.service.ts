import pg from 'pg';
import DataLoader from 'dataloader';
import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { Invoice, OutboxMessage, Payment } from '../../entities/index.js';
import type { AuditService } from '../audit/audit.service.js';
import { ChildPager } from '../common/child-pages.js';
import { disputeHoldsSql, judgedOverdueSql, leftToPeople, ofErasedCustomer, openInvoiceSql, outstandingMinorSql } from '../facts/invoice-facts.js';
import { rowMapper } from '../common/read-model.js';
import { encodeCursor, pageWindow, scopedTag, windowCursor, windowPage, type Page, type PageArgs } from '../common/pagination.js';
import { BillingException, BillingExceptionCode } from './billing.exception.js';
import { dayIn, outstandingOn, paidOn } from '../../domain/billing/paid-day.js';
import { latestDayNow } from '../../domain/latest-time.js';
import { isUuid } from '../../domain/ids.js';
import { beforeEarliestDay, tooEarly } from '../../domain/earliest-day.js';
import { positiveAmountProblem } from '../../domain/money.js';
import { isCalendarDay } from '../../domain/dates.js';
import { apiRef } from '../../domain/import/import-spec.js';
import { ScoreKind } from '../../domain/scoring/score-kind.js';
import type { CustomerRescoreService } from '../scores/customer-rescore.service.js';
import { HELD_FOR_RUN, INVOICE_PAID, untilPaidTemplates } from '../../domain/messages/catalogue.js';
import type { PlaybookEngine } from '../engines/playbook-engine.js';
import type { PlaybookRunService } from '../playbooks/playbook-run.service.js';
import { fairReminderInvoiceId } from '../../domain/playbooks/fair-reminder.js';
import { echoed } from '../../domain/text.js';
import { PAID_ON_TIME, reverseFeesOfPaidOnTimeSql, withdrawFromCollectionsSql } from '../facts/fee-reversal.js';

/** How far back overdueInvoices(leftToPeople) looks for reminder runs reset in the engine whose reset is not recorded yet (the run reconciliation comes every 5 minutes). */
const RESET_NOT_RECORDED_MS = 30 * 60_000;

/** A payment changes the customer's payment loyalty: rescored at once, so a reminder run sees the new band. */
const AFFECTED = new Set([ScoreKind.PaymentLoyalty]);

export interface PaymentInput {
  invoiceId: string;
  amountMinor: number;
  /** Day of payment (YYYY-MM-DD); today when omitted. */
  paidAt?: string | null;
  externalRef?: string | null;
}

export class InvoiceService {
  /** A customer's invoices: all, those still open (unpaid, not cancelled), those settled (paid or cancelled). */
  private readonly pagers: Record<'all' | 'open' | 'settled', ChildPager<Invoice>>;
  /** What each customer still owes on their invoices: batched, so a page of customers costs one statement. */
  private readonly owed: DataLoader<string, number>;
  private readonly paymentPager: ChildPager<Payment>;
  /** What each invoice's recorded payments add up to: batched, so a page of invoices costs one statement. */
  private readonly paidSums: DataLoader<string, number>;

  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly scoring: CustomerRescoreService,
    private readonly playbooks: Pick<PlaybookEngine, 'paymentReceived' | 'findStartedSince'>,
    private readonly runs: Pick<PlaybookRunService, 'remindersOfPaidInvoices'>,
    /** The trigger sweep's reach (its policy's): further past due, an invoice is left to a person. */
    private readonly maxDaysOverdue: number | undefined,
    /** The days after its due day an invoice paid still counts as paid on time (the payment-loyalty policy's): paid by then, its reminder fees are reversed. */
    private readonly onTimeGraceDays = 0,
  ) {
    const byIssue = { table: 'invoice', parentColumn: 'customer_id', orderColumn: 'issued_at', orderType: 'date', orderProperty: 'issuedAt' } as const;
    this.pagers = {
      all: new ChildPager(em, Invoice, { ...byIssue, tag: 'invoices' }),
      open: new ChildPager(em, Invoice, { ...byIssue, tag: 'open-invoices', where: openInvoiceSql('t') }),
      settled: new ChildPager(em, Invoice, { ...byIssue, tag: 'settled-invoices', where: `not ${openInvoiceSql('t')}` }),
    };
    this.owed = new DataLoader((ids) => this.loadOwed(ids));
    this.paymentPager = new ChildPager(em, Payment, {
      tag: 'payments',
      table: 'payment',
      parentColumn: 'invoice_id',
      orderColumn: 'paid_at',
      orderType: 'date',
      orderProperty: 'paidAt',
    });
    this.paidSums = new DataLoader((ids) => this.loadPaidSums(ids));
  }

  async get(id: string): Promise<Invoice> {
    const invoice = isUuid(id) ? await this.em.findOne(Invoice, { id }) : null;
    if (!invoice) throw new BillingException(BillingExceptionCode.InvoiceNotFound, `No invoice with ID ${id}`, { invoiceId: id, field: 'invoiceId' });
    return invoice;
  }

  /** One invoice, or null when the ID names none (a lookup: its payments page on from here). */
  async find(id: string): Promise<Invoice | null> {
    return isUuid(id) ? this.em.findOne(Invoice, { id }) : null;
  }

  /** A customer's invoices, newest first: all, or only those still open (`open` true) or settled (false). */
  async forCustomer(customerId: string, args: PageArgs, open: boolean | null = null): Promise<Page<Invoice>> {
    return this.pagers[open === null ? 'all' : open ? 'open' : 'settled'].page(customerId, args);
  }

  /**
   * Open invoices past their due day across the base, oldest due first (an operator's queue),
   * or only those nothing chases (`leftToPeople` true, see `leftToPeople`; what operationsStatus counts
   * as overdueInvoicesLeftToPeople), or only the others (false). Never an erased customer's, in any of
   * the three: nobody may chase or contact them, so it is no work for anyone.
   */
  async overdue(filter: { leftToPeople?: boolean | null }, args: PageArgs): Promise<Page<Invoice>> {
    const window = pageWindow(args);
    const tag = scopedTag('overdue-invoices', { ...filter });
    // Oldest due first; backward, the page before the cursor is read newest first (windowPage turns it round).
    const [op, dir] = window.backward ? [sql.raw('<'), sql.raw('desc')] : [sql.raw('>'), sql.raw('asc')];
    let beyond = sql<boolean>`true`;
    const cursor = windowCursor(window, tag, ['day', 'uuid']) as [string, string] | null;
    if (cursor) {
      const [dueAt, id] = cursor;
      beyond = sql<boolean>`(i.due_at, i.id) ${op} (${dueAt}::date, ${id}::uuid)`;
    }
    const left = filter.leftToPeople;
    const db = this.em.getKysely();
    const again = left == null ? [] : await this.runningAgain();
    // Overdue by the day it is judged due (a dispute's days left out), or under a dispute a person is to resolve.
    const which = sql<boolean>`${sql.raw(openInvoiceSql('i'))} and i.due_at < current_date and (${judgedOverdueSql()} or ${sql.raw(disputeHoldsSql('i'))}) and not ${ofErasedCustomer()} ${left == null ? sql`` : left ? sql`and ${leftToPeople(this.maxDaysOverdue, again)}` : sql`and not ${leftToPeople(this.maxDaysOverdue, again)}`}`;
    const { rows } = await sql<Record<string, unknown>>`
      select i.* from invoice i where ${which} and ${beyond} order by i.due_at ${dir}, i.id ${dir} limit ${window.size + 1}`.execute(db);
    const count = async () => Number((await sql<{ n: string }>`select count(*) as n from invoice i where ${which}`.execute(db)).rows[0].n);
    return windowPage(rows.map(rowMapper(this.em, Invoice)), window, count, (invoice) => encodeCursor(tag, [invoice.dueAt, invoice.id]));
  }

  /**
   * Reminder runs recorded as ended that run again in the engine: reset in the Temporal UI within
   * RESET_NOT_RECORDED_MS (a reset starts a new execution), before the run reconciliation (every 5
   * minutes) has recorded them running. One search of the engine, not a call per invoice; none when the
   * engine cannot answer now (the queue then goes by the records, as it does once they are recorded).
   * Only an execution started after the recorded end: the engine's list can show a run that has just
   * ended as running for a moment, and that run has not been reset.
   */
  private async runningAgain(): Promise<string[]> {
    let started: { workflowId: string; startedAt: Date }[];
    try {
      started = (await this.playbooks.findStartedSince(new Date(Date.now() - RESET_NOT_RECORDED_MS))).filter((run) => run.running && fairReminderInvoiceId(run.workflowId) !== null);
    } catch {
      return [];
    }
    if (started.length === 0) return [];
    const { rows } = await sql<{ workflow_id: string }>`
      select r.workflow_id from playbook_run r
        join unnest(${started.map((run) => run.workflowId)}::text[], ${started.map((run) => run.startedAt.toISOString())}::timestamptz[]) as e(workflow_id, started_at) on e.workflow_id = r.workflow_id
       where r.status <> 'running' and (r.finished_at is null or e.started_at > r.finished_at)`.execute(this.em.getKysely());
    return rows.map((r) => r.workflow_id);
  }

  /** What the customer still owes on their invoices, minor units (each as `outstandingMinor` says). */
  owedBy(customerId: string): Promise<number> {
    return this.owed.load(customerId);
  }

  private async loadOwed(customerIds: readonly string[]): Promise<number[]> {
    const { rows } = await sql<{ customer_id: string; owed: string }>`
      select i.customer_id, sum(${sql.raw(outstandingMinorSql('i'))}) as owed from invoice i
       where i.customer_id = any(${[...customerIds]}::uuid[]) and ${sql.raw(openInvoiceSql('i'))} group by 1`.execute(this.em.getKysely());
    const owed = new Map(rows.map((r) => [r.customer_id, Number(r.owed)]));
    return customerIds.map((id) => owed.get(id) ?? 0);
  }

  /** The payments recorded for an invoice, newest first (by the day paid). */
  paymentsOf(invoiceId: string, args: PageArgs): Page<Payment> | Promise<Page<Payment>> {
    return this.paymentPager.page(invoiceId, args);
  }

  /** What the invoice's recorded payments add up to, in minor units. */
  paidMinor(invoiceId: string): Promise<number> {
    return this.paidSums.load(invoiceId);
  }

  /** What is still owed on the invoice (see `outstandingOn`): so an operator sees a part payment took. */
  async outstandingMinor(invoice: Pick<Invoice, 'id' | 'amountMinor' | 'paidAt' | 'cancelledAt'>): Promise<number> {
    // A paid or cancelled invoice owes nothing whatever its payments: no read for it.
    return invoice.paidAt || invoice.cancelledAt ? 0 : outstandingOn(invoice, await this.paidMinor(invoice.id));
  }

  private async loadPaidSums(ids: readonly string[]): Promise<number[]> {
    const { rows } = await sql<{ invoice_id: string; paid: string }>`
      select invoice_id, sum(amount_minor) as paid from payment where invoice_id = any(${[...ids]}::uuid[]) group by 1`.execute(this.em.getKysely());
    const paid = new Map(rows.map((r) => [r.invoice_id, Number(r.paid)]));
    return ids.map((id) => paid.get(id) ?? 0);
  }

  /**
   * Records a payment, dated neither in the future nor before the invoice. The invoice
   * counts as paid on the day its payments, in date order, first cover its amount, as an
   * import of the payments would say. Paying a settled invoice is a conflict, not a silent extra payment,
   * and paying more than is still owed on it is refused (PAYMENT_INVALID with `outstandingMinor`).
   * Reminders for it still queued (held for quiet hours, retried) are held back in the same
   * transaction, so none goes out after payment; a thank-you written later still goes. Paid in full on a day
   * it was not overdue (a payment made on time whose booking came late), the reminder fees charged on it are
   * reversed in that transaction too (`feeReversedMinor`, audited as `invoice.fees-reversed`, reason `paid-on-time`).
   */
  async recordPayment(sent: PaymentInput, actor: string): Promise<Invoice> {
    if (!isUuid(sent.invoiceId)) throw new BillingException(BillingExceptionCode.InvoiceNotFound, `"${echoed(sent.invoiceId)}" is not an invoice ID`, { field: 'invoiceId' });
    // The reference as the payments import takes its payment_ref (in NFC, no invisible characters), so the two spell one payment alike.
    const { ref, problem: refProblem } = apiRef('externalRef', sent.externalRef);
    if (refProblem) throw new BillingException(BillingExceptionCode.InvalidPayment, refProblem, { field: 'externalRef' });
    const input = { ...sent, externalRef: ref };
    // Bounded as the payments import is (13 integer digits), and to what is still owed on the invoice (bookPayment): a misplaced
    // decimal point is refused, not booked.
    const amountProblem = positiveAmountProblem(input.amountMinor);
    if (amountProblem) throw new BillingException(BillingExceptionCode.InvalidPayment, `amountMinor ${amountProblem}`, { field: 'amountMinor' });
    if (input.paidAt != null) {
      if (!isCalendarDay(input.paidAt)) throw new BillingException(BillingExceptionCode.InvalidPayment, 'paidAt must be a date (YYYY-MM-DD)', { field: 'paidAt' });
      if (input.paidAt > latestDayNow()) throw new BillingException(BillingExceptionCode.InvalidPayment, 'paidAt must not be in the future', { field: 'paidAt' });
      if (beforeEarliestDay(input.paidAt)) throw new BillingException(BillingExceptionCode.InvalidPayment, tooEarly('paidAt'), { field: 'paidAt' });
    }
    const paid = await this.bookPayment(input, actor).catch((error: unknown) => {
      // The unique index decides between two payments given one reference at the same moment (for two invoices, neither waits for the other's lock).
      if (error instanceof UniqueConstraintViolationException) throw new BillingException(BillingExceptionCode.PaymentRefTaken, `A payment with reference ${input.externalRef} exists`, { field: 'externalRef' });
      throw error;
    });
    // What this unit of work read of the invoice's payments before is stale now (a second recordPayment in one request).
    this.paidSums.clear(paid.id);
    this.paymentPager.forget();
    await this.scoring.rescoreAfterEvent(paid.customer.id, AFFECTED);
    // The invoice's reminder run under way ends at once; if the signal is lost, the run sees the payment before its next reminder.
    if (paid.paidAt) for (const run of await this.runs.remindersOfPaidInvoices([paid.id])) await this.playbooks.paymentReceived(run).catch(() => false);
    return paid;
  }

  /** The payment, the invoice's paid day, held-back reminders, the fees reversed of one paid on time and the audit entries, in one transaction. */
  private bookPayment(input: PaymentInput, actor: string): Promise<Invoice> {
    return this.em.transactional(async (em) => {
      const invoice = await em.findOne(Invoice, { id: input.invoiceId }, { lockMode: LockMode.PESSIMISTIC_WRITE, populate: ['customer'] });
      if (!invoice) throw new BillingException(BillingExceptionCode.InvoiceNotFound, `No invoice with ID ${input.invoiceId}`, { invoiceId: input.invoiceId, field: 'invoiceId' });
      // Without a date: today where the customer lives, so paying on the due day is on time in every zone; not before the
      // invoice's own day (issued in the billing system's zone, it may be a day the customer has not reached yet), unless
      // that day is still ahead everywhere: a payment dated on it would be in the future.
      const paidAt = input.paidAt ?? [dayIn(invoice.customer.timeZone), invoice.issuedAt].sort()[1];
      if (input.paidAt == null && paidAt > latestDayNow()) {
        throw new BillingException(BillingExceptionCode.InvalidPayment, `paidAt must not be before the invoice was issued (${invoice.issuedAt}), a day not yet reached: record the payment once it is`, { field: 'paidAt' });
      }
      if (invoice.paidAt) throw new BillingException(BillingExceptionCode.InvoiceAlreadyPaid, `Invoice ${invoice.id} was paid on ${invoice.paidAt}`, { paidAt: invoice.paidAt });
      if (invoice.cancelledAt) throw new BillingException(BillingExceptionCode.InvoiceCancelled, `Invoice ${invoice.id} was cancelled on ${invoice.cancelledAt}: it takes no payment`, { cancelledAt: invoice.cancelledAt });
      if (input.externalRef && (await em.count(Payment, { externalRef: input.externalRef }))) {
        throw new BillingException(BillingExceptionCode.PaymentRefTaken, `A payment with reference ${input.externalRef} exists`, { field: 'externalRef' });
      }
      if (paidAt < invoice.issuedAt) {
        throw new BillingException(BillingExceptionCode.InvalidPayment, `paidAt must not be before the invoice was issued (${invoice.issuedAt})`, { field: 'paidAt' });
      }
      const previous = await em.find(Payment, { invoice });
      const paidBefore = previous.reduce((sum, p) => sum + p.amountMinor, 0);
      // No more than is still owed (its amount less the payments so far, read under the invoice's lock): an overpayment has
      // nowhere to go (no credit is kept), and is most often a typo. The payments import takes a bank's file as it is.
      const outstandingMinor = outstandingOn(invoice, paidBefore);
      if (input.amountMinor > outstandingMinor) {
        throw new BillingException(
          BillingExceptionCode.InvalidPayment,
          `amountMinor ${input.amountMinor} is more than is still owed on the invoice: ${outstandingMinor} minor units (its amount ${invoice.amountMinor} less ${paidBefore} paid so far)`,
          { field: 'amountMinor', outstandingMinor },
        );
      }
      const payment = em.create(Payment, { invoice, amountMinor: input.amountMinor, paidAt, externalRef: input.externalRef ?? null });
      const paidSoFar = paidBefore + payment.amountMinor;
      invoice.paidAt = paidOn([...previous, payment], invoice.amountMinor);
      const heldBack = invoice.paidAt
        ? await em.nativeUpdate(
            OutboxMessage,
            // One a promise to pay or a dispute held back would go again once the hold ends: it is held back for good too.
            { invoice: invoice.id, template: { $in: [...untilPaidTemplates] }, sentAt: null, $or: [{ suppressedAt: null }, ...HELD_FOR_RUN.map((r) => ({ suppressedReason: { $like: `${r}:%` } }))] },
            { suppressedAt: new Date(), suppressedReason: INVOICE_PAID },
          )
        : 0;
      this.audit.record(em, {
        actor,
        action: 'invoice.payment',
        entityType: 'invoice',
        entityId: invoice.id,
        before: { paidAt: null, paidMinor: paidSoFar - payment.amountMinor },
        after: { paidAt: invoice.paidAt ?? null, paidMinor: paidSoFar, paymentId: payment.id, queuedRemindersHeldBack: heldBack },
      });
      if (invoice.paidAt) {
        // Paid on time, booked late: the fees its reminders charged are not owed. Reversed by the statement the imports use, on the
        // paid day written (the invoice row stays locked by this transaction).
        await em.flush();
        const [reversed] = await em.execute<{ fee_reversed_minor: string }[]>(reverseFeesOfPaidOnTimeSql(`i.id = ${pg.escapeLiteral(invoice.id)}`, actor, this.onTimeGraceDays));
        if (reversed) invoice.feeReversedMinor = Number(reversed.fee_reversed_minor);
        // Handed over to collections before the booking came: billing withdraws it, and the customer is told.
        await em.execute(withdrawFromCollectionsSql(`i.id = ${pg.escapeLiteral(invoice.id)}`, actor, { why: PAID_ON_TIME, graceDays: this.onTimeGraceDays }));
      }
      return invoice;
    });
  }
}
