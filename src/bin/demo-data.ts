import './require-node.js';
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createOrm, migrateUp } from '../db/orm.js';
import { copyDemoData, demoTables } from '../dev/demo-loader.js';

/**
 * `npm run demo-data -- --customers 100000 [--orders-per-customer 20] [--seed 42] [--reset]`
 * Loads the reproducible demo data set into DATABASE_URL (migrating it first).
 * Refuses a database that already has customers unless --reset is given.
 */
const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '250' },
    'orders-per-customer': { type: 'string', default: '6' },
    seed: { type: 'string', default: '42' },
    reset: { type: 'boolean', default: false },
  },
});
const url = process.env.DATABASE_URL;
if (!url) {
  console.error('Set DATABASE_URL to the database to load.');
  process.exit(2);
}
const customers = Number(values.customers);
const ordersPerCustomer = Number(values['orders-per-customer']);
const seed = Number(values.seed);
if (![customers, ordersPerCustomer, seed].every((n) => Number.isInteger(n) && n >= 0)) {
  console.error('--customers, --orders-per-customer and --seed must be whole numbers');
  process.exit(2);
}

const orm = await createOrm(url);
await migrateUp(orm);
await orm.close();

const client = new pg.Client({ connectionString: url });
await client.connect();
const existing = Number((await client.query<{ n: string }>('select count(*) as n from customer')).rows[0].n);
if (existing > 0 && !values.reset) {
  console.error(`The database already has ${existing} customers; add --reset to replace all customer data.`);
  process.exit(1);
}
if (values.reset) await client.query(`truncate ${demoTables.join(', ')} cascade`);
await client.end();

const started = Date.now();
const counts = await copyDemoData(url, { customers, ordersPerCustomer, seed }, (table, done) => {
  process.stderr.write(`\r${table}: ${done} of ${customers} customers`);
});
process.stderr.write('\n');
console.log(JSON.stringify({ counts, seconds: (Date.now() - started) / 1000, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
