import { sql, type RawBuilder } from 'kysely';
import { TOPIC_KEY, TOPIC_MAX_LENGTH } from '../../domain/complaints/topic.js';
import type { PersistentIssuePolicy } from '../../domain/scoring/persistent-issue.js';

/**
 * The complaints (table alias `k`) that count toward a persistent issue at a moment, in SQL:
 * the persistent-issue model's window (src/domain/scoring/persistent-issue.ts) for the
 * set-based queries that select them. A complaint counts when it was opened in the window,
 * is still open at its end (however old), or was reopened in the window.
 */
export function currentComplaint(k: string, window: { from: RawBuilder<unknown>; to: RawBuilder<unknown> }): RawBuilder<boolean> {
  const column = (name: string) => sql.ref(`${k}.${name}`);
  return sql<boolean>`(${column('opened_at')} >= ${window.from} or ${column('resolved_at')} is null or ${column('resolved_at')} >= ${window.to} or ${column('reopened_at')} >= ${window.from})`;
}

/** The window ending now: today and the `windowDays - 1` UTC days before, the days the model counts as of today. */
export function windowEndingNow(windowDays: number): { from: RawBuilder<unknown>; to: RawBuilder<unknown> } {
  return { from: sql`(((now() at time zone 'UTC')::date - ${windowDays}::int + 1)::timestamp at time zone 'UTC')`, to: sql`now()` };
}

/**
 * The keys of a customer's complaint topics that are persistent now (`topic`), by the
 * persistent-issue model over their current complaints, as a campaign's enrolment finds them;
 * only keys the fix playbook takes (a topic stored before keys were required is none).
 */
export function persistentTopicKeys(customerId: RawBuilder<unknown>, policy: PersistentIssuePolicy): RawBuilder<{ topic: string }> {
  const key = sql`lower(btrim(k.topic))`;
  return sql<{ topic: string }>`
    select ${key} as topic from complaint k
     where k.customer_id = ${customerId} and ${currentComplaint('k', windowEndingNow(policy.windowDays))}
       and ${key} ~ ${TOPIC_KEY.source} and char_length(k.topic) <= ${TOPIC_MAX_LENGTH}
     group by ${key}
    having count(*) >= ${policy.minComplaints} or sum(k.reopened_count) >= ${policy.minReopens}`;
}
