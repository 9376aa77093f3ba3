import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import pg from 'pg';
import 'reflect-metadata';
import { freePort } from '../src/dev/ports.js';
import { writeBenchmarkSection } from './benchmarks-file.js';
import { startDemoDatabase } from './demo-database.js';
import { loadInterleaved, loadOne, ready, startProcess, type Measured, type Target } from './http-load.js';

/**
 * `npm run bench:api`: the customer page query (50 customers with latest scores
 * and last 5 orders) against our API, PostGraphile 5 over the same database, and
 * a hand-written SQL floor, each loaded from this process with autocannon while
 * the servers run as their own processes. Results go to BENCHMARKS.md.
 *
 * The three targets are loaded in interleaved rounds (ours, PostGraphile, floor, ours, ...),
 * so a slow minute of this shared machine lands on all of them, and the ratio of each round
 * is reported beside the total.
 *
 * Options (env): BENCH_CUSTOMERS (100000), BENCH_ORDERS_PER_CUSTOMER (20),
 * BENCH_DURATION seconds per target (20), BENCH_ROUNDS it is split into (4), BENCH_CONNECTIONS (10),
 * BENCH_LIST (1; 0 skips the list queries and leaves BENCHMARKS.md as it is: for trying a change).
 */
const customers = Number(process.env.BENCH_CUSTOMERS ?? 100_000);
const ordersPerCustomer = Number(process.env.BENCH_ORDERS_PER_CUSTOMER ?? 20);
const duration = Number(process.env.BENCH_DURATION ?? 20);
const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const withLists = process.env.BENCH_LIST !== '0';

const API_KEY = 'bench-viewer-key-0123456789';
const OUR_QUERY = `query BenchPage { customers(first: 50) { edges { node { id name email scores { kind value band } orders(first: 5) { edges { node { id orderedAt amountMinor } } } } } } }`;
// PostGraphile's generated names for the same page; latest scores: the current_score rows (one per kind, kept by a trigger), as ours.
const PGL_QUERY = `query BenchPage { allCustomers(first: 50, orderBy: [CREATED_AT_DESC, PRIMARY_KEY_DESC]) { edges { node { rowId name email currentScoresByCustomerId(orderBy: [PRIMARY_KEY_ASC]) { nodes { kind value band } } customerOrdersByCustomerId(first: 5, orderBy: [ORDERED_AT_DESC, PRIMARY_KEY_DESC]) { edges { node { rowId orderedAt amountMinor } } } } } } }`;

/** Score snapshots for the page's "latest scores": synthetic ones when no scoring run has written real ones. */
async function ensureSnapshots(url: string): Promise<void> {
  const c2 = new pg.Client({ connectionString: url });
  await c2.connect();
  // Two generations of three scores per customer, so "latest" matters.
  if (Number((await c2.query<{ n: string }>('select count(*) as n from score_snapshot')).rows[0].n) === 0) {
    console.error('writing score snapshots...');
    await c2.query(`
      insert into score_snapshot (id, customer_id, computed_at, as_of, scores)
      select gen_random_uuid(), c.id, now() - g.age * interval '1 day', (now() at time zone 'UTC')::date - g.age,
             (select jsonb_object_agg(k.kind, jsonb_build_object('value', random(), 'band', case when random() < 0.3 then 'high' else 'low' end,
                                                               'modelVersion', 'bench/1', 'reasons', '["benchmark data"]'::jsonb))
                from (values ('rfm'), ('churn-risk'), ('clv')) k(kind) where c.id is not null)
      from customer c cross join (values (0), (7)) g(age)`);
  }
  await c2.query('analyze');
  await c2.end();
}


/** The list screens' other queries, on our API only: each filter and sort must stay fast at this size. */
async function listQueryResults(api: Target): Promise<Array<Measured & { label: string }>> {
  const listQueries: Array<[string, string]> = [
    ['sort by revenue', '{ customers(first: 50, sort: {field: Revenue, direction: Desc}) { edges { node { id } } } }'],
    ['sort by churn-risk score', '{ customers(first: 50, sort: {field: Score, scoreKind: ChurnRisk, direction: Desc}) { edges { node { id } } } }'],
    ['sort by name', '{ customers(first: 50, sort: {field: Name, direction: Asc}) { edges { node { id } } } }'],
    ['filter: risk band high', '{ customers(first: 50, filter: {riskBand: ["high"]}) { edges { node { id } } } }'],
    ['filter: text search + count', '{ customers(first: 50, filter: {search: "anna"}) { totalCount edges { node { id } } } }'],
    ['filter: open complaint + count', '{ customers(first: 50, filter: {hasOpenComplaint: true}) { totalCount edges { node { id } } } }'],
  ];
  const listResults = [];
  for (const [label, query] of listQueries) {
    console.error(`loading our API with "${label}"...`);
    listResults.push({ label, ...(await loadOne({ ...api, body: JSON.stringify({ query }) }, { connections }, duration)) });
  }
  return listResults;
}

/** Writes (or replaces) this benchmark's section of BENCHMARKS.md. */
async function writeSection(results: Array<Target & Measured & { perRound: number[] }>, listResults: Array<Measured & { label: string }>): Promise<void> {
  const [ours, pgl, floor] = results;
  const roundRatios = ours.perRound.map((rps, i) => `${(rps / pgl.perRound[i]).toFixed(2)}x`).join(', ');
  const listTable = [
    '| query (50 customers) | requests/s | p50 ms | p99 ms |',
    '|---|---|---|---|',
    ...listResults.map((r) => `| ${r.label} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} |`),
  ].join('\n');
  const table = [
    '| target | requests/s | p50 ms | p99 ms | throughput vs PostGraphile | throughput vs pg floor |',
    '|---|---|---|---|---|---|',
    ...results.map((r) => `| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${(r.rps / pgl.rps).toFixed(2)}x | ${(r.rps / floor.rps).toFixed(2)}x |`),
  ].join('\n');
  const section = `## API read: customer page (bench:api)

Run ${new Date().toISOString().slice(0, 10)} on this ${os.cpus().length}-core machine (shared, noisy: compare ratios, not absolute numbers).
Command: \`npm run bench:api\` (BENCH_CUSTOMERS=${customers}, BENCH_ORDERS_PER_CUSTOMER=${ordersPerCustomer}, ${duration} s per target after a 5 s warm-up, in ${rounds} interleaved rounds of ${duration / rounds} s (ours, PostGraphile, floor, ours, ...), ${connections} connections, autocannon in the benchmark process, each server its own process, one embedded PostgreSQL 18; our API counts its rate limits in PostgreSQL, as by default: see bench:rate-limit for that cost).
Query: 50 newest customers, each with its latest scores (one per kind: kind, value, band) and last 5 orders; PostGraphile reads the latest scores from the same current_score rows. Data: the demo generator's customers, orders, invoices and payments; score snapshots from \`npm run bench:scoring\` runs on the same database (or, on a database it never scored, synthetic ones: 3 kinds, 2 generations per customer).

${table}

Ours / PostGraphile in each round: ${roundRatios}.

Target: the API at or above PostGraphile's throughput: ${ours.rps >= pgl.rps ? 'met' : 'not met'} (${(ours.rps / pgl.rps).toFixed(2)}x).

Other list queries on the same data, our API only (same load settings):

${listTable}
`;
  await writeBenchmarkSection(section);
  console.log(table);
  console.log(listTable);
}

const pgServer = await startDemoDatabase(customers, ordersPerCustomer);
const children: ChildProcess[] = [];
try {
  await ensureSnapshots(pgServer.url);

  const [apiPort, pglPort, floorPort] = [await freePort(), await freePort(), await freePort()];
  children.push(
    startProcess('api', ['dist/src/bin/api.js'], {
      DATABASE_URL: pgServer.url,
      PORT: String(apiPort),
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      API_KEYS: `viewer:${API_KEY}`,
      // The per-key limiter runs (its cost is measured) but never refuses the benchmark's load.
      RATE_LIMIT_PER_MINUTE: '100000000',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    }),
    startProcess('postgraphile', ['node_modules/postgraphile/dist/cli-run.js', '-P', 'postgraphile/presets/amber', '-c', pgServer.url, '-s', 'public', '-p', String(pglPort), '-n', '127.0.0.1'], {
      NODE_ENV: 'production',
      GRAPHILE_ENV: 'production',
    }),
    startProcess('pg-floor', ['dist/bench/pg-floor-server.js'], { DATABASE_URL: pgServer.url, PORT: String(floorPort) }),
  );
  const targets: Target[] = [
    { name: 'retention API (Apollo + type-graphql + MikroORM)', url: `http://127.0.0.1:${apiPort}/graphql`, body: JSON.stringify({ query: OUR_QUERY }), headers: { authorization: `Bearer ${API_KEY}` } },
    { name: 'PostGraphile 5 (amber preset)', url: `http://127.0.0.1:${pglPort}/graphql`, body: JSON.stringify({ query: PGL_QUERY }), headers: {} },
    { name: 'raw pg floor (one SQL statement, no GraphQL)', url: `http://127.0.0.1:${floorPort}/`, body: '{}', headers: {} },
  ];
  for (const t of targets) await ready(t);

  console.error(`loading each target for ${duration} s in ${rounds} interleaved rounds with ${connections} connections...`);
  const results = (await loadInterleaved(targets, { connections }, duration, rounds)).map((m, i) => ({ ...targets[i], ...m }));
  const [ours, pgl, floor] = results;
  const ratios = `ours/postgraphile ${(ours.rps / pgl.rps).toFixed(2)}x, ours/floor ${(ours.rps / floor.rps).toFixed(2)}x`;
  if (withLists) await writeSection(results, await listQueryResults(targets[0]));
  else for (const r of results) console.log(`${r.name}: ${r.rps.toFixed(0)} req/s (rounds: ${r.perRound.map((x) => x.toFixed(0)).join(', ')}), p50 ${r.p50} ms, p99 ${r.p99} ms`);
  console.log(ratios);
} finally {
  for (const c of children) c.kill('SIGTERM');
  await pgServer.stop();
}
