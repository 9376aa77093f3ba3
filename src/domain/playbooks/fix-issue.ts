import { days } from '../policies/duration.js';
import type { LoyaltyBand } from '../guards/fairness.js';
import type { PlaybookStateSummary } from './run-state.js';
import { runId } from './run-id.js';
import { RunStatus } from './run-status.js';

/**
 * Fix persistent issues before the customer churns: the same complaint for the third time
 * is a fault in the service, not a difficult customer. A fix case gets an owner, the
 * customer hears at once that it is being worked on, every missed deadline escalates one
 * level up, and after the fix someone checks back. A loyal customer gets a gesture. If the
 * issue comes back before the check-back, the fix did not hold: the case opens again, one
 * level up; once the run has finished, the next complaint about it starts a new run.
 */
export const FIX_ISSUE = 'fix-issue';

export interface FixIssuePolicy {
  version: number;
  /** Who owns a fix case first, per complaint topic (default: `defaultOwner`), and who it escalates to, level by level. */
  owners: Record<string, string>;
  defaultOwner: string;
  escalationChain: string[];
  /** Time to fix before each escalation. */
  fixDeadlineMs: number;
  /** After the fix, wait this long, then ask the customer whether it holds (a complaint about it meanwhile reopens the case). */
  checkBackAfterMs: number;
  /** Bands that get a gesture for the trouble. */
  gestureBands: LoyaltyBand[];
  /**
   * The gesture: the customer's next order is on us up to this amount, in the deployment's currency (minor units). The
   * customer is told the amount, and billing gets the task to honour it.
   */
  gestureGoodwillMinor: number;
}

export const fixIssuePolicy: FixIssuePolicy = {
  // 2: the gesture names its goodwill amount (gestureGoodwillMinor), and billing is told to honour it.
  version: 2,
  owners: { 'delivery-delay': 'logistics', 'billing-error': 'billing', 'product-defect': 'quality', 'app-login': 'it-support' },
  defaultOwner: 'customer-care',
  escalationChain: ['team-lead', 'head-of-service', 'management'],
  fixDeadlineMs: days(5),
  checkBackAfterMs: days(14),
  gestureBands: ['loyal'],
  gestureGoodwillMinor: 2_500,
};

export const FIX_ISSUE_STEPS = ['starting', 'opening-case', 'awaiting-fix', 'escalating', 'awaiting-check-back', 'reopening', 'checking-back', 'done'] as const;
export type FixIssueStep = (typeof FIX_ISSUE_STEPS)[number];
/** Whether a run at `step` waits for its fix (or opens its case, or escalates it): its case is open then. */
export function awaitsFix(step: FixIssueStep): boolean {
  return step === 'starting' || step === 'opening-case' || step === 'awaiting-fix' || step === 'escalating';
}

export type FixIssueOutcome = 'fixed' | 'fixed-with-gesture';

export interface FixIssueState extends PlaybookStateSummary {
  customerId: string;
  topic: string;
  step: FixIssueStep;
  owner: string | null;
  escalations: number;
  /** Times the issue came back after a fix, before the check-back (each reopened the case one level up). */
  recurrences: number;
  resolved: boolean;
  outcome: FixIssueOutcome | null;
  policyVersion: number;
  deadline: string | null;
}

/** The first run for a customer and topic (later ones, when the issue comes back after it finished, are occurrences of it); a second trigger while one runs joins it. */
export function fixIssueWorkflowId(customerId: string, topic: string): string {
  return runId(FIX_ISSUE, customerId, topic);
}

/**
 * Whether a start by hand starts the topic's next fix (`fix-issue/<customer>/<topic>/<n>`) after the topic's last run
 * with no complaint since it: that run ended without completing (cancelled, or terminated, failed or timed out in the
 * engine) and its case was never closed as fixed, or was opened again after the fix (`fixed` false). The customer's issue
 * was left where it was, unfixed: a person may put it back into the fix (still only while the topic is persistent). A run
 * that ended after its fix (cancelled while it waited for its check-back) did fix it; the next complaint starts the next.
 * The trigger sweep and a campaign leave such a topic as it is until the customer complains again: an operator's cancel
 * is not undone overnight.
 */
export function fixNotSpent(run: { status: RunStatus }, fixed: boolean): boolean {
  return run.status !== RunStatus.Running && run.status !== RunStatus.Completed && !fixed;
}

/**
 * Where a topic's next run starts its case (its escalations; the owner is `ownerAfter` them), after its last run's case
 * (`last`: the escalations it ended with, and whether its fix was done: closed as fixed, and not opened again since).
 * A fix that was done and did not hold (the issue came back after the check-back, or after a run cancelled while it
 * waited for it) moves the case one level up from where it ended, as a recurrence within a run does; a run stopped
 * before its fix (cancelled, terminated) is taken up at the level it was stopped at. Never past the top of the chain:
 * the count starts there at most (the chain's length), whatever deadlines the last run missed. The first run starts at 0.
 */
export function nextRunEscalations(policy: FixIssuePolicy, last: { escalations: number; fixed: boolean } | null): number {
  if (!last) return 0;
  return Math.min(last.escalations + (last.fixed ? 1 : 0), policy.escalationChain.length);
}

/** The topics the policy gives a team of their own, A to Z: what a complaint form offers first (another topic goes to `defaultOwner`). */
export function knownTopics(policy: FixIssuePolicy): { topic: string; owner: string }[] {
  return Object.entries(policy.owners)
    .map(([topic, owner]) => ({ topic, owner }))
    .sort((a, b) => (a.topic < b.topic ? -1 : 1));
}

/** Everyone a fix case can be with under the policy: the topics' teams, the default one and the escalation chain. */
export function caseOwners(policy: FixIssuePolicy): string[] {
  return [...new Set([...Object.values(policy.owners), policy.defaultOwner, ...policy.escalationChain])].sort();
}

export function firstOwner(policy: FixIssuePolicy, topic: string): string {
  return policy.owners[topic] ?? policy.defaultOwner;
}

/** Who owns the case after `escalations` missed deadlines or fixes that did not hold (the top of the chain keeps it). */
export function ownerAfter(policy: FixIssuePolicy, topic: string, escalations: number): string {
  if (escalations === 0) return firstOwner(policy, topic);
  return policy.escalationChain[Math.min(escalations, policy.escalationChain.length) - 1] ?? firstOwner(policy, topic);
}

/**
 * What an owner's task promises at `escalations` levels up: how long they have before the case escalates, and to whom.
 * By the run's own policy (the one it waits by), not whichever the worker has now: a policy changed while a case is open
 * must not tell its owner a deadline the run does not keep.
 */
export interface FixCaseTerms {
  fixDeadlineMs: number;
  escalatesTo: string;
}

export function fixCaseTerms(policy: FixIssuePolicy, topic: string, escalations: number): FixCaseTerms {
  return { fixDeadlineMs: policy.fixDeadlineMs, escalatesTo: ownerAfter(policy, topic, escalations + 1) };
}

/** Why a reported fix is refused before it reaches the run (validator of the update): it has one, or it has ended. */
export function resolutionProblem(state: FixIssueState): string | null {
  if (state.step === 'done') return `the run has ended (${state.outcome})`;
  if (state.resolved) return `the fix is already reported; the run checks back with the customer (step ${state.step})`;
  return null;
}

/**
 * Why an `issueRecurred` signal changed nothing, as its audit entry says (`ignored`): only a fix reported (waiting for its
 * check-back, or checked back on) can turn out not to hold; before one, the open case already works on the issue.
 */
/**
 * Why the run ignores the customer's word that the fix holds (`fixConfirmed`): only a fix waiting for its check-back
 * takes it (the API refuses a confirmation before the fix with PLAYBOOK_FIX_NOT_DONE; a check-back under way or done
 * has read the case already).
 */
export function confirmationIgnored(state: FixIssueState): string {
  if (state.step === 'done') return `the run has ended (${state.outcome})`;
  if (!state.resolved) return `no fix is reported yet (step ${state.step}): nothing to confirm; the case is still open`;
  if (state.step === 'checking-back') return 'the check-back is going out already: a confirmation recorded with confirmFixHolds is read by it';
  return `the run takes no confirmation at step ${state.step}: only a fix waiting for its check-back does`;
}

export function recurrenceIgnored(state: FixIssueState): string {
  if (state.step === 'done') return `the run has ended (${state.outcome})`;
  if (!state.resolved) return `no fix is reported yet (step ${state.step}): the open case already works on the issue`;
  return `the run takes no recurrence at step ${state.step}`;
}
