import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, type RawBuilder } from 'kysely';
import type { ComplaintRecord, PersistentIssuePolicy } from '../../domain/scoring/persistent-issue.js';

/**
 * The complaints (table alias `k`) that count toward a persistent issue at a moment, in SQL:
 * the persistent-issue model's window (src/domain/scoring/persistent-issue.ts) for the
 * set-based queries that select them. A complaint counts when it was opened in the window,
 * is still open at its end (however old), or was reopened in the window; a withdrawn one (filed by mistake) never counts,
 * as of any day: it was never the customer's complaint.
 */
export function currentComplaint(k: string, window: { from: RawBuilder<unknown>; to: RawBuilder<unknown> }): RawBuilder<boolean> {
  const column = (name: string) => sql.ref(`${k}.${name}`);
  return sql<boolean>`(${column('withdrawn_at')} is null and (${column('opened_at')} >= ${window.from} or ${column('resolved_at')} is null or ${column('resolved_at')} >= ${window.to} or ${column('reopened_at')} >= ${window.from}))`;
}

/** The window ending now: today and the `windowDays - 1` UTC days before, the days the model counts as of today. */
export function windowEndingNow(windowDays: number): { from: RawBuilder<unknown>; to: RawBuilder<unknown> } {
  return { from: sql`(((now() at time zone 'UTC')::date - ${windowDays}::int + 1)::timestamp at time zone 'UTC')`, to: sql`now()` };
}

/**
 * The complaint topics persistent now, a row per customer and topic, with the last time the topic
 * was complained about or reopened and the severities (as stored) among the complaints counted: the persistent-issue model's rule
 * (src/domain/scoring/persistent-issue.ts) over the current complaints, for the complaints (`k`)
 * `where` selects. Topics are keys in the database (a check constraint), so they group as stored,
 * as the model groups them. The trigger sweep and a campaign's preview count by it.
 */
export function persistentTopics(where: RawBuilder<boolean>, policy: PersistentIssuePolicy): RawBuilder<{ customer_id: string; topic: string; last_complained_at: Date; severities: string[] }> {
  return sql<{ customer_id: string; topic: string; last_complained_at: Date; severities: string[] }>`
    select k.customer_id, k.topic, max(coalesce(k.reopened_at, k.opened_at)) as last_complained_at, array_agg(distinct k.severity::text) as severities from complaint k
     where ${where} and ${currentComplaint('k', windowEndingNow(policy.windowDays))}
     group by k.customer_id, k.topic
    having count(*) >= ${policy.minComplaints} or sum(k.reopened_count) >= ${policy.minReopens}`;
}

/** A customer's complaints that count toward a persistent issue now (of one topic, if given), as the model reads them. */
export async function currentComplaintRecords(em: EntityManager, customerId: string, policy: PersistentIssuePolicy, topic?: string): Promise<ComplaintRecord[]> {
  const { rows } = await sql<{ topic: string; opened_at: Date; resolved_at: Date | null; reopened_count: number; reopened_at: Date | null }>`
    select topic, opened_at, resolved_at, reopened_count, reopened_at from complaint k
     where customer_id = ${customerId}::uuid ${topic === undefined ? sql`` : sql`and topic = ${topic}`}
       and ${currentComplaint('k', windowEndingNow(policy.windowDays))}`.execute(em.getKysely());
  return rows.map((r) => ({ topic: r.topic, openedAt: r.opened_at, resolvedAt: r.resolved_at, reopenedCount: r.reopened_count, reopenedAt: r.reopened_at }));
}

/**
 * Whether the customer complained about the topic of the run's fix case after it was closed as
 * fixed (a new complaint or one reopened, by the complaint's own time): what makes a fix not
 * hold. A complaint recorded late but dated before the fix is not one, nor one withdrawn (filed by mistake).
 */
export async function complainedSinceFixed(em: EntityManager, workflowId: string): Promise<boolean> {
  const { rows } = await sql<{ recurred: boolean }>`
    select exists (
      select 1 from fix_case f join complaint k on k.customer_id = f.customer_id and k.topic = f.topic
       where f.workflow_id = ${workflowId} and f.resolved_at is not null and k.withdrawn_at is null
         and (k.opened_at > f.resolved_at or k.reopened_at > f.resolved_at)) as recurred`.execute(em.getKysely());
  return rows[0].recurred;
}
