import { DomainException, type FailureKind } from '../../domain/errors/domain-exception.js';

export enum SegmentExceptionCode {
  NotFound = 'SEGMENT_NOT_FOUND',
  InvalidInput = 'SEGMENT_INVALID_INPUT',
  NameTaken = 'SEGMENT_NAME_TAKEN',
}

const kinds: Record<SegmentExceptionCode, FailureKind> = {
  [SegmentExceptionCode.NotFound]: 'NOT_FOUND',
  [SegmentExceptionCode.InvalidInput]: 'VALIDATION',
  [SegmentExceptionCode.NameTaken]: 'CONFLICT',
};

export class SegmentException extends DomainException<SegmentExceptionCode> {
  get kind(): FailureKind {
    return kinds[this.code];
  }
}
