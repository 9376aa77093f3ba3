import './require-node.js';
import 'reflect-metadata';
import pg from 'pg';
import { createOrm, migrateUp } from '../db/orm.js';
import { postgresConnection } from '../db/connection.js';
import { copyDemoData, demoTables } from '../dev/demo-loader.js';
import { isCalendarDay } from '../domain/dates.js';
import { fail, parseCommandLine } from './cli-errors.js';

/**
 * `npm run demo-data -- --customers 100000 [--orders-per-customer 20] [--seed 42] [--as-of YYYY-MM-DD] [--reset]`
 * Loads the reproducible demo data set into DATABASE_URL (migrating it first); by default as `npm start`
 * loads it: 250 customers, 20 orders each, as of today. Refuses a database that already has customers
 * unless --reset is given, and a reset while playbook runs, a rescore or a campaign are under way (they
 * would go on against the replaced data). Exit codes: 0 loaded; 1 refused (customers there already, or work
 * under way); 2 wrong usage (an unknown option, a count that is no whole number, no customers) or no DATABASE_URL. `--help` prints the usage.
 */
const usage = 'usage: npm run demo-data -- [--customers <n, default 250>] [--orders-per-customer <n, default 20>] [--seed <n, default 42>] [--as-of YYYY-MM-DD, default today] [--reset]';

const args = parseCommandLine(
  {
    options: {
      customers: { type: 'string', default: '250' },
      'orders-per-customer': { type: 'string', default: '20' },
      seed: { type: 'string', default: '42' },
      'as-of': { type: 'string', default: new Date().toISOString().slice(0, 10) },
      reset: { type: 'boolean', default: false },
    },
  },
  usage,
);
const { values } = args;

/** An option's whole number, at least `min`, written in digits; anything else is wrong usage. */
function wholeNumber(option: 'customers' | 'orders-per-customer' | 'seed', min: number): number {
  const text = values[option];
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min) fail(2, `--${option} must be a whole number of ${min} or more (got "${text}")\n${usage}`);
  return n;
}
// A demo of no customers would load nothing (and, with --reset, only wipe the data): surely a mistyped count.
const customers = wholeNumber('customers', 1);
// No orders is a demo still (customers who never bought); the seed only picks the draws.
const ordersPerCustomer = wholeNumber('orders-per-customer', 0);
const seed = wholeNumber('seed', 0);
const asOf = values['as-of'];
if (!isCalendarDay(asOf)) fail(2, `--as-of must be a day (YYYY-MM-DD), got "${asOf}"\n${usage}`);

const url = process.env.DATABASE_URL;
if (!url) fail(2, 'Set DATABASE_URL to the database to load.');

const orm = await createOrm(url);
await migrateUp(orm);
await orm.close();

const client = new pg.Client(postgresConnection(url));
await client.connect();
const existing = Number((await client.query<{ n: string }>('select count(*) as n from customer')).rows[0].n);
if (existing > 0 && !values.reset) {
  console.error(`The database already has ${existing} customers; add --reset to replace all customer data.`);
  process.exit(1);
}
if (values.reset) {
  const [{ runs, rescores, campaigns }] = (
    await client.query<{ runs: number; rescores: number; campaigns: number }>(
      `select (select count(*)::int from playbook_run where status = 'running') as runs, (select count(*)::int from scoring_run where status = 'running') as rescores,
              (select count(*)::int from campaign where status in ('scheduled', 'running', 'paused')) as campaigns`,
    )
  ).rows;
  if (runs > 0 || rescores > 0 || campaigns > 0) {
    console.error(
      `${runs} playbook runs, ${rescores} rescores and ${campaigns} campaigns are under way: they would go on against the replaced data. ` +
        'Cancel them (cancelPlaybookRun, cancelRescore, cancelCampaign) or load into an empty database (npm start with a new DATA_DIR).',
    );
    process.exit(1);
  }
  // The scoring runs go too: a rescore recorded as done would tell the metrics the new customers are scored.
  await client.query(`truncate ${demoTables.join(', ')}, scoring_run cascade`);
}
await client.end();

const started = Date.now();
const counts = await copyDemoData(url, { customers, ordersPerCustomer, seed, asOf: new Date(`${asOf}T00:00:00Z`) }, (table, done) => {
  process.stderr.write(`\r${table}: ${done} of ${customers} customers`);
});
process.stderr.write('\nLoaded. No customer is scored yet: start a rescore (startRescore, admin) or wait for the nightly one.\n');
console.log(JSON.stringify({ counts, seconds: (Date.now() - started) / 1000, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
