import { Args, Ctx, Query, Resolver } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';
import { Allow } from '../auth/allow.js';
import { pageComplexity } from '../common/connection.js';
import type { GraphQLContext } from '../context.js';
import { AuditEntriesArgs, AuditEntryConnection } from './audit.types.js';

@Resolver()
export class AuditResolver {
  @Allow(Role.Admin)
  @Query(() => AuditEntryConnection, { description: 'The audit log, newest first: every mutation, who made it and what it changed', complexity: pageComplexity })
  auditEntries(@Args() args: AuditEntriesArgs, @Ctx() ctx: GraphQLContext): Promise<AuditEntryConnection> {
    return ctx.services.auditLog.list(args);
  }
}
