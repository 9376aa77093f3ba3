import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, UseMiddleware } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';
import type { Complaint, Customer } from '../../entities/index.js';
import { Allow } from '../auth/allow.js';
import { reportField, ReportTurn } from '../limits.js';
import type { GraphQLContext } from '../context.js';
import { CustomerType } from '../customers/customer.types.js';
import { ComplaintTopicCatalogueType, ComplaintTopicType, ComplaintTopicsArgs, ComplaintType, RecordComplaintInput } from './complaint.types.js';

@Resolver(() => ComplaintType)
export class ComplaintResolver {
  @Allow(Role.Viewer)
  @Query(() => [ComplaintTopicType], reportField('Complaints by topic since a day, most complained about first; for the base or a segment'))
  @UseMiddleware(ReportTurn)
  complaintTopics(@Args() { since, filter }: ComplaintTopicsArgs, @Ctx() ctx: GraphQLContext): Promise<ComplaintTopicType[]> {
    return ctx.services.complaints.topics({ since, filter });
  }

  @Allow(Role.Viewer)
  @Query(() => ComplaintTopicCatalogueType, { description: "The complaint topics the fix-issue policy gives a team of their own, for a complaint form's choices" })
  complaintTopicCatalogue(@Ctx() ctx: GraphQLContext): ComplaintTopicCatalogueType {
    return ctx.services.complaints.knownTopics();
  }

  @Allow(Role.Operator)
  @Mutation(() => ComplaintType, { description: 'Records a complaint as it comes in; audited' })
  recordComplaint(@Arg('input') input: RecordComplaintInput, @Ctx() ctx: GraphQLContext): Promise<ComplaintType> {
    return ctx.services.complaints.record(input, ctx.caller!.id);
  }

  @Allow(Role.Operator)
  @Mutation(() => ComplaintType, { description: 'Marks a complaint resolved (now, or at resolvedAt); a second call is a CONFLICT, as is one for a withdrawn complaint (COMPLAINT_ALREADY_WITHDRAWN). A resolved complaint still counts toward a persistent issue: one filed by mistake is withdrawn (withdrawComplaint)' })
  resolveComplaint(
    @Arg('id', () => ID) id: string,
    @Arg('resolvedAt', () => Date, { nullable: true }) resolvedAt: Date | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ComplaintType> {
    return ctx.services.complaints.resolve(id, ctx.caller!.id, resolvedAt ?? undefined);
  }

  @Allow(Role.Operator)
  @Mutation(() => ComplaintType, {
    description: 'The customer says a resolved complaint is not: open again (now, or at reopenedAt) and counted as reopened; may start a fix, or tell one waiting for its check-back that it did not hold; an open one is a CONFLICT, as is a withdrawn one (COMPLAINT_ALREADY_WITHDRAWN)',
  })
  reopenComplaint(
    @Arg('id', () => ID) id: string,
    @Arg('reopenedAt', () => Date, { nullable: true }) reopenedAt: Date | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ComplaintType> {
    return ctx.services.complaints.reopen(id, ctx.caller!.id, reopenedAt ?? undefined);
  }

  @Allow(Role.Operator)
  @Mutation(() => ComplaintType, {
    description:
      'Withdraws a complaint filed by mistake (on the wrong customer, a duplicate), with why (at most 1000 characters): kept and shown, but counted nowhere from now on (persistent issue, open complaint, complaintTopics, a fix case\'s listing); the customer is rescored at once. ' +
      "The customer's still-queued word that it was added to their fix case is held back. When a fix case of its topic is open, its owner is told it may no longer be needed when nothing since the topic's earlier fix stands without it (a next run or a reopening only by it) or, for a first case, the topic is no longer persistent without it (the run goes on until they cancel it with cancelPlaybookRun); a case still standing on others is told only when its owner was told of this complaint on its own. Audited; a second call is a CONFLICT (COMPLAINT_ALREADY_WITHDRAWN)",
  })
  withdrawComplaint(@Arg('id', () => ID) id: string, @Arg('reason') reason: string, @Ctx() ctx: GraphQLContext): Promise<ComplaintType> {
    return ctx.services.complaints.withdraw(id, reason, ctx.caller!.id);
  }

  /** The record holds its customer as a reference (its ID). */
  @FieldResolver(() => ID, { description: 'Whose complaint it is' })
  customerId(@Root() complaint: Complaint): string {
    return complaint.customer.id;
  }

  /**
   * After recordComplaint, what changed on the customer (contactStatus, hasOpenComplaint) comes with
   * the answer; a fix run the complaint started is in `fixIssue(customerId, topic)` and the customer's
   * playbookRuns at once. Batched with the page's other complaints (the customer service's loader).
   */
  @FieldResolver(() => CustomerType, { description: 'Whose complaint it is; with the mutations, the customer as the complaint left them (marketing held back while it is open; a fix run it started shows in fixIssue(customerId, topic) and playbookRuns at once)' })
  customer(@Root() complaint: Complaint, @Ctx() ctx: GraphQLContext): Promise<Customer> {
    return ctx.services.customers.get(complaint.customer.id);
  }
}
