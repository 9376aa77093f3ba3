import { DomainException, type FailureKind } from '../../domain/errors/domain-exception.js';

export enum CustomerExceptionCode {
  NotFound = 'CUSTOMER_NOT_FOUND',
  InvalidId = 'CUSTOMER_INVALID_ID',
  InvalidInput = 'CUSTOMER_INVALID_INPUT',
  EmailTaken = 'CUSTOMER_EMAIL_TAKEN',
}

const kinds: Record<CustomerExceptionCode, FailureKind> = {
  [CustomerExceptionCode.NotFound]: 'NOT_FOUND',
  [CustomerExceptionCode.InvalidId]: 'VALIDATION',
  [CustomerExceptionCode.InvalidInput]: 'VALIDATION',
  [CustomerExceptionCode.EmailTaken]: 'CONFLICT',
};

export class CustomerException extends DomainException<CustomerExceptionCode> {
  get kind(): FailureKind {
    return kinds[this.code];
  }
}
