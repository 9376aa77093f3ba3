import type { Orm } from '../db/orm.js';
import type { OffboardingCompletion, OffboardingDecision, Proposal } from '../domain/playbooks/account-review.js';
import { defaultScoringPolicy } from '../domain/scoring/scoring-policy.js';
import { AuditService } from '../services/audit/audit.service.js';
import { OutboxService } from '../services/outbox/outbox.service.js';
import { AccountReviewService } from '../services/playbooks/account-review.service.js';
import { withdrawOffboardingOnCancel } from '../services/playbooks/offboarding-withdrawal.js';
import { ScoringRunService } from '../services/scores/scoring-run.service.js';

/** The account-review playbook's side effects; thin calls into the service. */
export function createAccountReviewActivities(orm: Orm) {
  const reviews = () => {
    const em = orm.em.fork();
    return new AccountReviewService(em, new ScoringRunService(em, defaultScoringPolicy), new OutboxService(), new AuditService());
  };
  return {
    reviewProfitability(customerId: string): Promise<{ valueMinor: number; suggestedTier: string | null }> {
      return reviews().profitability(customerId);
    },
    proposeAccountChange(input: { workflowId: string; customerId: string }): Promise<Proposal> {
      return reviews().propose(input);
    },
    applyAccountChange(input: { workflowId: string; customerId: string; proposal: Proposal }): Promise<void> {
      return reviews().apply(input);
    },
    startOffboarding(input: { workflowId: string; customerId: string; decision: OffboardingDecision; noticeEndsAt: string }): Promise<void> {
      return reviews().startOffboarding(input);
    },
    completeOffboarding(input: { workflowId: string; customerId: string; decision: OffboardingDecision }): Promise<OffboardingCompletion> {
      return reviews().completeOffboarding(input);
    },
    /** The review was cancelled: an offboarding it started (notice given) is withdrawn, the customer active again. */
    withdrawOffboarding(input: { workflowId: string; customerId: string }): Promise<boolean> {
      return withdrawOffboardingOnCancel(orm.em.fork(), new AuditService(), input);
    },
  };
}

export type AccountReviewActivities = ReturnType<typeof createAccountReviewActivities>;
