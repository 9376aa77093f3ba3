import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Mutation, Query, Resolver, Root, UseMiddleware } from 'type-graphql';
import { mapPage } from '../../services/common/pagination.js';
import { MAX_SCHEDULE_AHEAD_DAYS } from '../../domain/campaigns/campaign.js';
import { Role } from '../../domain/auth/roles.js';
import { Allow } from '../auth/allow.js';
import { NestedPageArgs, PageArgs, pageComplexity } from '../common/connection.js';
import { LIVE_STATE_FIELD, reportField, ReportTurn } from '../limits.js';
import { CampaignGroup, type Customer, type PlaybookRun } from '../../entities/index.js';
import { selectedFields } from '../common/selection.js';
import { PlaybookRunType, selectsLiveState } from '../playbooks/playbook-run.types.js';
import type { GraphQLContext } from '../context.js';
import { CustomerType } from '../customers/customer.types.js';
import { SegmentType } from '../segments/segment.types.js';
import { CampaignComparisonType, CampaignConnection, CampaignGroupOutcomeType, CampaignMemberConnection, CampaignMemberType, CampaignPreviewType, CampaignProgressType, CampaignRunTallyType, CampaignType, CreateCampaignInput, UpdateCampaignInput } from './campaign.types.js';

@Resolver(() => CampaignType)
export class CampaignResolver {
  @Allow(Role.Viewer)
  @Query(() => CampaignType, { nullable: true })
  async campaign(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<CampaignType | null> {
    const view = await ctx.services.campaigns.find(id);
    return view && CampaignType.from(view);
  }

  @Allow(Role.Viewer)
  @Query(() => CampaignConnection, { description: 'Campaigns, newest first', complexity: pageComplexity })
  async campaigns(@Args() { first, after, last, before }: PageArgs, @Ctx() ctx: GraphQLContext): Promise<CampaignConnection> {
    const page = await ctx.services.campaigns.list({ first, after, last, before });
    return mapPage(page, (campaign) => CampaignType.from({ campaign }));
  }

  @Allow(Role.Marketer)
  @Mutation(() => CampaignType, { description: 'A draft campaign: one playbook for one segment, with a holdout; preview it, then launch; audited. Its name is unique among all campaigns (ended ones too; a discarded draft frees its name) as people read it (stored in NFKC, a run of spaces as one, trimmed) whatever its case (CONFLICT, CAMPAIGN_NAME_TAKEN, quoting the stored name, otherwise)' })
  async createCampaign(@Arg('input') input: CreateCampaignInput, @Ctx() ctx: GraphQLContext): Promise<CampaignType> {
    return CampaignType.from({ campaign: await ctx.services.campaigns.create(input, ctx.caller!.id), progress: null });
  }

  @Allow(Role.Marketer)
  @Mutation(() => CampaignType, { description: "Changes a draft (name, playbook, segment, holdout); CONFLICT once launched, and for another campaign's name (CAMPAIGN_NAME_TAKEN, as createCampaign); audited" })
  async updateCampaign(@Arg('id', () => ID) id: string, @Arg('input') input: UpdateCampaignInput, @Ctx() ctx: GraphQLContext): Promise<CampaignType> {
    return CampaignType.from({ campaign: await ctx.services.campaigns.update(id, input, ctx.caller!.id), progress: null });
  }

  @Allow(Role.Marketer)
  @Mutation(() => ID, { description: 'Throws a draft away and answers its ID; CONFLICT once launched; audited' })
  discardCampaign(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<string> {
    return ctx.services.campaigns.discard(id, ctx.caller!.id);
  }

  @Allow(Role.Marketer)
  @Mutation(() => CampaignType, {
    description: 'Starts enrolment now, or at `at` (Scheduled until then; a cancel before it enrols nobody); launching again without `at` joins the run already going (each customer once). A Scheduled campaign does not start early: without `at` it is CONFLICT/CAMPAIGN_WRONG_STATE naming its `scheduledFor`, with `at` (its start cannot move) too. One whose run ended in Temporal (terminated there) is CONFLICT/CAMPAIGN_WRONG_STATE naming how (`status`, e.g. Terminated), the campaign recorded Cancelled at once. A draft without repeatEveryDays launched now that would enrol nobody (its preview\'s customers 0) is CONFLICT/CAMPAIGN_EMPTY_AUDIENCE with the preview\'s `leftOut` and `inOtherHoldout`, and stays a draft; one launched for later (`at`) or repeating may start empty. A draft whose stored filter was saved before a check that now refuses it (acquiredFrom before 1900) is VALIDATION/CUSTOMER_INVALID_INPUT naming `campaign.filter.acquiredFrom` (fix it with updateCampaign), and stays a draft',
  })
  async launchCampaign(
    @Arg('id', () => ID) id: string,
    @Arg('at', () => Date, { nullable: true, description: `Start enrolling then (in the future, at most ${MAX_SCHEDULE_AHEAD_DAYS} days ahead) instead of now` }) at: Date | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<CampaignType> {
    return CampaignType.from(await ctx.services.campaigns.launch(id, ctx.caller!.id, at));
  }

  @Allow(Role.Marketer)
  @Mutation(() => CampaignType, { description: 'Holds enrolment between pages' })
  async pauseCampaign(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<CampaignType> {
    return CampaignType.from(await ctx.services.campaigns.pause(id, ctx.caller!.id));
  }

  @Allow(Role.Marketer)
  @Mutation(() => CampaignType)
  async resumeCampaign(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<CampaignType> {
    return CampaignType.from(await ctx.services.campaigns.resume(id, ctx.caller!.id));
  }

  @Allow(Role.Marketer)
  @Mutation(() => CampaignType, { description: 'Stops enrolment; runs already started go on. A draft, never launched, is CONFLICT/CAMPAIGN_WRONG_STATE: discardCampaign throws it away' })
  async cancelCampaign(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<CampaignType> {
    return CampaignType.from(await ctx.services.campaigns.cancel(id, ctx.caller!.id));
  }

  @FieldResolver(() => CampaignProgressType, { nullable: true, description: "Live progress from the campaign run (null for a draft); in a list, one Temporal query per campaign (and a look at the run's status for one under way by its record: a run ended in Temporal, terminated there, is recorded Cancelled at once and shows so, with no nextPassAt)", complexity: LIVE_STATE_FIELD })
  progress(@Root() campaign: CampaignType, @Ctx() ctx: GraphQLContext): CampaignProgressType | null | Promise<CampaignProgressType | null> {
    return campaign.progress !== undefined ? campaign.progress : ctx.services.campaigns.progressOf(campaign).then((progress) => progress && CampaignProgressType.from(progress));
  }

  @FieldResolver(() => SegmentType, { nullable: true, description: 'The saved segment its filter was copied from (null when given directly, or the segment was deleted); the segment may have changed since' })
  async segment(@Root() campaign: CampaignType, @Ctx() ctx: GraphQLContext): Promise<SegmentType | null> {
    const segment = campaign.segmentId ? await ctx.services.segments.find(campaign.segmentId) : null;
    return segment && SegmentType.from(segment);
  }

  @FieldResolver(() => CampaignPreviewType, reportField('Dry run on the current data: who would enter and what they would be sent, at the launch (a draft or scheduled campaign) or at the next pass (a repeating one under way: its members are not counted again); all zeros once the campaign has ended'))
  @UseMiddleware(ReportTurn)
  preview(@Root() campaign: CampaignType, @Ctx() ctx: GraphQLContext): Promise<CampaignPreviewType> {
    return ctx.services.campaigns.preview(campaign.id);
  }

  @FieldResolver(() => CampaignMemberConnection, { description: 'Who was enrolled, in customer ID order (within a pass, the order they were enrolled; one group, if given), and where each run stands', complexity: pageComplexity })
  members(
    @Root() campaign: CampaignType,
    @Args() args: NestedPageArgs,
    @Arg('group', () => CampaignGroup, { nullable: true }) group: CampaignGroup | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<CampaignMemberConnection> {
    return ctx.services.campaigns.members(campaign.id, group ?? null, args);
  }

  @FieldResolver(() => [CampaignRunTallyType], {
    description:
      "The runs this campaign started (runsStarted), by status and outcome, most first, as their records say (no Temporal query; batched across a page of campaigns): how the playbook went for the treated, without paging through members. Runs it joined are another's and not counted",
  })
  runsByOutcome(@Root() campaign: CampaignType, @Ctx() ctx: GraphQLContext): Promise<CampaignRunTallyType[]> {
    return ctx.services.campaigns.runsByOutcome(campaign.id);
  }

  @FieldResolver(() => [CampaignGroupOutcomeType], reportField('Treated against holdout since enrolment: retention, revenue, on-time payment, complaints, profitability now. Always both groups, Treated first: one without members (a FixIssue campaign\'s holdout, an empty segment, a draft) has 0 members and null rates'))
  @UseMiddleware(ReportTurn)
  async outcome(@Root() campaign: CampaignType, @Ctx() ctx: GraphQLContext): Promise<CampaignGroupOutcomeType[]> {
    return (await ctx.services.campaigns.outcome(campaign.id)).map(CampaignGroupOutcomeType.from);
  }

  @FieldResolver(() => [CampaignComparisonType], reportField('Did the playbook work? Retention, on-time payment and complaints since enrolment, treated against holdout, each with a 95% interval and p-value'))
  @UseMiddleware(ReportTurn)
  comparison(@Root() campaign: CampaignType, @Ctx() ctx: GraphQLContext): Promise<CampaignComparisonType[]> {
    return ctx.services.campaigns.comparison(campaign.id);
  }
}

@Resolver(() => CampaignMemberType)
export class CampaignMemberResolver {
  @FieldResolver(() => PlaybookRunType, {
    nullable: true,
    description: "The member's run: the one the campaign started, or one it joined: one the customer was already in (e.g. an account review under way), or one another campaign of the playbook started when both enrolled the customer at once. None for the holdout; fixing issues: the first topic's, the customer's playbookRuns has all. Fields of its live state cost a Temporal query",
  })
  async run(@Root() member: CampaignMemberType, @Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo): Promise<PlaybookRun | PlaybookRunType | null> {
    if (!member.run) return null;
    return selectsLiveState(selectedFields(info)) ? PlaybookRunType.from(await ctx.services.playbooks.withLiveState(member.run)) : member.run;
  }

  @FieldResolver(() => ID, { description: "The membership's own identity (its campaign and customer), for a client cache" })
  id(@Root() member: CampaignMemberType): string {
    return `${member.campaignId}/${member.customerId}`;
  }

  /** Batched with the page's other members (the customer service's loader). */
  @FieldResolver(() => CustomerType)
  async customer(@Root() member: CampaignMemberType, @Ctx() ctx: GraphQLContext): Promise<Customer> {
    return ctx.services.customers.get(member.customerId);
  }
}
