import { DomainException, type FailureKind } from '../../domain/errors/domain-exception.js';

export enum AuthExceptionCode {
  MissingCredentials = 'AUTH_MISSING_CREDENTIALS',
  MalformedCredentials = 'AUTH_MALFORMED_CREDENTIALS',
  UnknownKey = 'AUTH_UNKNOWN_KEY',
  KeyRevoked = 'AUTH_KEY_REVOKED',
  KeyExpired = 'AUTH_KEY_EXPIRED',
  /** Issuing or revoking a key with a bad name, role or expiry. */
  InvalidInput = 'AUTH_INVALID_INPUT',
  KeyNotFound = 'AUTH_KEY_NOT_FOUND',
  NameTaken = 'AUTH_KEY_NAME_TAKEN',
  RoleNotAllowed = 'AUTH_ROLE_NOT_ALLOWED',
}

const kinds: Record<AuthExceptionCode, FailureKind> = {
  [AuthExceptionCode.MissingCredentials]: 'UNAUTHENTICATED',
  [AuthExceptionCode.MalformedCredentials]: 'UNAUTHENTICATED',
  [AuthExceptionCode.UnknownKey]: 'UNAUTHENTICATED',
  [AuthExceptionCode.KeyRevoked]: 'UNAUTHENTICATED',
  [AuthExceptionCode.KeyExpired]: 'UNAUTHENTICATED',
  [AuthExceptionCode.InvalidInput]: 'VALIDATION',
  [AuthExceptionCode.KeyNotFound]: 'NOT_FOUND',
  [AuthExceptionCode.NameTaken]: 'CONFLICT',
  [AuthExceptionCode.RoleNotAllowed]: 'FORBIDDEN',
};

export class AuthException extends DomainException<AuthExceptionCode> {
  get kind(): FailureKind {
    return kinds[this.code];
  }
}
