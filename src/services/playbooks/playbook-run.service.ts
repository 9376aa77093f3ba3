import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, type RawBuilder } from 'kysely';
import { notOverdueSql } from '../facts/invoice-facts.js';
import { FAIR_REMINDER, fairReminderWorkflowId, promiseEndsAt, type PaymentPromisePolicy } from '../../domain/playbooks/fair-reminder.js';
import { FIX_ISSUE } from '../../domain/playbooks/fix-issue.js';
import { fixIssueRunIdSql, messageOfRunSql } from '../facts/run-ids.js';
import { givenUpSql } from '../facts/outbox-facts.js';
import { complainedSinceFixed } from '../facts/current-complaints.js';
import { stepMessageKey, stepMessageKeyParts } from '../../domain/playbooks/run-id.js';
import { ACCOUNT_REVIEW } from '../../domain/playbooks/account-review.js';
import { APPRECIATION } from '../../domain/playbooks/appreciation.js';
import { WELCOME_CHECK } from '../../domain/playbooks/welcome-check.js';
import { CONSENT_ACTIONS } from '../../domain/customers/contact.js';
import { Customer, FixCase, FixCaseStatus, OutboxMessage, PlaybookRun } from '../../entities/index.js';
import { latestOccurrence, occurrenceOf } from '../../domain/playbooks/occurrence.js';
import { CANCELLED_OUTCOME, RESET_UNDONE, RUN_CANCELLED, heldBackByRunStop, runEndedInEngine, runEndedReason, type EndedInEngine } from '../../domain/playbooks/run-status.js';
import { offboardingAnnouncementTemplates, offboardingCompletionTemplates, PROMISED_TO_PAY, PROPOSAL_HELD_AT_COMPLAINT, proposalAnsweredBeforeItWent, runEndTemplates, untilPaidTemplates, untilRunEndsTemplates } from '../../domain/messages/catalogue.js';
import { writtenSinceLastReset, type AuditRecord, type AuditService, type UnsettledCall } from '../audit/audit.service.js';
import { engineMayHaveTakenIt } from '../engines/engine-errors.js';
import { ChildPager } from '../common/child-pages.js';
import type { Page, PageArgs } from '../common/pagination.js';
import type { EndUndone, HowReset, LaunchedRun, StartedRun } from '../engines/playbook-engine.js';
import { decisionReason } from './offboarding-decision.js';
import { lastOffboardingWord, offboardingStands, withdrawOffboarding } from './offboarding-withdrawal.js';
import { proposalHeldBackAtDelivery, type OffboardingDecision } from '../../domain/playbooks/account-review.js';
import { failIfReset } from './running-run.js';
import { cancelOpenFixCase, cancelReason } from './fix-case-cancel.js';
import { OutboxService } from '../outbox/outbox.service.js';
import { eraseKeptDecisionReasons } from './final-state.js';
import { RunStatus } from '../../domain/playbooks/run-status.js';
import type { FinalRunState } from '../../domain/playbooks/run-state.js';
import { runActor, engineActor } from '../../domain/auth/roles.js';

/**
 * A fix of a customer's complaint topic is due unless one is under way, or one worked on it
 * after its last complaint (opened or reopened): so the first fix, and a new one when the
 * issue comes back after the last fix was resolved (or its run ended without a fix). A run
 * cancelled or terminated before its fix counts as worked on until the next complaint, so the
 * sweep does not undo an operator's cancel; a person's start does start the next (`fixNotSpent`).
 */
export function noFixSince(customerId: RawBuilder<unknown>, topic: RawBuilder<unknown>, lastComplaintAt: RawBuilder<unknown>): RawBuilder<boolean> {
  return sql<boolean>`not exists (
    select 1 from playbook_run r left join fix_case fc on fc.workflow_id = r.workflow_id
     where ${fixRunsOf(customerId, topic)} and (r.status = 'running' or coalesce(fc.resolved_at, r.finished_at) >= ${lastComplaintAt}))`;
}

/**
 * Whether a launch starts a new fix of the customer's topic (a key) rather than joining the last
 * one: `noFixSince` the topic's last complaint (the launch's rule, and the campaign preview's).
 */
export function fixDue(customerId: RawBuilder<unknown>, topic: RawBuilder<unknown>): RawBuilder<boolean> {
  const lastComplaint = sql`coalesce((select max(coalesce(k.reopened_at, k.opened_at)) from complaint k where k.customer_id = ${customerId} and k.topic = ${topic} and k.withdrawn_at is null), '-infinity')`;
  return noFixSince(customerId, topic, lastComplaint);
}

/** The topic had a fix before: the company took the issue on, so it sees it through when it comes back. */
export function fixedBefore(customerId: RawBuilder<unknown>, topic: RawBuilder<unknown>): RawBuilder<boolean> {
  return sql<boolean>`exists (select 1 from playbook_run r where ${fixRunsOf(customerId, topic)})`;
}

/** The fix-issue runs (`r`) of a customer's topic: the first one's ID and its later occurrences. */
function fixRunsOf(customerId: RawBuilder<unknown>, topic: RawBuilder<unknown>): RawBuilder<boolean> {
  const base = fixIssueRunIdSql(customerId, topic);
  return sql<boolean>`r.customer_id = ${customerId} and r.playbook = ${FIX_ISSUE} and (r.workflow_id = ${base} or starts_with(r.workflow_id, ${base} || '/'))`;
}

/** What a person did to a run by hand, as the audit log names it. */
export type PlaybookAction = 'playbook.start' | 'playbook.confirm-welcome' | 'playbook.promise-to-pay' | 'playbook.resolve-issue' | 'playbook.answer-proposal' | 'playbook.decide-offboarding' | 'playbook.end-offboarding-notice' | 'playbook.cancel';

/**
 * How much earlier than the engine's start of its execution a run may be recorded: a person's
 * start records the run just before the engine starts it. An execution that started later than
 * that was started by a reset.
 */
const RECORDED_BEFORE_START_MS = 60_000;

/** SQL: the audit entry `alias` about run `workflowId` (an SQL expression) was written after the run's last reset (`writtenSinceLastReset`). */
const SINCE_LAST_RESET = (alias: string, workflowId: string) => writtenSinceLastReset(alias, 'playbook_run', workflowId, 'playbook.reset-in-engine');

/**
 * How long a person's call to a run may be under way (the engine's answer, the wait for the run to act): an entry
 * pending for longer was left by a process that died, which a retry joins; one younger belongs to a request under way.
 */
const CALL_UNDER_WAY = `interval '15 seconds'`;
/** SQL: the entry (`alias`) of a call the run took, or that may still be under way (pending or unknown, for as long as a call and its client's tries take). */
const TAKEN_OR_UNDER_WAY = (alias: string) =>
  `(${alias}.after->>'outcome' is null or ${alias}.after->>'outcome' = 'taken' or (${alias}.after->>'outcome' in ('pending', 'unknown') and ${alias}.at > now() - ${CALL_UNDER_WAY}))`;
/** SQL: the entry (`alias`) of a call whose outcome nobody knows any more: pending or unknown for longer than a call takes. */
const UNSETTLED_LONG_AGO = (alias: string) => `(${alias}.after->>'outcome' in ('pending', 'unknown') and ${alias}.at <= now() - ${CALL_UNDER_WAY})`;
/**
 * Settling a call's entry after the engine answered is bookkeeping the reconciliation does again: its failure (the
 * database away a moment) never replaces the call's own answer, and the entry stays pending or unknown until then.
 */
async function settling(work: Promise<unknown>): Promise<void> {
  await work.catch(() => undefined);
}

/** SQL: the entry (`alias`) of a call whose outcome nobody knows: of unknown outcome, or left pending by a process that died. A retry joins it. */
const JOINABLE = (alias: string) => `(${alias}.after->>'outcome' = 'unknown' or (${alias}.after->>'outcome' = 'pending' and ${alias}.at <= now() - ${CALL_UNDER_WAY}))`;

/** How far the worker's clock (a message's creation, a tier change) and the engine's (the point a run was reset to) may be apart. */
const CLOCK_LEEWAY_MS = 1_000;

/** A fix-issue run's case as the reset run's own state has it: waiting for its fix again or past it, with whom and after how many escalations. */
export interface FixCaseAfterReset {
  awaitsFix: boolean;
  owner: string | null;
  escalations: number;
}

/** The database record of playbook runs. Every write is idempotent: activities may be retried. */
export class PlaybookRunService {
  private readonly pager: ChildPager<PlaybookRun>;

  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    /** When delivery gives up on a message (the delivery policy's). */
    private readonly maxAttempts: number,
    /** How long a promise to pay holds a reminder run (the fair-reminder policy's). */
    private readonly promise: PaymentPromisePolicy,
  ) {
    this.pager = new ChildPager(em, PlaybookRun, {
      tag: 'playbook-runs',
      table: 'playbook_run',
      parentColumn: 'customer_id',
      orderColumn: 'started_at',
      orderType: 'timestamptz',
      orderProperty: 'startedAt',
    });
  }

  /** A customer's playbook runs, newest first (batched across a page of customers). */
  async forCustomer(customerId: string, args: PageArgs): Promise<Page<PlaybookRun>> {
    return this.pager.page(customerId, args);
  }

  /**
   * The run's start, recorded by its first step (again: its start recorded it already, unless it started
   * before starts were recorded so), with the campaign whose start created it (the
   * run's `CampaignId` tag; none for the sweep's and a person's): a campaign's runs started and
   * joined count by it. A campaign deleted meanwhile is not named; a record a person's start
   * wrote first gets the campaign if a campaign's start created the run at the same moment.
   */
  async recordStarted(input: { workflowId: string; playbook: string; customerId: string; campaignId?: string | null }): Promise<void> {
    await this.em.execute(
      `insert into playbook_run (id, workflow_id, playbook, customer_id, status, started_at, campaign_id)
       values (?, ?, ?, ?, 'running', now(), (select id from campaign where id = ?::uuid))
       on conflict (workflow_id) do update set campaign_id = coalesce(playbook_run.campaign_id, excluded.campaign_id)
        where playbook_run.campaign_id is null and excluded.campaign_id is not null`,
      [randomUUID(), input.workflowId, input.playbook, input.customerId, input.campaignId ?? null],
    );
  }

  /**
   * The run's end: cancelled when an operator cancelled it, completed otherwise. A cancelled run
   * sends nothing more: its queued messages are held back, its open fix case cancelled; a completed one holds back those that
   * ask what it waited for (a welcome still held for quiet hours when the customer confirmed, or at the end of the wait,
   * when a person calls instead), with why by how it ended (`runEndedReason`).
   * The run's state as it ended (`finalState`) is kept with the record, for when Temporal has deleted
   * the closed execution: also when the record says the run ended already as this end says (a cancel
   * through the API, recorded as Temporal took it; a reset run ending again before the reconciliation
   * saw it), as the engine would answer for its last execution; with a reason typed about the customer
   * erased when they were (the run may wind down after the erasure).
   */
  async recordOutcome(input: { workflowId: string; outcome: string; finalState?: FinalRunState | null }): Promise<void> {
    const status = input.outcome === CANCELLED_OUTCOME ? RunStatus.Cancelled : RunStatus.Completed;
    await this.em.transactional(async (em) => {
      // A run reset after its end was recorded from the engine records its own end once the reconciliation has recorded it running again.
      const [run] = await em.execute<{ status: string }[]>(`select status from playbook_run where workflow_id = ? for update`, [input.workflowId]);
      if (run) failIfReset(input.workflowId, run.status);
      await em.nativeUpdate(PlaybookRun, { workflowId: input.workflowId, status: RunStatus.Running }, { status, outcome: input.outcome, finishedAt: new Date() });
      // Kept only where the record ended as this end says: a cancel that came while a completed run wound down (its
      // handlers finishing) does not replace the state it completed in.
      if (input.finalState) {
        await em.nativeUpdate(PlaybookRun, { workflowId: input.workflowId, status }, { finalState: input.finalState as unknown as Record<string, unknown> });
        // Only an account review's decision typed in the Temporal UI carries a reason about the customer.
        if (typeof (input.finalState as { decision?: { reason?: unknown } | null }).decision?.reason === 'string') await eraseKeptDecisionReasons(em, { workflowId: input.workflowId });
      }
      if (status === RunStatus.Cancelled) {
        await this.holdBackQueuedMessages(em, input.workflowId, RUN_CANCELLED);
        // A step that failed after the cancel (its attempt timed out) may still be writing in the worker: the case it opens or
        // reopens before this (it holds the run's record meanwhile) leaves the team's queue here; after this, it writes nothing.
        // (Told to the case's owner, if the customer was promised word, as the cancel's own step does: `cancelOpenFixCase`.)
        await cancelOpenFixCase(em, new OutboxService(), input.workflowId, await cancelReason(em, input.workflowId));
      } else await this.holdBackQueuedMessages(em, input.workflowId, runEndedReason(input.outcome), untilRunEndsTemplates);
    });
  }

  /**
   * An operator's cancel through the platform, recorded in the transaction that audits it once
   * the engine took it (`audited`, which holds the run's record): the run counts as cancelled
   * from then on, even before it winds down, so a step of it still under way writes nothing
   * (`runStillRunning`), and its queued messages are held back at once.
   */
  async recordCancelTaken(em: EntityManager, workflowId: string): Promise<void> {
    const updated = await em.nativeUpdate(PlaybookRun, { workflowId, status: RunStatus.Running }, { status: RunStatus.Cancelled, outcome: CANCELLED_OUTCOME, finishedAt: new Date() });
    if (updated > 0) await this.holdBackQueuedMessages(em, workflowId, RUN_CANCELLED);
  }

  /**
   * Whether an account review has carried out its offboarding (the customer offboarded, the final invoice's task and the
   * data export written: its export, written only then, is there). Read under the run's record, which the completion holds
   * (FOR SHARE) until it commits, it is final: a cancel that comes after it is too late, the contract has ended.
   */
  async offboardingCarriedOut(workflowId: string): Promise<boolean> {
    const [row] = await this.em.execute<{ done: boolean }[]>(`select exists (select 1 from customer_export where workflow_id = ?) as done`, [workflowId]);
    return row.done;
  }

  /**
   * The end of a run that could not record it (failed, terminated in the Temporal UI, timed
   * out), taken from the engine: as a cancel, it sends nothing more, its open fix case leaves
   * the team's queue and an account review's offboarding under notice is withdrawn; audited with the reason the engine kept and who gave it. False
   * when the record no longer says running (recorded before): nothing changes.
   */
  async recordEndedInEngine(input: { workflowId: string; status: EndedInEngine; closedAt: Date; reason: string | null; by: string | null; runId?: string | null }): Promise<boolean> {
    return this.em.transactional(async (em) => {
      const updated = await em.nativeUpdate(PlaybookRun, { workflowId: input.workflowId, status: RunStatus.Running }, { status: input.status, outcome: input.status, finishedAt: input.closedAt });
      if (updated === 0) return false;
      await this.holdBackQueuedMessages(em, input.workflowId, runEndedInEngine(input.status));
      // A customer promised word when the fix is done hears what happens now from the case's owner, as after a cancel.
      const how = input.status.replace('_', ' ');
      await cancelOpenFixCase(em, new OutboxService(), input.workflowId, input.reason ?? `the run ${how} in the workflow engine`, how);
      const run = await em.findOneOrFail(PlaybookRun, { workflowId: input.workflowId });
      if (run.playbook === ACCOUNT_REVIEW) {
        const reason = input.reason ?? `the run ${input.status.replace('_', ' ')} in the workflow engine`;
        await withdrawOffboarding(em, this.audit, { workflowId: input.workflowId, customerId: run.customer.id, by: engineActor(input.by), reason });
      }
      this.audit.record(em, endInEngineEntry(input.workflowId, { ...input, at: input.closedAt }));
      return true;
    });
  }

  /**
   * Of these executions, those that may have been started by a reset not audited yet: a later
   * execution of the run than another one listed, or one that started well after the run's
   * record (a run is recorded by its first step, or just before its start by a person); and,
   * under way, one whose record says the run ended (a reset of an ended run, or a cancel
   * winding down) or, for a fix, that started after its case was resolved. (A closed execution
   * whose record says ended is no candidate by that alone: every run that ended would be one.)
   * With the record's playbook.
   */
  async resetCandidates(started: StartedRun[]): Promise<Array<StartedRun & { playbook: string }>> {
    if (started.length === 0) return [];
    const { rows } = await sql<{ run_id: string; playbook: string }>`
      select e.run_id, r.playbook
        from (select *, min(started_at) over (partition by workflow_id) as first_started
                from unnest(${started.map((r) => r.workflowId)}::text[], ${started.map((r) => r.runId)}::text[], ${started.map((r) => r.startedAt.toISOString())}::timestamptz[], ${started.map((r) => r.running)}::boolean[])
                  as x(workflow_id, run_id, started_at, running)) e
        join playbook_run r on r.workflow_id = e.workflow_id
        left join fix_case fc on fc.workflow_id = r.workflow_id
       where (e.started_at > e.first_started or e.started_at > r.started_at + make_interval(secs => ${RECORDED_BEFORE_START_MS / 1000})
              or (e.running and (r.status <> 'running' or (fc.status = 'resolved' and e.started_at > fc.resolved_at))))
         and not exists (select 1 from audit_entry a where a.entity_type = 'playbook_run' and a.entity_id = e.workflow_id and a.action = 'playbook.reset-in-engine' and a.after->>'runId' = e.run_id)`.execute(this.em.getKysely());
    const byRunId = new Map(started.map((run) => [run.runId, run]));
    return rows.map((r) => ({ ...byRunId.get(r.run_id)!, playbook: r.playbook }));
  }

  /**
   * A reset in the Temporal UI or CLI that made the run run again from an earlier point (its
   * execution `runId`), audited once as `playbook.reset-in-engine` with who reset it and why.
   * A run whose end was recorded before the reset runs again: its record says running (outcome,
   * end and the state it ended in cleared), so its steps write again and it can be cancelled, a fix case its end
   * cancelled is open again, and the messages its end held back go out after all
   * (`releaseHeldBackByStop`, named in the entry as `messagesReleased`). A fix case follows the
   * reset run's own state (`alignFixCase`: `fixReopened`, `fixResolvedAgain` in the entry). An account review's tier change after the point reset to stays, named
   * in the entry (`tierChangeKept`). A reset execution that closed before this came by
   * (`running` false: a thank-you done again in a second, a reset run terminated again) is
   * audited alone, with how that execution ended (`endedAs`; another reset may have the run under
   * way again): its record keeps how the run ended. False when audited before.
   */
  async recordResetInEngine(input: {
    workflowId: string;
    runId: string;
    running: boolean;
    endedAs: RunStatus | null;
    reset: HowReset;
    fixCase: FixCaseAfterReset | null;
    /** A fair reminder's: whether the reset run holds a promise to pay (null for other playbooks). */
    promiseHeld: boolean | null;
    /** How the execution the reset replaced had ended by someone's hand (or failed), if it had (`PlaybookEngine.endUndoneByReset`). */
    endUndone?: EndUndone | null;
  }): Promise<boolean> {
    return this.em.transactional(async (em) => {
      // The run's record first (as every writer of the run takes it), then its case.
      const [run] = await em.execute<{ status: RunStatus; finished_at: Date | null; playbook: string; customer_id: string }[]>(
        `select status, finished_at, playbook, customer_id from playbook_run where workflow_id = ? for update`,
        [input.workflowId],
      );
      if (!run) return false;
      if (await this.audit.hasEntry(em, { entityType: 'playbook_run', entityId: input.workflowId, action: 'playbook.reset-in-engine', after: ['runId', input.runId] })) return false;
      // An end recorded after the reset (a cancel of the reset run) is that run's own: it stays.
      const reopened = input.running && run.status !== RunStatus.Running && run.finished_at != null && new Date(run.finished_at) <= input.reset.at;
      if (reopened) {
        await em.nativeUpdate(PlaybookRun, { workflowId: input.workflowId }, { status: RunStatus.Running, outcome: null, finishedAt: null, finalState: null });
        await em.nativeUpdate(FixCase, { workflowId: input.workflowId, status: FixCaseStatus.Cancelled }, { status: FixCaseStatus.Open });
      }
      const heldBack = input.running ? await this.holdBackUndoneByReset(em, input.workflowId, input.reset) : [];
      const released = reopened ? await this.releaseHeldBackByStop(em, { workflowId: input.workflowId, customerId: run.customer_id, playbook: run.playbook }, input.reset.from) : [];
      const promiseHoldsReleased = input.promiseHeld === false ? await this.releaseHeldForPromise(em, { workflowId: input.workflowId, customerId: run.customer_id }, input.reset.from) : [];
      const tierChangeKept = run.playbook === ACCOUNT_REVIEW ? await this.tierChangeSince(em, { workflowId: input.workflowId, customerId: run.customer_id }, input.reset) : null;
      const { caseReopened, caseResolvedAgain } = input.fixCase ? await this.alignFixCase(em, input.workflowId, input.fixCase, input.reset) : { caseReopened: false, caseResolvedAgain: false };
      if (input.endUndone) await this.auditEndUndone(em, input.workflowId, input.endUndone, input.runId, input.reset);
      this.audit.record(em, {
        actor: engineActor(input.reset.by),
        action: 'playbook.reset-in-engine',
        entityType: 'playbook_run',
        entityId: input.workflowId,
        after: {
          runId: input.runId,
          reason: input.reset.reason,
          resetAt: input.reset.at.toISOString(),
          status: reopened ? RunStatus.Running : input.running ? run.status : (input.endedAs ?? run.status),
          ...(reopened ? { endUndone: run.status } : {}),
          ...(caseReopened ? { fixReopened: true } : {}),
          ...(caseResolvedAgain ? { fixResolvedAgain: true } : {}),
          ...(released.length > 0 ? { messagesReleased: released } : {}),
          ...(heldBack.length > 0 ? { messagesHeldBack: heldBack } : {}),
          ...(promiseHoldsReleased.length > 0 ? { promiseHoldsReleased } : {}),
          ...(tierChangeKept ? { tierChangeKept } : {}),
        },
      });
      await em.flush();
      return true;
    });
  }

  /**
   * The end a reset undid before any pass saw it (a cancel or termination in the Temporal UI or CLI, made by mistake, or a
   * failure): audited as a pass would have (`playbook.cancel-in-engine`, `playbook.ended-in-engine`, by `temporal:<identity>`
   * with the reason given), dated when it happened, naming the execution it ended (`runId`) and the reset's (`undoneByReset`).
   * It had effects meanwhile (a cancelled run recorded its end and held back its messages; the invoice was left to people):
   * who did it, when and why belongs in the log. Once per execution: not when a pass audited it before the reset (by its
   * `runId`; entries written before runs were named so, within the end and the reset).
   */
  private async auditEndUndone(em: EntityManager, workflowId: string, end: EndUndone, resetRunId: string, reset: HowReset): Promise<void> {
    const [{ audited }] = await em.execute<{ audited: boolean }[]>(
      `select exists (select 1 from audit_entry where entity_type = 'playbook_run' and entity_id = ? and action in ('playbook.cancel-in-engine', 'playbook.ended-in-engine')
                         and (after->>'outcome') is distinct from 'not-taken'
                         and (after->>'runId' = ? or (after->>'runId' is null and at between ? and ?))) as audited`,
      [workflowId, end.runId, new Date(end.at.getTime() - CLOCK_LEEWAY_MS), new Date(reset.at.getTime() + CLOCK_LEEWAY_MS)],
    );
    if (!audited) this.audit.record(em, { ...endInEngineEntry(workflowId, { ...end, undoneByReset: resetRunId }), at: end.at });
  }

  /**
   * The fix case follows the reset run, as its own state says. A run that waits for its fix again
   * has its case open (one resolved before the reset opens again: the reset undid the resolution;
   * the next one dates it). A run past its fix (reset to before a recurrence signalled by mistake)
   * has its case resolved again, where the recurrence had reopened it one level up: dated at the
   * point reset to, as the reopening cleared the fix's own time. Either way the owner and
   * escalations are the run's (a reset to before an escalation takes it back).
   */
  private async alignFixCase(em: EntityManager, workflowId: string, run: FixCaseAfterReset, reset: HowReset): Promise<{ caseReopened: boolean; caseResolvedAgain: boolean }> {
    const caseReopened =
      run.awaitsFix && (await em.nativeUpdate(FixCase, { workflowId, status: FixCaseStatus.Resolved, resolvedAt: { $lte: reset.at } }, { status: FixCaseStatus.Open, resolvedAt: null, confirmedAt: null })) > 0;
    const caseResolvedAgain = !run.awaitsFix && (await em.nativeUpdate(FixCase, { workflowId, status: FixCaseStatus.Open }, { status: FixCaseStatus.Resolved, resolvedAt: reset.from })) > 0;
    if (run.owner) await em.nativeUpdate(FixCase, { workflowId, status: { $ne: FixCaseStatus.Cancelled } }, { owner: run.owner, escalations: run.escalations });
    return { caseReopened, caseResolvedAgain };
  }

  /**
   * The messages still queued (held for quiet hours, retried) of steps after the point a run under way was reset to:
   * the reset undid those steps (an operator reset to before a fix reported by mistake, not to take it), so what they
   * wrote is held back (`RESET_UNDONE`), as a stop holds back a run's messages: "it is fixed" must not reach a customer
   * whose case is open again, and the real fix says so itself. A step the reset run takes again releases its message
   * (`OutboxService.enqueueStep`), also one it took before the reset was recorded (found again after the reset: left to
   * go). After the point on the engine's clock alone: the step scheduled after the start of the task reset to (the steps
   * that very task began are undone too: a reset to the task that took a `resolveIssue` by mistake, the update left out,
   * runs that task again without it), an earlier step scheduled by an earlier task; a worker whose clock runs ahead of
   * the engine's does not make an earlier step's message look undone. (A message written outside a step, or before steps
   * carried their schedule, goes by when it was written.) Scheduled before the reset (what the reset run writes is its own). What tells the customer how the run ended,
   * and what an offboarding carried out owes, stay (`holdBackQueuedMessages`): a reset does not undo a withdrawal or an
   * offboarding. The steps held back.
   */
  private async holdBackUndoneByReset(em: EntityManager, workflowId: string, reset: HowReset): Promise<string[]> {
    const undone = sql<boolean>`coalesce(m.step_scheduled_at, m.created_at) > ${reset.from} and coalesce(m.step_scheduled_at, m.created_at) <= ${reset.at}
      and (m.taken_again_at is null or m.taken_again_at <= ${reset.at})`;
    return this.holdBackQueuedMessages(em, workflowId, RESET_UNDONE, undefined, undone);
  }

  /**
   * The messages of a run its stop held back (cancelled, failed, terminated, timed out), once a
   * reset made it run again: released (to go out, unless a guard holds them at delivery) when
   * a step before the point it was reset to wrote them. The reset run does not take those steps
   * again and goes on as if they had gone out (waits for an answer to its welcome, keeps the
   * fee booked with its reminder). Those of later steps stay held back here: a step the reset
   * run takes again finds its message under its key and releases it then
   * (`OutboxService.enqueueStep`); one the reset undid (an operator reset to before it to not
   * take it) must not go out. Before the point by the worker's clock against the engine's,
   * with a second's leeway for the clocks: a step the very task reset to started is taken
   * again anyway (that task runs again from the same history). Each is sent once at most (one
   * row per run and step). An account review's notice and help to switch stay held back when
   * its offboarding was withdrawn (it stays withdrawn: `offboardingStands`). The steps released.
   */
  private async releaseHeldBackByStop(em: EntityManager, run: { workflowId: string; customerId: string; playbook: string }, resetFrom: Date): Promise<string[]> {
    const customer = run.playbook === ACCOUNT_REVIEW ? await em.findOne(Customer, { id: run.customerId }) : null;
    const kept = customer && !(await offboardingStands(em, customer, run.workflowId)) ? offboardingAnnouncementTemplates : [];
    const kysely = em.getKysely();
    const { rows } = await sql<{ id: string; idempotency_key: string }>`
      select id, idempotency_key from outbox_message
       where customer_id = ${run.customerId} and ${messageOfRunSql(sql.ref('idempotency_key'), sql`${run.workflowId}`)} and sent_at is null and suppressed_reason = any(${heldBackByRunStop}::text[])
         and created_at <= ${new Date(resetFrom.getTime() + CLOCK_LEEWAY_MS)} and not (template = any(${kept}::text[]))
         for update`.execute(kysely);
    if (rows.length > 0) await sql`update outbox_message set suppressed_at = null, suppressed_reason = null where id = any(${rows.map((r) => r.id)}::uuid[])`.execute(kysely);
    return rows.map((r) => stepMessageKeyParts(r.idempotency_key).step).sort();
  }

  /**
   * The reminders of a fair-reminder run that a promise to pay held back after the point it was
   * reset to, once the reset run holds no promise (a reset with the promise left out: one made for
   * the wrong invoice): released, to go out as the run meant them (it counts them as sent and
   * books its next fee by them); and its call task or hand-over held until the promise's end goes
   * as delivery finds it due (a hold for quiet hours or an earlier reminder it applies again). With a
   * promise held, they stay held back. The steps released.
   */
  private async releaseHeldForPromise(em: EntityManager, run: { workflowId: string; customerId: string }, resetFrom: Date): Promise<string[]> {
    const kysely = em.getKysely();
    const { rows } = await sql<{ id: string; idempotency_key: string }>`
      update outbox_message set suppressed_at = null, suppressed_reason = null, send_after = null
       where customer_id = ${run.customerId} and ${messageOfRunSql(sql.ref('idempotency_key'), sql`${run.workflowId}`)} and sent_at is null
         and starts_with(suppressed_reason, ${PROMISED_TO_PAY + ':'}) and suppressed_at > ${new Date(resetFrom.getTime() - CLOCK_LEEWAY_MS)}
      returning id, idempotency_key`.execute(kysely);
    const { rows: held } = await sql<{ idempotency_key: string }>`
      update outbox_message m set send_after = null from playbook_run r
       where ${this.queuedOfRun(run.workflowId, untilPaidTemplates, sql`not starts_with(m.idempotency_key, ${stepMessageKey(run.workflowId, 'reminder-')}) and m.send_after > now()`)}
      returning m.idempotency_key`.execute(kysely);
    return [...rows, ...held].map((r) => stepMessageKeyParts(r.idempotency_key).step).sort();
  }

  /**
   * The tier change an account review applied after the point it was reset to (a yes the reset
   * took back, e.g. one recorded by mistake), from and to: not undone, as the customer was told
   * of it (its confirmation went out) and the reset run may take the same answer again; named
   * in the reset's entry for a person to settle with the customer. After the point with the
   * clocks' leeway, so as not to miss one. Null when there is none.
   */
  private async tierChangeSince(em: EntityManager, run: { workflowId: string; customerId: string }, reset: HowReset): Promise<{ from: string; to: string } | null> {
    const [change] = await em.execute<{ from: string; to: string }[]>(
      `select before->>'serviceTier' as "from", after->>'serviceTier' as "to" from audit_entry
        where entity_type = 'customer' and entity_id = ? and action = 'customer.service-tier' and actor = ? and at > ? and at <= ?
        order by at desc limit 1`,
      [run.customerId, runActor(run.workflowId), new Date(reset.from.getTime() - CLOCK_LEEWAY_MS), reset.at],
    );
    return change ?? null;
  }

  /** Holds back the run's messages still queued (held for quiet hours, retried), as its steps key them (`<workflow id>/<step>`); of `templates` only, when given. The steps held back. */
  private async holdBackQueuedMessages(em: EntityManager, workflowId: string, reason: string, templates?: readonly string[], alsoWhere = sql<boolean>`true`): Promise<string[]> {
    if (templates?.length === 0) return [];
    // What tells the customer how the run ended (written as it stops) is not held back with the rest; nor what an
    // offboarding carried out owes (the final invoice's task, the data export): the contract has ended, whatever stops the
    // run after (a cancel that came between the offboarding and the run recording its end).
    const notRunEnd = sql<boolean>`not (m.template = any(${runEndTemplates}::text[])) and not (m.template = any(${offboardingCompletionTemplates}::text[])) and ${alsoWhere}`;
    const { rows } = await sql<{ idempotency_key: string }>`
      update outbox_message m set suppressed_at = now(), suppressed_reason = ${reason} from playbook_run r where ${this.queuedOfRun(workflowId, templates, notRunEnd)}
      returning m.idempotency_key`.execute(em.getKysely());
    return rows.map((r) => stepMessageKeyParts(r.idempotency_key).step).sort();
  }

  /** SQL over `outbox_message m` and `playbook_run r`: `m` is a message of run `workflowId` still queued; of `templates` only, when given. */
  private queuedOfRun(workflowId: string, templates?: readonly string[], alsoWhere = sql<boolean>`true`): RawBuilder<boolean> {
    return sql<boolean>`r.workflow_id = ${workflowId} and m.customer_id = r.customer_id and ${messageOfRunSql(sql.ref('m.idempotency_key'), sql.ref('r.workflow_id'))}
         and m.sent_at is null and m.suppressed_at is null ${templates ? sql`and m.template = any(${templates}::text[])` : sql``} and ${alsoWhere}`;
  }

  /**
   * The run took a promise to pay: a customer who promised is not asked again before the day. Its reminders still queued
   * (held for the customer's quiet hours) are held back, as the promise holds the next ones, and sent again by the run
   * once the promise lapses unpaid. Its call task or hand-over still queued (behind a reminder, or for quiet hours) is not
   * a step the run takes again: it is held until the promise ends (a later promise moves that), and goes then unless the
   * invoice was paid. Not one delivery gave up on: it waits for a person in the undeliverable queue already (who may find
   * it reached the customer; a retry during the promise holds it until the promise ends).
   */
  async holdBackForPromise(workflowId: string, until: string): Promise<void> {
    const queued = sql<boolean>`not ${sql.raw(givenUpSql('m', this.maxAttempts))}`;
    const reminder = sql<boolean>`starts_with(m.idempotency_key, ${stepMessageKey(workflowId, 'reminder-')})`;
    const endsAt = new Date(promiseEndsAt(until, this.promise));
    await this.em.transactional(async (em) => {
      await this.holdBackQueuedMessages(em, workflowId, `${PROMISED_TO_PAY}: the customer promised to pay by ${until}`, untilPaidTemplates, sql`${queued} and ${reminder}`);
      // Held for the promise, no longer for an earlier reminder: delivery looks at the order again once the promise ends.
      await sql`update outbox_message m set send_after = ${endsAt}, waits_for = null from playbook_run r
                 where ${this.queuedOfRun(workflowId, untilPaidTemplates, sql`${queued} and not ${reminder}`)}`.execute(em.getKysely());
    });
  }

  /**
   * Audits a reminder run moving to a fee-free band on the way (the payer's record turned loyal, a late payment corrected),
   * from the band it started with, with the reminders it had sent then: the fees those charged stay, none is charged from
   * here on. Once per run and band (a retried step writes it once).
   */
  async recordLoyaltyBandRaised(input: { workflowId: string; invoiceId: string; from: string; to: string; remindersSent: number }): Promise<void> {
    await this.em.transactional(async (em) => {
      if (await this.audit.hasEntry(em, { entityType: 'playbook_run', entityId: input.workflowId, action: 'playbook.loyalty-band-raised', after: ['loyaltyBand', input.to] })) return;
      this.audit.record(em, {
        actor: runActor(input.workflowId),
        action: 'playbook.loyalty-band-raised',
        entityType: 'playbook_run',
        entityId: input.workflowId,
        before: { loyaltyBand: input.from },
        after: { loyaltyBand: input.to, invoiceId: input.invoiceId, remindersSent: input.remindersSent },
      });
    });
  }

  /**
   * Audits a promise to pay that lapsed unpaid, as the run noticed it (the promised day and its grace days passed), by the
   * run: the customer's history shows the promise was not kept, not only that it was made. `brokenPromises` counts it
   * among the run's broken promises; once per run and count (a retried step, or a reset run noticing it again, writes it once).
   */
  async recordPromiseLapsed(input: { workflowId: string; invoiceId: string; until: string; brokenPromises: number }): Promise<void> {
    await this.em.transactional(async (em) => {
      if (await this.audit.hasEntry(em, { entityType: 'playbook_run', entityId: input.workflowId, action: 'playbook.promise-lapsed', after: ['brokenPromises', String(input.brokenPromises)] })) return;
      this.audit.record(em, {
        actor: runActor(input.workflowId),
        action: 'playbook.promise-lapsed',
        entityType: 'playbook_run',
        entityId: input.workflowId,
        after: { invoiceId: input.invoiceId, until: input.until, brokenPromises: input.brokenPromises },
      });
    });
  }

  /**
   * Audits a promise to pay that gave way to a dispute of the invoice, by the run: the promise stood as the customer disputed
   * the invoice, and ends with the dispute's coming, neither kept nor broken (nothing is owed as billed until the dispute is
   * resolved). Once per run and dispute (a retried step, or a reset run reading the dispute again, writes it once).
   */
  async recordPromiseSuperseded(input: { workflowId: string; invoiceId: string; until: string; disputedSince: string }): Promise<void> {
    await this.em.transactional(async (em) => {
      if (await this.audit.hasEntry(em, { entityType: 'playbook_run', entityId: input.workflowId, action: 'playbook.promise-superseded', after: ['disputedSince', input.disputedSince] })) return;
      this.audit.record(em, {
        actor: runActor(input.workflowId),
        action: 'playbook.promise-superseded',
        entityType: 'playbook_run',
        entityId: input.workflowId,
        after: { invoiceId: input.invoiceId, until: input.until, disputedSince: input.disputedSince },
      });
    });
  }

  /**
   * Runs cancelled in the Temporal UI within the last `withinDays` days that the audit log does
   * not name yet (a cancel through the API is audited before the run can record it).
   */
  async cancelledWithoutAudit(withinDays: number): Promise<string[]> {
    const rows = await this.em.execute<{ workflow_id: string }[]>(
      `select r.workflow_id from playbook_run r
        where r.status = 'cancelled' and r.finished_at > now() - make_interval(days => ?)
          and not exists (select 1 from audit_entry a where a.entity_type = 'playbook_run' and a.entity_id = r.workflow_id and a.action in ('playbook.cancel', 'playbook.cancel-in-engine')
                              and (a.after->>'outcome') is distinct from 'not-taken' and ${SINCE_LAST_RESET('a', 'r.workflow_id')})`,
      [withinDays],
    );
    return rows.map((r) => r.workflow_id);
  }

  /** Audits a cancel made in the Temporal UI, naming who made it (`temporal:<identity>`) and the reason the engine kept (and the execution cancelled, `runId`). */
  async auditCancelInEngine(input: { workflowId: string; reason: string | null; by: string | null; runId?: string | null }): Promise<void> {
    this.audit.record(this.em, endInEngineEntry(input.workflowId, { ...input, status: RunStatus.Cancelled }));
    await this.em.flush();
  }

  /**
   * A person's starts, updates and cancels of runs whose outcome the API did not settle (it died
   * waiting for the engine, or the engine could not tell in time), older than `minAgeMs`, oldest first.
   */
  unsettledCalls(minAgeMs: number, limit: number): Promise<UnsettledCall[]> {
    return this.audit.unsettledCalls(this.em, 'playbook_run', minAgeMs, limit);
  }

  /** Settles such a call as the engine now tells: `taken` or `not-taken`. False when it was settled meanwhile (a retry). */
  settleCall(auditId: string, outcome: 'taken' | 'not-taken'): Promise<boolean> {
    return this.audit.settleCall(this.em, auditId, outcome);
  }

  /** Settles the entry of an update typed in the Temporal UI as the run answered it (`refused`: why it refused it, null when taken). False when it was settled meanwhile. */
  settleUpdateInEngine(auditId: string, refused: string | null): Promise<boolean> {
    return this.audit.settleUpdateInEngine(this.em, auditId, refused);
  }

  /** When the oldest run still recorded as running started; null when none is. */
  async oldestRunningStart(): Promise<Date | null> {
    const [row] = await this.em.execute<{ started_at: Date | null }[]>(`select min(started_at) as started_at from playbook_run where status = 'running'`);
    return row.started_at ? new Date(row.started_at) : null;
  }

  /**
   * Reminder runs under way whose invoice is paid, among `invoiceIds` (all when not given), to be told:
   * paid by `recordPayment` just now, or some way that did not tell the run (an import), so it would
   * wait for its next step to see it.
   */
  async remindersOfPaidInvoices(invoiceIds?: string[]): Promise<string[]> {
    return this.remindersOfInvoices(sql`i.paid_at is not null`, invoiceIds);
  }

  /** The reminder runs under way of these invoices. */
  async remindersUnderWay(invoiceIds: string[]): Promise<string[]> {
    return this.remindersOfInvoices(sql`true`, invoiceIds);
  }

  /** The reminder runs under way of cancelled invoices (of these invoices, or all). */
  async remindersOfCancelledInvoices(invoiceIds?: string[]): Promise<string[]> {
    return this.remindersOfInvoices(sql`i.cancelled_at is not null`, invoiceIds);
  }

  /** Reminder runs under way of open invoices not overdue now (their due day moved later), among `invoiceIds` (all when not given). */
  async remindersOfInvoicesNotDue(invoiceIds?: string[]): Promise<string[]> {
    return this.remindersOfInvoices(sql.raw(notOverdueSql('i')), invoiceIds);
  }

  private async remindersOfInvoices(which: RawBuilder<unknown>, invoiceIds?: string[]): Promise<string[]> {
    const { rows } = await sql<{ workflow_id: string; customer_id: string; invoice_id: string }>`
      select r.workflow_id, i.customer_id, i.id as invoice_id
        from playbook_run r join invoice i on i.customer_id = r.customer_id and ${which}
       where r.playbook = ${FAIR_REMINDER} and r.status = 'running' ${invoiceIds ? sql`and i.id = any(${invoiceIds}::uuid[])` : sql``}`.execute(this.em.getKysely());
    return rows.filter((r) => occurrenceOf(fairReminderWorkflowId(r.customer_id, r.invoice_id), r.workflow_id) !== null).map((r) => r.workflow_id);
  }

  /**
   * Runs under way of the playbooks about the relationship (an account review, a welcome check,
   * a thank-you) whose customer has left (offboarded: by the CRM, an import, or a review), among the
   * customers `customerIds` (all when not given): they would ask a person to decide on, call or
   * thank a customer who is gone. The review that offboarded its customer itself (its notice
   * audited with its run) is not one of them; reminders (a debt stays owed) and fixes go on.
   */
  async runsOfCustomersWhoLeft(customerIds?: string[]): Promise<string[]> {
    const { rows } = await sql<{ workflow_id: string }>`
      select r.workflow_id from playbook_run r join customer c on c.id = r.customer_id
       where r.status = 'running' and r.playbook = any(${[ACCOUNT_REVIEW, WELCOME_CHECK, APPRECIATION]}::text[]) and c.status = 'offboarded'
         ${customerIds ? sql`and c.id = any(${customerIds}::uuid[])` : sql``}
         and not exists (select 1 from audit_entry a where a.entity_type = 'customer' and a.entity_id = c.id::text and a.action = 'customer.offboarding'
                            and a.after ->> 'workflowId' = r.workflow_id)`.execute(this.em.getKysely());
    return rows.map((r) => r.workflow_id);
  }

  /**
   * Thank-yous under way of customers without marketing consent now, to be told (`consentWithdrawn`) so one waiting ends
   * not thanked at once: of the customers `customerIds`, whose consent was just withdrawn here; or, without them, of
   * customers whose consent was withdrawn within the last `withdrawnWithinMs` (an import, or a tell that failed), so
   * the run reconciliation tells a run a few times at most, not for as long as it waits.
   */
  async thankYousWithoutConsent(which: { customerIds: string[] } | { withdrawnWithinMs: number }): Promise<string[]> {
    const { rows } = await sql<{ workflow_id: string }>`
      select r.workflow_id from playbook_run r join customer c on c.id = r.customer_id
       where r.status = 'running' and r.playbook = ${APPRECIATION} and not c.marketing_consent
         ${
           'customerIds' in which
             ? sql`and c.id = any(${which.customerIds}::uuid[])`
             : sql`and exists (select 1 from audit_entry a where a.entity_type = 'customer' and a.entity_id = c.id::text and a.action = any(${[...CONSENT_ACTIONS]}::text[])
                                 and a.after ->> 'marketingConsent' = 'false' and a.at > now() - make_interval(secs => ${which.withdrawnWithinMs / 1000}))`
         }`.execute(this.em.getKysely());
    return rows.map((r) => r.workflow_id);
  }

  /** The customer's thank-yous under way (the year's, or last year's still waiting for the guard). */
  async thankYousUnderWay(customerId: string): Promise<string[]> {
    const records = await this.em.find(PlaybookRun, { customer: customerId, playbook: APPRECIATION, status: RunStatus.Running }, { fields: ['workflowId'] });
    return records.map((r) => r.workflowId);
  }

  /**
   * The account reviews of the customer under way, when nothing of theirs is open (no complaint unresolved and not withdrawn,
   * no fix case open): those the contact guard may have held back for an open complaint may propose now.
   */
  async reviewsWithNothingOpen(customerId: string): Promise<string[]> {
    const { rows } = await sql<{ workflowId: string }>`
      select r.workflow_id as "workflowId" from playbook_run r
       where r.customer_id = ${customerId}::uuid and r.playbook = ${ACCOUNT_REVIEW} and r.status = 'running'
         and not exists (select 1 from complaint k where k.customer_id = r.customer_id and k.resolved_at is null and k.withdrawn_at is null)
         and not exists (select 1 from fix_case f where f.customer_id = r.customer_id and f.status = 'open')`.execute(this.em.getKysely());
    return rows.map((r) => r.workflowId);
  }

  /** The account reviews of the customer under way whose proposal, unsent, was held back at a complaint. */
  async reviewsWithProposalHeldAtComplaint(customerId: string): Promise<string[]> {
    const { rows } = await sql<{ workflowId: string }>`
      select r.workflow_id as "workflowId" from playbook_run r join outbox_message m on m.idempotency_key = r.workflow_id || ${stepMessageKey('', 'proposal')}
       where r.customer_id = ${customerId}::uuid and r.playbook = ${ACCOUNT_REVIEW} and r.status = 'running'
         and m.sent_at is null and m.suppressed_reason = ${PROPOSAL_HELD_AT_COMPLAINT}`.execute(this.em.getKysely());
    return rows.map((r) => r.workflowId);
  }

  /** Which of these runs are still recorded as running. */
  async stillRunning(workflowIds: string[]): Promise<Set<string>> {
    if (workflowIds.length === 0) return new Set();
    const records = await this.em.find(PlaybookRun, { workflowId: { $in: workflowIds }, status: RunStatus.Running }, { fields: ['workflowId'] });
    return new Set(records.map((r) => r.workflowId));
  }

  /**
   * A person's start of a run: its audit entries are committed first, pending (see
   * AuditService.recordCall); its record is written in a transaction that holds the customer's row
   * (an erasure at the same moment waits, then finds the run under way; a start after an erasure is
   * refused with `erased()`), and commits once the engine took the start. False, with nothing started
   * or audited, when the run is already recorded (a start at the same moment waits for this one's
   * record), or when the engine has it ended without a record (recorded as it ended).
   */
  async startByHand(
    entry: { actor: string; workflowId: string; playbook: string; customerId: string; after: Record<string, unknown> },
    start: () => Promise<LaunchedRun>,
    erased: () => Error,
    /** What else the person gave the run as it starts, audited beside its start (a promise to pay it holds). */
    alsoAudited: { action: PlaybookAction; after: Record<string, unknown> }[] = [],
  ): Promise<boolean> {
    const calls = [{ action: 'playbook.start' as const, after: entry.after }, ...alsoAudited];
    // A retry after the start's process died (its entries of unknown outcome, or pending for long) is audited by those entries, not a second set.
    const joined = (await this.joinableEntries(entry.workflowId, entry.actor, calls))?.map((e) => e.id) ?? null;
    const audited =
      joined ?? (await this.audit.recordCall(this.em, calls.map(({ action, after }) => ({ actor: entry.actor, action, entityType: 'playbook_run' as const, entityId: entry.workflowId, after }))));
    let calling = false;
    let engineTookIt = false;
    try {
      const started = await this.em.transactional(async (em) => {
        if (!(await recordStarting(em, entry, erased))) return false;
        calling = true;
        const { ended } = await start();
        engineTookIt = !ended;
        if (!ended) return true;
        // Nothing started: the run under this ID had ended (without a record: cut off before its first step, or its record cleared).
        await recordEnded(em, entry.workflowId, ended);
        return false;
      });
      // Joined entries this start did not start (recorded already: that earlier start may have) are left to the reconciliation.
      if (joined) await settling(started ? Promise.all(joined.map((id) => this.audit.settleCall(this.em, id, 'taken', { overriding: true }))) : Promise.resolve());
      else await settling(started ? this.audit.callTaken(this.em, audited) : this.audit.callNotTaken(this.em, audited));
      return started;
    } catch (error) {
      // A start the engine took whose record could not commit happened: its entries stay pending (the run records itself as it begins).
      if (engineTookIt) return true;
      // One the engine did not answer in time may have started the run: unknown, for the reconciliation to settle.
      if (!joined) await settling(this.audit.callFailed(this.em, audited, calling && engineMayHaveTakenIt(error)));
      throw error;
    }
  }

  /**
   * Whether the person's call on the run would join an earlier one of theirs with the same input whose outcome nobody
   * knows (`PLAYBOOK_OUTCOME_UNKNOWN`, or its process died): a retry, which `auditedUpdate` sends under that call's
   * update ID, so a check that refuses a second call must let it through (the run may have taken the first).
   */
  async joinsUnsettledCall(entry: { actor: string; action: PlaybookAction; workflowId: string; after: Record<string, unknown> }): Promise<boolean> {
    return (await this.joinableEntries(entry.workflowId, entry.actor, [entry])) !== null;
  }

  /**
   * Whether the call repeats the person's own that the run took: the action's newest taken entry on the run (the one the
   * run holds: it takes one answer, one fix report, one decision) is theirs, with the same input. Their same request again,
   * its response lost on the way (a proxy's timeout, not PLAYBOOK_OUTCOME_UNKNOWN), answers as the first did, with no
   * second entry; another person's, or another input, is not a repeat and is refused as a second one.
   */
  async repeatsTakenCall(entry: { actor: string; action: PlaybookAction; workflowId: string; after: Record<string, unknown> }): Promise<boolean> {
    const [taken] = await this.em.execute<{ actor: string; after: Record<string, unknown> | null }[]>(
      `select actor, after from audit_entry where entity_type = 'playbook_run' and entity_id = ? and action = ?
          and (after->>'outcome' is null or after->>'outcome' = 'taken') order by at desc, id desc limit 1`,
      [entry.workflowId, entry.action],
    );
    if (!taken || taken.actor !== entry.actor) return false;
    const { outcome: _outcome, updateId: _updateId, ...input } = taken.after ?? {};
    return sameJson(input, entry.after);
  }

  /** Settles the person's call that `joinsUnsettledCall` found unsettled, as the run's state shows it went (a retry that found it taken). */
  async settleUnsettledCall(entry: { actor: string; action: PlaybookAction; workflowId: string; after: Record<string, unknown> }, outcome: 'taken' | 'not-taken'): Promise<void> {
    const joined = await this.joinableEntries(entry.workflowId, entry.actor, [entry]);
    if (joined) await this.audit.settleCall(this.em, joined[0].id, outcome);
  }

  /**
   * What a person's retry of calls on the run joins (a start and the promise given with it, or an input): for each
   * call, its action's newest entry on the run, when it is the person's, with the same input, and of an outcome nobody
   * knows (unknown, or pending for long: its process died); null unless every call has one. With the update's ID it went under.
   */
  private async joinableEntries(workflowId: string, actor: string, calls: { action: PlaybookAction; after: Record<string, unknown> }[]): Promise<{ id: string; updateId: string | null }[] | null> {
    const newest = await this.em.execute<{ id: string; action: string; actor: string; after: Record<string, unknown> | null; joinable: boolean }[]>(
      `select distinct on (action) id, action, actor, after, ${JOINABLE('a')} as joinable from audit_entry a
        where entity_type = 'playbook_run' and entity_id = ? and action in (?) order by action, at desc, id desc`,
      [workflowId, calls.map((c) => c.action)],
    );
    const joined = calls.map(({ action, after }) => {
      const entry = newest.find((n) => n.action === action);
      if (!entry?.joinable || entry.actor !== actor) return null;
      const { outcome: _outcome, updateId, ...input } = entry.after ?? {};
      return sameJson(input, after) ? { id: entry.id, updateId: typeof updateId === 'string' ? updateId : null } : null;
    });
    return joined.every((entry) => entry !== null) ? (joined as { id: string; updateId: string | null }[]) : null;
  }

  /**
   * A start without a person (the trigger sweep, a complaint's follow-up, a campaign), recorded as a
   * person's is, under the customer's row, so an erasure at the same moment either comes first (this
   * start is refused with `erased()`) or finds the run under way (and is refused itself). The engine is
   * asked also when the run is recorded already: it answers with the run under way or ended, and which
   * campaign's start created it (the run's first step records that campaign). `claim` is checked first
   * in the same transaction (see LaunchOptions.claim): what it locks stays locked until the record is committed.
   */
  async startRecorded(run: { workflowId: string; playbook: string; customerId: string }, start: () => Promise<LaunchedRun>, erased: () => Error, claim?: (em: EntityManager) => Promise<void>): Promise<LaunchedRun> {
    return this.em.transactional(async (em) => {
      if (claim) await claim(em);
      const recorded = await recordStarting(em, run, erased);
      const launched = await start();
      if (recorded && launched.ended) await recordEnded(em, run.workflowId, launched.ended);
      // The campaign whose start created the run, on its record from the start (its first step writes it too, once a
      // worker runs it): until then the campaign's own run would count as one it joined.
      if (launched.startedByCampaign) {
        await em.execute(`update playbook_run set campaign_id = (select id from campaign where id = ?::uuid) where workflow_id = ? and campaign_id is null`, [launched.startedByCampaign, run.workflowId]);
      }
      return launched;
    });
  }

  /**
   * A person's mutation of a run, audited: the entry is committed first, pending (see
   * AuditService.recordCall), so one that cannot be written stops the mutation before it reaches
   * the run. Then `call` goes to the engine and `recordTaken` writes what it changed, in one
   * transaction holding the run's record (the run writes it as it acts); a call the run refuses or
   * the engine cannot take (`call` throws) takes the entry back, one the engine did not answer in time
   * leaves it of unknown outcome. With `once`, the action is taken at most once per run (since its
   * last reset): one that finds it taken, or under way (pending, for as long as a call takes), is
   * refused with `once.refused()`'s error; an earlier one whose outcome nobody knows (of unknown outcome,
   * or left pending by a process that died) is settled first, as the engine tells (`once.outcome`).
   */
  async audited<T>(
    entry: { actor: string; action: PlaybookAction; workflowId: string; after: Record<string, unknown> },
    call: () => Promise<T>,
    recordTaken: (em: EntityManager) => Promise<void>,
    once?: { refused: () => Error; outcome: (at: Date) => Promise<'taken' | 'not-taken'> },
  ): Promise<T> {
    if (once) {
      // Earlier ones whose outcome nobody knows any more are settled first, as the engine tells (before the run's record is held).
      const unsettled = await this.em.execute<{ id: string; at: Date }[]>(
        `select id, at from audit_entry a where entity_type = 'playbook_run' and entity_id = ? and action = ? and ${UNSETTLED_LONG_AGO('a')} and ${SINCE_LAST_RESET('a', '?')}`,
        [entry.workflowId, entry.action, entry.workflowId],
      );
      for (const earlier of unsettled) await this.audit.settleCall(this.em, earlier.id, await once.outcome(new Date(earlier.at)));
    }
    // Null when `once` refuses it.
    const auditId = await this.em.transactional(async (em): Promise<string | null> => {
      if (once) {
        await em.execute(`select 1 from playbook_run where workflow_id = ? for update`, [entry.workflowId]);
        const [taken] = await em.execute<{ n: number }[]>(
          `select count(*)::int as n from audit_entry a where entity_type = 'playbook_run' and entity_id = ? and action = ? and ${TAKEN_OR_UNDER_WAY('a')} and ${SINCE_LAST_RESET('a', '?')}`,
          [entry.workflowId, entry.action, entry.workflowId],
        );
        if (taken.n > 0) return null;
      }
      const [id] = await this.audit.recordCall(em, [{ actor: entry.actor, action: entry.action, entityType: 'playbook_run', entityId: entry.workflowId, after: entry.after }]);
      return id;
    });
    if (auditId === null) throw once!.refused();
    // What the engine answered, once it took the call.
    const took: { result?: T } = {};
    let calling = false;
    try {
      return await this.em.transactional(async (em) => {
        await em.execute(`select 1 from playbook_run where workflow_id = ? for update`, [entry.workflowId]);
        calling = true;
        const result = await call();
        took.result = result;
        await recordTaken(em);
        await this.audit.callTaken(em, [auditId]);
        return result;
      });
    } catch (error) {
      // Taken by the engine but not recorded here (the database failed): it happened; the entry stays pending, for the
      // reconciliation, and the run records its end itself.
      if ('result' in took) return took.result as T;
      await settling(this.audit.callFailed(this.em, [auditId], calling && engineMayHaveTakenIt(error)));
      throw error;
    }
  }

  /**
   * A person's input sent to a run as an update, audited as `audited` does (the entry committed
   * first, pending, with the update's `updateId`), except when the engine cannot say in time whether
   * the run took it (`unknown(error)`): the update may be taken later, so the entry stays, marked
   * `outcome: "unknown"`, and the error is rethrown; and when the run refused it (`refused(error)`: its validator or
   * handler answered no, e.g. another person's decision came first, or the run's own check of an approval): the person's
   * attempt stays, marked `outcome: "not-taken"` with `refused` (the message they were answered). Only a call that never
   * reached a run (no run under way, the engine failing on the way) takes its entry back. The same request again (same actor, action and
   * input, while that entry is the action's newest for the run and of unknown outcome, or left pending
   * by a process that died) is sent under the same update ID, so it joins the update sent first instead
   * of making a second one, and settles the entry: taken when the run answers with it, `not-taken` when the run refuses it
   * (`refused(error)`: an update the run took would have been answered instead); no second entry is written.
   */
  async auditedUpdate<T>(
    entry: { actor: string; action: PlaybookAction; workflowId: string; after: Record<string, unknown> },
    /** Sends the update, given its ID and the audit entry that records it. */
    send: (updateId: string, auditEntryId: string) => Promise<T>,
    outcome: { unknown: (error: unknown) => boolean; refused: (error: unknown) => boolean },
  ): Promise<T> {
    // No lock: requests at the same moment go to the run as they are (it takes the first, refuses the others), and a
    // retry comes after the answer of the request it repeats. (The run's record must stay free: the run writes it as it acts.)
    const [again] = (await this.joinableEntries(entry.workflowId, entry.actor, [entry])) ?? [];
    const updateId = again?.updateId ?? `${entry.action}/${randomUUID()}`;
    const [auditId] = again ? [again.id] : await this.audit.recordCall(this.em, [{ actor: entry.actor, action: entry.action, entityType: 'playbook_run', entityId: entry.workflowId, after: entry.after }], updateId);
    let result: T;
    try {
      result = await send(updateId, auditId);
    } catch (error) {
      if (outcome.unknown(error)) await settling(this.audit.callOutcomeUnknown(this.em, [auditId]));
      // Refused by the run: the person's attempt stays in the log, marked refused with why (another's decision came first, the run's own check).
      else if (outcome.refused(error)) await settling(this.audit.callRefused(this.em, auditId, error instanceof Error ? error.message : String(error)));
      else if (!again) await settling(this.audit.callNotTaken(this.em, [auditId]));
      throw error;
    }
    // The run's own answer settles it, whatever the reconciliation concluded meanwhile (before the retry reached the run).
    await settling(again ? this.audit.settleCall(this.em, auditId, 'taken', { overriding: true }) : this.audit.callTaken(this.em, [auditId]));
    return result;
  }

  /**
   * Why the message a run's step wrote was held back; null when it went, waits to go, or was never
   * written, or when the customer answered it before it went (accepted: the confirmation went instead; or declined).
   */
  async heldBackStepMessage(workflowId: string, step: string): Promise<string | null> {
    const message = await this.em.findOne(OutboxMessage, { idempotencyKey: stepMessageKey(workflowId, step), suppressedAt: { $ne: null } }, { fields: ['suppressedReason'] });
    return !message || proposalAnsweredBeforeItWent(message.suppressedReason) ? null : (message.suppressedReason ?? 'held back');
  }

  /** Why the run's proposal never reached the customer, held back at delivery (an opt-out, a complaint before it went); null when it did or may, or was answered. */
  async proposalNeverReached(workflowId: string): Promise<string | null> {
    return proposalHeldBackAtDelivery(await this.heldBackStepMessage(workflowId, 'proposal'));
  }

  /** Whether this run's offboarding was withdrawn: its last word on the customer's offboarding is a withdrawal. */
  async offboardingWithdrawn(customerId: string, workflowId: string): Promise<boolean> {
    return (await lastOffboardingWord(this.em, customerId, workflowId)) === 'customer.offboarding-withdrawn';
  }

  /** Why a person decided on an offboarding (decisionReason). */
  decisionReason(workflowId: string, decision: OffboardingDecision): Promise<string | null> {
    return decisionReason(this.em, workflowId, decision);
  }

  /**
   * The run's recorded end (status and outcome), read afresh, once it is recorded: waits up to `withinMs` while the
   * record still says running (a run recording its end a moment from now); null when it is still running then, or not recorded.
   */
  async recordedEnd(workflowId: string, withinMs: number): Promise<{ status: RunStatus; outcome: string | null } | null> {
    const until = Date.now() + withinMs;
    for (;;) {
      // Refreshed where this request read it before (the next run's start reads it again).
      const run = await this.em.findOne(PlaybookRun, { workflowId }, { refresh: true });
      if (!run) return null;
      if (run.status !== RunStatus.Running) return { status: run.status, outcome: run.outcome ?? null };
      if (Date.now() >= until) return null;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  findByWorkflowId(workflowId: string): Promise<PlaybookRun | null> {
    return this.em.findOne(PlaybookRun, { workflowId });
  }

  /** The record as the database holds it now (written since it was read). */
  async reload(record: PlaybookRun): Promise<void> {
    await this.em.refresh(record);
  }

  /** Whether the customer complained about the topic of the run's fix after it was closed as fixed (`complainedSinceFixed`). */
  complainedSinceFixed(workflowId: string): Promise<boolean> {
    return complainedSinceFixed(this.em, workflowId);
  }

  /** The record of the newest run of `base` (the base ID or a later occurrence of it) and its number, or null when none was recorded. */
  async latestOccurrence(customerId: string, playbook: string, base: string): Promise<{ record: PlaybookRun; occurrence: number } | null> {
    const records = await this.em.find(PlaybookRun, { customer: customerId, playbook });
    const latest = latestOccurrence(base, records.map((r) => r.workflowId));
    return latest ? { record: records.find((r) => r.workflowId === latest.workflowId)!, occurrence: latest.occurrence } : null;
  }

  /**
   * The run's fix case as it stands: its escalations, and whether its fix was done (closed as fixed, not opened again
   * since; false for a case cancelled or open); null when the run opened none.
   */
  async fixCaseOf(workflowId: string): Promise<{ escalations: number; fixed: boolean } | null> {
    const fixCase = await this.em.findOne(FixCase, { workflowId }, { fields: ['escalations', 'resolvedAt'] });
    return fixCase ? { escalations: fixCase.escalations, fixed: fixCase.resolvedAt != null } : null;
  }

  /** Whether a fix of the customer's topic is due by the rule of `noFixSince` (none under way, none since its last complaint). */
  async fixDue(customerId: string, topic: string): Promise<boolean> {
    const { rows } = await sql<{ due: boolean }>`select ${fixDue(sql`${customerId}::uuid`, sql`${topic}`)} as due`.execute(this.em.getKysely());
    return rows[0].due;
  }

  /** The records of these runs, by workflow ID (a run started a moment ago may have none yet). */
  async findByWorkflowIds(workflowIds: string[]): Promise<Map<string, PlaybookRun>> {
    const records = workflowIds.length ? await this.em.find(PlaybookRun, { workflowId: { $in: workflowIds } }) : [];
    return new Map(records.map((record) => [record.workflowId, record]));
  }
}

/** The same JSON value (key order aside), as jsonb compares. */
function sameJson(a: unknown, b: unknown): boolean {
  const canonical = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => x.localeCompare(y)).map(([k, w]) => [k, canonical(w)])) : Array.isArray(v) ? v.map(canonical) : v;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** A run a start found ended records how it ended, not that it is under way (nothing would ever end that record). */
async function recordEnded(em: EntityManager, workflowId: string, ended: NonNullable<LaunchedRun['ended']>): Promise<void> {
  await em.nativeUpdate(PlaybookRun, { workflowId, status: RunStatus.Running }, { status: ended.status, outcome: ended.outcome, startedAt: ended.startedAt, finishedAt: ended.finishedAt });
}

/**
 * Records a run as starting, in `em`'s transaction, holding the customer's row for it: refused with
 * `erased()` for an erased customer. False when the run is recorded already.
 */
async function recordStarting(em: EntityManager, run: { workflowId: string; playbook: string; customerId: string }, erased: () => Error): Promise<boolean> {
  const [customer] = await em.execute<{ status: string }[]>(`select status from customer where id = ? for share`, [run.customerId]);
  if (customer?.status === 'erased') throw erased();
  const recorded = await em.execute<{ id: string }[]>(
    `insert into playbook_run (id, workflow_id, playbook, customer_id, status, started_at) values (?, ?, ?, ?, 'running', now()) on conflict (workflow_id) do nothing returning id`,
    [randomUUID(), run.workflowId, run.playbook, run.customerId],
  );
  return recorded.length > 0;
}

/**
 * The audit entry of a run's end made in the engine: a cancel (`playbook.cancel-in-engine`), or a termination, failure or
 * time-out (`playbook.ended-in-engine`, with when it closed, `at`), by `temporal:<identity>` with the reason kept there,
 * naming the execution that ended (`runId`) where known, and the reset that undid it (`undoneByReset`) where one did.
 */
function endInEngineEntry(
  workflowId: string,
  end: { status: RunStatus.Cancelled | EndedInEngine; reason: string | null; by: string | null; at?: Date; runId?: string | null; undoneByReset?: string },
): AuditRecord {
  const cancelled = end.status === RunStatus.Cancelled;
  return {
    actor: engineActor(end.by),
    action: cancelled ? 'playbook.cancel-in-engine' : 'playbook.ended-in-engine',
    entityType: 'playbook_run',
    entityId: workflowId,
    after: {
      ...(cancelled ? {} : { status: end.status }),
      reason: end.reason,
      ...(cancelled ? {} : { closedAt: end.at!.toISOString() }),
      ...(end.runId ? { runId: end.runId } : {}),
      ...(end.undoneByReset ? { undoneByReset: end.undoneByReset } : {}),
    },
  };
}
