import { DomainException, type FailureKind } from '../../domain/errors/domain-exception.js';

export enum PaginationExceptionCode {
  InvalidCursor = 'INVALID_CURSOR',
  InvalidPageSize = 'INVALID_PAGE_SIZE',
}

/** A page asked for wrongly: a size out of range, or a cursor this list did not hand out. */
export class PaginationException extends DomainException<PaginationExceptionCode> {
  get kind(): FailureKind {
    return 'VALIDATION';
  }
}
