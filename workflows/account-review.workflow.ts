import { allHandlersFinished, ApplicationFailure, CancellationScope, CancelledFailure, condition, defineQuery, defineSignal, defineUpdate, isCancellation, log, patched, proxyActivities, proxyLocalActivities, setCurrentDetails, setHandler, sleep, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { AccountReviewActivities } from '../src/activities/account-review.activities.js';
import type { PlaybookRunActivities } from '../src/activities/playbook-run.activities.js';
import {
  ACCOUNT_REVIEW,
  answerProblem,
  deciderProblem,
  decisionProblem,
  noticeDeliveryWait,
  noticeEndProblem,
  openIssueWait,
  proposalHoldPasses,
  proposalHoldWait,
  type AccountReviewOutcome,
  type AccountReviewPolicy,
  type AccountReviewState,
  type AccountReviewStep,
  type KeptAtNoticeEnd,
  type NoticeEnd,
  type OffboardingDecision,
  type Proposal,
} from '../src/domain/playbooks/account-review.js';
import { PROPOSAL_HELD_AT_COMPLAINT } from '../src/domain/messages/catalogue.js';
import { endedState, recordingCancellation, sideEffectSteps } from './cancellation.js';
import { PlaybookStepKey } from './search-attributes.js';
import { startingCampaign } from './starting-campaign.js';
import { setRefusableUpdate } from './refusable-update.js';
import { auditSteering, cancelNotTaken, ignoringUnknownSignals, signalIgnored, signalReceived } from './steering-audit.js';
import { playbookStepOptions, stepRetry } from './activity-options.js';

// Its steps rescore the account and write the proposal: a minute an attempt.
const activityOptions = { ...playbookStepOptions, startToCloseTimeout: '1 minute' } as const;
const { recordRunStarted, recordRunOutcome, auditSteeringFromOutside, reviewProfitability, reasonEntryProblem, approvalProblem, withdrawOffboarding, declineAccountChange, proposalHeldBack, offboardingNoticeDelivery, offboardingDue, noticeEndEntryProblem, askToTalkItThrough, proposalNoLongerHolds } = proxyActivities<PlaybookRunActivities & AccountReviewActivities>(activityOptions);
/**
 * Looked up in the workflow task that takes the run on, its answer recorded with that task: a reset to that task (its
 * commands dropped) looks again, where an activity's answer would be replayed as the run before had it.
 */
const { offboardingWithdrawn } = proxyLocalActivities<AccountReviewActivities>({ startToCloseTimeout: '30 seconds', retry: stepRetry });
/**
 * The steps that tell the customer or change the account: a cancel lets one under way finish first. An offboarding it let
 * finish that was carried out stands, and the run goes on to record it (runs since `offboarding-carried-out-ignores-cancel`:
 * once the customer is offboarded, the final invoice's task and the data export written, the contract has ended; a cancel
 * requested in the Temporal UI or CLI from then on is not taken, as the API refuses it, and the run completes `offboarded`,
 * the cancel audited as not taken. Runs before the marker ended `Cancelled` with the customer offboarded).
 */
const accountSteps = sideEffectSteps<Pick<AccountReviewActivities, 'proposeAccountChange' | 'applyAccountChange' | 'startOffboarding' | 'completeOffboarding' | 'keepAfterUndeliveredNotice' | 'keepAtNoticeEnd'>>(
  activityOptions,
  (step, result) => step === 'completeOffboarding' && result === 'offboarded' && patched('offboarding-carried-out-ignores-cancel'),
);
/** Why a cancel that comes once the offboarding was carried out is not taken, as its audit entry says. */
const CANCEL_AFTER_OFFBOARDING = 'the offboarding was carried out (the customer offboarded, the final invoice and data export due): the contract has ended, the run completes offboarded';

export interface AccountReviewInput {
  customerId: string;
  policy: AccountReviewPolicy;
}

/** The customer's answer to the proposal (recorded by a person on their behalf, or by a front end). */
export const proposalAnsweredSignal = defineSignal<[{ accepted: boolean }]>('proposalAnswered');
/** The same answer, answered with the run once it has acted on it (applied an accepted change); refused unless an answer is awaited (the API's way). */
export const answerProposalUpdate = defineUpdate<AccountReviewState, [{ accepted: boolean }]>('answerProposal');
/**
 * The proposal, still queued, was held back at a complaint of the customer's (recorded, reopened or imported): it never
 * reached them. A review awaiting the answer stops waiting for one that cannot come and proposes again once nothing of
 * theirs is open. The database decides: one sent by mistake only makes the run look (runs since
 * `proposal-held-at-complaint-proposed-again`).
 */
export const proposalHeldAtComplaintSignal = defineSignal('proposalHeldAtComplaint');
/**
 * A complaint of the customer's was withdrawn or resolved, nothing of theirs left open: a review whose proposal the
 * contact guard holds back while a complaint is open looks again at once, rather than at its next look a day later. The
 * database decides: one sent by mistake only makes the run look (runs since `proposal-hold-looks-when-complaint-closed`).
 */
export const complaintClosedSignal = defineSignal('complaintClosed');
/** A person decides on offboarding; refused unless the review awaits exactly that. */
export const decideOffboardingUpdate = defineUpdate<AccountReviewState, [OffboardingDecision]>('decideOffboarding');
/**
 * The account is to be judged again while the run awaits an offboarding decision: the API refused an approval because the
 * account, rescored then, no longer loses money (or cannot be judged). Answers once the run has judged it (ended
 * `turned-around` or `not-judged`, or still awaiting a decision); refused unless the run awaits one.
 */
export const rejudgeAccountUpdate = defineUpdate<AccountReviewState, []>('rejudgeAccount');
/**
 * Ends the offboarding notice early: the customer leaves now (they asked to be erased, or to leave at once), so the run
 * carries out the offboarding at once, as at the notice's end (offboarded, the final invoice's task, the data export),
 * without the looks at the notice's end that would keep them. Answers once the run has ended; refused unless the run is
 * in its notice (runs since `offboarding-notice-ended-early`). `{ endedBy, reason }` typed in the Temporal UI; the API
 * sends `reasonEntry`, its audit entry holding the reason.
 */
export const endOffboardingNoticeUpdate = defineUpdate<AccountReviewState, [NoticeEnd]>('endOffboardingNotice');
export const accountReviewStateQuery = defineQuery<AccountReviewState>('state');

export async function accountReview(input: AccountReviewInput): Promise<AccountReviewOutcome> {
  const { workflowId } = workflowInfo();
  return recordingCancellation(workflowId, (keepsState) => withdrawingOffboardingOnCancel(workflowId, input.customerId, () => accountReviewSteps(input, keepsState)));
}

/**
 * A review cancelled during the offboarding notice withdraws the offboarding: the customer is
 * active again (audited with who cancelled and why), not left `offboarding` for good. Runs
 * cancelled before this change, replayed, did not.
 */
async function withdrawingOffboardingOnCancel<T>(workflowId: string, customerId: string, steps: () => Promise<T>): Promise<T> {
  try {
    return await steps();
  } catch (error) {
    if (isCancellation(error) && patched('offboarding-withdrawn-on-cancel')) await CancellationScope.nonCancellable(() => withdrawOffboarding({ workflowId, customerId }));
    throw error;
  }
}

async function accountReviewSteps({ customerId, policy: given }: AccountReviewInput, keepsState: (state: AccountReviewState) => void): Promise<AccountReviewOutcome> {
  let policy = given;
  const { workflowId } = workflowInfo();
  const { proposeAccountChange, applyAccountChange, startOffboarding, completeOffboarding, keepAfterUndeliveredNotice, keepAtNoticeEnd } = accountSteps();
  const state: AccountReviewState = { customerId, step: 'starting', proposal: null, answer: null, profitabilityMinor: null, decision: null, outcome: null, policyVersion: policy.version, deadline: null };
  setHandler(accountReviewStateQuery, () => state, { description: 'Step, proposal, answer, profitability at the review, decision and deadline' });
  keepsState(state);
  /**
   * Why an answer is not taken though answerProblem passes it: the proposal never reached the customer, held back at
   * delivery (an activity checks it): typed in the Temporal UI, a yes would record an acceptance nothing acts on. Asked
   * only for runs since the change, with no wait before it otherwise: a replayed run takes its answers as it did.
   */
  const heldBackProblem = async (answer: { accepted: boolean }) => {
    // A cancel at the same moment does not stop the check; the answer is checked again after it (one taken meanwhile).
    const heldBack = await CancellationScope.nonCancellable(() => proposalHeldBack({ workflowId }));
    return heldBack ? `the proposal never reached the customer (held back: ${heldBack}): there is nothing to answer` : answerProblem(state, answer);
  };
  setHandler(
    proposalAnsweredSignal,
    async (answer) => {
      const signal = signalReceived(proposalAnsweredSignal.name);
      // Sent by hand, a signal that is not { accepted: true | false } (or comes when none is awaited) is no answer: ignored, not
      // guessed, and its audit entry says why (`ignored`), so it never reads as the customer's answer.
      let problem = answerProblem(state, answer);
      if (!problem && patched('answer-to-held-back-proposal-refused')) problem = await heldBackProblem(answer);
      if (problem) {
        log.warn('proposalAnswered ignored', { problem });
        signalIgnored(signal, problem);
      } else state.answer = answer.accepted ? 'accepted' : 'declined';
      await auditSteering(auditSteeringFromOutside);
    },
    { description: "The customer's answer to the proposal, { accepted: true | false }; taken only while the run awaits it" },
  );
  setRefusableUpdate(
    answerProposalUpdate,
    (answer) => answerProblem(state, answer),
    async (answer) => {
      // (The validator passed it on answerProblem.)
      const problem = patched('answer-to-held-back-proposal-refused') ? await heldBackProblem(answer) : null;
      if (problem) {
        // In the run's history (its validator passed it): audited as the operator's attempt.
        await auditSteering(auditSteeringFromOutside);
        throw ApplicationFailure.nonRetryable(problem, 'Refused');
      }
      state.answer = answer.accepted ? 'accepted' : 'declined';
      await condition(() => state.step !== 'awaiting-answer' && state.step !== 'applying');
      await auditSteering(auditSteeringFromOutside);
      return state;
    },
    "The customer's answer to the proposal, { accepted: true | false }; answers once the run has acted on it; refused unless the run awaits it, and when the proposal never reached the customer (held back at delivery)",
  );
  /**
   * Set as the approval wait ends, before the run awaits anything: a decision whose handler was still checking it (its
   * reasonEntry, an approval's open issues and rescore) when the wait's time ran out is refused, not taken for a run that ends kept-no-decision.
   */
  let approvalWaitOver = false;
  /**
   * Asked while the run awaits a decision: an approval it refused, or the API's word that it refused one, because the
   * account no longer loses money, or cannot be judged. The run judges the account again at once and ends as a rescore at
   * the review that found so would (`turned-around`, `not-judged`), instead of waiting out the approval wait as "still
   * loss-making" until a person records a rejection. Set only in runs since the change (the marker where it is asked),
   * so runs that refused approvals before it replay as they ran. `rejudgements` counts those that found it still losing money.
   */
  let rejudge = false;
  let rejudgements = 0;
  const askToRejudge = () => {
    if (patched('approval-refusal-rejudged')) rejudge = true;
  };
  /** Why a decision that passed its checks comes too late: the wait ran out without one, or the run was cancelled (answered as ended). */
  const decisionTooLate = (): Error | null => {
    const cancelled = CancellationScope.current().consideredCancelled;
    if (!cancelled && !approvalWaitOver) return null;
    if (!patched('decision-after-wait-refused')) return null;
    return cancelled
      ? new CancelledFailure('the review was cancelled: the decision is not taken')
      : ApplicationFailure.nonRetryable('the wait for an offboarding decision has ended without one: the account stays', 'Refused');
  };
  setRefusableUpdate(
    decideOffboardingUpdate,
    (decision) => decisionProblem(state, decision),
    async (decision) => {
      // Any UUID passes the validator: a reasonEntry must name this run's decision entry, which holds why (one made up in the Temporal UI names no reason).
      if (decision.reasonEntry !== undefined && patched('offboarding-reason-entry-checked')) {
        // A cancel at the same moment does not stop the check (the decision is taken or refused as without it); checked
        // again after it: a decision taken meanwhile, or the wait's end, refuses this one.
        const problem = (await CancellationScope.nonCancellable(() => reasonEntryProblem({ workflowId, decision }))) ?? decisionProblem(state, decision);
        if (problem) {
          // In the run's history (its validator passed it): audited as the operator's attempt.
          await auditSteering(auditSteeringFromOutside);
          throw ApplicationFailure.nonRetryable(problem, 'Refused');
        }
      }
      // Typed in the Temporal UI, a decider named as the audit log names an API caller is refused (runs since the check).
      const impersonated = deciderProblem(decision);
      if (impersonated && patched('decider-not-a-recorded-actor')) {
        await auditSteering(auditSteeringFromOutside);
        throw ApplicationFailure.nonRetryable(impersonated, 'Refused');
      }
      // An approval is taken only for a customer with no complaint or fix case open whose account, rescored now, still loses
      // money, whoever sends it: typed in the Temporal UI or CLI it passed no check of the API's, and one from the API may
      // meet a complaint recorded since the API checked (runs since the check; a rejection is always taken). As for the
      // reasonEntry, a cancel at the same moment does not stop the check, and a decision taken meanwhile refuses this one.
      // One already too late (the run cancelled or its wait over while its reasonEntry was checked) is not checked: it is
      // answered so at once below, before a cancelled run ends with its handler still awaiting the check.
      if (decision.approve && !decisionTooLate() && patched('approval-checked-in-run')) {
        const refusal = await CancellationScope.nonCancellable(() => approvalProblem({ customerId, workflowId }));
        const problem = refusal ?? decisionProblem(state, decision);
        if (problem) {
          // Refused on the account as it stands now (it may have turned around): the run judges it again.
          if (refusal) askToRejudge();
          await auditSteering(auditSteeringFromOutside);
          throw ApplicationFailure.nonRetryable(problem, 'Refused');
        }
      }
      // The wait ended meanwhile (its time ran out, or the run was cancelled): the run has gone on without a decision (runs since the check).
      const tooLate = decisionTooLate();
      if (tooLate) {
        await auditSteering(auditSteeringFromOutside);
        throw tooLate;
      }
      state.decision = decision;
      await auditSteering(auditSteeringFromOutside);
      return state;
    },
    "A person's offboarding decision, { approve, reason, decidedBy } (the API sends reasonEntry, the audit entry of its decision holding the reason, instead of the reason; any other reasonEntry is refused); refused unless the run awaits one (step awaiting-approval), and an approval while a complaint or fix case of the customer's is open or when the account, rescored now, no longer loses money or cannot be judged",
  );
  setRefusableUpdate(
    rejudgeAccountUpdate,
    () => (state.decision === null && state.step === 'awaiting-approval' ? null : `the review is at step "${state.step}", not awaiting an offboarding decision: there is nothing to judge again`),
    async () => {
      const before = rejudgements;
      askToRejudge();
      await condition(() => rejudgements > before || state.decision !== null || state.step !== 'awaiting-approval');
      await auditSteering(auditSteeringFromOutside);
      return state;
    },
    'Judges the account again (rescored) while the run awaits an offboarding decision, as the API asks when it refused an approval because the account no longer loses money or cannot be judged: the run then ends turned-around or not-judged; refused unless the run awaits a decision',
  );
  /**
   * Whether the run is in its offboarding notice and may end it early: set as the notice's wait begins (runs since
   * `offboarding-notice-ended-early`, whose waits take the request; older runs sleep through them) and cleared as the run
   * takes up the notice's end (carrying it out, or keeping the customer), so the request is refused from then on.
   */
  let inNotice = false;
  /**
   * Whether the run is carrying the offboarding out (completeOffboarding under way) or has carried it out: a cancel that
   * comes then may find it carried out, which stands (runs since `offboarding-carried-out-ignores-cancel`).
   */
  let carryingOut = false;
  setRefusableUpdate(
    endOffboardingNoticeUpdate,
    (end) => noticeEndProblem(state, inNotice, end),
    async (end) => {
      // A reasonEntry must name this run's audit entry of the request, by whoever it names (one made up in the Temporal UI names no reason).
      if (end.reasonEntry !== undefined) {
        const problem = (await CancellationScope.nonCancellable(() => noticeEndEntryProblem({ workflowId, end }))) ?? noticeEndProblem(state, inNotice, end);
        if (problem) {
          await auditSteering(auditSteeringFromOutside);
          throw ApplicationFailure.nonRetryable(problem, 'Refused');
        }
      }
      // Who and when; the reason stays in the audit log (through the API) or the run's history (typed in the Temporal UI).
      state.noticeEnded = { endedBy: end.endedBy.trim(), ...(end.reasonEntry !== undefined ? { reasonEntry: end.reasonEntry } : {}), at: new Date(Date.now()).toISOString() };
      await auditSteering(auditSteeringFromOutside);
      // Answered once the run has carried the offboarding out and recorded its end: the customer may be erased then.
      // A cancel while the run carries the offboarding out, or after: one carried out stands, and the run records its end
      // (runs since the marker): answered then, as without the cancel.
      const offboardingStands = () => carryingOut && patched('offboarding-carried-out-ignores-cancel');
      try {
        await condition(() => state.step === 'done' || CancellationScope.current().consideredCancelled);
      } catch (error) {
        if (!(isCancellation(error) && offboardingStands())) throw error;
      }
      if (state.step !== 'done' && offboardingStands()) await CancellationScope.nonCancellable(() => condition(() => state.step === 'done' || !carryingOut));
      if (state.step !== 'done') throw new CancelledFailure('the review was cancelled before it carried out the offboarding');
      return state;
    },
    "Ends the offboarding notice early, { endedBy, reason } (the API sends reasonEntry, the audit entry of its request holding the reason): the customer leaves now (asked to be erased, or to leave at once), offboarded at once as at the notice's end, without the looks that would keep them; answers once the run has ended; refused unless the run is in its notice",
  );
  /**
   * Runs since the marker look, when the answer wait ends (or a complaint's follow-up tells them sooner), whether the
   * proposal was held back at a complaint before it went: it never reached the customer, so the run goes back to proposing
   * (none while anything is open: the guard's hold, waited for), rather than on towards an offboarding decision as if the
   * customer had let the proposal pass. Runs from before the marker take no signal and go on as they did.
   */
  const reproposesHeldAtComplaint = patched('proposal-held-at-complaint-proposed-again');
  let heldAtComplaintTold = false;
  if (reproposesHeldAtComplaint) {
    setHandler(
      proposalHeldAtComplaintSignal,
      async () => {
        heldAtComplaintTold = true;
        await auditSteering(auditSteeringFromOutside);
      },
      { description: 'The proposal, still queued, was held back at a complaint: a run awaiting the answer looks at once, and proposes again once nothing is open' },
    );
  }
  /**
   * Runs since the marker look again at once, while the contact guard holds the proposal back, when told a complaint was
   * withdrawn or resolved with nothing of the customer's left open; runs from before take no signal and look at their next look.
   */
  const looksWhenComplaintClosed = patched('proposal-hold-looks-when-complaint-closed');
  let complaintClosedTold = false;
  if (looksWhenComplaintClosed) {
    setHandler(
      complaintClosedSignal,
      async () => {
        complaintClosedTold = true;
        await auditSteering(auditSteeringFromOutside);
      },
      { description: "A complaint of the customer's was withdrawn or resolved, nothing left open: a proposal the contact guard holds back is looked at again at once" },
    );
  }
  ignoringUnknownSignals(
    [proposalAnsweredSignal.name, ...(reproposesHeldAtComplaint ? [proposalHeldAtComplaintSignal.name] : []), ...(looksWhenComplaintClosed ? [complaintClosedSignal.name] : [])],
    auditSteeringFromOutside,
  );
  const enter = (step: AccountReviewStep, details: string, waitMs?: number) => {
    state.step = step;
    state.deadline = waitMs === undefined ? null : new Date(Date.now() + waitMs).toISOString();
    upsertSearchAttributes([{ key: PlaybookStepKey, value: step }]);
    setCurrentDetails(details);
  };
  const finish = async (outcome: AccountReviewOutcome, details: string) => {
    await recordRunOutcome({ workflowId, outcome, finalState: endedState(state, outcome) });
    state.outcome = outcome;
    enter('done', details);
    await condition(allHandlersFinished);
    return outcome;
  };

  /**
   * The notice's delivery at the end of the notice: one delivery still tries (queued for quiet hours, retried) is looked
   * at again every `recheckMs`, for at most the policy's wait; sent, or why it will not go by itself, or still unsent then.
   */
  const noticeGone = async () => {
    const { recheckMs, waitMs } = noticeDeliveryWait(policy);
    const waitUntil = Date.now() + waitMs;
    let notice = await offboardingNoticeDelivery({ workflowId });
    while (!state.noticeEnded && notice.sentAt === null && notice.undelivered === null && recheckMs > 0 && Date.now() + recheckMs <= waitUntil) {
      enter('offboarding', 'The notice has not gone out yet: the customer is offboarded only once it has, and the notice has run from then', recheckMs);
      await noticeWait(recheckMs);
      if (state.noticeEnded) break;
      notice = await offboardingNoticeDelivery({ workflowId });
    }
    return notice;
  };

  /**
   * A wait of the notice: in runs since `offboarding-notice-ended-early` (inNotice), it ends early when a person ends the
   * notice (endOffboardingNotice); older runs sleep through it, as they did.
   */
  const noticeWait = async (ms: number): Promise<void> => {
    if (inNotice) await condition(() => !!state.noticeEnded, ms);
    else await sleep(ms);
  };

  /**
   * Why the offboarding is no longer due at the end of the notice, or null when it is: the approval was given for an
   * account that loses money and a customer with nothing open. An account that no longer loses money (or cannot be judged)
   * is kept; while a complaint or fix case is open, the run looks again every `recheckMs`, for at most the policy's wait:
   * resolved, it offboards if the account still loses money; still open then, the customer is kept.
   */
  const noLongerDue = async (): Promise<KeptAtNoticeEnd | null> => {
    const { recheckMs, waitMs } = openIssueWait(policy);
    const waitUntil = Date.now() + waitMs;
    let due = await offboardingDue({ customerId });
    while (!state.noticeEnded && lossMaking(due) && due.openIssues !== null && recheckMs > 0 && Date.now() + recheckMs <= waitUntil) {
      enter('offboarding', `Not offboarded while a complaint or fix is open (${due.openIssues}): looking again then`, recheckMs);
      await noticeWait(recheckMs);
      if (state.noticeEnded) return null;
      due = await offboardingDue({ customerId });
    }
    // Ended early meanwhile (the customer asked to go): carried out, whatever the look found.
    if (state.noticeEnded) return null;
    if (due.valueMinor === null) {
      // The review's figure is no judgement of the account now: not judged shows no profitability, as at the start and the review.
      state.profitabilityMinor = null;
      state.profitabilityBasis = null;
      return { why: 'not-judged', notJudged: due.notJudged ?? 'no profitability score' };
    }
    state.profitabilityMinor = due.valueMinor;
    state.profitabilityBasis = due.basis ?? null;
    if (!lossMaking(due)) return { why: 'turned-around', valueMinor: due.valueMinor };
    if (due.openIssues !== null) return { why: 'issue-open', openIssues: due.openIssues };
    return null;
  };

  /**
   * The account scored as the review judges it: its profitability, or null when the rescore cannot judge it (no order
   * carries a margin), which is no profitable account: the run ends `not-judged`, saying why (runs since the change;
   * runs before it recorded a number, 0 for such an account, and replay as they ran).
   */
  const judged = async (): Promise<{ valueMinor: number; notJudged: null; lossMaking?: boolean } | { valueMinor: null; notJudged: string }> => {
    const { valueMinor, notJudged, basis, lossMaking } = await reviewProfitability(customerId);
    state.profitabilityBasis = basis ?? null;
    if (valueMinor === null && patched('review-not-judged')) return { valueMinor: null, notJudged: notJudged ?? 'no profitability score' };
    return { valueMinor: valueMinor ?? 0, notJudged: null, lossMaking };
  };

  /**
   * Whether a judgement finds the account still loss-making: a loss, unless its profitability band says otherwise (a loss
   * too small to be material is `break-even`: no account to propose a change to, let alone to offboard), as the trigger
   * sweep and a start by hand select accounts. Runs since the change, where such a loss first makes a difference (the
   * marker); activities before it said no band, and runs without the marker replay as they ran: every loss loss-making.
   */
  function lossMaking(judgement: { valueMinor: number | null; lossMaking?: boolean }): boolean {
    return judgement.valueMinor !== null && judgement.valueMinor < 0 && !(judgement.lossMaking === false && patched('review-immaterial-loss-break-even'));
  }

  const started: Awaited<ReturnType<typeof recordRunStarted>> | undefined = await recordRunStarted({ workflowId, playbook: ACCOUNT_REVIEW, customerId, campaignId: startingCampaign() });
  // A run started in the Temporal UI or CLI with a policy harsher on the customer than the deployment's (a shorter notice,
  // less time to answer: typed by hand) goes by the deployment's instead, before it proposes anything; its start's audit
  // entry says the given one was not taken, and why. Runs from before this marker followed the policy they were given.
  if (started?.policyInstead && patched('account-review-engine-start-policy-checked')) {
    policy = started.policyInstead as AccountReviewPolicy;
    state.policyVersion = policy.version;
    setCurrentDetails(`Started in the Temporal UI or CLI with a policy harsher than the deployment's: going by the deployment's (version ${policy.version}); see the audit log`);
  }
  enter('reviewing', 'Scoring the account');
  const first = await judged();
  state.profitabilityMinor = first.valueMinor;
  if (first.valueMinor === null) return finish('not-judged', `The account cannot be judged (${first.notJudged}): nothing proposed, nothing sent`);
  if (!lossMaking(first)) {
    return finish(
      'turned-around',
      first.valueMinor > 0 ? 'The account is profitable: nothing to change' : first.valueMinor === 0 ? 'The account breaks even: nothing to change' : 'The account breaks even, its loss too small to make it loss-making: nothing to change',
    );
  }

  /**
   * Why the review goes back to proposing: asked for an offboarding decision after it proposed nothing, an approval was
   * refused because, rescored now, a cheaper tier helps that it did not propose (the CRM moved the customer to a richer
   * tier since it began, say). The customer is offered it, with the usual guard and answer wait, before anyone weighs
   * letting them go (runs since `stale-approval-reproposes`; before, they stayed awaiting a decision on the stale finding).
   */
  let proposeAgain: string | null = null;
  /** The proposal was held back at a complaint before it went: this round proposes again (runs since `proposal-held-at-complaint-proposed-again`). */
  let heldAtComplaint = false;
  /**
   * Awaits the customer's answer for the policy's wait; true when the proposal turns out held back at a complaint before it
   * went (told by the complaint's follow-up, or found as the wait ends): no answer can come to it.
   */
  const answerOrHeldAtComplaint = async (): Promise<boolean> => {
    const until = Date.now() + policy.answerWaitMs;
    // (A word kept from before this proposal only makes the run look once: not held back, it waits on.)
    for (;;) {
      await condition(() => state.answer !== null || heldAtComplaintTold, Math.max(1, until - Date.now()));
      if (state.answer !== null) return false;
      const told = heldAtComplaintTold;
      heldAtComplaintTold = false;
      const heldBack = await proposalHeldBack({ workflowId });
      // (An answer is refused while it is held back; one taken meanwhile came first.)
      if (state.answer !== null) return false;
      if (heldBack === PROPOSAL_HELD_AT_COMPLAINT) return true;
      if (!told || Date.now() >= until) return false;
    }
  };
  for (;;) {
    if (heldAtComplaint) {
      approvalWaitOver = false;
      enter('proposing', "The proposal was held back at a complaint before it went: proposing again once nothing of the customer's is open");
      heldAtComplaint = false;
    } else if (proposeAgain) {
      // A new round (nothing was proposed, so nothing answered; no decision taken): its approval wait not yet over.
      approvalWaitOver = false;
      enter('proposing', `The review's finding no longer holds (${proposeAgain}): proposing again`);
      proposeAgain = null;
    } else enter('proposing', 'Looking for a cheaper service concept or a fitting offer');
    // First a cheaper service concept or a fitting offer, never a goodbye.
    let proposal = await proposeAccountChange({ workflowId, customerId });
    /** An offer is proposed in the customer's waking hours, so none waits through the night for a complaint to hold it back. */
    const afterQuietHours = async (proposed: Proposal): Promise<Proposal> => {
      while (proposed.kind === 'none' && proposed.notBefore) {
        const waitMs = Math.max(1, Date.parse(proposed.notBefore) - Date.now());
        enter('proposing', `The customer's quiet hours: proposing at ${proposed.notBefore}`, waitMs);
        await sleep(waitMs);
        state.deadline = null;
        proposed = await proposeAccountChange({ workflowId, customerId });
      }
      return proposed;
    };
    if (patched('proposal-after-quiet-hours')) {
      proposal = await afterQuietHours(proposal);
      // A proposal first, never a goodbye: while the contact guard holds the offer back for a time (a complaint or fix open,
      // the contact budget used up), the run proposes again until the hold passes, bounded; then it goes on without one,
      // as before (runs since the change; no command otherwise, so runs never held replay as they ran).
      if (proposal.kind === 'none' && proposalHoldPasses(proposal.guardHold) && patched('proposal-after-hold-passes')) {
        const { recheckMs, waitMs } = proposalHoldWait(policy);
        const waitUntil = Date.now() + waitMs;
        while (proposal.kind === 'none' && proposalHoldPasses(proposal.guardHold) && recheckMs > 0 && Date.now() + recheckMs <= waitUntil) {
          // Shown while it waits: whoever looks sees why nothing was proposed yet.
          state.proposal = proposal;
          enter('proposing', `The contact guard holds the proposal back for now (${proposal.guardHold}): proposing again then`, recheckMs);
          // A complaint closed meanwhile (withdrawn, resolved) with nothing left open: it looks at once (one told before this look only makes it look again).
          if (looksWhenComplaintClosed) await condition(() => complaintClosedTold, recheckMs);
          else await sleep(recheckMs);
          complaintClosedTold = false;
          state.deadline = null;
          // After a wait of up to proposalHoldWaitMs the account may no longer lose money, or no longer be judgeable: it is
          // judged again before anything is proposed, and ends as the first judgement would (runs since the change).
          if (patched('proposal-hold-rejudged')) {
            const now = await judged();
            state.profitabilityMinor = now.valueMinor;
            if (now.valueMinor === null) return finish('not-judged', `The account cannot be judged after the contact guard's hold (${now.notJudged}): nothing proposed, nothing sent`);
            if (!lossMaking(now)) {
              return finish('turned-around', now.valueMinor >= 0 ? "The account no longer loses money after the contact guard's hold: nothing proposed" : "The account's loss is too small to make it loss-making after the contact guard's hold: nothing proposed");
            }
          }
          proposal = await afterQuietHours(await proposeAccountChange({ workflowId, customerId }));
        }
      }
    }
    state.proposal = proposal;
    // Still held back for a complaint or fix case of the customer's when the hold's wait is over: no goodbye is weighed
    // while it is open (an approval would be refused), nor after it without a change proposed first. The review ends, kept;
    // a later one proposes once nothing is open (runs since the change; before, it asked a person without a proposal).
    if (proposal.kind === 'none' && proposal.guardHold === 'open-complaint' && patched('review-kept-while-issue-open')) {
      return finish('kept-issue-open', "A complaint or fix case of the customer's stayed open through the proposal's hold: nothing proposed, no offboarding weighed");
    }
    if (state.proposal.kind !== 'none') {
      enter('awaiting-answer', `Proposed: ${state.proposal.reason}`, policy.answerWaitMs);
      if (!reproposesHeldAtComplaint) await condition(() => state.answer !== null, policy.answerWaitMs);
      else if (await answerOrHeldAtComplaint()) {
        // It never reached the customer: proposed again (worked out anew) once nothing of theirs is open, with a new answer wait.
        state.answer = null;
        heldAtComplaint = true;
        continue;
      }
      if (state.answer === 'accepted') {
        enter('applying', 'The customer accepted the proposal');
        await applyAccountChange({ workflowId, customerId, proposal: state.proposal });
      } else if (state.answer === 'declined' && patched('declined-proposal-held-back')) {
        // A no taken while the proposal is still queued (the customer's quiet hours) holds it back: it is not to ask them to accept it
        // afterwards. Still at step awaiting-answer, so answerProposal answers once it is held back.
        await declineAccountChange({ workflowId });
      }
    }

    if (state.proposal.kind === 'none' && patched('nothing-proposed-talked-through')) {
      // Nothing proposed (no cheaper tier or offer helps, no consent, a hold that did not pass): the customer has heard nothing
      // yet, and an offboarding notice is not to be the first word. The team that owns customer relationships is asked to talk
      // the account through with them, and the review gives that the review period before it judges the account again (runs
      // before this change scored it again at once, under `nothing-proposed-reviewed-at-once`, and asked a person then).
      enter('awaiting-review', 'Nothing to propose: the relationship team talks the account through with the customer; scoring again then', policy.reviewAfterMs);
      await askToTalkItThrough({ workflowId, customerId, proposal: state.proposal, profitabilityMinor: state.profitabilityMinor, profitabilityBasis: state.profitabilityBasis ?? null, reviewAt: state.deadline! });
      await sleep(policy.reviewAfterMs);
    } else if (state.proposal.kind !== 'none' || !patched('nothing-proposed-reviewed-at-once')) {
      enter('awaiting-review', 'Giving the change time before scoring again', policy.reviewAfterMs);
      await sleep(policy.reviewAfterMs);
    }
    enter('reviewing', 'Scoring the account again');
    const again = await judged();
    state.profitabilityMinor = again.valueMinor;
    if (again.valueMinor === null) return finish('not-judged', `The account cannot be judged at the review (${again.notJudged}): no offboarding is asked for; a later review judges it again`);
    if (!lossMaking(again)) return finish('turned-around', again.valueMinor >= 0 ? 'Profitable again after the change' : 'Break-even after the change: a loss too small to make the account loss-making');

    // No offboarding decision is asked for while a complaint or fix case of the customer's is open: an approval would be
    // refused, and the only decision that could be taken (a rejection, or none) would end the review and start its cool-down
    // on a choice nobody could make. The run waits for it to close, looking again (rescored) every `openIssueRecheckMs` for up
    // to `openIssueWaitMs`; turned around meanwhile it ends so, still open then it ends kept-issue-open, no offboarding weighed
    // (runs since the change; before, they went on to await a decision).
    if (patched('approval-waits-for-open-issues')) {
      const { recheckMs, waitMs } = openIssueWait(policy);
      const waitUntil = Date.now() + waitMs;
      let due = await offboardingDue({ customerId });
      while (due.openIssues !== null && lossMaking(due) && recheckMs > 0 && Date.now() + recheckMs <= waitUntil) {
        enter('awaiting-review', `No offboarding is weighed while a complaint or fix is open (${due.openIssues}): looking again then`, recheckMs);
        await sleep(recheckMs);
        due = await offboardingDue({ customerId });
      }
      state.profitabilityMinor = due.valueMinor;
      state.profitabilityBasis = due.basis ?? null;
      if (due.valueMinor === null) return finish('not-judged', `The account cannot be judged at the review (${due.notJudged ?? 'no profitability score'}): no offboarding is asked for; a later review judges it again`);
      if (!lossMaking(due)) return finish('turned-around', due.valueMinor >= 0 ? 'Profitable again after the change' : 'Break-even after the change: a loss too small to make the account loss-making');
      if (due.openIssues !== null) return finish('kept-issue-open', `A complaint or fix case of the customer's stayed open through the wait before the offboarding decision (${due.openIssues}): no offboarding weighed`);
    }

    // Still loss-making: only a person may decide to part ways.
    enter('awaiting-approval', 'Still loss-making: waiting for a person to decide on offboarding', policy.approvalWaitMs);
    const approvalWaitUntil = Date.now() + policy.approvalWaitMs;
    await condition(() => state.decision !== null || rejudge, policy.approvalWaitMs);
    // An approval refused because the account no longer loses money (or cannot be judged): judged again, it ends as at the
    // review; still loss-making (the refusal was for a complaint, or the account lost money again), the wait goes on to its end.
    while (rejudge && state.decision === null) {
      rejudge = false;
      const now = await judged();
      if (state.decision === null) {
        state.profitabilityMinor = now.valueMinor;
        if (now.valueMinor === null || !lossMaking(now)) {
          // A decision still being checked meanwhile is refused: the run goes on without one.
          approvalWaitOver = true;
          if (now.valueMinor === null) return finish('not-judged', `The account cannot be judged while awaiting the offboarding decision (${now.notJudged}): no offboarding; a later review judges it again`);
          return finish('turned-around', 'The account no longer loses money, judged again when an offboarding approval was refused: nothing to decide');
        }
      }
      // Still loss-making, having proposed nothing: where a cheaper tier helps now that it did not propose, the review
      // proposes it instead of waiting for a decision on the finding that nothing could be proposed.
      if (state.decision === null && state.proposal.kind === 'none' && patched('stale-approval-reproposes')) {
        const stale = await proposalNoLongerHolds({ workflowId, customerId });
        if (stale && state.decision === null) {
          // A decision still being checked meanwhile is refused: this round's wait is over.
          approvalWaitOver = true;
          proposeAgain = stale;
          rejudgements++;
          break;
        }
      }
      rejudgements++;
      const leftMs = approvalWaitUntil - Date.now();
      if (state.decision === null && leftMs > 0) await condition(() => state.decision !== null || rejudge, leftMs);
    }
    if (proposeAgain) continue;
    break;
  }
  approvalWaitOver = true;
  if (!state.decision) return finish('kept-no-decision', 'No decision within the time: the account stays');
  if (!state.decision.approve) return finish('kept-by-decision', `Kept by ${state.decision.decidedBy}`);

  enter('offboarding', `Offboarding approved by ${state.decision.decidedBy}: notice given`, policy.noticeMs);
  const start = await startOffboarding({ workflowId, customerId, decision: state.decision, noticeEndsAt: state.deadline! });
  // A run reset to before its notice after its end withdrew the offboarding gives no second notice and offboards nobody: a new review decides anew.
  if (start === 'withdrawn' && patched('offboarding-not-begun-again')) return finish('kept-offboarding-withdrawn', 'The offboarding was withdrawn before: the account stays');
  // A run reset after its end withdrew the offboarding (terminated or cancelled during the notice) to its last workflow task
  // takes up from here, its notice begun in the run before: it ends at once, instead of showing the customer under notice
  // (step offboarding, notice given, a deadline) for a whole notice period while they are active. The look is made once the
  // decision's handler has answered too (its audit may come after this step), so that it is in the run's last task before the
  // notice's wait, which such a reset runs again; a local activity, so it is made again then. Runs before this marker waited
  // out the notice first.
  if (start === 'notice-given' && patched('withdrawn-offboarding-ends-reset-run')) {
    await condition(allHandlersFinished);
    if (await offboardingWithdrawn({ workflowId, customerId })) return finish('kept-offboarding-withdrawn', 'The offboarding was withdrawn when the run ended during the notice: the account stays');
  }
  // The customer may leave before the notice's end (they asked to be erased, or to leave at once): a person ends the notice
  // early, and the run carries the offboarding out then (runs since the change; older ones sleep through the notice).
  inNotice = patched('offboarding-notice-ended-early');
  await noticeWait(policy.noticeMs);
  // Nobody is offboarded whom the notice did not reach: the notice runs from when it went out (runs since the check).
  let offboardingBegun = true;
  if (!state.noticeEnded && patched('offboarding-only-after-notice-sent')) {
    const notice = await noticeGone();
    // (Withdrawn meanwhile, or never begun: completeOffboarding finds it so and offboards nobody.)
    offboardingBegun = notice.undelivered !== 'not-written' && notice.undelivered !== 'withdrawn';
    // Ended early, the customer asked to go: whether the notice reached them does not keep them.
    if (!state.noticeEnded && notice.sentAt === null && offboardingBegun) {
      inNotice = false;
      await keepAfterUndeliveredNotice({ workflowId, customerId, undelivered: notice.undelivered ?? 'not-sent' });
      return finish('kept-notice-undelivered', `The notice never reached the customer (${notice.undelivered ?? 'not sent'}): not offboarded, the offboarding withdrawn, the team told`);
    }
    const endsAt = notice.sentAt === null ? Date.now() : Date.parse(notice.sentAt) + policy.noticeMs;
    if (!state.noticeEnded && endsAt > Date.now()) {
      enter('offboarding', `The notice went out at ${notice.sentAt}: the notice runs from then`, endsAt - Date.now());
      await noticeWait(endsAt - Date.now());
    }
  }
  // Offboarded only if still due: the account still loses money, and no complaint or fix of the customer's is open (runs
  // since the check); not looked at when the notice was ended early: the customer asked to go.
  if (!state.noticeEnded && offboardingBegun && patched('offboarding-rechecked-at-notice-end')) {
    const kept = await noLongerDue();
    // Taken up now, with no wait before it: a request to end the notice is refused from here. (Ended early while the run
    // looked, it finds the offboarding due: the customer asked to go.)
    inNotice = false;
    if (kept) {
      await keepAtNoticeEnd({ workflowId, customerId, kept });
      if (kept.why === 'turned-around') return finish('kept-turned-around', `The account no longer loses money at the end of the notice: not offboarded, the offboarding withdrawn, the customer told`);
      if (kept.why === 'issue-open') return finish('kept-issue-open', `A complaint or fix is still open at the end of the notice (${kept.openIssues}): not offboarded, the offboarding withdrawn, the customer and the team told`);
      return finish('not-judged', `The account cannot be judged at the end of the notice (${kept.notJudged}): not offboarded, the offboarding withdrawn, the customer and the team told`);
    }
  }
  inNotice = false;
  const ended = state.noticeEnded;
  const decidedBy = state.decision.decidedBy;
  carryingOut = true;
  let completion: Awaited<ReturnType<typeof completeOffboarding>>;
  try {
    completion = await completeOffboarding({ workflowId, customerId, decision: state.decision, ...(ended ? { noticeEnded: ended } : {}) });
  } finally {
    // Not carried out (cancelled while it ran, or it failed): a handler waiting on it answers as the run ends.
    carryingOut = false;
  }
  // A run reset after its end withdrew the offboarding (terminated during the notice) keeps the customer: nobody is offboarded without notice.
  if (completion === 'withdrawn' && patched('offboarding-kept-when-withdrawn')) return finish('kept-offboarding-withdrawn', 'The offboarding was withdrawn during the notice: the account stays');
  const details = ended
    ? `Offboarded before the notice's end, as ${ended.endedBy} ended it early (the customer leaves now), with final invoice and data export (approved by ${decidedBy})`
    : `Offboarded with notice, final invoice and data export (approved by ${decidedBy})`;
  if (completion === 'offboarded' && patched('offboarding-carried-out-ignores-cancel')) {
    // Carried out: the contract has ended. A cancel from here on (or one that came while it was carried out) does not stop
    // the run recording its end: it completes offboarded, as without the cancel, and the cancel is audited as not taken.
    carryingOut = true;
    const run = CancellationScope.current();
    return CancellationScope.nonCancellable(async () => {
      const outcome = await finish('offboarded', details);
      if (run.consideredCancelled) {
        cancelNotTaken(CANCEL_AFTER_OFFBOARDING);
        await auditSteering(auditSteeringFromOutside);
      }
      return outcome;
    });
  }
  return finish('offboarded', details);
}
