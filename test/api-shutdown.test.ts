import pg from 'pg';
import { startApiProcess } from '../src/app/api-process.js';
import { loadConfig } from '../src/config/config.js';
import { createOrm, migrateUp } from '../src/db/orm.js';
import { createLogger } from '../src/logger.js';
import { createTestDatabase } from './support/database.js';

/**
 * A stop (SIGTERM) while a request runs longer than the drain grace (QA 71 F8): the process used to wait for the
 * statement (a lock held 25 s: past compose's stop_grace_period), then log "driver has already been destroyed" at
 * error level. Now the statement is cancelled after the grace, the stop ends within seconds of it, and nothing is
 * logged as an error.
 */
it('ends within the grace and a few seconds when a request outlasts it, cancelling its statement, with no error line', async () => {
  const db = await createTestDatabase('stop');
  const setup = await createOrm(db.url);
  await migrateUp(setup);
  await setup.close();
  const lines: Array<Record<string, unknown>> = [];
  const key = 'stop-test-admin-key-0123456789';
  const config = loadConfig({ ...process.env, DATABASE_URL: db.url, PORT: '0', NODE_ENV: 'test', API_KEYS: `admin:${key}`, TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS });
  const api = await startApiProcess(config, createLogger('info', 'api', { write: (line: string) => void lines.push(JSON.parse(line)) }), undefined, { drainMs: 1_000 });
  const locker = new pg.Client({ connectionString: db.url });
  await locker.connect();
  try {
    await locker.query('begin');
    await locker.query('lock table customer in access exclusive mode');
    const request = fetch(api.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: '{ customers(first: 2) { totalCount } }' }),
    }).then(
      (response) => response.status,
      () => 'cut off',
    );
    // The request waits on the lock.
    for (let i = 0; i < 50; i++) {
      const { rows } = await locker.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
      if (rows[0].n > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const started = Date.now();
    await api.stop();
    const took = Date.now() - started;
    // The grace (1 s here, 10 s in production), then the cancel: not the 30 s statement timeout, nor the lock's holder.
    expect(took).toBeLessThan(5_000);
    expect(await request).toBe('cut off');
    await new Promise((r) => setTimeout(r, 200));
    expect(lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
    expect(lines.some((l) => String(l.msg).startsWith('cancelled 1 statement(s)'))).toBe(true);
  } finally {
    await locker.end();
    await db.drop();
  }
}, 60_000);
