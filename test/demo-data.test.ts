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

  expect(await loadDemoDataIfEmpty(orm.em.fork(), 300)).toBe(0);
  expect(await count('customer')).toBe(300);
});
