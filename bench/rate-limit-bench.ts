import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import 'reflect-metadata';
import { freePort } from '../src/dev/ports.js';
import { writeBenchmarkSection } from './benchmarks-file.js';
import { startDemoDatabase } from './demo-database.js';
import { loadInterleaved, ready, startProcess, type Target } from './http-load.js';

/**
 * `npm run bench:rate-limit`: what counting the rate limits in PostgreSQL (shared by all API
 * processes; the default) costs against counting them in each process's memory, and against
 * no limit at all: three API processes over the benchmark database, loaded in interleaved
 * rounds with the cheapest request (`me`: the count is most of its work) and with the
 * customer page of bench:api. Results go to BENCHMARKS.md.
 *
 * Options (env): BENCH_CUSTOMERS (100000), BENCH_ORDERS_PER_CUSTOMER (20): the database of
 * the other benchmarks; BENCH_DURATION seconds per target and query (20), BENCH_ROUNDS (4),
 * BENCH_CONNECTIONS (10).
 */
const customers = Number(process.env.BENCH_CUSTOMERS ?? 100_000);
const ordersPerCustomer = Number(process.env.BENCH_ORDERS_PER_CUSTOMER ?? 20);
const duration = Number(process.env.BENCH_DURATION ?? 20);
const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);

const API_KEY = 'bench-viewer-key-0123456789';
const queries: Array<[string, string]> = [
  ['`me` (who is asking: no database work but the count)', '{ me { role } }'],
  ['customer page (as bench:api)', 'query BenchPage { customers(first: 50) { edges { node { id name email scores { kind value band } orders(first: 5) { edges { node { id orderedAt amountMinor } } } } } } }'],
];
const variants: Array<[string, NodeJS.ProcessEnv]> = [
  ['counted in PostgreSQL (default)', { RATE_LIMIT_STORE: 'postgres' }],
  ['counted in memory (`RATE_LIMIT_STORE=memory`)', { RATE_LIMIT_STORE: 'memory' }],
  ['no limit (`RATE_LIMIT_PER_MINUTE=0`, `AUTH_FAILURES_PER_MINUTE=0`)', { RATE_LIMIT_PER_MINUTE: '0', AUTH_FAILURES_PER_MINUTE: '0' }],
];

const pgServer = await startDemoDatabase(customers, ordersPerCustomer);
const children: ChildProcess[] = [];
try {
  const urls: string[] = [];
  for (const [name, env] of variants) {
    const port = await freePort();
    children.push(
      startProcess(name, ['dist/src/bin/api.js'], {
        DATABASE_URL: pgServer.url,
        PORT: String(port),
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        API_KEYS: `viewer:${API_KEY}`,
        // The limiter counts every request but never refuses the benchmark's load.
        RATE_LIMIT_PER_MINUTE: '100000000',
        TEMPORAL_ADDRESS: '127.0.0.1:1',
        ...env,
      }),
    );
    urls.push(`http://127.0.0.1:${port}/graphql`);
  }
  const rows: string[] = [];
  for (const [label, query] of queries) {
    const targets: Target[] = variants.map(([name], i) => ({ name, url: urls[i], body: JSON.stringify({ query }), headers: { authorization: `Bearer ${API_KEY}` } }));
    for (const t of targets) await ready(t);
    console.error(`${label}: loading each API for ${duration} s in ${rounds} interleaved rounds with ${connections} connections...`);
    const results = await loadInterleaved(targets, { connections }, duration, rounds);
    const [postgres, memory, none] = results;
    for (const [i, r] of results.entries()) {
      const perRound = i === 0 ? ` (rounds: ${r.perRound.map((rps, k) => `${(rps / memory.perRound[k]).toFixed(2)}x`).join(', ')})` : '';
      rows.push(`| ${label} | ${targets[i].name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${(r.rps / memory.rps).toFixed(2)}x${perRound} | ${(r.rps / none.rps).toFixed(2)}x |`);
    }
    console.log(`${label}: postgres/memory ${(postgres.rps / memory.rps).toFixed(2)}x, postgres/none ${(postgres.rps / none.rps).toFixed(2)}x`);
  }
  const table = ['| query | rate limits | requests/s | p50 ms | p99 ms | throughput vs memory | throughput vs no limit |', '|---|---|---|---|---|---|---|', ...rows].join('\n');
  await writeBenchmarkSection(`## API rate limits: counted in PostgreSQL (bench:rate-limit)

Run ${new Date().toISOString().slice(0, 10)} on this ${os.cpus().length}-core machine (shared, noisy: compare ratios, not absolute numbers).
Command: \`npm run bench:rate-limit\` (BENCH_CUSTOMERS=${customers}, BENCH_ORDERS_PER_CUSTOMER=${ordersPerCustomer}: the bench:api database; BENCH_DURATION=${duration}; three API processes, one per way of counting, loaded ${duration} s each per query after a 5 s warm-up, in ${rounds} interleaved rounds, ${connections} connections, one API key).
Counting in PostgreSQL is what makes a limit hold across API processes (each counts in memory and shares its counts through an unlogged table every 200 ms, one statement for all keys); in memory each process counts alone.

${table}
`);
  console.log(table);
} finally {
  for (const c of children) c.kill('SIGTERM');
  await pgServer.stop();
}
