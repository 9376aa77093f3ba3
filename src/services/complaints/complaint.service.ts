import { randomUUID } from 'node:crypto';
import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import { sql } from 'kysely';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Complaint, ComplaintSeverity, CustomerStatus } from '../../entities/index.js';
import type { AuditService } from '../audit/audit.service.js';
import { COMPLAINT_SCORES, recordResolution, resolveLateForFixedTopic } from './complaint-resolution.js';
import { ChildPager } from '../common/child-pages.js';
import type { Page, PageArgs } from '../common/pagination.js';
import { CustomerException, CustomerExceptionCode } from '../customers/customer.exception.js';
import { assertCustomerFilter, customerWhere, type CustomerFilter } from '../customers/customer-query.js';
import { assertCustomerId, storedCustomer } from '../customers/customer.service.js';
import { ComplaintException, ComplaintExceptionCode } from './complaint.exception.js';
import { topicKey, topicProblem } from '../../domain/complaints/topic.js';
import { complaintRef } from '../../domain/complaints/complaint-ref.js';
import { knownTopics } from '../../domain/playbooks/fix-issue.js';
import { isUuid } from '../../domain/ids.js';
import { afterNow } from '../../domain/latest-time.js';
import { beforeEarliestDay, pastDayProblem, tooEarly } from '../../domain/earliest-day.js';
import type { Policies } from '../../domain/policies/index.js';
import type { PlaybookTriggerService } from '../playbooks/playbook-triggers.service.js';
import { holdBackWelcomeAtComplaint } from '../playbooks/welcome-held-at-complaint.js';
import { holdBackProposalAtComplaint } from '../playbooks/proposal-held-at-complaint.js';
import type { CustomerRescoreService, FollowUpFailureReporter } from '../scores/customer-rescore.service.js';
import { echoed, reasonProblem } from '../../domain/text.js';
import { persistentTopics } from '../facts/current-complaints.js';
import { OutboxService } from '../outbox/outbox.service.js';
import { tellCaseOfWithdrawnComplaint } from '../playbooks/fix-case-complaints.js';

/**
 * How long a call's claim on a complaint's follow-up holds off another call: far longer than a follow-up takes (a rescore,
 * a fix started or told through Temporal, seconds), so only a claim whose call stopped outlives it.
 */
const FOLLOW_UP_LEASE_MS = 2 * 60_000;

/** A complaint changes whether the customer has a persistent issue: rescored at once, so playbooks see it today. */


/** Topics are normalised keys ("delivery-delay") so repeated complaints group together. */

export interface ComplaintInput {
  customerId: string;
  topic: string;
  severity: ComplaintSeverity;
  summary?: string | null;
  openedAt?: Date | null;
  productDefect?: boolean | null;
  /**
   * The complaint's reference in the CRM (the complaints import's `complaint_ref`, stored as
   * `externalRef`): sent again with the same facts it answers the complaint stored, so a retry is
   * no second complaint; a later import of the reference updates that complaint.
   */
  complaintRef?: string | null;
}

/** What a complaint says, as recorded: a retry says the same (see `sameFacts`). */
interface ComplaintFacts {
  topic: string;
  severity: ComplaintSeverity;
  summary: string | null;
  /** Null when the call gave none (now): with a reference, any stored opening matches. */
  openedAt: Date | null;
  /** Null when the call gave none. */
  productDefect: boolean | null;
}

/** Whether a stored complaint says what a call to record one says: the same complaint sent again. */
function sameFacts(stored: Complaint, facts: ComplaintFacts): boolean {
  return (
    stored.topic === facts.topic &&
    stored.severity === facts.severity &&
    (stored.summary ?? null) === facts.summary &&
    (facts.openedAt === null || stored.openedAt.getTime() === facts.openedAt.getTime()) &&
    (facts.productDefect === null || stored.productDefect === facts.productDefect)
  );
}

/** One complaint topic across the base (or a segment) since a day: what to fix first. */
export interface ComplaintTopic {
  topic: string;
  /** Opened since the day, or reopened since it (each complaint once). */
  complaints: number;
  customers: number;
  /** Of those, not resolved now, of customers not erased (an erased customer's are no one's to answer: `openComplaint`). */
  open: number;
  /** Of those, reopened since the day. */
  reopened: number;
  /** High or critical. */
  severe: number;
  productDefects: number;
  handlingCostMinor: number;
  /** Of the resolved ones; null when none is resolved. */
  medianDaysToResolve: number | null;
}

export class ComplaintService {
  private readonly pager: ChildPager<Complaint>;

  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly scoring: CustomerRescoreService,
    private readonly triggers: PlaybookTriggerService,
    /** A complaint's follow-up judges by the sweep's triggers and persistent-issue rule, as a start by hand does. */
    private readonly policies: Pick<Policies, 'triggers' | 'scoring' | 'fixIssue'>,
    private readonly onFollowUpFailed: FollowUpFailureReporter = () => undefined,
  ) {
    this.pager = new ChildPager(em, Complaint, {
      tag: 'complaints',
      table: 'complaint',
      parentColumn: 'customer_id',
      orderColumn: 'opened_at',
      orderType: 'timestamptz',
      orderProperty: 'openedAt',
    });
  }

  async forCustomer(customerId: string, args: PageArgs): Promise<Page<Complaint>> {
    return this.pager.page(customerId, args);
  }

  /**
   * Complaints by topic since a day (opened or reopened since it), most complained about first: every complaint is
   * information about what to fix, and a topic many customers share (or that keeps being
   * reopened, or points at a product defect) is where fixing pays most.
   */
  async topics(input: { since: string; filter?: CustomerFilter | null }): Promise<ComplaintTopic[]> {
    // As the other reports' days: a day to come lists nothing (a mistyped year), one before 1900 is a typo.
    const sinceProblem = pastDayProblem(input.since, 'since');
    if (sinceProblem) throw new ComplaintException(ComplaintExceptionCode.InvalidInput, sinceProblem, { field: 'since' });
    assertCustomerFilter(input.filter ?? {});
    // The complaints of the period: opened since the day, or reopened since (an older one the customer said is not
    // resolved: the issue came back this period). A reopening since the day is one whose last reopening is (one opened
    // since the day can only have been reopened after it; one reopened before reopenedAt was kept counts so).
    const from = sql`(${input.since}::date)::timestamp at time zone 'UTC'`;
    const { rows } = await sql<Record<string, string | number | null>>`
      select k.topic, count(*)::int as complaints, count(distinct k.customer_id)::int as customers,
             count(*) filter (where k.resolved_at is null and c.status <> 'erased')::int as open,
             count(*) filter (where k.reopened_count > 0 and (k.reopened_at >= ${from} or k.opened_at >= ${from}))::int as reopened,
             count(*) filter (where k.severity in ('high', 'critical'))::int as severe,
             count(*) filter (where k.product_defect)::int as product_defects,
             coalesce(sum(k.handling_cost_minor), 0) as handling_cost_minor,
             (percentile_cont(0.5) within group (order by extract(epoch from k.resolved_at - k.opened_at) / 86400) filter (where k.resolved_at is not null))::float8 as median_days
        from complaint k join customer c on c.id = k.customer_id
       where k.withdrawn_at is null and (k.opened_at >= ${from} or k.reopened_at >= ${from}) and ${customerWhere(input.filter ?? {})}
       group by k.topic order by complaints desc, k.topic`.execute(this.em.getKysely());
    return rows.map((r) => ({
      topic: String(r.topic),
      complaints: Number(r.complaints),
      customers: Number(r.customers),
      open: Number(r.open),
      reopened: Number(r.reopened),
      severe: Number(r.severe),
      productDefects: Number(r.product_defects),
      handlingCostMinor: Number(r.handling_cost_minor),
      medianDaysToResolve: r.median_days === null ? null : Number(r.median_days),
    }));
  }

  /** The topics the fix policy gives a team of their own, and the owner of any other. */
  knownTopics(): { topics: { topic: string; owner: string }[]; defaultOwner: string; escalationChain: string[] } {
    return { topics: knownTopics(this.policies.fixIssue), defaultOwner: this.policies.fixIssue.defaultOwner, escalationChain: [...this.policies.fixIssue.escalationChain] };
  }

  /**
   * A complaint is information about what to fix: record it as soon as it comes in. The same
   * complaint sent again (a retry after a timeout, a second click) is not a second one, which
   * would count again toward a persistent issue: with a `complaintRef` already stored for the
   * customer and the same facts, or without one, the same topic, severity and summary at the same
   * explicit `openedAt`, the stored complaint is the answer, with no second audit entry. Its
   * rescore and follow-up run after the commit: a call that stopped in between (the process
   * killed) left them undone, so the retry does them, once (`followUpPending`); after a first call
   * that did them it does nothing more. A reference stored for another customer, or with other facts, is a
   * CONFLICT (COMPLAINT_REF_TAKEN). A complaint withdrawn from another customer (filed on the wrong one) no longer holds
   * its reference: the call records the complaint on this one; one of this customer's withdrawn stays withdrawn, and is
   * the answer to the same complaint sent again. Without `openedAt` (now) and without a reference nothing
   * tells a retry from a new complaint. A welcome check's welcome still queued is held back with it
   * (`holdBackWelcomeAtComplaint`): it would ask whether everything works after the customer said it does not; so is an
   * account review's proposal still queued (`holdBackProposalAtComplaint`): nobody in the middle of a complaint is asked
   * to take a lesser service (the review proposes again once nothing is open).
   */
  async record(input: ComplaintInput, actor: string): Promise<Complaint> {
    assertCustomerId(input.customerId);
    const topicRefused = topicProblem(input.topic);
    if (topicRefused) throw new ComplaintException(ComplaintExceptionCode.InvalidInput, topicRefused, { field: 'topic' });
    const topic = topicKey(input.topic);
    if (input.openedAt && afterNow(input.openedAt)) {
      throw new ComplaintException(ComplaintExceptionCode.InvalidInput, 'openedAt must not be in the future', { field: 'openedAt' });
    }
    if (input.openedAt && beforeEarliestDay(input.openedAt)) throw new ComplaintException(ComplaintExceptionCode.InvalidInput, tooEarly('openedAt'), { field: 'openedAt' });
    const { ref, problem } = complaintRef(input.complaintRef);
    if (problem) throw new ComplaintException(ComplaintExceptionCode.InvalidInput, problem, { field: 'complaintRef' });
    const facts: ComplaintFacts = { topic, severity: input.severity, summary: input.summary?.trim() || null, openedAt: input.openedAt ?? null, productDefect: input.productDefect ?? null };
    const { complaint: recorded, retry, concurrent = false }: { complaint: Complaint; retry: boolean; concurrent?: boolean } = await this.em
      .transactional(async (em) => {
        // Held until the complaint is in: an erasure at the same moment waits and clears its text too, or comes first and it is refused.
        const customer = await storedCustomer(em, input.customerId, { lock: 'share', field: 'customerId' });
        if (customer.status === CustomerStatus.Erased) throw new CustomerException(CustomerExceptionCode.Erased, `The personal data of customer ${input.customerId} was erased: no complaint is recorded for them`, { id: input.customerId });
        if (ref !== null) {
          const stored = await storedUnderRef(em, ref, customer.id);
          if (stored) return { complaint: retried(stored, customer.id, ref, facts), retry: true };
        } else if (facts.openedAt) {
          // The same complaint sent twice at the same moment: the second waits for the first, then finds it (and leaves its follow-up to it).
          const key = `complaint:${customer.id}:${topic}:${facts.openedAt.toISOString()}`;
          const [{ free }] = await em.execute<{ free: boolean }[]>(`select pg_try_advisory_xact_lock(hashtextextended(?, 0)) as free`, [key]);
          if (!free) await em.execute(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [key]);
          const stored = await em.findOne(
            Complaint,
            { customer: customer.id, topic, openedAt: facts.openedAt, severity: facts.severity, summary: facts.summary, ...(facts.productDefect !== null ? { productDefect: facts.productDefect } : {}) },
            { orderBy: { createdAt: 'asc', id: 'asc' } },
          );
          if (stored && sameFacts(stored, facts)) return { complaint: stored, retry: true, concurrent: !free };
        }
        const complaint = em.create(Complaint, {
          customer,
          externalRef: ref,
          topic,
          severity: input.severity,
          summary: facts.summary,
          openedAt: facts.openedAt ?? new Date(),
          productDefect: input.productDefect ?? false,
          followUpPending: true,
        });
        this.audit.record(em, {
          actor,
          action: 'complaint.record',
          entityType: 'complaint',
          entityId: complaint.id,
          after: { customerId: customer.id, topic, severity: input.severity, productDefect: complaint.productDefect, ...(ref !== null ? { externalRef: ref } : {}) },
        });
        // With the complaint in: a welcome still queued no longer asks whether everything works, and a review's proposal
        // still queued no longer asks them to take a lesser service.
        await em.flush();
        await holdBackWelcomeAtComplaint(em, customer.id);
        await holdBackProposalAtComplaint(em, this.audit, customer.id, actor);
        return { complaint, retry: false };
      })
      .catch(async (error: unknown) => {
        // The unique index decides between two calls with one reference at the same moment: the other one's complaint is the answer, or a conflict.
        if (!(ref !== null && error instanceof UniqueConstraintViolationException)) throw error;
        const stored = await this.em.fork().findOne(Complaint, { externalRef: ref, withdrawnAt: null });
        if (!stored) throw error;
        // The call that stored it is under way, its follow-up to come: this one does not do it a second time.
        return { complaint: retried(stored, input.customerId, ref, facts), retry: true, concurrent: true };
      });
    // A retry of a call that stopped after the commit does what it did not (a retry after a complete call, nothing).
    if (retry && (concurrent || !recorded.followUpPending)) return recorded;
    await this.afterCommit(recorded.id, input.customerId, topic);
    return recorded;
  }

  /**
   * What a recorded or reopened complaint sets off once committed: the customer's rescore and the follow-up, after which
   * the complaint's follow-up is no longer pending; still pending when the follow-up failed (reported; the next sweep starts
   * the fix), so a retry of the call tries it again. One call at a time follows a complaint up, and only while it is
   * pending: it claims the follow-up in one short update first, so a client's retry after its time-out, while the first
   * call is still at it (the follow-up calls Temporal), leaves it to that call, as one after it finds it done; a fix is not
   * told twice of one complaint. No connection is held meanwhile. A claim older than `FOLLOW_UP_LEASE_MS` is one whose call
   * stopped (its process killed): a retry then takes it over.
   */
  private async afterCommit(complaintId: string, customerId: string, topic: string): Promise<void> {
    const claim = randomUUID();
    try {
      const claimed = await this.em.getConnection().execute<{ id: string }[]>(
        `update complaint set follow_up_claim = ?, follow_up_claimed_at = clock_timestamp()
          where id = ? and follow_up_pending and (follow_up_claim is null or follow_up_claimed_at < clock_timestamp() - make_interval(secs => ?))
          returning id`,
        [claim, complaintId, FOLLOW_UP_LEASE_MS / 1000],
      );
      if (claimed.length === 0) return;
    } catch (error) {
      this.onFollowUpFailed(error, customerId);
      return;
    }
    let done = false;
    try {
      await this.scoring.rescoreAfterEvent(customerId, COMPLAINT_SCORES);
      done = await this.followUp(customerId, topic);
    } finally {
      // Followed up: no longer pending. Either way the claim is given up, unless a reopening since took the follow-up on anew.
      await this.em
        .getConnection()
        .execute(`update complaint set follow_up_pending = follow_up_pending and not ?::boolean, follow_up_claim = null, follow_up_claimed_at = null where id = ? and follow_up_claim = ?`, [done, complaintId, claim])
        .catch((error: unknown) => this.onFollowUpFailed(error, customerId));
    }
  }

  /** After an import added complaints or reopened some: each topic followed up as after recordComplaint or reopen. */
  async followUpImported(complaints: readonly { customerId: string; topic: string }[]): Promise<void> {
    for (const { customerId, topic } of complaints) await this.followUp(customerId, topic);
  }

  /**
   * "Fixed only after they announce they leave" is what this prevents: the complaint that
   * makes a topic persistent, or brings it back after its fix, starts a fix now (for a
   * customer at risk or valuable, or one who called it serious: the sweep's rule), and a fix waiting for its check-back
   * hears that it did not hold. The complaint is committed either way; a fix that cannot
   * start now is started by the next trigger sweep. Answers whether it ran without failing.
   */
  private async followUp(customerId: string, topic: string): Promise<boolean> {
    try {
      // One dated before the topic's fix, recorded after it, the fix covers: resolved as the fix's, no sign it failed.
      if ((await resolveLateForFixedTopic(this.em.fork(), this.audit, customerId, topic)).length) await this.scoring.rescoreAfterEvent(customerId, COMPLAINT_SCORES);
      const { untold } = await this.triggers.complaintReceived(customerId, topic, this.policies.triggers, this.policies.scoring.persistentIssue);
      // Its fix waits for the check-back by its record, but the run did not hear of the complaint: nobody is told until the sweep.
      if (untold) this.onFollowUpFailed(new Error(`The fix run ${untold} did not hear that the issue "${topic}" came back (closed in Temporal, its end not recorded yet): the next trigger sweep follows the complaint up`), customerId);
      return untold === null;
    } catch (error) {
      this.onFollowUpFailed(error, customerId);
      return false;
    }
  }

  async resolve(id: string, actor: string, resolvedAt = new Date()): Promise<Complaint> {
    const resolved = await this.em.transactional(async (em) => {
      const complaint = await lockedComplaint(em, id);
      refuseWithdrawn(complaint);
      if (complaint.resolvedAt) {
        throw new ComplaintException(ComplaintExceptionCode.AlreadyResolved, `Complaint ${id} was resolved at ${complaint.resolvedAt.toISOString()}`, { id });
      }
      if (resolvedAt < complaint.openedAt) {
        throw new ComplaintException(ComplaintExceptionCode.InvalidInput, 'resolvedAt must not be before the complaint was opened', { field: 'resolvedAt' });
      }
      // A reopened complaint is resolved again after its reopening, or the timeline runs backwards.
      if (complaint.reopenedAt && resolvedAt < complaint.reopenedAt) {
        throw new ComplaintException(ComplaintExceptionCode.InvalidInput, `resolvedAt must not be before the complaint was reopened (${complaint.reopenedAt.toISOString()})`, { field: 'resolvedAt' });
      }
      // A resolution in the future could never be reopened (a reopening is neither before it nor in the future).
      if (afterNow(resolvedAt)) throw new ComplaintException(ComplaintExceptionCode.InvalidInput, 'resolvedAt must not be in the future', { field: 'resolvedAt' });
      recordResolution(em, this.audit, complaint, resolvedAt, actor);
      return complaint;
    });
    await this.scoring.rescoreAfterEvent(resolved.customer.id, COMPLAINT_SCORES);
    // A review whose proposal waits for nothing of theirs to be open proposes now, not at its next look.
    await this.triggers.complaintClosed(resolved.customer.id);
    return resolved;
  }

  /**
   * The customer says a resolved complaint is not: it is open again and counts as reopened,
   * so the topic may become persistent (or a fix waiting for its check-back learns it did
   * not hold) at once, as with a new complaint. A reopen sent again while the complaint's
   * follow-up is pending (the call that reopened it stopped after its commit) is its retry: it
   * answers the complaint and does the follow-up; once that is done, a reopen of the open complaint is refused.
   */
  async reopen(id: string, actor: string, reopenedAt = new Date()): Promise<Complaint> {
    const reopened = await this.em.transactional(async (em) => {
      const complaint = await lockedComplaint(em, id);
      refuseWithdrawn(complaint);
      // Only the customer can say it is not resolved: nobody can for one whose personal data was erased (closing their open ones stays allowed).
      if ((await storedCustomer(em, complaint.customer.id)).status === CustomerStatus.Erased) {
        throw new CustomerException(CustomerExceptionCode.Erased, `The personal data of customer ${complaint.customer.id} was erased: their complaints are not reopened`, { id: complaint.customer.id });
      }
      // Open, its reopening not followed up yet: the call that reopened it stopped after its commit, and this is its retry.
      if (!complaint.resolvedAt && complaint.reopenedAt && complaint.followUpPending) return complaint;
      if (!complaint.resolvedAt) throw new ComplaintException(ComplaintExceptionCode.NotResolved, `Complaint ${id} is open: only a resolved complaint can be reopened`, { id });
      if (reopenedAt < complaint.resolvedAt) {
        throw new ComplaintException(ComplaintExceptionCode.InvalidInput, 'reopenedAt must not be before the complaint was resolved', { field: 'reopenedAt' });
      }
      if (afterNow(reopenedAt)) throw new ComplaintException(ComplaintExceptionCode.InvalidInput, 'reopenedAt must not be in the future', { field: 'reopenedAt' });
      const before = { resolvedAt: complaint.resolvedAt.toISOString(), reopenedCount: complaint.reopenedCount };
      complaint.resolvedAt = null;
      complaint.reopenedCount += 1;
      complaint.reopenedAt = reopenedAt;
      // The reopening's own follow-up: a call still following up the complaint's recording leaves it pending for this one.
      complaint.followUpPending = true;
      complaint.followUpClaim = null;
      complaint.followUpClaimedAt = null;
      this.audit.record(em, { actor, action: 'complaint.reopen', entityType: 'complaint', entityId: id, before, after: { resolvedAt: null, reopenedCount: complaint.reopenedCount, reopenedAt: reopenedAt.toISOString() } });
      // Open again: a welcome still queued no longer asks whether everything works, nor a review's proposal to take a lesser service.
      await em.flush();
      await holdBackWelcomeAtComplaint(em, complaint.customer.id);
      await holdBackProposalAtComplaint(em, this.audit, complaint.customer.id, actor);
      return complaint;
    });
    await this.afterCommit(reopened.id, reopened.customer.id, reopened.topic);
    return reopened;
  }

  /**
   * A complaint filed by mistake (on the wrong customer, twice) is taken back: kept, with who withdrew it, when and why
   * (audited `complaint.withdraw`), but counted nowhere a complaint counts from now on (a persistent issue, the open
   * complaint that holds marketing back, the topics report, a fix case's listing), as of any day. A resolution does not do
   * this: a resolved complaint still counts toward a persistent issue. The customer is rescored at once, as after a new
   * complaint. In the same transaction (`tellCaseOfWithdrawnComplaint`) the customer's still-queued word that it was added to
   * their case is held back, and the owner of a fix case of its topic open under a running fix is told, by what the case
   * stands on (the complaints since the topic's earlier fix, or for a first case its persistent issue): that it may no
   * longer be needed (a run there only because of it holding back its still-queued word to the customer that a team works
   * on it), or, when it still stands, that this complaint they read (told of it, or shown it in the case's tasks) was not
   * the customer's. The run is not cancelled behind their back: the customer may have been told a team works on it. A second withdrawal is a CONFLICT
   * (COMPLAINT_ALREADY_WITHDRAWN).
   */
  async withdraw(id: string, reason: string, actor: string): Promise<Complaint> {
    const why = reason.trim();
    const problem = reasonProblem(why, 'A withdrawal needs a reason (e.g. "filed on the wrong customer", "a duplicate of CRM-123")');
    if (problem) throw new ComplaintException(ComplaintExceptionCode.InvalidInput, problem, { field: 'reason' });
    const withdrawn = await this.em.transactional(async (em) => {
      const complaint = await lockedComplaint(em, id);
      if (complaint.withdrawnAt) {
        throw new ComplaintException(ComplaintExceptionCode.AlreadyWithdrawn, `Complaint ${id} was withdrawn at ${complaint.withdrawnAt.toISOString()} by ${complaint.withdrawnBy}`, { id });
      }
      const at = new Date();
      Object.assign(complaint, { withdrawnAt: at, withdrawnBy: actor, withdrawnReason: why });
      // The topic as it stood when withdrawn: the timeline names it, whatever an import writes over the complaint later.
      this.audit.record(em, {
        actor,
        action: 'complaint.withdraw',
        entityType: 'complaint',
        entityId: id,
        before: { withdrawnAt: null, customerId: complaint.customer.id, topic: complaint.topic, resolvedAt: complaint.resolvedAt?.toISOString() ?? null },
        after: { withdrawnAt: at.toISOString(), reason: why, topic: complaint.topic },
      });
      await em.flush();
      const { rows } = await persistentTopics(sql<boolean>`k.customer_id = ${complaint.customer.id}::uuid and k.topic = ${complaint.topic}`, this.policies.scoring.persistentIssue).execute(em.getKysely());
      await tellCaseOfWithdrawnComplaint(em, this.audit, new OutboxService(), {
        customerId: complaint.customer.id,
        topic: complaint.topic,
        persistentWithout: rows.length > 0,
        actor,
        complaint: {
          id,
          ref: complaint.externalRef ?? id,
          severity: complaint.severity,
          summary: complaint.summary ?? null,
          openedAt: complaint.openedAt,
          reopenedAt: complaint.reopenedAt ?? null,
          resolvedAt: complaint.resolvedAt ?? null,
          reason: why,
        },
      });
      return complaint;
    });
    await this.scoring.rescoreAfterEvent(withdrawn.customer.id, COMPLAINT_SCORES);
    // A review whose proposal waits for nothing of theirs to be open proposes now, not at its next look.
    await this.triggers.complaintClosed(withdrawn.customer.id);
    return withdrawn;
  }
}

/** A withdrawn complaint (filed by mistake) is no one's to resolve or reopen: COMPLAINT_ALREADY_WITHDRAWN. */
function refuseWithdrawn(complaint: Complaint): void {
  if (complaint.withdrawnAt) {
    throw new ComplaintException(ComplaintExceptionCode.AlreadyWithdrawn, `Complaint ${complaint.id} was withdrawn at ${complaint.withdrawnAt.toISOString()}: it is neither resolved nor reopened`, { id: complaint.id });
  }
}

/**
 * The complaint a call with `ref` for the customer meets: the one not withdrawn that holds the reference (whoever's), else
 * one of this customer's withdrawn under it (sent again, it stays withdrawn). A complaint withdrawn from another customer
 * (filed on the wrong one) no longer holds its reference: none, and the call records the complaint where it belongs.
 */
async function storedUnderRef(em: EntityManager, ref: string, customerId: string): Promise<Complaint | null> {
  return (
    (await em.findOne(Complaint, { externalRef: ref, withdrawnAt: null })) ??
    (await em.findOne(Complaint, { externalRef: ref, customer: customerId, withdrawnAt: { $ne: null } }, { orderBy: { withdrawnAt: 'desc', id: 'asc' } }))
  );
}

/** The complaint stored under `ref`, when the call records the same one again; otherwise COMPLAINT_REF_TAKEN. */
function retried(stored: Complaint, customerId: string, ref: string, facts: ComplaintFacts): Complaint {
  if (stored.customer.id !== customerId) {
    throw new ComplaintException(ComplaintExceptionCode.RefTaken, `complaintRef ${ref} is complaint ${stored.id} of another customer`, { field: 'complaintRef', id: stored.id });
  }
  if (stored.withdrawnAt && !sameFacts(stored, facts)) {
    throw new ComplaintException(
      ComplaintExceptionCode.RefTaken,
      `complaintRef ${ref} is complaint ${stored.id} of this customer, withdrawn at ${stored.withdrawnAt.toISOString()}: it stays withdrawn; a new complaint takes another reference`,
      { field: 'complaintRef', id: stored.id },
    );
  }
  if (!sameFacts(stored, facts)) {
    throw new ComplaintException(
      ComplaintExceptionCode.RefTaken,
      `complaintRef ${ref} is complaint ${stored.id}, stored with another topic, severity, summary, openedAt or productDefect: a retry sends the same complaint, a new one another reference`,
      { field: 'complaintRef', id: stored.id },
    );
  }
  return stored;
}

/** The complaint, locked for this transaction, or NOT_FOUND. */
async function lockedComplaint(em: EntityManager, id: string): Promise<Complaint> {
  if (!isUuid(id)) throw new ComplaintException(ComplaintExceptionCode.NotFound, `"${echoed(id)}" is not a complaint ID`, { id: echoed(id), field: 'id' });
  const complaint = await em.findOne(Complaint, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  if (!complaint) throw new ComplaintException(ComplaintExceptionCode.NotFound, `No complaint with ID ${id}`, { id, field: 'id' });
  return complaint;
}
