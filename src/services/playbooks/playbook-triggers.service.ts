import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, type RawBuilder } from 'kysely';
import { campaignPlaybook } from '../../domain/campaigns/campaign.js';
import { DomainException } from '../../domain/errors/domain-exception.js';
import { teamTemplates } from '../../domain/messages/catalogue.js';
import { ACCOUNT_REVIEW } from '../../domain/playbooks/account-review.js';
import { APPRECIATION, type AppreciationPolicy } from '../../domain/playbooks/appreciation.js';
import { fixIssueBands, fixIssueSeverities, type TriggerPolicy } from '../../domain/playbooks/triggers.js';
import type { PersistentIssuePolicy } from '../../domain/scoring/persistent-issue.js';
import { LOSS_MAKING } from '../../domain/scoring/profitability.js';
import { holdoutDrawLockKey, inMeasuringHoldout } from '../facts/measuring-holdouts.js';
import { persistentTopics } from '../facts/current-complaints.js';
import { appreciationRunIdSql, fairReminderRunIdSql } from '../facts/run-ids.js';
import { disputeHoldsSql, judgedOverdueSql, openInvoiceSql, withinSweepWindow } from '../facts/invoice-facts.js';
import { hasOpenFixCase } from '../facts/customer-facts.js';
import { AuditService } from '../audit/audit.service.js';
import { OutboxService } from '../outbox/outbox.service.js';
import { addComplaintsToOpenCase, openCasesMissingComplaints } from './fix-case-complaints.js';
import { fixedBefore, noFixSince } from './playbook-run.service.js';
import type { PlaybookService } from './playbook.service.js';
import { PlaybookException, PlaybookExceptionCode } from './playbook.exception.js';

/**
 * The customer (row `c`) is not a control group member of a campaign of the playbook that still
 * measures: the sweep starting their run would end that campaign's comparison. Only for
 * playbooks campaigns hold back from (a fix is owed to everyone); a start by hand stays a
 * person's choice (the outcome's inPlaybookElsewhere counts it).
 */
function notHeldBack(playbook: string): RawBuilder<boolean> {
  return campaignPlaybook(playbook)?.holdout ? sql<boolean>`not ${inMeasuringHoldout('c.id', playbook)}` : sql<boolean>`true`;
}

/**
 * Finds the customers a trigger applies to, and starts their playbooks. The queries are the
 * eligibility rules of src/domain/playbooks/eligibility.ts for many customers at once, from the
 * same policy values; each start checks its customer by those rules again (a start by hand is
 * checked the same way), so one that no longer qualifies is skipped.
 */
export class PlaybookTriggerService {
  constructor(
    private readonly em: EntityManager,
    private readonly playbooks: PlaybookService,
    /** Audits a complaint added to an open fix case (the triggers' other work is audited by the starts). */
    private readonly audit: AuditService = new AuditService(),
  ) {}

  /**
   * Unpaid invoices at least `minDaysOverdue` and at most `maxDaysOverdue` (if given) days past
   * due that have no fair-reminder run yet (of customers not erased), by ID after `after`. A dispute's days do not count
   * as overdue (`judgedDueSql`, as payment loyalty judges it): a customer who disputed before the due day and was told the
   * invoice stands has the rest of their payment term, not a reminder the next morning.
   */
  async overdueInvoices(input: { after: string | null; limit: number; minDaysOverdue: number; maxDaysOverdue?: number }): Promise<string[]> {
    const { rows } = await sql<{ id: string }>`
      select i.id from invoice i join customer c on c.id = i.customer_id
       where ${sql.raw(openInvoiceSql('i'))} and ${judgedOverdueSql(input.minDaysOverdue)}
         and c.status <> 'erased'
         and ${withinSweepWindow(input.maxDaysOverdue)}
         -- Disputed (and not resolved), or a dispute upheld (billing corrects or cancels it): no reminders; a person decides.
         and not ${sql.raw(disputeHoldsSql('i'))}
         ${input.after ? sql`and i.id > ${input.after}::uuid` : sql``}
         and not exists (select 1 from playbook_run r where r.workflow_id = ${fairReminderRunIdSql(sql.ref('i.customer_id'), sql.ref('i.id'))})
       order by i.id limit ${input.limit}`.execute(this.em.getKysely());
    return rows.map((r) => r.id);
  }

  /**
   * Customers with a persistent issue (the same topic complained about `minComplaints` times,
   * or reopened, within the window; a complaint still open, or reopened in the window, counts
   * however old, as in the persistent-issue model) who are at risk or valuable by their current
   * scores (`fixIssueBands`: churn risk, RFM segment, payment loyalty or behaviour change), or who
   * said it is serious (a complaint counted of a severity of `fixIssueSeverities`), or whose topic had a fix before (it came back: the company sees it through), and
   * whose fix is due (none under way, none since the topic's last complaint: `noFixSince`),
   * unless their data was erased; keyset by (customer, topic); one customer's only, if given.
   */
  async persistentIssues(input: { after: string | null; limit: number; policy: TriggerPolicy; issue: PersistentIssuePolicy; customerId?: string }): Promise<{ customerId: string; topic: string }[]> {
    const [afterCustomer, afterTopic] = input.after ? (JSON.parse(input.after) as [string, string]) : [null, null];
    const customers = sql<boolean>`${input.customerId ? sql`k.customer_id = ${input.customerId}::uuid` : sql`true`}
      ${afterCustomer ? sql`and (k.customer_id, k.topic) > (${afterCustomer}::uuid, ${afterTopic})` : sql``}`;
    const { rows } = await sql<{ customer_id: string; topic: string }>`
      select pt.customer_id, pt.topic from (${persistentTopics(customers, input.issue)}) pt join customer c on c.id = pt.customer_id
       where c.status <> 'erased'
         and (${fixedBefore(sql.ref('pt.customer_id'), sql.ref('pt.topic'))}
              or pt.severities && ${fixIssueSeverities(input.policy.fixIssue)}::text[]
              or exists (select 1 from current_score s where s.customer_id = pt.customer_id
                          and (${sql.join(fixIssueBands(input.policy.fixIssue).map(({ kind, bands }) => sql`(s.kind = ${kind} and s.band = any(${bands}::text[]))`), sql` or `)})))
         and ${noFixSince(sql.ref('pt.customer_id'), sql.ref('pt.topic'), sql.ref('pt.last_complained_at'))}
       order by pt.customer_id, pt.topic limit ${input.limit}`.execute(this.em.getKysely());
    return rows.map((r) => ({ customerId: r.customer_id, topic: r.topic }));
  }

  /**
   * The sweep's catch-up of complaints that came in while a fix case of their topic was open without being added to it
   * (a command-line import, which has no follow-up; a follow-up that failed): for the open cases of customers and topics
   * from after `after` up to `upTo` (the persistent-issue page's keyset range, so the sweep's pages cover every case
   * once), at most `limit` of those missing one, each complaint is added as `complaintReceived` adds it (its owner told,
   * the customer too; once per complaint, `addComplaintsToOpenCase`). A case beyond the limit is caught up by the next
   * sweep. Answers the complaints added.
   */
  async addComplaintsToOpenCases(input: { after: string | null; upTo: string | null; limit: number }): Promise<number> {
    const key = (k: string | null) => (k ? (JSON.parse(k) as [string, string]) : null);
    const cases = await openCasesMissingComplaints(this.em.fork(), { after: key(input.after), upTo: key(input.upTo), limit: input.limit });
    let added = 0;
    for (const { customerId, topic } of cases) added += (await addComplaintsToOpenCase(this.em.fork(), this.audit, new OutboxService(), customerId, topic)).length;
    return added;
  }

  async startFixIssues(issues: { customerId: string; topic: string }[]): Promise<{ started: number; skipped: number }> {
    return this.startEach(issues, ({ customerId, topic }) => this.playbooks.launchFixIssue(customerId, topic));
  }

  /**
   * A complaint was just recorded or reopened. A fix of its topic waiting for its check-back
   * hears that it did not hold; if the complaint made the topic persistent (or brought it back
   * after its last fix) for a customer at risk or valuable, or one who said it is serious (the sweep's own rule), the fix
   * starts now instead of at the next sweep. A fix its record says is under way that the engine
   * had ended (terminated in the Temporal UI) is recorded ended first, so the complaint starts the
   * topic's next run as the sweep would. `untold` names a fix that should have heard of the complaint
   * and did not, with no run started for it: the complaint waits for the next sweep (the caller warns). A complaint while
   * the topic's fix case is open, the fix still to come, is added to the case: its owner is told of it and the customer
   * that it was (`addComplaintsToOpenCase`), where before it reached nobody until the fix.
   */
  async complaintReceived(customerId: string, topic: string, policy: TriggerPolicy, issue: PersistentIssuePolicy): Promise<{ started: number; skipped: number; untold: string | null }> {
    const told = await this.playbooks.reportIssueRecurred(customerId, topic);
    const starts = await this.startFixIssues(await this.persistentIssues({ after: null, limit: 100, policy, issue, customerId }));
    await addComplaintsToOpenCase(this.em.fork(), this.audit, new OutboxService(), customerId, topic);
    // Fix first, thank later: a thank-you waiting for the morning hears of it now (best effort: it asks the guard at its deadline anyway).
    await this.playbooks.tellThankYouOfComplaint(customerId).catch(() => []);
    // A review's proposal the complaint held back never reached the customer: the review hears of it now (best effort: it looks at the end of its answer wait anyway).
    await this.playbooks.tellReviewsOfHeldProposal(customerId).catch(() => []);
    return { ...starts, untold: told.outcome === 'untold' && starts.started === 0 ? told.workflowId : null };
  }

  /**
   * A complaint was withdrawn or resolved: an account review whose proposal waits for nothing of the customer's to be open
   * hears of it now (best effort: it looks again at its next look anyway).
   */
  async complaintClosed(customerId: string): Promise<void> {
    await this.playbooks.tellReviewsOfClosedComplaint(customerId).catch(() => []);
  }

  /**
   * Active customers whose current profitability is loss-making, without a review running or finished within the cooldown,
   * nor a fix of theirs under way (fix first), nor held back by a review campaign that still measures.
   */
  async lossMakingAccounts(input: { after: string | null; limit: number; policy: TriggerPolicy }): Promise<string[]> {
    const { rows } = await sql<{ id: string }>`
      select c.id from current_score s join customer c on c.id = s.customer_id
       where s.kind = 'profitability' and s.band = ${LOSS_MAKING} and c.status = 'active'
         ${input.after ? sql`and c.id > ${input.after}::uuid` : sql``}
         and not exists (select 1 from playbook_run r where r.customer_id = c.id and r.playbook = ${ACCOUNT_REVIEW}
                          and (r.status = 'running' or r.finished_at > now() - make_interval(days => ${input.policy.accountReviewCooldownDays})))
         and not ${hasOpenFixCase('c.id')}
         and ${notHeldBack(ACCOUNT_REVIEW)}
       order by c.id limit ${input.limit}`.execute(this.em.getKysely());
    return rows.map((r) => r.id);
  }

  async startAccountReviews(customerIds: string[]): Promise<{ started: number; skipped: number }> {
    return this.startEach(customerIds, (id) => this.playbooks.launchAccountReview(id, { claim: (em) => assertNotHeldBackNow(em, id, ACCOUNT_REVIEW) }));
  }

  /**
   * Long-standing customers in a loyal payment band who have not heard from us for a while (no
   * message to them written in that time that the guard did not hold back; tasks for our own
   * teams are not contact), who take marketing (a thank-you carries an offer), not yet thanked this
   * year, and in no other playbook: not a loss-making account (the same sweep starts its account
   * review, whose proposal a thank-you must not meet), nor one with another run under way (last
   * year's thank-you still waiting for the guard included); nor held back by a thank-you campaign that still measures.
   */
  async silentLoyalCustomers(input: { after: string | null; limit: number; policy: AppreciationPolicy }): Promise<string[]> {
    const year = new Date().getUTCFullYear();
    const { rows } = await sql<{ id: string }>`
      select c.id from current_score s join customer c on c.id = s.customer_id
       where s.kind = 'payment-loyalty' and s.band = any(${input.policy.loyaltyBands}::text[]) and c.status = 'active' and c.marketing_consent
         and c.acquired_at <= current_date - ${input.policy.minTenureDays}::int
         ${input.after ? sql`and c.id > ${input.after}::uuid` : sql``}
         and not exists (select 1 from outbox_message m where m.customer_id = c.id and m.created_at > now() - make_interval(days => ${input.policy.silentDays})
                            and m.suppressed_at is null and m.template not in (${sql.join(teamTemplates.map((t) => sql`${t}`))}))
         and not exists (select 1 from playbook_run r where r.workflow_id = ${appreciationRunIdSql(sql.ref('c.id'), sql`${year}::int`)})
         and not exists (select 1 from current_score p where p.customer_id = c.id and p.kind = 'profitability' and p.band = ${LOSS_MAKING})
         and not exists (select 1 from playbook_run r where r.customer_id = c.id and r.status = 'running')
         and ${notHeldBack(APPRECIATION)}
       order by c.id limit ${input.limit}`.execute(this.em.getKysely());
    return rows.map((r) => r.id);
  }

  async startAppreciations(customerIds: string[]): Promise<{ started: number; skipped: number }> {
    return this.startEach(customerIds, (id) => this.playbooks.launchAppreciation(id, { claim: (em) => assertNotHeldBackNow(em, id, APPRECIATION) }));
  }

  /** Starts fair reminders for each invoice; one paid or changed meanwhile is skipped, not an error. */
  async startFairReminders(invoiceIds: string[]): Promise<{ started: number; skipped: number }> {
    return this.startEach(invoiceIds, (id) => this.playbooks.launchFairReminder(id));
  }

  /** Starts a playbook for each candidate; one that no longer qualifies (a domain error other than an outage) is skipped. */
  private async startEach<T>(candidates: T[], start: (candidate: T) => Promise<unknown>): Promise<{ started: number; skipped: number }> {
    let started = 0;
    for (const candidate of candidates) {
      try {
        await start(candidate);
        started++;
      } catch (error) {
        if (!(error instanceof DomainException) || error.kind === 'UNAVAILABLE') throw error;
      }
    }
    return { started, skipped: candidates.length - started };
  }
}

/**
 * No campaign of the playbook holds the customer back now, checked just before their start:
 * finding and starting are separate steps (a start may be retried long after, while the engine
 * is away), and a campaign page may draw them into its holdout in between, or while the batch
 * before them starts. The check takes the lock a page holds while it draws, in the transaction
 * that records the start (LaunchOptions.claim), and holds it until the run is recorded and
 * started: a page that drew before it is seen (the customer is skipped, as one that no longer
 * qualifies is), and a page drawing after it waits, then sees the run (a thank-you's page leaves
 * the customer out as already thanked: its holdout is not one the sweep thanked).
 */
async function assertNotHeldBackNow(em: EntityManager, customerId: string, playbook: string): Promise<void> {
  const tx = em.getKysely();
  await sql`select pg_advisory_xact_lock(hashtextextended(${holdoutDrawLockKey(playbook)}, 0))`.execute(tx);
  const { rows } = await sql<{ free: boolean }>`select ${notHeldBack(playbook)} as free from customer c where c.id = ${customerId}::uuid`.execute(tx);
  if (!(rows[0]?.free ?? false)) {
    throw new PlaybookException(PlaybookExceptionCode.NotEligible, `Customer ${customerId} is in the holdout of a ${playbook} campaign that still measures`, { customerId, playbook });
  }
}
