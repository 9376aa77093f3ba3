import { Authorized, type AuthChecker } from 'type-graphql';
import { Role, roleAllows, rolesAllowed } from '../../domain/auth/roles.js';
import { AuthException, AuthExceptionCode } from '../../services/auth/api-keys.js';
import type { GraphQLContext } from '../context.js';

/** `@Allow(Role.Operator)`: the roles that may call a resolver (admin always may). */
export const Allow = (...roles: Role[]) => Authorized<Role>(...roles);

/** Deny by default: a field needs an explicit `@Allow` and a caller whose role grants it. */
export const authChecker: AuthChecker<GraphQLContext, Role> = ({ context }, roles) => {
  assertCallerMay(context, roles);
  return true;
};

/** Throws as `@Allow(...roles)` refuses, for a resolver whose roles depend on what it finds (`node(id)`: the kind's). */
export function assertCallerMay(context: GraphQLContext, roles: readonly Role[]): void {
  if (!context.caller) throw new AuthException(AuthExceptionCode.MissingCredentials, 'Send an API key: Authorization: Bearer <key>');
  if (!roleAllows(context.caller.role, roles)) {
    throw new AuthException(AuthExceptionCode.RoleNotAllowed, `The ${context.caller.role} role may not do this`, { required: rolesAllowed(roles).map(roleName) });
  }
}

/** A role as the API's Role enum spells it (`Marketer`), as `me { role grants }` shows it to front ends. */
const roleName = (role: Role): string => Object.entries(Role).find(([, value]) => value === role)![0];
