import type { AppreciationPolicy } from '../../domain/playbooks/appreciation.js';
import type { AccountReviewPolicy, AccountReviewState, NoticeEnd, OffboardingDecision } from '../../domain/playbooks/account-review.js';
import type { FairReminderPolicy, FairReminderState, PaymentPromise } from '../../domain/playbooks/fair-reminder.js';
import type { FixIssuePolicy, FixIssueState } from '../../domain/playbooks/fix-issue.js';
import type { PlaybookRunState } from '../../domain/playbooks/run-state.js';
import type { EndedInEngine, RunStatus } from '../../domain/playbooks/run-status.js';
import type { WelcomeCheckPolicy, WelcomeCheckState } from '../../domain/playbooks/welcome-check.js';
import type { SteeringSource } from '../audit/steering-audit.service.js';

/** What a run is tagged with in Temporal's search attributes, besides customer, playbook and step. */
export interface RunTags {
  /** The customer's churn-risk band when the run starts. */
  riskBand: string | null;
  /** The customer's payment-loyalty band when the run starts (a reminder or fix puts the band it goes by once it has read it). */
  loyaltyBand?: string | null;
  /** The campaign that enrolled the customer. */
  campaignId?: string | null;
}

/** A run a start created or found under its ID. */
export interface LaunchedRun {
  workflowId: string;
  /**
   * Told for a start by a campaign (`tags.campaignId`) only: the campaign whose start created
   * the run (its `CampaignId` tag): this one, or another that enrolled the customer first (at
   * the same moment, or earlier); null when a start without a campaign did (the sweep's, a person's).
   */
  startedByCampaign?: string | null;
  /**
   * Set when the run under this ID had already ended (a run is never repeated under its ID): how it ended,
   * as the engine tells, for a start that found it so to record it ended, not under way. Its outcome is the
   * run's result when it completed, `cancelled` or how the engine ended it otherwise.
   */
  ended?: { status: Exclude<RunStatus, RunStatus.Running>; startedAt: Date; finishedAt: Date; outcome: string | null };
}

/** The tags runs are searched by (the search attributes operators use in the Temporal UI); each one given must match. */
export interface RunSearch {
  playbook?: string | null;
  step?: string | null;
  customerId?: string | null;
  campaignId?: string | null;
  riskBand?: string | null;
  loyaltyBand?: string | null;
}

/** A running run as the engine's search index knows it. */
export interface FoundRun {
  workflowId: string;
  playbook: string;
  customerId: string;
  /** Its LoyaltyBand tag (the band it follows, or the customer's when it started). */
  loyaltyBand: string | null;
}

/** A run that ended without recording it (none of its code runs at such an end). */
export interface EndedRun {
  workflowId: string;
  status: EndedInEngine;
  closedAt: Date;
}

/** An execution of a run in the engine and when it started there (a reset starts a new one, later than the run's first). */
export interface StartedRun {
  workflowId: string;
  /** The engine's ID of the execution (a reset gives the run a new one). */
  runId: string;
  startedAt: Date;
  /** Under way; false once it closed (completed, cancelled, failed, terminated, timed out, or reset again). */
  running: boolean;
  /** How this execution closed (one reset again was terminated by the reset); null while under way. */
  endedAs: RunStatus | null;
}

/** A reset in the engine (Temporal UI or CLI) that made the run run again from an earlier point: when, why and who asked for it (null: the engine did not keep it). */
export interface HowReset {
  at: Date;
  /** When the run stood at the point it was reset to (the engine's time of that workflow task): its steps before it are not taken again. */
  from: Date;
  reason: string | null;
  by: string | null;
  /** The execution it was reset from: the one whose end (a cancel or termination made by mistake) the reset undid, if it had ended (absent or null: not known). */
  replacedRunId?: string | null;
}

/** How a run ended, as the engine's history says: the reason given and who gave it (a termination), or what failed. */
export interface HowEnded {
  reason: string | null;
  by: string | null;
  /** The execution whose end this is (the engine's ID: a reset gives the run a new one); null when the engine did not say. */
  runId: string | null;
}

/**
 * An end a reset undid: the execution it replaced had been cancelled or terminated in the
 * Temporal UI or CLI (or had failed, or timed out) before the reset made the run run again.
 */
export interface EndUndone extends HowEnded {
  runId: string;
  status: RunStatus.Cancelled | EndedInEngine;
  /** When it happened: the cancel request, the termination, the failure or time-out (the engine's time). */
  at: Date;
}

/**
 * A person's input a run took. `acted()` waits a moment for the run to act on it, so the
 * mutation can answer with what it did, and throws the run's refusal when it took another
 * input sent at the same moment instead. A cancel's wait belongs after the caller's own
 * transaction, as the run's last step writes what that transaction holds.
 */
/**
 * What became of an update: taken, not taken (`refused`: why the run refused it; null when it never reached the run or
 * Temporal no longer knows it), or still pending.
 */
export type UpdateOutcome = { outcome: 'taken' } | { outcome: 'not-taken'; refused: string | null } | { outcome: 'pending' };

export interface Taken {
  acted(): Promise<void>;
}

/**
 * What the playbook service needs from a durable workflow engine. The Temporal
 * implementation lives in src/temporal/; services never see Temporal types.
 */
export interface PlaybookEngine extends SteeringSource {
  // A person's input goes as an update under `updateId`: sent again under the same ID, it joins
  // the update sent first (taken once). OUTCOME_UNKNOWN when the engine did not say in time whether the run took it.
  /** Starts the run under `workflowId` (the customer's welcome check, or its next occurrence), or returns the one already running. */
  startWelcomeCheck(input: { workflowId: string; customerId: string; policy: WelcomeCheckPolicy; tags: RunTags }): Promise<LaunchedRun>;
  /** Null when no such run exists. */
  welcomeCheckState(workflowId: string): Promise<WelcomeCheckState | null>;
  /** Takes the customer's confirmation (the run records it); null when no run is under way; RUN_ALREADY_FINISHED when the run does not take it. */
  confirmWelcome(workflowId: string, updateId: string): Promise<Taken | null>;

  /** Starts a fair-reminder run of an overdue invoice (its first, or a later occurrence), or returns the one already running. */
  /** `promise`: a promise to pay the run starts holding (made to the person the invoice's last run handed it to). */
  startFairReminder(input: { workflowId: string; customerId: string; invoiceId: string; policy: FairReminderPolicy; tags: RunTags; promise?: PaymentPromise }): Promise<LaunchedRun>;
  fairReminderState(workflowId: string): Promise<FairReminderState | null>;
  /** Tells a running reminder run that its invoice is paid; false when none runs. */
  paymentReceived(workflowId: string): Promise<boolean>;
  /** Tells a running reminder run that its invoice's dispute was opened or resolved (the run reads which); false when none runs. */
  disputeChanged(workflowId: string): Promise<boolean>;
  /** The customer's promise to pay by a day; the run's state after it, null when no run exists; PROMISE_REFUSED when the run does not take it. */
  promiseToPay(workflowId: string, promise: PaymentPromise, updateId: string): Promise<FairReminderState | null>;

  /** Starts the fix-issue run with this ID (the service picks which occurrence); one running or finished under it is returned, not repeated. */
  startFixIssue(input: { workflowId: string; customerId: string; topic: string; policy: FixIssuePolicy; tags: RunTags; escalations?: number }): Promise<LaunchedRun>;
  fixIssueState(workflowId: string): Promise<FixIssueState | null>;
  /** Tells the run its issue is fixed (it closes the case and plans the check-back); null when none runs; ISSUE_ALREADY_RESOLVED when it has the fix. */
  issueResolved(workflowId: string, updateId: string): Promise<Taken | null>;
  /** Tells the run the customer complained about its topic again; false when none runs. */
  issueRecurred(workflowId: string): Promise<boolean>;
  /** Tells the run the customer said its fix holds (recorded on the case first): one waiting for its check-back thanks them now; false when none runs. */
  fixConfirmed(workflowId: string): Promise<boolean>;

  /** Starts the account review with this ID (the service picks which occurrence); one running or finished under it is returned, not repeated. */
  startAccountReview(input: { workflowId: string; customerId: string; policy: AccountReviewPolicy; tags: RunTags }): Promise<LaunchedRun>;
  accountReviewState(workflowId: string): Promise<AccountReviewState | null>;
  /** The customer's answer to the proposal (the run applies an accepted change); null when no run is under way; DECISION_REFUSED when none is awaited. */
  answerProposal(workflowId: string, accepted: boolean, updateId: string): Promise<Taken | null>;
  /** A person's offboarding decision, through an update the run validates; null when no run exists. */
  decideOffboarding(workflowId: string, decision: OffboardingDecision, updateId: string): Promise<AccountReviewState | null>;
  /** Asks an account review awaiting an offboarding decision to judge the account again (it ends turned-around or not-judged when so); null when there is no run. */
  rejudgeAccount(workflowId: string, updateId: string): Promise<AccountReviewState | null>;
  /** Ends an account review's offboarding notice early (the customer leaves now); answers once the run has ended; null when no run exists; DECISION_REFUSED unless the run is in its notice. */
  endOffboardingNotice(workflowId: string, end: NoticeEnd, updateId: string): Promise<AccountReviewState | null>;

  /** Thanks a silent loyal customer, once per year (`workflowId`: the year's run, or its next occurrence). */
  startAppreciation(input: { workflowId: string; customerId: string; year: number; policy: AppreciationPolicy; tags: RunTags }): Promise<LaunchedRun>;
  /**
   * Tells a thank-you under way that its customer withdrew marketing consent: one waiting (quiet hours, a hold) asks the
   * contact guard again at once and ends not thanked. False when none runs. (Runs started before it could be told wait out their deadline.)
   */
  consentWithdrawn(workflowId: string): Promise<boolean>;
  /** Tells a thank-you under way that its customer complained: one waiting for quiet hours asks the contact guard again at once and waits for the fix. False when none runs. */
  complaintOpened(workflowId: string): Promise<boolean>;
  /**
   * Tells an account review that its proposal, still queued, was held back at a complaint: one awaiting the answer stops
   * waiting for one that cannot come and proposes again once nothing is open. False when none runs. (Runs started before
   * it could be told find it at the end of their answer wait, or not at all.)
   */
  proposalHeldAtComplaint(workflowId: string): Promise<boolean>;
  /**
   * Tells an account review that a complaint of its customer's was withdrawn or resolved, nothing of theirs left open: one
   * whose proposal the contact guard holds back looks again at once. False when none runs. (Runs started before it could be
   * told look at their next look.)
   */
  complaintClosed(workflowId: string): Promise<boolean>;

  /** Asks a run to stop (Temporal cancellation; the run records the outcome and ends); null when it is not running. */
  cancelRun(workflowId: string): Promise<Taken | null>;

  /** Runs under way that match, newest first, from position `offset`, at most `limit` (the engine's search index: eventually consistent). */
  findRunning(search: RunSearch, offset: number, limit: number): Promise<FoundRun[]>;
  countRunning(search: RunSearch): Promise<number>;

  /** Runs started at `since` or later that failed, were terminated or timed out (the engine's search index: eventually consistent). */
  findEndedInEngine(since: Date): Promise<EndedRun[]>;
  /**
   * The executions of runs started at `since` or later, under way or closed since: started then,
   * or reset then (a reset run may have ended before anyone looked). The engine's search index:
   * eventually consistent.
   */
  findStartedSince(since: Date): Promise<StartedRun[]>;
  /** The reset that started this execution of the run (`runId`); null when it was not started by a reset, or does not exist. */
  howReset(workflowId: string, runId: string): Promise<HowReset | null>;
  /**
   * What became of an update sent to the run whose answer did not come in time: taken, not taken (refused, or never reached the run), or still pending.
   * `runId`: of that execution of the run (an update typed in the Temporal UI, audited by the execution that took it), not the current one.
   */
  updateOutcome(workflowId: string, updateId: string, runId?: string): Promise<UpdateOutcome>;
  /** How the run ended in the engine without recording it (failed, terminated, timed out); null when it runs, ended otherwise, or does not exist. */
  endedInEngine(workflowId: string): Promise<EndedRun | null>;
  /** Whether the engine took a start of the run asked for at `at`: it has an execution of the run started then or later (under way or ended), or not. */
  startOutcome(workflowId: string, at: Date): Promise<'taken' | 'not-taken'>;
  /** Whether the engine took a cancel of the run this platform asked for at `at`: the run was asked to stop by it then or later, or not. */
  cancelOutcome(workflowId: string, at: Date): Promise<'taken' | 'not-taken'>;
  /** How the run ended (for a cancelled one: who asked it to stop, and why); null when it has not ended or does not exist. */
  howEnded(workflowId: string): Promise<HowEnded | null>;
  /**
   * How execution `runId` of the run ended, when a reset has replaced it since (`HowReset.replacedRunId`): cancelled or
   * terminated in the Temporal UI or CLI, failed or timed out. Null when it completed, ran on until the reset (which
   * terminated it itself), was cancelled by this platform (audited as `playbook.cancel` already), or does not exist.
   */
  endUndoneByReset(workflowId: string, runId: string): Promise<EndUndone | null>;
  /** Whether the run is open in the engine (false once it closed, however, or when none exists). */
  isRunning(workflowId: string): Promise<boolean>;
  /**
   * The step an open run last tagged itself with (its PlaybookStep search attribute), as the
   * engine describes it: answered without a worker, unlike the run's state; null when the run is
   * not open or does not exist.
   */
  taggedStep(workflowId: string): Promise<string | null>;

  /** Step, outcome and deadline of any playbook run (they all answer the \`state\` query), and whether it runs or how it ended (null: the engine cannot tell); null when unknown. */
  runState(workflowId: string): Promise<(PlaybookRunState & { status: RunStatus | null }) | null>;
}
