import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { nextPeriodToThin, thinningCutoff, tierKey, type HistoryTier } from '../../domain/scoring/score-history.js';

export interface ThinnedPeriod {
  tier: string;
  from: Date;
  to: Date;
  /** Snapshots deleted. */
  deleted: number;
  /** Snapshots the period keeps. */
  kept: number;
}

// Timestamps come from the driver as text.
const toDate = (at: string | null) => (at === null ? null : new Date(at));

/**
 * Thins old score history, one whole period at a time (see domain/scoring/score-history.ts):
 * of each customer's snapshots in the period, those that are the newest holding one of
 * their kinds stay; so does any snapshot a current score points at. The period's
 * deletions and the tier's progress commit together.
 */
export class ScoreHistoryService {
  constructor(private readonly em: EntityManager) {}

  /** Thins the tier's next period that is old enough; null when there is none yet. */
  async thinNextPeriod(tier: HistoryTier, now: Date = new Date()): Promise<ThinnedPeriod | null> {
    const key = tierKey(tier);
    return this.em.transactional(async (em) => {
      const db = em.getKysely();
      // The progress row is locked for the period's transaction: a second pass (an overlapping run) waits, then finds the next period.
      await sql`insert into score_history_thinning (tier, thinned_until, updated_at) values (${key}, null, now()) on conflict do nothing`.execute(db);
      const { rows: progress } = await sql<{ thinned_until: string | null }>`select thinned_until from score_history_thinning where tier = ${key} for update`.execute(db);
      const thinnedUntil = progress[0].thinned_until;
      // A first pass starts at the oldest snapshot old enough to thin; the block-range index skips the rest.
      const oldest = thinnedUntil
        ? null
        : (await sql<{ oldest: string | null }>`select min(computed_at) as oldest from score_snapshot where computed_at < ${thinningCutoff(tier, now)}`.execute(db)).rows[0].oldest;
      const period = nextPeriodToThin(tier, toDate(thinnedUntil), toDate(oldest), now);
      if (!period) return null;
      // A week of a large base is hundreds of thousands of snapshots: sort them in memory, not on disk.
      await sql`set local work_mem = '256MB'`.execute(db);
      const { rows } = await sql<{ deleted: number; kept: number }>`
        with period as materialized (
          select id, customer_id, as_of, computed_at, array(select jsonb_object_keys(scores)) as kinds
            from score_snapshot where computed_at >= ${period.from} and computed_at < ${period.to}
        ), candidates as (
          -- Of a customer's snapshots with the same kinds (most of them: nightly runs), only the newest can be kept:
          -- newest by the day it is as of, so a rescore of a past day run late in the week is not the week's point.
          select distinct on (customer_id, kinds) id, customer_id, as_of, computed_at, kinds from period order by customer_id, kinds, as_of desc, computed_at desc, id desc
        ), keepers as (
          select distinct on (c.customer_id, k.kind) c.id from candidates c cross join unnest(c.kinds) as k(kind) order by c.customer_id, k.kind, c.as_of desc, c.computed_at desc, c.id desc
        ), deleted as (
          delete from score_snapshot s
           where s.computed_at >= ${period.from} and s.computed_at < ${period.to}
             and s.id in (select id from period except select id from keepers except select snapshot_id from current_score)
          returning s.id
        )
        select (select count(*) from deleted)::int as deleted, ((select count(*) from period) - (select count(*) from deleted))::int as kept`.execute(db);
      await sql`update score_history_thinning set thinned_until = ${period.to}, updated_at = now() where tier = ${key}`.execute(db);
      return { tier: key, ...period, ...rows[0] };
    });
  }
}
