import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../../domain/ids.js';
import type { OffboardingDecision } from '../../domain/playbooks/account-review.js';

/**
 * Why a person decided on an offboarding: the reason the audit entry of their decision through
 * the API holds (the run's history names only the entry), or as they sent it by hand in the
 * Temporal UI. Null when the entry is not (yet) there: the API records it as the run takes the decision.
 */
export async function decisionReason(em: EntityManager, workflowId: string, decision: OffboardingDecision): Promise<string | null> {
  if (decision.reasonEntry === undefined || !isUuid(decision.reasonEntry)) return decision.reason ?? null;
  // Only this run's decision entry: an ID typed by hand in the Temporal UI names no other's reason.
  const [entry] = await em.execute<{ reason: string | null }[]>(
    `select after ->> 'reason' as reason from audit_entry where id = ? and entity_type = 'playbook_run' and entity_id = ? and action = 'playbook.decide-offboarding'`,
    [decision.reasonEntry, workflowId],
  );
  return entry?.reason ?? null;
}
