import type { EntityManager } from '@mikro-orm/postgresql';
import { setTimeout } from 'node:timers/promises';
import { sql, type RawBuilder } from 'kysely';
import { audienceDays, campaignPlaybook, type AudiencePolicies, type CampaignLaunch, type CampaignRunStatus, type LeftOutReason } from '../../domain/campaigns/campaign.js';
import type { AuditService } from '../audit/audit.service.js';
import { Playbook } from '../../domain/playbooks/playbook.js';
import { THANK_YOU_STEP } from '../../domain/playbooks/appreciation.js';
import { WELCOME_STEP } from '../../domain/playbooks/welcome-check.js';
import { RUN_ID_SEPARATOR } from '../../domain/playbooks/run-id.js';
import { days } from '../../domain/policies/duration.js';
import { persistentIssues, type PersistentIssuePolicy } from '../../domain/scoring/persistent-issue.js';
import { Campaign, ENDED_CAMPAIGN } from '../../entities/index.js';
import { currentComplaintRecords } from '../facts/current-complaints.js';
import { customerWhere, type CustomerFilter } from '../customers/customer-query.js';
import { hasOpenFixCase, lastThankYouWithin } from '../facts/customer-facts.js';
import { PlaybookException } from '../playbooks/playbook.exception.js';
import type { LaunchedRun } from '../engines/playbook-engine.js';
import type { PlaybookService } from '../playbooks/playbook.service.js';
import { CampaignException, CampaignExceptionCode } from './campaign.exception.js';
import { holdoutDrawLockKey, inMeasuringHoldout } from '../facts/measuring-holdouts.js';

/** How often a page waiting for another campaign's page of the playbook asks for the lock again. */
const LOCK_RETRY_MS = 200;

export interface EnrolmentPage {
  enrolled: number;
  treated: number;
  holdout: number;
  runsStarted: number;
  /** The last customer ID of the page; null when the segment is done. */
  last: string | null;
}

/**
 * Who a campaign reaches: its segment, narrowed to the customers its playbook is meant for
 * (the playbook's own conditions, as the trigger sweep and a start by hand apply them), before
 * the holdout is drawn, so both groups hold only such customers; and without the holdout of
 * another campaign of the playbook still measuring (`inOtherHoldout`; the preview counts those apart).
 */
export function campaignAudience(campaign: Campaign, policies: AudiencePolicies, now = new Date()): RawBuilder<boolean> {
  const { segment, rules } = audienceRules(campaign, policies, now);
  // A rule that only names why (a later one leaves out everyone it does) is not asked again of each customer enrolled.
  const narrowing = rules.filter((r) => !r.namesOnly);
  return sql<boolean>`(${segment} ${sql.join(narrowing.map((r) => sql`and ${r.keeps}`), sql` `)} and not ${inOtherHoldout(campaign, now)})`;
}

/** One of the playbook's rules a campaign's audience is narrowed by (`audienceRules`). */
export interface AudienceRule {
  reason: LeftOutReason;
  /** Holds for the customers the rule lets in. */
  keeps: RawBuilder<boolean>;
  /**
   * The rule only tells apart some of those a later rule leaves out anyway (a thank-you's year: thanked, under way, ended
   * without one), for the preview to say which; the audience need not ask it.
   */
  namesOnly?: boolean;
}

/**
 * The playbook's rules a campaign's audience is its segment narrowed by, each with the reason
 * the preview counts the customers it leaves out under (`LEFT_OUT_REASONS`, in that order: a
 * customer left out by several is counted by the first). `keeps` holds for the customers the
 * rule lets in; the audience is the segment and all of them.
 */
export function audienceRules(campaign: Campaign, policies: AudiencePolicies, now = new Date()): { segment: RawBuilder<boolean>; rules: AudienceRule[] } {
  const segment = campaign.segment as CustomerFilter;
  const playbook = campaignPlaybook(campaign.playbook);
  const { minTenureDays, maxTenureDays, cooldownDays, silentDays } = audienceDays(campaign.playbook, policies);
  const rules: AudienceRule[] = [];
  // The playbook's condition on current scores: loss-making for an account review, persistent for fixing issues.
  if (playbook?.requires) rules.push({ reason: playbook.requires.leftOut, keeps: customerWhere({ scores: [{ kind: playbook.requires.kind, bands: playbook.requires.bands }] }) });
  if (minTenureDays) rules.push({ reason: 'short-tenure', keeps: customerWhere({ acquiredTo: new Date(now.getTime() - days(minTenureDays)).toISOString().slice(0, 10) }) });
  if (maxTenureDays) rules.push({ reason: 'not-new', keeps: customerWhere({ acquiredFrom: new Date(now.getTime() - days(maxTenureDays)).toISOString().slice(0, 10) }) });
  // A playbook whose message is marketing (a thank-you) is for customers who take marketing, as the sweep's: one without
  // consent would have a run that ends at once, unthanked, and the sweep and campaigns would then leave their year as it is.
  if (playbook?.marketing) rules.push({ reason: 'no-consent', keeps: sql`c.marketing_consent` });
  if (playbook?.excludes) {
    rules.push({ reason: 'loss-making', keeps: sql`not exists (select 1 from current_score x where x.customer_id = c.id and x.kind = ${playbook.excludes.kind} and x.band = any(${playbook.excludes.bands}::text[]))` });
  }
  if (playbook?.notWhileFixing) rules.push({ reason: 'fixing-issue', keeps: sql`not ${hasOpenFixCase('c.id')}` });
  if (cooldownDays) {
    rules.push({
      reason: 'reviewed-recently',
      keeps: sql`not exists (select 1 from playbook_run r where r.customer_id = c.id and r.playbook = ${campaign.playbook}
                             and r.finished_at > ${now}::timestamptz - make_interval(days => ${cooldownDays}))`,
    });
  }
  // Nor one another thank-you reached within the silent days (last year's, which waited into January): the run's step would
  // end it at once, not thanked, and the sweep and campaigns would leave that year as it is. A repeating campaign enrols them once the days have passed.
  if (playbook?.notSoonAfterLast && silentDays) rules.push({ reason: 'thanked-recently', keeps: sql`${lastThankYouWithin(sql.ref('c.id'), silentDays)} is null` });
  // A customer who had their run (a welcome ever, a thank-you's run this year) gets no second one: the campaign could only count them.
  // So is one another campaign of the playbook treats: its page starts their runs after its members are recorded (its
  // lock released), and its run would be joined here, or given to this campaign's holdout. Not one it enrolled without a
  // run (the playbook refused them) once that campaign no longer enrols, or a day on: they never had theirs.
  // Its own members stay in: a retried page finds the runs it started.
  if (playbook?.once) {
    const yearStart = sql`date_trunc('year', ${now}::timestamptz at time zone 'UTC') at time zone 'UTC'`;
    const perYear = playbook.once === 'per-year';
    const ownMember = sql`exists (select 1 from campaign_member m where m.campaign_id = ${campaign.id}::uuid and m.customer_id = c.id)`;
    const noRun = (which: RawBuilder<unknown> = sql``) =>
      sql<boolean>`(not exists (select 1 from playbook_run r where r.customer_id = c.id and r.playbook = ${campaign.playbook} ${perYear ? sql`and r.started_at >= ${yearStart}` : sql``} ${which}) or ${ownMember})`;
    // The run `r` wrote its message of `step` and it was not held back at delivery: it went or may still go.
    const stepMayReach = (step: string) => sql`exists (select 1 from outbox_message m where m.idempotency_key = r.workflow_id || ${`${RUN_ID_SEPARATOR}${step}`} and m.suppressed_at is null)`;
    if (perYear) {
      // One run of the year per customer for the sweep and campaigns, whatever became of it; the preview says which it was,
      // so nobody is counted thanked whose thank-you never reached them: thanked (a run's thank-you written and not held back
      // at delivery: it went or may still go), still under way (waiting for quiet hours or for a hold to pass), or ended
      // without one (not thanked, cancelled before it wrote one, held back at delivery: a person may start the year's next run).
      rules.push({ reason: 'thanked-this-year', keeps: noRun(sql`and ${stepMayReach(THANK_YOU_STEP)}`), namesOnly: true });
      rules.push({ reason: 'thank-you-under-way', keeps: noRun(sql`and r.status = 'running'`), namesOnly: true });
      rules.push({ reason: 'not-thanked-this-year', keeps: noRun() });
    } else {
      // The same for the welcome, once ever: under way (a launch would only join it), welcomed (its welcome written and
      // not held back: it went or may still go), or ended without it reaching them (a person may start the next by hand).
      rules.push({ reason: 'welcome-under-way', keeps: noRun(sql`and r.status = 'running'`), namesOnly: true });
      rules.push({ reason: 'welcomed-already', keeps: noRun(sql`and ${stepMayReach(WELCOME_STEP)}`), namesOnly: true });
      rules.push({ reason: 'not-welcomed', keeps: noRun() });
    }
    rules.push({
      reason: 'treated-by-other-campaign',
      keeps: sql`(not exists (select 1 from campaign_member om join campaign oc on oc.id = om.campaign_id
                               where om.customer_id = c.id and oc.playbook = ${campaign.playbook} and oc.id <> ${campaign.id}::uuid and om."group" = 'treated'
                                 and (om.workflow_id is not null or (oc.status in ('scheduled', 'running', 'paused') and om.enrolled_at > ${now}::timestamptz - interval '1 day'))
                                 ${perYear ? sql`and om.enrolled_at >= ${yearStart}` : sql``})
                  or ${ownMember})`,
    });
  }
  return { segment: customerWhere(segment), rules };
}

/**
 * In the holdout of another campaign of the same playbook that is still measuring
 * (`inMeasuringHoldout`): enrolling that control group would give it the playbook and end the
 * other campaign's comparison. The campaign's own members stay in: a retried page finds the runs it started.
 */
export function inOtherHoldout(campaign: Campaign, now = new Date()): RawBuilder<boolean> {
  return sql<boolean>`(${inMeasuringHoldout('c.id', campaign.playbook, now, campaign.id)}
                       and not exists (select 1 from campaign_member m where m.campaign_id = ${campaign.id}::uuid and m.customer_id = c.id))`;
}

/** The holdout draw: a hash of campaign and customer, so a re-enrolment lands in the same group. */
export const holdoutDraw = (campaignId: string) => sql<boolean>`abs(hashtext(${campaignId} || c.id::text)::bigint) % 100 < cmp.holdout_percent`;

/**
 * Enrols the campaign's segment page by page: each customer once (the member row's primary
 * key), holdout or treated by a stable draw, and the treated ones into the playbook, by the
 * playbook's own run ID, so a retried page or a second campaign never starts a second run.
 */
export class CampaignEnrolmentService {
  constructor(
    private readonly em: EntityManager,
    private readonly playbooks: PlaybookService,
    private readonly audit: AuditService,
    /** The audience's policy values, and which complaint topics are persistent (a fix per topic). */
    private readonly policies: AudiencePolicies & { persistentIssue: PersistentIssuePolicy },
  ) {}

  /**
   * `progress` hears of each treated customer done (the step's heartbeat: a step that stops reporting has died).
   * A repeating campaign's later passes (`pass` 2, 3, ...) pass over the members of earlier ones.
   */
  async enrolPage(input: { campaignId: string; after: string | null; limit: number; pass?: number }, progress: () => void = () => undefined): Promise<EnrolmentPage> {
    const pass = input.pass ?? 1;
    const campaign = await this.em.findOne(Campaign, { id: input.campaignId });
    if (!campaign) throw new CampaignException(CampaignExceptionCode.NotFound, `No campaign ${input.campaignId}`, { id: input.campaignId });
    // Nobody is enrolled by a campaign everyone sees as ended: a run reset in the Temporal UI after its end waits here
    // (the page retried) until the run reconciliation has recorded it under way again.
    if (ENDED_CAMPAIGN.includes(campaign.status)) {
      throw new CampaignException(CampaignExceptionCode.WrongState, `Campaign ${input.campaignId} was recorded ${campaign.status}: it enrols nobody (a run reset in the Temporal UI enrols once the run reconciliation has recorded it under way again)`, { id: input.campaignId, status: campaign.status });
    }
    // The page's audience is read and its members recorded in one transaction, pages of the
    // playbook's campaigns one at a time (a lock per playbook): a campaign enrolling at the same
    // moment sees the holdout this page draws, and leaves it out. The runs start after it, unlocked.
    const { last, members } = await this.em.transactional(async (em) => {
      const tx = em.getKysely();
      // Waiting for another campaign's page, the step keeps reporting, so it is not taken as dead.
      const lockKey = holdoutDrawLockKey(campaign.playbook);
      while (!(await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(hashtextextended(${lockKey}, 0)) as locked`.execute(tx)).rows[0].locked) {
        progress();
        await setTimeout(LOCK_RETRY_MS);
      }
      const page = (
        await sql<{ id: string }>`
          select c.id from customer c where c.status = 'active' and ${campaignAudience(campaign, this.policies)}
            ${input.after ? sql`and c.id > ${input.after}::uuid` : sql``}
            ${pass > 1 ? sql`and not exists (select 1 from campaign_member m where m.campaign_id = ${input.campaignId}::uuid and m.customer_id = c.id and m.pass < ${pass})` : sql``}
          order by c.id limit ${input.limit}`.execute(tx)
      ).rows.map((r) => r.id);
      await sql`
        insert into campaign_member (campaign_id, customer_id, "group", enrolled_at, pass)
        select cmp.id, c.id, (case when ${holdoutDraw(input.campaignId)} then 'holdout' else 'treated' end)::campaign_group, now(), ${pass}::int
          from campaign cmp cross join customer c
         where cmp.id = ${input.campaignId}::uuid and c.id = any(${page}::uuid[])
        on conflict do nothing`.execute(tx);
      // The page's members are those of its range of customer IDs, not only those who match now: a
      // member an earlier attempt enrolled who has left the segment since (a rescore, a day later) is
      // still launched, not left treated without a run for good.
      const last = page.length < input.limit ? null : page[page.length - 1];
      const members = (
        await sql<{ customer_id: string; group: string; workflow_id: string | null }>`
          select customer_id, "group", workflow_id from campaign_member
           where campaign_id = ${input.campaignId}::uuid and pass = ${pass}::int
             ${input.after ? sql`and customer_id > ${input.after}::uuid` : sql``} ${last ? sql`and customer_id <= ${last}::uuid` : sql``}`.execute(tx)
      ).rows;
      return { last, members };
    });
    if (members.length === 0) return { enrolled: 0, treated: 0, holdout: 0, runsStarted: 0, last };
    const db = this.em.getKysely();
    // Every treated member is launched, those of an earlier attempt of this page too: a launch
    // finds a run already started by its ID, so a retried page starts nothing twice and still
    // counts the runs its timed-out attempt started. A run counts as started by the campaign
    // whose start created it (the engine tells): one another campaign's start (enrolling the
    // customer at the same moment), the sweep's or a person's created is joined, not counted.
    let runsStarted = 0;
    for (const m of members.filter((m) => m.group === 'treated')) {
      const runs = await this.launchUnlessRefused(campaign.playbook, m.customer_id, input.campaignId);
      if (runs.length && m.workflow_id !== runs[0].workflowId) {
        await sql`update campaign_member set workflow_id = ${runs[0].workflowId} where campaign_id = ${input.campaignId}::uuid and customer_id = ${m.customer_id}::uuid`.execute(db);
      }
      runsStarted += runs.filter((run) => run.startedByCampaign === input.campaignId).length;
      progress();
    }
    const treated = members.filter((m) => m.group === 'treated').length;
    return { enrolled: members.length, treated, holdout: members.length - treated, runsStarted, last };
  }

  /**
   * A member the playbook refuses to start for (their customer no longer qualifies, or data it
   * cannot act on) stays enrolled without a run, as one with nothing to fix does: one member
   * must not fail the page, and with it the campaign, for ever. An outage still fails the page (retried).
   */
  private async launchUnlessRefused(playbook: string, customerId: string, campaignId: string): Promise<LaunchedRun[]> {
    try {
      return await this.launch(playbook, customerId, campaignId);
    } catch (error) {
      if (!(error instanceof PlaybookException) || error.kind === 'UNAVAILABLE') throw error;
      return [];
    }
  }

  /**
   * Starts the member's run (or finds it already going, by its run ID); fixing issues starts one
   * run per topic that is persistent now, which may be none if the complaints changed since scoring.
   */
  private async launch(playbook: string, customerId: string, campaignId: string): Promise<LaunchedRun[]> {
    const options = { campaignId };
    switch (playbook) {
      case Playbook.Appreciation:
        return [await this.playbooks.launchAppreciation(customerId, options)];
      case Playbook.WelcomeCheck:
        return [await this.playbooks.launchWelcomeCheck(customerId, options)];
      case Playbook.AccountReview:
        return [await this.playbooks.launchAccountReview(customerId, options)];
      case Playbook.FixIssue:
        return Promise.all((await this.persistentTopics(customerId)).map((topic) => this.playbooks.launchFixIssue(customerId, topic, options)));
      default:
        throw new CampaignException(CampaignExceptionCode.InvalidInput, `Campaigns cannot launch "${playbook}"`, { field: 'playbook' });
    }
  }

  /** The customer's persistent complaint topics today, by the persistent-issue model over their complaints. */
  private async persistentTopics(customerId: string): Promise<string[]> {
    const complaints = await currentComplaintRecords(this.em, customerId, this.policies.persistentIssue);
    return persistentIssues(complaints, new Date(), this.policies.persistentIssue).topics.map((t) => t.topic);
  }


  /**
   * The campaign's status as its run moves; launch (enrolment begun) and finish times are kept from the first time they were set,
   * except that the run's own record of a cancel moves the finish to when the run ended, if later: a marketer's cancel is
   * recorded as it is taken, while the page under way still starts its runs, and the campaign's end is after the last of them
   * (as for a cancel in the Temporal UI, which only the run records; the holdout's measuring window counts from it).
   * An end recorded stays: a run reset after it is recorded under way again by the run reconciliation alone (audited).
   * A campaign still a draft was launched by a person whose launch never committed (the API
   * stopped right after starting the run): the run records that launch, and its audit entry, as the launch would have.
   * `at` is when the run moved to the status, kept as the launch or finish time: a record retried late (its first
   * attempt lost) still says when the campaign started or ended. Without it (runs that did not pass it), now.
   * `steering`: the number of the latest pause, resume or cancel sent through the API that the run had taken (0: none).
   * One sent since, recorded by the API as the run took it, stands: the run's status before it (a pause recorded as a
   * resume comes) is not the campaign's any more. Its times are kept, and an end always is. Without it (runs that did not
   * pass it), the status is recorded as given.
   */
  async recordStatus(campaignId: string, status: CampaignRunStatus, launch?: CampaignLaunch, at?: Date, steering?: number): Promise<void> {
    await this.em.transactional(async (em) => {
      const when = sql<Date>`coalesce(${at?.toISOString() ?? null}::timestamptz, now())`;
      const superseded = sql<boolean>`${status} not in ('completed', 'cancelled') and c.steerings > ${steering ?? null}::int`;
      // The launch holds the draft's row until it commits: this waits for it, then finds the draft launched.
      const { rows } = await sql<{ was: string }>`
        with was as (select id, status from campaign where id = ${campaignId}::uuid for update)
        update campaign c set status = case when ${superseded} then c.status else ${status}::campaign_status end,
               launched_at = case when ${status} in ('scheduled', 'cancelled') then c.launched_at else coalesce(c.launched_at, ${when}) end,
               finished_at = case when was.status = 'cancelled' then greatest(c.finished_at, ${when})
                                  when ${status} in ('completed', 'cancelled') then coalesce(c.finished_at, ${when}) end,
               scheduled_for = case when was.status = 'draft' then ${launch?.startAt ?? null}::timestamptz else c.scheduled_for end
          from was
         where c.id = was.id and (was.status not in ('completed', 'cancelled') or (was.status = 'cancelled' and ${status} = 'cancelled'))
        returning was.status as was`.execute(em.getKysely());
      if (launch && rows[0]?.was === 'draft') {
        const after = { status: launch.startAt ? 'scheduled' : 'running', scheduledFor: launch.startAt };
        this.audit.record(em, { actor: launch.by, action: 'campaign.launch', entityType: 'campaign', entityId: campaignId, before: { status: 'draft' }, after });
      }
    });
  }
}
