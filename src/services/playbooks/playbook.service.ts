import { PROPOSAL_HELD_AT_COMPLAINT } from '../../domain/messages/catalogue.js';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid, workflowIdProblem } from '../../domain/ids.js';
import { runTagSearchProblem } from '../../domain/playbooks/run-tags.js';
import { decodeCursor, encodeCursor, forwardPageSize, invalidCursor, mapPage, scopedTag, toPage, type Page, type PageArgs } from '../common/pagination.js';
import { APPRECIATION, appreciationWorkflowId, THANK_YOU_STEP, thankYouNotSpent } from '../../domain/playbooks/appreciation.js';
import { ACCOUNT_REVIEW, accountReviewWorkflowId, type AccountReviewState } from '../../domain/playbooks/account-review.js';
import { FAIR_REMINDER, fairReminderInvoiceId, fairReminderWorkflowId, promiseDayOutOfRange, reminderRunEndedShort, reminderRunEndedWithPerson, reminderRunLeftInvoiceToPerson, type PaymentPromise } from '../../domain/playbooks/fair-reminder.js';
import { fairReminderProblem } from '../../domain/playbooks/eligibility.js';
import { FIX_ISSUE, fixIssueWorkflowId, fixNotSpent, nextRunEscalations } from '../../domain/playbooks/fix-issue.js';
import { occurrenceWorkflowId } from '../../domain/playbooks/occurrence.js';
import type { PlaybookRunState } from '../../domain/playbooks/run-state.js';
import { NOT_NEW, welcomeCheckWorkflowId, welcomeNotSpent, WELCOME_CHECK, WELCOME_STEP } from '../../domain/playbooks/welcome-check.js';
import { BillingException, BillingExceptionCode } from '../billing/billing.exception.js';
import type { InvoiceService } from '../billing/invoice.service.js';
import { assertNotDisputed } from '../billing/invoice-dispute.service.js';
import { judgedDueDate } from '../../domain/billing/dispute.js';
import { CustomerStatus, type Customer, type PlaybookRun } from '../../entities/index.js';
import type { CustomerService } from '../customers/customer.service.js';
import type { LaunchedRun, PlaybookEngine, RunSearch, RunTags } from '../engines/playbook-engine.js';
import type { Policies } from '../../domain/policies/index.js';
import { ScoreKind } from '../../domain/scoring/score-kind.js';
import type { ScoreService } from '../scores/score.service.js';
import { fixIssueTopic, PlaybookException, PlaybookExceptionCode } from './playbook.exception.js';
import type { PlaybookEligibilityService } from './playbook-eligibility.service.js';
import type { PlaybookRunService } from './playbook-run.service.js';
import type { AccountReviewJudgement } from './account-review-judgement.service.js';
import { openIssuesText, welcomeConfirmationRefusal } from './open-issues.js';
import { echoed, reasonProblem } from '../../domain/text.js';
import { RunStatus, runStatus } from '../../domain/playbooks/run-status.js';

/**
 * A promise to pay refused as the invoice's reminder run has ended (its end as recorded; null while it is not recorded
 * yet), saying what to do: an invoice handed over to collections is theirs; otherwise its next run takes it.
 */
function promiseAfterRunEnded(invoiceId: string, end: { outcome: string | null } | null): PlaybookException {
  const outcome = end?.outcome ?? null;
  const next =
    outcome === 'handed-over'
      ? 'the invoice was handed over to collections, who take a promise to pay it'
      : `start its reminders with startFairReminder, then record the promise${end ? '' : ' (or record it again in a moment, once its end is recorded: the next run then takes it)'}`;
  return new PlaybookException(PlaybookExceptionCode.RunAlreadyFinished, `The reminder run for invoice ${invoiceId} has ended${outcome ? ` (${outcome})` : ''}: ${next}`, { invoiceId, outcome });
}

/** How long promiseToPay waits for a reminder run that refused it while recording its end to have recorded it (a moment, as a rule). */
const PROMISE_END_RECORDED_WITHIN_MS = 5_000;

/** How deep runningPlaybookRuns pages: a cursor past the 10,000th run is refused (narrow the search instead). */
const MAX_RUNNING_OFFSET = 10_000;

export interface PlaybookRunView {
  workflowId: string;
  playbook: string;
  customerId: string;
  /** The database record (written as the run starts; null for one being started, or started before runs were recorded so). */
  record: PlaybookRun | null;
  /** Live state from the running (or finished) workflow. */
  state: PlaybookRunState | null;
  /**
   * The run's LoyaltyBand tag, as the search that listed it read it (runningPlaybookRuns): the band a
   * reminder or fix follows once it has read it, another playbook's customer's band when it started
   * (`unknown`: no payment-loyalty band). A run not listed so has it in its state (the engine's word).
   */
  loyaltyBandTag?: string | null;
  /** Listed by the engine's search for runs under way, without its live state: running, whatever its record says (a run reset after its recorded end). */
  listedRunning?: boolean;
}

/**
 * Who starts a run without a person (whose starts are audited): the trigger sweep, or a
 * campaign (`campaignId`). A campaign's audience is its segment narrowed by the same rules
 * (campaignPlaybooks' conditions, in SQL) before the holdout is drawn, and its enrolment
 * retries a page that fails, so its starts are not checked again here; a person's and the sweep's are.
 */
export interface LaunchOptions {
  campaignId?: string;
  /**
   * Checked in the transaction that records the start, before its record is written, and held
   * (with any lock it takes) until the engine took the start and the record is committed; throws
   * (a domain error) to start nothing. The sweep's check that no campaign holds the customer back
   * takes the lock a campaign page draws under: a page drawing next sees the run recorded.
   */
  claim?: (em: EntityManager) => Promise<void>;
}

/** A run about to start: its ID, what the audit entry of a start by hand records, and the engine's call that starts it (or finds it started). */
interface PendingRun {
  playbook: string;
  workflowId: string;
  customerId: string;
  details: Record<string, unknown>;
  start: () => Promise<LaunchedRun>;
}

/**
 * How a person's input sent to a run ended, for its audit entry: the engine could not say in
 * time whether the run took it, or the run refused it (its validator or handler, naming the
 * update; a run not found is not that: it may have taken the update before it ended).
 */
const updateOutcome = {
  unknown: (error: unknown) => error instanceof PlaybookException && error.code === PlaybookExceptionCode.OutcomeUnknown,
  refused: (error: unknown) => error instanceof PlaybookException && error.kind === 'CONFLICT' && typeof error.details.updateId === 'string',
};

export class PlaybookService {
  constructor(
    private readonly customers: CustomerService,
    private readonly invoices: InvoiceService,
    private readonly runs: PlaybookRunService,
    private readonly scores: ScoreService,
    private readonly engine: PlaybookEngine,
    private readonly eligibility: PlaybookEligibilityService,
    private readonly policies: Policies,
    private readonly reviews: AccountReviewJudgement,
  ) {}

  /**
   * Welcomes a newcomer; a second call returns the same run. Once that run ended without completing (cancelled,
   * terminated) before its welcome went (`welcomeNotSpent`), a call starts the customer's next one, `<ID>/<n>`.
   */
  async startWelcomeCheck(customerId: string, actor: string): Promise<PlaybookRunView> {
    return this.startByHand(await this.pendingWelcomeCheck(customerId, {}, { byHand: true }), actor);
  }

  /** Starts it (or finds it running) and returns its workflow ID (and to a campaign, which campaign started it): for sweeps and campaigns, which do not show the run. */
  async launchWelcomeCheck(customerId: string, options: LaunchOptions = {}): Promise<LaunchedRun> {
    return this.launch(await this.pendingWelcomeCheck(customerId, options));
  }

  private async pendingWelcomeCheck(customerId: string, options: LaunchOptions = {}, { byHand = false } = {}): Promise<PendingRun> {
    const customer = await this.assertMayStart(customerId, WELCOME_CHECK);
    const base = welcomeCheckWorkflowId(customerId);
    const last = await this.runs.latestOccurrence(customerId, WELCOME_CHECK, base);
    if (byHand && last) await this.recordEndFromEngine(last.record);
    // One that never welcomed the customer (cancelled before its welcome went) is not their welcome check: a person may start the next.
    const again = byHand && last && welcomeNotSpent(last.record, await this.eligibility.stepMessageMayReach(last.record.workflowId, WELCOME_STEP));
    const workflowId = !last ? base : again ? occurrenceWorkflowId(base, last.occurrence + 1) : last.record.workflowId;
    // A welcome is for a newcomer.
    await this.checkUnlessStarted(workflowId, options, () => this.eligibility.assertWelcomeCheck(customer, this.policies.welcomeCheck));
    const tags = await this.tags(customerId, options);
    return { playbook: WELCOME_CHECK, workflowId, customerId, details: {}, start: () => this.engine.startWelcomeCheck({ workflowId, customerId, policy: this.policies.welcomeCheck, tags }) };
  }

  /** The customer confirmed their onboarding (audited). */
  async confirmWelcome(customerId: string, actor: string): Promise<PlaybookRunView> {
    await this.customers.get(customerId, 'customerId');
    const workflowId = await this.currentRunId(WELCOME_CHECK, customerId, welcomeCheckWorkflowId(customerId));
    const state = await this.engine.welcomeCheckState(workflowId);
    // After the wait a person calls: what the call finds is no confirmation of the run's, and the answer says where it goes.
    const finished = (outcome: string | null) =>
      new PlaybookException(
        PlaybookExceptionCode.RunAlreadyFinished,
        `The welcome check of customer ${customerId} has already finished${
          outcome === 'follow-up-needed'
            ? ' without a confirmation: a person calls the customer (the call task); a problem the call finds is recorded as a complaint (recordComplaint)'
            : outcome === NOT_NEW
              ? ' without a confirmation: the customer was no newcomer by then, so no call was asked for; a problem they tell of is recorded as a complaint (recordComplaint)'
              : ''
        }`,
        { customerId, outcome },
      );
    if (!state) throw await this.endedOrNone(workflowId, finished, () => new PlaybookException(PlaybookExceptionCode.RunNotFound, `No welcome check runs for customer ${customerId}`, { customerId }));
    if (state.step === 'done') throw finished(await this.endedOutcome(workflowId, state));
    // A complaint or fix case open is the customer's "it does not work": the check is not closed as confirmed over it (its
    // call at the end of the wait starts with it), as an offboarding is not approved over one. The run checks the same again
    // before it takes a confirmation (one typed in the Temporal UI or CLI, or a complaint recorded after this check).
    const refusal = welcomeConfirmationRefusal(customerId, await this.reviews.openIssues(customerId));
    if (refusal) {
      const { message, ...details } = refusal;
      throw new PlaybookException(PlaybookExceptionCode.DecisionRefused, message, { customerId, ...details });
    }
    await this.runs.auditedUpdate(
      { actor, action: 'playbook.confirm-welcome', workflowId, after: { customerId } },
      async (updateId) => ((await this.engine.confirmWelcome(workflowId, updateId)) ?? fail(finished(await this.endedOutcome(workflowId, state)))).acted(),
      updateOutcome,
    );
    return this.runView(WELCOME_CHECK, customerId, workflowId);
  }

  /** The customer's (newest) welcome check, or null if none was ever started. */
  async findWelcomeCheck(customerId: string): Promise<PlaybookRunView | null> {
    await this.customers.get(customerId, 'customerId');
    return this.existingRun(WELCOME_CHECK, customerId, await this.currentRunId(WELCOME_CHECK, customerId, welcomeCheckWorkflowId(customerId)));
  }

  /**
   * Starts fair reminders for an overdue, unpaid invoice; a second call returns the same run. Once that run
   * left the invoice unchased (`reminderRunEndedShort`: cancelled, ended in the engine, or ended as paid
   * before the invoice opened again), or handed it to a person (`reminderRunEndedWithPerson`: a call, the
   * decision after it), a call starts the invoice's next run.
   */
  async startFairReminder(invoiceId: string, actor: string): Promise<PlaybookRunView> {
    return this.startByHand(await this.pendingFairReminder(invoiceId, { byHand: true }), actor);
  }

  /**
   * As startFairReminder, without reading the run back (for the trigger sweep). A run that handed the invoice
   * to a person is answered as it is: that person decides how to go on, not the sweep.
   */
  async launchFairReminder(invoiceId: string): Promise<{ customerId: string; workflowId: string }> {
    const run = await this.pendingFairReminder(invoiceId, { byHand: false });
    return { customerId: run.customerId, workflowId: (await this.launch(run)).workflowId };
  }

  /** The invoice's run to start (or to find started); `promise` a promise to pay the run starts holding. */
  private async pendingFairReminder(invoiceId: string, { byHand, promise }: { byHand: boolean; promise?: PaymentPromise }): Promise<PendingRun> {
    const invoice = await this.invoices.get(invoiceId);
    if (invoice.paidAt) throw new BillingException(BillingExceptionCode.InvoiceAlreadyPaid, `Invoice ${invoiceId} was paid on ${invoice.paidAt}`, { invoiceId });
    if (invoice.cancelledAt) throw new BillingException(BillingExceptionCode.InvoiceCancelled, `Invoice ${invoiceId} was cancelled on ${invoice.cancelledAt}: nothing is owed on it`, { invoiceId, cancelledAt: invoice.cancelledAt });
    // Whoever starts it (a person, the sweep between finding the invoice and starting its run, a promise starting the next run).
    assertNotDisputed(invoice, promise ? 'record the promise if the invoice stands' : 'start its reminders if the invoice stands');
    // Overdue by the day it is judged due (a dispute's days left out), as the sweep and payment loyalty judge it.
    const judgedDue = judgedDueDate(invoice, new Date());
    const notOverdue = fairReminderProblem(judgedDue, new Date(), this.policies.triggers);
    if (notOverdue) {
      const disputed = judgedDue !== invoice.dueAt ? ` (its due day ${invoice.dueAt} moved later by the days it was disputed)` : '';
      throw new BillingException(BillingExceptionCode.InvoiceNotOverdue, `Invoice ${invoiceId} is ${notOverdue}${disputed}`, { invoiceId, dueAt: invoice.dueAt, ...(disputed ? { judgedDueAt: judgedDue } : {}), field: 'invoiceId' });
    }
    const customerId = invoice.customer.id;
    await this.assertMayStart(customerId, FAIR_REMINDER);
    const base = fairReminderWorkflowId(customerId, invoiceId);
    const last = await this.runs.latestOccurrence(customerId, FAIR_REMINDER, base);
    const again = last && (reminderRunEndedShort(last.record) || (byHand && reminderRunEndedWithPerson(last.record)));
    const workflowId = !last ? base : again ? occurrenceWorkflowId(base, last.occurrence + 1) : last.record.workflowId;
    const tags = await this.tags(customerId);
    return {
      playbook: FAIR_REMINDER,
      workflowId,
      customerId,
      details: { invoiceId },
      start: () => this.engine.startFairReminder({ workflowId, customerId, invoiceId, policy: this.policies.fairReminder, tags, promise }),
    };
  }

  /** The invoice's newest fair-reminder run, or null if none was started. */
  async findFairReminder(invoiceId: string): Promise<PlaybookRunView | null> {
    const invoice = await this.invoices.get(invoiceId);
    const customerId = invoice.customer.id;
    return this.existingRun(FAIR_REMINDER, customerId, await this.currentRunId(FAIR_REMINDER, customerId, fairReminderWorkflowId(customerId, invoiceId)));
  }

  /**
   * The customer promised to pay the invoice by `until`: its reminder run holds until then and its grace days. Audited.
   * Made once its last run left the invoice to a person (`reminderRunLeftInvoiceToPerson`: handed it over on the call it
   * asked for, or cancelled by an operator, ended in the engine), the invoice's next run starts holding it, so the
   * customer gets nothing until it lapses unpaid. Refused once the run handed the invoice to collections, saying so.
   * A day outside the window is the date picker's error (VALIDATION on `until`, which bound, and the window), told
   * before the run is asked; the run still refuses what depends on it (paid, ended).
   */
  async promiseToPay(invoiceId: string, until: string, recordedBy: string): Promise<PlaybookRunView> {
    // (The policies given always hold one; it is optional only in the input of runs started before promises.)
    const { promise } = this.policies.fairReminder;
    const outOfRange = promise ? promiseDayOutOfRange(until, new Date().toISOString().slice(0, 10), promise) : null;
    if (outOfRange) {
      const { message, ...window } = outOfRange;
      throw new PlaybookException(PlaybookExceptionCode.InvalidInput, `The promise was not taken: ${message} (a promise names a day from ${window.earliestDay} to ${window.latestDay})`, { field: 'until', ...window });
    }
    const invoice = await this.invoices.get(invoiceId);
    // Cancelled by the billing system (its run is cancelled at the next reconciliation): nothing is owed to promise.
    if (invoice.cancelledAt) throw new BillingException(BillingExceptionCode.InvoiceCancelled, `Invoice ${invoiceId} was cancelled on ${invoice.cancelledAt}: nothing is owed on it`, { invoiceId, cancelledAt: invoice.cancelledAt });
    // Paid by a path its run has not heard of yet (an import from the command line): refused as the run refuses it.
    if (invoice.paidAt) throw new PlaybookException(PlaybookExceptionCode.PromiseRefused, `The promise was not taken: invoice ${invoiceId} was paid on ${invoice.paidAt}`, { invoiceId, paidAt: invoice.paidAt });
    // The customer says they do not owe it as billed: a promise to pay it waits for the dispute's resolution (rejected, the
    // invoice stands), else it would contradict the dispute and start the run's hold on a promise instead of on the dispute.
    assertNotDisputed(invoice, 'record the promise if the invoice stands');
    const customerId = invoice.customer.id;
    const last = await this.runs.latestOccurrence(customerId, FAIR_REMINDER, fairReminderWorkflowId(customerId, invoiceId));
    // Made to the person the last run left the invoice to (on the call it asked for, or after an operator stopped it):
    // the invoice's next run starts holding it, rather than a reminder going out seconds after the promise.
    if (last && reminderRunLeftInvoiceToPerson(last.record)) {
      const started = await this.startHoldingPromise(invoiceId, until, recordedBy);
      if (started) return started;
    }
    const workflowId = await this.currentRunId(FAIR_REMINDER, customerId, fairReminderWorkflowId(customerId, invoiceId));
    let state: Awaited<ReturnType<PlaybookEngine['promiseToPay']>>;
    try {
      state = await this.runs.auditedUpdate({ actor: recordedBy, action: 'playbook.promise-to-pay', workflowId, after: { invoiceId, until } }, async (updateId) => {
        const taken = await this.engine.promiseToPay(workflowId, { until, recordedBy }, updateId);
        if (taken) return taken;
        const record = await this.runs.findByWorkflowId(workflowId);
        if (record) throw promiseAfterRunEnded(invoiceId, record.status === RunStatus.Running ? null : { outcome: record.outcome ?? null });
        throw new PlaybookException(PlaybookExceptionCode.RunNotFound, `No reminder run for invoice ${invoiceId}: start its reminders with startFairReminder, then record the promise`, { invoiceId });
      }, updateOutcome);
    } catch (error) {
      // The run ended (or was recording its end) after its record was read above: once that end is recorded, one that left
      // the invoice to a person has the promise start the invoice's next run, as if it had come a moment later.
      if (!(error instanceof PlaybookException && error.code === PlaybookExceptionCode.RunAlreadyFinished)) throw error;
      const ended = await this.runs.recordedEnd(workflowId, PROMISE_END_RECORDED_WITHIN_MS);
      if (ended && reminderRunLeftInvoiceToPerson(ended)) {
        const started = await this.startHoldingPromise(invoiceId, until, recordedBy);
        if (started) return started;
      }
      // Told as the end recorded now says (handed over to collections), not as it stood when the run refused.
      throw ended && !reminderRunLeftInvoiceToPerson(ended) ? promiseAfterRunEnded(invoiceId, ended) : error;
    }
    // The run holds its queued reminders back itself when it takes the promise; one started before it did is helped here.
    await this.runs.holdBackForPromise(workflowId, until);
    return this.runView(FAIR_REMINDER, customerId, workflowId, { state });
  }

  /**
   * Starts the invoice's next reminder run holding the customer's promise (its last run left the invoice to a
   * person): nothing is sent until the promise lapses unpaid, then the run's schedule goes on from its start.
   * Audited as its start by hand and as the promise (which the timeline shows). Null when the run was started
   * meanwhile (another person's start or promise at the same moment): the promise goes to it as an update.
   */
  private async startHoldingPromise(invoiceId: string, until: string, recordedBy: string): Promise<PlaybookRunView | null> {
    const run = await this.pendingFairReminder(invoiceId, { byHand: true, promise: { until, recordedBy } });
    const entry = { actor: recordedBy, workflowId: run.workflowId, playbook: run.playbook, customerId: run.customerId, after: { playbook: run.playbook, customerId: run.customerId, ...run.details, promisedUntil: until } };
    const promised = { action: 'playbook.promise-to-pay' as const, after: { invoiceId, until } };
    if (!(await this.runs.startByHand(entry, run.start, () => customerErased(run.customerId, run.playbook), [promised]))) return null;
    // Shown holding the promise from its first workflow task (Temporal answers the query after it); unknown while no worker answers.
    return this.runView(FAIR_REMINDER, run.customerId, run.workflowId, { stateMayBeUnknown: true });
  }

  /**
   * Starts fixing a customer's persistent issue (PLAYBOOK_NOT_ELIGIBLE for a topic that is not
   * persistent); a second call for the same topic returns the same run, until the issue comes back after it.
   * Once that run ended cancelled or terminated before its fix (`fixNotSpent`), a call starts the topic's next run.
   */
  async startFixIssue(customerId: string, topic: string, actor: string): Promise<PlaybookRunView> {
    return this.startByHand(await this.pendingFixIssue(customerId, topic, {}, { byHand: true }), actor);
  }

  /**
   * As startFixIssue, without reading the run back (for the trigger sweep and campaigns). The
   * run under way is joined; a finished one is returned unless the issue came back after it
   * (a complaint about the topic since its fix), which starts the next occurrence.
   */
  async launchFixIssue(customerId: string, topic: string, options: LaunchOptions = {}): Promise<LaunchedRun> {
    return this.launch(await this.pendingFixIssue(customerId, topic, options));
  }

  private async pendingFixIssue(customerId: string, topic: string, options: LaunchOptions = {}, { byHand = false } = {}): Promise<PendingRun> {
    await this.assertMayStart(customerId, FIX_ISSUE);
    topic = fixIssueTopic(topic);
    const base = fixIssueWorkflowId(customerId, topic);
    const last = await this.runs.latestOccurrence(customerId, FIX_ISSUE, base);
    if (byHand && last) await this.recordEndFromEngine(last.record);
    const lastCase = last ? await this.runs.fixCaseOf(last.record.workflowId) : null;
    // One stopped before its fix (cancelled, terminated) left the issue unfixed: a person may start the next (the sweep waits for a complaint).
    const again = async (record: PlaybookRun) => (await this.runs.fixDue(customerId, topic)) || (byHand && fixNotSpent(record, lastCase?.fixed ?? false));
    // A new run (not the one joined, which tells the customer nothing new) is for a persistent issue only.
    const next = !last ? base : (await again(last.record)) ? occurrenceWorkflowId(base, last.occurrence + 1) : null;
    if (next && !options.campaignId) await this.eligibility.assertFixIssue(customerId, topic, this.policies.scoring.persistentIssue);
    const workflowId = next ?? last!.record.workflowId;
    // A later run takes the issue up where the last left it: one level up when its fix did not hold.
    const escalations = next && last ? nextRunEscalations(this.policies.fixIssue, lastCase) : 0;
    const tags = await this.tags(customerId, options);
    return {
      playbook: FIX_ISSUE,
      workflowId,
      customerId,
      details: { topic, ...(escalations > 0 ? { escalations } : {}) },
      start: () => this.engine.startFixIssue({ workflowId, customerId, topic, policy: this.policies.fixIssue, tags, escalations }),
    };
  }

  /** The owner fixed the cause: the run stops escalating and checks back with the customer later (audited). */
  async resolveIssue(customerId: string, topic: string, actor: string): Promise<PlaybookRunView> {
    await this.customers.get(customerId, 'customerId');
    topic = fixIssueTopic(topic);
    const workflowId = await this.currentRunId(FIX_ISSUE, customerId, fixIssueWorkflowId(customerId, topic));
    const state = await this.engine.fixIssueState(workflowId);
    // A cancelled run stopped where it was: the engine refuses the signal, and it counts as ended.
    const ended = (outcome: string | null) =>
      new PlaybookException(PlaybookExceptionCode.RunAlreadyFinished, `The fix-issue run for "${topic}" of customer ${customerId} has ended${outcome ? ` (${outcome})` : ''}`, { customerId, topic, workflowId, outcome });
    if (!state) throw await this.endedOrNone(workflowId, ended, () => new PlaybookException(PlaybookExceptionCode.RunNotFound, `No fix-issue run for "${topic}" of customer ${customerId}`, { customerId, topic }));
    if (state.step === 'done') throw ended(await this.endedOutcome(workflowId, state));
    const call = { actor, action: 'playbook.resolve-issue' as const, workflowId, after: { customerId, topic } };
    // The same request again after PLAYBOOK_OUTCOME_UNKNOWN joins that update (the run answers it as taken), not refused as a second fix;
    // after the run took it (its response lost on the way), the caller's same report answers as the first did, nothing recorded again.
    if (state.resolved && (await this.runs.repeatsTakenCall(call))) return this.runView(FIX_ISSUE, customerId, workflowId);
    if (state.resolved && !(await this.runs.joinsUnsettledCall(call))) {
      throw new PlaybookException(PlaybookExceptionCode.IssueAlreadyResolved, `The issue "${topic}" of customer ${customerId} is already resolved; the run checks back with the customer (step ${state.step})`, {
        customerId,
        topic,
        step: state.step,
      });
    }
    await this.runs.auditedUpdate(call, async (updateId) => ((await this.engine.issueResolved(workflowId, updateId)) ?? fail(ended(await this.endedOutcome(workflowId, state)))).acted(), updateOutcome);
    return this.runView(FIX_ISSUE, customerId, workflowId);
  }

  /**
   * The customer complained about the topic again after its fix: a fix waiting for its
   * check-back reopens (the run ignores it otherwise). `told` when the run heard it; `none` when no
   * fix runs, or the complaint is dated before the fix (recorded late, or an older row of an import);
   * `ended` when the engine had ended the run, past its fix, that its record says is under way (terminated in the Temporal
   * UI, failed, timed out; one still at its fix is left to the run reconciliation): its end is recorded now, as a person's start does, so the complaint's
   * follow-up starts the topic's next run at once instead of the next sweep; `untold` when the run
   * should have heard it and did not (closed in the engine in a way not recorded yet): the caller warns.
   */
  async reportIssueRecurred(customerId: string, topic: string): Promise<{ outcome: 'told' | 'none' | 'ended' | 'untold'; workflowId: string | null }> {
    // Only a recorded run can be past its fix (the record is its first step): most complaints need no call to the engine.
    const last = await this.runs.latestOccurrence(customerId, FIX_ISSUE, fixIssueWorkflowId(customerId, topic));
    if (last?.record.status !== RunStatus.Running) return { outcome: 'none', workflowId: null };
    const { workflowId } = last.record;
    // Only a run past its fix hears of a complaint, so only then is the engine asked (a complaint while the fix is under way needs no call).
    if (!(await this.runs.complainedSinceFixed(workflowId))) return { outcome: 'none', workflowId };
    if (await this.recordEndFromEngine(last.record)) return { outcome: 'ended', workflowId };
    return { outcome: (await this.engine.issueRecurred(workflowId)) ? 'told' : 'untold', workflowId };
  }

  /**
   * The customer complained: a thank-you of theirs waiting for their quiet hours asks the contact guard again now, and
   * shows held back by the complaint instead of on its way until the morning. Answers the runs told. A run not told
   * (the engine unreachable) still asks the guard at its deadline, and sends nothing while the complaint is open.
   */
  async tellThankYouOfComplaint(customerId: string): Promise<string[]> {
    const told: string[] = [];
    for (const workflowId of await this.runs.thankYousUnderWay(customerId)) if (await this.engine.complaintOpened(workflowId)) told.push(workflowId);
    return told;
  }

  /**
   * The customer complained while an account review's proposal was still queued, and it was held back
   * (`holdBackProposalAtComplaint`): the review is told, so it stops awaiting an answer that cannot come and proposes
   * again once nothing is open. Answers the runs told. A run not told (the engine unreachable) finds it at the end of its
   * answer wait.
   */
  async tellReviewsOfHeldProposal(customerId: string): Promise<string[]> {
    const told: string[] = [];
    for (const workflowId of await this.runs.reviewsWithProposalHeldAtComplaint(customerId)) if (await this.engine.proposalHeldAtComplaint(workflowId)) told.push(workflowId);
    return told;
  }

  /**
   * A complaint of the customer's was withdrawn or resolved, and nothing of theirs is open any more: an account review whose
   * proposal the contact guard holds back for an open complaint is told, so it proposes now rather than at its next look
   * (a day later by default). Answers the runs told. A run not told (the engine unreachable) proposes at its next look.
   */
  async tellReviewsOfClosedComplaint(customerId: string): Promise<string[]> {
    const told: string[] = [];
    for (const workflowId of await this.runs.reviewsWithNothingOpen(customerId)) if (await this.engine.complaintClosed(workflowId)) told.push(workflowId);
    return told;
  }

  /** The newest fix of the topic (a later occurrence when the issue came back after an earlier one). */
  async findFixIssue(customerId: string, topic: string): Promise<PlaybookRunView | null> {
    await this.customers.get(customerId, 'customerId');
    topic = fixIssueTopic(topic);
    return this.existingRun(FIX_ISSUE, customerId, await this.currentRunId(FIX_ISSUE, customerId, fixIssueWorkflowId(customerId, topic)));
  }

  /**
   * Starts the review of a loss-making account (PLAYBOOK_NOT_ELIGIBLE otherwise, or within the
   * cooldown after the last review); a second call while it runs returns the same run.
   */
  async startAccountReview(customerId: string, actor: string): Promise<PlaybookRunView> {
    return this.startByHand(await this.pendingAccountReview(customerId), actor);
  }

  /** As startAccountReview, without reading the run back (for the trigger sweep and campaigns). */
  async launchAccountReview(customerId: string, options: LaunchOptions = {}): Promise<LaunchedRun> {
    return this.launch(await this.pendingAccountReview(customerId, options), options.claim);
  }

  private async pendingAccountReview(customerId: string, options: LaunchOptions = {}): Promise<PendingRun> {
    const customer = await this.assertMayStart(customerId, ACCOUNT_REVIEW);
    const base = accountReviewWorkflowId(customerId);
    const last = await this.runs.latestOccurrence(customerId, ACCOUNT_REVIEW, base);
    let workflowId = last?.record.workflowId ?? base;
    // The review under way is joined; a new one (the first, or the next once the last has ended) must be due.
    if (last?.record.status !== RunStatus.Running) {
      // Under notice with no review of theirs running: the CRM gave it (an import), not a review. A proposal "that fits
      // you better" to a customer who is leaving, and a second notice of the review's own, are not for them.
      if (customer.status === CustomerStatus.Offboarding) {
        throw new PlaybookException(PlaybookExceptionCode.CustomerOffboarded, `Customer ${customerId} is under offboarding notice that no review of theirs gave: no ${ACCOUNT_REVIEW} starts for them`, { customerId, playbook: ACCOUNT_REVIEW });
      }
      if (last) workflowId = occurrenceWorkflowId(base, last.occurrence + 1);
      if (!options.campaignId) await this.eligibility.assertAccountReview(customerId, last?.record.finishedAt ?? null, this.policies.triggers.accountReviewCooldownDays);
    }
    const tags = await this.tags(customerId, options);
    return { playbook: ACCOUNT_REVIEW, workflowId, customerId, details: {}, start: () => this.engine.startAccountReview({ workflowId, customerId, policy: this.policies.accountReview, tags }) };
  }

  /** Records the customer's answer to the proposal the review made (audited). */
  async answerAccountProposal(customerId: string, accepted: boolean, actor: string): Promise<PlaybookRunView> {
    await this.customers.get(customerId, 'customerId');
    const workflowId = await this.currentRunId(ACCOUNT_REVIEW, customerId, accountReviewWorkflowId(customerId));
    const state = await this.engine.accountReviewState(workflowId);
    // A cancelled run stopped where it was: the engine refuses the answer, and it counts as ended.
    const ended = (outcome: string | null) => new PlaybookException(PlaybookExceptionCode.RunAlreadyFinished, `The account review of customer ${customerId} has ended${outcome ? ` (${outcome})` : ''}`, { customerId, workflowId, outcome });
    if (!state) throw await this.endedOrNone(workflowId, ended, () => new PlaybookException(PlaybookExceptionCode.RunNotFound, `No account review for customer ${customerId}`, { customerId }));
    if (state.step === 'done' || (await this.recordedEnded(workflowId))) throw ended(await this.endedOutcome(workflowId, state));
    const call = { actor, action: 'playbook.answer-proposal' as const, workflowId, after: { customerId, accepted } };
    // The same request again after PLAYBOOK_OUTCOME_UNKNOWN (the same caller, the same answer, the one the run holds) joins
    // that update: the run answers it as taken and its entry is settled, where it would be refused as a second answer.
    const retry = state.answer === (accepted ? 'accepted' : 'declined') && (await this.runs.joinsUnsettledCall(call));
    // The same caller's same answer again after the run took it (its response lost on the way): answered as the first
    // was, with the run as it stands; nothing new is recorded or sent to the run. Another caller's, or another answer, is refused below.
    if (!retry && state.answer === (accepted ? 'accepted' : 'declined') && (await this.runs.repeatsTakenCall(call))) return this.runView(ACCOUNT_REVIEW, customerId, workflowId);
    // A second answer (a colleague recorded one already): the person is told which answer stands, and that it is final,
    // not only that the run has moved on.
    if (state.answer && !retry) {
      throw new PlaybookException(
        PlaybookExceptionCode.DecisionRefused,
        `The account review of customer ${customerId} takes no second answer: the customer's answer was already taken (${state.answer}), and a proposal takes one answer (step ${state.step})`,
        { customerId, step: state.step, answer: state.answer },
      );
    }
    const neverReached = (heldBack: string) =>
      new PlaybookException(PlaybookExceptionCode.DecisionRefused, `The account review's proposal never reached customer ${customerId} (held back: ${heldBack}): there is nothing to answer`, { customerId, heldBack });
    if (state.step !== 'awaiting-answer' && !retry) {
      // Held back at a complaint, the run has gone back to proposing: the caller is told why there is nothing to answer.
      const heldBack = state.step === 'proposing' ? await this.runs.proposalNeverReached(workflowId) : null;
      if (heldBack === PROPOSAL_HELD_AT_COMPLAINT) throw neverReached(heldBack);
      throw new PlaybookException(PlaybookExceptionCode.DecisionRefused, `The account review of customer ${customerId} is not waiting for an answer (step ${state.step})`, { customerId, step: state.step });
    }
    // A proposal delivery held back (an opt-out, a complaint before it went) never reached the customer: there is nothing to answer.
    const heldBack = retry ? null : await this.runs.proposalNeverReached(workflowId);
    if (heldBack) throw neverReached(heldBack);
    await this.runs.auditedUpdate(call, async (updateId) => ((await this.engine.answerProposal(workflowId, accepted, updateId)) ?? fail(ended(await this.endedOutcome(workflowId, state)))).acted(), updateOutcome);
    // The run answers once it has acted on the answer (a cheaper tier in place): the run's customer shows it.
    await this.customers.refresh(customerId);
    return this.runView(ACCOUNT_REVIEW, customerId, workflowId);
  }

  /**
   * A person's decision on offboarding, recorded with their ID and reason (audited); the run refuses it unless it awaits one.
   * An approval is refused before it reaches the run (`assertMayApprove`; the run checks it again) while a complaint or fix of the customer's is open,
   * or when the account, rescored now, no longer loses money; a rejection is always taken.
   */
  async decideOffboarding(customerId: string, decision: { approve: boolean; reason: string }, decidedBy: string): Promise<PlaybookRunView> {
    await this.customers.get(customerId, 'customerId');
    const problem = reasonProblem(decision.reason, 'An offboarding decision needs a reason');
    if (problem) throw new PlaybookException(PlaybookExceptionCode.InvalidInput, problem, { field: 'reason' });
    const workflowId = await this.currentRunId(ACCOUNT_REVIEW, customerId, accountReviewWorkflowId(customerId));
    const reason = decision.reason.trim();
    const ended = () => new PlaybookException(PlaybookExceptionCode.RunAlreadyFinished, `The account review of customer ${customerId} has ended`, { customerId, workflowId });
    const call = { actor: decidedBy, action: 'playbook.decide-offboarding' as const, workflowId, after: { customerId, approve: decision.approve, reason } };
    // The caller's same decision again after the run took it (its response lost on the way; a rejection may have ended the
    // run since): answered as the first was, with the run as it stands, nothing recorded again nor checked anew.
    if (await this.runs.repeatsTakenCall(call)) {
      const current = await this.engine.accountReviewState(workflowId);
      if (current?.decision && current.decision.approve === decision.approve && current.decision.decidedBy === decidedBy) return this.runView(ACCOUNT_REVIEW, customerId, workflowId, { state: current });
    }
    // A cancelled run records its end before it closes: a decision then is told the run is over, not that it awaits none.
    if (await this.recordedEnded(workflowId)) throw ended();
    if (decision.approve) await this.assertMayApprove(customerId, workflowId);
    const state = await this.runs.auditedUpdate(
      call,
      async (updateId, reasonEntry) => {
        const decided = await this.engine.decideOffboarding(workflowId, { approve: decision.approve, reasonEntry, decidedBy }, updateId);
        if (decided) return decided;
        // No run under way: one that ended (a cancelled one stopped where it was), or none ever.
        if (await this.runs.findByWorkflowId(workflowId)) throw ended();
        throw new PlaybookException(PlaybookExceptionCode.RunNotFound, `No account review for customer ${customerId}`, { customerId });
      },
      updateOutcome,
    );
    return this.runView(ACCOUNT_REVIEW, customerId, workflowId, { state });
  }

  /**
   * Ends the offboarding notice of the customer's account review early: the customer leaves now (they asked to be erased,
   * or to leave at once). The run carries the offboarding out at once, as at the notice's end (offboarded, the billing
   * team's final-invoice task, the data export), without the looks that would keep them and without telling them the
   * contract continues, and answers once it has ended: the customer may be erased once the billing team's final-invoice
   * task has gone out (the erasure waits for it). Audited
   * (`playbook.end-offboarding-notice`, the caller and reason; the run names the entry). Refused, before it reaches the
   * run and unaudited, when the review is not in its notice (PLAYBOOK_DECISION_REFUSED, `refused: "not-in-notice"`); the
   * run refuses it too (one started before a notice could be ended early, or past its notice by the time it comes).
   */
  async endOffboardingNotice(customerId: string, reason: string, endedBy: string): Promise<PlaybookRunView> {
    await this.customers.get(customerId, 'customerId');
    const problem = reasonProblem(reason, 'Ending an offboarding notice early needs a reason (e.g. the erasure request it answers)');
    if (problem) throw new PlaybookException(PlaybookExceptionCode.InvalidInput, problem, { field: 'reason' });
    const workflowId = await this.currentRunId(ACCOUNT_REVIEW, customerId, accountReviewWorkflowId(customerId));
    const call = { actor: endedBy, action: 'playbook.end-offboarding-notice' as const, workflowId, after: { customerId, reason: reason.trim() } };
    // A retry of the caller's request whose outcome nobody knew (it answers only once the run has ended, so a client may
    // give up first): ended early by them, the run took it. Answered with the run, its entry settled, not refused as ended.
    if (await this.runs.joinsUnsettledCall(call)) {
      const view = await this.runView(ACCOUNT_REVIEW, customerId, workflowId, { stateMayBeUnknown: true });
      if ((view.state as AccountReviewState | null)?.noticeEnded?.endedBy === endedBy) {
        await this.runs.settleUnsettledCall(call, 'taken');
        return view;
      }
    }
    const ended = () => new PlaybookException(PlaybookExceptionCode.RunAlreadyFinished, `The account review of customer ${customerId} has ended`, { customerId, workflowId });
    if (await this.recordedEnded(workflowId)) throw ended();
    const current = await this.engine.accountReviewState(workflowId);
    if (!current) {
      if (await this.runs.findByWorkflowId(workflowId)) throw ended();
      throw new PlaybookException(PlaybookExceptionCode.RunNotFound, `No account review for customer ${customerId}`, { customerId });
    }
    if (current.step !== 'offboarding' || !current.decision?.approve || current.noticeEnded) {
      const why = current.noticeEnded ? `its notice was already ended early (by ${current.noticeEnded.endedBy})` : `it is not in an offboarding notice (step ${current.step})`;
      throw new PlaybookException(PlaybookExceptionCode.DecisionRefused, `The offboarding notice of customer ${customerId} cannot be ended early: ${why}`, { customerId, workflowId, refused: current.noticeEnded ? 'notice-already-ended' : 'not-in-notice', step: current.step, ...(current.noticeEnded ? { endedBy: current.noticeEnded.endedBy } : {}) });
    }
    const state = await this.runs.auditedUpdate(
      call,
      async (updateId, reasonEntry) => (await this.engine.endOffboardingNotice(workflowId, { endedBy, reasonEntry }, updateId)) ?? fail(ended()),
      updateOutcome,
    );
    // The customer is offboarded now: the run's customer shows it.
    await this.customers.refresh(customerId);
    return this.runView(ACCOUNT_REVIEW, customerId, workflowId, { state });
  }

  /**
   * Refuses an approval of offboarding (PLAYBOOK_DECISION_REFUSED, `refused` saying why) for a
   * run that awaits one: while a complaint or a fix of the customer's is open (`fix-open`,
   * `complaint-open`: nobody is pushed out in the middle of their complaint; the review would not
   * have started with a fix open); or when the account, rescored now as the review judges it,
   * is not loss-making (`not-loss-making`, with the fresh figure; `not-judged`): the figure the
   * run decided on may be weeks old (an import of orders does not rescore). A run that awaits no
   * decision refuses it itself, as before, and one past it (it took one) is joined by the same
   * request again. The step is the run's tag, which the engine answers without a worker (a
   * decision sent while none runs still goes to the run, checked). The rule is
   * `AccountReviewJudgement.approvalRefusal`, which the run applies again before it takes an
   * approval (one sent in the Temporal UI or CLI, or a complaint recorded after this check): this
   * check answers first, with the details. Refused when, rescored now, a cheaper tier helps that the
   * review did not propose (`tier-changed`: the CRM moved the customer since the review began;
   * `proposal-possible`), the run is told to judge it again too, and one that proposed nothing goes
   * back to proposing it. Refused because the account no longer loses money (or
   * cannot be judged), the run is told to judge it again (`rejudgeAccount`): it ends
   * `turned-around` (`not-judged`) with the fresh figure instead of waiting out the approval wait as
   * "still loss-making", which only a rejection, read as a person keeping a loss, would end.
   */
  private async assertMayApprove(customerId: string, workflowId: string): Promise<void> {
    if ((await this.engine.taggedStep(workflowId)) !== 'awaiting-approval') return;
    const refusal = await this.reviews.approvalRefusal(customerId, this.policies.money.currency, workflowId);
    if (!refusal) return;
    // (A change to propose that the review did not: the run, told to judge again, goes back to proposing.)
    if (refusal.refused !== 'fix-open' && refusal.refused !== 'complaint-open') {
      // The refusal is the answer either way: a run that has moved on (or cannot be reached now) keeps its own course.
      await this.engine.rejudgeAccount(workflowId, `playbook.rejudge-account/${randomUUID()}`).catch(() => null);
    }
    const { message, ...details } = refusal;
    throw new PlaybookException(PlaybookExceptionCode.DecisionRefused, `The offboarding of customer ${customerId} was not approved: ${message}; a rejection is taken`, { customerId, workflowId, ...details });
  }

  /** The run recorded its end (completed or cancelled; one terminated in the Temporal UI once reconciled). */
  private async recordedEnded(workflowId: string): Promise<boolean> {
    const record = await this.runs.findByWorkflowId(workflowId);
    return record !== null && record.status !== RunStatus.Running;
  }

  /** The customer's newest account review. */
  async findAccountReview(customerId: string): Promise<PlaybookRunView | null> {
    await this.customers.get(customerId, 'customerId');
    return this.existingRun(ACCOUNT_REVIEW, customerId, await this.currentRunId(ACCOUNT_REVIEW, customerId, accountReviewWorkflowId(customerId)));
  }

  /**
   * Thanks a loyal customer of long standing (once per calendar year; PLAYBOOK_NOT_ELIGIBLE for anyone else); a second
   * call returns the same run. Once the year's run ended without a thank-you reaching the customer (`thankYouNotSpent`:
   * cancelled or terminated before it wrote one, not thanked, held back at delivery), a call starts the year's next, `<ID>/<n>`.
   */
  async startAppreciation(customerId: string, actor: string): Promise<PlaybookRunView> {
    return this.startByHand(await this.pendingAppreciation(customerId, {}, { byHand: true }), actor);
  }

  /** As startAppreciation, without reading the run back (for sweeps and campaigns). */
  async launchAppreciation(customerId: string, options: LaunchOptions = {}): Promise<LaunchedRun> {
    return this.launch(await this.pendingAppreciation(customerId, options), options.claim);
  }

  private async pendingAppreciation(customerId: string, options: LaunchOptions = {}, { byHand = false } = {}): Promise<PendingRun> {
    const customer = await this.assertMayStart(customerId, APPRECIATION);
    let current = await this.currentAppreciation(customerId);
    if (byHand && current.last && (await this.recordEndFromEngine(current.last.record))) current = await this.currentAppreciation(customerId);
    const { last, year } = current;
    // A year's run that never thanked the customer is not their thank-you of the year: a person may start the next.
    const again = byHand && last && thankYouNotSpent(last.record, await this.eligibility.stepMessageMayReach(last.record.workflowId, THANK_YOU_STEP));
    const workflowId = last && again ? occurrenceWorkflowId(appreciationWorkflowId(customerId, year), last.occurrence + 1) : current.workflowId;
    await this.checkUnlessStarted(workflowId, options, () => this.eligibility.assertAppreciation(customer, this.policies.appreciation));
    const tags = await this.tags(customerId, options);
    return { playbook: APPRECIATION, workflowId, customerId, details: { year }, start: () => this.engine.startAppreciation({ workflowId, customerId, year, policy: this.policies.appreciation, tags }) };
  }

  /**
   * The customer's thank-you of the year (its newest run); while it has none, their newest earlier one (last year's,
   * one that waited into January and thanked them on, say), so whoever looks sees when they were last thanked; null
   * when they never had one.
   */
  async findAppreciation(customerId: string): Promise<PlaybookRunView | null> {
    await this.customers.get(customerId, 'customerId');
    const current = await this.existingRun(APPRECIATION, customerId, (await this.currentAppreciation(customerId)).workflowId);
    if (current) return current;
    const newest = await this.eligibility.newestRun(customerId, APPRECIATION);
    return newest ? this.existingRun(APPRECIATION, customerId, newest) : null;
  }

  /**
   * The customer's thank-you of the year (its newest run, `last`); last year's while it still runs: a thank-you may wait
   * into the new year for the guard (fix first, thank later), and a second one is not started next to it (a start joins it).
   */
  private async currentAppreciation(customerId: string): Promise<{ workflowId: string; year: number; last: { record: PlaybookRun; occurrence: number } | null }> {
    const year = new Date().getUTCFullYear();
    const lastYears = await this.runs.latestOccurrence(customerId, APPRECIATION, appreciationWorkflowId(customerId, year - 1));
    if (lastYears?.record.status === RunStatus.Running) return { workflowId: lastYears.record.workflowId, year: year - 1, last: lastYears };
    const last = await this.runs.latestOccurrence(customerId, APPRECIATION, appreciationWorkflowId(customerId, year));
    return { workflowId: last?.record.workflowId ?? appreciationWorkflowId(customerId, year), year, last };
  }

  /**
   * An operator stops a playbook run (with a reason, audited): its record says cancelled once
   * the engine took the cancel (a step of it under way writes nothing after), and the run winds
   * down (closes its case, withdraws an offboarding) and ends as cancelled.
   */
  async cancelRun(workflowId: string, reason: string, actor: string): Promise<PlaybookRunView> {
    const idProblem = workflowIdProblem(workflowId, 'workflowId');
    if (idProblem) throw new PlaybookException(PlaybookExceptionCode.InvalidInput, idProblem, { field: 'workflowId' });
    const problem = reasonProblem(reason, 'Cancelling a run needs a reason');
    if (problem) throw new PlaybookException(PlaybookExceptionCode.InvalidInput, problem, { field: 'reason' });
    const record = await this.runs.findByWorkflowId(workflowId);
    if (!record) throw new PlaybookException(PlaybookExceptionCode.RunNotFound, `No playbook run ${workflowId}`, { workflowId, field: 'workflowId' });
    const finished = () => new PlaybookException(PlaybookExceptionCode.RunAlreadyFinished, `Playbook run ${workflowId} has already finished`, { workflowId });
    if (record.status !== RunStatus.Running) throw finished();
    // Two operators cancelling at once: one cancel, one entry; the other is told the run is ending.
    const cancelling = () => new PlaybookException(PlaybookExceptionCode.RunAlreadyFinished, `Playbook run ${workflowId} is already being cancelled`, { workflowId });
    // The record says cancelled as the engine takes the cancel: a step of the run under way writes nothing after it.
    // An account review that has carried out its offboarding (its notice ended, early or not) is recording its end: the
    // customer has left, their final invoice and data export are owed, and a cancel would only say otherwise. Refused as
    // ended, nothing sent to the engine (its entry goes); checked under the run's record, which this call holds.
    const offboarded = () =>
      new PlaybookException(PlaybookExceptionCode.RunAlreadyFinished, `Playbook run ${workflowId} has already offboarded the customer and is recording its end (offboarded): it is not cancelled`, { workflowId, offboarded: true });
    const taken = await this.runs.audited(
      { actor, action: 'playbook.cancel', workflowId, after: { reason: reason.trim() } },
      async () => {
        if (record.playbook === ACCOUNT_REVIEW && (await this.runs.offboardingCarriedOut(workflowId))) throw offboarded();
        return (await this.engine.cancelRun(workflowId)) ?? fail(finished());
      },
      (em) => this.runs.recordCancelTaken(em, workflowId),
      { refused: cancelling, outcome: (at) => this.engine.cancelOutcome(workflowId, at) },
    );
    // Once the cancel is recorded (its transaction held the run's record, which the run writes as it ends). Taken: its
    // answer says so even when the run cannot say its state now (no worker to wind it down yet), not that it failed.
    await taken.acted();
    return this.runView(record.playbook, record.customer.id, workflowId, { stateMayBeUnknown: true });
  }

  /**
   * Runs under way that carry these tags (as operators search in the Temporal UI), newest
   * first, each with its record and live state: e.g. the account reviews awaiting an
   * offboarding decision. The engine's search index is eventually consistent, and pages go
   * by position, so a run that moved on meanwhile may be skipped or shown twice. Without
   * `live`, each run as its record and the search have it (its state null).
   */
  async running(search: RunSearch, args: PageArgs, options: { live: boolean }): Promise<Page<PlaybookRunView>> {
    const first = forwardPageSize(args);
    assertRunSearch(search);
    const tag = scopedTag('running-runs', { ...search });
    const offset = args.after != null ? Number(decodeCursor(tag, args.after, ['integer'])[0]) : 0;
    // Pages go by position, so reaching one walks every run before it: no further than a search should list.
    if (offset < 0 || offset > MAX_RUNNING_OFFSET) throw invalidCursor(args.after!);
    const found = await this.engine.findRunning(search, offset, first + 1);
    const records = await this.runs.findByWorkflowIds(found.map((run) => run.workflowId));
    // Live state only when asked for (one engine query per run); the one beyond the page only says there is a next page.
    // Refused as busy (too many runs' states asked for in the process at once), the list is: its field nulls only itself.
    const views = await Promise.all(
      found.map(async ({ workflowId, playbook, customerId, loyaltyBand }, i) => ({ workflowId, playbook, customerId, loyaltyBandTag: loyaltyBand, record: records.get(workflowId) ?? null, state: options.live && i < first ? await this.liveStateOrUnknown(workflowId) : null, listedRunning: true })),
    );
    return toPage(views, first, () => this.engine.countRunning(search), (view) => encodeCursor(tag, [offset + views.indexOf(view) + 1]), offset > 0);
  }

  /** The invoice a run chases: a fair reminder's, named in its workflow ID (its record holds no invoice); null for another playbook's run. */
  invoiceIdOf(workflowId: string): string | null {
    return fairReminderInvoiceId(workflowId);
  }

  /** A customer's runs, newest first (batched across a page of customers), each with its live state when `live`, as `asListed`. */
  async runsOfCustomer(customerId: string, args: PageArgs, options: { live: boolean }): Promise<Page<PlaybookRun | PlaybookRunView>> {
    return this.asListed(await this.runs.forCustomer(customerId, args), options);
  }

  /**
   * Runs by their database records, newest first as given, each with its live state when `live`
   * (one engine query per run): a list that shows only what the records hold asks the engine nothing.
   */
  private async asListed(page: Page<PlaybookRun>, { live }: { live: boolean }): Promise<Page<PlaybookRun | PlaybookRunView>> {
    if (!live) return page;
    // A customer's runs (a field that cannot be null) show a run whose state was refused as busy with its state unknown, as
    // one that cannot answer now: the customer and the rest of the page still answer.
    const views = new Map(await Promise.all(page.edges.map(async ({ node }) => [node, await this.withLiveState(node, 'unknown')] as const)));
    return mapPage(page, (record) => views.get(record)!);
  }

  /** A recorded run's state: the one it ended in, kept with its record, else the live one (`liveState`). */
  async stateOf(record: PlaybookRun): Promise<PlaybookRunState | null> {
    const kept = record.status !== RunStatus.Running ? keptState(record) : null;
    return kept ? this.withStoredFacts(record.workflowId, kept, record) : this.liveState(record.workflowId, record);
  }

  /**
   * What a run's step is told by (`step` of a run's record): the state it ended in as kept, without the facts the database
   * adds to it (whether its proposal went, a decision's reason, open issues), which neither its status nor its step read:
   * an ended run's step is `done` without those look-ups. Else `stateOf`.
   */
  stepStateOf(record: PlaybookRun): Promise<PlaybookRunState | null> {
    const kept = record.status !== RunStatus.Running ? keptState(record) : null;
    return kept ? Promise.resolve(kept) : this.stateOf(record);
  }

  /**
   * A run's database record with its live state, for lists that show where each run stands. A run whose record
   * says it ended and kept the state it ended in is shown by that, without asking the engine (a run reset in the
   * Temporal UI after its end shows as running again once the run reconciliation has recorded it so, within minutes).
   */
  async withLiveState(record: PlaybookRun, busy: WhenBusy = 'refused'): Promise<PlaybookRunView> {
    const kept = record.status !== RunStatus.Running ? keptState(record) : null;
    const state = kept ? await this.withStoredFacts(record.workflowId, kept, record) : await this.liveStateOrUnknown(record.workflowId, record, busy);
    return { workflowId: record.workflowId, playbook: record.playbook, customerId: record.customer.id, record, state };
  }

  /**
   * The live state, or null (unknown) when the run cannot answer now (its worker down or
   * busy): a list shows such a run without it instead of failing whole, and a start that
   * succeeded answers with its run instead of UNAVAILABLE. Refused as busy (`busy`): the refusal
   * (PLAYBOOK_ENGINE_BUSY), or unknown as well where the answer must stand (a mutation's).
   */
  private async liveStateOrUnknown(workflowId: string, record?: PlaybookRun | null, busy: WhenBusy = 'refused'): Promise<PlaybookRunState | null> {
    try {
      return await this.liveState(workflowId, record);
    } catch (error) {
      unknownWhenUnavailable(error, busy);
      // An ended run that cannot be asked now has the state it ended in.
      const kept = keptState(record === undefined ? await this.runs.findByWorkflowId(workflowId) : record);
      // The record given is the one the answer shows the run with (a record read here may not be).
      return kept && this.withStoredFacts(workflowId, kept, record);
    }
  }

  /**
   * The live state of any playbook run (every playbook answers the same `state` query); once Temporal no
   * longer has the run (it deletes a closed execution after the namespace's retention), the state its
   * record kept as it ended (`record`, read when not given); null when neither has one.
   */
  async liveState(workflowId: string, record?: PlaybookRun | null): Promise<PlaybookRunState | null> {
    const live = await this.engine.runState(workflowId);
    if (live) return this.withStoredFacts(workflowId, live, record);
    const recorded = record === undefined ? await this.runs.findByWorkflowId(workflowId) : record;
    return this.withStoredFacts(workflowId, keptState(recorded), recorded);
  }

  /**
   * The run's state with what it names but the database holds: whether its proposal went, why a person decided.
   * `record`: the run's record the answer shows it with, when known (an ended run then skips what the answer hides).
   */
  private async withStoredFacts(workflowId: string, state: PlaybookRunState | null, record?: PlaybookRun | null): Promise<PlaybookRunState | null> {
    return this.withReviewFacts(await this.withDecisionReason(workflowId, await this.withProposalDelivery(workflowId, state)), record);
  }

  /**
   * For whoever decides on an account review: what of the customer's is open now (while the run
   * runs). How it judged the account (profitabilityBasis) is the run's own state. Not looked up for a run
   * that ended: its step says so, or its record does as the answer reads it (runStatus, as PlaybookRunType
   * shows no open issues then), e.g. a review cancelled mid-step whose kept state keeps that step.
   */
  private async withReviewFacts(state: PlaybookRunState | null, record?: PlaybookRun | null): Promise<PlaybookRunState | null> {
    if (!state || !('proposal' in state)) return state;
    const review = state as unknown as AccountReviewState;
    const ended = review.step === 'done' || (record != null && runStatus(record.status, state, record.finishedAt ?? null) !== RunStatus.Running);
    return { ...state, openIssues: ended ? null : openIssuesText(await this.reviews.openIssues(review.customerId)) };
  }

  /** The reason for an offboarding decision, which the run names by its audit entry, and whether an approved offboarding was withdrawn since: for whoever reads the decision. */
  private async withDecisionReason(workflowId: string, state: PlaybookRunState | null): Promise<PlaybookRunState | null> {
    const { decision } = (state ?? {}) as Partial<Pick<AccountReviewState, 'decision'>>;
    if (!state || !decision) return state;
    const withReason: Pick<AccountReviewState, 'decision'> = { decision: { ...decision, reason: (await this.runs.decisionReason(workflowId, decision)) ?? undefined } };
    // An approval taken may have been undone: the run ended during the notice (cancelled, terminated), or kept the customer at its end.
    const withdrawn = decision.approve ? { offboardingWithdrawn: await this.runs.offboardingWithdrawn((state as unknown as AccountReviewState).customerId, workflowId) } : {};
    return { ...state, ...withReason, ...withdrawn };
  }

  /** A proposal written but held back at delivery (an opt-out, a complaint before it went) never reached the customer: whoever decides next must see that. */
  private async withProposalDelivery(workflowId: string, state: PlaybookRunState | null): Promise<PlaybookRunState | null> {
    const { proposal } = (state ?? {}) as Partial<Pick<AccountReviewState, 'proposal'>>;
    return state && proposal && proposal.kind !== 'none' ? { ...state, proposalHeldBack: await this.runs.heldBackStepMessage(workflowId, 'proposal') } : state;
  }

  /**
   * A person's start looks at how the last run ended: one its record says is under way that the engine ended without
   * recording it (terminated in the Temporal UI, failed, timed out) is recorded ended now, as the run reconciliation
   * would within minutes, so a start right after it goes by that end (a fix stopped before its fix starts the next)
   * instead of answering with the run that ended. True when it recorded an end.
   */
  private async recordEndFromEngine(record: PlaybookRun): Promise<boolean> {
    if (record.status !== RunStatus.Running) return false;
    const ended = await this.engine.endedInEngine(record.workflowId);
    if (!ended) return false;
    const how = await this.engine.howEnded(record.workflowId);
    if (!(await this.runs.recordEndedInEngine({ ...ended, reason: how?.reason ?? null, by: how?.by ?? null, runId: how?.runId ?? null }))) return false;
    await this.runs.reload(record);
    return true;
  }

  /**
   * Checks a start against the playbook's eligibility rule, unless a campaign starts it (its
   * audience is the campaign's own rule, src/domain/campaigns/campaign.ts: the same for account
   * reviews, fixes and welcomes; a thank-you campaign leaves the loyalty band to the marketer's
   * segment) or the run was started before: one run per customer ever, or per year, is returned as it is.
   */
  private async checkUnlessStarted(workflowId: string, options: LaunchOptions, check: () => void | Promise<void>): Promise<void> {
    if (!options.campaignId && !(await this.runs.findByWorkflowId(workflowId))) await check();
  }

  /** Search-attribute tags of a new run: today's churn-risk and payment-loyalty bands, and the campaign that enrolled the customer. */
  private async tags(customerId: string, options: { campaignId?: string } = {}): Promise<RunTags> {
    const [riskBand, loyaltyBand] = await this.scores.currentBands(customerId, [ScoreKind.ChurnRisk, ScoreKind.PaymentLoyalty]);
    return { riskBand, loyaltyBand, campaignId: options.campaignId ?? null };
  }

  /**
   * Nothing starts for a customer whose personal data was erased (nobody is left to write to);
   * thanks, welcome checks and reviews are for customers who have not left (thanks and welcome
   * checks not for one under offboarding notice either), while reminders and fixes are owed to anyone.
   */
  private async assertMayStart(customerId: string, playbook: string): Promise<Customer> {
    const customer = await this.customers.get(customerId, 'customerId');
    if (customer.status === CustomerStatus.Erased) {
      throw customerErased(customerId, playbook);
    }
    if (customer.status === CustomerStatus.Offboarded && !OWED_AFTER_LEAVING.has(playbook)) {
      throw new PlaybookException(PlaybookExceptionCode.CustomerOffboarded, `Customer ${customerId} has left (offboarded): no ${playbook} starts for them`, { customerId, playbook });
    }
    // Given notice, a customer is not thanked with an offer nor asked how the start went (their review runs the notice: a start joins it;
    // with none of theirs running, pendingAccountReview refuses a new one).
    if (customer.status === CustomerStatus.Offboarding && !OWED_AFTER_LEAVING.has(playbook) && playbook !== ACCOUNT_REVIEW) {
      throw new PlaybookException(PlaybookExceptionCode.CustomerOffboarded, `Customer ${customerId} is under offboarding notice: no ${playbook} starts for them`, { customerId, playbook });
    }
    return customer;
  }

  /**
   * A start by a person, audited as `playbook.start` of its workflow ID; answers with the run.
   * A run already recorded (under way, or ended and not due again) is answered as it is:
   * nothing starts, so nothing is audited. So is one the engine has ended without a record (cut off
   * before its first step, or its record cleared), recorded as it ended: a next call goes by that record
   * (for reminders left unchased, it starts the invoice's next run).
   */
  private async startByHand(run: PendingRun, actor: string): Promise<PlaybookRunView> {
    const entry = { actor, workflowId: run.workflowId, playbook: run.playbook, customerId: run.customerId, after: { playbook: run.playbook, customerId: run.customerId, ...run.details } };
    // A run started a moment ago, or one found ended before its first step, may not answer its state: shown as unknown.
    await this.runs.startByHand(entry, run.start, () => customerErased(run.customerId, run.playbook));
    return this.runView(run.playbook, run.customerId, run.workflowId, { stateMayBeUnknown: true });
  }

  /**
   * Starts the run (or finds it started) and gives its workflow ID, and to a campaign which
   * campaign's start created it: for sweeps, complaints' follow-ups and campaigns, which do not
   * show the run. Recorded as it starts, so no erasure at the same moment misses it.
   */
  private async launch(run: PendingRun, claim?: LaunchOptions['claim']): Promise<LaunchedRun> {
    const launched = await this.runs.startRecorded(run, run.start, () => customerErased(run.customerId, run.playbook), claim);
    return { ...launched, workflowId: run.workflowId };
  }

  /**
   * The error for input to a run the engine does not know: `ended` (with its recorded outcome) when its record
   * says it ended (Temporal deletes a closed execution after the namespace's retention), `none` otherwise.
   */
  private async endedOrNone(workflowId: string, ended: (outcome: string | null) => PlaybookException, none: () => PlaybookException): Promise<PlaybookException> {
    const record = await this.runs.findByWorkflowId(workflowId);
    return record && record.status !== RunStatus.Running ? ended(record.outcome ?? null) : none();
  }

  /**
   * How a run that refuses an input ended, for the refusal to say (`outcome`): its state's outcome, else its record's (a
   * cancelled run's state has none, nor has one ended in the engine: `cancelled`, `terminated`, ...), else how the engine
   * ended it before its record says so (terminated in the Temporal UI: `terminated`, as the record will say); null when
   * none says (the engine cannot answer now).
   */
  private async endedOutcome(workflowId: string, state: { outcome?: string | null } | null): Promise<string | null> {
    if (state?.outcome) return state.outcome;
    const record = await this.runs.findByWorkflowId(workflowId);
    if (record && record.status !== RunStatus.Running) return record.outcome ?? null;
    return (await this.engine.endedInEngine(workflowId).catch(unknownWhenUnavailable))?.status ?? null;
  }

  /** The newest recorded run of `base`, or the base ID itself (a first run being started has no record yet, nor one started before runs were recorded as they start). */
  private async currentRunId(playbook: string, customerId: string, base: string): Promise<string> {
    return (await this.runs.latestOccurrence(customerId, playbook, base))?.record.workflowId ?? base;
  }

  /** The run with that workflow ID, or null if none was ever started (neither a record nor a workflow). */
  private async existingRun(playbook: string, customerId: string, workflowId: string): Promise<PlaybookRunView | null> {
    const view = await this.runView(playbook, customerId, workflowId);
    return view.state || view.record ? view : null;
  }

  /**
   * A run as its page shows it: the database record and the workflow's live state (every
   * playbook answers the same "state" query); with `stateMayBeUnknown`, a run that cannot answer
   * now shows its state as unknown instead of failing.
   */
  private async runView(playbook: string, customerId: string, workflowId: string, options: { stateMayBeUnknown?: boolean; state?: PlaybookRunState } = {}): Promise<PlaybookRunView> {
    // The record first: a run it says ended is shown without what only a run under way looks up (an account review's open issues).
    const record = await this.runs.findByWorkflowId(workflowId);
    // A state the run just answered an update with is not asked for again.
    const state = options.state
      ? await this.withStoredFacts(workflowId, options.state, record)
      : options.stateMayBeUnknown
        ? await this.liveStateOrUnknown(workflowId, record, 'unknown')
        : await this.liveState(workflowId, record);
    return { workflowId, playbook, customerId, record, state };
  }
}


/** The state a run's record kept as the run ended (runs ended before it was kept, or in the engine, have none). */
function keptState(record: PlaybookRun | null): PlaybookRunState | null {
  return (record?.finalState as PlaybookRunState | null | undefined) ?? null;
}

/** What a read of a run's live state refused as busy (PLAYBOOK_ENGINE_BUSY) makes of it: the refusal, or the state unknown. */
type WhenBusy = 'refused' | 'unknown';

function unknownWhenUnavailable(error: unknown, busy: WhenBusy = 'refused'): null {
  if (error instanceof PlaybookException && error.code === PlaybookExceptionCode.EngineUnavailable) return null;
  if (busy === 'unknown' && error instanceof PlaybookException && error.code === PlaybookExceptionCode.EngineBusy) return null;
  throw error;
}

/** Reminders and fixes are owed to a customer who has left, too. */
const OWED_AFTER_LEAVING = new Set([FAIR_REMINDER, FIX_ISSUE]);

/** Search values are IDs, playbook names and lowercase keys (steps and bands), nothing that could change the search. */
function assertRunSearch(search: RunSearch): void {
  const invalid = (field: string, message: string) => new PlaybookException(PlaybookExceptionCode.InvalidInput, message, { field: `filter.${field}` });
  const problem = runTagSearchProblem(search);
  if (problem) throw invalid(problem.field, problem.message);
  for (const field of ['customerId', 'campaignId'] as const) {
    const id = search[field];
    if (id && !isUuid(id)) throw invalid(field, `"${echoed(id)}" is not an ID`);
  }
}

function customerErased(customerId: string, playbook: string): PlaybookException {
  return new PlaybookException(PlaybookExceptionCode.CustomerErased, `The personal data of customer ${customerId} was erased: no ${playbook} starts for them`, { customerId, playbook });
}

/** Throws `error`: for `taken ?? fail(...)`. */
function fail(error: Error): never {
  throw error;
}
