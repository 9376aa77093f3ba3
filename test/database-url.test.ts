import { spawnSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { assertMigrated, createMigratedOrm, createOrm } from '../src/db/orm.js';
import { listenToChannel } from '../src/db/notifications.js';
import { createLogger } from '../src/logger.js';
import { createTestDatabase } from './support/database.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  db = await createTestDatabase('url');
});
afterAll(async () => {
  await db?.drop();
});

const withQuery = (url: string, query: string) => `${url}${url.includes('?') ? '&' : '?'}${query}`;
const databases = async () => {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<{ datname: string }>('select datname from pg_database')).rows.map((r) => r.datname);
  } finally {
    await client.end();
  }
};

/** A process of the platform with DATABASE_URL `url` (Temporal unreachable: each checks the database first). */
const start = (bin: 'api' | 'worker' | 'migrate', url: string) =>
  spawnSync(process.execPath, [path.resolve(`dist/src/bin/${bin}.js`)], {
    env: { ...process.env, DATABASE_URL: url, TEMPORAL_ADDRESS: '127.0.0.1:1', PORT: '0', WORKER_METRICS_PORT: '0', LOG_LEVEL: 'silent', NODE_ENV: 'test' },
    encoding: 'utf8',
    timeout: 30_000,
  });

// The test's PostgreSQL (embedded) speaks no TLS: a connection that asks for it must fail, not fall back to clear text.
describe('the TLS settings of DATABASE_URL (sslmode) hold for every connection', () => {
  it("the ORM's pool asks for TLS with sslmode=require: refused by a server without it, instead of connecting in clear", async () => {
    const orm = await createOrm(withQuery(db.url, 'sslmode=require'));
    try {
      await expect(assertMigrated(orm)).rejects.toThrow(/does not support SSL/);
    } finally {
      await orm.close();
    }
  });

  it('connects with sslmode=disable (and the URL\'s other parameters, such as application_name, reach the server)', async () => {
    const orm = await createOrm(withQuery(db.url, 'sslmode=disable&application_name=url-test'));
    try {
      expect(await orm.em.getConnection().execute(`select current_setting('application_name') as name, current_setting('TimeZone') as zone`)).toEqual([{ name: 'url-test', zone: 'UTC' }]);
    } finally {
      await orm.close();
    }
  });

  it("keeps the session's UTC with the URL's own options, both applied", async () => {
    const orm = await createOrm(withQuery(db.url, `options=${encodeURIComponent('-c statement_timeout=4321')}`));
    try {
      expect(await orm.em.getConnection().execute(`select current_setting('statement_timeout') as timeout, current_setting('TimeZone') as zone`)).toEqual([{ timeout: '4321ms', zone: 'UTC' }]);
    } finally {
      await orm.close();
    }
  });

  it('the LISTEN connection asks for TLS the same way', async () => {
    const errors: unknown[] = [];
    const listener = listenToChannel(withQuery(db.url, 'sslmode=require'), 'url_test', { onMessage: () => undefined, onListening: () => undefined, onError: (e) => errors.push(e), maxRetryMs: 60_000 });
    try {
      for (let i = 0; i < 50 && !errors.length; i++) await new Promise((r) => setTimeout(r, 100));
      expect(String(errors[0])).toMatch(/does not support SSL/);
    } finally {
      await listener.close();
    }
  });

  it('an API, a worker and migrate with sslmode=require end naming the refusal, instead of working over a connection in clear', () => {
    for (const bin of ['api', 'worker', 'migrate'] as const) {
      const started = start(bin, withQuery(db.url, 'sslmode=require'));
      expect(started.stderr).toMatch(new RegExp(`^${bin}: .*does not support SSL`, 'm'));
      expect(started.status).toBe(1);
    }
  });
});

describe('a database DATABASE_URL names that does not exist', () => {
  it('is not created: the start ends naming it and DATABASE_URL', async () => {
    const url = new URL(db.url);
    url.pathname = `/${db.name}_missing`;
    await expect(createMigratedOrm(url.toString(), createLogger('silent', 'test'))).rejects.toThrow(`DATABASE_URL names the database "${db.name}_missing", which does not exist on that server`);
    expect(await databases()).not.toContain(`${db.name}_missing`);
  });

  it('an API, a worker and migrate end with one line naming it, and create nothing', async () => {
    const url = new URL(db.url);
    url.pathname = `/${db.name}_typo`;
    for (const bin of ['api', 'worker', 'migrate'] as const) {
      const started = start(bin, url.toString());
      expect(started.stderr).toContain(`${bin}: DATABASE_URL names the database "${db.name}_typo", which does not exist on that server`);
      expect(started.status).toBe(1);
    }
    expect(await databases()).not.toContain(`${db.name}_typo`);
  }, 60_000);
});
