import os from 'node:os';
import 'reflect-metadata';
import { sql } from 'kysely';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createOrm } from '../src/db/orm.js';
import { ScoreHistoryService, type ThinnedPeriod } from '../src/services/scores/score-history.service.js';
import type { HistoryTier } from '../src/domain/scoring/score-history.js';
import { writeBenchmarkSection } from './benchmarks-file.js';
import { median, timed } from './measure.js';
import { startDemoDatabase } from './demo-database.js';

/**
 * `npm run bench:history`: what thinning the score history costs, on the benchmark base
 * (run `npm run bench:scoring` first: its last rescore's snapshots are the ones copied).
 * Inside one transaction, rolled back at the end so the benchmark database keeps its real
 * history: two weeks of nightly snapshots (each night a copy of the last rescore's 100k
 * snapshots, scores and reasons as written) are written into the past, then both weeks
 * are thinned to one snapshot per customer and kind. The references, measured in the same
 * run: writing one night's snapshot rows, and reading one week's snapshots and their kinds.
 * Also the block-range index's cost on those writes (the first week's nights with it, the
 * second's without).
 */
const customers = Number(process.env.BENCH_CUSTOMERS ?? 100_000);
const ordersPerCustomer = Number(process.env.BENCH_ORDERS_PER_CUSTOMER ?? 20);
const DAY = 86_400_000;
const seconds = (ms: number) => (ms / 1000).toFixed(2);

class RollBack extends Error {}

const db = await startDemoDatabase(customers, ordersPerCustomer);
const orm = await createOrm(db.url);
try {
  // Space left by an earlier run's rolled-back rows is reused, not appended to.
  console.error('vacuuming score_snapshot...');
  await sql`vacuum score_snapshot`.execute(orm.em.getKysely());
  const now = new Date();
  // Two whole weeks (Monday to Sunday, UTC) well past a 30-day cutoff.
  const start = Math.floor(now.getTime() / DAY) * DAY - 60 * DAY;
  // 1970-01-01 was a Thursday.
  const firstMonday = start - ((Math.floor(start / DAY) + 3) % 7) * DAY;
  const tier: HistoryTier = { olderThanDays: 30, keepOnePer: 'week' };
  const nights = Array.from({ length: 14 }, (_, i) => new Date(firstMonday + i * DAY + 2 * 3_600_000));

  const results = { withIndex: [] as number[], withoutIndex: [] as number[], readWeek: 0, weeks: [] as { ms: number; period: ThinnedPeriod }[], snapshotsPerNight: 0, sizeBefore: '', run: '' };
  await orm.em
    .fork()
    .transactional(async (em: EntityManager) => {
      const q = em.getKysely();
      const { rows: last } = await sql<{ id: string }>`select id from scoring_run where status = 'completed' order by finished_at desc limit 1`.execute(q);
      if (last.length === 0) throw new Error('no completed rescore in the benchmark database: run `npm run bench:scoring` first');
      results.run = last[0].id;
      const { rows: size } = await sql<{ size: string; rows: number }>`select pg_size_pretty(pg_total_relation_size('score_snapshot')) as size, (select count(*)::int from score_snapshot) as rows`.execute(q);
      results.sizeBefore = `about ${size[0].rows} rows, ${size[0].size} on disk`;
      await sql`create temporary table night on commit drop as select customer_id, scores from score_snapshot where run_id = ${results.run}`.execute(q);
      results.snapshotsPerNight = (await sql<{ n: number }>`select count(*)::int as n from night`.execute(q)).rows[0].n;
      // Writing the history into the past must not move anyone's current scores.
      await sql`alter table score_snapshot disable trigger score_snapshot_current_insert`.execute(q);
      for (const [i, night] of nights.entries()) {
        if (i === 7) await sql`drop index score_snapshot_computed_at_brin_index`.execute(q);
        console.error(`writing night ${i + 1} of ${nights.length}...`);
        const { ms } = await timed(() =>
          sql`insert into score_snapshot (id, customer_id, computed_at, as_of, scores, run_id)
              select gen_random_uuid(), customer_id, ${night}, ${night.toISOString().slice(0, 10)}::date, scores, ${`bench-history-${i}`} from night`.execute(q),
        );
        (i < 7 ? results.withIndex : results.withoutIndex).push(ms);
      }
      await sql`create index score_snapshot_computed_at_brin_index on score_snapshot using brin (computed_at)`.execute(q);
      // Autovacuum would have analysed two-week-old snapshots long before they are thinned.
      await sql`analyze score_snapshot`.execute(q);
      // The part of thinning no statement avoids: reading the week's snapshots and their kinds.
      results.readWeek = (
        await timed(() =>
          sql`select count(*), sum(cardinality(array(select jsonb_object_keys(scores)))) from score_snapshot
               where computed_at >= ${new Date(firstMonday + 7 * DAY)} and computed_at < ${new Date(firstMonday + 14 * DAY)}`.execute(q),
        )
      ).ms;
      const history = new ScoreHistoryService(em);
      for (let week = 0; week < 2; week++) {
        console.error(`thinning week ${week + 1}...`);
        const { ms, value } = await timed(() => history.thinNextPeriod(tier, now));
        if (!value) throw new Error('expected a week to thin');
        results.weeks.push({ ms, period: value });
      }
      throw new RollBack();
    })
    .catch((error: unknown) => {
      if (!(error instanceof RollBack)) throw error;
    });

  const night = median([...results.withIndex, ...results.withoutIndex]);
  const table = [
    '| measurement | time | ratio to writing one night | ratio to reading one week |',
    '|---|---|---|---|',
    `| reference: writing one night's ${results.snapshotsPerNight} snapshot rows (median of ${nights.length}) | ${seconds(night)} s | 1.0x | |`,
    `| reference: reading one week's snapshots and their kinds (week 2) | ${seconds(results.readWeek)} s | ${(results.readWeek / night).toFixed(1)}x | 1.0x |`,
    ...results.weeks.map(
      ({ ms, period }, i) =>
        `| thinning week ${i + 1} (${period.from.toISOString().slice(0, 10)} to ${new Date(period.to.getTime() - DAY).toISOString().slice(0, 10)}${i === 0 ? '; a first pass, it also finds the oldest snapshot' : ''}): ${period.deleted} snapshots deleted, ${period.kept} kept | ${seconds(ms)} s | ${(ms / night).toFixed(1)}x | ${(ms / results.readWeek).toFixed(1)}x |`,
    ),
    `| writing one night with the block-range index on computed_at (median of ${results.withIndex.length}) | ${seconds(median(results.withIndex))} s | ${(median(results.withIndex) / night).toFixed(2)}x | |`,
    `| writing one night without it (median of ${results.withoutIndex.length}) | ${seconds(median(results.withoutIndex))} s | ${(median(results.withoutIndex) / night).toFixed(2)}x | |`,
  ].join('\n');
  const section = `## Score history thinning (bench:history)

Run ${now.toISOString().slice(0, 10)} on this ${os.cpus().length}-core machine (shared, noisy: compare ratios, not absolute numbers).
Command: \`npm run bench:history\` (after \`npm run bench:scoring\`, on its database of ${customers} customers; score_snapshot ${results.sizeBefore} before). In one transaction, rolled back at the end: 14 nights of snapshots written into the past (each a copy of the last rescore's, ${results.run}), then both weeks thinned to the newest snapshot per customer and kind, as the nightly \`thinScoreHistory\` does with each week once it is 90 days old.

${table}
`;
  await writeBenchmarkSection(section);
  console.log(section);
} finally {
  await orm.close();
  await db.stop();
}
