import { DomainException, type FailureKind } from '../../domain/errors/domain-exception.js';

export enum BillingExceptionCode {
  InvoiceNotFound = 'INVOICE_NOT_FOUND',
  InvoiceAlreadyPaid = 'INVOICE_ALREADY_PAID',
  /** Cancelled (voided, credited): nothing is owed on it, paid or chased. */
  InvoiceCancelled = 'INVOICE_CANCELLED',
  InvalidPayment = 'PAYMENT_INVALID',
  PaymentRefTaken = 'PAYMENT_REF_TAKEN',
  /** Reminders are for invoices past their due day. */
  InvoiceNotOverdue = 'INVOICE_NOT_OVERDUE',
  /** The customer disputes it already (a dispute not resolved yet). */
  InvoiceAlreadyDisputed = 'INVOICE_ALREADY_DISPUTED',
  /** No dispute of it is open to resolve. */
  InvoiceNotDisputed = 'INVOICE_NOT_DISPUTED',
  /** The customer disputes it (a dispute not resolved yet): it is not chased, nor a promise to pay it taken, until resolved. */
  InvoiceDisputed = 'INVOICE_DISPUTED',
  /** A dispute says why (wrong amount, goods not received). */
  DisputeReasonRequired = 'DISPUTE_REASON_REQUIRED',
  /** A dispute's reason, or a resolution's, over the length a reason may have: given, only too long. */
  DisputeReasonTooLong = 'DISPUTE_REASON_TOO_LONG',
}

const kinds: Record<BillingExceptionCode, FailureKind> = {
  [BillingExceptionCode.InvoiceNotFound]: 'NOT_FOUND',
  [BillingExceptionCode.InvoiceAlreadyPaid]: 'CONFLICT',
  [BillingExceptionCode.InvoiceCancelled]: 'CONFLICT',
  [BillingExceptionCode.InvalidPayment]: 'VALIDATION',
  [BillingExceptionCode.PaymentRefTaken]: 'CONFLICT',
  [BillingExceptionCode.InvoiceNotOverdue]: 'VALIDATION',
  [BillingExceptionCode.InvoiceAlreadyDisputed]: 'CONFLICT',
  [BillingExceptionCode.InvoiceNotDisputed]: 'CONFLICT',
  [BillingExceptionCode.InvoiceDisputed]: 'CONFLICT',
  [BillingExceptionCode.DisputeReasonRequired]: 'VALIDATION',
  [BillingExceptionCode.DisputeReasonTooLong]: 'VALIDATION',
};

export class BillingException extends DomainException<BillingExceptionCode> {
  get kind(): FailureKind {
    return kinds[this.code];
  }
}
