import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { CustomerStatus, Invoice } from '../../entities/index.js';
import { CustomerException, CustomerExceptionCode } from '../customers/customer.exception.js';
import type { AuditService } from '../audit/audit.service.js';
import type { CustomerRescoreService } from '../scores/customer-rescore.service.js';
import type { PlaybookEngine } from '../engines/playbook-engine.js';
import type { PlaybookRunService } from '../playbooks/playbook-run.service.js';
import { BillingException, BillingExceptionCode } from './billing.exception.js';
import { disputedDays, type DisputeOutcome } from '../../domain/billing/dispute.js';
import { holdBackForDispute, settleDisputeHolds } from './dispute-holds.js';
import { ScoreKind } from '../../domain/scoring/score-kind.js';
import { isUuid } from '../../domain/ids.js';
import { echoed, reasonProblem } from '../../domain/text.js';

/** A dispute changes how payment loyalty judges the invoice (its disputed days are left out): rescored at once. */
const AFFECTED = new Set([ScoreKind.PaymentLoyalty]);

/**
 * A customer disputes an invoice (wrong amount, goods not received): a complaint about it, which is information, not a late
 * payment. While the dispute is open the invoice's reminder run holds (nothing is sent, no fee), the trigger sweep starts
 * none, the operators' queue shows it disputed, and payment loyalty leaves the disputed days out. Resolved `rejected`, the
 * invoice stands and its reminders go on (the step's wait starts afresh); `upheld`, the customer is right: the run is
 * cancelled and billing corrects or cancels the invoice (the platform does neither itself: the invoices import does).
 */
export class InvoiceDisputeService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly scoring: CustomerRescoreService,
    private readonly engine: Pick<PlaybookEngine, 'disputeChanged'>,
    private readonly runs: Pick<PlaybookRunService, 'remindersUnderWay'>,
    /** Cancels a run under way, audited (the playbook service's cancelRun). */
    private readonly cancelRun: (workflowId: string, reason: string, actor: string) => Promise<unknown>,
    /**
     * `maxAttempts`: when delivery gives up on a message (the delivery policy's): such a message is not held back by a
     * dispute, it waits for a person. `graceDays`: the promise policy's grace days, after which what a rejected dispute
     * held back (other than the reminders its run sends again) goes.
     */
    private readonly holds: { maxAttempts: number; graceDays: number },
  ) {}

  /** Records the customer's dispute of an open invoice, with why. Audited as `invoice.dispute`. */
  async dispute(invoiceId: string, reason: string, actor: string): Promise<Invoice> {
    this.assertId(invoiceId);
    const problem = reasonProblem(reason ?? '', 'A dispute needs a reason: what the customer disputes (wrong amount, goods not received)');
    // A reason given is refused only as too long: told apart from one missing, for the caller to say which.
    if (problem) throw new BillingException(reason?.trim() ? BillingExceptionCode.DisputeReasonTooLong : BillingExceptionCode.DisputeReasonRequired, problem, { field: 'reason' });
    const invoice = await this.em.transactional(async (em) => {
      const invoice = await this.locked(em, invoiceId);
      // The reason is the customer's words: none is entered for a customer whose personal data was erased (held against an
      // erasure at the same moment, which takes the customer's row for update).
      const [owner] = await em.execute<{ status: string }[]>(`select status from customer where id = ? for share`, [invoice.customer.id]);
      if (owner?.status === CustomerStatus.Erased) {
        throw new CustomerException(CustomerExceptionCode.Erased, `The personal data of customer ${invoice.customer.id} was erased: no dispute with their words is recorded for them`, { id: invoice.customer.id, invoiceId });
      }
      if (invoice.paidAt) throw new BillingException(BillingExceptionCode.InvoiceAlreadyPaid, `Invoice ${invoice.id} was paid on ${invoice.paidAt}: there is nothing to dispute`, { invoiceId, paidAt: invoice.paidAt });
      if (invoice.cancelledAt) throw new BillingException(BillingExceptionCode.InvoiceCancelled, `Invoice ${invoice.id} was cancelled on ${invoice.cancelledAt}: nothing is owed on it`, { invoiceId, cancelledAt: invoice.cancelledAt });
      if (invoice.disputedAt && !invoice.disputeResolvedAt) {
        throw new BillingException(BillingExceptionCode.InvoiceAlreadyDisputed, `Invoice ${invoice.id} is disputed since ${invoice.disputedAt.toISOString()}: resolve that dispute first`, { invoiceId, disputedAt: invoice.disputedAt.toISOString() });
      }
      const before = invoice.disputedAt ? { disputedAt: invoice.disputedAt, reason: invoice.disputeReason, resolvedAt: invoice.disputeResolvedAt, outcome: invoice.disputeOutcome, disputedDaysBefore: invoice.disputedDaysBefore } : null;
      const now = new Date();
      // The columns keep the latest dispute: the days an earlier one of it left out are kept as served, so payment loyalty
      // does not count them as late again (a customer disputing a second time is not punished for the first).
      if (invoice.disputedAt) {
        invoice.disputedDaysBefore += disputedDays({ disputedFrom: invoice.disputedAt, disputeResolvedAt: invoice.disputeResolvedAt, disputeUpheld: invoice.disputeOutcome === 'upheld', paidAt: null }, now);
      }
      invoice.disputedAt = now;
      invoice.disputeReason = reason.trim();
      invoice.disputeResolvedAt = null;
      invoice.disputeOutcome = null;
      this.audit.record(em, { actor, action: 'invoice.dispute', entityType: 'invoice', entityId: invoice.id, before, after: { customerId: invoice.customer.id, disputedAt: invoice.disputedAt, reason: invoice.disputeReason, ...(invoice.disputedDaysBefore > 0 ? { disputedDaysBefore: invoice.disputedDaysBefore } : {}) } });
      // What is queued (a reminder waiting for the customer's morning, the collections letter) does not go out meanwhile.
      await em.flush();
      await holdBackForDispute(em, this.audit, { id: invoice.id, customerId: invoice.customer.id, disputedAt: invoice.disputedAt }, actor, this.holds.maxAttempts);
      return invoice;
    });
    await this.scoring.rescoreAfterEvent(invoice.customer.id, AFFECTED);
    // The run under way holds before its next step (it reads the dispute then too, should the signal be lost).
    for (const run of await this.runs.remindersUnderWay([invoice.id])) await this.engine.disputeChanged(run).catch(() => false);
    return invoice;
  }

  /**
   * Resolves the invoice's open dispute: `rejected` (the invoice stands: its reminders go on) or `upheld` (the customer is
   * right: its reminder run is cancelled, billing corrects or cancels the invoice). Audited as `invoice.dispute-resolved`.
   */
  async resolve(invoiceId: string, outcome: DisputeOutcome, reason: string | null | undefined, actor: string): Promise<Invoice> {
    this.assertId(invoiceId);
    const note = reason?.trim() ? reason.trim() : null;
    const problem = note ? reasonProblem(note, '') : null;
    if (problem) throw new BillingException(BillingExceptionCode.DisputeReasonTooLong, problem, { field: 'reason' });
    const invoice = await this.em.transactional(async (em) => {
      const invoice = await this.locked(em, invoiceId);
      if (!invoice.disputedAt || invoice.disputeResolvedAt) {
        throw new BillingException(BillingExceptionCode.InvoiceNotDisputed, `Invoice ${invoice.id} has no open dispute to resolve`, { invoiceId, ...(invoice.disputeResolvedAt ? { resolvedAt: invoice.disputeResolvedAt.toISOString(), outcome: invoice.disputeOutcome } : {}) });
      }
      invoice.disputeResolvedAt = new Date();
      invoice.disputeOutcome = outcome;
      this.audit.record(em, {
        actor,
        action: 'invoice.dispute-resolved',
        entityType: 'invoice',
        entityId: invoice.id,
        before: { disputedAt: invoice.disputedAt, reason: invoice.disputeReason },
        after: { customerId: invoice.customer.id, resolvedAt: invoice.disputeResolvedAt, outcome, ...(note ? { reason: note } : {}) },
      });
      await em.flush();
      await settleDisputeHolds(em, this.audit, { id: invoice.id, customerId: invoice.customer.id }, outcome, this.holds.graceDays, actor);
      return invoice;
    });
    await this.scoring.rescoreAfterEvent(invoice.customer.id, AFFECTED);
    for (const run of await this.runs.remindersUnderWay([invoice.id])) {
      if (outcome === 'rejected') await this.engine.disputeChanged(run).catch(() => false);
      // The customer was right: no more reminders for the invoice as billed. Billing corrects it (a person starts reminders for
      // the corrected invoice with startFairReminder, if it is still owed) or cancels it.
      else await this.cancelRun(run, `The customer's dispute of the invoice was upheld${note ? `: ${note}` : ''}`, actor).catch(() => null);
    }
    return invoice;
  }

  private assertId(invoiceId: string): void {
    if (!isUuid(invoiceId)) throw new BillingException(BillingExceptionCode.InvoiceNotFound, `"${echoed(invoiceId)}" is not an invoice ID`, { field: 'invoiceId' });
  }

  private async locked(em: EntityManager, invoiceId: string): Promise<Invoice> {
    const invoice = await em.findOne(Invoice, { id: invoiceId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!invoice) throw new BillingException(BillingExceptionCode.InvoiceNotFound, `No invoice with ID ${invoiceId}`, { invoiceId, field: 'invoiceId' });
    return invoice;
  }
}

/**
 * Refuses to chase an invoice the customer disputes (its dispute not resolved yet): no reminder run starts for it and no
 * promise to pay it is taken (the customer says they do not owe it as billed). A person resolves the dispute first
 * (resolveDispute): rejected, the invoice stands and may be chased; upheld, billing corrects or cancels it. `then` says
 * what the caller may do after that.
 */
export function assertNotDisputed(invoice: Pick<Invoice, 'id' | 'disputedAt' | 'disputeResolvedAt'>, then: string): void {
  if (!invoice.disputedAt || invoice.disputeResolvedAt) return;
  const disputedAt = invoice.disputedAt.toISOString();
  throw new BillingException(BillingExceptionCode.InvoiceDisputed, `Invoice ${invoice.id} is disputed by the customer since ${disputedAt}: resolve the dispute first (resolveDispute), then ${then}`, { invoiceId: invoice.id, disputedAt });
}
