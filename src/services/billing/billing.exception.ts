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
}

const kinds: Record<BillingExceptionCode, FailureKind> = {
  [BillingExceptionCode.InvoiceNotFound]: 'NOT_FOUND',
  [BillingExceptionCode.InvoiceAlreadyPaid]: 'CONFLICT',
  [BillingExceptionCode.InvoiceCancelled]: 'CONFLICT',
  [BillingExceptionCode.InvalidPayment]: 'VALIDATION',
  [BillingExceptionCode.PaymentRefTaken]: 'CONFLICT',
  [BillingExceptionCode.InvoiceNotOverdue]: 'VALIDATION',
};

export class BillingException extends DomainException<BillingExceptionCode> {
  get kind(): FailureKind {
    return kinds[this.code];
  }
}
