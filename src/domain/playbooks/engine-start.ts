import { ACCOUNT_REVIEW, accountReviewPolicyProblems, type AccountReviewPolicy } from './account-review.js';
import { FAIR_REMINDER, fairReminderPolicyProblems, type FairReminderPolicy } from './fair-reminder.js';

/**
 * A run started from outside the platform (an operator's `temporal workflow start`, or Start in the Temporal UI) carries
 * the policy typed with it, not the deployment's. What the platform makes of it: whether it differs from the deployment's
 * policy for that playbook at all (audited either way), and what makes it harsher on the customer than the deployment's
 * (`problems`; for the fair reminder, whose waits and fees fall on the payer, and the account review, whose waits stand
 * between a customer and their offboarding): a run whose policy has problems does not take it, it goes by the
 * deployment's instead (`refused`). Other playbooks' policies are audited, not judged.
 */
export interface EngineStartPolicyCheck {
  differsFromDeployment: boolean;
  problems: string[];
}

export function engineStartPolicyCheck(playbook: string, given: unknown, deployment: unknown): EngineStartPolicyCheck {
  const differsFromDeployment = canonicalJson(given) !== canonicalJson(deployment);
  const problems = !differsFromDeployment
    ? []
    : playbook === FAIR_REMINDER
      ? fairReminderPolicyProblems(given, deployment as FairReminderPolicy)
      : playbook === ACCOUNT_REVIEW
        ? accountReviewPolicyProblems(given, deployment as AccountReviewPolicy)
        : [];
  return { differsFromDeployment, problems };
}

/** JSON with every object's keys sorted: two policies typed with their fields in another order are the same policy. */
export function canonicalJson(value: unknown): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sorted) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])])) : v;
  return JSON.stringify(sorted(value)) ?? 'undefined';
}
