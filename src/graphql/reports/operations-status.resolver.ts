import { Ctx, Query, Resolver } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';
import { Allow } from '../auth/allow.js';
import { REPORT_COMPLEXITY } from '../limits.js';
import type { GraphQLContext } from '../context.js';
import { OperationsStatusType } from './operations-status.types.js';

@Resolver()
export class OperationsStatusResolver {
  @Allow(Role.Operator)
  @Query(() => OperationsStatusType, { description: "The deployment's operations status, for an operator's dashboard", complexity: REPORT_COMPLEXITY })
  operationsStatus(@Ctx() ctx: GraphQLContext): Promise<OperationsStatusType> {
    return ctx.services.operations.status();
  }
}
