import { LockMode } from '@mikro-orm/core';
import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, type RawBuilder } from 'kysely';
import { compareRates, comparisonWarning, type ComparisonWarning, type RateComparison } from '../../domain/campaigns/rate-comparison.js';
import { CampaignMetric, campaignPlaybook, LEFT_OUT_REASONS, type LeftOutReason, type AudiencePolicies, campaignWorkflowId, defaultHoldoutPercent, MAX_CAMPAIGN_NAME, MAX_HOLDOUT_PERCENT, MAX_REPEAT_EVERY_DAYS, MAX_SCHEDULE_AHEAD_DAYS, type CampaignPolicy, type CampaignProgress, type CampaignSteering } from '../../domain/campaigns/campaign.js';
import { days } from '../../domain/policies/duration.js';
import { marketingVerdict, type GUARD_REASONS } from '../../domain/guards/contact-guard.js';
import { hasOpenIssue, hasOverdueUnpaidInvoice, marketingCountSince } from '../facts/customer-facts.js';
import type { DeliveryPolicy } from '../../domain/messages/delivery-policy.js';
import { isUuid } from '../../domain/ids.js';
import { ScoreKind } from '../../domain/scoring/score-kind.js';
import { Campaign, CampaignStatus, ENDED_CAMPAIGN as ENDED, type CampaignGroup, type Segment } from '../../entities/index.js';
import { CHEAPER_TIER_REASON, type ServiceTierPolicy } from '../../domain/scoring/profitability.js';
import { offersToTier } from '../../domain/playbooks/account-offer.js';
import { OfferService } from '../offers/offer.service.js';
import { lockedSegment, segmentFilter } from '../segments/segment.service.js';
import { fixDue, type PlaybookRunService } from '../playbooks/playbook-run.service.js';
import { persistentTopics } from '../facts/current-complaints.js';
import type { PersistentIssuePolicy } from '../../domain/scoring/persistent-issue.js';
import type { PaymentLoyaltyPolicy } from '../../domain/scoring/payment-loyalty.js';
import { onTimeVerdictSql } from '../facts/invoice-facts.js';
import { changedFields, writtenSinceLastReset, type AuditService } from '../audit/audit.service.js';
import type { Page, PageArgs } from '../common/pagination.js';
import { keysetPage } from '../common/keyset-page.js';
import { ChildPager } from '../common/child-pages.js';
import { CampaignMemberPager, type CampaignMemberView } from './campaign-member-pages.js';
import { assertCustomerFilter, assertStoredFilter, type CustomerFilter } from '../customers/customer-query.js';
import type { CampaignEndedInEngine, CampaignEngine, CampaignReset } from '../engines/campaign-engine.js';
import { audienceRules, campaignAudience, holdoutDraw, inOtherHoldout } from './campaign-enrolment.service.js';
import { CampaignException, CampaignExceptionCode } from './campaign.exception.js';
import { characterCount, hiddenCharacterProblem, readableName } from '../../domain/text.js';
import { withUniqueName } from '../common/unique-name.js';
import { INVOICE_OVERDUE } from '../../domain/playbooks/appreciation.js';
import { engineActor } from '../../domain/auth/roles.js';
import type { RunStatus } from '../../domain/playbooks/run-status.js';

/** The contact guard's reason for a message held while a complaint or fix is open, as the preview counts it. */
const OPEN_ISSUE_HELD: (typeof GUARD_REASONS)[number] = 'open-complaint';

export interface CampaignPreview {
  /** Active customers in the segment now. */
  customers: number;
  treated: number;
  holdout: number;
  /**
   * Messages to customers the launch would cause: the customer's first message of each run it would start, for every
   * playbook (a fix's acknowledgement, not the task its team gets; marketing only where the contact guard lets it go now);
   * a run under way that it joins sends nothing new.
   */
  messages: number;
  /** Treated customers whose marketing message the contact guard would hold back now, by its reason (of those the launch starts a run for). */
  heldBack: { reason: string; customers: number }[];
  /**
   * Customers of each group already in a run of the playbook under way (the sweep's, one
   * started by hand, another campaign's): the launch joins a treated one's run, and a holdout
   * one gets the playbook anyway (`inPlaybookElsewhere` of the outcome, known beforehand).
   */
  alreadyInRun: { treated: number; holdout: number };
  /** Customers of the segment left out (not in `customers`): in the holdout of another campaign of the playbook still measuring (`inMeasuringHoldout`). */
  inOtherHoldout: number;
  /** Why the launch's groups will compare little (`comparisonWarning`); null once launched (the outcome shows the comparison), and when they can. */
  comparisonWarning: ComparisonWarning | null;
  /**
   * The segment's other customers left out, by reason (`LEFT_OUT_REASONS`), each counted once, by the first reason in
   * that order that applies; reasons with none left out are not listed. `customers + inOtherHoldout + sum(leftOut)` is
   * the number of customers the campaign's filter matches now, whatever their status (an ended campaign: all zeros, none listed).
   */
  leftOut: { reason: LeftOutReason; customers: number }[];
  sample: { id: string; name: string }[];
}

export interface GroupOutcome {
  group: 'treated' | 'holdout';
  members: number;
  /** Members who ordered again after they were enrolled. */
  retained: number;
  revenueMinor: number;
  /** Invoices due since enrolment, and how many of them were paid by their due day. */
  invoicesDue: number;
  invoicesPaidOnTime: number;
  /**
   * Members with an invoice due since enrolment, and how many of them paid every one of those on time: the on-time
   * comparison's unit, as the holdout is drawn by member (one member's invoices are not independent draws).
   */
  membersWithInvoicesDue: number;
  membersPaidAllOnTime: number;
  /** Median days since the group's members were enrolled: how long the outcome has had to show (null without members). */
  medianDaysSinceEnrolment: number | null;
  /** Members who complained again after they were enrolled (what fixing issues should lower). */
  complainedAgain: number;
  /**
   * Mean current profitability of the members whose profitability is judged, minor units (what account reviews should
   * raise); null if none is. Over `profitabilityJudged` members: a member who never bought is not judged, so a group
   * whose members started buying averages over more of them than one whose members did not.
   */
  meanProfitabilityMinor: number | null;
  /** Members whose current profitability is judged (a value, not `not judged`), whom meanProfitabilityMinor averages. */
  profitabilityJudged: number;
  /**
   * Members in a run of the campaign's playbook that the campaign did not start (the daily
   * sweep's, or one started by hand), since enrolment: in the holdout they got the playbook
   * anyway; in the treated group the campaign joined a run already under way.
   */
  inPlaybookElsewhere: number;
}

export interface CampaignComparison extends RateComparison {
  metric: CampaignMetric;
  /**
   * The share of the holdout that got the playbook anyway (`inPlaybookElsewhere` of its members); null without a holdout.
   * The difference measures the playbook only as far as it was withheld: at 1, the campaign compares the playbook with itself.
   */
  holdoutGotPlaybook: number | null;
}

/** One enrolled customer, listed in customer ID order (a pass's enrolment order), with the run the campaign started for them (null for the holdout). */
export type { CampaignMemberView } from './campaign-member-pages.js';

/** A launched campaign whose enrolment has not ended. */
const UNDER_WAY: CampaignStatus[] = [CampaignStatus.Scheduled, CampaignStatus.Running, CampaignStatus.Paused];

export interface CampaignView {
  campaign: Campaign;
  /** Undefined: not read yet (read when asked for, so the campaign's record shows while its run cannot answer). */
  progress?: CampaignProgress | null;
  /** The engine was asked already whether the campaign's run ended there (`find`): its progress does not ask again. */
  endLookedFor?: boolean;
}

/**
 * Since when this installation's run records name the campaign whose start created them
 * (`playbook_run.campaign_id`, written from the release of 3 December 2026): a record from before has
 * none, whoever started it; one since without a campaign is a start without one (the sweep's, a person's).
 * The deployment setting `runs-name-campaign-since`, the database's upgrade to that release
 * (Migration20261216000000_runs_name_campaign_since; `-infinity` for one that had no runs before it).
 */
export const RUNS_NAME_CAMPAIGN_SINCE_SETTING = 'runs-name-campaign-since';

/**
 * Whether a value of that setting (SQL text) is one it may hold: `-infinity`, or a time written from its date on (as the
 * migration writes it; `2026-12-05T05:30:00Z`), not a word PostgreSQL reads as a time of its own (`now`, `yesterday`).
 * API and worker refuse to start while it holds another (a hand-made correction mistyped, review 40); one typed while
 * they run is read as `-infinity` until then, so no campaign's outcome fails on it.
 */
export const readableRunsNameCampaignSince = (value: string) => `(${value} = '-infinity' or (${value} ~ '^\\d{4}-\\d{2}-\\d{2}' and pg_input_is_valid(${value}, 'timestamptz')))`;

/** Sends the run a pause, resume or cancel, telling it the steering's number; false when no run takes it. */
type Steering = (engine: CampaignEngine, told: CampaignSteering) => Promise<boolean>;

/** The status a pause, resume or cancel the run took leaves the campaign in. */
const STEERED_TO = { pause: CampaignStatus.Paused, resume: CampaignStatus.Running, cancel: CampaignStatus.Cancelled } as const;

/** How many of a campaign's runs stand where: under way, or ended with which outcome, as their records say. */
export interface CampaignRunTally {
  status: RunStatus;
  /** The playbook's outcome (e.g. `thanked`, `not-thanked`); null while under way, or for an end recorded from the engine. */
  outcome: string | null;
  runs: number;
}

/** Marketers' campaigns: create a draft, preview it (dry run), launch, pause, resume, cancel, and compare the groups. */
export class CampaignService {
  private readonly outcomes = new Map<string, Promise<GroupOutcome[]>>();
  /** Campaigns' runs by status and outcome, batched across a page of campaigns. */
  private readonly runTallies: DataLoader<string, CampaignRunTally[]>;
  /** A segment's campaigns, batched across a page of segments. */
  private readonly ofSegment: ChildPager<Campaign>;
  /** A campaign's members, batched across a page of campaigns. */
  private readonly memberPages: CampaignMemberPager;

  constructor(
    private readonly em: EntityManager,
    private readonly engine: CampaignEngine,
    private readonly audit: AuditService,
    runs: PlaybookRunService,
    /**
     * The campaign's run policy; the contact guard delivery obeys, which the preview counts by; the
     * audience's policy values and which complaint topics are persistent, as the enrolment decides them (a fix per topic).
     */
    private readonly policies: AudiencePolicies & { campaign: CampaignPolicy; delivery: Pick<DeliveryPolicy, 'contact'>; persistentIssue: PersistentIssuePolicy; scoring: { paymentLoyalty: PaymentLoyaltyPolicy; serviceTiers: ServiceTierPolicy } },
  ) {
    // The same cursors as `list`'s (newest first, then by ID).
    this.ofSegment = new ChildPager(em, Campaign, { tag: 'campaigns', table: 'campaign', parentColumn: 'source_segment_id', orderColumn: 'created_at', orderType: 'timestamptz', orderProperty: 'createdAt' });
    this.memberPages = new CampaignMemberPager(em, runs);
    this.runTallies = new DataLoader(async (ids) => {
      const rows = await em.execute<{ campaign_id: string; status: RunStatus; outcome: string | null; runs: string }[]>(
        `select campaign_id::text, status, outcome, count(*) as runs from playbook_run where campaign_id in (?)
          group by campaign_id, status, outcome order by campaign_id, count(*) desc, status, outcome nulls first`,
        [ids.filter(isUuid)],
      );
      return ids.map((id) => rows.filter((r) => r.campaign_id === id).map((r) => ({ status: r.status, outcome: r.outcome, runs: Number(r.runs) })));
    });
  }

  /**
   * How the runs the campaign started stand, by status and outcome, most first, as their records say (no query of the
   * workflow engine): how the playbook went for the treated without paging through members. A run it joined is not
   * counted (it is another's, as in `runsStarted`).
   */
  runsByOutcome(id: string): Promise<CampaignRunTally[]> {
    return this.runTallies.load(id);
  }

  /** A draft for a filter given here or copied from a saved segment (`segmentId`). Audited. */
  async create(input: CampaignDraftInput, createdBy: string): Promise<Campaign> {
    return this.uniqueName(readableName(input.name), () =>
      this.em.transactional(async (em) => {
        const audience = await draftAudience(em, input);
        if (!audience) throw new CampaignException(CampaignExceptionCode.InvalidInput, 'A campaign needs a filter or a saved segment (segmentId)', { field: 'filter' });
        const draft = checkedDraft({ ...input, filter: audience.filter, filterChecked: audience.checked });
        const campaign = em.create(Campaign, { name: draft.name, playbook: draft.playbook, segment: { ...draft.filter }, sourceSegment: audience.source, holdoutPercent: draft.holdoutPercent, repeatEveryDays: draft.repeatEveryDays, createdBy });
        this.audit.record(em, { actor: createdBy, action: 'campaign.create', entityType: 'campaign', entityId: campaign.id, after: draftFields(campaign) });
        return campaign;
      }),
    );
  }

  /**
   * Changes a draft (a marketer refines the segment after a preview); a field left null stays,
   * but for the holdout with a new playbook (that playbook's default); a new filter or saved
   * segment replaces the old one; a launched campaign is refused. Audited.
   */
  async update(id: string, patch: { [K in keyof CampaignDraftInput]?: CampaignDraftInput[K] | null }, actor: string): Promise<Campaign> {
    return this.whileDraft(id, 'change', async (em, campaign) => {
      const before = draftFields(campaign);
      // Neither a filter nor a segment given: the stored filter stays, unchecked (a new holdout or name changes nobody's
      // place in it; one stored before a check it now fails is refused at the preview and the launch, assertStoredFilter).
      const given = await draftAudience(em, patch);
      const audience = given ?? { filter: campaign.segment as CustomerFilter, source: campaign.sourceSegment ?? null, checked: true };
      const playbook = patch.playbook ?? campaign.playbook;
      // The holdout was the old playbook's: a new playbook takes its own default unless one is given with it
      // (a FixIssue draft made an Appreciation one gets a control group; the other way round it needs none).
      const holdoutPercent = patch.holdoutPercent ?? (playbook === campaign.playbook ? campaign.holdoutPercent : null);
      const draft = checkedDraft({
        name: patch.name ?? campaign.name,
        playbook,
        filter: audience.filter,
        holdoutPercent,
        repeatEveryDays: patch.repeatEveryDays ?? campaign.repeatEveryDays,
        filterChecked: audience.checked,
      });
      return this.uniqueName(draft.name, async () => {
        em.assign(campaign, { name: draft.name, playbook: draft.playbook, segment: { ...draft.filter }, sourceSegment: audience.source, holdoutPercent: draft.holdoutPercent, repeatEveryDays: draft.repeatEveryDays });
        const diff = changedFields(before, draftFields(campaign));
        if (Object.keys(diff.after).length) this.audit.record(em, { actor, action: 'campaign.update', entityType: 'campaign', entityId: id, ...diff });
        await em.flush();
        return campaign;
      });
    });
  }

  /** Throws a draft away; a launched campaign is refused (it has members and runs to account for). Audited. */
  async discard(id: string, actor: string): Promise<string> {
    return this.whileDraft(id, 'be discarded', async (em, campaign) => {
      this.audit.record(em, { actor, action: 'campaign.discard', entityType: 'campaign', entityId: id, before: draftFields(campaign) });
      em.remove(campaign);
      return id;
    });
  }

  /**
   * Who would enter and what they would be sent, without sending anything: at the launch (a draft
   * or scheduled campaign), or at the next pass (one under way: its members are enrolled once and
   * not counted again). An ended campaign enrols nobody more: all zeros.
   */
  async preview(id: string): Promise<CampaignPreview> {
    const campaign = await this.get(id);
    if (ENDED.includes(campaign.status)) {
      return { customers: 0, treated: 0, holdout: 0, messages: 0, heldBack: [], alreadyInRun: { treated: 0, holdout: 0 }, inOtherHoldout: 0, comparisonWarning: null, leftOut: [], sample: [] };
    }
    assertCampaignFilter(campaign);
    const { marketing, messagesPerRun, runPer, proposesOffer, heldWhileOverdue, heldWhileIssueOpen } = campaignPlaybook(campaign.playbook)!;
    const now = new Date();
    // Everyone of the segment, in one pass: why the playbook's rules leave a customer out (the first rule that does, in
    // LEFT_OUT_REASONS' order; null: in the audience, as campaignAudience has it), and of the audience, those in another
    // campaign's holdout counted apart. What is asked of the audience alone is not asked of the others.
    const notMember = sql<boolean>`not exists (select 1 from campaign_member m where m.campaign_id = ${id}::uuid and m.customer_id = c.id)`;
    const { segment, rules } = audienceRules(campaign, this.policies, now);
    const leftOutReason = sql<string | null>`case when c.status <> 'active' then 'not-active'::text when not ${notMember} then 'enrolled-already'
                                                  ${sql.join(rules.map((r) => sql`when (${r.keeps}) is not true then ${r.reason}::text`), sql` `)} end`;
    const ofAudience = <T>(value: RawBuilder<T>) => sql<T | null>`case when l.left_out is null then ${value} end`;
    const db = this.em.getKysely();
    // The runs the launch starts for a customer, not those it joins: one unless one is under way;
    // fixing issues one per topic persistent now whose fix is due (the launch's rule, topic by
    // topic: a fix under way for one topic, persistent or not any more, takes none off another).
    const newRuns =
      runPer === 'persistent-topic'
        ? sql`(select count(*) from (${persistentTopics(sql`k.customer_id = c.id`, this.policies.persistentIssue)}) pt where ${fixDue(sql.ref('c.id'), sql.ref('pt.topic'))})::int`
        : sql`case when u.running > 0 then 0 else 1 end`;
    const { contact } = this.policies.delivery;
    const since = new Date(Date.now() - contact.budgetPeriodMs);
    // An account review proposes a cheaper tier (a service message, or an offer on it only where the guard lets marketing go: a message either way) where the current profitability score's reasons
    // name one (the run rescores first: today's data may differ), else an offer, marketing, that moves the account to a richer tier, if one exists today.
    // A value looked up per customer of the audience (not an anti-join, which PostgreSQL may plan as one pass over every
    // snapshot of the base however few customers ask: ~0.5 s on 100k, `npm run bench:preview`).
    const offer = proposesOffer
      ? sql<boolean>`not coalesce((select true from current_score s join score_snapshot ss on ss.id = s.snapshot_id
                                     cross join jsonb_array_elements_text(ss.scores -> ${ScoreKind.Profitability} -> 'reasons') r(reason)
                                    where s.customer_id = c.id and s.kind = ${ScoreKind.Profitability} and starts_with(r.reason, ${CHEAPER_TIER_REASON}) limit 1), false)`
      : sql<boolean>`false`;
    const tiersWithOffer = proposesOffer ? await this.tiersWithOffer(now) : [];
    // Each customer's runs of the playbook under way, which the launch joins instead of starting
    // one; the customers then grouped by that and by what the contact guard looks at, so its own rule decides each group.
    const groups = (
      await sql<{ left_out: LeftOutReason | null; other_holdout: boolean; holdout: boolean; in_run: boolean; offer: boolean; offer_fits: boolean; consent: boolean; open_issue: boolean; overdue: boolean; recent: number; customers: number; runs: number }>`
        select left_out, other_holdout, holdout, in_run, offer, offer_fits, consent, open_issue, overdue, recent, count(*)::int as customers, coalesce(sum(new_runs), 0)::int as runs
          from (select l.left_out, ${ofAudience(inOtherHoldout(campaign, now))} as other_holdout,
                       ${ofAudience(holdoutDraw(id))} as holdout, ${ofAudience(sql`u.running > 0`)} as in_run, ${ofAudience(newRuns)} as new_runs,
                       ${ofAudience(offer)} as offer, ${ofAudience(sql`c.service_tier::text = any(${tiersWithOffer}::text[])`)} as offer_fits,
                       ${ofAudience(sql`c.marketing_consent`)} as consent, ${ofAudience(hasOpenIssue('c.id'))} as open_issue,
                       ${ofAudience(heldWhileOverdue ? hasOverdueUnpaidInvoice('c.id') : sql<boolean>`false`)} as overdue,
                       ${ofAudience(sql`least(${marketingCountSince('c.id', since)}, ${contact.marketingBudget})::int`)} as recent
                  from campaign cmp cross join customer c
                 -- Asked once per customer: offset 0 keeps PostgreSQL from copying the reason's expression into every column that asks for it.
                 cross join lateral (select ${leftOutReason} as left_out offset 0) l
                 cross join lateral (select count(*)::int as running from playbook_run r where l.left_out is null and r.customer_id = c.id and r.playbook = cmp.playbook and r.status = 'running') u
                 where cmp.id = ${id}::uuid and ${segment}) t
         group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10`.execute(db)
    ).rows;
    const held = new Map<string, number>();
    const leftOut = new Map<LeftOutReason, number>();
    const alreadyInRun = { treated: 0, holdout: 0 };
    let inOthersHoldout = 0;
    let customers = 0;
    let holdout = 0;
    let runsReached = 0;
    for (const g of groups) {
      if (g.left_out) {
        leftOut.set(g.left_out, (leftOut.get(g.left_out) ?? 0) + g.customers);
        continue;
      }
      if (g.other_holdout) {
        inOthersHoldout += g.customers;
        continue;
      }
      customers += g.customers;
      if (g.in_run) alreadyInRun[g.holdout ? 'holdout' : 'treated'] += g.customers;
      if (g.holdout) {
        holdout += g.customers;
        continue;
      }
      // Only runs under way to join: the launch sends these customers nothing, so the guard has nothing to hold back.
      if (g.runs === 0) continue;
      // An account review with no cheaper tier and no offer today to a richer tier than the customer's proposes nothing.
      if (g.offer && !g.offer_fits) continue;
      const verdict = marketing || g.offer ? marketingVerdict(contact, { marketingConsent: g.consent, hasOpenIssue: g.open_issue, recentContacts: g.recent }, now) : null;
      // An account review's proposal, a service message too, waits for an open complaint or fix: fix first.
      const heldFor = heldWhileIssueOpen && g.open_issue ? OPEN_ISSUE_HELD : verdict && !verdict.allowed ? verdict.reason : g.overdue ? INVOICE_OVERDUE : null;
      if (heldFor) held.set(heldFor, (held.get(heldFor) ?? 0) + g.customers);
      else runsReached += g.runs;
    }
    const sample = (
      await sql<{ id: string; name: string }>`
        select c.id, c.name from campaign cmp cross join customer c
         where cmp.id = ${id}::uuid and c.status = 'active' and ${campaignAudience(campaign, this.policies, now)} and ${notMember} and not ${holdoutDraw(id)}
         order by c.id limit 10`.execute(db)
    ).rows;
    return {
      customers,
      treated: customers - holdout,
      holdout,
      messages: runsReached * messagesPerRun,
      heldBack: [...held].map(([reason, n]) => ({ reason, customers: n })).sort((a, b) => b.customers - a.customers || a.reason.localeCompare(b.reason)),
      alreadyInRun,
      inOtherHoldout: inOthersHoldout,
      // Before the launch only: a pass of a campaign under way adds to the groups its outcome compares already.
      comparisonWarning: [CampaignStatus.Draft, CampaignStatus.Scheduled].includes(campaign.status) ? comparisonWarning({ holdoutPercent: campaign.holdoutPercent, treated: customers - holdout, holdout, holdoutInRun: alreadyInRun.holdout }) : null,
      // In the order the rules are asked (the order of LEFT_OUT_REASONS).
      leftOut: (Object.keys(LEFT_OUT_REASONS) as LeftOutReason[]).filter((reason) => leftOut.has(reason)).map((reason) => ({ reason, customers: leftOut.get(reason)! })),
      sample,
    };
  }

  /**
   * The service tiers whose customers an existing customer's offer today moves to a richer tier: all an account review
   * with no cheaper tier may propose (`offerThatHelps`), where the model projects it helps the account, which the run
   * weighs and the preview counts as possible ("at most").
   */
  private async tiersWithOffer(now: Date): Promise<string[]> {
    const { tiers } = this.policies.scoring.serviceTiers;
    const level = (tier: string | null | undefined) => tiers.find((t) => t.tier === tier)?.level ?? 0;
    const offers = await new OfferService(this.em).terms();
    const day = now.toISOString().slice(0, 10);
    const reachable = tiers.filter((to) => offersToTier(offers, day, to.tier).length > 0);
    return tiers.filter((t) => reachable.some((to) => level(to.tier) > t.level)).map((t) => t.tier);
  }

  /**
   * Starts enrolment now, or at `at` (launched for later: "scheduled" until then, and a
   * cancel before it enrols nobody); launching again without a time joins the run already
   * going or waiting.
   */
  async launch(id: string, actor: string, at?: Date | null): Promise<CampaignView> {
    if (at) assertStartTime(at);
    const campaign = await this.get(id);
    if (campaign.status !== CampaignStatus.Draft) return this.launchAgain(campaign, at);
    // The draft's row is locked while its run starts: a change or discard at the same time
    // comes before the launch or is refused after it, never in between.
    const launchedMeanwhile = await this.em.transactional(async (em) => {
      const locked = await lockedCampaign(em, id);
      // Another launch came first: this one is judged as any launch of a launched campaign (a second time is refused).
      if (locked.status !== CampaignStatus.Draft) return locked;
      assertCampaignFilter(locked);
      if (!at && !locked.repeatEveryDays) await this.assertSomeoneToEnrol(locked);
      await this.engine.start(locked, this.policies.campaign, at, actor);
      // The run records its status as it moves; this shows the launch at once (a second launch finds it running).
      const after = at ? { status: CampaignStatus.Scheduled, scheduledFor: at } : { status: CampaignStatus.Running, launchedAt: new Date() };
      em.assign(locked, after);
      this.audit.record(em, { actor, action: 'campaign.launch', entityType: 'campaign', entityId: id, before: { status: CampaignStatus.Draft }, after: { status: after.status, scheduledFor: at?.toISOString() ?? null } });
      return null;
    });
    if (launchedMeanwhile) return this.launchAgain(launchedMeanwhile, at);
    await this.em.refresh(campaign);
    return this.view(id);
  }

  /**
   * A campaign that runs once, launched now, enrols its audience as it stands: with nobody in it (an empty segment, or
   * everyone left out by its playbook's rules or another campaign's holdout) it would complete at once and could never
   * be launched again. Refused instead (CONFLICT, nothing written: it stays a draft to change), with the preview's counts
   * of who was left out and why. One launched for later or repeating may start empty: customers may enter by then.
   */
  private async assertSomeoneToEnrol(campaign: Campaign): Promise<void> {
    const { customers, leftOut, inOtherHoldout } = await this.preview(campaign.id);
    if (customers > 0) return;
    const matched = inOtherHoldout + leftOut.reduce((sum, l) => sum + l.customers, 0);
    const why = [...leftOut.map((l) => `${l.reason} ${l.customers}`), ...(inOtherHoldout ? [`in another campaign's holdout ${inOtherHoldout}`] : [])].join(', ');
    throw new CampaignException(
      CampaignExceptionCode.EmptyAudience,
      `Campaign ${campaign.id} would enrol nobody now: ${matched === 0 ? 'its filter matches no customer' : `its playbook's rules leave out all ${matched} customers its filter matches (${why})`}; ` +
        'a campaign that runs once would complete at once and could not be launched again. Change its filter or segment (updateCampaign), ' +
        'or launch it for later (at) or make it repeat (repeatEveryDays), which may start empty',
      { id: campaign.id, status: campaign.status, leftOut, inOtherHoldout },
    );
  }

  /** A launch of a campaign launched already: it joins the run going (or whose time has come), and is refused otherwise. */
  private async launchAgain(campaign: Campaign, at?: Date | null): Promise<CampaignView> {
    // A run ended in the engine still answers with its last state (a start it waits for): the launch goes by its end, recorded now.
    const end = await this.recordEndFromEngine(campaign);
    if (end) {
      await this.em.refresh(campaign);
      throw new CampaignException(
        CampaignExceptionCode.WrongState,
        `Campaign ${campaign.id} cannot be launched again: its run was ${end.status.replace('-', ' ')} in the workflow engine, recorded now as cancelled (to run it again, create a campaign with its settings under a name of its own with createCampaign, and launch that)`,
        { id: campaign.id, status: end.status },
      );
    }
    const { id, status } = campaign;
    if (status === CampaignStatus.Completed || status === CampaignStatus.Cancelled) {
      const ended = status === CampaignStatus.Completed ? 'has already completed' : 'has been cancelled';
      throw new CampaignException(CampaignExceptionCode.WrongState, `Campaign ${id} ${ended}: it cannot be launched again (to run it again, create a campaign with its settings under a name of its own with createCampaign, and launch that)`, { id, status });
    }
    if (at) throw new CampaignException(CampaignExceptionCode.WrongState, `Campaign ${id} was launched already (${status}): its start cannot move`, { id, status });
    // "Launch now" on a campaign waiting for its time would join that wait and change nothing: say so, rather than
    // answer as if it started. Once its time has come (the run records Running a moment later) it joins the run as any launch.
    const scheduledFor = status === CampaignStatus.Scheduled ? campaign.scheduledFor : null;
    if (scheduledFor && scheduledFor.getTime() > Date.now()) {
      throw new CampaignException(
        CampaignExceptionCode.WrongState,
        `Campaign ${id} is scheduled for ${scheduledFor.toISOString()}: it starts then, not now (to start it earlier, cancel it with cancelCampaign, create a campaign with its settings under a name of its own with createCampaign, and launch that)`,
        { id, status, scheduledFor: scheduledFor.toISOString() },
      );
    }
    await this.engine.start(campaign, this.policies.campaign);
    return this.view(id);
  }

  pause(id: string, actor: string): Promise<CampaignView> {
    return this.steer(id, actor, 'pause', (engine, told) => engine.pause(id, told));
  }

  resume(id: string, actor: string): Promise<CampaignView> {
    return this.steer(id, actor, 'resume', (engine, told) => engine.resume(id, told));
  }

  cancel(id: string, actor: string): Promise<CampaignView> {
    return this.steer(id, actor, 'cancel', (engine, told) => engine.cancel(id, told));
  }

  /** The campaign's record; its live progress is read when asked for (a mutation that was taken answers so while the run cannot answer). */
  async view(id: string): Promise<CampaignView> {
    return { campaign: await this.get(id) };
  }

  /**
   * Live progress from the campaign's run; null for a draft (no run yet). A run that ended in
   * the engine without recording it answers with its last state: its end is recorded first
   * (`recordEndFromEngine`), and the recorded end stands. An ended campaign waits for no next
   * pass (a repeating one cancelled while it waited keeps that wait's time in its run's state).
   */
  async progressOf(campaign: { id: string; status: CampaignStatus; endLookedFor?: boolean }): Promise<CampaignProgress | null> {
    if (campaign.status === CampaignStatus.Draft) return null;
    // One under way by its record whose run ended in the engine: that end, recorded now (a list row read before it shows
    // the record's status); not asked twice for a campaign's own view, which looked for it as it was read.
    const ended = campaign.endLookedFor ? null : await this.recordEndFromEngine(campaign);
    return this.liveProgress(ended ? { id: campaign.id, status: CampaignStatus.Cancelled } : campaign);
  }

  /**
   * A campaign under way by its record whose run ended in the engine (terminated in the Temporal UI, failed, timed
   * out), which the run cannot record itself, is recorded now as the run reconciliation would within minutes
   * (cancelled, Temporal's close time as `finishedAt`, audited as `campaign.ended-in-engine`), as a person's start
   * records a playbook run's: its closed run still answers a query with its last state (a start, a next pass that will
   * never come), and a view or a launch goes by that end instead. The end, or null: still under way (or completed), not
   * under way by its record, or Temporal cannot say now (the record stands).
   */
  private async recordEndFromEngine(campaign: { id: string; status: CampaignStatus }): Promise<CampaignEndedInEngine | null> {
    if (!UNDER_WAY.includes(campaign.status)) return null;
    // Asked on a read: whatever keeps Temporal from answering (down, slow, refusing), the record stands as it is.
    const end = await this.engine.endedInEngine(campaign.id).catch(() => null);
    if (end) await this.recordEnd(campaign.id, end, engineActor(end.by), 'campaign.ended-in-engine');
    return end;
  }

  /** `progressOf` without looking for an end in the engine (steering, which looks for one when its signal is not taken). */
  private async liveProgress(campaign: { id: string; status: CampaignStatus }): Promise<CampaignProgress | null> {
    if (campaign.status === CampaignStatus.Draft) return null;
    const progress = await this.engine.progress(campaign.id);
    if (!progress) return null;
    const status = ENDED.includes(campaign.status) ? campaign.status : progress.status;
    // The run adds a page's counts once the page is done; its members and their runs are recorded
    // as it goes, so the counts move with the member list while a page is enrolled.
    const { rows } = await sql<{ treated: number; holdout: number; runs: number }>`
      select count(*) filter (where "group" = 'treated')::int as treated, count(*) filter (where "group" = 'holdout')::int as holdout,
             (select count(*) from playbook_run r where r.campaign_id = ${campaign.id}::uuid)::int as runs
        from campaign_member where campaign_id = ${campaign.id}::uuid`.execute(this.em.getKysely());
    const recorded = rows[0] ?? { treated: 0, holdout: 0, runs: 0 };
    const treated = Math.max(progress.treated, recorded.treated);
    const holdout = Math.max(progress.holdout, recorded.holdout);
    return {
      ...progress,
      status,
      enrolled: Math.max(progress.enrolled, treated + holdout),
      treated,
      holdout,
      runsStarted: Math.max(progress.runsStarted, recorded.runs),
      // A paused campaign makes no pass (the pass waits for a resume): no time is promised for it.
      nextPassAt: ENDED.includes(status as CampaignStatus) || status === CampaignStatus.Paused ? null : progress.nextPassAt,
    };
  }

  /** The campaign's view, an end its run met in the engine recorded first (`recordEndFromEngine`): it shows as the engine has it. */
  async find(id: string): Promise<CampaignView | null> {
    const campaign = isUuid(id) ? await this.em.findOne(Campaign, { id }) : null;
    if (!campaign) return null;
    if (await this.recordEndFromEngine(campaign)) await this.em.refresh(campaign);
    return { campaign, endLookedFor: true };
  }

  /** Campaigns, newest first; those made from one saved segment, if given (batched across a page of segments). */
  async list(args: PageArgs, segmentId?: string): Promise<Page<Campaign>> {
    if (segmentId) return this.ofSegment.page(segmentId, args);
    return keysetPage(this.em, Campaign, { tag: 'campaigns', where: segmentId ? { sourceSegment: segmentId } : {}, key: { property: 'createdAt', direction: 'desc', time: true }, tiebreaker: { property: 'id', direction: 'desc' } }, args);
  }

  /** Who was enrolled, in enrolment (customer ID) order, optionally one group only, and where each run stands. */
  members(id: string, group: CampaignGroup | null, args: PageArgs): Promise<Page<CampaignMemberView>> {
    return this.memberPages.page(id, group, args);
  }

  /**
   * Treated against holdout since enrolment: did they stay, buy, pay on time, complain again;
   * how profitable are they now? Both groups, treated first, one without members with zeros.
   * Read once per campaign in this unit of work (a request that asks for the outcome and the
   * comparison runs the aggregate once).
   */
  outcome(id: string): Promise<GroupOutcome[]> {
    let outcome = this.outcomes.get(id);
    if (!outcome) this.outcomes.set(id, (outcome = this.readOutcome(id)));
    return outcome;
  }

  private async readOutcome(id: string): Promise<GroupOutcome[]> {
    // A treated member's run the campaign joined: one another campaign's start created (two campaigns enrolling the customer at
    // once), or the sweep's or a person's (no campaign: one the sweep started as the page enrolled the customer, joined by the
    // page, starts after enrolment and is still not the campaign's). Only a run recorded before runs named their
    // campaign (RUNS_NAME_CAMPAIGN_SINCE_SETTING), without one whoever started it, goes by the old rule: joined if started before enrolment.
    // Invoices due since enrolment, judged on time or late as payment loyalty judges them (grace days; one still open only once overdue for long),
    // leaving out one paid before enrolment (paid early, before the campaign could have moved anybody).
    const onTime = onTimeVerdictSql(this.policies.scoring.paymentLoyalty);
    const dueSince = sql`i.customer_id = m.customer_id and i.due_at > m.enrolled_at::date and i.cancelled_at is null and (i.paid_at is null or i.paid_at >= m.enrolled_at::date)`;
    const runsNameCampaignSince = sql`coalesce((select case when ${sql.raw(readableRunsNameCampaignSince('d.value'))} then d.value::timestamptz end from deployment_setting d where d.name = ${RUNS_NAME_CAMPAIGN_SINCE_SETTING}), '-infinity')`;
    const joinedByMember = sql`(case when r.campaign_id is not null then r.campaign_id <> m.campaign_id
                                     when r.started_at < ${runsNameCampaignSince} then r.started_at < m.enrolled_at else true end)`;
    const { rows } = await sql<{
      group: 'treated' | 'holdout';
      members: number;
      retained: number;
      revenue: string;
      due: number;
      on_time: number;
      payers: number;
      all_on_time: number;
      median_days: number | null;
      complained: number;
      profitability: number | null;
      judged: number;
      elsewhere: number;
    }>`
      select m."group", count(*)::int as members,
             count(*) filter (where exists (select 1 from customer_order o where o.customer_id = m.customer_id and o.ordered_at > m.enrolled_at))::int as retained,
             coalesce(sum((select sum(o.amount_minor) from customer_order o where o.customer_id = m.customer_id and o.ordered_at > m.enrolled_at)), 0) as revenue,
             coalesce(sum((select count(*) from invoice i where ${dueSince} and ${onTime} is not null)), 0)::int as due,
             coalesce(sum((select count(*) from invoice i where ${dueSince} and ${onTime} = 'on-time')), 0)::int as on_time,
             count(*) filter (where exists (select 1 from invoice i where ${dueSince} and ${onTime} is not null))::int as payers,
             count(*) filter (where exists (select 1 from invoice i where ${dueSince} and ${onTime} is not null)
                                and not exists (select 1 from invoice i where ${dueSince} and ${onTime} = 'late'))::int as all_on_time,
             (percentile_cont(0.5) within group (order by extract(epoch from now() - m.enrolled_at) / 86400))::double precision as median_days,
             count(*) filter (where exists (select 1 from complaint k where k.customer_id = m.customer_id and k.opened_at > m.enrolled_at and k.withdrawn_at is null))::int as complained,
             avg((select s.value from current_score s where s.customer_id = m.customer_id and s.kind = ${ScoreKind.Profitability}))::double precision as profitability,
             count((select s.value from current_score s where s.customer_id = m.customer_id and s.kind = ${ScoreKind.Profitability}))::int as judged,
             count(*) filter (where exists (select 1 from playbook_run r where r.customer_id = m.customer_id and r.playbook = cmp.playbook
                                             and (r.status = 'running' or r.finished_at > m.enrolled_at) and (m."group" = 'holdout' or ${joinedByMember})))::int as elsewhere
        from campaign_member m join campaign cmp on cmp.id = m.campaign_id where m.campaign_id = ${id}::uuid group by m."group" order by m."group" desc`.execute(this.em.getKysely());
    // Both groups, one without members too (a campaign with no holdout, or on an empty segment): a front end shows two columns.
    const empty = { members: 0, retained: 0, revenue: '0', due: 0, on_time: 0, payers: 0, all_on_time: 0, median_days: null, complained: 0, profitability: null, judged: 0, elsewhere: 0 };
    return (['treated', 'holdout'] as const).map((group) => ({ group, ...empty, ...rows.find((r) => r.group === group) })).map((r) => ({
      group: r.group,
      members: r.members,
      retained: r.retained,
      revenueMinor: Number(r.revenue),
      invoicesDue: r.due,
      invoicesPaidOnTime: r.on_time,
      membersWithInvoicesDue: r.payers,
      membersPaidAllOnTime: r.all_on_time,
      medianDaysSinceEnrolment: r.median_days,
      complainedAgain: r.complained,
      meanProfitabilityMinor: r.profitability,
      profitabilityJudged: r.judged,
      inPlaybookElsewhere: r.elsewhere,
    }));
  }

  /**
   * Did the playbook work? Each outcome that is a rate (ordered again, paid every invoice due on time,
   * complained again), by member, as the holdout is drawn, treated against holdout: the difference with its 95%
   * interval and p-value, and how much of the holdout got the playbook anyway. Empty groups give rates without a difference.
   */
  async comparison(id: string): Promise<CampaignComparison[]> {
    const groups = await this.outcome(id);
    const [treated, holdout] = [groups.find((g) => g.group === 'treated')!, groups.find((g) => g.group === 'holdout')!];
    const holdoutGotPlaybook = holdout.members ? holdout.inPlaybookElsewhere / holdout.members : null;
    return [
      { metric: CampaignMetric.Retention, ...compareRates({ count: treated.retained, of: treated.members }, { count: holdout.retained, of: holdout.members }), holdoutGotPlaybook },
      {
        metric: CampaignMetric.OnTimePayment,
        ...compareRates({ count: treated.membersPaidAllOnTime, of: treated.membersWithInvoicesDue }, { count: holdout.membersPaidAllOnTime, of: holdout.membersWithInvoicesDue }),
        holdoutGotPlaybook,
      },
      { metric: CampaignMetric.ComplainedAgain, ...compareRates({ count: treated.complainedAgain, of: treated.members }, { count: holdout.complainedAgain, of: holdout.members }), holdoutGotPlaybook },
    ];
  }

  /**
   * A campaign whose run ended in the engine without recording it (terminated in the Temporal UI,
   * failed, timed out, or cancelled there before runs recorded that) would say it runs for good.
   * Records each such end as a cancel: enrolment has stopped and does not go on; the runs it
   * started go on. Audited with how the run ended, the reason and who gave it. The campaign
   * workflow IDs recorded.
   */
  async recordEndedInEngine(): Promise<string[]> {
    const underWay = await this.em.find(Campaign, { status: { $in: UNDER_WAY } }, { fields: ['id'] });
    const recorded: string[] = [];
    for (const { id } of underWay) {
      const end = await this.engine.endedInEngine(id);
      if (end && (await this.recordEnd(id, end, engineActor(end.by), 'campaign.ended-in-engine'))) recorded.push(campaignWorkflowId(id));
    }
    return recorded;
  }

  /**
   * A campaign cancelled in the Temporal UI (or CLI) records its cancel itself (its run does), not
   * who made it: audited here as `campaign.cancel-in-engine` with who asked and their reason, as a
   * marketer's `cancelCampaign` is audited (`campaign.cancel`). Looked for among those cancelled in
   * the last `withinDays` without such an entry since their last reset; one whose run has not closed
   * yet is left to the next pass. The campaign workflow IDs audited.
   */
  async auditCancelsInEngine(withinDays: number): Promise<string[]> {
    const rows = await this.em.execute<{ id: string }[]>(
      `select c.id from campaign c
        where c.status = 'cancelled' and c.finished_at > now() - make_interval(days => ?)
          and not exists (select 1 from audit_entry a where a.entity_type = 'campaign' and a.entity_id = c.id::text
                            and (a.action in ('campaign.cancel', 'campaign.cancel-in-engine', 'campaign.ended-in-engine') or (a.action = 'campaign.signal-in-engine' and a.after ->> 'signal' = 'cancel'))
                            and ${writtenSinceLastReset('a', 'campaign', 'c.id::text', 'campaign.reset-in-engine')})`,
      [withinDays],
    );
    const audited: string[] = [];
    for (const { id } of rows) {
      const end = await this.engine.endedInEngine(id);
      if (end?.status !== 'cancelled') continue;
      this.audit.record(this.em, { actor: engineActor(end.by), action: 'campaign.cancel-in-engine', entityType: 'campaign', entityId: id, after: { reason: end.reason, closedAt: end.closedAt.toISOString() } });
      await this.em.flush();
      audited.push(campaignWorkflowId(id));
    }
    return audited;
  }

  /**
   * Campaigns recorded as ended (cancelled, completed) whose run runs again: an operator reset
   * it in the Temporal UI or CLI (to undo a termination, say). Its record follows the run back
   * to the status the run reports (running, paused or scheduled; `finishedAt` cleared), where a
   * marketer can pause or cancel it, audited as `campaign.reset-in-engine` with the reset's
   * reason and time. Until then the run changes nothing (`enrolPage` refuses an ended campaign,
   * the page is retried; the status it records is not taken). A run that cannot answer now (no
   * worker), or is winding down to the end recorded, is left to the next pass. The campaign
   * workflow IDs recorded.
   */
  async recordResetInEngine(): Promise<string[]> {
    const running = (await this.engine.findRunning()).filter(isUuid);
    if (running.length === 0) return [];
    const recorded: string[] = [];
    for (const campaign of await this.em.find(Campaign, { id: { $in: running }, status: { $in: ENDED } }, { fields: ['id', 'finishedAt', 'createdAt'] })) {
      const progress = await this.engine.progress(campaign.id).catch(() => null);
      if (!progress || !UNDER_WAY.includes(progress.status as CampaignStatus)) continue;
      const reset = await this.engine.howReset(campaign.id, campaign.finishedAt ?? campaign.createdAt);
      if (await this.recordReset(campaign.id, progress.status as CampaignStatus, reset)) recorded.push(campaignWorkflowId(campaign.id));
    }
    return recorded;
  }

  private async steer(id: string, actor: string, action: 'pause' | 'resume' | 'cancel', signal: Steering): Promise<CampaignView> {
    const campaign = await this.get(id);
    const allowed = { pause: ['running'], resume: ['paused'], cancel: ['scheduled', 'running', 'paused'] }[action];
    const { taken, progress, status } = await this.steerOnce(campaign, actor, action, allowed, signal);
    // The record was updated with the signal, and the campaign read again in that transaction: the answer shows the status
    // it wrote, as a view read right after does (not a status another steering or the run recorded since).
    if (taken) return { campaign };
    // A closed run still answers with its last state and takes no signal: it may have ended in the engine.
    const end = UNDER_WAY.includes(status) ? await this.engine.endedInEngine(id) : null;
    if (end && action === 'cancel') {
      await this.recordEnd(id, end, actor, 'campaign.cancel');
      await this.em.refresh(campaign);
      return this.view(id);
    }
    if (end) {
      throw new CampaignException(CampaignExceptionCode.WrongState, `Campaign ${id} cannot ${action}: its run was ${end.status.replace('-', ' ')} in the workflow engine (cancel it to record that)`, { id, status: end.status });
    }
    if (status === CampaignStatus.Draft) {
      // Never launched: nothing runs to steer. A draft is thrown away, not cancelled.
      const instead = action === 'cancel' ? 'to throw it away, discard it with discardCampaign' : 'launch it first with launchCampaign';
      throw new CampaignException(CampaignExceptionCode.WrongState, `Campaign ${id} cannot ${action}: it is a draft, never launched (${instead})`, { id, status });
    }
    throw new CampaignException(CampaignExceptionCode.WrongState, `Campaign ${id} cannot ${action} while ${progress?.status ?? status}`, { id, status: progress?.status ?? status });
  }

  /**
   * Signals the run with its audit entry, one steering at a time per campaign (its row locked),
   * each against the run's state as the one before left it: the same action sent twice at the
   * same moment is taken once. Not taken, with nothing audited, when the run's state does not
   * allow it or the run takes no signal; the state read is returned for the caller to explain. Each steering taken is
   * numbered (the campaign's `steerings`), and the run told its number: a status the run records before it took it (a
   * pause it took, recorded after this resume) leaves the status this steering recorded. `campaign` is read again as written.
   */
  private steerOnce(campaign: Campaign, actor: string, action: 'pause' | 'resume' | 'cancel', allowed: string[], signal: Steering): Promise<{ taken: boolean; progress: CampaignProgress | null; status: CampaignStatus }> {
    const { id } = campaign;
    return this.em.transactional(async (em) => {
      // Not `for update`: that would wait for a page being enrolled (its members' foreign keys hold the row for key share).
      // The status is the one after any launch that held the row: a cancel that waited for it is judged as launched.
      const [{ status, steerings }] = await em.execute<{ status: CampaignStatus; steerings: number }[]>(`select status, steerings from campaign where id = ? for no key update`, [id]);
      // Temporal answers a query after the signals it took: a steering just before this one shows.
      const progress = await this.liveProgress({ id, status });
      const told = { steering: steerings + 1 };
      if (!progress || !allowed.includes(progress.status) || !(await signal(this.engine, told))) return { taken: false, progress, status };
      // The run took the signal (its state changed at once); the record follows now, not when the run next records its
      // status (after a page under way, or never for a scheduled campaign until its activity runs): the mutation's answer,
      // the next view and the audit agree. The run's own record of it later finds the same status (an end recorded stays).
      const after = STEERED_TO[action];
      await em.execute(
        `update campaign set status = ?::campaign_status, steerings = ?, finished_at = case when ? then coalesce(finished_at, now()) else finished_at end where id = ? and status not in ('completed', 'cancelled')`,
        [after, told.steering, after === CampaignStatus.Cancelled, id],
      );
      this.audit.record(em, { actor, action: `campaign.${action}`, entityType: 'campaign', entityId: id, before: { status: progress.status }, after: { status: after } });
      await em.refresh(campaign);
      return { taken: true, progress, status };
    });
  }

  /** Records the campaign, if still under way, as cancelled when its run closed in the engine, audited; false when it no longer was. */
  private recordEnd(id: string, end: CampaignEndedInEngine, actor: string, action: string): Promise<boolean> {
    return this.em.transactional(async (em) => {
      const [row] = await em.execute<{ status: CampaignStatus }[]>(`select status from campaign where id = ? for update`, [id]);
      if (!row || !UNDER_WAY.includes(row.status)) return false;
      await em.execute(`update campaign set status = 'cancelled', finished_at = coalesce(finished_at, ?) where id = ?`, [end.closedAt, id]);
      this.audit.record(em, { actor, action, entityType: 'campaign', entityId: id, before: { status: row.status }, after: { status: CampaignStatus.Cancelled, endedInEngine: end.status, reason: end.reason, closedAt: end.closedAt.toISOString() } });
      return true;
    });
  }

  /** Records the campaign, if still ended, with its reset run's status, audited (what the engine keeps of the reset, if found); false otherwise. */
  private recordReset(id: string, status: CampaignStatus, reset: CampaignReset | null): Promise<boolean> {
    return this.em.transactional(async (em) => {
      const [row] = await em.execute<{ status: CampaignStatus }[]>(`select status from campaign where id = ? for update`, [id]);
      if (!row || !ENDED.includes(row.status)) return false;
      await em.execute(`update campaign set status = ?::campaign_status, finished_at = null where id = ?`, [status, id]);
      this.audit.record(em, {
        actor: engineActor(reset?.by),
        action: 'campaign.reset-in-engine',
        entityType: 'campaign',
        entityId: id,
        before: { status: row.status },
        after: { status, endUndone: row.status, runId: reset?.runId ?? null, reason: reset?.reason ?? null, resetAt: reset?.at.toISOString() ?? null },
      });
      return true;
    });
  }

  /** Runs `change` on the campaign, locked, unless it is no longer a draft (CONFLICT). */
  private whileDraft<T>(id: string, action: string, change: (em: EntityManager, campaign: Campaign) => Promise<T>): Promise<T> {
    return this.em.transactional(async (em) => {
      const campaign = await lockedCampaign(em, id);
      if (campaign.status !== CampaignStatus.Draft) {
        throw new CampaignException(CampaignExceptionCode.WrongState, `Campaign ${id} cannot ${action}: it is ${campaign.status}, no longer a draft`, { id, status: campaign.status });
      }
      return change(em, campaign);
    });
  }

  /**
   * `write`, refused with NameTaken when the unique index on lower(name) says another campaign has the name (also one
   * made at the same moment): every campaign keeps its name, ended ones too, as their outcome and history are read by it.
   */
  private uniqueName<T>(name: string, write: () => Promise<T>): Promise<T> {
    return withUniqueName(this.em, { table: 'campaign', name }, write, (stored) =>
      new CampaignException(CampaignExceptionCode.NameTaken, `A campaign named "${stored}" exists (names are compared in any case, ended campaigns' too): give this one a name of its own`, { field: 'name', name: stored }));
  }

  private async get(id: string): Promise<Campaign> {
    const campaign = isUuid(id) ? await this.em.findOne(Campaign, { id }) : null;
    if (!campaign) throw new CampaignException(CampaignExceptionCode.NotFound, `No campaign ${id}`, { id, field: 'id' });
    return campaign;
  }
}

/** The campaign's row, locked for the rest of the transaction (NOT_FOUND without one). */
async function lockedCampaign(em: EntityManager, id: string): Promise<Campaign> {
  const campaign = isUuid(id) ? await em.findOne(Campaign, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true }) : null;
  if (!campaign) throw new CampaignException(CampaignExceptionCode.NotFound, `No campaign ${id}`, { id, field: 'id' });
  return campaign;
}

/** A later start is in the future, and not too far in it. */
function assertStartTime(at: Date): void {
  const invalid = (message: string) => new CampaignException(CampaignExceptionCode.InvalidInput, message, { field: 'at' });
  if (Number.isNaN(at.getTime()) || at.getTime() <= Date.now()) throw invalid('A campaign launched for later starts in the future; leave `at` out to start now');
  if (at.getTime() > Date.now() + days(MAX_SCHEDULE_AHEAD_DAYS)) throw invalid(`A campaign can be launched at most ${MAX_SCHEDULE_AHEAD_DAYS} days ahead`);
}

/** What a marketer sets on a draft; without a holdout, the playbook's default. */
export interface CampaignDraft {
  name: string;
  playbook: string;
  filter: CustomerFilter;
  holdoutPercent?: number | null;
  /** Go over the segment again every so many days until cancelled (1 to 90); 0 or none: once. */
  repeatEveryDays?: number | null;
}

/** A draft as a marketer asks for it: who enters given as a filter or as a saved segment, one of them. */
export interface CampaignDraftInput extends Omit<CampaignDraft, 'filter'> {
  filter?: CustomerFilter | null;
  segmentId?: string | null;
}

/**
 * Who enters, from the filter or the saved segment given (copied as it stands now); null when neither is. `checked`: the
 * filter was checked here already (a segment's stored one, refused naming `segment.filter.…` and updateSegment, not as
 * an input the caller sent).
 */
async function draftAudience(em: EntityManager, input: { filter?: CustomerFilter | null; segmentId?: string | null }): Promise<{ filter: CustomerFilter; source: Segment | null; checked: boolean } | null> {
  if (input.filter && input.segmentId) throw new CampaignException(CampaignExceptionCode.InvalidInput, 'Give a filter or a saved segment (segmentId), not both', { field: 'segmentId' });
  if (input.segmentId) {
    const segment = await lockedSegment(em, input.segmentId, LockMode.PESSIMISTIC_READ, 'segmentId');
    return { filter: segmentFilter(segment), source: segment, checked: true };
  }
  return input.filter ? { filter: input.filter, source: null, checked: false } : null;
}

/** A draft's fields as they must be, on creation and on every change (the name as people read it, the holdout set). */
function checkedDraft(draft: CampaignDraft & { filterChecked?: boolean }): CampaignDraft & { holdoutPercent: number; repeatEveryDays: number | null } {
  // The playbook goes in the details (the API spells it as its enum), not in the text: the stored name is no value the API takes.
  const invalid = (field: string, message: string) => new CampaignException(CampaignExceptionCode.InvalidInput, message, { field, playbook: draft.playbook });
  // Stored and compared as a segment's name is (readableName): a marketer tells campaigns apart by name in the list, the
  // audit log and Temporal's UI, so "Thanks Q4" typed with two spaces or a full-width letter is the name "Thanks Q4".
  const name = readableName(draft.name);
  if (!name || characterCount(name) > MAX_CAMPAIGN_NAME) throw invalid('name', `A campaign's name is 1 to ${MAX_CAMPAIGN_NAME} characters`);
  // Shown in lists, the audit log and Temporal's UI (the run's summary), as a segment's name: no control or invisible characters.
  const hidden = hiddenCharacterProblem(name, "A campaign's name");
  if (hidden) throw invalid('name', hidden);
  const playbook = campaignPlaybook(draft.playbook);
  if (!playbook) throw invalid('playbook', 'Campaigns launch thank-yous, welcome checks, account reviews and fixes of persistent issues; fair reminders follow an invoice, not a segment');
  const holdoutPercent = draft.holdoutPercent ?? defaultHoldoutPercent(playbook);
  if (!(Number.isInteger(holdoutPercent) && holdoutPercent >= 0 && holdoutPercent <= MAX_HOLDOUT_PERCENT)) throw invalid('holdoutPercent', `holdoutPercent must be a whole number from 0 to ${MAX_HOLDOUT_PERCENT}`);
  if (!playbook.holdout && holdoutPercent > 0) {
    throw invalid('holdoutPercent', `A fix is owed to every customer with a persistent issue: a campaign fixing issues holds nobody back (holdoutPercent 0)`);
  }
  const repeatEveryDays = draft.repeatEveryDays || null;
  if (repeatEveryDays !== null && !(Number.isInteger(repeatEveryDays) && repeatEveryDays >= 1 && repeatEveryDays <= MAX_REPEAT_EVERY_DAYS)) {
    throw invalid('repeatEveryDays', `repeatEveryDays must be a whole number of days from 1 to ${MAX_REPEAT_EVERY_DAYS} (0: once)`);
  }
  if (!draft.filterChecked) assertCustomerFilter(draft.filter);
  const { filterChecked: _checked, ...fields } = draft;
  return { ...fields, name, holdoutPercent, repeatEveryDays };
}

/**
 * The campaign's stored filter, checked before it selects anyone (a preview, a launch): a draft saved before a check it
 * now fails (acquiredFrom 0001-12-01) would take in the whole base. Refused naming `campaign.filter.…` and updateCampaign.
 */
function assertCampaignFilter(campaign: Campaign): void {
  // Only a draft's filter can change: one launched before the check goes on with its copy, which is for a person to end.
  const fix = campaign.status === CampaignStatus.Draft ? undefined : `a launched campaign keeps its filter: to stop it, cancel it (cancelCampaign) and create one with a filter without it (createCampaign)`;
  assertStoredFilter(campaign.segment as CustomerFilter, { kind: 'campaign', id: campaign.id, fix });
}

/** What the audit log records of a draft. */
const draftFields = (c: Campaign) => ({ name: c.name, playbook: c.playbook, segment: c.segment, segmentId: c.sourceSegment?.id ?? null, holdoutPercent: c.holdoutPercent, repeatEveryDays: c.repeatEveryDays ?? null });
