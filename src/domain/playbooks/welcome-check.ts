import { days } from '../policies/duration.js';
import type { PlaybookStateSummary } from './run-state.js';
import { runId } from './run-id.js';
import { RunStatus } from './run-status.js';

/**
 * Welcome check: a new customer is welcomed, and the company waits for them to
 * confirm that onboarding went well. Silence within the window is not ignored:
 * a person follows up before the customer quietly drifts away.
 */
export const WELCOME_CHECK = 'welcome-check';

export interface WelcomeCheckPolicy {
  /** Bump when a change must not affect runs already under way. */
  version: number;
  /** How long to wait for the customer's confirmation before a person follows up. */
  waitForConfirmationMs: number;
  /** Who is welcomed: customers who joined at most this many days ago (a welcome is for newcomers). */
  newCustomerDays: number;
}

export const welcomeCheckPolicy: WelcomeCheckPolicy = {
  version: 1,
  waitForConfirmationMs: days(14),
  newCustomerDays: 90,
};

export const WELCOME_CHECK_STEPS = ['starting', 'awaiting-confirmation', 'recording-outcome', 'done'] as const;
export type WelcomeCheckStep = (typeof WELCOME_CHECK_STEPS)[number];
/**
 * `not-new`: no confirmation came, and by the end of the wait the customer is no newcomer (`welcomeCheckProblem`: an
 * orders import moved the day they joined back to their first order, years ago): no welcome follow-up call is asked for.
 */
export type WelcomeCheckOutcome = 'confirmed' | 'follow-up-needed' | 'not-new';
export const NOT_NEW = 'not-new' satisfies WelcomeCheckOutcome;

/** What the follow-up step did: asked a person to call (`follow-up-needed`), or not, as the customer is no newcomer (`not-new`, and why). */
export type WelcomeFollowUp = { outcome: 'follow-up-needed' } | { outcome: typeof NOT_NEW; why: string };

export interface WelcomeCheckState extends PlaybookStateSummary {
  customerId: string;
  step: WelcomeCheckStep;
  confirmed: boolean;
  outcome: WelcomeCheckOutcome | null;
  policyVersion: number;
  /** When the wait for confirmation ends (ISO time), once it has started. */
  deadline: string | null;
  /** Outcome `not-new`: why no follow-up call was asked for (the customer is no newcomer by then); absent in older runs. */
  notNew?: string | null;
}

/** The customer's welcome check; a next one (after one that never welcomed them, `welcomeNotSpent`) is `<this>/<n>`. */
export function welcomeCheckWorkflowId(customerId: string): string {
  return runId(WELCOME_CHECK, customerId);
}

/** The step whose message is the welcome (its outbox key `<workflow id>/welcome`). */
export const WELCOME_STEP = 'welcome';

/**
 * Whether a start by hand starts the customer's next welcome check (`welcome-check/<customer>/<n>`) after their last:
 * that run ended without completing (cancelled, or terminated, failed or timed out in the engine) and its welcome never
 * went nor may still go (`welcomeMayReach` false: not written yet, or held back as the run stopped). A run that completed
 * (confirmed, or a person asked to call) was the customer's welcome check; a campaign joins the last run as it is.
 */
export function welcomeNotSpent(run: { status: RunStatus }, welcomeMayReach: boolean): boolean {
  return run.status !== RunStatus.Running && run.status !== RunStatus.Completed && !welcomeMayReach;
}

export function welcomeCheckOutcome(confirmed: boolean): WelcomeCheckOutcome {
  return confirmed ? 'confirmed' : 'follow-up-needed';
}

/** Why a confirmation is refused before it reaches the run (validator of the update): it has one, or its wait is over. */
export function confirmationProblem(state: WelcomeCheckState): string | null {
  if (state.confirmed) return 'the customer has already confirmed';
  if (state.step === 'recording-outcome' || state.step === 'done') return 'its wait for a confirmation is over: a person follows up';
  return null;
}

/** Why a confirmation sent as a signal (by hand, in the Temporal UI) comes too late to count: the wait is over (the update's validator refuses it so). */
export function signalTooLate(state: WelcomeCheckState): string | null {
  return state.step === 'starting' || state.step === 'awaiting-confirmation' ? null : `its wait for a confirmation is over (step ${state.step}): a person follows up`;
}
