import type { EntityManager } from '@mikro-orm/postgresql';
import { ERASED_MENTION } from '../../domain/customers/personal-mentions.js';
import { isUuid } from '../../domain/ids.js';
import type { NoticeEnd, OffboardingDecision } from '../../domain/playbooks/account-review.js';

/**
 * A person's request through the API that the run refused stays in the audit log (`outcome: "not-taken"`): it is no
 * decision, and its ID, typed in the Temporal UI, must not pass another update off as theirs.
 */
const NOT_REFUSED = `coalesce(after ->> 'outcome', 'taken') <> 'not-taken'`;

/**
 * This run's decision entry: who made it, the reason it holds and which way they decided; undefined when `entryId` is no
 * entry of this run's decision (another run's, another action's, one the run refused, none at all).
 */
async function decisionEntry(em: EntityManager, workflowId: string, entryId: string): Promise<{ actor: string; reason: string | null; approve: boolean | null } | undefined> {
  // Only this run's decision entry: an ID typed by hand in the Temporal UI names no other's reason.
  const [entry] = await em.execute<{ actor: string; reason: string | null; approve: boolean | null }[]>(
    `select actor, after ->> 'reason' as reason, (after ->> 'approve')::boolean as approve from audit_entry
      where id = ? and entity_type = 'playbook_run' and entity_id = ? and action = 'playbook.decide-offboarding' and ${NOT_REFUSED}`,
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
 * entry's actor). The API commits its entry before it sends the decision (pending until the run answers).
 */
export async function reasonEntryProblem(em: EntityManager, workflowId: string, decision: OffboardingDecision): Promise<string | null> {
  const entryId = decision.reasonEntry;
  if (entryId === undefined) return null;
  if (typeof entryId !== 'string' || !isUuid(entryId)) return 'reasonEntry must be the ID of the audit entry that holds the reason';
  const entry = await decisionEntry(em, workflowId, entryId);
  if (!entry) return `reasonEntry ${entryId} is no audit entry of this run's offboarding decision (or one the run refused): send the reason instead`;
  if (entry.actor !== decision.decidedBy) return `reasonEntry ${entryId} is the decision of ${entry.actor}, not of ${String(decision.decidedBy)}`;
  // The entry's way, not another: an approval does not pass for the rejection it records, nor the reverse.
  return entry.approve === null || entry.approve === decision.approve ? null : `reasonEntry ${entryId} ${entry.approve ? 'approves' : 'rejects'} the offboarding; this decision ${decision.approve ? 'approves' : 'rejects'} it`;
}

/**
 * Why the run must not take a request to end its offboarding notice early sent with this `reasonEntry` (null when it
 * may, or it names none): it names no audit entry of this run's request through the API (`playbook.end-offboarding-notice`,
 * which holds why), or one another person made (its endedBy must be the entry's actor), as for a decision's.
 */
export async function noticeEndEntryProblem(em: EntityManager, workflowId: string, end: NoticeEnd): Promise<string | null> {
  const entryId = end.reasonEntry;
  if (entryId === undefined) return null;
  if (typeof entryId !== 'string' || !isUuid(entryId)) return 'reasonEntry must be the ID of the audit entry that holds the reason';
  const [entry] = await em.execute<{ actor: string }[]>(
    `select actor from audit_entry where id = ? and entity_type = 'playbook_run' and entity_id = ? and action = 'playbook.end-offboarding-notice' and ${NOT_REFUSED}`,
    [entryId, workflowId],
  );
  if (!entry) return `reasonEntry ${entryId} is no audit entry of a request to end this run's offboarding notice (or one the run refused): send the reason instead`;
  return entry.actor === end.endedBy ? null : `reasonEntry ${entryId} is the request of ${entry.actor}, not of ${String(end.endedBy)}`;
}
