import type { EntityManager } from '@mikro-orm/postgresql';
import { ERASED_MENTION } from '../../domain/customers/personal-mentions.js';
import { isUuid } from '../../domain/ids.js';
import type { OffboardingDecision } from '../../domain/playbooks/account-review.js';

/**
 * The lock the API holds on the audit entry of an update it sends to a run (auditedUpdate), until
 * the entry commits: that is once the run has answered, so the run cannot read the entry yet,
 * only see that it is being written (an advisory lock's key).
 */
export const updateEntryLockKey = (workflowId: string, entryId: string) => `audited-update:${workflowId}:${entryId}`;

/** This run's decision entry: who made it and the reason it holds; undefined when `entryId` is no entry of this run's decision (another run's, another action's, none at all). */
async function decisionEntry(em: EntityManager, workflowId: string, entryId: string): Promise<{ actor: string; reason: string | null } | undefined> {
  // Only this run's decision entry: an ID typed by hand in the Temporal UI names no other's reason.
  const [entry] = await em.execute<{ actor: string; reason: string | null }[]>(
    `select actor, after ->> 'reason' as reason from audit_entry where id = ? and entity_type = 'playbook_run' and entity_id = ? and action = 'playbook.decide-offboarding'`,
    [entryId, workflowId],
  );
  return entry;
}

/**
 * Why a person decided on an offboarding: the reason the audit entry of their decision through
 * the API holds (the run's history names only the entry), or as they sent it by hand in the
 * Temporal UI. Null when the entry is not (yet) there: the API records it as the run takes the decision.
 */
export async function decisionReason(em: EntityManager, workflowId: string, decision: OffboardingDecision): Promise<string | null> {
  if (decision.reasonEntry === undefined || !isUuid(decision.reasonEntry)) {
    if (decision.reason == null) return null;
    // Typed in the Temporal UI, it is kept only in the run's history, which an erasure cannot scrub: not served once the customer is erased.
    const [run] = await em.execute<{ erased: boolean }[]>(
      `select c.status = 'erased' as erased from playbook_run r join customer c on c.id = r.customer_id where r.workflow_id = ?`,
      [workflowId],
    );
    return run?.erased ? ERASED_MENTION : decision.reason;
  }
  return (await decisionEntry(em, workflowId, decision.reasonEntry))?.reason ?? null;
}

/**
 * Why the run must not take a decision's `reasonEntry` (null when it may, or the decision names
 * none): it names no audit entry of this run's decision, so no reason (an ID made up, or copied
 * from another run, in the Temporal UI), or one another person made (its decidedBy must be the
 * entry's actor). The API's entry is still being written as the run checks it (its lock held), or
 * committed (the API timed out, or retries).
 */
export async function reasonEntryProblem(em: EntityManager, workflowId: string, decision: OffboardingDecision): Promise<string | null> {
  const entryId = decision.reasonEntry;
  if (entryId === undefined) return null;
  if (typeof entryId !== 'string' || !isUuid(entryId)) return 'reasonEntry must be the ID of the audit entry that holds the reason';
  // First whether the API is writing it, then whether it is there: the lock is released only once the entry has committed (or rolled back).
  const [{ free }] = await em.execute<{ free: boolean }[]>(`select pg_try_advisory_xact_lock(hashtextextended(?, 0)) as free`, [updateEntryLockKey(workflowId, entryId)]);
  if (!free) return null;
  const entry = await decisionEntry(em, workflowId, entryId);
  if (!entry) return `reasonEntry ${entryId} is no audit entry of this run's offboarding decision: send the reason instead`;
  return entry.actor === decision.decidedBy ? null : `reasonEntry ${entryId} is the decision of ${entry.actor}, not of ${String(decision.decidedBy)}`;
}
