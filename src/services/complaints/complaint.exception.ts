import { DomainException, type FailureKind } from '../../domain/errors/domain-exception.js';

export enum ComplaintExceptionCode {
  NotFound = 'COMPLAINT_NOT_FOUND',
  AlreadyResolved = 'COMPLAINT_ALREADY_RESOLVED',
  NotResolved = 'COMPLAINT_NOT_RESOLVED',
  InvalidInput = 'COMPLAINT_INVALID_INPUT',
}

const kinds: Record<ComplaintExceptionCode, FailureKind> = {
  [ComplaintExceptionCode.NotFound]: 'NOT_FOUND',
  [ComplaintExceptionCode.AlreadyResolved]: 'CONFLICT',
  [ComplaintExceptionCode.NotResolved]: 'CONFLICT',
  [ComplaintExceptionCode.InvalidInput]: 'VALIDATION',
};

export class ComplaintException extends DomainException<ComplaintExceptionCode> {
  get kind(): FailureKind {
    return kinds[this.code];
  }
}
