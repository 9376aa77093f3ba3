import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

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
