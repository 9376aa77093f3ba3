import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { checkDeploymentSettings, holdToDatabaseCurrency, openProcessDatabase } from '../src/app/process-database.js';
import { createLogger } from '../src/logger.js';
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

it('refuses to start while the deployment setting runs-name-campaign-since holds no time, naming it (review 40)', async () => {
  const conn = orm.em.getConnection();
  const set = (value: string) => conn.execute(`update deployment_setting set value = ? where name = 'runs-name-campaign-since'`, [value]);
  expect(await conn.execute(`select value from deployment_setting where name = 'runs-name-campaign-since'`)).toEqual([{ value: '-infinity' }]);
  try {
    for (const good of ['-infinity', '2026-12-05T05:30:00.123456Z', '2026-12-05 05:30:00+01']) {
      await set(good);
      await expect(checkDeploymentSettings(orm)).resolves.toBeUndefined();
    }
    for (const bad of ['last week', 'yesterday', '2026-13-05T05:30:00Z', '']) {
      await set(bad);
      const refused = await checkDeploymentSettings(orm).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ConfigError);
      expect((refused as Error).message).toContain(`The deployment setting runs-name-campaign-since holds "${bad}", which is no time`);
    }
    // As an API or a worker opens its database.
    await holdToDatabaseCurrency(orm, 'EUR');
    await expect(openProcessDatabase(db.url, 'EUR', createLogger('silent', 'test'))).rejects.toThrow('runs-name-campaign-since holds ""');
  } finally {
    await set('-infinity');
  }
});
