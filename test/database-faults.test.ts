import { stallingProxy } from './support/stalling-proxy.js';
import pg from 'pg';
import { loadConfig } from '../src/config/config.js';
import { apiOrmOptions, createOrm, migrateUp, type Orm } from '../src/db/orm.js';
import { createApi, type Api } from '../src/http/api-server.js';
import { createLogger } from '../src/logger.js';
import { connectTemporal, type TemporalClient } from '../src/temporal/client.js';
import { createTestDatabase } from './support/database.js';

/**
 * PostgreSQL failing under the API: hanging (stopped, overloaded, a network path dropping
 * packets) rather than refusing, where the API answers UNAVAILABLE within its deadlines instead
 * of holding requests open (the database reached through a proxy that can stop passing bytes
 * while its sockets stay open); and ending connections in the middle of transactions.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let proxy: Awaited<ReturnType<typeof stallingProxy>>;
let orm: Orm;
let temporal: TemporalClient;
let api: Api;
const KEY = 'test-viewer-key-0123456789';
/** The test database's URL through the proxy. */
const viaProxyUrl = () => {
  const viaProxy = new URL(db.url);
  viaProxy.port = String(proxy.port);
  return viaProxy.toString();
};

beforeAll(async () => {
  db = await createTestDatabase('hang');
  const target = new URL(db.url);
  proxy = await stallingProxy(target.hostname, Number(target.port));
  const config = loadConfig({ ...process.env, DATABASE_URL: viaProxyUrl(), TEMPORAL_ADDRESS: '127.0.0.1:1', API_KEYS: `viewer:${KEY}` });
  orm = await createOrm(config.databaseUrl, apiOrmOptions({ connectionTimeoutMillis: 1_000, statement_timeout: 1_000, query_timeout: 1_500 }));
  await migrateUp(orm);
  temporal = await connectTemporal(config.temporal.address, config.temporal.namespace, { lazy: true });
  api = await createApi({ config, orm, temporal, logger: createLogger('silent', 'api') });
}, 60_000);

afterAll(async () => {
  proxy?.resume();
  await api?.stop();
  await orm?.close();
  await temporal?.close();
  await proxy?.close();
  await db?.drop();
});

const ask = async () => {
  const response = await api.apollo.executeOperation({ query: '{ customers(first: 1) { totalCount } }' }, { contextValue: await api.contextFor(`Bearer ${KEY}`) });
  return response.body.kind === 'single' ? response.body.singleResult : null;
};

it('answers UNAVAILABLE within its deadlines while PostgreSQL hangs, and answers again once it does', async () => {
  expect((await ask())?.data).toEqual({ customers: { totalCount: 0 } });

  proxy.stall();
  // Connections held by the pool wait for an answer (the statement deadline), new ones for the handshake (the connect deadline).
  for (let i = 0; i < 2; i++) {
    const started = Date.now();
    const answer = await ask();
    expect(answer?.errors?.[0].extensions).toMatchObject({ code: 'UNAVAILABLE', reason: 'DATABASE_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(10_000);
  }

  proxy.resume();
  const back = async () => (await ask())?.data;
  const deadline = Date.now() + 15_000;
  let data = await back();
  while (!data && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 300));
    data = await back();
  }
  expect(data).toEqual({ customers: { totalCount: 0 } });
}, 60_000);

it('answers UNAVAILABLE/DATABASE_TIMEOUT, not unreachable, for a statement PostgreSQL cancelled at the statement timeout', async () => {
  // An API whose statements PostgreSQL cancels after 1 s, reached directly, its own deadline for an answer far beyond that.
  const direct = await createOrm(db.url, apiOrmOptions({ connectionTimeoutMillis: 5_000, statement_timeout: 1_000, query_timeout: 15_000 }));
  const config = loadConfig({ ...process.env, DATABASE_URL: db.url, TEMPORAL_ADDRESS: '127.0.0.1:1', API_KEYS: `viewer:${KEY}` });
  const slowApi = await createApi({ config, orm: direct, temporal, logger: createLogger('silent', 'api') });
  const askSlowApi = async () => {
    const response = await slowApi.apollo.executeOperation({ query: '{ customers(first: 1) { totalCount } }' }, { contextValue: await slowApi.contextFor(`Bearer ${KEY}`) });
    return response.body.kind === 'single' ? response.body.singleResult : null;
  };
  // Another task (an import, say) holds what the request needs for longer than the API gives a statement.
  const holder = new pg.Client({ connectionString: db.url });
  await holder.connect();
  try {
    await holder.query('begin');
    await holder.query('lock table customer in access exclusive mode');
    const answer = await askSlowApi();
    expect(answer?.errors?.[0]).toMatchObject({ message: expect.stringMatching(/did not finish this request in the time the API gives a statement/), extensions: { code: 'UNAVAILABLE', reason: 'DATABASE_TIMEOUT' } });
    await holder.query('rollback');
    expect((await askSlowApi())?.data).toEqual({ customers: { totalCount: 0 } });
  } finally {
    await holder.end();
    await slowApi.stop();
    await direct.close();
  }
});

it("keeps an operator's dashboard answering when its status cannot be read in time or Temporal cannot be reached: only those fields are null", async () => {
  const direct = await createOrm(db.url, apiOrmOptions({ connectionTimeoutMillis: 5_000, statement_timeout: 1_000, query_timeout: 15_000 }));
  const config = loadConfig({ ...process.env, DATABASE_URL: db.url, TEMPORAL_ADDRESS: '127.0.0.1:1', API_KEYS: `operator:${KEY}` });
  const dashboardApi = await createApi({ config, orm: direct, temporal, logger: createLogger('silent', 'api') });
  const holder = new pg.Client({ connectionString: db.url });
  await holder.connect();
  try {
    // Delivery's table held by another task for longer than the API gives a statement.
    await holder.query('begin');
    await holder.query('lock table outbox_message in access exclusive mode');
    const query = '{ operationsStatus { dueMessages } runningPlaybookRuns(first: 1) { totalCount } customers(first: 1) { totalCount } }';
    const response = await dashboardApi.apollo.executeOperation({ query }, { contextValue: await dashboardApi.contextFor(`Bearer ${KEY}`) });
    const answer = response.body.kind === 'single' ? response.body.singleResult : null;
    expect(answer?.data).toEqual({ operationsStatus: null, runningPlaybookRuns: null, customers: { totalCount: 0 } });
    expect(Object.fromEntries(answer!.errors!.map((e) => [e.path![0], e.extensions!.reason]))).toEqual({ operationsStatus: 'DATABASE_TIMEOUT', runningPlaybookRuns: 'PLAYBOOK_ENGINE_UNAVAILABLE' });
  } finally {
    await holder.query('rollback');
    await holder.end();
    await dashboardApi.stop();
    await direct.close();
  }
}, 30_000);

it("keeps Temporal's gauges in /metrics while PostgreSQL hangs: only the database's figures are left out", async () => {
  // Temporal answers (the test server), PostgreSQL is reached through the proxy; a task queue of its own, with no schedules in place.
  const taskQueue = `database-faults-${process.pid}-${Date.now()}`;
  const config = loadConfig({ ...process.env, DATABASE_URL: viaProxyUrl(), PORT: '0', TEMPORAL_TASK_QUEUE: taskQueue, API_KEYS: `viewer:${KEY}` });
  const reachable = await connectTemporal(config.temporal.address, config.temporal.namespace);
  const metricsApi = await createApi({ config, orm, temporal: reachable, logger: createLogger('silent', 'api') });
  const metric = (text: string, name: string) => Number(new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
  try {
    const url = (await metricsApi.listen()).url.replace(/\/graphql$/, '/metrics');
    const scrape = async () => (await fetch(url)).text();
    const before = await scrape();
    expect(metric(before, 'retention_operations_status_up')).toBe(1);
    expect(metric(before, 'retention_fix_cases_open')).toBe(0);
    expect(metric(before, 'retention_temporal_up')).toBe(1);

    proxy.stall();
    // Past the one-second reuse of a scrape's reading.
    await new Promise((r) => setTimeout(r, 1_100));
    const started = Date.now();
    const during = await scrape();
    expect(Date.now() - started).toBeLessThan(5_000);
    // The database's figures are left out, not stale ...
    expect(metric(during, 'retention_operations_status_up')).toBe(0);
    expect(during.match(/^retention_(outbox|rescore|fix_cases|invoices|customers|playbook_runs)\w*(\{.*\})? .*$/gm)).toBeNull();
    // ... while Temporal's stand: it answers, no worker polls this queue, and none of the deployment's schedules is in place for it.
    expect(metric(during, 'retention_temporal_up')).toBe(1);
    expect(metric(during, 'retention_workers_polling')).toBe(0);
    expect(during.match(/^retention_schedule_exists\{schedule="[a-z-]+"\} 0$/gm)).toHaveLength(5);
  } finally {
    proxy.resume();
    await metricsApi.stop();
    await reachable.close();
  }
}, 60_000);

it('gives back to the pool the connection of a transaction PostgreSQL ended, so a restart or a failover does not use the pool up', async () => {
  // Two connections at most: each transaction below loses its own (kysely before 0.29.9 kept such a connection checked out for good).
  const small = await createOrm(db.url, { ...apiOrmOptions({ connectionTimeoutMillis: 2_000, statement_timeout: 5_000, query_timeout: 6_000 }), pool: { min: 0, max: 2 } });
  try {
    for (let i = 0; i < 3; i++) {
      await expect(small.em.fork().transactional((em) => em.execute('select pg_terminate_backend(pg_backend_pid())'))).rejects.toThrow(/terminating connection/);
    }
    expect(await small.em.fork().execute('select 42 as answer')).toEqual([{ answer: 42 }]);
  } finally {
    await small.close();
  }
}, 30_000);

it('has PostgreSQL cancel a statement over its deadline, rolling its transaction back and leaving the connection fit to reuse', async () => {
  const one = await createOrm(db.url, { ...apiOrmOptions({ connectionTimeoutMillis: 2_000, statement_timeout: 300, query_timeout: 5_000 }), pool: { min: 0, max: 1 } });
  try {
    await one.em.getConnection().execute('create table if not exists deadline_probe (n int)');
    const slow = one.em.fork().transactional(async (em) => {
      await em.execute('insert into deadline_probe values (1)');
      await em.execute('select pg_sleep(2)');
    });
    await expect(slow).rejects.toThrow(/canceling statement due to statement timeout/);
    // Nothing half-written, and the pool's one connection answers at once.
    const started = Date.now();
    expect(await one.em.fork().execute('select count(*)::int as n from deadline_probe')).toEqual([{ n: 0 }]);
    expect(Date.now() - started).toBeLessThan(1_000);
  } finally {
    await one.close();
  }
}, 30_000);
