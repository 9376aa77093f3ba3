import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { once } from 'node:events';
import { AuditEntry, Complaint, CostEntry, Customer, Invoice, Order } from '../src/entities/index.js';
import { ImportService, type ImportOptions } from '../src/services/import/import.service.js';
import { ImportException } from '../src/services/import/import.exception.js';
import { Role } from '../src/domain/auth/roles.js';
import { ImportCsvDocument } from './__generated__/graphql.js';
import { startTestStack, type TestStack } from './support/stack.js';

/** The import path on the example files and on generated ones, against a real PostgreSQL. */
let stack: TestStack;
let imports: ImportService;
const strict: ImportOptions = { mode: 'all-or-nothing', actor: 'test', source: 'test' };
const em = () => stack.orm.em.fork();
const example = (name: string) => readFile(path.resolve('examples', name), 'utf8');
const run = (kind: string, csv: string, options = strict) => imports.importCsv(kind, Readable.from([csv]), options);

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
  imports = new ImportService(stack.config.databaseUrl);
});
afterAll(() => stack?.stop());

it('imports the example files in order, with references between them', async () => {
  for (const [kind, file, n] of [
    ['customers', 'customers.csv', 3],
    ['orders', 'orders.csv', 4],
    ['invoices', 'invoices.csv', 3],
    ['payments', 'payments.csv', 2],
    ['complaints', 'complaints.csv', 2],
    ['costs', 'costs.csv', 2],
  ] as const) {
    const report = await run(kind, await example(file));
    expect(report).toMatchObject({ kind, rowsRead: n, inserted: n, updated: 0, errorCount: 0, written: true });
  }
  const alan = await em().findOneOrFail(Customer, { externalRef: 'CRM-1002' }, { populate: ['referrer'] });
  expect(alan).toMatchObject({ name: 'Alan Turing', email: 'alan@example.com', timeZone: 'Europe/London', marketingConsent: false, acquiredAt: '2022-06-23' });
  expect(alan.referrer?.externalRef).toBe('CRM-1001');
  const ord2 = await em().findOneOrFail(Order, { externalRef: 'ORD-2' });
  expect(ord2).toMatchObject({ amountMinor: 8990, marginMinor: 2150 });
  expect(ord2.orderedAt.toISOString()).toBe('2026-02-07T10:15:00.000Z');
  expect((await em().findOneOrFail(Order, { externalRef: 'ORD-1' })).orderedAt.toISOString()).toBe('2026-01-05T00:00:00.000Z');
  expect(await em().findOneOrFail(Invoice, { externalRef: 'INV-2' })).toMatchObject({ amountMinor: 1550, paidAt: '2026-03-20', remindersSent: 1, feeWaivedMinor: 500 });
  // INV-3 (42.00) is covered by its second payment.
  expect((await em().findOneOrFail(Invoice, { externalRef: 'INV-3' })).paidAt).toBe('2026-03-28');
  expect(await em().findOneOrFail(Complaint, { externalRef: 'CMP-2' })).toMatchObject({ topic: 'delivery-delay', severity: 'high', resolvedAt: null, reopenedCount: 1 });
  expect(await em().findOneOrFail(CostEntry, { externalRef: 'CST-1' })).toMatchObject({ kind: 'support_minutes', amountMinor: 2400, quantity: 30 });
  const audit = await em().find(AuditEntry, { action: 'import.orders' });
  expect(audit[0].after).toMatchObject({ rowsRead: 4, inserted: 4 });
});

it('reports every bad row with its line and field, and writes nothing', async () => {
  const before = await em().count(Order);
  const report = await run('orders', await example('bad-orders.csv'));
  expect(report).toMatchObject({ written: false, rowsRead: 8, rejected: 7, inserted: 0 });
  expect(report.errors.map((e) => [e.line, e.field])).toEqual([
    [2, 'ordered_at'],
    [3, 'customer_ref'],
    [4, 'amount'],
    [5, 'amount'],
    [6, 'customer_ref'],
    [7, 'order_ref'],
    [8, null],
  ]);
  expect(report.errors[1].message).toBe('unknown customer "CRM-9999"');
  expect(await em().count(Order)).toBe(before);
  expect(await em().count(Order, { externalRef: 'GOOD-1' })).toBe(0);
});

it('imports the good rows and reports the bad ones with good-rows mode', async () => {
  const report = await run('orders', await example('bad-orders.csv'), { ...strict, mode: 'good-rows' });
  expect(report).toMatchObject({ written: true, inserted: 1, rejected: 7 });
  expect(await em().findOneOrFail(Order, { externalRef: 'GOOD-1' })).toMatchObject({ amountMinor: 1300, marginMinor: 200 });
});

it('updates on re-import instead of duplicating, also for orders without a reference', async () => {
  const orders = await em().count(Order);
  const customers = await em().count(Customer);
  expect(await run('orders', await example('orders.csv'))).toMatchObject({ inserted: 0, updated: 4 });
  expect(await em().count(Order)).toBe(orders);
  const changed = (await example('customers.csv')).replace('Grace Hopper', 'Rear Admiral Grace Hopper');
  expect(await run('customers', changed)).toMatchObject({ inserted: 0, updated: 3 });
  expect(await em().count(Customer)).toBe(customers);
  expect((await em().findOneOrFail(Customer, { externalRef: 'CRM-1003' })).name).toBe('Rear Admiral Grace Hopper');
});

it('keeps stored values of columns a re-import leaves out', async () => {
  await run('customers', 'customer_ref,name,email\nCRM-1001,Ada King,ada@example.com\n');
  expect(await em().findOneOrFail(Customer, { externalRef: 'CRM-1001' })).toMatchObject({ name: 'Ada King', timeZone: 'Europe/London', serviceTier: 'premium', marketingConsent: true });
});

it('checks cross-field rules and references inside the file', async () => {
  const invoices = await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount\nINV-9,CRM-1001,2026-05-10,2026-05-01,10\n');
  expect(invoices.errors).toEqual([{ line: 2, field: 'due_at', message: 'is before issued_at' }]);
  const customers = await run('customers', 'customer_ref,name,email,referrer_ref,time_zone\nN-1,Neu,neu@example.com,N-2,Mars/Base\nN-2,Zwei,not-an-email,N-1,\n');
  expect(customers.errors.map((e) => [e.line, e.field])).toEqual([
    [2, 'time_zone'],
    [3, 'email'],
  ]);
});

it('refuses a file whose header is not the kind’s, and an unknown kind', async () => {
  await expect(run('orders', 'customer,when,amount\nx,y,z\n')).rejects.toThrow(/missing required column "customer_ref"/);
  await expect(run('orders', 'customer,when,amount\nx,y,z\n')).rejects.toBeInstanceOf(ImportException);
  await expect(run('payments-and-more', 'a\n1\n')).rejects.toThrow(/not an import kind/);
  await expect(run('orders', '')).rejects.toThrow(/no header/);
  const payments = await run('payments', 'invoice_ref,paid_at,amount\nINV-404,2026-01-01,5\nINV-1,2026-01-01,0\n');
  expect(payments.errors).toEqual([
    { line: 2, field: 'invoice_ref', message: 'unknown invoice "INV-404"' },
    { line: 3, field: 'amount', message: 'must be more than 0' },
  ]);
});

it('streams a large file through the CLI, with progress, and re-imports it without duplicates', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'import-'));
  const file = path.join(dir, 'orders.csv');
  const out = createWriteStream(file);
  out.write('customer_ref,ordered_at,amount,margin\n');
  const rows = 200_000;
  for (let i = 0; i < rows; i++) {
    if (!out.write(`CRM-100${1 + (i % 3)},2025-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:00:00Z,${(i % 500) + 1}.${String(i % 100).padStart(2, '0')},1.00\n`)) {
      await once(out, 'drain');
    }
  }
  out.end();
  await once(out, 'finish');
  const before = await em().count(Order);
  const cli = spawnSync(process.execPath, [path.resolve('dist/src/bin/import.js'), 'orders', file], {
    env: { ...process.env, DATABASE_URL: stack.config.databaseUrl },
    encoding: 'utf8',
    maxBuffer: 10_000_000,
  });
  expect(cli.status).toBe(0);
  const report = JSON.parse(cli.stdout);
  expect(report).toMatchObject({ rowsRead: rows, inserted: rows, errorCount: 0 });
  expect(cli.stderr).toMatch(/orders: 200000 rows read \(100%/);
  expect(await em().count(Order)).toBe(before + rows);
  // Re-importing the same file (no order_ref: derived references) adds nothing.
  const again = spawnSync(process.execPath, [path.resolve('dist/src/bin/import.js'), 'orders', file], {
    env: { ...process.env, DATABASE_URL: stack.config.databaseUrl },
    encoding: 'utf8',
  });
  expect(JSON.parse(again.stdout)).toMatchObject({ inserted: 0, updated: rows });
  expect(await em().count(Order)).toBe(before + rows);
  await writeFile(file, '');
}, 180_000);

describe('importCsv mutation', () => {
  const csv = 'customer_ref,name,email\nGQL-1,Gee Ql,gql@example.com\nGQL-2,Bad Mail,nope\n';

  it.each([Role.Viewer, Role.Marketer, Role.Operator])('is refused to %s, writing nothing', async (role) => {
    const r = await stack.gql(ImportCsvDocument, { input: { kind: 'Customers', csv, mode: 'GoodRows' } }, role);
    expect(r.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN' });
    expect(await em().count(Customer, { externalRef: 'GQL-1' })).toBe(0);
  });

  it('imports as admin, reporting the bad rows by line', async () => {
    const strictRun = await stack.gql(ImportCsvDocument, { input: { kind: 'Customers', csv } }, Role.Admin);
    expect(strictRun.data!.importCsv).toMatchObject({ mode: 'AllOrNothing', written: false, rowsRead: 2, errors: [{ line: 3, field: 'email' }] });
    expect(await em().count(Customer, { externalRef: 'GQL-1' })).toBe(0);
    const partial = await stack.gql(ImportCsvDocument, { input: { kind: 'Customers', csv, mode: 'GoodRows' } }, Role.Admin);
    expect(partial.data!.importCsv).toMatchObject({ written: true, inserted: 1, rejected: 1 });
    expect(await em().count(Customer, { externalRef: 'GQL-1' })).toBe(1);
  });

  it('answers a bad header with VALIDATION', async () => {
    const r = await stack.gql(ImportCsvDocument, { input: { kind: 'Orders', csv: 'a,b\n1,2\n' } }, Role.Admin);
    expect(r.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'IMPORT_BAD_HEADER' });
  });
});
