import type { KeptAtNoticeEnd, NoticeEnd, NoticeEnded, OffboardingCompletion, OffboardingDue, OffboardingDecision, OffboardingNoticeDelivery, OffboardingStart, Proposal } from '../domain/playbooks/account-review.js';
import type { WorkerServices } from '../services/index.js';

/** The account-review playbook's side effects; thin calls into the service. */
export function createAccountReviewActivities(services: () => WorkerServices) {
  const reviews = () => services().accountReviewSteps;
  return {
    /**
     * The account's profitability as the review judges it; `valueMinor` null: not judged, `notJudged` saying why (runs before
     * that change recorded a number); `basis`: how, when not on the plain window (a tier the customer accepted in a review);
     * `lossMaking`: the account's band is `loss-making` (a loss too small to be material is not; absent in runs before that change).
     */
    reviewProfitability(customerId: string): Promise<{ valueMinor: number | null; suggestedTier: string | null; notJudged?: string; basis?: string; lossMaking?: boolean }> {
      return reviews().profitability(customerId);
    },
    proposeAccountChange(input: { workflowId: string; customerId: string }): Promise<Proposal> {
      return reviews().propose(input);
    },
    /** Nothing could be proposed: the relationship team is given a task to talk the account through with the customer before the review judges it again. */
    askToTalkItThrough(input: { workflowId: string; customerId: string; proposal: Proposal; profitabilityMinor: number | null; profitabilityBasis?: string | null; reviewAt: string }): Promise<void> {
      return reviews().askToTalkItThrough(input);
    },
    applyAccountChange(input: { workflowId: string; customerId: string; proposal: Proposal }): Promise<void> {
      return reviews().apply(input);
    },
    /** The customer declined the proposal: one still queued (their quiet hours) is held back. */
    declineAccountChange(input: { workflowId: string }): Promise<void> {
      return reviews().decline(input);
    },
    /** Why the proposal never reached the customer (held back at delivery), so no answer to it is taken; null when it did or may. */
    proposalHeldBack(input: { workflowId: string }): Promise<string | null> {
      return services().runs.proposalNeverReached(input.workflowId);
    },
    /** Why a decision's reasonEntry is refused: it names no audit entry of this run's decision (made up in the Temporal UI); null when it does, or there is none. */
    reasonEntryProblem(input: { workflowId: string; decision: OffboardingDecision }): Promise<string | null> {
      return reviews().reasonEntryProblem(input);
    },
    /**
     * Why an approval is not to be taken now, naming the reason (a complaint or fix case open: `complaint-open`, `fix-open`;
     * the account rescored now `not-loss-making` or `not-judged`; with the run's `workflowId`, a change to propose that the
     * review did not propose, `tier-changed` or `proposal-possible`); null when it may be. The API's own check, the same rule.
     */
    approvalProblem(input: { customerId: string; workflowId?: string }): Promise<string | null> {
      return reviews().approvalProblem(input);
    },
    /**
     * Why the review's proposal no longer holds (AccountReviewJudgement.staleProposal: rescored now, a cheaper tier helps
     * that it did not propose, after a tier change by the CRM or not); null when it does. Asked by a run that proposed
     * nothing when an approval was refused, to propose first.
     */
    proposalNoLongerHolds(input: { workflowId: string; customerId: string }): Promise<string | null> {
      return reviews().proposalNoLongerHolds(input);
    },
    startOffboarding(input: { workflowId: string; customerId: string; decision: OffboardingDecision; noticeEndsAt: string }): Promise<OffboardingStart> {
      return reviews().startOffboarding(input);
    },
    /** The end of the notice, or its early end (`noticeEnded`: who ended it; the customer leaves now). */
    completeOffboarding(input: { workflowId: string; customerId: string; decision: OffboardingDecision; noticeEnded?: NoticeEnded }): Promise<OffboardingCompletion> {
      return reviews().completeOffboarding(input);
    },
    /** Whether this run's offboarding was withdrawn (its end withdrew it, before a reset made it run again). */
    offboardingWithdrawn(input: { workflowId: string; customerId: string }): Promise<boolean> {
      return reviews().offboardingWithdrawn(input);
    },
    /** At the end of the notice: whether the notice went out (when), or why it will not by itself. */
    offboardingNoticeDelivery(input: { workflowId: string }): Promise<OffboardingNoticeDelivery> {
      return services().offboardingNotice.delivery(input);
    },
    /** The notice never reached the customer: the offboarding is withdrawn and the team given a task; nobody is offboarded without notice. */
    keepAfterUndeliveredNotice(input: { workflowId: string; customerId: string; undelivered: string }): Promise<void> {
      return services().offboardingNotice.keep(input);
    },
    /** Why a request to end the notice early is refused for its reasonEntry: it names no audit entry of this run's request by its endedBy; null when it may. */
    noticeEndEntryProblem(input: { workflowId: string; end: NoticeEnd }): Promise<string | null> {
      return services().offboardingNotice.noticeEndEntryProblem(input);
    },
    /** Before the offboarding decision is asked for, and at the end of the notice: the account judged now (rescored), and the customer's complaints and fix cases open now. */
    offboardingDue(input: { customerId: string }): Promise<OffboardingDue> {
      return services().offboardingNotice.due(input);
    },
    /** The offboarding is no longer due at the end of the notice: withdrawn, the customer told; the team given a task unless the account turned around. */
    keepAtNoticeEnd(input: { workflowId: string; customerId: string; kept: KeptAtNoticeEnd }): Promise<void> {
      return services().offboardingNotice.keepAtNoticeEnd(input);
    },
    /** The review was cancelled: an offboarding it started (notice given) is withdrawn, the customer active again. */
    withdrawOffboarding(input: { workflowId: string; customerId: string }): Promise<boolean> {
      return reviews().withdrawOffboarding(input);
    },
  };
}

export type AccountReviewActivities = ReturnType<typeof createAccountReviewActivities>;
