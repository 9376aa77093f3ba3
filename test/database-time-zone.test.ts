import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { apiOrmOptions, createOrm, migrateUp, type Orm } from '../src/db/orm.js';
import { Customer, MessageChannel, MessagePurpose, OutboxMessage, ServiceTier } from '../src/entities/index.js';
import { FairnessReportService } from '../src/services/reports/fairness-report.service.js';
import { createTestDatabase } from './support/database.js';

/**
 * The platform's days are UTC days (the API's "today", a report's `since`, an import's checks of
 * days), also on a database whose default time zone is another (a managed PostgreSQL's often is):
 * every connection it opens asks for UTC. The fairness report read `since` as midnight in the
 * database's zone.
 */
const FAR_WEST = 'Pacific/Pago_Pago';
let db: Awaited<ReturnType<typeof createTestDatabase>>;
const opened: Orm[] = [];

beforeAll(async () => {
  db = await createTestDatabase('tz');
  const orm = await createOrm(db.url);
  await migrateUp(orm);
  await orm.em.getConnection().execute(`alter database "${db.name}" set timezone to '${FAR_WEST}'`);
  await orm.close();
});
afterAll(async () => {
  for (const orm of opened) await orm.close();
  await db?.drop();
});

const zoneOf = async (orm: Orm) => {
  const [row] = await orm.em.getConnection().execute<{ zone: string; today_is_utc: boolean }[]>(
    `select current_setting('TimeZone') as zone, current_date = (now() at time zone 'UTC')::date as today_is_utc`,
  );
  return row;
};

it('a plain connection to the database lives in its default zone (what the platform must not rely on)', async () => {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    expect((await client.query<{ zone: string }>(`select current_setting('TimeZone') as zone`)).rows[0].zone).toBe(FAR_WEST);
  } finally {
    await client.end();
  }
});

it('the API\'s and the worker\'s connections work in UTC, whatever the database\'s default zone', async () => {
  const api = await createOrm(db.url, apiOrmOptions());
  const worker = await createOrm(db.url);
  opened.push(api, worker);
  expect(await zoneOf(api)).toEqual({ zone: 'UTC', today_is_utc: true });
  expect(await zoneOf(worker)).toEqual({ zone: 'UTC', today_is_utc: true });
});

it('a report\'s since is a UTC day: the fairness report counts a message written early in it, whatever the database\'s zone', async () => {
  const orm = await createOrm(db.url);
  opened.push(orm);
  const em = orm.em.fork();
  const today = new Date().toISOString().slice(0, 10);
  const customer = em.create(Customer, { name: 'Tala Zone', email: 'tala@example.com', acquiredAt: '2024-01-01', serviceTier: ServiceTier.Basic });
  // Written in the first minute of the UTC day, hours before the day begins where the database's zone is.
  em.create(OutboxMessage, { idempotencyKey: 'tz/early', customer, channel: MessageChannel.Email, purpose: MessagePurpose.Service, template: 'reminder-friendly', payload: {}, createdAt: new Date(`${today}T00:00:30Z`), sentAt: new Date(`${today}T00:00:40Z`) });
  await em.flush();
  const bands = await new FairnessReportService(orm.em.fork()).byLoyaltyBand(today);
  expect(bands.reduce((sent, band) => sent + band.messagesSent, 0)).toBe(1);
});

/** The session options a process started with PGOPTIONS asks for, connecting to `databaseUrl`. */
function optionsUnderPgOptions(databaseUrl: string): string {
  const connection = JSON.stringify(pathToFileURL(path.resolve('dist/src/db/connection.js')).href);
  const read = spawnSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${connection}); process.stdout.write(m.postgresConnection(${JSON.stringify(databaseUrl)}).options);`], {
    env: { ...process.env, PGOPTIONS: '-c statement_timeout=4321 -c TimeZone=Asia/Tokyo' },
    encoding: 'utf8',
  });
  return read.stdout;
}

it('keeps what an operator put in PGOPTIONS, and still asks for UTC after it', async () => {
  const client = new pg.Client({ connectionString: db.url, options: optionsUnderPgOptions(db.url) });
  await client.connect();
  try {
    const { rows } = await client.query<{ zone: string; timeout: string }>(`select current_setting('TimeZone') as zone, current_setting('statement_timeout') as timeout`);
    expect(rows[0]).toEqual({ zone: 'UTC', timeout: '4321ms' });
  } finally {
    await client.end();
  }
});

it("takes DATABASE_URL's options instead of PGOPTIONS, as libpq does, and still asks for UTC after them", () => {
  const url = new URL('postgres://retention@db.example.com/retention');
  url.searchParams.set('options', '-c statement_timeout=99');
  expect(optionsUnderPgOptions(url.toString())).toBe('-c statement_timeout=99 -c TimeZone=UTC');
  expect(optionsUnderPgOptions('postgres://retention@db.example.com/retention')).toBe('-c statement_timeout=4321 -c TimeZone=Asia/Tokyo -c TimeZone=UTC');
});
