import { spawnSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { createOrm, migrateUp, type Orm } from '../src/db/orm.js';
import { demoCustomers } from '../src/dev/demo-data.js';
import { loadDemoDataIfEmpty } from '../src/dev/demo-loader.js';
import { createTestDatabase } from './support/database.js';

let orm: Orm;
let db: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  db = await createTestDatabase('demo');
  orm = await createOrm(db.url);
  await migrateUp(orm);
});
afterAll(async () => {
  await orm?.close();
  await db?.drop();
});

const count = async (table: string) => {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return Number((await client.query(`select count(*) as n from ${table}`)).rows[0].n);
  } finally {
    await client.end();
  }
};

it('loads exactly what the generator produces, with intact references, and only into an empty database', async () => {
  expect(await loadDemoDataIfEmpty(orm.em.fork(), 300)).toBe(300);
  const expected = [...demoCustomers({ customers: 300 })];
  expect(await count('customer')).toBe(300);
  expect(await count('customer_order')).toBe(expected.reduce((s, c) => s + c.orders.length, 0));
  expect(await count('invoice')).toBe(expected.reduce((s, c) => s + c.invoices.length, 0));
  expect(await count('payment')).toBe(expected.reduce((s, c) => s + c.payments.length, 0));
  expect(await count('complaint')).toBe(expected.reduce((s, c) => s + c.complaints.length, 0));
  expect(await count('cost_entry')).toBe(expected.reduce((s, c) => s + c.costs.length, 0));
  expect(await count('offer')).toBe(5);
  expect(await count('customer where referrer_id is not null')).toBe(expected.filter((c) => c.referrerId).length);
  expect(await count('payment p join invoice i on i.id = p.invoice_id where p.amount_minor = i.amount_minor and i.paid_at = p.paid_at')).toBe(await count('payment'));
  // Each consent is recorded as a customers import records it, so a demo customer's data export says how it was given.
  expect(await count(`audit_entry a join customer c on a.entity_id = c.id::text where a.action = 'customer.import-consent' and a.after = '{"marketingConsent": true}' and a.at = c.created_at`)).toBe(
    expected.filter((c) => c.marketingConsent).length,
  );

  expect(await loadDemoDataIfEmpty(orm.em.fork(), 300)).toBe(0);
  expect(await count('customer')).toBe(300);
});

const cli = (...args: string[]) =>
  spawnSync(process.execPath, [path.resolve('dist/src/bin/demo-data.js'), ...args], { env: { ...process.env, DATABASE_URL: db.url }, encoding: 'utf8' });

it('CLI: replaces the data with --reset, scoring runs included, and refuses while playbook runs are under way (QA 47 F3)', async () => {
  const sql = async (text: string) => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  // A run of the replaced data still going in Temporal, and a rescore of it recorded as done.
  await sql(`insert into playbook_run (id, workflow_id, playbook, customer_id, status, started_at) select gen_random_uuid(), 'welcome-check/' || id, 'welcome-check', id, 'running', now() from customer limit 1`);
  await sql(`insert into scoring_run (id, trigger, as_of, status, started_at, finished_at) values ('rescore/demo-reset', 'test', current_date, 'completed', now(), now())`);
  expect(cli('--customers', '20').status).toBe(1);
  const refused = cli('--customers', '20', '--reset');
  expect({ status: refused.status, stderr: refused.stderr }).toEqual({ status: 1, stderr: expect.stringContaining('1 playbook runs, 0 rescores and 0 campaigns are under way') });
  expect(await count('customer')).toBe(300);

  await sql(`update playbook_run set status = 'completed'`);
  const loaded = cli('--customers', '20', '--reset', '--as-of', '2026-06-30');
  expect(loaded.status).toBe(0);
  expect(loaded.stderr).toContain('No customer is scored yet');
  expect([await count('customer'), await count('playbook_run'), await count('scoring_run')]).toEqual([20, 0, 0]);
  // As of the day asked: no order after it.
  expect(await count(`customer_order where ordered_at >= '2026-07-01'`)).toBe(0);
  expect(cli('--customers', '20', '--as-of', '30.06.2026').status).toBe(2);
});

it.each([[['--customer', '10']], [['extra']], [['--customers', '0']], [['--customers', '2.5']], [['--customers', '1e3']], [['--orders-per-customer', '1.5']], [['--seed', 'x']], [['--as-of', '30.06.2026']]])(
  'CLI: wrong usage %j with exit 2, one line and the usage, no stack trace, nothing loaded',
  async (args) => {
    const before = await count('customer');
    // With --reset, a count let through would replace the data (`--customers 0` emptied it).
    const run = cli(...args, '--reset');
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/\nusage: npm run demo-data -- \[--customers <n, default 250>\]/);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(await count('customer')).toBe(before);
  },
);
