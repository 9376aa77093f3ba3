import { DomainException, type FailureKind } from '../../domain/errors/domain-exception.js';

export enum ComplaintExceptionCode {
  NotFound = 'COMPLAINT_NOT_FOUND',
  AlreadyResolved = 'COMPLAINT_ALREADY_RESOLVED',
  NotResolved = 'COMPLAINT_NOT_RESOLVED',
  InvalidInput = 'COMPLAINT_INVALID_INPUT',
  /** recordComplaint with a complaintRef stored for another complaint: another customer's, or the same one with other facts. */
  RefTaken = 'COMPLAINT_REF_TAKEN',
  /** withdrawComplaint of a complaint withdrawn before; resolveComplaint, reopenComplaint of one withdrawn. */
  AlreadyWithdrawn = 'COMPLAINT_ALREADY_WITHDRAWN',
}

const kinds: Record<ComplaintExceptionCode, FailureKind> = {
  [ComplaintExceptionCode.NotFound]: 'NOT_FOUND',
  [ComplaintExceptionCode.AlreadyResolved]: 'CONFLICT',
  [ComplaintExceptionCode.NotResolved]: 'CONFLICT',
  [ComplaintExceptionCode.InvalidInput]: 'VALIDATION',
  [ComplaintExceptionCode.RefTaken]: 'CONFLICT',
  [ComplaintExceptionCode.AlreadyWithdrawn]: 'CONFLICT',
};

export class ComplaintException extends DomainException<ComplaintExceptionCode> {
  get kind(): FailureKind {
    return kinds[this.code];
  }
}
