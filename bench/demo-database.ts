import { spawnSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import 'reflect-metadata';
import { createOrm, migrateUp } from '../src/db/orm.js';
import { startEmbeddedPostgres } from '../src/dev/embedded-postgres.js';
import { freePort } from '../src/dev/ports.js';

/**
 * The benchmarks' database: an embedded PostgreSQL in .data/bench-postgres (kept between
 * runs), migrated, holding the demo generator's data set at the requested size (loaded
 * again only when the customer count differs).
 */
/** The day the benchmarks' demo data ends: the day the demo loader's history ended before it defaulted to today. */
const DEMO_AS_OF = '2026-11-01';

export async function startDemoDatabase(customers: number, ordersPerCustomer: number) {
  const server = await startEmbeddedPostgres({ dataDir: path.join(process.cwd(), '.data', 'bench-postgres'), port: await freePort(), database: 'bench' });
  try {
    const orm = await createOrm(server.url);
    await migrateUp(orm);
    await orm.close();
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    const count = Number((await client.query<{ n: string }>('select count(*) as n from customer')).rows[0].n);
    await client.end();
    if (count !== customers) {
      console.error(`seeding ${customers} customers with about ${ordersPerCustomer} orders each...`);
      // As of a fixed day, so every benchmark scores the same data (the command's default is today).
      const run = spawnSync(process.execPath, ['dist/src/bin/demo-data.js', '--customers', String(customers), '--orders-per-customer', String(ordersPerCustomer), '--as-of', DEMO_AS_OF, '--reset'], {
        env: { ...process.env, DATABASE_URL: server.url },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      if (run.status !== 0) throw new Error('demo data load failed');
    }
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}
