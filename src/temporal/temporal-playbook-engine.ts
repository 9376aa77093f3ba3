import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateStage, type Client, type WorkflowExecutionDescription, type WorkflowExecutionStatusName, type WorkflowHandle, type WorkflowUpdateHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, type QueryDefinition, type SignalDefinition, type UpdateDefinition } from '@temporalio/common';
import { ACCOUNT_REVIEW, accountReviewWorkflowId, type AccountReviewPolicy, type AccountReviewState, type NoticeEnd, type OffboardingDecision } from '../domain/playbooks/account-review.js';
import { APPRECIATION, type AppreciationPolicy } from '../domain/playbooks/appreciation.js';
import { FAIR_REMINDER, fairReminderWorkflowId, PROMISE_AFTER_END, type FairReminderPolicy, type FairReminderState, type PaymentPromise } from '../domain/playbooks/fair-reminder.js';
import { FIX_ISSUE, fixIssueWorkflowId, type FixIssuePolicy, type FixIssueState } from '../domain/playbooks/fix-issue.js';
import { WELCOME_CHECK, type WelcomeCheckPolicy, type WelcomeCheckState } from '../domain/playbooks/welcome-check.js';
import { Playbook } from '../domain/playbooks/playbook.js';
import { UNKNOWN_LOYALTY_BAND, UNSCORED_RISK_BAND } from '../domain/playbooks/run-tags.js';
import { CANCELLED_OUTCOME, RunStatus, type EndedInEngine } from '../domain/playbooks/run-status.js';
import type { EndUndone, EndedRun, FoundRun, HowEnded, HowReset, LaunchedRun, PlaybookEngine, StartedRun, RunSearch, RunTags, Taken, UpdateOutcome } from '../services/engines/playbook-engine.js';
import { PlaybookException, PlaybookExceptionCode } from '../services/playbooks/playbook.exception.js';
import { accountReviewStateQuery, answerProposalUpdate, complaintClosedSignal, decideOffboardingUpdate, endOffboardingNoticeUpdate, proposalHeldAtComplaintSignal, rejudgeAccountUpdate } from '../../workflows/account-review.workflow.js';
import { disputeChangedSignal, fairReminderStateQuery, paymentReceivedSignal, promiseToPayUpdate } from '../../workflows/fair-reminder.workflow.js';
import { fixConfirmedSignal, fixIssueStateQuery, issueRecurredSignal, resolveIssueUpdate } from '../../workflows/fix-issue.workflow.js';
import { complaintOpenedSignal, consentWithdrawnSignal } from '../../workflows/appreciation.workflow.js';
import { anyPlaybookStateQuery } from '../../workflows/playbook-state.js';
import { CampaignIdKey, CustomerIdKey, LoyaltyBandKey, PlaybookKey, PlaybookStepKey, RiskBandKey } from '../../workflows/search-attributes.js';
import { confirmWelcomeUpdate, welcomeCheckStateQuery } from '../../workflows/welcome-check.workflow.js';
import { byDeadline, noAnswerFromRun, withinDeadline } from './deadline.js';
import { playbookCallUnanswered, withinPlaybookDeadline } from './playbook-deadline.js';
import type { StartedBy, SteeringFromOutside } from '../services/audit/steering-audit.service.js';
import { cancelIfRunning, cancelRequestedByPlatform, describeOrNull, executionFacts, howEnded, howReset, isRunning, PLATFORM_IDENTITY_PREFIX, queryOrNull, RESETTER_IDENTITY, resetOrigin, howStarted, signalOrFalse, steeringFromOutside, updateAnswer, updateOutcome, type ClosedHow } from './workflow-calls.js';
import { echoed } from '../domain/text.js';
import type { Turns } from '../services/common/turns.js';
import { workflowQueryTurns } from './workflow-query-turns.js';

/**
 * The details of an update's refusal by its handler that says why in them (`refused`, and what shows it: a confirmation
 * refused while a complaint of the customer's is open names its topics); null for any other failure.
 */
function decisionRefusal(cause: Error | undefined): Record<string, unknown> | null {
  if (!(cause instanceof ApplicationFailure) || cause.type !== 'Refused') return null;
  const [details] = cause.details ?? [];
  return details && typeof details === 'object' && typeof (details as { refused?: unknown }).refused === 'string' ? (details as Record<string, unknown>) : null;
}

/** An update is taken once the run's validator accepts it; what the run does with it follows. */
const taken = { waitForStage: WorkflowUpdateStage.ACCEPTED } as const;

/** How far apart the clocks of PostgreSQL (an audit entry's time) and Temporal (its events' times) may be. */
const CLOCKS_APART_MS = 60_000;

/** How long a check that Temporal still answers waits. */
const PROBE_MS = 1_000;

const days = (ms: number) => `${Math.round(ms / 86_400_000)} days`;

/**
 * Temporal's execution status as the run's: a paused run is still under way, and a playbook
 * never continues as new (its one execution is the run); any other it cannot tell (null).
 */
const RUN_STATUS: Partial<Record<WorkflowExecutionStatusName, RunStatus>> = {
  RUNNING: RunStatus.Running,
  PAUSED: RunStatus.Running,
  COMPLETED: RunStatus.Completed,
  CANCELLED: RunStatus.Cancelled,
  FAILED: RunStatus.Failed,
  TERMINATED: RunStatus.Terminated,
  TIMED_OUT: RunStatus.TimedOut,
};

/** How an execution closed, as the run's status. */
const RUN_END: Record<ClosedHow['status'], EndUndone['status']> = {
  cancelled: RunStatus.Cancelled,
  terminated: RunStatus.Terminated,
  failed: RunStatus.Failed,
  timed_out: RunStatus.TimedOut,
};

/** The playbook engine on Temporal: one workflow per customer and trigger, IDs that say what they are. */
export class TemporalPlaybookEngine implements PlaybookEngine {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    /** How long an API request waits for Temporal before answering UNAVAILABLE. */
    private readonly callTimeoutMs = 5_000,
    /** How long a mutation the run took waits for the run to act on it, so its answer shows what it did. */
    private readonly settleMs = 3_000,
    /** The places its runs' queries take turns in: the process's own, shared with the campaigns' engine. */
    private readonly queryTurns: Turns = workflowQueryTurns,
  ) {}

  startWelcomeCheck({ workflowId, customerId, policy, tags }: { workflowId: string; customerId: string; policy: WelcomeCheckPolicy; tags: RunTags }) {
    return this.start('welcomeCheck', workflowId, [{ customerId, policy }], {
      customerId,
      tags,
      playbook: WELCOME_CHECK,
      summary: `Welcome check for customer ${customerId}`,
      details: `Waits up to ${Math.round(policy.waitForConfirmationMs / 3_600_000)} h (policy v${policy.version}) for the customer's confirmation, then records the outcome.`,
    });
  }

  welcomeCheckState(workflowId: string): Promise<WelcomeCheckState | null> {
    return this.query(workflowId, welcomeCheckStateQuery);
  }

  confirmWelcome(workflowId: string, updateId: string): Promise<Taken | null> {
    return this.take(workflowId, updateId, (run) => run.startUpdate(confirmWelcomeUpdate, { ...taken, updateId }), PlaybookExceptionCode.RunAlreadyFinished, 'The confirmation was not taken');
  }

  startFairReminder({ workflowId, customerId, invoiceId, policy, tags, promise }: { workflowId: string; customerId: string; invoiceId: string; policy: FairReminderPolicy; tags: RunTags; promise?: PaymentPromise }) {
    // Without a promise the input is as it always was.
    return this.start('fairReminder', workflowId, [{ customerId, invoiceId, policy, ...(promise ? { promise } : {}) }], {
      customerId,
      tags,
      playbook: FAIR_REMINDER,
      summary: `Fair reminders for invoice ${invoiceId} of customer ${customerId}${workflowId === fairReminderWorkflowId(customerId, invoiceId) ? '' : ' again: its last reminder run left it unchased or to a person'}${promise ? `, holding the promise to pay by ${promise.until}` : ''}`,
      details: `Loyal payers: ${policy.loyalSchedule.map((s) => s.action).join(', ')}, no fees. Others: ${policy.standardSchedule.map((s) => s.action).join(', ')}, fees by policy. A payment ends the run (policy v${policy.version}).`,
    });
  }

  paymentReceived(workflowId: string): Promise<boolean> {
    return this.signal(workflowId, paymentReceivedSignal);
  }

  disputeChanged(workflowId: string): Promise<boolean> {
    return this.signal(workflowId, disputeChangedSignal);
  }

  fairReminderState(workflowId: string): Promise<FairReminderState | null> {
    return this.query(workflowId, fairReminderStateQuery);
  }

  async promiseToPay(workflowId: string, promise: PaymentPromise, updateId: string): Promise<FairReminderState | null> {
    try {
      return await this.update(workflowId, updateId, promiseToPayUpdate, [promise], PlaybookExceptionCode.PromiseRefused, 'The promise was not taken');
    } catch (error) {
      // Refused as the run has ended, or is recording its end (its outcome not recorded yet): the run has ended, no refusal of the promise.
      if (error instanceof PlaybookException && error.code === PlaybookExceptionCode.PromiseRefused && error.message.endsWith(`: ${PROMISE_AFTER_END.message}`)) {
        throw new PlaybookException(PlaybookExceptionCode.RunAlreadyFinished, error.message, error.details);
      }
      throw error;
    }
  }

  startFixIssue({ workflowId, customerId, topic, policy, tags, escalations = 0 }: { workflowId: string; customerId: string; topic: string; policy: FixIssuePolicy; tags: RunTags; escalations?: number }) {
    return this.start('fixIssue', workflowId, [{ customerId, topic, policy, ...(escalations > 0 ? { escalations } : {}) }], {
      customerId,
      tags,
      playbook: FIX_ISSUE,
      summary: `Fix the persistent issue "${topic}" of customer ${customerId}${workflowId === fixIssueWorkflowId(customerId, topic) ? '' : ' again: persistent after an earlier run of its fix ended'}`,
      details: `A fix case with an owner; escalates every ${days(policy.fixDeadlineMs)} without a fix (${policy.escalationChain.join(', ')}); checks back ${days(policy.checkBackAfterMs)} after the fix (policy v${policy.version}).`,
    });
  }

  fixIssueState(workflowId: string): Promise<FixIssueState | null> {
    return this.query(workflowId, fixIssueStateQuery);
  }

  issueResolved(workflowId: string, updateId: string): Promise<Taken | null> {
    return this.take(workflowId, updateId, (run) => run.startUpdate(resolveIssueUpdate, { ...taken, updateId }), PlaybookExceptionCode.IssueAlreadyResolved, 'The fix was not taken');
  }

  issueRecurred(workflowId: string): Promise<boolean> {
    return this.signal(workflowId, issueRecurredSignal);
  }

  fixConfirmed(workflowId: string): Promise<boolean> {
    return this.signal(workflowId, fixConfirmedSignal);
  }

  startAccountReview({ workflowId, customerId, policy, tags }: { workflowId: string; customerId: string; policy: AccountReviewPolicy; tags: RunTags }) {
    return this.start('accountReview', workflowId, [{ customerId, policy }], {
      customerId,
      tags,
      playbook: ACCOUNT_REVIEW,
      summary: `Review of the loss-making account of customer ${customerId}${workflowId === accountReviewWorkflowId(customerId) ? '' : ' (a later review)'}`,
      details: `Proposes a cheaper service or a fitting offer (with nothing to propose, asks the relationship team to talk it through with the customer), scores again after ${days(policy.reviewAfterMs)}; offboarding only with a person's approval, then ${days(policy.noticeMs)} notice (policy v${policy.version}).`,
    });
  }

  accountReviewState(workflowId: string): Promise<AccountReviewState | null> {
    return this.query(workflowId, accountReviewStateQuery);
  }

  answerProposal(workflowId: string, accepted: boolean, updateId: string): Promise<Taken | null> {
    return this.take(workflowId, updateId, (run) => run.startUpdate(answerProposalUpdate, { ...taken, updateId, args: [{ accepted }] }), PlaybookExceptionCode.DecisionRefused, 'The answer was not taken');
  }

  decideOffboarding(workflowId: string, decision: OffboardingDecision, updateId: string): Promise<AccountReviewState | null> {
    return this.update(workflowId, updateId, decideOffboardingUpdate, [decision], PlaybookExceptionCode.DecisionRefused, 'The decision was refused');
  }

  rejudgeAccount(workflowId: string, updateId: string): Promise<AccountReviewState | null> {
    return this.updating(workflowId, updateId, (run) => run.executeUpdate(rejudgeAccountUpdate, { updateId }), PlaybookExceptionCode.DecisionRefused, 'The account was not judged again');
  }

  endOffboardingNotice(workflowId: string, end: NoticeEnd, updateId: string): Promise<AccountReviewState | null> {
    return this.update(workflowId, updateId, endOffboardingNoticeUpdate, [end], PlaybookExceptionCode.DecisionRefused, 'The offboarding notice was not ended');
  }

  startAppreciation({ workflowId, customerId, year, policy, tags }: { workflowId: string; customerId: string; year: number; policy: AppreciationPolicy; tags: RunTags }) {
    return this.start('appreciation', workflowId, [{ customerId, policy }], {
      customerId,
      tags,
      playbook: APPRECIATION,
      summary: `Thank-you for silent loyal customer ${customerId} (${year})`,
      details: `A thank-you with at least the best offer new customers get now (policy v${policy.version}).`,
    });
  }

  consentWithdrawn(workflowId: string): Promise<boolean> {
    return this.signal(workflowId, consentWithdrawnSignal);
  }

  complaintOpened(workflowId: string): Promise<boolean> {
    return this.signal(workflowId, complaintOpenedSignal);
  }

  proposalHeldAtComplaint(workflowId: string): Promise<boolean> {
    return this.signal(workflowId, proposalHeldAtComplaintSignal);
  }

  complaintClosed(workflowId: string): Promise<boolean> {
    return this.signal(workflowId, complaintClosedSignal);
  }

  async runState(workflowId: string) {
    const [state, execution] = await Promise.all([this.query(workflowId, anyPlaybookStateQuery), this.reachable(() => executionFacts(this.client, workflowId))]);
    return state && { ...state, status: (execution && RUN_STATUS[execution.status]) || null, closedAt: execution?.closedAt ?? null, lastResetAt: execution?.lastResetAt ?? null, loyaltyBandTag: execution?.loyaltyBand ?? null };
  }

  findRunning(search: RunSearch, offset: number, limit: number): Promise<FoundRun[]> {
    return this.reachable(async () => {
      const found: FoundRun[] = [];
      let position = 0;
      for await (const run of this.client.workflow.list({ query: runningRunsQuery(search, this.taskQueue), pageSize: Math.min(offset + limit, 1000) })) {
        if (position++ < offset) continue;
        const tags = run.typedSearchAttributes;
        found.push({ workflowId: run.workflowId, playbook: tags.get(PlaybookKey) ?? '', customerId: tags.get(CustomerIdKey) ?? '', loyaltyBand: tags.get(LoyaltyBandKey) ?? null });
        if (found.length === limit) break;
      }
      return found;
    });
  }

  countRunning(search: RunSearch): Promise<number> {
    return this.reachable(async () => (await this.client.workflow.count(runningRunsQuery(search, this.taskQueue))).count);
  }

  findEndedInEngine(since: Date): Promise<EndedRun[]> {
    return this.reachable(async () => {
      // A run reset and ended again has an ended execution for each end: the last one counts.
      const ended = new Map<string, EndedRun>();
      const query = `ExecutionStatus IN ("Failed", "Terminated", "TimedOut") AND StartTime >= "${since.toISOString()}" AND ${playbookRunsQuery(this.taskQueue)}`;
      for await (const run of this.client.workflow.list({ query, pageSize: 1000 })) {
        const status = RUN_STATUS[run.status.name] as EndedInEngine;
        const closedAt = run.closeTime ?? new Date();
        const latest = ended.get(run.workflowId);
        if (!latest || latest.closedAt < closedAt) ended.set(run.workflowId, { workflowId: run.workflowId, status, closedAt });
      }
      return [...ended.values()];
    });
  }

  findStartedSince(since: Date): Promise<StartedRun[]> {
    return this.reachable(async () => {
      const started: StartedRun[] = [];
      const query = `StartTime >= "${since.toISOString()}" AND ${playbookRunsQuery(this.taskQueue)}`;
      for await (const run of this.client.workflow.list({ query, pageSize: 1000 }))
        started.push({ workflowId: run.workflowId, runId: run.runId, startedAt: run.startTime, running: run.status.name === 'RUNNING', endedAs: run.status.name === 'RUNNING' ? null : (RUN_STATUS[run.status.name] ?? null) });
      return started;
    });
  }

  howReset(workflowId: string, runId: string): Promise<HowReset | null> {
    return this.reachable(() => howReset(this.client, workflowId, runId));
  }

  updateOutcome(workflowId: string, updateId: string, runId?: string): Promise<UpdateOutcome> {
    return this.reachable(() => updateOutcome(this.client, workflowId, updateId, runId));
  }

  endedInEngine(workflowId: string): Promise<EndedRun | null> {
    return this.reachable(async () => {
      const run = await describeOrNull(this.client, workflowId);
      const status = run ? RUN_STATUS[run.status.name] : undefined;
      return run && (status === RunStatus.Failed || status === RunStatus.Terminated || status === RunStatus.TimedOut) ? { workflowId, status, closedAt: run.closeTime ?? new Date() } : null;
    });
  }

  startOutcome(workflowId: string, at: Date): Promise<'taken' | 'not-taken'> {
    return this.reachable(async () => {
      const run = await describeOrNull(this.client, workflowId);
      // Started then or later (the clocks of PostgreSQL and Temporal apart by a little): not an earlier run under the ID that had ended.
      return run && run.startTime.getTime() >= at.getTime() - CLOCKS_APART_MS ? 'taken' : 'not-taken';
    });
  }

  cancelOutcome(workflowId: string, at: Date): Promise<'taken' | 'not-taken'> {
    return this.reachable(async () => ((await cancelRequestedByPlatform(this.client, workflowId, new Date(at.getTime() - CLOCKS_APART_MS))) ? 'taken' : 'not-taken'));
  }

  howEnded(workflowId: string): Promise<HowEnded | null> {
    return this.reachable(async () => {
      // Its current execution, named, so that the audit can tell its end from that of one a reset replaced.
      const runId = (await describeOrNull(this.client, workflowId))?.runId;
      if (!runId) return null;
      const how = await howEnded(this.client, workflowId, runId);
      return how && { reason: how.reason, by: how.by, runId };
    });
  }

  endUndoneByReset(workflowId: string, runId: string): Promise<EndUndone | null> {
    return this.reachable(async () => {
      const how = await howEnded(this.client, workflowId, runId);
      if (!how) return null;
      // Under way until the reset, which terminated it itself; or cancelled through this platform, which audited it as it asked.
      if (how.status === 'terminated' && how.by === RESETTER_IDENTITY) return null;
      if (how.status === 'cancelled' && how.by?.startsWith(PLATFORM_IDENTITY_PREFIX)) return null;
      return { runId, status: RUN_END[how.status], at: how.at, reason: how.reason, by: how.by };
    });
  }

  isRunning(workflowId: string): Promise<boolean> {
    return this.reachable(() => isRunning(this.client, workflowId));
  }

  taggedStep(workflowId: string): Promise<string | null> {
    return this.reachable(async () => {
      const run = await describeOrNull(this.client, workflowId);
      return run?.status.name === 'RUNNING' ? (run.typedSearchAttributes.get(PlaybookStepKey) ?? null) : null;
    });
  }

  steeringFromOutside(workflowId: string, runId: string): Promise<SteeringFromOutside[]> {
    return this.reachable(() => steeringFromOutside(this.client, workflowId, runId));
  }

  resetOrigin(workflowId: string, runId: string): Promise<{ runId: string; fromEventId: number } | null> {
    return this.reachable(() => resetOrigin(this.client, workflowId, runId));
  }

  howStarted(workflowId: string, runId: string): Promise<StartedBy | null> {
    return this.reachable(() => howStarted(this.client, workflowId, runId));
  }

  updateAnswer(workflowId: string, runId: string, updateId: string, waitMs: number, signal?: AbortSignal): Promise<{ refused: string | null } | null> {
    const poll = () => this.client.withDeadline(Date.now() + waitMs, () => updateAnswer(this.client, workflowId, runId, updateId));
    return signal ? this.client.withAbortSignal(signal, poll) : poll();
  }

  async cancelRun(workflowId: string): Promise<Taken | null> {
    if (!(await this.reachable(() => cancelIfRunning(this.client, workflowId)))) return null;
    return { acted: () => this.settle(() => this.client.workflow.getHandle(workflowId).result()) };
  }

  /**
   * Starts a run, or returns the one running or finished under the same ID: a run is never
   * repeated under its ID. A campaign's start also says which campaign's start created the
   * run (its `CampaignId` tag, which Temporal set with the start that created it): the start's
   * answer does not say whether it created the run or found it, so two campaigns enrolling the
   * customer at once cannot tell otherwise which of them started it.
   */
  private start(workflowType: string, workflowId: string, args: unknown[], about: { customerId: string; tags: RunTags; playbook: string; summary: string; details: string }): Promise<LaunchedRun> {
    return this.reachable(async (): Promise<LaunchedRun> => {
      try {
        await this.client.workflow.start(workflowType, {
          workflowId,
          taskQueue: this.taskQueue,
          args,
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [
            { key: CustomerIdKey, value: about.customerId },
            { key: PlaybookKey, value: about.playbook },
            { key: PlaybookStepKey, value: 'starting' },
            { key: LoyaltyBandKey, value: about.tags.loyaltyBand ?? UNKNOWN_LOYALTY_BAND },
            { key: RiskBandKey, value: about.tags.riskBand ?? UNSCORED_RISK_BAND },
            ...(about.tags.campaignId ? [{ key: CampaignIdKey, value: about.tags.campaignId }] : []),
          ],
          staticSummary: about.summary,
          staticDetails: about.details,
        });
      } catch (error) {
        // Refused as a duplicate: a run under this ID has ended (one still running is joined without an error).
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        // One description says how it ended and which campaign's start created it; a campaign needs the latter, the rest may do without.
        const run = await describeOrNull(this.client, workflowId).catch((failed: unknown) => {
          if (about.tags.campaignId) throw failed;
          return null;
        });
        return { ...(await this.endedRun(workflowId, run)), ...(about.tags.campaignId ? { startedByCampaign: campaignOf(run) } : {}) };
      }
      return about.tags.campaignId ? { workflowId, startedByCampaign: campaignOf(await describeOrNull(this.client, workflowId)) } : { workflowId };
    });
  }

  /**
   * How the run under this ID (described as `run`) ended: its status, its start and end, and its outcome (its result
   * when it completed). Unsaid (a plain answer, as before) when the engine could not say it: left to the reconciliation.
   */
  private async endedRun(workflowId: string, run: WorkflowExecutionDescription | null): Promise<LaunchedRun> {
    const status = run && RUN_STATUS[run.status.name];
    if (!run || !status || status === RunStatus.Running) return { workflowId };
    const result = status === RunStatus.Completed ? await this.client.workflow.getHandle(workflowId).result().catch(() => null) : null;
    const outcome = status === RunStatus.Completed ? (typeof result === 'string' ? result : null) : status === RunStatus.Cancelled ? CANCELLED_OUTCOME : status;
    return { workflowId, ended: { status, startedAt: run.startTime, finishedAt: run.closeTime ?? new Date(), outcome } };
  }

  /** A run's answer to a query; a run that cannot answer (no worker polls its queue, its query failed) is UNAVAILABLE, like an unreachable engine. */
  private async query<T>(workflowId: string, query: QueryDefinition<T>): Promise<T | null> {
    // Each takes a workflow-task slot of the worker: they take turns in the process (PLAYBOOK_ENGINE_BUSY past its
    // waiting line), and a query's time to answer starts once it has its place.
    return await this.queryTurns.take(() => this.ask(workflowId, query));
  }

  private ask<T>(workflowId: string, query: QueryDefinition<T>): Promise<T | null> {
    return this.reachable(async () => {
      try {
        return await queryOrNull(this.client, workflowId, query);
      } catch (error) {
        // No worker answered in time (said as such when Temporal is up); any other failure of the query is the run's.
        if (noAnswerFromRun(error)) throw new PlaybookException(PlaybookExceptionCode.EngineUnavailable, await this.unanswered(), { workflowId });
        throw new PlaybookException(PlaybookExceptionCode.EngineUnavailable, `Playbook run ${workflowId} cannot answer now (${(error as Error).message}); try again shortly`, { workflowId });
      }
    }, true);
  }

  /** A run's answer to an update; null when there is no run; what its validator refuses is a CONFLICT with the run's reason. */
  private update<T, Args extends [unknown, ...unknown[]]>(workflowId: string, updateId: string, update: UpdateDefinition<T, Args>, args: Args, refused: PlaybookExceptionCode, what: string): Promise<T | null> {
    return this.updating(workflowId, updateId, (run) => run.executeUpdate(update, { args, updateId }), refused, what);
  }

  /** As update, for any update the caller sends (one without arguments). */
  private updating<T>(workflowId: string, updateId: string, send: (run: WorkflowHandle) => Promise<T>, refused: PlaybookExceptionCode, what: string): Promise<T | null> {
    return this.sending(workflowId, updateId, what, async () => {
      try {
        return await send(this.client.workflow.getHandle(workflowId));
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return null;
        // Taken, then the run was cancelled before it acted on it (a decision as the review is cancelled; Temporal answers
        // so, or that the run completed first): the run is over, no refusal.
        if (error instanceof WorkflowUpdateFailedError && (error.cause instanceof CancelledFailure || !(await this.isRunning(workflowId)))) {
          throw new PlaybookException(PlaybookExceptionCode.RunAlreadyFinished, `${what}: the run ended before it acted on it`, { workflowId, updateId });
        }
        if (error instanceof WorkflowUpdateFailedError) throw new PlaybookException(refused, `${what}: ${error.cause?.message ?? error.message}`, { workflowId, updateId });
        throw error;
      }
    });
  }

  /**
   * A person's input to a run, through an update the run validates: null when there is no
   * run, the run's reason as a CONFLICT (`refused`) when it does not take it. The update's
   * handler answers once the run has acted on it. Taking it and waiting for the run to act
   * end within `callTimeoutMs` + `settleMs` (+ 1 s to tell whether Temporal still answers),
   * Temporal reachable or not.
   */
  private async take(workflowId: string, updateId: string, start: (run: WorkflowHandle) => Promise<WorkflowUpdateHandle<unknown>>, refused: PlaybookExceptionCode, what: string): Promise<Taken | null> {
    // Refused by the validator, or (two inputs at the same moment both pass it) by the handler, which takes the first. One
    // the handler refused on what it looked up, saying why (`refused`, as a confirmation while a complaint of the customer's
    // is open), is answered as the API's own check answers it: the input is refused, with the run's message and details.
    const refusal = (error: unknown) => {
      if (!(error instanceof WorkflowUpdateFailedError)) throw error;
      const why = decisionRefusal(error.cause);
      throw why
        ? new PlaybookException(PlaybookExceptionCode.DecisionRefused, error.cause!.message, { workflowId, updateId, ...why })
        : new PlaybookException(refused, `${what}: ${error.cause?.message ?? error.message}`, { workflowId, updateId });
    };
    const update = await this.sending(workflowId, updateId, what, async () => {
      try {
        return await start(this.client.workflow.getHandle(workflowId));
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return null;
        return refusal(error);
      }
    });
    // Taken, then the run ended before it acted on it (cancelled at the same moment): that is no refusal of the input, the run is over.
    const endedMeanwhile = async (error: unknown) => {
      if (error instanceof WorkflowUpdateFailedError && (error.cause instanceof CancelledFailure || !(await this.isRunning(workflowId)))) {
        throw new PlaybookException(PlaybookExceptionCode.RunAlreadyFinished, `${what}: the run ended before it acted on it`, { workflowId, updateId });
      }
      return refusal(error);
    };
    // Taken, but Temporal out of reach as the wait ends: the run's state cannot be read to answer with what it did, and
    // "unavailable, nothing done" would be false. Outcome unknown: the same request again joins this update.
    return update && { acted: () => this.settle(() => update.result().catch(endedMeanwhile), () => outcomeUnknown(workflowId, updateId, what)) };
  }

  /**
   * Waits up to `settleMs` for the run to act on what it took; one that takes longer (an activity retrying) shows it on the next read.
   * The wait ends on time while Temporal is out of reach too: the client would go on retrying its poll past an abort (up to ~20 s),
   * so the wait is bounded by the clock, and the poll by a deadline (it stops at its next try) and the abort.
   */
  private async settle(acted: () => Promise<unknown>, outOfReach?: () => PlaybookException): Promise<void> {
    const patience = new AbortController();
    try {
      await byDeadline(
        this.client.connection.withDeadline(Date.now() + this.settleMs, () => this.client.withAbortSignal(patience.signal, acted)),
        this.settleMs,
      );
    } catch (error) {
      if (error instanceof PlaybookException) throw error;
      // Not acted on within the wait, or ended otherwise (cancelled meanwhile): the run's view says how it stands, if Temporal can still be read.
      if (outOfReach && !(await this.answers())) throw outOfReach();
    } finally {
      patience.abort();
    }
  }

  /** Whether Temporal answers a trivial call within a second. */
  private answers(): Promise<boolean> {
    return withinDeadline(this.client, PROBE_MS, () => this.client.connection.workflowService.getSystemInfo({}), () => new Error('unreachable')).then(
      () => true,
      () => false,
    );
  }

  private signal<Args extends unknown[]>(workflowId: string, signal: SignalDefinition<Args>, ...args: Args): Promise<boolean> {
    return this.reachable(() => signalOrFalse(this.client, workflowId, signal, ...args));
  }

  /**
   * Sends a person's input as an update under `updateId` (the same request again joins the same
   * update). Once sent, a call that runs out of time (or loses the server) does not mean the run
   * did not take it: Temporal may have admitted it, and the run takes it when a worker next
   * polls. So it is OUTCOME_UNKNOWN, never "not taken".
   */
  private sending<T>(workflowId: string, updateId: string, what: string, call: () => Promise<T>): Promise<T> {
    return withinDeadline(this.client, this.callTimeoutMs, call, () => outcomeUnknown(workflowId, updateId, what));
  }

  /** `needsWorker`: a worker answers the call (a run's query), so one that got no answer in time is said as no worker's when Temporal is up. */
  private reachable<T>(call: () => Promise<T>, needsWorker = false): Promise<T> {
    return withinPlaybookDeadline(this.client, this.taskQueue, this.callTimeoutMs, call, needsWorker);
  }

  private unanswered(): Promise<string> {
    return playbookCallUnanswered(this.client, this.taskQueue, { needsWorker: true });
  }
}

/** An update Temporal did not answer in time: the run may take it still. */
function outcomeUnknown(workflowId: string, updateId: string, what: string): PlaybookException {
  const input = `the ${what.split(' ')[1]}`; // 'The decision was refused': the decision
  return new PlaybookException(
    PlaybookExceptionCode.OutcomeUnknown,
    `Temporal did not confirm in time whether playbook run ${workflowId} took ${input} (update ${updateId}): the run may still take it. Read the run's state before trying again; the same request again joins the same update`,
    { workflowId, updateId },
  );
}

/** A value of a visibility query: IDs and lowercase keys (checked by the service), quoted. */
function quoted(value: string): string {
  if (!/^[\w.:-]+$/.test(value)) throw new PlaybookException(PlaybookExceptionCode.InvalidInput, `"${echoed(value)}" cannot be searched for`, { value: echoed(value) });
  return `"${value}"`;
}

/** The visibility query for this deployment's playbook runs (a namespace may hold other task queues, and this one other workflows), of one playbook or any. */
function playbookRunsQuery(taskQueue: string, playbook?: string | null): string {
  return `TaskQueue = ${quoted(taskQueue)} AND ${PlaybookKey.name} ${playbook ? `= ${quoted(playbook)}` : `IN (${Object.values(Playbook).map(quoted).join(', ')})`}`;
}

/** The visibility query for runs under way with these tags. */
function runningRunsQuery(search: RunSearch, taskQueue: string): string {
  const parts = ['ExecutionStatus = "Running"', playbookRunsQuery(taskQueue, search.playbook)];
  const tags = [
    [PlaybookStepKey, search.step],
    [CustomerIdKey, search.customerId],
    [CampaignIdKey, search.campaignId],
    [RiskBandKey, search.riskBand],
    [LoyaltyBandKey, search.loyaltyBand],
  ] as const;
  for (const [key, value] of tags) if (value) parts.push(`${key.name} = ${quoted(value)}`);
  return parts.join(' AND ');
}

/** The campaign whose start created the run (its `CampaignId` tag), or null. */
function campaignOf(run: WorkflowExecutionDescription | null): string | null {
  return run?.typedSearchAttributes.get(CampaignIdKey) ?? null;
}
