import { LocalDateResolver } from 'graphql-scalars';
import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, UseMiddleware } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';
import type { Complaint, Customer, FixCase } from '../../entities/index.js';
import { Allow } from '../auth/allow.js';
import { pageComplexity } from '../common/connection.js';
import type { GraphQLContext } from '../context.js';
import { reportField, ReportTurn } from '../limits.js';
import { ComplaintType } from '../complaints/complaint.types.js';
import { CustomerType } from '../customers/customer.types.js';
import { FixCaseConnection, FixCaseTeamReportType, FixCasesArgs, FixCaseType } from './fix-case.types.js';

@Resolver(() => FixCaseType)
export class FixCaseResolver {
  @Allow(Role.Viewer)
  @Query(() => FixCaseConnection, { description: "Fix cases, oldest first: a team's queue of persistent issues (e.g. owner \"logistics\", status Open)", complexity: pageComplexity })
  fixCases(@Args() { filter, ...page }: FixCasesArgs, @Ctx() ctx: GraphQLContext): Promise<FixCaseConnection> {
    return ctx.services.fixCases.list(filter ?? {}, page);
  }

  @Allow(Role.Viewer)
  @Query(
    () => [FixCaseTeamReportType],
    reportField("Per team, busiest first: the cases of its topics open now (wherever they are) and the oldest one's wait, the fixes reported since a day (how fast, how many the customer confirmed hold, how many did not hold) and the cases that escalated since it, by when each happened, whatever day the case was opened"),
  )
  @UseMiddleware(ReportTurn)
  async fixCaseReport(@Arg('since', () => LocalDateResolver, { description: 'Fixes and escalations from this day: not after today, nor before 1900-01-01 (VALIDATION with field since)' }) since: string, @Ctx() ctx: GraphQLContext): Promise<FixCaseTeamReportType[]> {
    return (await ctx.services.fixCases.report(since)).map((r) => ({ ...r, owner: r.team }));
  }

  @Allow(Role.Operator)
  @Mutation(() => FixCaseType, { description: "The customer says the fix of their issue holds: recorded on the newest case of the topic; its run, waiting for the check-back, thanks them (and gives a loyal customer the gesture) at once instead of asking later, and a word that it was fixed still queued (it promises that check-back) is held back. CONFLICT while the case is open. Idempotent; audited" })
  confirmFixHolds(@Arg('customerId', () => ID) customerId: string, @Arg('topic') topic: string, @Ctx() ctx: GraphQLContext): Promise<FixCase> {
    return ctx.services.fixCases.confirm(customerId, topic, ctx.caller!.id);
  }

  @FieldResolver(() => [ComplaintType], {
    description:
      "The customer's complaints about the topic the last fix resolved: those still open when resolveIssue reported it, resolved as of the fix (resolvedAt the case's), audited as the run's complaint.resolve; each as it is now (one reopened since reads open). Empty while the case is open or cancelled",
  })
  closedComplaints(@Root() fixCase: FixCase, @Ctx() ctx: GraphQLContext): Promise<Complaint[]> {
    return ctx.services.fixCases.closedComplaints(fixCase);
  }

  /** Batched with the page's other cases (the customer service's loader). */
  @FieldResolver(() => CustomerType)
  customer(@Root() fixCase: FixCase, @Ctx() ctx: GraphQLContext): Promise<Customer> {
    return ctx.services.customers.get(fixCase.customer.id);
  }
}
