import { DomainException, type FailureKind } from '../../domain/errors/domain-exception.js';

export enum CustomerExceptionCode {
  NotFound = 'CUSTOMER_NOT_FOUND',
  InvalidId = 'CUSTOMER_INVALID_ID',
  InvalidCursor = 'CUSTOMER_INVALID_CURSOR',
  InvalidPageSize = 'CUSTOMER_INVALID_PAGE_SIZE',
}

const kinds: Record<CustomerExceptionCode, FailureKind> = {
  [CustomerExceptionCode.NotFound]: 'NOT_FOUND',
  [CustomerExceptionCode.InvalidId]: 'VALIDATION',
  [CustomerExceptionCode.InvalidCursor]: 'VALIDATION',
  [CustomerExceptionCode.InvalidPageSize]: 'VALIDATION',
};

export class CustomerException extends DomainException<CustomerExceptionCode> {
  get kind(): FailureKind {
    return kinds[this.code];
  }
}
