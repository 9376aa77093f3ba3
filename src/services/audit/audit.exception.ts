import { DomainException, type FailureKind } from '../../domain/errors/domain-exception.js';

export enum AuditExceptionCode {
  InvalidInput = 'AUDIT_INVALID_INPUT',
}

const kinds: Record<AuditExceptionCode, FailureKind> = {
  [AuditExceptionCode.InvalidInput]: 'VALIDATION',
};

export class AuditException extends DomainException<AuditExceptionCode> {
  get kind(): FailureKind {
    return kinds[this.code];
  }
}
