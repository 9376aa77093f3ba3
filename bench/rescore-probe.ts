import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import 'reflect-metadata';
import { createOrm } from '../src/db/orm.js';
import { startEmbeddedPostgres } from '../src/dev/embedded-postgres.js';
import { defaultPolicies } from '../src/domain/policies/index.js';
import { pageRanges } from '../src/domain/scoring/score-pages.js';
import { ScoringRunService } from '../src/services/scores/scoring-run.service.js';
import { postmasterPid, treeCpuSeconds } from './process-cpu.js';

/**
 * A full rescore of the bench database (.data/bench-postgres, seeded by bench:scoring) run in this process, without
 * Temporal: the steps the rescore workflow runs (begin, prepare, fit, pages two at a time, complete), as of PROBE_AS_OF.
 * Prints the CPU each side used and, with pg_stat_statements loaded, the statements by total time; writes the run's
 * snapshots (customer, day, scores JSON as PostgreSQL prints jsonb) to PROBE_DUMP, to diff two versions of the code: a
 * change meant to leave scores alone leaves the dumps of the same data and day byte-identical (the fit's sample is seeded
 * by the customers, so two runs of one code give the same file).
 *
 * pg_stat_statements: add `shared_preload_libraries = 'pg_stat_statements'` (and `pg_stat_statements.track = 'all'` for the
 * trigger's statements) to .data/bench-postgres/postgresql.auto.conf; the probe creates the extension.
 * Options (env): PROBE_AS_OF (2026-11-02), PROBE_DUMP, PGPORT (54338), PROBE_URL (a server already running on the bench
 * data folder, left running), PROBE_PAGES (score only the first pages and leave the run gathered, not completed).
 */
const asOf = process.env.PROBE_AS_OF ?? '2026-11-02';
const dump = process.env.PROBE_DUMP ?? null;
const port = Number(process.env.PGPORT ?? 54338);
const dataDir = path.join(process.cwd(), '.data', 'bench-postgres');

const server = process.env.PROBE_URL ? { url: process.env.PROBE_URL, stop: async () => undefined } : await startEmbeddedPostgres({ dataDir, port, database: 'bench' });
const client = new pg.Client({ connectionString: server.url });
await client.connect();
const orm = await createOrm(server.url);
try {
  await client.query('create extension if not exists pg_stat_statements').catch(() => undefined);
  const stats = (await client.query(`select 1 from pg_extension where extname = 'pg_stat_statements'`)).rowCount === 1;
  if (stats) await client.query('select pg_stat_statements_reset()');
  const pgPid = postmasterPid(dataDir);
  const pgBefore = treeCpuSeconds(pgPid);
  const selfBefore = process.cpuUsage();
  const policy = defaultPolicies.rescore;
  const runs = () => new ScoringRunService(orm.em.fork(), defaultPolicies.scoring);
  const runId = `rescore/probe-${Date.now()}`;
  const t0 = performance.now();
  await runs().begin({ runId, trigger: 'probe', asOf });
  const gathered = await runs().prepare(runId, policy.pageSize);
  const t1 = performance.now();
  const { models } = await runs().fitModels(runId);
  const t2 = performance.now();
  const ranges = pageRanges(gathered.pageStarts).slice(0, Number(process.env.PROBE_PAGES ?? Infinity));
  for (let i = 0; i < ranges.length; i += policy.pageConcurrency) {
    await Promise.all(ranges.slice(i, i + policy.pageConcurrency).map((r) => runs().scorePage({ runId, ...r, limit: policy.pageSize, models })));
  }
  const t3 = performance.now();
  if (process.env.PROBE_PAGES === undefined) await runs().complete(runId);
  const self = process.cpuUsage(selfBefore);
  const pgCpu = treeCpuSeconds(pgPid) - pgBefore;
  const selfCpu = (self.user + self.system) / 1e6;
  console.log(
    JSON.stringify({ runId, asOf, customers: gathered.population, pages: ranges.length, gatherS: (t1 - t0) / 1000, fitS: (t2 - t1) / 1000, scoringS: (t3 - t2) / 1000, pgCpu, selfCpu, totalCpu: pgCpu + selfCpu }),
  );
  if (stats) {
    const { rows } = await client.query(`select round(total_exec_time::numeric / 1000, 3) as s, calls, rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 160) as q
                                           from pg_stat_statements where query not like '%pg_stat_statements%' order by total_exec_time desc limit 15`);
    for (const r of rows) console.log(`${r.s}s\t${r.calls}\t${r.rows}\t${r.q}`);
  }
  if (dump) {
    const { rows } = await client.query(`select customer_id, as_of::text, scores::text from score_snapshot where run_id = $1 order by customer_id`, [runId]);
    writeFileSync(dump, rows.map((r) => `${r.customer_id}\t${r.as_of}\t${r.scores}`).join('\n') + '\n');
    console.log(`dumped ${rows.length} snapshots to ${dump} (sha256 ${createHash('sha256').update(rows.map((r) => `${r.customer_id}${r.scores}`).join('\n')).digest('hex').slice(0, 16)})`);
  }
} finally {
  await client.end();
  await orm.close();
  await server.stop();
}
