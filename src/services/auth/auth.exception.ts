import { DomainException, type FailureKind } from '../../domain/errors/domain-exception.js';

export enum AuthExceptionCode {
  MissingCredentials = 'AUTH_MISSING_CREDENTIALS',
  MalformedCredentials = 'AUTH_MALFORMED_CREDENTIALS',
  UnknownKey = 'AUTH_UNKNOWN_KEY',
  RoleNotAllowed = 'AUTH_ROLE_NOT_ALLOWED',
}

const kinds: Record<AuthExceptionCode, FailureKind> = {
  [AuthExceptionCode.MissingCredentials]: 'UNAUTHENTICATED',
  [AuthExceptionCode.MalformedCredentials]: 'UNAUTHENTICATED',
  [AuthExceptionCode.UnknownKey]: 'UNAUTHENTICATED',
  [AuthExceptionCode.RoleNotAllowed]: 'FORBIDDEN',
};

export class AuthException extends DomainException<AuthExceptionCode> {
  get kind(): FailureKind {
    return kinds[this.code];
  }
}
