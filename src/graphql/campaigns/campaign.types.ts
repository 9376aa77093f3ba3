import 'reflect-metadata';
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { CampaignGroup, CampaignStatus, type PlaybookRun } from '../../entities/index.js';
import { CampaignMetric, HOLDOUT_KEPT_DAYS, LEFT_OUT_REASONS, MAX_CAMPAIGN_NAME, MAX_REPEAT_EVERY_DAYS, type CampaignProgress } from '../../domain/campaigns/campaign.js';
import { MIN_EXPECTED_COUNT } from '../../domain/campaigns/rate-comparison.js';
import type { CampaignMemberView, CampaignView, GroupOutcome } from '../../services/campaigns/campaign.service.js';
import { Playbook } from '../../domain/playbooks/playbook.js';
import { RunStatus } from '../../domain/playbooks/run-status.js';
import { connectionOf } from '../common/connection.js';
import { CustomerFilterType } from '../customers/customer.types.js';
import { MoneyTotal } from '../common/money.js';
import { NodeInterface } from '../common/node.js';

registerEnumType(CampaignStatus, {
  name: 'CampaignStatus',
  description: 'Where a campaign stands, as its record says (its run records each move a moment after it happens)',
  valuesConfig: {
    Draft: { description: 'Not launched: it can still be changed or discarded' },
    Scheduled: { description: 'Launched for later: enrols nobody until scheduledFor' },
    Running: { description: 'Enrolling the segment page by page (a repeating campaign also while it waits for its next pass)' },
    Paused: { description: 'Enrolment held between pages until resumed' },
    Completed: { description: 'The segment is enrolled; the runs it started go on' },
    Cancelled: { description: 'Stopped for good (by a marketer, or in the Temporal UI); the runs it started go on' },
  },
});
registerEnumType(CampaignGroup, { name: 'CampaignGroup' });
registerEnumType(CampaignMetric, {
  name: 'CampaignMetric',
  valuesConfig: {
    Retention: { description: 'Members who ordered again since enrolment' },
    OnTimePayment: {
      description:
        'Members with an invoice due since enrolment who paid every one of them by its due day: by member, as the holdout is drawn (one member\'s invoices are not independent draws; the invoice share is the groups\' onTimePaymentRate)',
    },
    ComplainedAgain: { description: 'Members who complained again since enrolment (lower is better)' },
  },
});

const REPEAT_DESCRIPTION = `Go over the segment again every so many days (1 to ${MAX_REPEAT_EVERY_DAYS}) until cancelled, enrolling the customers who have newly entered it (e.g. a segment of those who became high churn risk this week); each customer still once`;

@InputType()
export class CreateCampaignInput {
  @Field({ description: `Unique among all campaigns whatever its case (stored in NFKC, a run of spaces as one, trimmed), 1 to ${MAX_CAMPAIGN_NAME} characters, no control or invisible ones` })
  name!: string;

  @Field(() => Playbook, { description: 'The playbook to launch: Appreciation, WelcomeCheck, AccountReview (loss-making accounts of the segment) or FixIssue (customers of the segment with a persistent issue)' })
  playbook!: string;

  @Field(() => CustomerFilterType, { nullable: true, description: 'Who enters: the same filters as the customers query; or give segmentId' })
  filter?: CustomerFilterType | null;

  @Field(() => ID, { nullable: true, description: 'Who enters: a saved segment, its filter copied as it stands now; or give filter' })
  segmentId?: string | null;

  @Field(() => Int, { nullable: true, description: 'Share of the segment kept as a holdout group (0 to 50); default 10, and 0 for FixIssue, which holds nobody back (a fix is owed)' })
  holdoutPercent?: number | null;

  @Field(() => Int, { nullable: true, description: REPEAT_DESCRIPTION })
  repeatEveryDays?: number | null;
}

@InputType({ description: 'Changes to a draft; fields left out stay as they are' })
export class UpdateCampaignInput {
  @Field(() => String, { nullable: true, description: `Unique among all campaigns whatever its case (stored in NFKC, a run of spaces as one, trimmed), 1 to ${MAX_CAMPAIGN_NAME} characters, no control or invisible ones` })
  name?: string | null;

  @Field(() => Playbook, { nullable: true })
  playbook?: string | null;

  @Field(() => CustomerFilterType, { nullable: true, description: 'The whole new segment (replaces the old one)' })
  filter?: CustomerFilterType | null;

  @Field(() => ID, { nullable: true, description: "A saved segment whose filter replaces the old one (its current definition; also to take up a change made to the campaign's segment)" })
  segmentId?: string | null;

  @Field(() => Int, { nullable: true, description: "Share of the segment kept as a holdout group (0 to 50); left out with a new playbook: that playbook's default (10, FixIssue 0), not the old one's share" })
  holdoutPercent?: number | null;

  @Field(() => Int, { nullable: true, description: `${REPEAT_DESCRIPTION}; 0 makes it run once` })
  repeatEveryDays?: number | null;
}

@ObjectType('CampaignProgress', { simpleResolvers: true })
export class CampaignProgressType {
  @Field(() => CampaignStatus, { description: 'Scheduled, Running, Paused, Cancelled or Completed' })
  status!: string;

  @Field(() => Int)
  enrolled!: number;

  @Field(() => Int)
  treated!: number;

  @Field(() => Int)
  holdout!: number;

  @Field(() => Int, { description: 'Playbook runs this campaign started for treated customers: those its start created. A run a customer was already in (e.g. an account review under way), or one another campaign of the playbook started when both enrolled the customer at once, is joined, not counted: two campaigns\' runs started add up to the runs there are' })
  runsStarted!: number;

  @Field(() => Int, { description: "The pass over the segment (a repeating campaign's; 1 for one that runs once)" })
  pass!: number;

  @Field(() => Date, { nullable: true, description: "When a repeating campaign's next pass starts, while it waits for it; null once the campaign has ended (cancelled)" })
  nextPassAt!: Date | null;

  static from(progress: CampaignProgress): CampaignProgressType {
    return { ...progress, pass: progress.pass ?? 1, nextPassAt: progress.nextPassAt ? new Date(progress.nextPassAt) : null };
  }
}

@ObjectType('CampaignRunTally', { simpleResolvers: true, description: "How many of the campaign's runs stand where: under way, or ended with which outcome" })
export class CampaignRunTallyType {
  @Field(() => RunStatus)
  status!: RunStatus;

  @Field(() => String, { nullable: true, description: "The playbook's outcome, e.g. thanked or not-thanked (an appreciation's), confirmed or follow-up-needed (a welcome check's); null while under way, or for an end recorded from the workflow engine (failed, terminated, timed out)" })
  outcome!: string | null;

  @Field(() => Int)
  runs!: number;
}

@ObjectType('CampaignGroupOutcome', { simpleResolvers: true, description: 'One group of the campaign since enrolment: the holdout shows what would have happened anyway' })
export class CampaignGroupOutcomeType {
  @Field(() => CampaignGroup)
  group!: string;

  @Field(() => Int)
  members!: number;

  @Field(() => Int, { description: 'Members who ordered again after enrolment' })
  retained!: number;

  @Field(() => Float, { nullable: true, description: 'retained / members' })
  retentionRate!: number | null;

  @Field(() => MoneyTotal, { description: 'Revenue since enrolment, minor units (a total: exact up to 2^53 minor units)' })
  revenueMinor!: number;

  @Field(() => Float, { nullable: true })
  revenuePerMemberMinor!: number | null;

  @Field(() => Int, { description: 'Invoices due since enrolment and judged, as payment loyalty judges them: paid, or still open for longer than its policy gives (openOverdueCountsAfterDays past the due day and its grace days); not cancelled ones, nor those paid before enrolment' })
  invoicesDue!: number;

  @Field(() => Float, { nullable: true, description: 'Share of them paid by their due day and the payment-loyalty policy\'s grace days' })
  onTimePaymentRate!: number | null;

  @Field(() => Int, { description: 'Members with an invoice due since enrolment, judged as invoicesDue: those the OnTimePayment comparison counts' })
  membersWithInvoicesDue!: number;

  @Field(() => Int, { description: 'Of them, members who paid every such invoice on time' })
  membersPaidAllOnTime!: number;

  @Field(() => Float, {
    nullable: true,
    description: "Median days since the group's members were enrolled: how long the outcome has had to show (a difference read days after enrolment says little); null without members",
  })
  medianDaysSinceEnrolment!: number | null;

  @Field(() => Int, { description: 'Members who complained again after enrolment (fixing issues should lower it)' })
  complainedAgain!: number;

  @Field(() => Float, {
    nullable: true,
    description:
      "Mean current profitability of the members whose profitability is judged (profitabilityJudged of them), minor units (account reviews should raise it); null if none is. A member who never bought is not judged: compare the groups' means with their profitabilityJudged in view",
  })
  meanProfitabilityMinor!: number | null;

  @Field(() => Int, { description: 'Members whose current profitability is judged (has a value), whom meanProfitabilityMinor averages' })
  profitabilityJudged!: number;

  @Field(() => Int, {
    description:
      "Members in a run of the campaign's playbook it did not start (the daily sweep's, one started by hand, or another campaign's) since enrolment: in the holdout they got the playbook anyway, diluting the comparison; in the treated group the campaign joined a run already under way, one another campaign started when both enrolled the customer at once, or one the sweep started as the campaign enrolled them",
  })
  inPlaybookElsewhere!: number;

  static from(o: GroupOutcome): CampaignGroupOutcomeType {
    return {
      ...o,
      retentionRate: o.members ? o.retained / o.members : null,
      revenuePerMemberMinor: o.members ? o.revenueMinor / o.members : null,
      onTimePaymentRate: o.invoicesDue ? o.invoicesPaidOnTime / o.invoicesDue : null,
    };
  }
}

@ObjectType('CampaignComparison', {
  simpleResolvers: true,
  description:
    "One rate, by member, treated against holdout: how large the difference is, and how far chance alone could explain it. Each metric is a test of its own, not corrected for the three side by side nor for reading the comparison again as the campaign goes on: one of three below 0.05, or a difference read days after enrolment (the groups' medianDaysSinceEnrolment), is weak evidence",
})
export class CampaignComparisonType {
  @Field(() => CampaignMetric)
  metric!: CampaignMetric;

  @Field(() => Float, { nullable: true, description: 'null: nobody in the group (for OnTimePayment: no member with an invoice due)' })
  treatedRate!: number | null;

  @Field(() => Float, { nullable: true })
  holdoutRate!: number | null;

  @Field(() => Float, { nullable: true, description: 'treatedRate - holdoutRate; null without both groups' })
  difference!: number | null;

  @Field(() => Float, { nullable: true, description: "Lower end of the difference's 95% interval (Newcombe's hybrid score interval); an interval that holds 0 means chance alone could explain the difference" })
  low!: number | null;

  @Field(() => Float, { nullable: true, description: "Upper end of the difference's 95% interval" })
  high!: number | null;

  @Field(() => Float, {
    nullable: true,
    description: 'Two-sided p-value of the two-proportion z-test: how likely a difference at least this large would be if the playbook changed nothing; null when smallSample (the test does not hold)',
  })
  pValue!: number | null;

  @Field({
    description:
      "Too few for a p-value: a group is empty, or in some group fewer than 5 are expected (at the groups' pooled rate) of those it happened for or of those it did not, where the z-test's normal approximation does not hold. The interval is still given (Newcombe's is sound for small groups), and is wide: read it, not significance",
  })
  smallSample!: boolean;

  @Field(() => Float, {
    nullable: true,
    description:
      "The share of the holdout that got the playbook anyway (outcome's inPlaybookElsewhere over the holdout's members: a run the campaign did not start, the sweep's, a person's, another campaign's, under way when they were drawn or started since); null without a holdout. The difference measures the playbook only as far as it was withheld: near 1, the campaign compares the playbook with itself, whatever the p-value says",
  })
  holdoutGotPlaybook!: number | null;
}

@ObjectType('CampaignPreviewCustomer', { simpleResolvers: true })
export class CampaignPreviewCustomerType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;
}

@ObjectType('CampaignHeldBack', { simpleResolvers: true })
export class CampaignHeldBackType {
  @Field({ description: 'no-consent, open-complaint, budget-exhausted, or invoice-overdue (a thank-you waits while an invoice of the customer is overdue and unpaid)' })
  reason!: string;

  @Field(() => Int)
  customers!: number;
}

@ObjectType('CampaignLeftOut', { simpleResolvers: true, description: "Customers of a campaign's segment its playbook's rules leave out, for one reason" })
export class CampaignLeftOutType {
  @Field({
    description: `Why, the first of these that applies to the customer (in this order; a playbook asks only its own rules): ${Object.entries(LEFT_OUT_REASONS)
      .map(([reason, meaning]) => `${reason} (${meaning})`)
      .join('; ')}`,
  })
  reason!: string;

  @Field(() => Int)
  customers!: number;
}

@ObjectType('CampaignPreviewGroups', { simpleResolvers: true, description: 'A count of customers in each group of a campaign' })
export class CampaignPreviewGroupsType {
  @Field(() => Int)
  treated!: number;

  @Field(() => Int)
  holdout!: number;
}

@ObjectType('CampaignPreview', { simpleResolvers: true, description: 'A dry run: who would enter and what they would be sent' })
export class CampaignPreviewType {
  @Field(() => Int)
  customers!: number;

  @Field(() => Int)
  treated!: number;

  @Field(() => Int)
  holdout!: number;

  @Field(() => Int, {
    description:
      'Messages to customers the launch would cause, at most, the same for every playbook: the message each run it would start for a treated customer sends that customer first (a thank-you, a welcome, a proposal, a fix\'s "we are working on it"; tasks to a team, such as the fix case a fix gives its owner, are not counted) (marketing only where the contact guard lets it go now; an account review proposes when a cheaper tier or an offer fits; fixing issues: one per persistent topic without a fix under way). A run already under way, which the launch joins, sends nothing new (see alreadyInRun)',
  })
  messages!: number;

  @Field(() => [CampaignHeldBackType], {
    description:
      "Treated customers the launch would start a run for whose marketing message the contact guard would hold back now, by reason (the playbook's runs start; the message is not sent). Marketing: a thank-you, and an account review's offer, proposed where the profitability score suggests no cheaper tier and an offer today moves the customer's tier to a richer one (a cheaper tier is a service message). An account review's proposal of either kind waits while a complaint or fix case of the customer's is open (fix first): counted under open-complaint",
  })
  heldBack!: CampaignHeldBackType[];

  @Field(() => CampaignPreviewGroupsType, {
    description:
      "Customers of each group already in a run of the playbook under way (the daily sweep's, one started by hand, another campaign's): the launch joins a treated one's run (no new run, no new message), and a holdout one gets the playbook anyway, which the outcome later counts as inPlaybookElsewhere. Many of them: the campaign can change and measure little",
  })
  alreadyInRun!: CampaignPreviewGroupsType;

  @Field(() => Int, {
    description: `Customers of the segment left out (not in customers): in the holdout of another campaign of the same playbook that is still measuring (under way, or ended less than ${HOLDOUT_KEPT_DAYS} days ago; a repeating one: drawn less than ${HOLDOUT_KEPT_DAYS} days ago), whose comparison enrolling them would end; not one drawn while in a run of the playbook, whom that campaign never kept it from`,
  })
  inOtherHoldout!: number;

  @Field(() => String, {
    nullable: true,
    description: `Why the outcome will compare the launch's groups little, said while the campaign can still change (a draft or scheduled one; null once launched, when the outcome shows its comparison, and when none applies or no holdout is asked for): no-holdout (the draw, a stable one per customer, held nobody back: nothing to compare); groups-too-small (treated or holdout under ${2 * MIN_EXPECTED_COUNT} customers, or nobody to enrol at all: even a rate of one half gives no p-value; a larger segment or holdoutPercent helps; a repeating campaign's later passes may add to it); holdout-in-playbook (half the holdout or more is in a run of the playbook already, see alreadyInRun: the comparison sets the playbook against itself; said before groups-too-small, as larger groups do not help it)`,
  })
  comparisonWarning!: string | null;

  @Field(() => [CampaignLeftOutType], {
    description:
      "The segment's other customers, those the playbook's rules leave out, by reason: each customer counted once, under the first reason that applies (see CampaignLeftOut.reason for the order); reasons with nobody left out are not listed. customers + inOtherHoldout + the sum of leftOut's customers = the customers the campaign's filter matches now, of any status (the segment's customers totalCount, while the segment's filter is the one the campaign copied). A campaign under way previews its next pass: its members are counted as enrolled-already. An ended campaign previews all zeros and none left out",
  })
  leftOut!: CampaignLeftOutType[];

  @Field(() => [CampaignPreviewCustomerType], { description: 'The first treated customers' })
  sample!: CampaignPreviewCustomerType[];
}

@ObjectType('Campaign', { simpleResolvers: true, implements: NodeInterface })
export class CampaignType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => Playbook)
  playbook!: string;

  @Field(() => CampaignStatus)
  status!: CampaignStatus;

  @Field(() => CustomerFilterType, { description: 'Who enters: the filter the campaign was made with (copied from its saved segment, if it came from one)' })
  filter!: CustomerFilterType;

  /** The saved segment the filter was copied from; resolved by CampaignResolver. */
  segmentId!: string | null;

  @Field(() => Int, { description: "Share of the segment kept as a holdout group, 0 to 50: enrolled but left untreated, so the outcome compares treated with held out (a stable draw per customer)" })
  holdoutPercent!: number;

  @Field(() => Int, { nullable: true, description: 'Goes over its segment again every so many days until cancelled (null: once)' })
  repeatEveryDays!: number | null;

  @Field()
  createdBy!: string;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When enrolment starts, for a campaign launched for later (kept once it ended: with launchedAt null, the start it was launched for, which never came)' })
  scheduledFor!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When enrolment began' })
  launchedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;

  /** Live progress when already read (a campaign's own page); otherwise its resolver asks the run. */
  progress?: CampaignProgressType | null;

  /** Whether reading the campaign asked the engine for an end of its run already (not a field: the progress resolver's). */
  endLookedFor?: boolean;

  static from({ campaign, progress, endLookedFor }: CampaignView): CampaignType {
    return {
      id: campaign.id,
      name: campaign.name,
      playbook: campaign.playbook,
      status: campaign.status,
      filter: campaign.segment as CustomerFilterType,
      segmentId: campaign.sourceSegment?.id ?? null,
      holdoutPercent: campaign.holdoutPercent,
      repeatEveryDays: campaign.repeatEveryDays ?? null,
      createdBy: campaign.createdBy,
      createdAt: campaign.createdAt,
      scheduledFor: campaign.scheduledFor ?? null,
      launchedAt: campaign.launchedAt ?? null,
      finishedAt: campaign.finishedAt ?? null,
      progress: progress && CampaignProgressType.from(progress),
      endLookedFor,
    };
  }
}

@ObjectType('CampaignMember', { simpleResolvers: true, description: 'A customer the campaign enrolled, in the treated or the holdout group' })
export class CampaignMemberType implements CampaignMemberView {
  campaignId!: string;
  customerId!: string;

  @Field(() => CampaignGroup)
  group!: CampaignGroup;

  @Field()
  enrolledAt!: Date;

  @Field(() => Int, { description: "The pass over the segment that enrolled them (a repeating campaign's)" })
  pass!: number;

  /** Resolved by CampaignMemberResolver, with the live state when selected. */
  run!: PlaybookRun | null;
}

export const CampaignMemberConnection = connectionOf(CampaignMemberType, 'CampaignMember');
export type CampaignMemberConnection = InstanceType<typeof CampaignMemberConnection>;

export const CampaignConnection = connectionOf(CampaignType, 'Campaign');
export type CampaignConnection = InstanceType<typeof CampaignConnection>;
