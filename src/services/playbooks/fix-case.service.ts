import { LockMode, type FilterQuery } from '@mikro-orm/core';
import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, type RawBuilder } from 'kysely';
import { pastDayProblem } from '../../domain/earliest-day.js';
import { isUuid } from '../../domain/ids.js';
import { FIX_ISSUE } from '../../domain/playbooks/fix-issue.js';
import { RUN_ID_SEPARATOR } from '../../domain/playbooks/run-id.js';
import { Complaint, FixCase, FixCaseStatus } from '../../entities/index.js';
import type { AuditService } from '../audit/audit.service.js';
import { keysetPage } from '../common/keyset-page.js';
import { scopedTag, type Page, type PageArgs } from '../common/pagination.js';
import { assertCustomerId, storedCustomer } from '../customers/customer.service.js';
import { fixIssueTopic, PlaybookException, PlaybookExceptionCode } from './playbook.exception.js';
import { echoed } from '../../domain/text.js';

/**
 * How one team deals with the persistent issues of its topics (the cases it was first given,
 * whoever holds them after escalations): what is open, how fast fixes come, how many hold, how
 * many missed a deadline or came back.
 */
export interface FixCaseTeamReport {
  team: string;
  open: number;
  /** Of those, the ones held higher up now (after a missed deadline or a recurrence). */
  openEscalated: number;
  /** Days the oldest open case has waited; null without one. */
  oldestOpenDays: number | null;
  /** Cases fixed since the day, the median days from opening to the fix, and how many of them the customer confirmed hold. */
  resolved: number;
  medianDaysToResolve: number | null;
  confirmedByCustomer: number;
  /** Cases opened since the day that missed a deadline or came back at least once. */
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
   * Per team, busiest first: its cases open now, and the fixes since `since` (YYYY-MM-DD). A
   * case counts for the team it belongs to, not for whoever holds it after an escalation: a team
   * whose fixes come late is seen to be late.
   */
  async report(since: string): Promise<FixCaseTeamReport[]> {
    // As the other reports' days: a day to come counts no fixes (a mistyped year), one before 1900 is a typo.
    const sinceProblem = pastDayProblem(since, 'since');
    if (sinceProblem) throw new PlaybookException(PlaybookExceptionCode.InvalidInput, sinceProblem, { field: 'since' });
    const from = sql`${since}::date::timestamp at time zone 'UTC'`;
    const days = (interval: RawBuilder<unknown>) => sql`extract(epoch from ${interval}) / 86400`;
    const { rows } = await sql<{ team: string; open: number; open_escalated: number; oldest_open_days: number | null; resolved: number; median_days: number | null; confirmed: number; escalated: number }>`
      select team,
             count(*) filter (where status = 'open')::int as open,
             count(*) filter (where status = 'open' and escalations > 0)::int as open_escalated,
             max(${days(sql`now() - opened_at`)}) filter (where status = 'open')::float8 as oldest_open_days,
             count(*) filter (where resolved_at >= ${from})::int as resolved,
             (percentile_cont(0.5) within group (order by ${days(sql`resolved_at - opened_at`)}) filter (where resolved_at >= ${from}))::float8 as median_days,
             count(*) filter (where resolved_at >= ${from} and confirmed_at is not null)::int as confirmed,
             count(*) filter (where opened_at >= ${from} and escalations > 0)::int as escalated
        from fix_case
       group by team
      having count(*) filter (where status = 'open') > 0 or count(*) filter (where resolved_at >= ${from} or opened_at >= ${from}) > 0
       order by 2 desc, team`.execute(this.em.getKysely());
    return rows.map((r) => ({
      team: r.team,
      open: r.open,
      openEscalated: r.open_escalated,
      oldestOpenDays: r.oldest_open_days,
      resolved: r.resolved,
      medianDaysToResolve: r.median_days,
      confirmedByCustomer: r.confirmed,
      escalated: r.escalated,
    }));
  }

  /**
   * The customer says the fix of their issue holds (answering the check-back, or before it):
   * recorded on the newest case of the topic, so the check-back thanks them instead of asking.
   * Idempotent; audited. A case still open is not fixed yet, and one cancelled never was (CONFLICT).
   */
  async confirm(customerId: string, topic: string, actor: string): Promise<FixCase> {
    assertCustomerId(customerId);
    topic = fixIssueTopic(topic);
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
      if (!fixCase.confirmedAt) {
        fixCase.confirmedAt = new Date();
        this.audit.record(em, { actor, action: 'fix-case.confirm', entityType: 'fix_case', entityId: fixCase.id, after: { workflowId: fixCase.workflowId, confirmedAt: fixCase.confirmedAt.toISOString() } });
      }
      return fixCase;
    });
  }
}
