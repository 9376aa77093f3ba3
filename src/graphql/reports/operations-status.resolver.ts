import { Ctx, Query, Resolver } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';
import { Allow } from '../auth/allow.js';
import { REPORT_COMPLEXITY } from '../limits.js';
import type { GraphQLContext } from '../context.js';
import { OperationsStatusType } from './operations-status.types.js';

@Resolver()
export class OperationsStatusResolver {
  @Allow(Role.Operator)
  @Query(() => OperationsStatusType, {
    nullable: true,
    description:
      "The deployment's operations status, for an operator's dashboard. Null, with its error (UNAVAILABLE, e.g. DATABASE_TIMEOUT), when the database cannot answer in time: the other fields of the request still answer",
    complexity: REPORT_COMPLEXITY,
  })
  operationsStatus(@Ctx() ctx: GraphQLContext): Promise<OperationsStatusType> {
    return ctx.services.operations.status();
  }
}
