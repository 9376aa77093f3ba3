import type { EntityManager } from '@mikro-orm/postgresql';
import type { OffboardingDecision } from '../../domain/playbooks/account-review.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Why a person decided on an offboarding: the reason the audit entry of their decision through
 * the API holds (the run's history names only the entry), or as they sent it by hand in the
 * Temporal UI. Null once the entry is gone.
 */
export async function decisionReason(em: EntityManager, decision: OffboardingDecision): Promise<string | null> {
  if (decision.reason !== undefined || !decision.reasonEntry) return decision.reason ?? null;
  if (!UUID.test(decision.reasonEntry)) return null; // typed by hand in the Temporal UI: names no entry
  const [entry] = await em.execute<{ reason: string | null }[]>(`select after ->> 'reason' as reason from audit_entry where id = ?`, [decision.reasonEntry]);
  return entry?.reason ?? null;
}
