import type { LoyaltyBand } from '../domain/guards/fairness.js';
import type { FixCaseTerms } from '../domain/playbooks/fix-issue.js';
import type { WorkerServices } from '../services/index.js';

/** The fix-issue playbook's side effects; thin calls into the service. */
export function createFixIssueActivities(services: () => WorkerServices) {
  const cases = () => services().fixIssueSteps;
  return {
    loadLoyaltyBand(customerId: string): Promise<LoyaltyBand> {
      return cases().loyaltyBand(customerId);
    },
    openFixCase(input: { workflowId: string; customerId: string; topic: string; owner: string; team?: string; escalations?: number; terms?: FixCaseTerms }): Promise<void> {
      return cases().openCase(input);
    },
    escalateFixCase(input: { workflowId: string; customerId: string; topic: string; escalations: number; owner: string; terms?: FixCaseTerms }): Promise<void> {
      return cases().escalate(input);
    },
    /** Answers the complaints about the topic the fix resolved (none on a retry). */
    resolveFixCase(workflowId: string): Promise<{ closedComplaints: string[] }> {
      return cases().resolveCase(workflowId);
    },
    cancelFixCase(workflowId: string): Promise<void> {
      return cases().cancelCase(workflowId);
    },
    complainedSinceFixed(workflowId: string): Promise<boolean> {
      return cases().complainedSinceFixed(workflowId);
    },
    reopenFixCase(input: { workflowId: string; customerId: string; topic: string; recurrences: number; escalations: number; owner: string; terms?: FixCaseTerms }): Promise<void> {
      return cases().reopenCase(input);
    },
    /**
     * `round`: which check-back of the run this is, from the second (after a fix that did not hold at the first); absent for the first.
     * `goodwillMinor`: the gesture's amount by the run's policy. Answers whether the gesture went with it (not to a customer who has left or is leaving).
     */
    checkBackOnFix(input: { workflowId: string; customerId: string; topic: string; gesture: boolean; round?: number; goodwillMinor?: number; loyaltyBand?: string; confirmed?: boolean }): Promise<{ gesture: boolean }> {
      return cases().checkBack(input);
    },
  };
}

export type FixIssueActivities = ReturnType<typeof createFixIssueActivities>;
