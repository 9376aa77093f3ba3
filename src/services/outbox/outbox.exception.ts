import { DomainException, type FailureKind } from '../../domain/errors/domain-exception.js';

export enum OutboxExceptionCode {
  NotFound = 'MESSAGE_NOT_FOUND',
  InvalidInput = 'MESSAGE_INVALID_INPUT',
  /** Sent, suppressed or discarded: nothing is left to do for it. */
  Settled = 'MESSAGE_SETTLED',
  /** Never refused by the channel: it goes in the next round anyway. */
  NotRefused = 'MESSAGE_NOT_REFUSED',
  /** Its hand-over was not interrupted: only delivery records such a message sent. */
  NotInterrupted = 'MESSAGE_NOT_INTERRUPTED',
  /** A reminder a later message of its run overtook (it went out): sent now, it would reach the customer out of order. */
  Overtaken = 'MESSAGE_OVERTAKEN',
}

const kinds: Record<OutboxExceptionCode, FailureKind> = {
  [OutboxExceptionCode.NotFound]: 'NOT_FOUND',
  [OutboxExceptionCode.InvalidInput]: 'VALIDATION',
  [OutboxExceptionCode.Settled]: 'CONFLICT',
  [OutboxExceptionCode.NotRefused]: 'CONFLICT',
  [OutboxExceptionCode.NotInterrupted]: 'CONFLICT',
  [OutboxExceptionCode.Overtaken]: 'CONFLICT',
};

export class OutboxException extends DomainException<OutboxExceptionCode> {
  get kind(): FailureKind {
    return kinds[this.code];
  }
}
