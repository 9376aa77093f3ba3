import { days, hours, readableWait } from '../policies/duration.js';
import type { PlaybookStateSummary } from './run-state.js';
import { runId } from './run-id.js';
import { isUuid } from '../ids.js';
import { echoed } from '../text.js';
import { isRecordedActorForm } from '../auth/roles.js';
import { dayIn } from '../billing/paid-day.js';
import { proposalAnsweredBeforeItWent } from '../messages/catalogue.js';
import type { NewCustomerTerms } from '../messages/template.js';
import { heldBackUntilStepTakenAgain } from './run-status.js';

/**
 * Unprofitable accounts: "there are no loss-making customers, only loss-making service
 * concepts". First a cheaper service concept or a fitting offer is proposed; after a
 * review period the account is scored again. Only if it still loses money, and only
 * after a person approves it (recorded), is the customer offboarded: with notice, help
 * to switch, a final invoice and their data, never abruptly.
 */
export const ACCOUNT_REVIEW = 'account-review';

export interface AccountReviewPolicy {
  version: number;
  /** How long the customer has to answer the proposal. */
  answerWaitMs: number;
  /**
   * After the proposal, wait this long before scoring the account again. A review that proposed nothing gives the team that
   * owns customer relationships a task to talk the account through with the customer and waits as long (runs before that
   * change scored it again at once).
   */
  reviewAfterMs: number;
  /** How long a person has to decide on offboarding before the account is simply kept. */
  approvalWaitMs: number;
  /** Notice between the offboarding letter and the end of service, counted from when the notice went out. */
  noticeMs: number;
  /**
   * At the end of the notice, one not gone out yet that delivery still tries (queued, retried) is looked at again this
   * often, for at most `noticeDeliveryWaitMs`: nobody is offboarded before their notice went. Absent in runs of
   * version 1 (the defaults below apply).
   */
  noticeRecheckMs?: number;
  noticeDeliveryWaitMs?: number;
  /**
   * While the contact guard holds the offer back for a time (a complaint or fix open, the contact budget used up), the
   * run judges the account again and proposes again this often, for at most `proposalHoldWaitMs`, before it goes on
   * without a proposal. Absent in runs of versions 1 and 2 (the defaults below apply).
   */
  proposalRecheckMs?: number;
  proposalHoldWaitMs?: number;
  /**
   * While a complaint or fix case of the customer's is open, the run looks again this often, for at most `openIssueWaitMs`:
   * before it asks a person to decide on offboarding (an approval would be refused meanwhile), and at the end of the notice
   * before it offboards (a customer is not pushed out in the middle of their complaint). Absent in runs of versions 1 to 3
   * (the defaults below apply).
   */
  openIssueRecheckMs?: number;
  openIssueWaitMs?: number;
  /**
   * The team that owns customer relationships: a customer to whom the review could propose nothing is theirs to talk the
   * account through with; one the run kept at the end of their notice (the notice never reached them, or a complaint or
   * fix still open) is theirs to reach, or to see their issue resolved. Read by the worker as it writes the task, not by
   * the run (absent in a run's input of before: the default below applies).
   */
  relationshipTeam?: string;
}

export const accountReviewPolicy: AccountReviewPolicy = {
  version: 4,
  answerWaitMs: days(21),
  reviewAfterMs: days(90),
  approvalWaitMs: days(30),
  noticeMs: days(60),
  noticeRecheckMs: hours(1),
  noticeDeliveryWaitMs: days(7),
  proposalRecheckMs: days(1),
  // The contact budget's period: a budget used up has freed up by then.
  proposalHoldWaitMs: days(30),
  openIssueRecheckMs: days(1),
  openIssueWaitMs: days(30),
  relationshipTeam: 'account-management',
};

/** Whose the tasks about a customer kept at the end of their notice are (the policy's team; a policy of before has the default). */
export function relationshipTeam(policy: AccountReviewPolicy): string {
  return policy.relationshipTeam?.trim() || accountReviewPolicy.relationshipTeam!;
}

/** How long, and how often, a run looks for its notice to go out at the end of the notice (a policy of version 1 has the defaults). */
export function noticeDeliveryWait(policy: AccountReviewPolicy): { recheckMs: number; waitMs: number } {
  return { recheckMs: policy.noticeRecheckMs ?? accountReviewPolicy.noticeRecheckMs!, waitMs: policy.noticeDeliveryWaitMs ?? accountReviewPolicy.noticeDeliveryWaitMs! };
}

/** How long, and how often, a run proposes again while the contact guard holds its offer back for a time (a policy before version 3 has the defaults). */
export function proposalHoldWait(policy: AccountReviewPolicy): { recheckMs: number; waitMs: number } {
  return { recheckMs: policy.proposalRecheckMs ?? accountReviewPolicy.proposalRecheckMs!, waitMs: policy.proposalHoldWaitMs ?? accountReviewPolicy.proposalHoldWaitMs! };
}

/** How long, and how often, a run looks again while a complaint or fix case is open, before the offboarding decision and at the end of the notice (a policy before version 4 has the defaults). */
export function openIssueWait(policy: AccountReviewPolicy): { recheckMs: number; waitMs: number } {
  return { recheckMs: policy.openIssueRecheckMs ?? accountReviewPolicy.openIssueRecheckMs!, waitMs: policy.openIssueWaitMs ?? accountReviewPolicy.openIssueWaitMs! };
}

/**
 * What makes an account review policy typed by hand (a run started in the Temporal UI or CLI, not by the platform)
 * harsher on the customer than the deployment's: each wait that stands between a loss-making customer and their
 * offboarding shorter than the deployment's (the time to answer the proposal, the review after it, the wait while a
 * proposal is held back, the wait for an open complaint or fix, the notice itself). A wait a policy leaves out is its
 * default, as the run reads it. Empty: no harsher (it may still differ). The shape is not trusted: a wait that is not a
 * number is a problem, not a TypeError.
 */
export function accountReviewPolicyProblems(given: unknown, deployment: AccountReviewPolicy): string[] {
  const policy = given as Partial<AccountReviewPolicy> | null | undefined;
  if (!policy || typeof policy !== 'object') return ['the policy is missing'];
  const waits: Array<[string, (p: Partial<AccountReviewPolicy>) => unknown, string]> = [
    ['answerWaitMs', (p) => p.answerWaitMs, 'to answer the proposal'],
    ['reviewAfterMs', (p) => p.reviewAfterMs, 'before the account is scored again after a proposal'],
    ['proposalHoldWaitMs', (p) => p.proposalHoldWaitMs ?? accountReviewPolicy.proposalHoldWaitMs, 'while a proposal is held back'],
    ['openIssueWaitMs', (p) => p.openIssueWaitMs ?? accountReviewPolicy.openIssueWaitMs, 'for an open complaint or fix before offboarding'],
    ['noticeMs', (p) => p.noticeMs, 'of notice'],
  ];
  const problems: string[] = [];
  for (const [name, read, what] of waits) {
    const wait = read(policy);
    const ours = read(deployment) as number;
    if (typeof wait !== 'number' || !Number.isFinite(wait)) problems.push(`${name} (the wait ${what}) is not a number`);
    else if (wait < ours) problems.push(`${name} gives ${readableWait(wait)} ${what}, less than the deployment's ${readableWait(ours)}`);
  }
  return problems;
}

/**
 * Whether the offboarding is still due at the end of the notice: the account judged now (`valueMinor`, null: not judged,
 * `notJudged` saying why), and the customer's open complaints and fix cases in words (by topic), null when none is.
 */
export interface OffboardingDue {
  valueMinor: number | null;
  notJudged: string | null;
  openIssues: string | null;
  /** How the account was judged when not on the plain window (a tier the customer accepted in a review). */
  basis?: string;
  /** Its band is `loss-making`: a loss too small to be material is not (absent for one not judged, and in runs before that change). */
  lossMaking?: boolean;
}

/** Why an offboarding that was due at the decision is not carried out at the end of the notice (keepAtNoticeEnd). */
export type KeptAtNoticeEnd = { why: 'turned-around'; valueMinor: number } | { why: 'not-judged'; notJudged: string } | { why: 'issue-open'; openIssues: string };

/**
 * Whether the contact guard's hold on an offer passes by itself, so the proposal is worth waiting for: a complaint or
 * fix gets closed, the contact budget frees up. No consent, or a customer who left, does not.
 */
export function proposalHoldPasses(guardReason: string | undefined): boolean {
  return guardReason === 'open-complaint' || guardReason === 'budget-exhausted';
}

/**
 * Where the offboarding notice stands at the end of the notice: `sentAt` once it went out; else `undelivered`, why it
 * will not go by itself (held back, refused for good, given up after its attempts, its hand-over interrupted, never
 * written, or the offboarding withdrawn meanwhile), or null while delivery still tries (queued for quiet hours, retried).
 */
export interface OffboardingNoticeDelivery {
  sentAt: string | null;
  undelivered: string | null;
}

/**
 * What is put to the customer: a cheaper service tier, or an offer that fits. `projectedProfitabilityMinor`: what the model
 * projects the account at once the customer accepts (absent in proposals made before it was kept): negative, the account is
 * expected to lose money still, and a person may be asked to decide on offboarding a customer who said yes.
 */
export type Proposal =
  | { kind: 'tier-change'; tier: string; reason: string; projectedProfitabilityMinor?: number }
  /**
   * An offer, with its name and discount as the customer reads them (proposals written before they were kept have the
   * code alone), and the tier it moves the account to (an offer proposed before offers had to change the tier has none).
   * `contractChange`: the move to the cheaper tier the review proposes, with the fair discount open to the customer on that
   * tier as its price (at least the newcomers'): about the customer's contract, so a service message, which needs no
   * marketing consent or contact budget, as a move at its full fee; absent (any other offer, and such moves proposed before
   * it was kept): marketing. `newCustomerTerms`: a matched new customers' offer's terms as newcomers read them (its name
   * speaks to newcomers, so `offerName` is absent), as a thank-you states them.
   */
  | {
      kind: 'offer';
      offerCode: string;
      offerName?: string;
      offerNames?: Record<string, string>;
      discountPercent?: number;
      tier?: string;
      reason: string;
      projectedProfitabilityMinor?: number;
      contractChange?: boolean;
      newCustomerTerms?: NewCustomerTerms;
    }
  /**
   * No proposal; `notBefore`: not yet, as an offer would wait through the customer's quiet hours (propose again then);
   * `guardHold`: the contact guard's reason when it holds the offer back (`open-complaint`, `budget-exhausted` pass by
   * themselves: the run proposes again meanwhile, proposalHoldWait).
   */
  | { kind: 'none'; reason: string; notBefore?: string; guardHold?: string };

export const ACCOUNT_REVIEW_STEPS = ['starting', 'proposing', 'awaiting-answer', 'applying', 'awaiting-review', 'reviewing', 'awaiting-approval', 'offboarding', 'done'] as const;
export type AccountReviewStep = (typeof ACCOUNT_REVIEW_STEPS)[number];
/**
 * `not-judged`: the rescore could not judge the account (e.g. no order carries a margin): nothing more is done, nothing
 * said about its profitability (at the end of the notice: the offboarding withdrawn, the team told).
 * `kept-turned-around`: at the end of the notice the account no longer lost money: the offboarding withdrawn.
 * `kept-issue-open`: a complaint or fix case was still open after the wait at the end of the notice (withdrawn, the team told),
 *   through the proposal's hold (nothing proposed, no offboarding weighed), or through the wait before the offboarding
 *   decision (no offboarding weighed).
 */
export type AccountReviewOutcome = 'turned-around' | 'not-judged' | 'kept-by-decision' | 'kept-no-decision' | 'kept-offboarding-withdrawn' | 'kept-notice-undelivered' | 'kept-turned-around' | 'kept-issue-open' | 'offboarded';

/** The end of the notice: the customer offboarded, or the offboarding found withdrawn meanwhile (the run's end withdrew it before a reset made it run again). */
export type OffboardingCompletion = 'offboarded' | 'withdrawn';

/** The start of the notice: given, or not given again because this run's offboarding was withdrawn (a reset to before the notice after the run's end withdrew it), or the run has ended meanwhile. */
export type OffboardingStart = 'notice-given' | 'withdrawn' | 'run-ended';

export interface OffboardingDecision {
  approve: boolean;
  /** Who decided (the caller's ID), recorded with the decision. */
  decidedBy: string;
  /**
   * The audit entry that holds why (a decision through the API): a person's words stay out of
   * the run's history, which erasing the customer cannot reach, as workflow histories hold IDs.
   */
  reasonEntry?: string;
  /** Why, as an operator sent it by hand in the Temporal UI (and in decisions taken before reasonEntry). */
  reason?: string;
}

/**
 * The offboarding notice ended early: the customer leaves now rather than at the notice's end (they asked to be erased, or
 * to leave at once), so the offboarding is carried out at once, as at the notice's end, without the looks that would keep
 * them (the account turned around, a complaint open, the notice undelivered): they asked to go.
 */
export interface NoticeEnd {
  /** Who ended it (the caller's ID through the API; the name an operator typed in the Temporal UI). */
  endedBy: string;
  /** The audit entry that holds why (through the API): a person's words stay out of the run's history, as a decision's do. */
  reasonEntry?: string;
  /** Why, as an operator typed it in the Temporal UI (kept in the run's history and its audit entry, not in the run's state). */
  reason?: string;
}

/** Who ended the notice early, and when (the run's state: the reason stays in the audit log). */
export interface NoticeEnded {
  endedBy: string;
  reasonEntry?: string;
  at: string;
}

/**
 * Why a request to end the offboarding notice early is refused (validator of the update): the run is not in its notice
 * (`inNotice`: waiting out the notice, or at its end for the notice to go out or a complaint to close), it was ended
 * already, or the request is not `{ endedBy, reason }` (or the API's `reasonEntry`). Typed in the Temporal UI, an
 * `endedBy` named as the audit log's own actors are (an API caller `admin:1a2b3c4d`) is refused, as for decisions.
 */
export function noticeEndProblem(state: AccountReviewState, inNotice: boolean, end: NoticeEnd): string | null {
  if (state.noticeEnded) return `the offboarding notice was already ended early (by ${state.noticeEnded.endedBy})`;
  if (!inNotice) {
    return state.step === 'offboarding' && state.decision?.approve
      ? 'the review is not waiting out its offboarding notice now (beginning it, or carrying out its end), or was started before a notice could be ended early: there is no notice to end'
      : `the review is at step "${state.step}", not in an offboarding notice: there is no notice to end`;
  }
  if (typeof end?.endedBy !== 'string' || !end.endedBy.trim()) return 'endedBy must name the person who ends the notice';
  if (end.reasonEntry !== undefined) return typeof end.reasonEntry === 'string' && isUuid(end.reasonEntry) ? null : 'reasonEntry must be the ID of the audit entry that holds the reason';
  if (isRecordedActorForm(end.endedBy)) return `endedBy must name the person who ends the notice, without a colon: "${echoed(end.endedBy.trim())}" reads as one of the audit log's own actors`;
  if (typeof end.reason !== 'string' || !end.reason.trim()) return 'ending the notice early needs a reason (e.g. the customer asked to be erased)';
  return null;
}

export interface AccountReviewState extends PlaybookStateSummary {
  customerId: string;
  step: AccountReviewStep;
  proposal: Proposal | null;
  answer: 'accepted' | 'declined' | null;
  profitabilityMinor: number | null;
  /** How its last scoring judged profitabilityMinor when not on the plain window (a tier the customer accepted in a review); absent in runs before it was kept. */
  profitabilityBasis?: string | null;
  decision: OffboardingDecision | null;
  /** The offboarding notice ended early (the customer leaves now); absent while it runs its time, and in runs before it could be. */
  noticeEnded?: NoticeEnded | null;
  outcome: AccountReviewOutcome | null;
  policyVersion: number;
  deadline: string | null;
}

/**
 * The day the notice ends as the customer reads it: their own calendar day (`timeZone`) at the
 * instant the run offboards them, written into the notice's payload (`noticeEndsOn`). Its UTC day
 * would promise a customer west of UTC a day more than they get (the run offboards them on the
 * day before it, their time).
 */
export function noticeEndDay(noticeEndsAt: string, timeZone: string): string {
  return dayIn(timeZone, new Date(noticeEndsAt));
}

/** The first review of a customer; a later one (after the cooldown) is an occurrence of it, `<base>/2`, ... (occurrence.ts). */
export function accountReviewWorkflowId(customerId: string): string {
  return runId(ACCOUNT_REVIEW, customerId);
}

/** The customer's answer to the proposal, as a signal or update carries it. */
export interface ProposalAnswer {
  accepted: boolean;
}

/**
 * Why an answer to the proposal is not taken: one was taken already, none is awaited, or it is
 * not `{ accepted: true | false }` (sent by hand in the Temporal UI: "no" is no answer, and
 * must never apply a change).
 */
export function answerProblem(state: AccountReviewState, answer: unknown): string | null {
  if (typeof (answer as Partial<ProposalAnswer> | null)?.accepted !== 'boolean') return 'the answer must be { "accepted": true } or { "accepted": false }';
  // One sent at the same moment as another that was taken: the answer is given, not the step wrong.
  if (state.answer !== null) return `the customer's answer was already taken (${state.answer}): a proposal takes one answer`;
  if (state.step !== 'awaiting-answer') return `the review is at step "${state.step}", not awaiting an answer to a proposal`;
  return null;
}

/** Why an offboarding decision is refused before it reaches the run (validator of the update). */
export function decisionProblem(state: AccountReviewState, decision: OffboardingDecision): string | null {
  // One sent at the same moment as another that was taken: the decision is made, not the step wrong.
  if (state.decision !== null) return `an offboarding decision was already taken (${state.decision.approve ? 'approved' : 'rejected'}): a review takes one decision`;
  if (state.step !== 'awaiting-approval') return `the review is at step "${state.step}", not awaiting an offboarding decision`;
  // Sent by hand in the Temporal UI, "false" (a string) must not approve an offboarding.
  if (typeof decision?.approve !== 'boolean') return 'the decision must say approve: true or false';
  if (typeof decision.decidedBy !== 'string' || !decision.decidedBy.trim()) return 'the decision needs the person who made it';
  if (decision.reasonEntry !== undefined) return typeof decision.reasonEntry === 'string' && isUuid(decision.reasonEntry) ? null : 'reasonEntry must be the ID of the audit entry that holds the reason';
  if (typeof decision.reason !== 'string' || !decision.reason.trim()) return 'the decision needs a reason';
  return null;
}

/**
 * Why a decision typed in the Temporal UI (with a reason, not the API's reasonEntry) may not name its decider so: the audit
 * log records the notice under `decidedBy`, which must not pass for an API caller's, the platform's or the engine's. Checked
 * by the run's update handler, not its validator: runs decided before the check replay as they were.
 */
export function deciderProblem(decision: OffboardingDecision): string | null {
  if (decision.reasonEntry !== undefined || typeof decision.decidedBy !== 'string' || !isRecordedActorForm(decision.decidedBy)) return null;
  return `decidedBy must name the person who decided, without a colon: "${echoed(decision.decidedBy.trim())}" reads as one of the audit log's own actors (an API caller such as admin:1a2b3c4d, the platform, the engine)`;
}

/**
 * Why the proposal never reached the customer, held back at delivery (an opt-out, a complaint
 * before it went): its message's reason for being held back (null: not held back). Null as well
 * when the customer answered it before it went (accepted: the confirmation went instead; or declined), or when the run's
 * stop or a reset that undid the proposal held it back (a reset run asks again; a cancelled one has ended): an answer is taken then.
 */
export function proposalHeldBackAtDelivery(heldBack: string | null): string | null {
  return heldBack === null || proposalAnsweredBeforeItWent(heldBack) || heldBackUntilStepTakenAgain.includes(heldBack) ? null : heldBack;
}
