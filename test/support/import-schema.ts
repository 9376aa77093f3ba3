import 'reflect-metadata';
import { buildSchema, Query, Resolver, type NonEmptyArray } from 'type-graphql';
import { Role } from '../../src/domain/auth/roles.js';
import { Allow, authChecker } from '../../src/graphql/auth/allow.js';

/** A schema needs a query; the import resolvers have only mutations. */
@Resolver()
class PingResolver {
  @Allow(Role.Viewer)
  @Query(() => Boolean)
  ping(): boolean {
    return true;
  }
}

/** A schema of the import mutations alone, with the API's role checks, for tests that run them without the whole API. */
export function importSchema(resolver: NonEmptyArray<Function>[number]) {
  return buildSchema({ resolvers: [PingResolver, resolver], authChecker, validate: true });
}
