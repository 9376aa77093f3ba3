import { days } from '../policies/duration.js';

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
  /** After the proposal, wait this long before scoring the account again. */
  reviewAfterMs: number;
  /** How long a person has to decide on offboarding before the account is simply kept. */
  approvalWaitMs: number;
  /** Notice between the offboarding letter and the end of service. */
  noticeMs: number;
}

export const accountReviewPolicy: AccountReviewPolicy = {
  version: 1,
  answerWaitMs: days(21),
  reviewAfterMs: days(90),
  approvalWaitMs: days(30),
  noticeMs: days(60),
};

/** What is put to the customer: a cheaper service tier, or an offer that fits. */
export type Proposal = { kind: 'tier-change'; tier: string; reason: string } | { kind: 'offer'; offerCode: string; reason: string } | { kind: 'none'; reason: string };

export type AccountReviewStep =
  | 'starting'
  | 'proposing'
  | 'awaiting-answer'
  | 'applying'
  | 'awaiting-review'
  | 'reviewing'
  | 'awaiting-approval'
  | 'offboarding'
  | 'done';
export type AccountReviewOutcome = 'turned-around' | 'kept-by-decision' | 'kept-no-decision' | 'offboarded';

export interface OffboardingDecision {
  approve: boolean;
  /** Who decided (the caller's ID), recorded with the decision. */
  decidedBy: string;
  reason: string;
}

export interface AccountReviewState {
  customerId: string;
  step: AccountReviewStep;
  proposal: Proposal | null;
  answer: 'accepted' | 'declined' | null;
  profitabilityMinor: number | null;
  decision: OffboardingDecision | null;
  outcome: AccountReviewOutcome | null;
  policyVersion: number;
  deadline: string | null;
}

/** The first review of a customer; a later one (after the cooldown) is an occurrence of it, `<base>/2`, ... (occurrence.ts). */
export function accountReviewWorkflowId(customerId: string): string {
  return `${ACCOUNT_REVIEW}/${customerId}`;
}

/** Why the customer's answer to the proposal is refused before it reaches the run (validator of the update): none is awaited. */
export function answerProblem(state: AccountReviewState): string | null {
  if (state.step !== 'awaiting-answer' || state.answer !== null) return `the review is at step "${state.step}", not awaiting an answer to a proposal`;
  return null;
}

/** Why an offboarding decision is refused before it reaches the run (validator of the update). */
export function decisionProblem(state: AccountReviewState, decision: OffboardingDecision): string | null {
  if (state.step !== 'awaiting-approval') return `the review is at step "${state.step}", not awaiting an offboarding decision`;
  if (!decision.decidedBy.trim()) return 'the decision needs the person who made it';
  if (!decision.reason.trim()) return 'the decision needs a reason';
  return null;
}
