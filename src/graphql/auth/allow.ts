import { Authorized, type AuthChecker } from 'type-graphql';
import { roleAllows, type Role } from '../../domain/auth/roles.js';
import { AuthException, AuthExceptionCode } from '../../services/auth/api-keys.js';
import type { GraphQLContext } from '../context.js';

/** `@Allow(Role.Operator)`: the roles that may call a resolver (admin always may). */
export const Allow = (...roles: Role[]) => Authorized<Role>(...roles);

/** Deny by default: a field needs an explicit `@Allow` and a caller whose role grants it. */
export const authChecker: AuthChecker<GraphQLContext, Role> = ({ context }, roles) => {
  if (!context.caller) throw new AuthException(AuthExceptionCode.MissingCredentials, 'Send an API key: Authorization: Bearer <key>');
  if (!roleAllows(context.caller.role, roles)) {
    throw new AuthException(AuthExceptionCode.RoleNotAllowed, `The ${context.caller.role} role may not do this`, { required: roles });
  }
  return true;
};
