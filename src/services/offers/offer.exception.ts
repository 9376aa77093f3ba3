import { DomainException, type FailureKind } from '../../domain/errors/domain-exception.js';

export enum OfferExceptionCode {
  NotFound = 'OFFER_NOT_FOUND',
  InvalidInput = 'OFFER_INVALID_INPUT',
  CodeTaken = 'OFFER_CODE_TAKEN',
  AlreadyEnded = 'OFFER_ALREADY_ENDED',
  Promised = 'OFFER_PROMISED',
}

const kinds: Record<OfferExceptionCode, FailureKind> = {
  [OfferExceptionCode.NotFound]: 'NOT_FOUND',
  [OfferExceptionCode.InvalidInput]: 'VALIDATION',
  [OfferExceptionCode.CodeTaken]: 'CONFLICT',
  [OfferExceptionCode.AlreadyEnded]: 'CONFLICT',
  [OfferExceptionCode.Promised]: 'CONFLICT',
};

export class OfferException extends DomainException<OfferExceptionCode> {
  get kind(): FailureKind {
    return kinds[this.code];
  }
}
