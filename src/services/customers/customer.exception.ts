import { DomainException, type FailureKind } from '../../domain/errors/domain-exception.js';

export enum CustomerExceptionCode {
  NotFound = 'CUSTOMER_NOT_FOUND',
  InvalidId = 'CUSTOMER_INVALID_ID',
  InvalidInput = 'CUSTOMER_INVALID_INPUT',
  Erased = 'CUSTOMER_ERASED',
  PlaybooksRunning = 'CUSTOMER_PLAYBOOKS_RUNNING',
  /** Tasks for the billing team about the customer (a final invoice, a credit) have not gone out yet: the erasure would hold them back. */
  BillingTasksPending = 'CUSTOMER_BILLING_TASKS_PENDING',
}

const kinds: Record<CustomerExceptionCode, FailureKind> = {
  [CustomerExceptionCode.NotFound]: 'NOT_FOUND',
  [CustomerExceptionCode.InvalidId]: 'VALIDATION',
  [CustomerExceptionCode.InvalidInput]: 'VALIDATION',
  [CustomerExceptionCode.Erased]: 'CONFLICT',
  [CustomerExceptionCode.PlaybooksRunning]: 'CONFLICT',
  [CustomerExceptionCode.BillingTasksPending]: 'CONFLICT',
};

export class CustomerException extends DomainException<CustomerExceptionCode> {
  get kind(): FailureKind {
    return kinds[this.code];
  }
}
