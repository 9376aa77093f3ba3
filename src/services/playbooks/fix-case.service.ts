import { LockMode, type FilterQuery } from '@mikro-orm/core';
import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, type RawBuilder } from 'kysely';
import { pastDayProblem } from '../../domain/earliest-day.js';
import { isUuid } from '../../domain/ids.js';
import { FIX_ISSUE } from '../../domain/playbooks/fix-issue.js';
import { RUN_ID_SEPARATOR } from '../../domain/playbooks/run-id.js';
import { Complaint, FixCase, FixCaseStatus, PlaybookRun } from '../../entities/index.js';
import { RunStatus } from '../../domain/playbooks/run-status.js';
import type { FollowUpFailureReporter } from '../scores/customer-rescore.service.js';
import { recordFixConfirmed } from './fix-case-confirm.js';
import type { AuditService } from '../audit/audit.service.js';
import { keysetPage } from '../common/keyset-page.js';
import { scopedTag, type Page, type PageArgs } from '../common/pagination.js';
import { assertCustomerId, storedCustomer } from '../customers/customer.service.js';
import { fixIssueTopic, PlaybookException, PlaybookExceptionCode } from './playbook.exception.js';
import { echoed } from '../../domain/text.js';

/**
 * How one team deals with the persistent issues of its topics (the cases it was first given,
 * whoever holds them after escalations): what is open, how fast fixes come, how many hold, how
 * many missed a deadline or came back. The period's figures count what happened in it (a fix reported,
 * a deadline missed, a fix that did not hold), whatever day the case was opened.
 */
export interface FixCaseTeamReport {
  team: string;
  open: number;
  /** Of those, the ones held higher up now (after a missed deadline or a recurrence). */
  openEscalated: number;
  /** Days the oldest open case has waited; null without one. */
  oldestOpenDays: number | null;
  /**
   * Fixes reported since the day, each time one was (a case fixed, reopened and fixed again counts twice), those that
   * did not hold included; the median days from the case's opening to each; how many of them the customer confirmed
   * hold (and the issue has not come back since).
   */
  resolved: number;
  medianDaysToResolve: number | null;
  confirmedByCustomer: number;
  /** Of the fixes since the day, those the issue came back after: the case opened again, or the topic's next case. */
  fixesNotHeld: number;
  /** Cases that missed a deadline or whose fix did not hold since the day (each case once), whatever day it was opened. */
  escalated: number;
}

export interface FixCaseFilter {
  /** The team or role that owns the case now, e.g. "logistics" or "team-lead". */
  owner?: string | null;
  status?: FixCaseStatus | null;
  customerId?: string | null;
}

/** The fix cases the fix-issue playbook opened: a team's queue of persistent issues to fix, oldest first. */
export class FixCaseService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    /** Everyone the fix policy can give a case to (`caseOwners`). */
    private readonly owners: readonly string[],
    /** Tells the case's run the customer said the fix holds (the engine's `fixConfirmed`); false when no run is under way. */
    private readonly tellRun: (workflowId: string) => Promise<boolean> = async () => false,
    /** Hears of a run that could not be told (the API logs it): the confirmation stands, and the run thanks them at its check-back. */
    private readonly onTellFailed: FollowUpFailureReporter = () => undefined,
  ) {}

  /**
   * The case a fix-issue run opened, null for another playbook's run or until the run has opened it (in its first moments):
   * batched across a page of runs, one statement.
   */
  ofRun(workflowId: string): Promise<FixCase | null> {
    return workflowId.startsWith(`${FIX_ISSUE}${RUN_ID_SEPARATOR}`) ? this.byRun.load(workflowId) : Promise.resolve(null);
  }

  private readonly byRun = new DataLoader<string, FixCase | null>(async (workflowIds) => {
    const cases = new Map((await this.em.find(FixCase, { workflowId: { $in: [...workflowIds] } })).map((c) => [c.workflowId, c]));
    return workflowIds.map((id) => cases.get(id) ?? null);
  });

  /**
   * The complaints the case's last fix resolved (open about its topic when the fix was reported), oldest first, each as
   * it is now (one reopened since reads open): the run's `complaint.resolve` entries of that fix. None while the case is
   * open (a fix that did not hold is superseded) or was cancelled, and for a fix reported before fixes resolved them.
   * Batched across a page of cases, one statement.
   */
  closedComplaints(fixCase: FixCase): Promise<Complaint[]> {
    return fixCase.resolvedAt && fixCase.status === FixCaseStatus.Resolved ? this.closedByCase.load(fixCase.id) : Promise.resolve([]);
  }

  private readonly closedByCase = new DataLoader<string, Complaint[]>(async (caseIds) => {
    const { rows } = await sql<{ case_id: string; complaint_id: string }>`
      select f.id as case_id, k.id as complaint_id
        from fix_case f
        join complaint k on k.customer_id = f.customer_id and k.topic = f.topic
       where f.id = any(${[...caseIds]}::uuid[]) and f.resolved_at is not null
         and exists (select 1 from audit_entry a
                      where a.entity_type = 'complaint' and a.entity_id = k.id::text and a.action = 'complaint.resolve'
                        and a.after ->> 'fixCaseId' = f.id::text and (a.after ->> 'resolvedAt')::timestamptz = f.resolved_at)
       order by k.opened_at, k.id`.execute(this.em.getKysely());
    const complaints = new Map((rows.length ? await this.em.find(Complaint, { id: { $in: rows.map((r) => r.complaint_id) } }) : []).map((k) => [k.id, k]));
    return caseIds.map((id) => rows.filter((r) => r.case_id === id).map((r) => complaints.get(r.complaint_id)!));
  });

  async list(filter: FixCaseFilter, args: PageArgs): Promise<Page<FixCase>> {
    const invalid = (field: string, message: string) => new PlaybookException(PlaybookExceptionCode.InvalidInput, message, { field: `filter.${field}` });
    const where: FilterQuery<FixCase>[] = [];
    if (filter.owner != null) {
      if (!/^[a-z][a-z0-9-]*$/.test(filter.owner)) throw invalid('owner', `"${echoed(filter.owner)}" is not an owner (lowercase words joined by hyphens, e.g. "logistics")`);
      // A typo would show an empty queue: an owner is one the policy can give a case to, or one a case was given to (a team since renamed).
      if (!this.owners.includes(filter.owner) && !(await this.em.count(FixCase, { owner: filter.owner }))) {
        throw invalid('owner', `"${echoed(filter.owner)}" owns no fix case and is no owner under the fix policy (${this.owners.join(', ')})`);
      }
      where.push({ owner: filter.owner });
    }
    if (filter.status) where.push({ status: filter.status });
    if (filter.customerId != null) {
      if (!isUuid(filter.customerId)) throw invalid('customerId', `"${echoed(filter.customerId)}" is not an ID`);
      where.push({ customer: filter.customerId });
    }
    return keysetPage(this.em, FixCase, { tag: scopedTag('fix-cases', { ...filter }), where: { $and: where }, key: { property: 'openedAt', direction: 'asc', time: true }, tiebreaker: { property: 'id', direction: 'asc' } }, args);
  }

  /**
   * Per team, busiest first: its cases open now, and what happened since `since` (YYYY-MM-DD): the fixes reported, those
   * that did not hold, and the cases that escalated, by when each happened, not by the day the case was opened (most
   * cases take weeks: a month's report must show the month's escalations of cases opened before it, and a fix that failed
   * within it). A case counts for the team it belongs to, not for whoever holds it after an escalation: a team whose fixes
   * come late is seen to be late.
   *
   * The case's row keeps only where it stands now (a reopening clears when it was fixed), so the times come from what
   * its run wrote with each change of the case, as the customer's timeline reads its milestones: the customer's word
   * that it is fixed (`issue-fixed`, once per fix), the new owner's task at a missed deadline (`fix-case-escalated`) or a
   * fix that did not hold (`fix-case-reopened`); a fix reported before customers were told of fixes, from the case. A
   * fix did not hold when its case opened again after it, or when the topic's next case opened (a run's fix failing
   * after the run ended starts the next run's case one level up, and that case escalated as it opened).
   */
  async report(since: string): Promise<FixCaseTeamReport[]> {
    // As the other reports' days: a day to come counts no fixes (a mistyped year), one before 1900 is a typo.
    const sinceProblem = pastDayProblem(since, 'since');
    if (sinceProblem) throw new PlaybookException(PlaybookExceptionCode.InvalidInput, sinceProblem, { field: 'since' });
    const from = sql`${since}::date::timestamp at time zone 'UTC'`;
    const days = (interval: RawBuilder<unknown>) => sql`extract(epoch from ${interval}) / 86400`;
    // A step's message of the case's run, by its key (`<the run's workflow ID>/<step>`: the unique index), as FixIssueSteps names them.
    const stepKey = (step: RawBuilder<unknown>) => sql`c.workflow_id || ${RUN_ID_SEPARATOR} || ${step}`;
    // The issue came back after the fix `at` only by complaints since withdrawn as filed by mistake (on the wrong customer,
    // twice): no sign that the fix did not hold. (A case with no complaint since the fix at all is judged by its milestones.)
    const complaintSince = (at: RawBuilder<unknown>, withdrawn: boolean) =>
      sql`exists (select 1 from complaint k where k.customer_id = c.customer_id and k.topic = c.topic and k.withdrawn_at is ${sql.raw(withdrawn ? 'not null' : 'null')} and (k.opened_at > ${at} or k.reopened_at > ${at}))`;
    const onlyWithdrawnSince = (at: RawBuilder<unknown>) => sql`(${complaintSince(at, true)} and not ${complaintSince(at, false)})`;
    const { rows } = await sql<{ team: string; open: number; open_escalated: number; oldest_open_days: number | null; resolved: number; median_days: number | null; confirmed: number; not_held: number; escalated: number }>`
      with cases as (
        select id, team, customer_id, topic, workflow_id, status, escalations, opened_at, resolved_at, confirmed_at,
               -- The topic's case before this one was closed as fixed: this one opened because that fix did not hold.
               lag(resolved_at) over topic is not null as came_back,
               lag(resolved_at) over topic as previous_fixed_at,
               lead(opened_at) over topic as next_opened_at
          from fix_case
        window topic as (partition by customer_id, topic order by opened_at, id)
      ),
      -- Each fix, missed deadline and fix that did not hold of the period, by the message it wrote: "fixed-<n>" (n counting the
      -- case's fixes), "escalation-<n>" (n its escalations then) and "recurrence-<n>" (n its recurrences; each is an
      -- escalation too), so every n is at most one more than the case's escalations now. A case closed as fixed before
      -- the day has none since: a later fix would be its fix, a reopening would have opened it.
      milestones as (
        select c.id as case_id, m.template, m.created_at as at,
               -- A reopening only by complaints withdrawn since the fix it followed (its "fixed-<n>") is none.
               m.template <> 'fix-case-reopened' or not coalesce((select ${onlyWithdrawnSince(sql`f.created_at`)} from outbox_message f where f.idempotency_key = ${stepKey(sql`'fixed-' || n`)}), false) as stands
          from cases c cross join lateral generate_series(1, c.escalations + 1) n
          join outbox_message m on m.idempotency_key = any(array[${stepKey(sql`'fixed-' || n`)}, ${stepKey(sql`'escalation-' || n`)}, ${stepKey(sql`'recurrence-' || n`)}])
         where (c.status <> 'resolved' or c.resolved_at >= ${from})
           and m.created_at >= ${from} and m.template in ('issue-fixed', 'fix-case-escalated', 'fix-case-reopened')
      ),
      -- Per case: when its issue last came back in the period (it reopened), and whether it missed a deadline or came back in it.
      per_case as (
        select case_id, max(at) filter (where template = 'fix-case-reopened' and stands) as last_reopened_at, bool_or(template <> 'issue-fixed' and stands) as escalated
          from milestones group by case_id
      ),
      fixes as (
        select case_id, at from milestones where template = 'issue-fixed'
        union all
        select c.id, c.resolved_at from cases c
         where c.resolved_at >= ${from} and not exists (select 1 from outbox_message m where m.idempotency_key = ${stepKey(sql`'fixed-1'`)})
      ),
      judged as (
        select c.team, ${days(sql`f.at - c.opened_at`)} as days,
               coalesce(c.next_opened_at > f.at or p.last_reopened_at > f.at, false) and not ${onlyWithdrawnSince(sql`f.at`)} as not_held,
               c.confirmed_at is not null as confirmed
          from fixes f join cases c on c.id = f.case_id left join per_case p on p.case_id = f.case_id
      ),
      fixed as (
        select team, count(*)::int as resolved, (percentile_cont(0.5) within group (order by days))::float8 as median_days,
               count(*) filter (where confirmed and not not_held)::int as confirmed, count(*) filter (where not_held)::int as not_held
          from judged group by team
      ),
      escalated as (
        select c.team, count(*)::int as escalated from cases c left join per_case p on p.case_id = c.id
         where (c.came_back and c.opened_at >= ${from} and not ${onlyWithdrawnSince(sql`c.previous_fixed_at`)}) or p.escalated
         group by c.team
      ),
      queue as (
        select team,
               count(*) filter (where status = 'open')::int as open,
               count(*) filter (where status = 'open' and escalations > 0)::int as open_escalated,
               max(${days(sql`now() - opened_at`)}) filter (where status = 'open')::float8 as oldest_open_days,
               count(*) filter (where opened_at >= ${from})::int as opened
          from cases group by team
      )
      select q.team, q.open, q.open_escalated, q.oldest_open_days,
             coalesce(f.resolved, 0) as resolved, f.median_days, coalesce(f.confirmed, 0) as confirmed, coalesce(f.not_held, 0) as not_held,
             coalesce(e.escalated, 0) as escalated
        from queue q left join fixed f on f.team = q.team left join escalated e on e.team = q.team
       where q.open > 0 or q.opened > 0 or f.resolved > 0 or e.escalated > 0
       order by q.open desc, q.team`.execute(this.em.getKysely());
    return rows.map((r) => ({
      team: r.team,
      open: r.open,
      openEscalated: r.open_escalated,
      oldestOpenDays: r.oldest_open_days,
      resolved: r.resolved,
      medianDaysToResolve: r.median_days,
      confirmedByCustomer: r.confirmed,
      fixesNotHeld: r.not_held,
      escalated: r.escalated,
    }));
  }

  /**
   * The customer says the fix of their issue holds (answering the check-back, or before it):
   * recorded on the newest case of the topic, so the check-back thanks them instead of asking; a word that it was fixed
   * still queued (their quiet hours), promising that check-back, is held back (`recordFixConfirmed`). Its run, still
   * waiting for the check-back, is told (`fixConfirmed`), and thanks them (with a loyal customer's gesture) now rather
   * than at the check-back deadline; one that cannot be told is reported, and thanks them at its deadline.
   * Idempotent; audited. A case still open is not fixed yet, and one cancelled never was (CONFLICT).
   */
  async confirm(customerId: string, topic: string, actor: string): Promise<FixCase> {
    assertCustomerId(customerId);
    topic = fixIssueTopic(topic);
    const fixCase = await this.confirmed(customerId, topic, actor);
    // After the commit: the run reads the confirmation as it checks back. Only a run recorded as under way is told (its
    // check-back still to come); told twice, it ignores the second.
    if ((await this.em.findOne(PlaybookRun, { workflowId: fixCase.workflowId }, { fields: ['status'], refresh: true }))?.status === RunStatus.Running) {
      await this.tellRun(fixCase.workflowId).catch((error: unknown) => this.onTellFailed(error, customerId));
    }
    return fixCase;
  }

  private confirmed(customerId: string, topic: string, actor: string): Promise<FixCase> {
    return this.em.transactional(async (em) => {
      // A wrong customer ID is told apart from a customer without a fix case.
      await storedCustomer(em, customerId, { field: 'customerId' });
      const fixCase = await em.findOne(FixCase, { customer: customerId, topic }, { orderBy: { openedAt: 'desc' }, lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!fixCase) throw new PlaybookException(PlaybookExceptionCode.FixCaseNotFound, `No fix case for "${topic}" of customer ${customerId}`, { customerId, topic });
      if (fixCase.status === FixCaseStatus.Open) {
        throw new PlaybookException(PlaybookExceptionCode.FixNotDone, `The fix of "${topic}" is not done yet: the case is open with ${fixCase.owner}`, { customerId, topic, owner: fixCase.owner });
      }
      if (fixCase.status === FixCaseStatus.Cancelled) {
        throw new PlaybookException(PlaybookExceptionCode.FixNotDone, `The fix of "${topic}" was not done: its case was cancelled`, { customerId, topic, status: fixCase.status });
      }
      await recordFixConfirmed(em, this.audit, fixCase, actor);
      return fixCase;
    });
  }
}
