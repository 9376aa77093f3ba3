import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import 'reflect-metadata';
import { fitBgNbd } from '../src/domain/scoring/bgnbd.js';
import { defaultRescorePolicy } from '../src/domain/scoring/scoring-policy.js';
import { summarizeTransactions } from '../src/domain/scoring/summarize-transactions.js';
import { ensureTemporalCli, startTemporalDevServerOnFreePorts, type TemporalDevServer } from '../src/dev/temporal-dev-server.js';
import { connectTemporal } from '../src/temporal/client.js';
import type { rescoreCustomerBase } from '../workflows/index.js';
import { rescoreProgressQuery, type RescorePhase } from '../workflows/rescore.workflow.js';
import { writeBenchmarkSection } from './benchmarks-file.js';
import { median, timed } from './measure.js';
import { startDemoDatabase } from './demo-database.js';
import { postmasterPid, treeCpuSeconds } from './process-cpu.js';

/**
 * `npm run bench:scoring`: a full rescore of the demo base (default 100k customers, ~2M
 * orders) by the rescore workflow on a Temporal dev server and a worker process, against
 * the floor of one bare aggregate scan of the same orders; and the BG/NBD fit on the
 * CDNOW master file. Results go to BENCHMARKS.md.
 *
 * Options (env): BENCH_CUSTOMERS (100000), BENCH_ORDERS_PER_CUSTOMER (20), BENCH_RUNS (3, floor and fit),
 * BENCH_RESCORES (3 nightly rescores, one day apart; the median is reported), BENCH_PAGE_SIZE and
 * BENCH_PAGE_CONCURRENCY (the rescore policy's, to try others).
 */
const customers = Number(process.env.BENCH_CUSTOMERS ?? 100_000);
const ordersPerCustomer = Number(process.env.BENCH_ORDERS_PER_CUSTOMER ?? 20);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const rescores = Number(process.env.BENCH_RESCORES ?? 3);
const policy = {
  ...defaultRescorePolicy,
  pageSize: Number(process.env.BENCH_PAGE_SIZE ?? defaultRescorePolicy.pageSize),
  pageConcurrency: Number(process.env.BENCH_PAGE_CONCURRENCY ?? defaultRescorePolicy.pageConcurrency),
};
/** The first run scores the base as of this day; each later run the day after the last, as a nightly run would. */
const FIRST_AS_OF = '2026-11-01';
const root = process.cwd();

const seconds = (ms: number) => (ms / 1000).toFixed(1);

/** The floor: the per-customer purchase aggregates over all orders, as bare as SQL gets (no days, no windows, no writes). */
async function floorScan(url: string, asOf: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const { ms } = await timed(() =>
        client.query(`select customer_id, count(*), min(ordered_at), max(ordered_at), sum(amount_minor), sum(margin_minor)
                        from customer_order where ordered_at < '${asOf}'::date + 1 group by customer_id`),
      );
      times.push(ms);
    }
    return median(times);
  } finally {
    await client.end();
  }
}

/** BG/NBD on the CDNOW master file (23,570 customers, calibration to its last day), summarising included. */
function cdnowFit(): { ms: number; customers: number } {
  const lines = readFileSync(path.join(root, 'test/fixtures/cdnow/CDNOW_master.txt'), 'utf8').trim().split(/\r?\n/).slice(1);
  const transactions = lines.map((line) => {
    const [id, day, , dollars] = line.trim().split(/\s+/);
    return { customerId: id, date: `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}`, amount: Number(dollars) };
  });
  const times: number[] = [];
  let fitted = 0;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const summaries = summarizeTransactions(transactions, { calibrationEnd: '1998-06-30' });
    fitted = fitBgNbd(summaries).customers;
    times.push(performance.now() - started);
  }
  return { ms: median(times), customers: fitted };
}

const db = await startDemoDatabase(customers, ordersPerCustomer);
const children: ChildProcess[] = [];
let temporalServer: TemporalDevServer | null = null;
try {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  // A base loaded long ago has been vacuumed by autovacuum; one loaded just now may not be yet.
  await client.query('vacuum (analyze)');
  const orders = Number((await client.query<{ n: string }>('select count(*) as n from customer_order')).rows[0].n);
  // The day after the last benchmark run (never today or later): scores change as they would overnight.
  const nextAsOf = async () =>
    (
      await client.query<{ as_of: string }>(
        `select (case when max(as_of) is null then $1::date else least(max(as_of) + 1, current_date - 1) end)::text as as_of from scoring_run where trigger = 'bench' and status = 'completed'`,
        [FIRST_AS_OF],
      )
    ).rows[0].as_of;
  const asOf = await nextAsOf();

  console.error('timing the floor (bare aggregate scan)...');
  const postgresPid = postmasterPid(path.join(root, '.data', 'bench-postgres'));
  const floorCpuBefore = treeCpuSeconds(postgresPid);
  const floorMs = await floorScan(db.url, asOf);
  const floorCpu = (treeCpuSeconds(postgresPid) - floorCpuBefore) / runs;

  const binary = ensureTemporalCli(path.resolve('.cache'), (m) => console.error(m));
  temporalServer = await startTemporalDevServerOnFreePorts({ binary, ui: false });
  const taskQueue = 'bench-scoring';
  const worker = spawn(process.execPath, ['dist/src/bin/worker.js'], {
    env: { ...process.env, DATABASE_URL: db.url, TEMPORAL_ADDRESS: temporalServer.address, TEMPORAL_TASK_QUEUE: taskQueue, WORKER_METRICS_PORT: '0', RESCORE_SCHEDULE: 'off', PLAYBOOK_TRIGGERS_SCHEDULE: 'off', RUN_RECONCILIATION_SCHEDULE: 'off', MESSAGE_CHANNEL: 'off', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(worker);
  await new Promise<void>((resolve, reject) => {
    worker.stdout!.on('data', (d: Buffer) => d.toString().includes('"worker polling"') && resolve());
    worker.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });

  const temporal = await connectTemporal(temporalServer.address, 'default');
  const cpuOf = () => ({ postgres: treeCpuSeconds(postgresPid), worker: treeCpuSeconds(worker.pid!), temporal: treeCpuSeconds(temporalServer!.pid!) });

  /** One nightly rescore: its wall time, the CPU time of each process, and where its time went. */
  const rescore = async (day: string) => {
    const cpuBefore = cpuOf();
    const started = performance.now();
    const handle = await temporal.client.workflow.start<typeof rescoreCustomerBase>('rescoreCustomerBase', {
      workflowId: `rescore/bench-${Date.now()}`,
      taskQueue,
      args: [{ trigger: 'bench', asOf: day, policy }],
    });
    // Phase boundaries from the progress query, to show where the time goes.
    const phaseStart = new Map<RescorePhase, number>();
    let polling: Promise<unknown> = Promise.resolve();
    const poll = setInterval(() => {
      polling = handle
        .query(rescoreProgressQuery)
        .then((p) => {
          if (!phaseStart.has(p.phase)) phaseStart.set(p.phase, performance.now() - started);
        })
        .catch(() => undefined);
    }, 200);
    const result = await handle.result();
    const ms = performance.now() - started;
    const cpuAfter = cpuOf();
    clearInterval(poll);
    // A query still on its way would be retried on a closed connection.
    await polling;
    const cpu = { postgres: cpuAfter.postgres - cpuBefore.postgres, worker: cpuAfter.worker - cpuBefore.worker, temporal: cpuAfter.temporal - cpuBefore.temporal };
    const at = (phase: RescorePhase) => phaseStart.get(phase);
    const phases = (['gathering', 'fitting', 'scoring', 'completing'] as RescorePhase[])
      .map((p, i, all) => {
        const from = at(p);
        // A phase too short for the progress poll to see ends where the next one seen starts.
        const to = all.slice(i + 1).map(at).find((t) => t !== undefined) ?? ms;
        return from !== undefined ? `${p} ${seconds(to - from)} s` : null;
      })
      .filter(Boolean)
      .join(', ');
    return { day, ms, cpu, cpuTotal: cpu.postgres + cpu.worker + cpu.temporal, phases, result };
  };

  const done: Awaited<ReturnType<typeof rescore>>[] = [];
  for (let i = 0; i < rescores; i++) {
    const day = i === 0 ? asOf : await nextAsOf();
    console.error(`rescoring ${customers} customers (${orders} orders) as of ${day}...`);
    done.push(await rescore(day));
  }
  await client.end();
  await temporal.close();
  const rss = worker.pid ? Number(readFileSync(`/proc/${worker.pid}/status`, 'utf8').match(/VmHWM:\s+(\d+)/)?.[1] ?? 0) / 1024 : 0;
  // The run of median wall time stands for all of them.
  const typicalMs = median(done.map((r) => r.ms));
  const typical = done.find((r) => r.ms === typicalMs)!;
  const { cpu, cpuTotal, phases, result } = typical;
  const rescoreMs = typical.ms;

  console.error('timing the BG/NBD fit on CDNOW master...');
  const cdnow = cdnowFit();

  const ratio = rescoreMs / floorMs;
  const table = [
    '| measurement | time | ratio to the floor |',
    '|---|---|---|',
    `| floor: one bare aggregate scan of the orders (median of ${runs}) | ${seconds(floorMs)} s | 1.0x |`,
    `| full rescore, rescore workflow, ${result.customersScored} customers, ${result.pages} pages (median of ${done.length}: ${done.map((r) => `${seconds(r.ms)} s`).join(', ')}) | ${seconds(rescoreMs)} s | ${ratio.toFixed(1)}x |`,
    `| BG/NBD fit on CDNOW master, ${cdnow.customers} customers (median of ${runs}) | ${seconds(cdnow.ms)} s | |`,
  ].join('\n');
  const section = `## Scoring (bench:scoring)

Run ${new Date().toISOString().slice(0, 10)} on this ${os.cpus().length}-core machine (shared, noisy: compare ratios, not absolute numbers).
Command: \`npm run bench:scoring\` (BENCH_CUSTOMERS=${customers}, BENCH_ORDERS_PER_CUSTOMER=${ordersPerCustomer}: ${orders} orders; one embedded PostgreSQL 18, a Temporal dev server, one worker process; policy page size ${policy.pageSize}, ${policy.pageConcurrency} pages at a time).
The rescore writes one snapshot per customer holding its 6 to 8 scores (RFM, churn risk, CLV, behaviour change, profitability, payment loyalty, referral value, persistent issue), each with its reasons. These rescores scored the base as of ${done.map((r) => r.day).join(', ')}: each the day after the previous benchmark run on this database (the first scores ${FIRST_AS_OF}), so their scores change from the last ones as a nightly run's would.

${table}

Where the median rescore's time goes (from the workflow's progress query): ${phases}. Worker peak RSS ${rss.toFixed(0)} MB.

CPU time, which the neighbours' load moves less than wall time: the median rescore used ${cpuTotal.toFixed(1)} s (PostgreSQL ${cpu.postgres.toFixed(1)} s, worker ${cpu.worker.toFixed(1)} s, Temporal server ${cpu.temporal.toFixed(1)} s); one floor scan ${floorCpu.toFixed(1)} s of PostgreSQL CPU (its parallel workers included): ${(cpuTotal / floorCpu).toFixed(1)}x. All rescores: ${done.map((r) => `${r.cpuTotal.toFixed(1)} s`).join(', ')}.

Targets: full rescore <= 60 s: ${rescoreMs <= 60_000 ? 'met' : 'not met'}; <= 3x the floor: ${ratio <= 3 ? 'met' : 'not met'} (${ratio.toFixed(1)}x).
`;
  await writeBenchmarkSection(section);
  console.log(section);
} finally {
  for (const c of children) c.kill('SIGTERM');
  await temporalServer?.stop();
  await db.stop();
}
