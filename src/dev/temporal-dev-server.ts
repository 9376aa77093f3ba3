import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { claim, commandLine, isRunning, readOwnership, release, stopOwned, takeOverLeftRunning } from './left-running.js';
import { freePort, isPortOpen, waitFor } from './ports.js';

/** The newest Temporal CLI tag that `go install pkg@version` accepts (no replace directives). */
const TEMPORAL_CLI_VERSION = 'v1.5.1';
const TEMPORAL_CLI_MODULE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`;

export interface TemporalDevServer {
  address: string;
  uiUrl: string | null;
  startedHere: boolean;
  /** A reused server whose `npm start` is gone (killed): stop() stops it. */
  takenOver: boolean;
  /** The server's process, when started here (benchmarks count its CPU time). */
  pid: number | null;
  stop(): Promise<void>;
}

/**
 * The Temporal CLI binary: $TEMPORAL_CLI if set, else the project's cached build,
 * else built once from its Go module into the cache (a few minutes, cached after).
 */
export function ensureTemporalCli(cacheDir: string, log: (msg: string) => void = () => undefined): string {
  if (process.env.TEMPORAL_CLI) {
    if (!existsSync(process.env.TEMPORAL_CLI)) throw new Error(`TEMPORAL_CLI points to ${process.env.TEMPORAL_CLI}, which does not exist`);
    return process.env.TEMPORAL_CLI;
  }
  const binDir = path.resolve(cacheDir, 'temporal', TEMPORAL_CLI_VERSION);
  const binary = path.join(binDir, 'temporal');
  if (existsSync(binary)) return binary;

  // Go may be installed without being on PATH (e.g. /usr/local/go/bin on Debian images).
  const go = ['go', '/usr/local/go/bin/go'].find((cmd) => spawnSync(cmd, ['version']).status === 0);
  if (!go) {
    throw new Error(
      'No Temporal server found and Go is not installed to build one. Either install Go >= 1.25, ' +
        'or set TEMPORAL_CLI to a `temporal` binary (https://temporal.io/setup), or set TEMPORAL_ADDRESS to a running server.',
    );
  }
  log(`Building the Temporal CLI ${TEMPORAL_CLI_VERSION} from its Go module (first time only, takes a few minutes)...`);
  const build = spawnSync(go, ['install', TEMPORAL_CLI_MODULE], {
    env: { ...process.env, GOBIN: binDir, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  // A build another process killed ends with a signal and no exit code: say which.
  if (build.status !== 0 || !existsSync(binary)) throw new Error(`go install ${TEMPORAL_CLI_MODULE} failed (${build.signal ? `killed by ${build.signal}; run it again` : `exit ${build.status}`})`);
  return binary;
}

async function isTemporalServer(address: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 2000 });
    await connection.withDeadline(Date.now() + 2000, () => connection!.workflowService.getSystemInfo({}));
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/**
 * A dev server on ports the OS reports free (tests and benchmarks, which start several
 * servers side by side). A port can be taken between that report and the server binding
 * it, by this or one of the server's own randomly chosen ports: a server that stops while
 * starting is tried again on new ports, up to `attempts` times.
 */
export async function startTemporalDevServerOnFreePorts(opts: { binary: string; ui: boolean; attempts?: number; log?: (msg: string) => void }): Promise<TemporalDevServer> {
  const attempts = opts.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startTemporalDevServer({ binary: opts.binary, port: await freePort(), uiPort: opts.ui ? await freePort() : null, log: opts.log });
    } catch (error) {
      if (attempt >= attempts || !(error instanceof DevServerStartError)) throw error;
      opts.log?.(`the Temporal dev server stopped while starting (attempt ${attempt} of ${attempts}); trying new ports`);
    }
  }
}

/**
 * Two dev servers on one SQLite file take each other's shards and fail their tasks: a start on another
 * port than the server of this data folder that still runs (a killed start's, or another start's) is refused.
 */
function refuseSecondServer(ownerFile: string, dbFile: string): void {
  const recorded = readOwnership(ownerFile);
  if (!recorded || !isRunning(recorded.pid)) return;
  const port = devServerPort(recorded.pid);
  if (port === null || !commandLine(recorded.pid).includes(` --db-filename ${dbFile} `)) return;
  throw new Error(`This project's Temporal dev server (process ${recorded.pid}) runs on port ${port} with ${dbFile}: set TEMPORAL_PORT=${port} to use it, or stop it first (kill ${recorded.pid}).`);
}

/**
 * The SQLite file of the `temporal server start-dev` process on `port` of this machine (null: in
 * memory), or undefined when no such process is found (a Temporal server of another kind, or
 * another user's): what tells this data folder's server from another checkout's.
 */
function devServerFileOnPort(port: number): string | null | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    if (devServerPort(Number(pid)) !== String(port)) continue;
    const file = / --db-filename (\S+) /.exec(commandLine(Number(pid)))?.[1];
    if (!file) return null;
    try {
      // As it was given (`.data/temporal.sqlite` in every checkout), from the folder the server was started in.
      return path.resolve(readlinkSync(`/proc/${pid}/cwd`), file);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The port a `temporal server start-dev` process listens on, or null when the process is not one. */
function devServerPort(pid: number): string | null {
  const line = commandLine(pid);
  return / start-dev /.test(line) ? (/ --port (\d+) /.exec(line)?.[1] ?? null) : null;
}

/** The dev server process ended before it answered. */
export class DevServerStartError extends Error {}

/**
 * A real Temporal server (`temporal server start-dev`: SQLite persistence, UI built in).
 * A server already answering on the port (a second `npm start`) is reused.
 */
export async function startTemporalDevServer(opts: {
  binary: string;
  port: number;
  uiPort: number | null;
  /** SQLite file; omit to keep state in memory (tests). */
  dbFile?: string;
  /**
   * Where the server writes what it prints; omitted, it prints to this process (tests). A server that
   * outlives this process (killed) must not print to it: its next line would end it (SIGPIPE).
   */
  logFile?: string;
  log?: (msg: string) => void;
  /** Where this process records that it owns the server, to take over one a killed owner left running (see left-running.ts). */
  ownerFile?: string;
  /**
   * The server in a process group (and session) of its own, stopped by this process only (`npm start`, which stops it
   * after the worker has drained): a terminal's Ctrl-C signals its whole foreground group, and would stop it at once.
   * Without it (tests), the server goes with its group's Ctrl-C.
   */
  ownProcessGroup?: boolean;
}): Promise<TemporalDevServer> {
  const address = `127.0.0.1:${opts.port}`;
  const uiUrl = opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : null;
  if (await isPortOpen(opts.port)) {
    if (await isTemporalServer(address)) {
      // A dev server of another data folder (another checkout's, a git worktree beside this one) is not this one's:
      // its workers would run this folder's activities against another database.
      const theirs = opts.dbFile ? devServerFileOnPort(opts.port) : undefined;
      if (theirs !== undefined && theirs !== path.resolve(opts.dbFile!)) {
        throw new Error(`Port ${opts.port} is held by a Temporal dev server of another data folder (${theirs ?? 'in memory'}), not ${path.resolve(opts.dbFile!)}: set TEMPORAL_PORT to another port, or TEMPORAL_ADDRESS=${address} to use it on purpose.`);
      }
      const pid = opts.ownerFile ? await takeOverLeftRunning(opts.ownerFile, (p) => devServerPort(p) === String(opts.port)) : null;
      if (pid === null) return { address, uiUrl, startedHere: false, takenOver: false, pid: null, stop: async () => undefined };
      return { address, uiUrl, startedHere: false, takenOver: true, pid, stop: () => stopOwned(pid, 'SIGTERM', opts.ownerFile, 10_000) };
    }
    throw new Error(`Port ${opts.port} is held by a program that is not a Temporal server. Stop it, or set TEMPORAL_PORT, or set TEMPORAL_ADDRESS.`);
  }
  // Before the UI's port, which that server may hold: the user's mistake is the port, not the UI's.
  if (opts.dbFile && opts.ownerFile) refuseSecondServer(opts.ownerFile, opts.dbFile);
  if (opts.uiPort && (await isPortOpen(opts.uiPort))) {
    throw new Error(`Port ${opts.uiPort} (Temporal UI) is already in use. Stop what holds it or set TEMPORAL_UI_PORT.`);
  }

  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--log-level', 'warn', '--namespace', 'default'];
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  if (opts.dbFile) {
    await mkdir(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  const fd = opts.logFile ? openSync(opts.logFile, 'a') : null;
  // What it prints from here on: the error if it stops while starting.
  const logged = fd !== null ? { fd, from: fstatSync(fd).size } : null;
  const child: ChildProcess = spawn(opts.binary, args, { stdio: ['ignore', logged?.fd ?? 'pipe', logged?.fd ?? 'pipe'], detached: opts.ownProcessGroup ?? false });
  if (logged) closeSync(logged.fd);
  // Claimed at once: a start killed while its server comes up leaves it on record, for the next start to take over.
  if (opts.ownerFile && child.pid) await claim(opts.ownerFile, child.pid);
  let exited: string | null = null;
  child.once('exit', (code, signal) => {
    exited = `exit ${code ?? signal}`;
  });
  // The first chunks (where a panic says why) and the last ones, for the error if it stops.
  const head: string[] = [];
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    if (head.length < 10) {
      head.push(chunk.toString());
    } else {
      tail.push(chunk.toString());
      if (tail.length > 40) tail.shift();
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  try {
    await waitFor(async () => {
      if (exited) {
        const printed = logged ? readFileSync(opts.logFile!).subarray(logged.from).toString() : `${head.join('')}${tail.length ? `\n...\n${tail.join('')}` : ''}`;
        throw new DevServerStartError(`temporal server start-dev stopped (${exited}):\n${printed.length > 6000 ? `${printed.slice(0, 2000)}\n...\n${printed.slice(-4000)}` : printed}`);
      }
      return isTemporalServer(address);
    }, 'the Temporal dev server', 90_000, 300);
  } catch (error) {
    child.kill('SIGKILL');
    if (opts.ownerFile) await release(opts.ownerFile);
    throw error;
  }

  return {
    address,
    uiUrl,
    startedHere: true,
    takenOver: false,
    pid: child.pid ?? null,
    stop: async () => {
      // Ended by itself already (it failed, or someone stopped it): its process ID may be another program's by now.
      if (exited) return opts.ownerFile ? release(opts.ownerFile) : undefined;
      await stopOwned(child.pid!, 'SIGTERM', opts.ownerFile, 10_000);
    },
  };
}
