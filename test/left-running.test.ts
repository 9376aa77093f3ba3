import { spawn } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../src/dev/embedded-postgres.js';
import { isRunning, type Ownership } from '../src/dev/left-running.js';
import { freePort, isPortOpen, waitFor } from '../src/dev/ports.js';
import { ensureTemporalCli, startTemporalDevServer } from '../src/dev/temporal-dev-server.js';

/**
 * `npm start` killed with SIGKILL leaves its PostgreSQL and Temporal dev server running. The
 * next start reuses them and now also stops them at its end; while their own start still runs,
 * they stay its own.
 */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'left-running-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const temporalOf = (port: number, uiPort: number) => ({
  binary: ensureTemporalCli(path.resolve('.cache')),
  port,
  uiPort,
  dbFile: path.join(dir, 'temporal.sqlite'),
  logFile: path.join(dir, 'temporal.log'),
  ownerFile: path.join(dir, 'temporal.owner.json'),
});
const owned = async (name: string) => JSON.parse(await readFile(path.join(dir, `${name}.owner.json`), 'utf8')) as Ownership;

it('leaves the mode of the folder its data folder is in as it was, but for letting its server in: a data folder right under a /tmp keeps /tmp writable by all', async () => {
  // (As /tmp is, in a folder everyone may enter.)
  await chmod(dir, 0o755);
  const shared = path.join(dir, 'shared-tmp');
  await mkdir(shared);
  await chmod(shared, 0o1777);
  const pg = await startEmbeddedPostgres({ dataDir: path.join(shared, 'postgres'), port: await freePort(), database: 'retention', handleSignals: false });
  try {
    expect(((await stat(shared)).mode & 0o7777).toString(8)).toBe('1777');
  } finally {
    await pg.stop();
  }
}, 60_000);

it('takes over the servers of a start that was killed, and stops them at its end', async () => {
  const [pgPort, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
  const holder = spawn(process.execPath, [path.resolve('dist/test/support/hold-dev-servers.js'), dir, String(pgPort), String(temporalPort), String(uiPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    holder.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    holder.once('exit', (code) => reject(new Error(`the holder exited (${code}) before its servers ran`)));
  });
  const startAgain = () =>
    Promise.all([
      startEmbeddedPostgres({ dataDir: path.join(dir, 'postgres'), port: pgPort, database: 'retention', handleSignals: false, ownerFile: path.join(dir, 'postgres.owner.json') }),
      startTemporalDevServer(temporalOf(temporalPort, uiPort)),
    ]);
  const [pgOwned, temporalOwned] = [await owned('postgres'), await owned('temporal')];
  expect(pgOwned.owner).toBe(holder.pid);
  expect(temporalOwned.owner).toBe(holder.pid);

  // Its start still runs: the servers are reused and stay its own.
  const [pgBeside, temporalBeside] = await startAgain();
  expect([pgBeside.startedHere, pgBeside.takenOver, temporalBeside.startedHere, temporalBeside.takenOver]).toEqual([false, false, false, false]);
  await Promise.all([pgBeside.stop(), temporalBeside.stop()]);
  expect(isRunning(pgOwned.pid) && isRunning(temporalOwned.pid)).toBe(true);
  expect((await owned('postgres')).owner).toBe(holder.pid);

  // The Temporal server prints to a file, not to its start: killed, the start takes no reader of its output away.
  expect(await readlink(`/proc/${temporalOwned.pid}/fd/1`)).toBe(path.join(dir, 'temporal.log'));

  holder.kill('SIGKILL');
  await waitFor(async () => !isRunning(holder.pid!), 'the killed start to be gone', 10_000, 50);
  expect(isRunning(pgOwned.pid) && isRunning(temporalOwned.pid)).toBe(true);

  // A second PostgreSQL on the same data folder, on another port, is refused before it could record itself as the owner.
  await expect(startEmbeddedPostgres({ dataDir: path.join(dir, 'postgres'), port: await freePort(), database: 'retention', handleSignals: false, ownerFile: path.join(dir, 'postgres.owner.json') })).rejects.toThrow(
    `runs on port ${pgPort} with ${path.join(dir, 'postgres')}: set PGPORT=${pgPort}`,
  );
  expect(await owned('postgres')).toEqual(pgOwned);
  // A second Temporal server on the same database, on another port, is refused: it would fight the first over its shards.
  // (The UI's port is the one the first server holds, as npm start's default is: the error names the server's port.)
  await expect(startTemporalDevServer(temporalOf(await freePort(), uiPort))).rejects.toThrow(`runs on port ${temporalPort} with ${path.join(dir, 'temporal.sqlite')}: set TEMPORAL_PORT=${temporalPort}`);
  expect(await owned('temporal')).toEqual(temporalOwned);
  // Another data folder (another checkout: a git worktree beside this one) asking for these servers' ports is refused, not
  // handed this folder's database and Temporal (QA 43 F1).
  const other = path.join(dir, 'other');
  await expect(startEmbeddedPostgres({ dataDir: path.join(other, 'postgres'), port: pgPort, database: 'retention', handleSignals: false, ownerFile: path.join(other, 'postgres.owner.json') })).rejects.toThrow(
    `Port ${pgPort} is held by this project's PostgreSQL of another data folder`,
  );
  const otherTemporal = { ...temporalOf(temporalPort, uiPort), dbFile: path.join(other, 'temporal.sqlite'), logFile: path.join(other, 'temporal.log'), ownerFile: path.join(other, 'temporal.owner.json') };
  await expect(startTemporalDevServer(otherTemporal)).rejects.toThrow(`Port ${temporalPort} is held by a Temporal dev server of another data folder (${path.join(dir, 'temporal.sqlite')})`);

  const [pg, temporal] = await startAgain();
  expect([pg.startedHere, pg.takenOver, temporal.startedHere, temporal.takenOver]).toEqual([false, true, false, true]);
  expect(await owned('postgres')).toMatchObject({ owner: process.pid, pid: pgOwned.pid });
  expect(await owned('temporal')).toMatchObject({ owner: process.pid, pid: temporalOwned.pid });

  await Promise.all([pg.stop(), temporal.stop()]);
  expect([isRunning(pgOwned.pid), isRunning(temporalOwned.pid)]).toEqual([false, false]);
  expect([await isPortOpen(pgPort), await isPortOpen(temporalPort)]).toEqual([false, false]);
  expect([existsSync(path.join(dir, 'postgres.owner.json')), existsSync(path.join(dir, 'temporal.owner.json'))]).toEqual([false, false]);

  // Stopped cleanly: the next start starts them again, as its own (on ports free now: one just given up may be taken at
  // once by another process's outgoing connection, as any port of that range may).
  const [pgNext, temporalNext] = await Promise.all([
    startEmbeddedPostgres({ dataDir: path.join(dir, 'postgres'), port: await freePort(), database: 'retention', handleSignals: false, ownerFile: path.join(dir, 'postgres.owner.json') }),
    startTemporalDevServer(temporalOf(await freePort(), await freePort())),
  ]);
  try {
    expect([pgNext.startedHere, temporalNext.startedHere]).toEqual([true, true]);
    expect((await owned('postgres')).owner).toBe(process.pid);
  } finally {
    await Promise.all([pgNext.stop(), temporalNext.stop()]);
  }
}, 180_000);
