import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';
import { Allow } from '../auth/allow.js';
import type { GraphQLContext } from '../context.js';
import { ComplaintType, RecordComplaintInput } from './complaint.types.js';

@Resolver(() => ComplaintType)
export class ComplaintResolver {
  @Allow(Role.Operator)
  @Mutation(() => ComplaintType, { description: 'Records a complaint as it comes in; audited' })
  recordComplaint(@Arg('input') input: RecordComplaintInput, @Ctx() ctx: GraphQLContext): Promise<ComplaintType> {
    return ctx.services.complaints.record(input, ctx.caller!.id);
  }

  @Allow(Role.Operator)
  @Mutation(() => ComplaintType, { description: 'Marks a complaint resolved (now, or at resolvedAt); a second call is a CONFLICT' })
  resolveComplaint(
    @Arg('id', () => ID) id: string,
    @Arg('resolvedAt', () => Date, { nullable: true }) resolvedAt: Date | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ComplaintType> {
    return ctx.services.complaints.resolve(id, ctx.caller!.id, resolvedAt ?? undefined);
  }
}
