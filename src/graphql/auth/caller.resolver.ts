import { Ctx, Query, Resolver } from 'type-graphql';
import { grantedRoles, Role } from '../../domain/auth/roles.js';
import type { GraphQLContext } from '../context.js';
import { Allow } from './allow.js';
import { CallerType } from './auth.types.js';

@Resolver()
export class CallerResolver {
  @Allow(Role.Viewer)
  @Query(() => CallerType, { description: 'The caller behind this request\'s API key' })
  me(@Ctx() ctx: GraphQLContext): CallerType {
    const { id, role } = ctx.caller!;
    return { id, role, grants: [...grantedRoles(role)] };
  }
}
