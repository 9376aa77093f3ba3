import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';

/**
 * The servers `npm start` starts run in process groups of their own, stopped by it only. Killed
 * without a chance to stop them (kill -9, an out-of-memory kill, a crash), it leaves them running, and the next start
 * would only reuse them and never stop them. So each start writes down, beside the server's
 * data, which process owns the server; the next start that finds the server running while its
 * owner is gone takes it over and stops it at its own end, as if it had started it. A server
 * whose owner still runs (a second `npm start` beside the first) stays the owner's.
 */
export interface Ownership {
  /** The `npm start` process that stops the server. */
  owner: number;
  /** When that process started (clock ticks since boot): its ID may go to another program once it is gone. */
  ownerStartedAt: string | null;
  /** The server's own process. */
  pid: number;
}

/** The fields of /proc/<pid>/stat from the third on (state, parent, ...; the command name before them is in parentheses), or null without /proc. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** True while the process exists and is not a zombie waiting for its parent to reap it. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it runs, as another user (PostgreSQL under root runs as its own user).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return statFields(pid)?.[0] !== 'Z';
}

/** When a process started (the 22nd field of /proc/<pid>/stat), or null where it cannot be read. */
function startedAt(pid: number): string | null {
  return statFields(pid)?.[19] ?? null;
}

/** Whether the recorded owner still runs: the same process, not another that was given its ID since. */
const ownerRuns = (recorded: Ownership) => isRunning(recorded.owner) && startedAt(recorded.owner) === recorded.ownerStartedAt;

/** Who owns the server `file` names, and its process; null when nothing (readable) is recorded. */
export function readOwnership(file: string): Ownership | null {
  try {
    const recorded = JSON.parse(readFileSync(file, 'utf8')) as Ownership;
    return Number.isInteger(recorded.owner) && Number.isInteger(recorded.pid) ? { ...recorded, ownerStartedAt: recorded.ownerStartedAt ?? null } : null;
  } catch {
    return null;
  }
}

/** Records this process as the owner of the server `pid`. */
export async function claim(file: string, pid: number): Promise<void> {
  await writeFile(file, JSON.stringify({ owner: process.pid, ownerStartedAt: startedAt(process.pid), pid } satisfies Ownership));
}

/** Forgets the ownership, once the server has stopped. */
export async function release(file: string): Promise<void> {
  await rm(file, { force: true });
}

/**
 * The server process `file` names when its owner is gone and it still runs as that server
 * (`isServer`, which guards against a process ID the system gave to another program since);
 * this process is then recorded as its owner. Null when there is nothing to take over.
 */
export async function takeOverLeftRunning(file: string, isServer: (pid: number) => boolean): Promise<number | null> {
  const recorded = readOwnership(file);
  if (!recorded || ownerRuns(recorded) || !isRunning(recorded.pid) || !isServer(recorded.pid)) return null;
  await claim(file, recorded.pid);
  return recorded.pid;
}

/** Asks a process to stop with `signal` and waits until it has; after `timeoutMs` it is killed. */
export async function stopProcess(pid: number, signal: NodeJS.Signals, timeoutMs = 30_000): Promise<void> {
  const gone = () => !isRunning(pid);
  const send = (s: NodeJS.Signals) => {
    try {
      process.kill(pid, s);
    } catch {
      // Already gone.
    }
  };
  send(signal);
  const deadline = Date.now() + timeoutMs;
  while (!gone()) {
    if (Date.now() > deadline) {
      send('SIGKILL');
      while (!gone()) await new Promise((r) => setTimeout(r, 100));
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops the server `pid` (as `stopProcess`) and forgets its ownership, once stopped, where it was recorded in `ownerFile`. */
export async function stopOwned(pid: number, signal: NodeJS.Signals, ownerFile: string | undefined, timeoutMs?: number): Promise<void> {
  await stopProcess(pid, signal, timeoutMs);
  if (ownerFile) await release(ownerFile);
}

/** The command line of a process, or '' when it cannot be read (no /proc, or gone). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}
