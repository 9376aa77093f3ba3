import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { isRunning, readOwnership } from '../src/dev/left-running.js';
import { freePort, waitFor } from '../src/dev/ports.js';
import { createTestDatabase } from './support/database.js';

/** `npm start` (dist/src/bin/start.js) refuses a mistyped setting before it starts anything. */
it('says what is wrong with a setting as one line, having started no server', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'start-'));
  try {
    const { DATABASE_URL: _db, TEMPORAL_ADDRESS: _temporal, ...env } = process.env;
    const start = spawnSync(process.execPath, [path.resolve('dist/src/bin/start.js')], { env: { ...env, DATA_DIR: dataDir, CURRENCY: 'JPY' }, encoding: 'utf8', timeout: 60_000 });
    expect(start.status).toBe(1);
    expect(start.stderr.trim()).toBe('npm start: CURRENCY must be a currency with 2 decimals, as amounts are imported and stored; JPY has 0 in ISO 4217');
    // No PostgreSQL data folder, no Temporal database, no keys: nothing was started or written.
    expect(await readdir(dataDir)).toEqual([]);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

/** API_KEYS (parsed by the API) and HOST (first used by the API's listen) are checked with the rest, not after migrations and the worker (QA 58 F2). */
it.each([
  [{ API_KEYS: 'admin:short' }, 'npm start: API_KEYS: the admin key is shorter than 16 characters'],
  [{ API_KEYS: 'boss:0123456789abcdef0' }, 'npm start: API_KEYS: "boss" is not a role (viewer, marketer, operator, admin)'],
  [{ HOST: 'no.such.host.invalid' }, 'npm start: HOST must be an address of this machine for the API to listen on, got "no.such.host.invalid" (no such name)'],
  [{ DEMO_DATA: 'no' }, 'npm start: DEMO_DATA must be on or off, got "no"'],
])('says a wrong %j as one line, having started no server', async (setting, line) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'start-'));
  try {
    const { DATABASE_URL: _db, TEMPORAL_ADDRESS: _temporal, ...env } = process.env;
    const start = spawnSync(process.execPath, [path.resolve('dist/src/bin/start.js')], { env: { ...env, DATA_DIR: dataDir, ...setting }, encoding: 'utf8', timeout: 60_000 });
    expect([start.status, start.stderr.trim()]).toEqual([1, line]);
    expect(await readdir(dataDir)).toEqual([]);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

/** An empty LOG_LEVEL= (a blank line of an env file) is unset, as the API and the worker take it: npm start's own logger crashed on it with a pino stack (QA 71 F7). */
it('takes an empty LOG_LEVEL as unset', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'start-'));
  try {
    // A database that is not there ends the start at once, after its logger is made, without starting a server.
    const missing = new URL(process.env.DATABASE_URL!);
    missing.pathname = '/no_such_database_for_start';
    const { NODE_ENV: _nodeEnv, ...env } = process.env;
    const start = spawnSync(process.execPath, [path.resolve('dist/src/bin/start.js')], { env: { ...env, DATA_DIR: dataDir, LOG_LEVEL: '', DATABASE_URL: missing.toString(), TEMPORAL_ADDRESS: '127.0.0.1:1' }, encoding: 'utf8', timeout: 60_000 });
    expect(start.stderr).not.toContain('default level');
    expect(start.stdout).toContain('"level":50');
    expect(start.stdout).toContain('no_such_database_for_start');
    expect(start.status).toBe(1);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

/**
 * `npm start` (dist/src/bin/start.js) run with `env`: its output as it comes (`out()`), whether it has ended, and its
 * exit code once its output is all read ('close'; at 'exit' its last lines, the servers' stops, may still be in the pipe).
 */
function startNpm(env: NodeJS.ProcessEnv, options: { detached?: boolean } = {}) {
  const child = spawn(process.execPath, [path.resolve('dist/src/bin/start.js')], { env, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  let ended = false;
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  void exited.then(() => (ended = true));
  return { child, exited, out: () => out, ended: () => ended };
}

/** DEMO_DATA=off: a team loading its own data (CDNOW through the import) gets npm start's system on an empty database. */
it('leaves an empty database empty with DEMO_DATA=off, and starts the rest', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'start-no-demo-'));
  const database = await createTestDatabase('nodemo');
  const port = await freePort();
  // The test's own PostgreSQL and Temporal (DATABASE_URL, TEMPORAL_ADDRESS): npm start starts neither, on a task queue of its own.
  const { child: start, exited, out, ended } = startNpm({ ...process.env, DATA_DIR: dataDir, DATABASE_URL: database.url, TEMPORAL_TASK_QUEUE: `no-demo-${port}`, PORT: String(port), WORKER_METRICS_PORT: '0', DEMO_DATA: 'off', LOG_LEVEL: 'info' });
  try {
    await waitFor(async () => ended() || out().includes(`http://127.0.0.1:${port}/graphql`), 'npm start to print its banner', 120_000, 200);
    expect(ended()).toBe(false);
    expect(out()).toContain('DEMO_DATA=off: no demo data loaded');
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    try {
      expect((await db.query<{ n: string }>('select count(*) as n from customer')).rows[0].n).toBe('0');
      // Nothing to score: no first-day rescore was started.
      expect((await db.query<{ n: string }>('select count(*) as n from scoring_run')).rows[0].n).toBe('0');
    } finally {
      await db.end();
    }
    expect(await readdir(dataDir)).not.toContain('demo-first-day.pending');
    start.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    if (!ended()) {
      start.kill('SIGKILL');
      await exited;
    }
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}, 180_000);

/**
 * Ctrl-C in a terminal sends SIGINT to the whole foreground process group. The servers npm start starts are not in
 * it: they stop after the API has answered what it was answering and the worker has drained (QA 58 F1), as the README says.
 */
it('stops in order on Ctrl-C to its whole process group: a request in flight is answered, then the servers stop', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'start-ctrl-c-'));
  const [port, pgPort, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const adminKey = 'admin-key-for-ctrl-c-0123456789';
  const { DATABASE_URL: _db, TEMPORAL_ADDRESS: _temporal, ...env } = process.env;
  // Its own process group, as a shell gives the command it runs in the foreground.
  const { child: start, exited, out, ended } = startNpm(
    { ...env, DATA_DIR: dataDir, PORT: String(port), PGPORT: String(pgPort), TEMPORAL_PORT: String(temporalPort), TEMPORAL_UI_PORT: String(uiPort), WORKER_METRICS_PORT: '0', API_KEYS: `admin:${adminKey}`, LOG_LEVEL: 'info' },
    { detached: true },
  );
  const locker = new pg.Client({ connectionString: `postgres://retention:retention@127.0.0.1:${pgPort}/retention` });
  // (Without the servers in a group of their own, PostgreSQL's shutdown ends this session: said by the expectations below.)
  locker.on('error', () => undefined);
  try {
    await waitFor(async () => ended() || out().includes('demo data scored'), 'npm start to run and score its demo data', 120_000, 200);
    expect(ended()).toBe(false);
    // The banner names the database for the command-line tools (npm run import), which need it as DATABASE_URL,
    expect(out()).toContain(`export DATABASE_URL=postgres://retention:retention@127.0.0.1:${pgPort}/retention for npm run import`);
    // And the Temporal server it started for npm run migrate, which registers the search attributes.
    expect(out()).toContain(`export TEMPORAL_ADDRESS=127.0.0.1:${temporalPort}`);
    const servers = [readOwnership(path.join(dataDir, 'postgres.owner.json'))!.pid, readOwnership(path.join(dataDir, 'temporal.owner.json'))!.pid];

    // A request held in flight: it waits for a lock held here.
    await locker.connect();
    await locker.query('begin');
    await locker.query('lock table customer in access exclusive mode');
    // Who waits for it already (the worker's delivery round reads customers too), so that the request's own wait is told apart.
    const waiting = async () =>
      (await locker.query<{ pid: number }>(`select a.pid from pg_stat_activity a join pg_locks l on l.pid = a.pid where l.relation = 'customer'::regclass and not l.granted`)).rows.map((r) => r.pid);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = new Set(await waiting());
    const answer = fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ query: '{ customers(first: 3, sort: { field: Name, direction: Asc }) { edges { node { name } } } }' }),
    }).then(async (response) => ({ status: response.status, body: (await response.json()) as { data?: { customers: { edges: unknown[] } }; errors?: unknown[] } }));
    await waitFor(async () => (await waiting()).some((pid) => !before.has(pid)), 'the request to wait for the lock', 20_000, 50);

    process.kill(-start.pid!, 'SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // PostgreSQL did not take the terminal's SIGINT (its fast shutdown would have ended this session), nor did Temporal.
    expect(servers.map(isRunning)).toEqual([true, true]);
    await locker.query('commit');
    await locker.end();

    const { status, body } = await answer;
    expect(body.errors).toBeUndefined();
    expect([status, body.data?.customers.edges.length]).toEqual([200, 3]);
    expect(await exited).toBe(0);
    const stopped = out().split('\n').filter((line) => line.includes('stopped"')).map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(stopped).toEqual(['API stopped', 'worker stopped', 'Temporal dev server stopped', 'PostgreSQL stopped']);
    expect(out()).not.toMatch(/terminating connection|did not stop cleanly|shutdown_worker rpc errored/);
    // PostgreSQL was asked to shut down once, by npm start, at its end.
    expect((await readFile(path.join(dataDir, 'postgres.log'), 'utf8')).match(/received fast shutdown request/g)).toHaveLength(1);
    expect(servers.map(isRunning)).toEqual([false, false]);
  } finally {
    await locker.end().catch(() => undefined);
    if (!ended()) {
      start.kill('SIGTERM');
      await exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  }
}, 180_000);
