import { DomainException, type FailureKind } from '../../domain/errors/domain-exception.js';

export enum PaginationExceptionCode {
  InvalidCursor = 'INVALID_CURSOR',
  InvalidPageSize = 'INVALID_PAGE_SIZE',
  StaleCursor = 'STALE_CURSOR',
}

/**
 * A page asked for wrongly: a size out of range, or a cursor this list did not hand out; or a cursor of a list whose order
 * has changed since it was handed out (STALE_CURSOR, a conflict with what happened meanwhile, not a mistake of the caller's).
 */
export class PaginationException extends DomainException<PaginationExceptionCode> {
  get kind(): FailureKind {
    return this.code === PaginationExceptionCode.StaleCursor ? 'CONFLICT' : 'VALIDATION';
  }
}
