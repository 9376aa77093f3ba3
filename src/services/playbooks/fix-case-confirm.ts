import type { EntityManager } from '@mikro-orm/postgresql';
import { stepMessageKey } from '../../domain/playbooks/run-id.js';
import type { FixCase } from '../../entities/index.js';
import type { AuditService } from '../audit/audit.service.js';
import { runPrefixOfKeySql } from '../facts/run-ids.js';

/** Why a word that the issue was fixed, still queued, was not sent: the customer's thank-you goes instead. */
export const FIX_CONFIRMED_FIRST = 'fix-confirmed: the customer said the fix holds before the word that it was fixed went out; the thank-you goes instead';

/**
 * The customer says the fix of the case holds: recorded on the case (`confirmedAt`) and audited as `actor`'s
 * `fix-case.confirm`, once. The word that it was fixed, still queued (held for the customer's quiet hours), is held back:
 * it promises to check back with them, which their confirmation answered; the run's thank-you replaces it. Whoever
 * gives it: the API's confirmFixHolds, or the run's check-back step for one typed in the Temporal UI (recorded as the run's).
 * The case must be locked and closed as fixed.
 */
export async function recordFixConfirmed(em: EntityManager, audit: AuditService, fixCase: FixCase, actor: string): Promise<void> {
  if (fixCase.confirmedAt) return;
  fixCase.confirmedAt = new Date();
  audit.record(em, { actor, action: 'fix-case.confirm', entityType: 'fix_case', entityId: fixCase.id, after: { workflowId: fixCase.workflowId, confirmedAt: fixCase.confirmedAt.toISOString() } });
  await em.execute(
    `update outbox_message set suppressed_at = now(), suppressed_reason = ? where customer_id = ? and template = 'issue-fixed' and ${runPrefixOfKeySql('idempotency_key')} = ? and sent_at is null and suppressed_at is null`,
    [FIX_CONFIRMED_FIRST, fixCase.customer.id, stepMessageKey(fixCase.workflowId, '')],
  );
}
