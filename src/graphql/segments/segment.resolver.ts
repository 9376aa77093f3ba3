import type { GraphQLResolveInfo } from 'graphql';
import { LocalDateResolver } from 'graphql-scalars';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Mutation, Query, Resolver, Root, UseMiddleware } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';
import { mapPage } from '../../services/common/pagination.js';
import type { CustomerFilter } from '../../services/customers/customer-query.js';
import { segmentFilter } from '../../services/segments/segment.service.js';
import { Allow } from '../auth/allow.js';
import { NestedPageArgs, PageArgs, pageComplexity } from '../common/connection.js';
import type { GraphQLContext } from '../context.js';
import { reportField, ReportTurn } from '../limits.js';
import { CampaignConnection, CampaignType } from '../campaigns/campaign.types.js';
import { ComplaintTopicType } from '../complaints/complaint.types.js';
import { customerPageIncludes } from '../customers/customer-page-includes.js';
import { CustomerConnection } from '../customers/customer.types.js';
import { ConcentrationMonthsArgs, ConcentrationReportType, ScoreDistributionAsOfArgs, ScoreDistributionReportType } from '../scores/scoring.types.js';
import { CreateSegmentInput, SegmentConnection, SegmentCustomersArgs, SegmentType, UpdateSegmentInput } from './segment.types.js';

// The stored filter, checked as it selects customers (a segment saved before a check it now fails is refused, naming it).
const filterOf = (segment: SegmentType): CustomerFilter => segmentFilter(segment);

@Resolver(() => SegmentType)
export class SegmentResolver {
  @Allow(Role.Viewer)
  @Query(() => SegmentType, { nullable: true, description: 'One saved segment, or null when the ID is unknown' })
  async segment(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<SegmentType | null> {
    const segment = await ctx.services.segments.find(id);
    return segment && SegmentType.from(segment);
  }

  @Allow(Role.Viewer)
  @Query(() => SegmentConnection, { description: 'Saved segments, alphabetically by name (case and accents count only between names otherwise alike), then by ID', complexity: pageComplexity })
  async segments(@Args() { first, after, last, before }: PageArgs, @Ctx() ctx: GraphQLContext): Promise<SegmentConnection> {
    return mapPage(await ctx.services.segments.list({ first, after, last, before }), SegmentType.from);
  }

  @Allow(Role.Marketer)
  @Mutation(() => SegmentType, { description: 'Saves a segment under a name unique as people read it (stored in NFKC, a run of spaces as one, trimmed) whatever its case (CONFLICT, SEGMENT_NAME_TAKEN, quoting the stored name, otherwise); audited' })
  async createSegment(@Arg('input') input: CreateSegmentInput, @Ctx() ctx: GraphQLContext): Promise<SegmentType> {
    return SegmentType.from(await ctx.services.segments.create(input, ctx.caller!.id));
  }

  @Allow(Role.Marketer)
  @Mutation(() => SegmentType, { description: 'Renames a segment, or changes its description or filter; campaigns made from it keep the filter they copied; audited' })
  async updateSegment(@Arg('id', () => ID) id: string, @Arg('input') input: UpdateSegmentInput, @Ctx() ctx: GraphQLContext): Promise<SegmentType> {
    return SegmentType.from(await ctx.services.segments.update(id, input, ctx.caller!.id));
  }

  @Allow(Role.Marketer)
  @Mutation(() => ID, { description: 'Deletes a segment and answers its ID; campaigns made from it keep the filter they copied; audited' })
  deleteSegment(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<string> {
    return ctx.services.segments.delete(id, ctx.caller!.id);
  }

  @FieldResolver(() => CustomerConnection, {
    nullable: true,
    description:
      'Who belongs now (totalCount: how many), sorted as the customers query. Null, with VALIDATION/CUSTOMER_INVALID_INPUT naming the stored field (`segment.filter.acquiredFrom`), when the segment holds a filter saved before a check that now refuses it: fix it with updateSegment',
    complexity: pageComplexity,
  })
  async customers(@Root() segment: SegmentType, @Args() { first, after, last, before, sort }: SegmentCustomersArgs, @Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo): Promise<CustomerConnection> {
    const filter = filterOf(segment);
    return ctx.services.customers.list({ first, after, last, before, sort, filter, segment }, customerPageIncludes(info));
  }

  @FieldResolver(() => ScoreDistributionReportType, reportField("The segment's customers per band of every score"))
  @UseMiddleware(ReportTurn)
  scoreDistribution(@Root() segment: SegmentType, @Args() { asOf }: ScoreDistributionAsOfArgs, @Ctx() ctx: GraphQLContext): Promise<ScoreDistributionReportType> {
    return ctx.services.scoring.distribution({ filter: filterOf(segment), asOf });
  }

  @FieldResolver(() => ConcentrationReportType, reportField("How much of the segment's revenue comes from its top 20%, month by month"))
  @UseMiddleware(ReportTurn)
  concentration(
    @Root() segment: SegmentType,
    @Args() { months, until }: ConcentrationMonthsArgs,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ConcentrationReportType> {
    return ctx.services.scoring.concentration({ months, until, filter: filterOf(segment) }).then(ConcentrationReportType.from);
  }

  @FieldResolver(() => [ComplaintTopicType], reportField("The segment's complaints by topic since a day, most complained about first"))
  @UseMiddleware(ReportTurn)
  complaintTopics(@Root() segment: SegmentType, @Arg('since', () => LocalDateResolver, { description: 'Complaints opened or reopened from this day: not after today, nor before 1900-01-01 (VALIDATION with field since)' }) since: string, @Ctx() ctx: GraphQLContext): Promise<ComplaintTopicType[]> {
    return ctx.services.complaints.topics({ since, filter: filterOf(segment) });
  }

  @FieldResolver(() => CampaignConnection, { description: 'Campaigns made from this segment, newest first', complexity: pageComplexity })
  async campaigns(@Root() segment: SegmentType, @Args() { first, after, last, before }: NestedPageArgs, @Ctx() ctx: GraphQLContext): Promise<CampaignConnection> {
    return mapPage(await ctx.services.campaigns.list({ first, after, last, before }, segment.id), (campaign) => CampaignType.from({ campaign }));
  }
}
