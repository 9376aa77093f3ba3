import type { Options } from 'express-rate-limit';
import { createOrm, migrateUp, type Orm } from '../src/db/orm.js';
import { PostgresRateLimitStore } from '../src/http/rate-limit-store.js';
import { createTestDatabase } from './support/database.js';

/** The rate-limit counts every API process shares, on the real PostgreSQL. */
let orm: Orm;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
const stores: PostgresRateLimitStore[] = [];

beforeAll(async () => {
  db = await createTestDatabase('ratelimit');
  orm = await createOrm(db.url);
  await migrateUp(orm);
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.shutdown()));
  await orm?.close();
  await db?.drop();
});

/** A store that shares only when told (sync), so the test decides when the processes hear of each other. */
const storeWithWindow = (windowMs: number) => {
  const store = new PostgresRateLimitStore(
    () => orm.em.fork().getKysely(),
    {
      syncFailed: (error) => {
        throw error;
      },
    },
    3_600_000,
  );
  store.init({ windowMs } as Options);
  stores.push(store);
  return store;
};
const rows = () => orm.em.getConnection().execute<{ key: string; hits: number }[]>(`select key, hits from rate_limit_hit order by key`);

it('counts at once in the process, and across processes once they have shared their counts', async () => {
  const [a, b] = [storeWithWindow(60_000), storeWithWindow(60_000)];
  const first = a.increment('key:shared');
  expect(first.totalHits).toBe(1);
  // Windows are aligned to the clock: every process ends this one at the same minute.
  expect(first.resetTime!.getTime() % 60_000).toBe(0);
  expect(first.resetTime!.getTime()).toBeGreaterThan(Date.now());
  expect(a.increment('key:shared').totalHits).toBe(2);
  // Before sharing, b knows only its own.
  expect(b.increment('key:shared').totalHits).toBe(1);
  await a.sync();
  await b.sync();
  expect((await rows()).find((r) => r.key === 'key:shared')?.hits).toBe(3);
  // b heard a's two with its own sync; a hears b's at its next.
  expect(b.increment('key:shared')).toEqual({ totalHits: 4, resetTime: first.resetTime });
  await a.sync();
  expect(a.get('key:shared')).toEqual({ totalHits: 3, resetTime: first.resetTime });
  await b.sync();
  await a.sync();
  expect(a.get('key:shared')?.totalHits).toBe(4);
  expect(a.get('key:never-seen')).toBeUndefined();
  // Nothing new counted: a sync adds nothing.
  await a.sync();
  expect((await rows()).find((r) => r.key === 'key:shared')?.hits).toBe(4);
});

it('takes back a request that is not counted, in the shared count too', async () => {
  const store = storeWithWindow(60_000);
  store.increment('ip:192.0.2.9');
  store.increment('ip:192.0.2.9');
  await store.sync();
  store.decrement('ip:192.0.2.9');
  expect(store.get('ip:192.0.2.9')?.totalHits).toBe(1);
  await store.sync();
  expect((await rows()).find((r) => r.key === 'ip:192.0.2.9')?.hits).toBe(1);
});

it('starts again once the window has ended, in the process and in the shared row', async () => {
  const store = storeWithWindow(400);
  // Start right after a window boundary, so both counts fall in one window.
  await new Promise((resolve) => setTimeout(resolve, 400 - (Date.now() % 400) + 10));
  store.increment('key:short');
  expect(store.increment('key:short').totalHits).toBe(2);
  await store.sync();
  await new Promise((resolve) => setTimeout(resolve, 400));
  expect(store.get('key:short')).toBeUndefined();
  expect(store.increment('key:short').totalHits).toBe(1);
  await store.sync();
  expect((await rows()).find((r) => r.key === 'key:short')?.hits).toBe(1);
  await store.resetKey('key:short');
  expect((await rows()).map((r) => r.key)).not.toContain('key:short');
  expect(store.get('key:short')).toBeUndefined();
});

it('deletes the rows of ended windows', async () => {
  const store = storeWithWindow(300);
  store.increment('key:swept');
  await store.sync();
  expect((await rows()).map((r) => r.key)).toContain('key:swept');
  await new Promise((resolve) => setTimeout(resolve, 650));
  await store.sync();
  expect((await rows()).map((r) => r.key)).not.toContain('key:swept');
});

it('shares its counts on its own, every so often', async () => {
  const store = new PostgresRateLimitStore(() => orm.em.fork().getKysely(), {}, 50);
  store.init({ windowMs: 60_000 } as Options);
  stores.push(store);
  store.increment('key:by-itself');
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect((await rows()).find((r) => r.key === 'key:by-itself')?.hits).toBe(1);
});

/** A store over a database that is down (unless `startUp`) until `up()`, down again after `down()`, and what it reported. */
function storeOverOutage(windowMs: number, startUp = false) {
  let down = !startUp;
  const reports: string[] = [];
  const store = new PostgresRateLimitStore(
    () => {
      if (down) throw new Error('connection refused');
      return orm.em.fork().getKysely();
    },
    { syncFailed: (error) => reports.push(`failed: ${(error as Error).message}`), syncWorksAgain: () => reports.push('works again') },
    3_600_000,
  );
  store.init({ windowMs } as Options);
  stores.push(store);
  return { store, reports, up: () => (down = false), down: () => (down = true) };
}

it('reports a failing database once, counts alone meanwhile, and shares what it counted once the database works again', async () => {
  const { store, reports, up } = storeOverOutage(60_000);
  store.increment('key:outage');
  await store.sync();
  store.increment('key:outage');
  await store.sync();
  expect(reports).toEqual(['failed: connection refused']);
  expect(store.get('key:outage')?.totalHits).toBe(2);
  up();
  await store.sync();
  expect(reports).toEqual(['failed: connection refused', 'works again']);
  expect((await rows()).find((r) => r.key === 'key:outage')?.hits).toBe(2);
});

it('does not say the database works again after a failure until a sync reached it, also with nothing left to share', async () => {
  const windowMs = 1_000;
  const { store, reports, up, down } = storeOverOutage(windowMs, true);
  // Late in a window: a sync that works (its sweep of ended windows done), then the database goes.
  await new Promise((resolve) => setTimeout(resolve, windowMs - (Date.now() % windowMs) + 800));
  await store.sync();
  down();
  store.increment('key:short-window');
  await store.sync();
  // The window ends: nothing left to share, the next sweep not due yet, and the database still down.
  await new Promise((resolve) => setTimeout(resolve, windowMs - (Date.now() % windowMs) + 50));
  await store.sync();
  expect(reports).toEqual(['failed: connection refused']);
  up();
  await store.sync();
  expect(reports).toEqual(['failed: connection refused', 'works again']);
});
