import { FAIR_REMINDER } from '../../domain/playbooks/fair-reminder.js';
import { FIX_ISSUE, awaitsFix } from '../../domain/playbooks/fix-issue.js';
import type { UnsettledCall } from '../audit/audit.service.js';
import type { CampaignService } from '../campaigns/campaign.service.js';
import type { PlaybookEngine } from '../engines/playbook-engine.js';
import type { FixCaseAfterReset, PlaybookRunService } from '../playbooks/playbook-run.service.js';
import { PlaybookException, PlaybookExceptionCode } from '../playbooks/playbook.exception.js';
import type { PlaybookService } from '../playbooks/playbook.service.js';
import type { ScoringService } from '../scores/scoring.service.js';

/**
 * How much earlier than its record a run may have started in the engine: the record is written
 * as the run starts, but a run started before runs were recorded so was recorded by its first
 * step, which waits while no worker takes it.
 */
const RECORDED_AFTER_START_MS = 86_400_000;

/** How far back cancels made in the Temporal UI are looked for to be audited (the sweep runs every few minutes: a margin for a sweep that was off). */
const UNAUDITED_CANCEL_DAYS = 7;

/**
 * How old a person's call not settled must be before the engine's word on it is taken: a
 * request under way settles its own, and one that gave up waiting may still reach the engine a moment later.
 */
const UNSETTLED_CALL_SETTLES_AFTER_MS = 5 * 60_000;
/** The action of an update typed in the Temporal UI (`playbook.update-in-engine`). */
const UPDATE_IN_ENGINE = '.update-in-engine';

/**
 * How lately a customer's consent must have been withdrawn for the run reconciliation to tell their thank-you under way:
 * a few passes (it runs every few minutes), not every pass for as long as a run that cannot take the tell (one started
 * before runs could) waits. Beyond it such a run ends not thanked at its deadline, as before.
 */
const CONSENT_WITHDRAWN_TOLD_WITHIN_MS = 60 * 60_000;

/** Calls settled per pass, at most (one engine call each). */
const UNSETTLED_CALLS_PER_PASS = 200;

/** Who cancels the reminder run of an invoice the billing system cancelled, in the audit log. */
const INVOICE_CANCELLED_ACTOR = 'system:invoice-cancelled';
/** Who cancels the reminder run of an invoice whose due day the billing system moved later (a payment extension), in the audit log. */
const INVOICE_NOT_DUE_ACTOR = 'system:invoice-not-due';
/** Who cancels the runs about a customer who has left (offboarded: by the CRM, or by their account review), in the audit log. */
const CUSTOMER_LEFT_ACTOR = 'system:customer-left';

/** How far back resets made in the Temporal UI or CLI are looked for (as for cancels: a margin for a sweep that was off). */
const UNRECORDED_RESET_DAYS = 7;

/**
 * A run records its own end when it completes or is cancelled. One terminated in the Temporal
 * UI, failed or timed out runs none of its code at the end, so its record would say running
 * for good: it would keep its fix case in the team's queue, send what it had queued, block a
 * new run of its trigger and the customer's erasure. This records those ends from the engine,
 * and those of campaigns, which would otherwise say running and refuse to be cancelled; and it
 * audits who cancelled a run in the Temporal UI (the run records the cancel, not who made it).
 *
 * It also settles the audit entries of a person's calls to runs whose outcome the API could not tell, and records and
 * audits rescores terminated or reset in the engine (`scoring-run.ended-in-engine`, `scoring-run.reset-in-engine`).
 *
 * A reset in the Temporal UI or CLI makes a run run again from an earlier point (a new
 * execution of the same workflow ID), none of whose code notices: this audits it, records a
 * run whose end was recorded as running again, and makes a fix case follow its run back (open
 * again when the run waits for its fix again).
 */
export class RunReconciliationService {
  constructor(
    private readonly runs: PlaybookRunService,
    private readonly engine: PlaybookEngine,
    private readonly campaigns: CampaignService,
    private readonly playbooks: PlaybookService,
    /** The rescores' ends and resets in the engine; absent where only playbook runs are reconciled. */
    private readonly scoring?: Pick<ScoringService, 'recordEndedInEngine' | 'recordResetInEngine'>,
  ) {}

  /**
   * Records and audits what happened to runs and campaigns in the engine alone, and tells reminder
   * runs of invoices paid without telling them; idempotent. The workflow IDs recorded, audited or told.
   */
  async recordRunsEndedInEngine(): Promise<string[]> {
    return [
      ...(await this.auditCancelsInEngine()),
      ...(await this.recordPlaybookRunsEnded()),
      ...(await this.recordPlaybookRunsReset()),
      ...(await this.campaigns.recordEndedInEngine()),
      ...(await this.campaigns.auditCancelsInEngine(UNAUDITED_CANCEL_DAYS)),
      ...(await this.campaigns.recordResetInEngine()),
      // A rescore terminated (or failed) in the engine: ended as abandoned and audited, as its next read or the next rescore would;
      // one reset there: audited (a reset cannot resume one whose record ended: it stays ended).
      ...((await this.scoring?.recordEndedInEngine()) ?? []),
      ...((await this.scoring?.recordResetInEngine()) ?? []),
      ...(await this.tellPaidReminders()),
      ...(await this.tellThankYousWithoutConsent()),
      ...(await this.cancelRemindersOfCancelledInvoices()),
      ...(await this.cancelRemindersOfInvoicesNotDue()),
      ...(await this.cancelRunsOfCustomersWhoLeft()),
      ...(await this.settleUnsettledCalls()),
    ];
  }

  /**
   * A person's start, input or cancel is audited before it goes to the engine, pending until the
   * engine answers; one the engine could not confirm in time is marked of unknown outcome. A retry
   * settles those, and this settles the ones nobody settled (the API died waiting, or the database
   * failed once the engine took it), as the engine now tells: the audit log then says whether the
   * run started, took the decision, the promise or the fix, or was cancelled. An update still
   * waiting for a worker is left to a later pass.
   */
  async settleUnsettledCalls(minAgeMs = UNSETTLED_CALL_SETTLES_AFTER_MS): Promise<string[]> {
    const settled: string[] = [];
    for (const call of await this.runs.unsettledCalls(minAgeMs, UNSETTLED_CALLS_PER_PASS)) {
      if (call.updateId && call.action.endsWith(UPDATE_IN_ENGINE)) {
        // An update typed in the Temporal UI reads as the steering audit settles it when the answer comes in time: taken,
        // as any other entry (no mark); refused, `not-taken` with why.
        const answer = await this.engine.updateOutcome(call.entityId, call.updateId, call.runId ?? undefined);
        if (answer.outcome !== 'pending' && (await this.runs.settleUpdateInEngine(call.auditId, answer.outcome === 'taken' ? null : answer.refused))) settled.push(call.entityId);
        continue;
      }
      const outcome = await this.callOutcome(call);
      if (outcome !== 'pending' && (await this.runs.settleCall(call.auditId, outcome))) settled.push(call.entityId);
    }
    return settled;
  }

  private async callOutcome(call: UnsettledCall): Promise<'taken' | 'not-taken' | 'pending'> {
    if (call.updateId) return (await this.engine.updateOutcome(call.entityId, call.updateId, call.runId ?? undefined)).outcome;
    if (call.action === 'playbook.cancel') return this.engine.cancelOutcome(call.entityId, call.at);
    // A start, and what the person gave the run with it (a promise to pay it holds).
    return this.engine.startOutcome(call.entityId, call.at);
  }

  /**
   * An invoice paid through an import (or any way but recordPayment): its reminder run ends now,
   * not at its next step days later (it checks the invoice itself). Of these invoices, or all.
   */
  async tellPaidReminders(invoiceIds?: string[]): Promise<string[]> {
    const told: string[] = [];
    for (const workflowId of await this.runs.remindersOfPaidInvoices(invoiceIds)) if (await this.engine.paymentReceived(workflowId)) told.push(workflowId);
    return told;
  }

  /**
   * A customer who withdrew marketing consent: their thank-you under way is told, so one waiting (for their quiet hours,
   * or a hold to pass) ends not thanked now instead of showing as on its way, and holding up an erasure, until its
   * deadline. Of these customers (told at once by the opt-out or update), or of all whose consent was withdrawn
   * lately: by an import, or where telling at once failed.
   */
  async tellThankYousWithoutConsent(customerIds?: string[]): Promise<string[]> {
    const told: string[] = [];
    const runs = await this.runs.thankYousWithoutConsent(customerIds ? { customerIds } : { withdrawnWithinMs: CONSENT_WITHDRAWN_TOLD_WITHIN_MS });
    for (const workflowId of runs) if (await this.engine.consentWithdrawn(workflowId)) told.push(workflowId);
    return told;
  }

  /**
   * An invoice cancelled in the billing system (an invoices import says so): its reminder run is
   * cancelled, audited as the billing system's word, and sends nothing more. Of these invoices, or all.
   */
  async cancelRemindersOfCancelledInvoices(invoiceIds?: string[]): Promise<string[]> {
    return this.cancelAll(await this.runs.remindersOfCancelledInvoices(invoiceIds), 'The invoice was cancelled in the billing system', INVOICE_CANCELLED_ACTOR);
  }

  /**
   * An invoice whose due day the billing system moved later (an invoices import: a payment extension), so it is not
   * overdue now: its reminder run is cancelled, audited as the billing system's word, and sends nothing more (no
   * reminder calls it overdue or charges a fee before the new due day). Unpaid after that day, it is left to a person
   * (`overdueInvoices(leftToPeople: true)`), who may start its next run. Of these invoices, or all.
   */
  async cancelRemindersOfInvoicesNotDue(invoiceIds?: string[]): Promise<string[]> {
    return this.cancelAll(await this.runs.remindersOfInvoicesNotDue(invoiceIds), 'The due day was moved later in the billing system: the invoice is not overdue', INVOICE_NOT_DUE_ACTOR);
  }

  /**
   * A customer who has left (offboarded: an import says so, or their account review offboarded
   * them): their account review, welcome check or thank-you under way is cancelled, audited, and
   * asks nobody to decide on, call or thank them. Of these customers, or all.
   */
  async cancelRunsOfCustomersWhoLeft(customerIds?: string[]): Promise<string[]> {
    return this.cancelAll(await this.runs.runsOfCustomersWhoLeft(customerIds), 'The customer has left (offboarded)', CUSTOMER_LEFT_ACTOR);
  }

  private async cancelAll(workflowIds: string[], reason: string, actor: string): Promise<string[]> {
    const cancelled: string[] = [];
    for (const workflowId of workflowIds) {
      try {
        await this.playbooks.cancelRun(workflowId, reason, actor);
        cancelled.push(workflowId);
      } catch (error) {
        // Ended or being cancelled meanwhile: nothing left to do.
        if (!(error instanceof PlaybookException && error.code === PlaybookExceptionCode.RunAlreadyFinished)) throw error;
      }
    }
    return cancelled;
  }

  private async auditCancelsInEngine(): Promise<string[]> {
    const cancelled = await this.runs.cancelledWithoutAudit(UNAUDITED_CANCEL_DAYS);
    const audited: string[] = [];
    for (const workflowId of cancelled) {
      // The run records its cancel just before it closes: until it has closed, the next pass finds who asked for it.
      // (Asked first: a history read while it was still closing would not hold the request yet.)
      if (await this.engine.isRunning(workflowId)) continue;
      const how = await this.engine.howEnded(workflowId);
      await this.runs.auditCancelInEngine({ workflowId, reason: how?.reason ?? null, by: how?.by ?? null, runId: how?.runId ?? null });
      audited.push(workflowId);
    }
    return audited;
  }

  private async recordPlaybookRunsEnded(): Promise<string[]> {
    const oldest = await this.runs.oldestRunningStart();
    if (!oldest) return [];
    const ended = await this.engine.findEndedInEngine(new Date(oldest.getTime() - RECORDED_AFTER_START_MS));
    const running = await this.runs.stillRunning(ended.map((run) => run.workflowId));
    const recorded: string[] = [];
    for (const run of ended.filter((r) => running.has(r.workflowId))) {
      const how = await this.engine.howEnded(run.workflowId);
      // Ended, then reset before this pass: it runs again (the reset is recorded below).
      if (!how && (await this.engine.isRunning(run.workflowId))) continue;
      if (await this.runs.recordEndedInEngine({ ...run, reason: how?.reason ?? null, by: how?.by ?? null, runId: how?.runId ?? null })) recorded.push(run.workflowId);
    }
    return recorded;
  }

  /**
   * Runs reset in the engine within the last days and not recorded yet, whether the reset
   * execution is still under way or already closed: each reset is audited once; an ended run
   * that runs again is recorded running and its fix case follows it (`recordResetInEngine`). A
   * fix's own state says whether it waits for its fix again; a fix that cannot answer (no
   * worker) is left to the next pass.
   */
  private async recordPlaybookRunsReset(): Promise<string[]> {
    const started = await this.engine.findStartedSince(new Date(Date.now() - UNRECORDED_RESET_DAYS * 86_400_000));
    const recorded: string[] = [];
    for (const run of await this.runs.resetCandidates(started)) {
      const reset = await this.engine.howReset(run.workflowId, run.runId);
      if (!reset) continue;
      let fixCase: FixCaseAfterReset | null = null;
      if (run.playbook === FIX_ISSUE && run.running) {
        const state = await this.engine.fixIssueState(run.workflowId).catch(() => null);
        if (!state) continue;
        fixCase = { awaitsFix: awaitsFix(state.step), owner: state.owner, escalations: state.escalations };
      }
      let promiseHeld: boolean | null = null;
      if (run.playbook === FAIR_REMINDER && run.running) {
        const state = await this.engine.fairReminderState(run.workflowId).catch(() => null);
        if (!state) continue;
        promiseHeld = state.promisedUntil !== null;
      }
      // A cancel or termination the reset undid before any pass saw it is audited with it (no pass sees it later: the run runs again).
      const endUndone = reset.replacedRunId ? await this.engine.endUndoneByReset(run.workflowId, reset.replacedRunId) : null;
      if (await this.runs.recordResetInEngine({ workflowId: run.workflowId, runId: run.runId, running: run.running, endedAs: run.endedAs, reset, fixCase, promiseHeld, endUndone }))
        recorded.push(run.workflowId);
    }
    return recorded;
  }
}
