import type { Orm } from '../db/orm.js';
import type { LoyaltyBand } from '../domain/guards/fairness.js';
import { defaultScoringPolicy } from '../domain/scoring/scoring-policy.js';
import { OutboxService } from '../services/outbox/outbox.service.js';
import { FixIssueService } from '../services/playbooks/fix-issue.service.js';
import { ScoringRunService } from '../services/scores/scoring-run.service.js';

/** The fix-issue playbook's side effects; thin calls into the service. */
export function createFixIssueActivities(orm: Orm) {
  const cases = () => {
    const em = orm.em.fork();
    return new FixIssueService(em, new ScoringRunService(em, defaultScoringPolicy), new OutboxService());
  };
  return {
    loadLoyaltyBand(customerId: string): Promise<LoyaltyBand> {
      return cases().loyaltyBand(customerId);
    },
    openFixCase(input: { workflowId: string; customerId: string; topic: string; owner: string }): Promise<void> {
      return cases().openCase(input);
    },
    escalateFixCase(input: { workflowId: string; customerId: string; topic: string; escalations: number; owner: string }): Promise<void> {
      return cases().escalate(input);
    },
    resolveFixCase(workflowId: string): Promise<void> {
      return cases().resolveCase(workflowId);
    },
    cancelFixCase(workflowId: string): Promise<void> {
      return cases().cancelCase(workflowId);
    },
    reopenFixCase(input: { workflowId: string; customerId: string; topic: string; recurrences: number; escalations: number; owner: string }): Promise<void> {
      return cases().reopenCase(input);
    },
    checkBackOnFix(input: { workflowId: string; customerId: string; topic: string; gesture: boolean }): Promise<void> {
      return cases().checkBack(input);
    },
  };
}

export type FixIssueActivities = ReturnType<typeof createFixIssueActivities>;
