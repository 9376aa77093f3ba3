import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { holdToDatabaseCurrency } from '../src/app/process-database.js';
import { ConfigError } from '../src/config/config.js';
import { createOrm, migrateUp, type Orm } from '../src/db/orm.js';
import { createTestDatabase } from './support/database.js';

/**
 * Amounts are stored as minor units without their currency: the first process to use a database
 * records its CURRENCY, and a worker or an API started later with another refuses to start,
 * instead of showing or dunning every amount in the wrong currency.
 */
let orm: Orm;
let db: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  db = await createTestDatabase('cur');
  orm = await createOrm(db.url);
  await migrateUp(orm);
});
afterAll(async () => {
  await orm?.close();
  await db?.drop();
});

const recorded = async () => orm.em.getConnection().execute<{ name: string; value: string }[]>(`select name, value from deployment_setting where name = 'currency'`);

it('records the currency of the first process and holds every later one to it', async () => {
  expect(await recorded()).toEqual([]);
  await holdToDatabaseCurrency(orm, 'EUR');
  await holdToDatabaseCurrency(orm, 'EUR');
  const refused = await holdToDatabaseCurrency(orm, 'CHF').catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(ConfigError);
  expect((refused as Error).message).toMatch(/^CURRENCY is CHF, but the amounts in this database are in EUR \(recorded when it was first used\): set CURRENCY=EUR\./);
  expect(await recorded()).toEqual([{ name: 'currency', value: 'EUR' }]);
});

it('keeps a worker and an API with another CURRENCY from starting, saying which the database holds', async () => {
  await holdToDatabaseCurrency(orm, 'EUR');
  for (const bin of ['worker', 'api']) {
    const started = spawnSync(process.execPath, [path.resolve(`dist/src/bin/${bin}.js`)], {
      // No Temporal server at that address: a process that got past the check would fail there, saying something else.
      env: { ...process.env, DATABASE_URL: db.url, CURRENCY: 'CHF', TEMPORAL_ADDRESS: '127.0.0.1:1', PORT: '0', WORKER_METRICS_PORT: '0', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(`${bin}: ${started.stderr}`).toContain('CURRENCY is CHF, but the amounts in this database are in EUR');
    expect(started.status).not.toBe(0);
  }
}, 90_000);
