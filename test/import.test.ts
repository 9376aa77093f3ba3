import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { once } from 'node:events';
import pg from 'pg';
import 'reflect-metadata';
import { graphql } from 'graphql';
import { INVOICE_PAID } from '../src/domain/messages/catalogue.js';
import { AuditEntry, Complaint, CostEntry, Customer, CustomerStatus, Invoice, MessageChannel, MessagePurpose, Offer, Order, OutboxMessage, Payment, ScoreSnapshot, ServiceTier, ServiceTierChange, TierChangeSource } from '../src/entities/index.js';
import { fixIssueWorkflowId } from '../src/domain/playbooks/fix-issue.js';
import { OutboxService } from '../src/services/outbox/outbox.service.js';
import { ImportService, MAX_IMPORT_ROWS, type ImportOptions } from '../src/services/import/import.service.js';
import { ImportException, ImportExceptionCode } from '../src/services/import/import.exception.js';
import { Role } from '../src/domain/auth/roles.js';
import { createErrorFormatter } from '../src/graphql/errors.js';
import { ImportRowsResolver } from '../src/graphql/import/import-rows.resolver.js';
import { createLogger } from '../src/logger.js';
import type { Services } from '../src/services/index.js';
import { CustomerScoresDocument, ImportCsvDocument, ResolveComplaintDocument } from './__generated__/graphql.js';
import { importSchema } from './support/import-schema.js';
import { startTestStack, testKeys, type TestStack } from './support/stack.js';
import { UNSUBSCRIBE_ACTOR } from '../src/domain/messages/unsubscribe-link.js';
import { CustomerEventKind } from '../src/domain/customers/timeline.js';
import { ScoringExceptionCode, type ScoringException } from '../src/domain/scoring/scoring.exception.js';
import { summarizeOrdersFile } from '../src/services/scores/orders-file-fit.js';
import { ImportRowProblem } from '../src/domain/import/import-spec.js';
import { isDatabaseUnreachable } from '../src/db/unreachable.js';

/** The import path on the example files and on generated ones, against a real PostgreSQL. */
let stack: TestStack;
let imports: ImportService;
const strict: ImportOptions = { mode: 'all-or-nothing', actor: 'test', source: 'test' };
const em = () => stack.orm.em.fork();
const example = (name: string) => readFile(path.resolve('examples', name), 'utf8');
const run = (kind: string, csv: string, options = strict) => imports.importCsv(kind, Readable.from([csv]), options);
const partial: ImportOptions = { ...strict, mode: 'good-rows' };
/** A file's bytes as they are, read as `encoding`. */
const runBytes = (kind: string, bytes: Buffer, encoding?: string) => imports.importCsv(kind, Readable.from([bytes]), { ...strict, ...(encoding ? { encoding } : {}) });
const cli = (args: string[], nodeOptions: string[] = []) =>
  spawnSync(process.execPath, [...nodeOptions, path.resolve('dist/src/bin/import.js'), ...args], {
    env: { ...process.env, DATABASE_URL: stack.config.databaseUrl },
    encoding: 'utf8',
    maxBuffer: 10_000_000,
  });

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
  imports = new ImportService(stack.config.databaseUrl, {}, null, 'EUR');
});
afterAll(() => stack?.stop());

/** A schema of the bulk import mutations. */
const bulkImportSchema = () => importSchema(ImportRowsResolver);

it('imports the example files in order, with references between them', async () => {
  for (const [kind, file, n] of [
    ['customers', 'customers.csv', 3],
    ['orders', 'orders.csv', 4],
    ['invoices', 'invoices.csv', 3],
    ['payments', 'payments.csv', 2],
    ['complaints', 'complaints.csv', 2],
    ['costs', 'costs.csv', 2],
    ['offers', 'offers.csv', 4],
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
  expect(await em().findOneOrFail(Complaint, { externalRef: 'CMP-2' })).toMatchObject({ topic: 'delivery-delay', severity: 'high', resolvedAt: null, reopenedCount: 1, reopenedAt: new Date('2026-04-09T08:30:00Z') });
  expect((await em().findOneOrFail(Complaint, { externalRef: 'CMP-1' })).reopenedAt).toBeNull();
  expect(await em().findOneOrFail(CostEntry, { externalRef: 'CST-1' })).toMatchObject({ kind: 'support_minutes', amountMinor: 2400, quantity: 30 });
  expect(await em().findOneOrFail(Offer, { code: 'STANDARD-SWITCH' })).toMatchObject({ name: 'Same service, standard tier, 20% cheaper', audience: 'existing', discountPercent: 20, serviceTier: 'standard', validUntil: null });
  const audit = await em().find(AuditEntry, { action: 'import.orders' });
  expect(audit[0].after).toMatchObject({ rowsRead: 4, inserted: 4 });
});

it('reports every bad row with its line and field, and writes nothing', async () => {
  const before = await em().count(Order);
  const report = await run('orders', await example('bad-orders.csv'));
  expect(report).toMatchObject({ written: false, rowsRead: 8, rejected: 7, inserted: 0 });
  // Each with what is wrong, for a front end to group by.
  expect(report.errors.map((e) => [e.line, e.field, e.code])).toEqual([
    [2, 'ordered_at', ImportRowProblem.InvalidValue],
    [3, 'customer_ref', ImportRowProblem.UnknownReference],
    [4, 'amount', ImportRowProblem.InvalidValue],
    [5, 'amount', ImportRowProblem.InvalidValue],
    [6, 'customer_ref', ImportRowProblem.Required],
    [7, 'order_ref', ImportRowProblem.DuplicateReference],
    [8, null, ImportRowProblem.MalformedLine],
  ]);
  expect(report.errors[1].message).toBe('unknown customer "CRM-9999"');
  expect(report.errorSummary).toEqual([
    { field: 'ordered_at', code: ImportRowProblem.InvalidValue, count: 1, firstLine: 2 },
    { field: 'customer_ref', code: ImportRowProblem.UnknownReference, count: 1, firstLine: 3 },
    { field: 'amount', code: ImportRowProblem.InvalidValue, count: 2, firstLine: 4 },
    { field: 'customer_ref', code: ImportRowProblem.Required, count: 1, firstLine: 6 },
    { field: 'order_ref', code: ImportRowProblem.DuplicateReference, count: 1, firstLine: 7 },
    { field: null, code: ImportRowProblem.MalformedLine, count: 1, firstLine: 8 },
  ]);
  expect(await em().count(Order)).toBe(before);
  expect(await em().count(Order, { externalRef: 'GOOD-1' })).toBe(0);
});

it('counts every error by field and code, also those beyond the 1,000 listed, with the line of the first (QA 70 F9)', async () => {
  // 1,500 lines with a bad day and a bad amount, then one unknown customer that no listed error reaches.
  const lines = Array.from({ length: 1_500 }, (_, i) => `CRM-1001,2026-99-01,-1,,F9-${i}`);
  const report = await run('orders', ['customer_ref,ordered_at,amount,margin,order_ref', ...lines, 'CRM-F9-NOBODY,2026-01-01,1,,F9-LAST'].join('\n') + '\n');
  expect(report).toMatchObject({ errorCount: 3_001, rejected: 1_501, written: false });
  expect(report.errors).toHaveLength(1_000);
  expect(report.errors.at(-1)!.line).toBe(501);
  expect(report.errorSummary).toEqual([
    { field: 'ordered_at', code: ImportRowProblem.InvalidValue, count: 1_500, firstLine: 2 },
    { field: 'amount', code: ImportRowProblem.InvalidValue, count: 1_500, firstLine: 2 },
    { field: 'customer_ref', code: ImportRowProblem.UnknownReference, count: 1, firstLine: 1_502 },
  ]);
  expect(report.errorSummary.reduce((n, g) => n + g.count, 0)).toBe(report.errorCount);
  expect((await run('orders', 'customer_ref,ordered_at,amount,order_ref\nCRM-1001,2026-01-01,1,F9-GOOD\n')).errorSummary).toEqual([]);
});

it('refuses the amounts `scores fit` refuses, and only those, on the same line (one rule: domain/money.ts)', async () => {
  const amounts = ['12.345', '5.001', '12345678901234', '12345678901234567890', '-5', '1,5', 'EUR 12', '1e3', '12', '12.5', '0', '9999999999999.99'];
  const file = (rows: string[]) => ['customer_ref,ordered_at,amount', ...rows].join('\n') + '\n';
  const rows = amounts.map((amount, i) => `CRM-1001,2026-01-${String(i + 1).padStart(2, '0')},"${amount}"`);
  const report = await run('orders', file(rows));
  const refusedByImport = report.errors.filter((e) => e.field === 'amount').map((e) => e.line);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'amounts-'));
  const refusedByFit: number[] = [];
  for (const [i, row] of rows.entries()) {
    // One order per file, as fit stops at the first bad row; the line is where it would be in the whole file.
    const single = path.join(dir, `${i}.csv`);
    await writeFile(single, file([...rows.slice(0, i).map(() => 'CRM-1001,2026-01-01,1'), row]));
    const refused = await summarizeOrdersFile(single).then(
      () => null,
      (error: unknown) => error,
    );
    if (refused) {
      expect(refused).toMatchObject({ code: ScoringExceptionCode.OrdersFileBadRow, details: { column: 'amount' } });
      refusedByFit.push((refused as ScoringException).details.line as number);
    }
  }
  await rm(dir, { recursive: true });
  expect(refusedByImport).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
  expect(refusedByFit).toEqual(refusedByImport);
  // The refusal names the whole rule: too many digits before the point, not only after it (QA 54 F2).
  expect(report.errors.find((e) => e.line === 4)!.message).toBe('"12345678901234" is not an amount >= 0 with at most 13 integer digits and 2 decimals (at most 9999999999999.99)');
  const margin = await run('orders', 'customer_ref,ordered_at,amount,margin\nCRM-1001,2026-01-01,1,-12345678901234\n');
  expect(margin.errors).toEqual([
    { line: 2, field: 'margin', code: ImportRowProblem.InvalidValue, message: '"-12345678901234" is not an amount with at most 13 integer digits and 2 decimals (-9999999999999.99 to 9999999999999.99)' },
  ]);
});

it('imports the good rows and reports the bad ones with good-rows mode', async () => {
  const report = await run('orders', await example('bad-orders.csv'), { ...strict, mode: 'good-rows' });
  expect(report).toMatchObject({ written: true, inserted: 1, rejected: 7 });
  expect(await em().findOneOrFail(Order, { externalRef: 'GOOD-1' })).toMatchObject({ amountMinor: 1300, marginMinor: 200 });
});

it('updates on re-import instead of duplicating, also for orders without a reference, and leaves rows as stored alone', async () => {
  const orders = await em().count(Order);
  const customers = await em().count(Customer);
  const xmin = async (table: string) => (await em().execute<Array<{ v: string }>>(`select string_agg(xmin::text, ',' order by id) as v from ${table}`))[0].v;
  const versions = await xmin('customer_order');
  expect(await run('orders', await example('orders.csv'))).toMatchObject({ inserted: 0, updated: 0, unchanged: 4 });
  expect(await em().count(Order)).toBe(orders);
  // Not even rewritten: no row has a new version.
  expect(await xmin('customer_order')).toBe(versions);
  const changed = (await example('customers.csv')).replace('Grace Hopper', 'Rear Admiral Grace Hopper');
  expect(await run('customers', changed)).toMatchObject({ inserted: 0, updated: 1, unchanged: 2 });
  expect(await em().count(Customer)).toBe(customers);
  expect((await em().findOneOrFail(Customer, { externalRef: 'CRM-1003' })).name).toBe('Rear Admiral Grace Hopper');
});

it('matches orders and payments without a reference by their values as read, not as written: the same export saved again by a spreadsheet adds nothing (QA 54 F1)', async () => {
  expect(await run('customers', 'customer_ref,name,email\nF1-SHEET,Sheet Saver,f1-sheet@example.com\n')).toMatchObject({ inserted: 1 });
  const header = 'customer_ref,ordered_at,amount,margin,order_ref\n';
  // Two equal purchases (two rows), one at a time with an offset, and one with its own reference (not counted among the others).
  const exported = ['F1-SHEET,2026-03-02,29.30,,', 'F1-SHEET,2026-03-02,29.30,,', 'F1-SHEET,2026-03-02,29.30,,F1-OWN', 'F1-SHEET,2026-03-03T10:15:00.5+01:00,12.00,2.50,'];
  expect(await run('orders', header + exported.join('\n') + '\n')).toMatchObject({ inserted: 4 });
  const sum = async () => (await em().execute<Array<{ n: string; total: string }>>(`select count(*) as n, sum(amount_minor) as total from customer_order o join customer c on c.id = o.customer_id where c.external_ref = 'F1-SHEET'`))[0];
  const stored = await sum();
  expect(stored).toEqual({ n: '4', total: String(3 * 2930 + 1200) });
  // Trailing zeros dropped, the day as a time, the time in UTC (or without a zone: UTC) and without its last zeros, in another order.
  const resaved = ['F1-SHEET,2026-03-03 09:15:00.500,12,2.5,', 'F1-SHEET,2026-03-02T00:00:00Z,29.3,,', 'F1-SHEET,2026-03-02,29.3,,F1-OWN', 'F1-SHEET,2026-03-02T01:00:00+01:00,029.3,,'];
  expect(await run('orders', header + resaved.join('\n') + '\n')).toMatchObject({ inserted: 0, updated: 0, unchanged: 4 });
  expect(await sum()).toEqual(stored);
  // A third equal purchase is one more.
  expect(await run('orders', header + [...exported, 'F1-SHEET,2026-03-02,29.3,,'].join('\n') + '\n')).toMatchObject({ inserted: 1, unchanged: 4 });

  expect(await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount\nF1-SHEET-I,F1-SHEET,2026-03-01,2026-03-31,100.00\n')).toMatchObject({ inserted: 1 });
  expect(await run('payments', 'invoice_ref,paid_at,amount\nF1-SHEET-I,2026-03-05,40\nF1-SHEET-I,2026-03-06,10.50\n')).toMatchObject({ inserted: 2 });
  expect(await run('payments', 'invoice_ref,paid_at,amount\nF1-SHEET-I,2026-03-05,40.00\nF1-SHEET-I,2026-03-06,10.5\n')).toMatchObject({ inserted: 0, updated: 0, unchanged: 2 });
  expect(await em().count(Payment, { invoice: { externalRef: 'F1-SHEET-I' } })).toBe(2);
});

it("keeps an erased customer's orders, invoices, complaints and costs theirs when a customer is imported again under their old CRM reference (QA 46 F2)", async () => {
  expect(await run('customers', 'customer_ref,name,email,acquired_at\nCRM-ERA-1,Lena Example,lena@example.com,2024-05-13\n')).toMatchObject({ inserted: 1 });
  expect(await run('orders', 'customer_ref,ordered_at,amount,order_ref\nCRM-ERA-1,2024-05-15,104.36,ERA-O1\nCRM-ERA-1,2024-06-15,20.00,\n')).toMatchObject({ inserted: 2 });
  expect(await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount\nERA-I1,CRM-ERA-1,2024-05-15,2024-05-29,104.36\n')).toMatchObject({ inserted: 1 });
  expect(await run('complaints', 'complaint_ref,customer_ref,topic,severity,opened_at\nERA-C1,CRM-ERA-1,delivery-delay,high,2024-06-01T10:00:00Z\n')).toMatchObject({ inserted: 1 });
  expect(await run('costs', 'cost_ref,customer_ref,occurred_at,kind,amount\nERA-K1,CRM-ERA-1,2024-06-01,other,5.00\n')).toMatchObject({ inserted: 1 });
  const erased = await em().findOneOrFail(Customer, { externalRef: 'CRM-ERA-1' });
  // Erased as eraseCustomer leaves them: the CRM reference is gone.
  await em().nativeUpdate(Customer, { id: erased.id }, { status: CustomerStatus.Erased, externalRef: null, name: 'Erased customer' });

  // The CRM still had them: its next export makes a new customer, whose files name the erased customer's records.
  expect(await run('customers', 'customer_ref,name,email,acquired_at\nCRM-ERA-1,Lena Example,lena@example.com,2024-05-13\n')).toMatchObject({ inserted: 1 });
  const named = await em().findOneOrFail(Customer, { externalRef: 'CRM-ERA-1' });
  expect(named.id).not.toBe(erased.id);
  const refused = (field: string) => ({ line: 2, field, code: ImportRowProblem.ErasedCustomer, message: 'is stored for an erased customer: it stays theirs and is not given to another' });
  expect(await run('orders', 'customer_ref,ordered_at,amount,order_ref\nCRM-ERA-1,2024-05-15,104.36,ERA-O1\n', partial)).toMatchObject({ inserted: 0, updated: 0, rejected: 1, errors: [refused('order_ref')] });
  expect(await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount\nERA-I1,CRM-ERA-1,2024-05-15,2024-05-29,104.36\n', partial)).toMatchObject({ rejected: 1, errors: [refused('invoice_ref')] });
  expect(await run('complaints', 'complaint_ref,customer_ref,topic,severity,opened_at\nERA-C1,CRM-ERA-1,delivery-delay,high,2024-06-01T10:00:00Z\n', partial)).toMatchObject({ rejected: 1, errors: [refused('complaint_ref')] });
  expect(await run('costs', 'cost_ref,customer_ref,occurred_at,kind,amount\nERA-K1,CRM-ERA-1,2024-06-01,other,5.00\n', partial)).toMatchObject({ rejected: 1, errors: [refused('cost_ref')] });
  // An order without a reference derives the one the erased customer's has: refused as with that reference, not reported
  // unchanged while the new customer gets no order (QA 70 F2), in the file's other spellings too; the rest of the file is written.
  const derived = { line: 2, field: 'order_ref', code: ImportRowProblem.ErasedCustomer, message: expect.stringMatching(/^is empty, and the order it stands for .* is stored for an erased customer/) };
  expect(await run('orders', 'customer_ref,ordered_at,amount,order_ref\nCRM-ERA-1,2024-06-15,20.00,\n')).toMatchObject({ written: false, unchanged: 0, rejected: 1, errorCount: 1, errors: [derived] });
  expect(await run('orders', 'customer_ref,ordered_at,amount\nCRM-ERA-1,2024-06-15T00:00:00Z,20\nCRM-ERA-1,2024-06-15,20.00\n', partial)).toMatchObject({
    written: true, inserted: 1, unchanged: 0, rejected: 1, errors: [derived],
  });
  // A payment stored on the erased customer's invoice is not moved to another invoice by its reference.
  expect(await run('payments', 'invoice_ref,paid_at,amount,payment_ref\nERA-I1,2024-05-20,4.36,ERA-P1\n')).toMatchObject({ inserted: 1 });
  expect(await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount\nERA-I2,CRM-ERA-1,2024-05-15,2024-05-29,10.00\n')).toMatchObject({ inserted: 1 });
  expect(await run('payments', 'invoice_ref,paid_at,amount,payment_ref\nERA-I2,2024-05-20,4.36,ERA-P1\n', partial)).toMatchObject({
    rejected: 1, errors: [{ line: 2, field: 'payment_ref', code: ImportRowProblem.ErasedCustomer, message: 'is stored for an erased customer (on their invoice ERA-I1): it stays theirs and is not given to another' }],
  });
  expect(await em().count(Payment, { externalRef: 'ERA-P1', invoice: { externalRef: 'ERA-I1' } })).toBe(1);
  await em().nativeDelete(Order, { customer: named.id });
  await em().nativeDelete(Invoice, { customer: named.id });
  const theirs = async (customer: string) => Promise.all([em().count(Order, { customer }), em().count(Invoice, { customer }), em().count(Complaint, { customer }), em().count(CostEntry, { customer })]);
  expect(await theirs(named.id)).toEqual([0, 0, 0, 0]);
  expect(await theirs(erased.id)).toEqual([2, 1, 1, 1]);
});

it('takes references in Unicode NFC, as stored and looked up, and refuses invisible or control characters in them (QA 70 F1)', async () => {
  const nfc = 'JOS\u00c9-F1';
  const nfd = 'JOSE\u0301-F1';
  const report = await run('customers', `customer_ref,name,email\n${nfc},Jose NFC,jose@x.io\n${nfd},Jose NFD,jose2@x.io\nC-F1\u200b,ZWSP,c@x.io\nC-F1,Latin C,c1@x.io\n`, partial);
  expect(report).toMatchObject({ inserted: 2, rejected: 2 });
  expect(report.errors).toEqual([
    { line: 3, field: 'customer_ref', code: ImportRowProblem.DuplicateReference, message: 'repeats the reference of line 2' },
    { line: 4, field: 'customer_ref', code: ImportRowProblem.InvalidValue, message: '"C-F1\u200b" contains an invisible or control character (U+200B): references are compared character for character' },
  ]);
  expect((await em().find(Customer, { externalRef: { $like: '%-F1' } })).map((c) => c.externalRef).sort()).toEqual(['C-F1', nfc]);
  // A file spelling the reference the other way finds the customer, and its own reference is stored in NFC.
  expect(await run('orders', `customer_ref,ordered_at,amount,order_ref\n${nfd},2026-01-02,10,ORD-${nfd}\n`)).toMatchObject({ inserted: 1, errorCount: 0 });
  expect(await em().count(Order, { externalRef: `ORD-${nfc}`, customer: { externalRef: nfc } })).toBe(1);
  expect(await run('orders', `customer_ref,ordered_at,amount,order_ref\n${nfc},2026-01-02,10,ORD-${nfc}\n`)).toMatchObject({ unchanged: 1 });
  // A tab or a direction mark inside a reference too, in every reference column.
  expect((await run('orders', `customer_ref,ordered_at,amount,order_ref\n"C-\tF1",2026-01-02,10,O\u200fX\n`)).errors.filter((e) => e.code === ImportRowProblem.InvalidValue).map((e) => [e.field, e.message.match(/U\+\w+/)![0]])).toEqual([
    ['customer_ref', 'U+0009'],
    ['order_ref', 'U+200F'],
  ]);
});

it("refuses the lines that would take a customer's revenue beyond what it can hold (bigint), naming the customer, instead of failing the import with bigint out of range; good-rows writes the rest (QA 70 F4)", async () => {
  expect(await run('customers', 'customer_ref,name,email\nHUGE-1,Huge,huge@x.io\nHUGE-2,Other,other@x.io\n')).toMatchObject({ inserted: 2 });
  const largest = '9999999999999.99';
  // 9,223 of the largest amount stay within bigint's range, the 9,224th (line 9226) passes its end; one line of another customer first.
  const lines = ['HUGE-2,2026-01-01,5.00,HUGE-OK', ...Array.from({ length: 9300 }, (_, i) => `HUGE-1,2026-01-01,${largest},HUGE-O${i}`)];
  const file = 'customer_ref,ordered_at,amount,order_ref\n' + lines.join('\n') + '\n';
  const strictReport = await run('orders', file);
  expect(strictReport).toMatchObject({ written: false, rejected: 77, errorCount: 77 });
  expect(strictReport.errors[0]).toEqual({
    line: 9226,
    field: 'amount',
    code: ImportRowProblem.InvalidValue,
    message: 'takes the revenue of customer "HUGE-1" (their stored orders and this file\'s up to this line) beyond 92233720368547758.07, the most a customer\'s revenue can hold: an amount in minor units read as major ones?',
  });
  expect(await run('orders', file, partial)).toMatchObject({ written: true, inserted: 9224, rejected: 77 });
  const revenue = async (ref: string) => (await em().execute<Array<{ r: string }>>(`select revenue_minor::text as r from customer where external_ref = ?`, [ref]))[0].r;
  expect(await revenue('HUGE-2')).toBe('500');
  expect(await revenue('HUGE-1')).toBe(String(9223n * 999999999999999n));
  // A re-import of the same file counts the stored orders once: the same lines refused, the rest unchanged.
  expect(await run('orders', file, partial)).toMatchObject({ inserted: 0, unchanged: 9224, rejected: 77 });
  // Without references too (derived), and through the stored total: one more largest amount is refused.
  expect(await run('orders', `customer_ref,ordered_at,amount\nHUGE-1,2026-01-02,${largest}\nHUGE-2,2026-01-02,1\n`, partial)).toMatchObject({ inserted: 1, rejected: 1, errors: [{ line: 2, field: 'amount' }] });
}, 60_000);

it('takes a date column saved again by a spreadsheet (the day at midnight UTC) as that day, in every kind, and refuses another time (QA 70 F5)', async () => {
  const days = (day: string, other = day) => ({ day, other });
  for (const { day, other } of [days('2026-03-20T00:00:00Z'), days('2026-03-20 00:00:00'), days('2026-03-20T00:00:00.000+00:00', '2026-03-20 00:00')]) {
    expect(await run('customers', `customer_ref,name,email,acquired_at\nF5-C,Five,f5@x.io,${day}\n`)).toMatchObject({ errorCount: 0 });
    expect(await run('invoices', `invoice_ref,customer_ref,issued_at,due_at,amount,paid_at\nF5-I,F5-C,${day},${other},10,\n`)).toMatchObject({ errorCount: 0 });
    expect(await run('payments', `invoice_ref,paid_at,amount\nF5-I,${day},4\n`)).toMatchObject({ errorCount: 0 });
    expect(await run('costs', `cost_ref,customer_ref,occurred_at,kind,amount\nF5-K,F5-C,${day},other,1\n`)).toMatchObject({ errorCount: 0 });
    expect(await run('offers', `code,name,audience,discount_percent,valid_from,valid_until\nF5-OFFER,Five,all,5,${day},${other}\n`)).toMatchObject({ errorCount: 0 });
  }
  // One customer, invoice, cost, offer and payment (its derived reference from the day as read: saved again, unchanged).
  expect(await em().findOneOrFail(Customer, { externalRef: 'F5-C' })).toMatchObject({ acquiredAt: '2026-03-20' });
  expect(await em().findOneOrFail(Invoice, { externalRef: 'F5-I' })).toMatchObject({ issuedAt: '2026-03-20', dueAt: '2026-03-20' });
  expect(await em().count(Payment, { invoice: { externalRef: 'F5-I' } })).toBe(1);
  expect(await em().findOneOrFail(CostEntry, { externalRef: 'F5-K' })).toMatchObject({ occurredAt: '2026-03-20' });
  expect(await run('payments', 'invoice_ref,paid_at,amount\nF5-I,2026-03-20T10:15:00Z,4\nF5-I,2026-03-20T00:00:00+02:00,4\n')).toMatchObject({
    errors: [1, 2].map((i) => ({ line: i + 1, field: 'paid_at', code: ImportRowProblem.InvalidValue, message: expect.stringMatching(/is not a date \(YYYY-MM-DD, or that day at 00:00 UTC as a spreadsheet saves it\)$/) })),
  });
});

it('leaves out trailing columns without a name while their cells are empty, as a spreadsheet exports them, and names an unnamed column otherwise (QA 70 F9)', async () => {
  expect(await run('customers', 'customer_ref,name,email\nF9-C,Nine,f9@x.io\n')).toMatchObject({ inserted: 1 });
  expect(await run('orders', 'customer_ref,ordered_at,amount,,\nF9-C,2026-01-02,10,,\nF9-C,2026-01-03,11,,\n')).toMatchObject({ inserted: 2, errorCount: 0 });
  expect(await run('orders', 'customer_ref,ordered_at,amount,,\nF9-C,2026-01-04,12,,\nF9-C,2026-01-05,13,,oops\n')).toMatchObject({
    written: false,
    errors: [{ line: 3, field: null, code: ImportRowProblem.MalformedLine, message: 'has "oops" in column 5, which the header leaves without a name' }],
  });
  await expect(run('orders', 'customer_ref,,ordered_at,amount\nF9-C,,2026-01-02,10\n')).rejects.toMatchObject({
    code: ImportExceptionCode.BadHeader,
    details: { problems: ['no column name at position 2 (name it, or remove the column)'] },
  });
});

it('keeps stored values of columns a re-import leaves out', async () => {
  await run('customers', 'customer_ref,name,email\nCRM-1001,Ada King,ada@example.com\n');
  expect(await em().findOneOrFail(Customer, { externalRef: 'CRM-1001' })).toMatchObject({ name: 'Ada King', timeZone: 'Europe/London', serviceTier: 'premium', marketingConsent: true });
});

it('checks cross-field rules and references inside the file', async () => {
  const invoices = await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount,paid_at\nINV-9,CRM-1001,2026-05-10,2026-05-01,10,\nINV-10,CRM-1001,2026-05-10,2026-05-24,10,2026-05-09\n');
  expect(invoices.errors).toEqual([
    { line: 2, field: 'due_at', code: ImportRowProblem.OutOfOrder, message: 'is before issued_at' },
    { line: 3, field: 'paid_at', code: ImportRowProblem.OutOfOrder, message: 'is before issued_at' },
  ]);
  // Dates of what has happened may be today anywhere on earth, not later.
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  // A time may run a minute ahead (another machine's clock), as the API takes a complaint's; two hours ahead it has not happened.
  const ahead = (ms: number) => new Date(Date.now() + ms).toISOString();
  const orders = await run('orders', `customer_ref,ordered_at,amount\nCRM-1001,2030-01-01T10:00:00Z,5\nCRM-1001,${day(2)},5\nCRM-1001,${day(0)}T00:00:00Z,5\nCRM-1001,${ahead(2 * 3_600_000)},5\nCRM-1001,${ahead(30_000)},5\nCRM-1001,${day(0)},5\n`);
  expect(orders.errors).toEqual([
    { line: 2, field: 'ordered_at', code: ImportRowProblem.InTheFuture, message: 'is in the future' },
    { line: 3, field: 'ordered_at', code: ImportRowProblem.InTheFuture, message: 'is in the future' },
    { line: 5, field: 'ordered_at', code: ImportRowProblem.InTheFuture, message: 'is in the future' },
  ]);
  const complaints = await run(
    'complaints',
    'complaint_ref,customer_ref,topic,severity,opened_at,reopened_at,resolved_at\nCMP-9,CRM-1001,app-login,low,2026-05-10T10:00:00Z,2026-05-09T10:00:00Z,\nCMP-9b,CRM-1001,app-login,low,2026-05-10T10:00:00Z,2026-05-20T10:00:00Z,2026-05-15T10:00:00Z\n',
  );
  expect(complaints.errors).toEqual([
    { line: 2, field: 'reopened_at', code: ImportRowProblem.OutOfOrder, message: 'is before opened_at' },
    { line: 3, field: 'resolved_at', code: ImportRowProblem.OutOfOrder, message: 'is before reopened_at' },
  ]);
  // A file without the reopening: the stored complaint keeps its reopening, and the resolution must come after it.
  expect((await run('complaints', 'complaint_ref,customer_ref,topic,severity,opened_at,reopened_at\nCMP-R,CRM-1001,app-login,low,2026-05-10T10:00:00Z,2026-05-20T10:00:00Z\n')).errors).toEqual([]);
  expect((await run('complaints', 'complaint_ref,customer_ref,topic,severity,opened_at,resolved_at\nCMP-R,CRM-1001,app-login,low,2026-05-10T10:00:00Z,2026-05-15T10:00:00Z\n')).errors).toEqual([
    { line: 2, field: 'resolved_at', code: ImportRowProblem.OutOfOrder, message: 'is before reopened_at' },
  ]);
  expect((await run('complaints', 'complaint_ref,customer_ref,topic,severity,opened_at,resolved_at\nCMP-R,CRM-1001,app-login,low,2026-05-10T10:00:00Z,2026-05-25T10:00:00Z\n')).errors).toEqual([]);
  // A file without the resolution that reopens the resolved complaint after it: reopened, as reopenComplaint does (resolution cleared, reopen counted).
  const reopening = 'complaint_ref,customer_ref,topic,severity,opened_at,reopened_at\nCMP-R,CRM-1001,app-login,low,2026-05-10T10:00:00Z,2026-05-28T10:00:00Z\n';
  const stateOf = async () => {
    const c = await em().findOneOrFail(Complaint, { externalRef: 'CMP-R' });
    return { resolvedAt: c.resolvedAt?.toISOString() ?? null, reopenedAt: c.reopenedAt?.toISOString() ?? null, reopenedCount: c.reopenedCount };
  };
  expect(await stateOf()).toEqual({ resolvedAt: '2026-05-25T10:00:00.000Z', reopenedAt: '2026-05-20T10:00:00.000Z', reopenedCount: 0 });
  expect(await run('complaints', reopening)).toMatchObject({ errors: [], updated: 1, written: true });
  expect(await stateOf()).toEqual({ resolvedAt: null, reopenedAt: '2026-05-28T10:00:00.000Z', reopenedCount: 1 });
  // The same file again reopens nothing more; a reopening before the resolution does not undo it.
  expect(await run('complaints', reopening)).toMatchObject({ errors: [], updated: 0, unchanged: 1 });
  expect(await stateOf()).toEqual({ resolvedAt: null, reopenedAt: '2026-05-28T10:00:00.000Z', reopenedCount: 1 });
  expect((await run('complaints', 'complaint_ref,customer_ref,topic,severity,opened_at,resolved_at\nCMP-R,CRM-1001,app-login,low,2026-05-10T10:00:00Z,2026-05-29T10:00:00Z\n')).errors).toEqual([]);
  expect((await run('complaints', reopening.replace('2026-05-28', '2026-05-21'))).errors).toEqual([]);
  expect(await stateOf()).toEqual({ resolvedAt: '2026-05-29T10:00:00.000Z', reopenedAt: '2026-05-21T10:00:00.000Z', reopenedCount: 1 });
  // A line giving both, resolved before reopened, is still refused.
  expect((await run('complaints', 'complaint_ref,customer_ref,topic,severity,opened_at,reopened_at,resolved_at\nCMP-R,CRM-1001,app-login,low,2026-05-10T10:00:00Z,2026-05-30T10:00:00Z,2026-05-29T10:00:00Z\n')).errors).toEqual([
    { line: 2, field: 'resolved_at', code: ImportRowProblem.OutOfOrder, message: 'is before reopened_at' },
  ]);
  // A topic is a key the playbooks and reports group by, as recordComplaint takes it: "App-Login" is app-login, "app login" no key.
  const topics = await run('complaints', 'complaint_ref,customer_ref,topic,severity,opened_at\nCMP-10,CRM-1001,App-Login,low,2026-05-10T10:00:00Z\nCMP-11,CRM-1001,app login,low,2026-05-10T10:00:00Z\nCMP-12,CRM-1001,billing_error,low,2026-05-10T10:00:00Z\n');
  const notAKey = (topic: string) => `"${topic}" is not a topic key (lowercase words joined by hyphens, e.g. delivery-delay)`;
  expect(topics.errors).toEqual([
    { line: 3, field: 'topic', code: ImportRowProblem.InvalidValue, message: notAKey('app login') },
    { line: 4, field: 'topic', code: ImportRowProblem.InvalidValue, message: notAKey('billing_error') },
  ]);
  const customers = await run(
    'customers',
    `customer_ref,name,email,referrer_ref,time_zone,acquired_at\nN-1,Neu,neu@example.com,N-2,Mars/Base,\nN-2,Zwei,not-an-email,N-1,,\n,Drei,drei@example.com,,,\nN-4,Vier,vier@example.com,,,${day(2)}\n`,
  );
  // Line 4 has no reference: it is required, and not "a customer cannot refer themselves". N-1 and N-2 refer to each other.
  const circle = (referrer: string) => `refers to "${referrer}", who was referred by this customer, directly or through others: referrals cannot go round in a circle`;
  expect(customers.errors.map((e) => [e.line, e.field, e.message])).toEqual([
    [2, 'referrer_ref', circle('N-2')],
    [2, 'time_zone', '"Mars/Base" is not an IANA time zone (e.g. Europe/Berlin)'],
    [3, 'email', '"not-an-email" is not an e-mail address'],
    [3, 'referrer_ref', circle('N-1')],
    [4, 'customer_ref', 'is required'],
    [5, 'acquired_at', 'is in the future'],
  ]);
  // Nor before 1900 (a year 1 is a typo, and an order of year 1 made its customer "lost"): every date and time column, from 1900-01-01 UTC on.
  const early = await run('orders', 'customer_ref,ordered_at,amount\nCRM-1001,0001-01-01,5\nCRM-1001,1899-12-31T23:59:59Z,5\nCRM-1001,1900-01-01T01:00:00+02:00,5\nCRM-1001,1900-01-01,5\n', partial);
  expect(early.errors).toEqual([
    { line: 2, field: 'ordered_at', code: ImportRowProblem.BeforeEarliestDay, message: 'is before 1900-01-01' },
    { line: 3, field: 'ordered_at', code: ImportRowProblem.BeforeEarliestDay, message: 'is before 1900-01-01' },
    { line: 4, field: 'ordered_at', code: ImportRowProblem.BeforeEarliestDay, message: 'is before 1900-01-01' },
  ]);
  expect(early).toMatchObject({ inserted: 1 });
  const earlyFiles: Array<[string, string, string]> = [
    ['customers', 'customer_ref,name,email,acquired_at\nE-1,Early,early@example.com,1066-10-14\n', 'acquired_at'],
    ['invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount\nE-INV,CRM-1001,0999-01-01,2026-01-01,10\n', 'issued_at'],
    ['payments', 'invoice_ref,paid_at,amount\nINV-1,1899-01-01,10\n', 'paid_at'],
    ['complaints', 'complaint_ref,customer_ref,topic,severity,opened_at\nE-CMP,CRM-1001,app-login,low,0001-01-01T00:00:00Z\n', 'opened_at'],
    ['costs', 'cost_ref,customer_ref,occurred_at,kind,amount\nE-COST,CRM-1001,1800-05-05,other,1\n', 'occurred_at'],
    ['offers', 'code,name,audience,discount_percent,valid_from\nEARLY,Early,all,5,0001-01-01\n', 'valid_from'],
  ];
  for (const [kind, csv, field] of earlyFiles) {
    expect((await run(kind, csv)).errors).toContainEqual({ line: 2, field, code: ImportRowProblem.BeforeEarliestDay, message: 'is before 1900-01-01' });
  }
});

it('takes invoices the billing system cancelled: not before they were issued, not paid as well, their payments kept as history', async () => {
  const header = 'invoice_ref,customer_ref,issued_at,due_at,amount,paid_at,cancelled_at\n';
  const refused = await run('invoices', header + 'INV-C1,CRM-1001,2026-05-10,2026-05-24,10,,2026-05-01\nINV-C2,CRM-1001,2026-05-10,2026-05-24,10,2026-05-20,2026-05-21\n');
  expect(refused.errors).toEqual([
    { line: 2, field: 'cancelled_at', code: ImportRowProblem.OutOfOrder, message: 'is before issued_at' },
    { line: 3, field: 'cancelled_at', code: ImportRowProblem.InvalidValue, message: 'an invoice is either paid or cancelled, and this one would be both (paid 2026-05-20, cancelled 2026-05-21): leave one of them empty' },
  ]);
  expect(await run('invoices', header + 'INV-C3,CRM-1001,2026-05-10,2026-05-24,10,,2026-05-21\n')).toMatchObject({ inserted: 1, errorCount: 0 });
  expect(await em().findOneOrFail(Invoice, { externalRef: 'INV-C3' })).toMatchObject({ cancelledAt: '2026-05-21', paidAt: null });
  // A file without the column keeps it cancelled, and one that pays it is refused as the invoice stands.
  expect(await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount\nINV-C3,CRM-1001,2026-05-10,2026-05-24,12\n')).toMatchObject({ updated: 1 });
  expect(await em().findOneOrFail(Invoice, { externalRef: 'INV-C3' })).toMatchObject({ cancelledAt: '2026-05-21', amountMinor: 1_200 });
  expect((await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount,paid_at\nINV-C3,CRM-1001,2026-05-10,2026-05-24,12,2026-05-22\n')).errors).toEqual([
    { line: 2, field: 'paid_at', code: ImportRowProblem.InvalidValue, message: 'an invoice is either paid or cancelled, and this one would be both (paid 2026-05-22, cancelled 2026-05-21, as stored): leave one of them empty' },
  ]);
  // Its payments, before or after the cancellation, are history: a payments export is taken whole, and the invoice stays cancelled.
  expect(await run('payments', 'invoice_ref,paid_at,amount\nINV-C3,2026-05-12,5\nINV-C3,2026-05-22,12\n')).toMatchObject({ inserted: 2, errorCount: 0 });
  expect(await em().findOneOrFail(Invoice, { externalRef: 'INV-C3' })).toMatchObject({ cancelledAt: '2026-05-21', paidAt: null });
  // Covered by its payments, a re-import with an empty paid_at keeps it cancelled rather than paid and cancelled.
  expect(await run('invoices', header + 'INV-C3,CRM-1001,2026-05-10,2026-05-24,12,,2026-05-21\n')).toMatchObject({ errorCount: 0 });
  expect(await em().findOneOrFail(Invoice, { externalRef: 'INV-C3' })).toMatchObject({ cancelledAt: '2026-05-21', paidAt: null });
  // An empty cell stands it again, by a file without paid_at too: paid then, on the day its payments covered it (no reminder for 0.00).
  expect(await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount,cancelled_at\nINV-C3,CRM-1001,2026-05-10,2026-05-24,12,\n')).toMatchObject({ updated: 1 });
  expect(await em().findOneOrFail(Invoice, { externalRef: 'INV-C3' })).toMatchObject({ cancelledAt: null, paidAt: '2026-05-22' });
  // A part-paid invoice credited down to what was paid is paid, by a file without paid_at.
  await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount\nINV-C4,CRM-1001,2026-05-10,2026-05-24,66\n');
  await run('payments', 'invoice_ref,paid_at,amount\nINV-C4,2026-05-15,16\n');
  expect(await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount\nINV-C4,CRM-1001,2026-05-10,2026-05-24,16\n')).toMatchObject({ updated: 1 });
  expect(await em().findOneOrFail(Invoice, { externalRef: 'INV-C4' })).toMatchObject({ amountMinor: 1_600, paidAt: '2026-05-15' });
});

it('refuses a file whose header is not the kind’s, and an unknown kind', async () => {
  await expect(run('orders', 'customer,when,amount\nx,y,z\n')).rejects.toThrow(/missing required column "customer_ref"/);
  await expect(run('orders', 'customer,when,amount\nx,y,z\n')).rejects.toBeInstanceOf(ImportException);
  await expect(run('payments-and-more', 'a\n1\n')).rejects.toThrow(/not an import kind/);
  await expect(run('orders', '')).rejects.toThrow(/no header/);
  const payments = await run('payments', 'invoice_ref,paid_at,amount\nINV-404,2026-01-01,5\nINV-1,2026-01-01,0\n');
  expect(payments.errors).toEqual([
    { line: 2, field: 'invoice_ref', code: ImportRowProblem.UnknownReference, message: 'unknown invoice "INV-404"' },
    { line: 3, field: 'amount', code: ImportRowProblem.InvalidValue, message: 'must be more than 0' },
    { line: 3, field: 'paid_at', code: ImportRowProblem.OutOfOrder, message: 'is before the invoice was issued (2026-01-05)' },
  ]);
});

it('keeps tenure, tier, status, consent and time zone when a re-import leaves their cells empty, and clears nullable ones', async () => {
  const header = 'customer_ref,name,email,phone,time_zone,service_tier,status,marketing_consent,referrer_ref,acquired_at\n';
  await run('customers', header + 'K-1,Kim,kim@example.com,+49 30 1,Asia/Tokyo,premium,offboarding,yes,,2020-01-01\nK-2,Kai,kai@example.com,,,,,,K-1,\n');
  const kept = { timeZone: 'Asia/Tokyo', serviceTier: 'premium', status: 'offboarding', marketingConsent: true, acquiredAt: '2020-01-01' };
  expect(await em().findOneOrFail(Customer, { externalRef: 'K-1' })).toMatchObject({ ...kept, phone: '+49 30 1' });
  const today = new Date().toISOString().slice(0, 10);
  const fresh = { timeZone: 'UTC', serviceTier: 'standard', status: 'active', marketingConsent: false, acquiredAt: today };
  expect(await em().findOneOrFail(Customer, { externalRef: 'K-2' }, { populate: ['referrer'] })).toMatchObject({ ...fresh, referrer: { externalRef: 'K-1' } });

  // K-1 loses its phone; K-2 only its referrer (a link set after the rows): both are updates.
  expect(await run('customers', header + 'K-1,Kim,kim@example.com,,,,,,,\nK-2,Kai,kai@example.com,,,,,,,\n')).toMatchObject({ inserted: 0, updated: 2, unchanged: 0 });
  expect(await em().findOneOrFail(Customer, { externalRef: 'K-1' })).toMatchObject({ ...kept, phone: null });
  expect(await em().findOneOrFail(Customer, { externalRef: 'K-2' })).toMatchObject({ ...fresh, referrer: null });
  // K-2 gains a phone and its referrer back: one update, counted once; the same file again changes nothing.
  const relinked = header + 'K-1,Kim,kim@example.com,,,,,,,\nK-2,Kai,kai@example.com,+49 30 2,,,,,K-1,\n';
  expect(await run('customers', relinked)).toMatchObject({ inserted: 0, updated: 1, unchanged: 1 });
  expect(await run('customers', relinked)).toMatchObject({ inserted: 0, updated: 0, unchanged: 2 });
  expect(await em().findOneOrFail(Customer, { externalRef: 'K-2' }, { populate: ['referrer'] })).toMatchObject({ phone: '+49 30 2', referrer: { externalRef: 'K-1' } });

  await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount,reminders_sent,fee_charged,fee_waived\nINV-K,K-1,2026-01-01,2026-01-15,50,2,5.00,1.50\n');
  await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount,reminders_sent,fee_charged,fee_waived\nINV-K,K-1,2026-01-01,2026-01-15,55,,,\n');
  expect(await em().findOneOrFail(Invoice, { externalRef: 'INV-K' })).toMatchObject({ amountMinor: 5500, remindersSent: 2, feeChargedMinor: 500, feeWaivedMinor: 150 });
  // An export that does not know the reminders and fees booked here (0, or fewer) takes none back (QA 44 F2); more are taken.
  await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount,reminders_sent,fee_charged,fee_waived\nINV-K,K-1,2026-01-01,2026-01-15,55,0,0,1.00\n');
  expect(await em().findOneOrFail(Invoice, { externalRef: 'INV-K' })).toMatchObject({ remindersSent: 2, feeChargedMinor: 500, feeWaivedMinor: 150 });
  await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount,reminders_sent,fee_charged,fee_waived\nINV-K,K-1,2026-01-01,2026-01-15,55,3,7.50,1.50\n');
  expect(await em().findOneOrFail(Invoice, { externalRef: 'INV-K' })).toMatchObject({ remindersSent: 3, feeChargedMinor: 750, feeWaivedMinor: 150 });
});

it('keeps a notice and a tier change decided here against a CRM export that still has the old values, until the CRM agrees or changes them itself', async () => {
  const header = 'customer_ref,name,email,service_tier,status\n';
  const file = (tier: string, status: string) => `${header}OFF-1,Olga,olga@example.com,${tier},${status}\n`;
  await run('customers', file('premium', 'active'));
  const olga = await em().findOneOrFail(Customer, { externalRef: 'OFF-1' });
  // An account review gave Olga notice after she took a cheaper tier it proposed (what its steps write).
  const e = em();
  e.create(AuditEntry, { actor: 'admin:test', action: 'customer.offboarding', entityType: 'customer', entityId: olga.id, before: { status: 'active' }, after: { status: 'offboarding', workflowId: 'account-review/x' } });
  await e.flush();
  await em().nativeUpdate(Customer, { id: olga.id }, { serviceTier: ServiceTier.Standard, tierChangedFrom: ServiceTier.Premium, status: CustomerStatus.Offboarding });

  // The CRM does not know yet: its export changes neither, and the report says both were held back and why (not just "unchanged").
  const held = { field: 'service_tier', rows: 1, why: expect.stringMatching(/^moved to another tier here in an account review; the file still has the tier before/) };
  const notice = { field: 'status', rows: 1, why: expect.stringMatching(/^under an offboarding notice given here in an account review/) };
  expect(await run('customers', file('premium', 'active'))).toMatchObject({ updated: 0, unchanged: 1, kept: [held, notice] });
  expect(await em().findOneOrFail(Customer, olga.id)).toMatchObject({ status: 'offboarding', serviceTier: 'standard', tierChangedFrom: 'premium' });
  // The same through the API (a file pasted by an admin).
  const pasted = await stack.gql(ImportCsvDocument, { input: { kind: 'Customers', csv: file('premium', 'active') } }, Role.Admin);
  expect(pasted.data!.importCsv).toMatchObject({ unchanged: 1, kept: [held, notice] });
  // It takes the new tier over: the hold ends, and a later move back to premium is the CRM's own, and taken.
  expect(await run('customers', file('standard', 'active'))).toMatchObject({ kept: [notice] });
  expect(await em().findOneOrFail(Customer, olga.id)).toMatchObject({ serviceTier: 'standard', tierChangedFrom: null });
  expect(await run('customers', file('premium', 'active'))).toMatchObject({ updated: 1, kept: [notice] });
  expect(await em().findOneOrFail(Customer, olga.id)).toMatchObject({ serviceTier: 'premium', status: 'offboarding' });
  // Only that move is the CRM's tier change (the profitability window counts the premium fee margin from today):
  // not the tier of a new customer, a row held back, nor one agreeing with the tier held.
  expect(await em().find(ServiceTierChange, { customer: olga.id })).toEqual([
    expect.objectContaining({ changedOn: new Date().toISOString().slice(0, 10), fromTier: 'standard', toTier: 'premium', source: TierChangeSource.Import }),
  ]);

  // Offboarded at the end of the notice: a customer who comes back is the CRM's to make active again.
  await em().nativeUpdate(Customer, { id: olga.id }, { status: CustomerStatus.Offboarded });
  expect(await run('customers', file('premium', 'active'))).toMatchObject({ updated: 1, kept: [] });
  expect(await em().findOneOrFail(Customer, olga.id)).toMatchObject({ status: 'active' });
  // A notice withdrawn here leaves the CRM's status counting again.
  const w = em();
  w.create(AuditEntry, { actor: 'operator:test', action: 'customer.offboarding-withdrawn', entityType: 'customer', entityId: olga.id, before: { status: 'offboarding' }, after: { status: 'active', workflowId: 'account-review/x' } });
  await w.flush();
  await em().nativeUpdate(Customer, { id: olga.id }, { status: CustomerStatus.Offboarding });
  await run('customers', file('premium', 'active'));
  expect(await em().findOneOrFail(Customer, olga.id)).toMatchObject({ status: 'active' });
});

it('keeps a resolution made here (resolveComplaint) against a CRM export without it, says so in `kept`, and takes the CRM\'s own resolution, clearing and reopening', async () => {
  await run('customers', 'customer_ref,name,email\nRK-1,Rita,rita@example.com\n');
  const header = 'complaint_ref,customer_ref,topic,severity,opened_at,resolved_at\n';
  const line = (ref: string, resolvedAt = '') => `${ref},RK-1,app-login,low,2026-05-01T10:00:00Z,${resolvedAt}\n`;
  expect(await run('complaints', header + line('RK-C1') + line('RK-C2', '2026-05-03T10:00:00Z'))).toMatchObject({ inserted: 2, kept: [] });
  const state = async (ref: string) => {
    const c = await em().findOneOrFail(Complaint, { externalRef: ref });
    return { resolvedAt: c.resolvedAt?.toISOString() ?? null, reopenedCount: c.reopenedCount, reopenedAt: c.reopenedAt?.toISOString() ?? null };
  };
  const rk1 = await em().findOneOrFail(Complaint, { externalRef: 'RK-C1' });
  // Support resolves RK-C1 here; the CRM has not heard of it, and its next export still leaves resolved_at empty.
  expect((await stack.gql(ResolveComplaintDocument, { id: rk1.id, resolvedAt: '2026-05-02T10:00:00.000Z' }, Role.Operator)).errors).toBeUndefined();
  const resolvedHere = { resolvedAt: '2026-05-02T10:00:00.000Z', reopenedCount: 0, reopenedAt: null };
  const kept = { field: 'resolved_at', rows: 1, why: expect.stringMatching(/^resolved here \(resolveComplaint\): a file without the resolution does not reopen it/) };
  expect(await run('complaints', header + line('RK-C1'))).toMatchObject({ written: true, updated: 0, unchanged: 1, kept: [kept] });
  expect(await state('RK-C1')).toEqual(resolvedHere);
  // The same through the API: a CSV pasted by an admin, and the bulk rows (an empty resolvedAt is an empty cell).
  expect((await stack.gql(ImportCsvDocument, { input: { kind: 'Complaints', csv: header + line('RK-C1') } }, Role.Admin)).data!.importCsv).toMatchObject({ unchanged: 1, kept: [kept] });
  const row = { complaint_ref: 'RK-C1', customer_ref: 'RK-1', topic: 'app-login', severity: 'low', opened_at: '2026-05-01T10:00:00Z', resolved_at: '' };
  expect(await imports.importRows('complaints', [row], strict)).toMatchObject({ unchanged: 1, kept: [kept] });
  expect(await state('RK-C1')).toEqual(resolvedHere);
  // A resolution an import gave is the CRM's: its export without it clears it (nothing kept for it).
  expect(await run('complaints', header + line('RK-C1') + line('RK-C2'))).toMatchObject({ updated: 1, unchanged: 1, kept: [kept] });
  expect(await state('RK-C2')).toEqual({ resolvedAt: null, reopenedCount: 0, reopenedAt: null });
  // A resolved_at the file gives is taken; the resolution is then the CRM's, and a later empty cell clears it.
  expect(await run('complaints', header + line('RK-C1', '2026-05-04T10:00:00Z'))).toMatchObject({ updated: 1, kept: [] });
  expect(await state('RK-C1')).toEqual({ ...resolvedHere, resolvedAt: '2026-05-04T10:00:00.000Z' });
  expect(await run('complaints', header + line('RK-C1'))).toMatchObject({ updated: 1, kept: [] });
  expect(await state('RK-C1')).toEqual({ ...resolvedHere, resolvedAt: null });
  // Resolved here again, then a file that reopens it after the resolution (reopened_at): the CRM's word, as before.
  expect((await stack.gql(ResolveComplaintDocument, { id: rk1.id, resolvedAt: '2026-05-05T10:00:00.000Z' }, Role.Operator)).errors).toBeUndefined();
  const reopening = 'complaint_ref,customer_ref,topic,severity,opened_at,reopened_count,reopened_at,resolved_at\nRK-C1,RK-1,app-login,low,2026-05-01T10:00:00Z,1,';
  expect(await run('complaints', `${reopening}2026-05-04T10:00:00Z,\n`)).toMatchObject({ updated: 1, kept: [kept] });
  expect(await state('RK-C1')).toEqual({ resolvedAt: '2026-05-05T10:00:00.000Z', reopenedCount: 1, reopenedAt: '2026-05-04T10:00:00.000Z' });
  expect(await run('complaints', `${reopening.replace(',1,', ',2,')}2026-05-06T10:00:00Z,\n`)).toMatchObject({ updated: 1, kept: [] });
  expect(await state('RK-C1')).toEqual({ resolvedAt: null, reopenedCount: 2, reopenedAt: '2026-05-06T10:00:00.000Z' });
});

it("moves a customer's acquired_at back to their first order's day, never forward: one who bought years ago is no newcomer", async () => {
  await run('customers', 'customer_ref,name,email,acquired_at\nACQ-1,Early Bird,early.bird@example.com,\nACQ-2,Late Joiner,late.joiner@example.com,2020-01-01\n');
  const today = new Date().toISOString().slice(0, 10);
  expect(await em().findOneOrFail(Customer, { externalRef: 'ACQ-1' })).toMatchObject({ acquiredAt: today });
  await run('orders', 'order_ref,customer_ref,ordered_at,amount\nACQ-O1,ACQ-1,1997-03-05T10:00:00Z,20\nACQ-O2,ACQ-1,1997-01-05T23:30:00Z,15\nACQ-O3,ACQ-2,2021-06-01,30\n');
  expect(await em().findOneOrFail(Customer, { externalRef: 'ACQ-1' })).toMatchObject({ acquiredAt: '1997-01-05' });
  // Acquired before the first order: stays.
  expect(await em().findOneOrFail(Customer, { externalRef: 'ACQ-2' })).toMatchObject({ acquiredAt: '2020-01-01' });
  // Nor does a customers file make them newer than their first stored order again: such a line changes nothing.
  const again = 'customer_ref,name,email,acquired_at\nACQ-1,Early Bird,early.bird@example.com,2020-01-01\n';
  const held = await run('customers', again);
  expect(held).toMatchObject({ inserted: 0, updated: 0, unchanged: 1 });
  expect(await em().findOneOrFail(Customer, { externalRef: 'ACQ-1' })).toMatchObject({ acquiredAt: '1997-01-05' });
  // The report says the file's day was held back, as it says of every value it keeps (not a bare "unchanged").
  expect(held.kept).toEqual([{ field: 'acquired_at', rows: 1, why: expect.stringMatching(/^held to the day of the customer's first order/) }]);
  // A day on or before the first order is taken (ACQ-2's first order is of 2021), and nothing is said kept.
  const taken = await run('customers', 'customer_ref,name,email,acquired_at\nACQ-1,Early Bird,early.bird@example.com,1996-12-31\nACQ-2,Late Joiner,late.joiner@example.com,2020-02-01\n');
  expect(taken).toMatchObject({ updated: 2, kept: [] });
  expect(await em().findOneOrFail(Customer, { externalRef: 'ACQ-1' })).toMatchObject({ acquiredAt: '1996-12-31' });
});

it("checks a currency column of the kinds with amounts against the deployment's currency, refusing a line in another, naming both codes", async () => {
  await run('customers', 'customer_ref,name,email\nCUR-1,Cur One,cur1@example.com\n');
  const mixed = 'customer_ref,ordered_at,amount,currency,order_ref\nCUR-1,2026-01-05,10.00,EUR,CUR-O1\nCUR-1,2026-01-06,12.00,USD,CUR-O2\nCUR-1,2026-01-07,3.00, eur ,CUR-O3\nCUR-1,2026-01-08,4.00,,CUR-O4\nCUR-1,2026-01-09,5.00,dollars,CUR-O5\n';
  const report = await run('orders', mixed);
  expect(report).toMatchObject({ written: false, rejected: 2 });
  expect(report.errors).toEqual([
    { line: 3, field: 'currency', code: ImportRowProblem.InvalidValue, message: "is USD, this deployment keeps EUR: amounts are not converted (convert the line's amounts to EUR first, or leave the line out)" },
    { line: 6, field: 'currency', code: ImportRowProblem.InvalidValue, message: '"dollars" is not a currency code (ISO 4217, e.g. EUR)' },
  ]);
  expect(await em().count(Order, { externalRef: { $like: 'CUR-O%' } })).toBe(0);
  // good-rows writes the lines in EUR (any case) and those without a code; the column itself is not stored anywhere.
  expect(await run('orders', mixed, partial)).toMatchObject({ written: true, inserted: 3, rejected: 2 });
  expect((await em().find(Order, { externalRef: { $like: 'CUR-O%' } })).map((o) => o.externalRef).sort()).toEqual(['CUR-O1', 'CUR-O3', 'CUR-O4']);
  // Every kind with amounts takes the column; the deployment's currency is what counts (a USD deployment takes USD).
  const costs = 'cost_ref,customer_ref,occurred_at,kind,amount,currency\nCUR-C1,CUR-1,2026-01-05,other,1,GBP\n';
  expect((await run('costs', costs)).errors).toEqual([{ line: 2, field: 'currency', code: ImportRowProblem.InvalidValue, message: "is GBP, this deployment keeps EUR: amounts are not converted (convert the line's amounts to EUR first, or leave the line out)" }]);
  const usdLine = 'customer_ref,ordered_at,amount,currency,order_ref\nCUR-1,2026-01-06,12.00,USD,CUR-O2\n';
  const dollars = new ImportService(stack.config.databaseUrl, {}, null, 'USD');
  const db = em().getConnection();
  const recorded = await db.execute<{ value: string }[]>(`select value from deployment_setting where name = 'currency'`);
  await db.execute(`delete from deployment_setting where name = 'currency'`);
  expect(await dollars.importCsv('orders', Readable.from([usdLine]), strict)).toMatchObject({ inserted: 1, errorCount: 0 });
  // Once the database records the currency its amounts are in, that one counts, whatever the importing process was given:
  // a command-line import run without CURRENCY against a USD deployment checks against USD, not the default EUR.
  await db.execute(`insert into deployment_setting (name, value, recorded_at) values ('currency', 'USD', now())`);
  try {
    expect(await run('orders', usdLine.replace('CUR-O2', 'CUR-O6'))).toMatchObject({ inserted: 1, errorCount: 0 });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'import-'));
    await writeFile(path.join(dir, 'orders.csv'), usdLine.replace('CUR-O2', 'CUR-O7').replace(/USD/, 'EUR'));
    const viaCli = cli(['orders', path.join(dir, 'orders.csv')]);
    expect(viaCli.status).toBe(1);
    expect(JSON.parse(viaCli.stdout).errors[0].message).toBe("is EUR, this deployment keeps USD: amounts are not converted (convert the line's amounts to USD first, or leave the line out)");
    await rm(dir, { recursive: true, force: true });
  } finally {
    await db.execute(`delete from deployment_setting where name = 'currency'`);
    for (const { value } of recorded) await db.execute(`insert into deployment_setting (name, value, recorded_at) values ('currency', ?, now())`, [value]);
  }
  for (const kind of ['invoices', 'payments', 'complaints']) await expect(run(kind, `${kind === 'payments' ? 'invoice_ref,paid_at,amount' : kind === 'invoices' ? 'invoice_ref,customer_ref,issued_at,due_at,amount' : 'complaint_ref,customer_ref,topic,severity,opened_at'},currency\n`)).resolves.toMatchObject({ rowsRead: 0 });
  // Offers and customers carry no amounts: the column is unknown there.
  await expect(run('customers', 'customer_ref,name,email,currency\nCUR-1,Cur One,cur1@example.com,EUR\n')).rejects.toMatchObject({ code: ImportExceptionCode.BadHeader });
  // The bulk mutations check a row's currency alike, named by its row.
  const rows = await imports.importRows('orders', [{ customer_ref: 'CUR-1', ordered_at: '2026-01-10', amount: '1', order_ref: 'CUR-O9', currency: 'CHF' }], strict);
  expect(rows.errors).toEqual([{ line: 1, field: 'currency', code: ImportRowProblem.InvalidValue, message: "is CHF, this deployment keeps EUR: amounts are not converted (convert the line's amounts to EUR first, or leave the line out)" }]);
});

it('refuses a customer whose referrer is only in the file on a refused line, down the chain, and imports the rest', async () => {
  const csv = 'customer_ref,name,email,referrer_ref\nR-1,Bad Mail,nope,\nR-2,Second,r2@example.com,R-1\nR-3,Third,r3@example.com,R-2\nR-4,Fourth,r4@example.com,K-1\n';
  const report = await run('customers', csv, partial);
  expect(report.errors).toEqual([
    { line: 2, field: 'email', code: ImportRowProblem.InvalidValue, message: '"nope" is not an e-mail address' },
    { line: 3, field: 'referrer_ref', code: ImportRowProblem.ReferrerRefused, message: 'refers to customer "R-1", whose line has errors' },
    { line: 4, field: 'referrer_ref', code: ImportRowProblem.ReferrerRefused, message: 'refers to customer "R-2", whose line has errors' },
  ]);
  expect(report).toMatchObject({ inserted: 1, rejected: 3 });
  expect(await em().count(Customer, { externalRef: { $in: ['R-1', 'R-2', 'R-3'] } })).toBe(0);
  expect(await em().findOneOrFail(Customer, { externalRef: 'R-4' }, { populate: ['referrer'] })).toMatchObject({ referrer: { externalRef: 'K-1' } });
});

it('refuses text longer than the API takes, and phone numbers it would not take', async () => {
  const a = (n: number) => 'a'.repeat(n);
  const customers = await run('customers', `customer_ref,name,email,phone\nLEN-1,${a(201)},len1@example.com,+44 20 7946 0001\nLEN-2,${a(200)},len2@example.com,call me maybe\nLEN-3,Len,len3@example.com,- - -\n`);
  expect(customers.errors).toEqual([
    { line: 2, field: 'name', code: ImportRowProblem.InvalidValue, message: `"${a(60)}" is longer than 200 characters` },
    { line: 3, field: 'phone', code: ImportRowProblem.InvalidValue, message: '"call me maybe" is not a phone number (up to 40 digits, spaces and + ( ) / -, at least 3 of them digits, and an extension such as "ext. 5")' },
    // Separators alone are no number (QA 53 F5).
    { line: 4, field: 'phone', code: ImportRowProblem.InvalidValue, message: '"- - -" is not a phone number (up to 40 digits, spaces and + ( ) / -, at least 3 of them digits, and an extension such as "ext. 5")' },
  ]);
  const complaints = await run('complaints', `complaint_ref,customer_ref,topic,severity,opened_at,summary\nLEN-C1,CRM-1001,app-login,low,2026-01-01,${a(2001)}\nLEN-C2,CRM-1001,app-login,low,2026-01-01,${a(2000)}\n`);
  expect(complaints.errors).toEqual([{ line: 2, field: 'summary', code: ImportRowProblem.InvalidValue, message: `"${a(60)}" is longer than 2000 characters` }]);
  const offers = await run('offers', `code,name,description,audience,discount_percent,valid_from\nLEN-O1,${a(201)},${a(1001)},all,10,2026-01-01\nLEN-O2,${a(200)},${a(1000)},all,10,2026-01-01\n`);
  expect(offers.errors).toEqual([
    { line: 2, field: 'description', code: ImportRowProblem.InvalidValue, message: `"${a(60)}" is longer than 1000 characters` },
    { line: 2, field: 'name', code: ImportRowProblem.InvalidValue, message: `"${a(60)}" is longer than 200 characters` },
  ]);
  expect(await em().count(Customer, { externalRef: { $like: 'LEN-%' } })).toBe(0);
  // PostgreSQL reads the phone rule as the API does: an extension is part of a number.
  const extension = await run('customers', 'customer_ref,name,email,phone\nLEN-X1,Ann,lenx1@example.com,+49 30 1234567 ext. 5\nLEN-X2,Bo,lenx2@example.com,+49 30 1234567 ext.\n', partial);
  expect(extension.errors).toEqual([{ line: 3, field: 'phone', code: ImportRowProblem.InvalidValue, message: expect.stringContaining('is not a phone number') }]);
  expect(await em().findOneOrFail(Customer, { externalRef: 'LEN-X1' })).toMatchObject({ phone: '+49 30 1234567 ext. 5' });
});

it('refuses referral cycles, also longer ones and ones closed through stored customers, and not who refers into one', async () => {
  const header = 'customer_ref,name,email,referrer_ref\n';
  const row = (ref: string, referrer = '') => `${ref},Name ${ref},${ref.toLowerCase()}@example.com,${referrer}\n`;
  const circle = (referrer: string) => `refers to "${referrer}", who was referred by this customer, directly or through others: referrals cannot go round in a circle`;
  const inFile = await run(
    'customers',
    header + row('CYC-1', 'CYC-2') + row('CYC-2', 'CYC-1') + row('CYC-3', 'CYC-4') + row('CYC-4', 'CYC-5') + row('CYC-5', 'CYC-3') + row('CYC-6', 'CYC-1') + row('CYC-7', 'CYC-7') + row('CYC-8', 'CRM-1001'),
    partial,
  );
  expect(inFile.errors).toEqual([
    { line: 2, field: 'referrer_ref', code: ImportRowProblem.ReferralCircle, message: circle('CYC-2') },
    { line: 3, field: 'referrer_ref', code: ImportRowProblem.ReferralCircle, message: circle('CYC-1') },
    { line: 4, field: 'referrer_ref', code: ImportRowProblem.ReferralCircle, message: circle('CYC-4') },
    { line: 5, field: 'referrer_ref', code: ImportRowProblem.ReferralCircle, message: circle('CYC-5') },
    { line: 6, field: 'referrer_ref', code: ImportRowProblem.ReferralCircle, message: circle('CYC-3') },
    // Behind the cycle: refused only because its referrer is (and is not stored).
    { line: 7, field: 'referrer_ref', code: ImportRowProblem.ReferrerRefused, message: 'refers to customer "CYC-1", whose line has errors' },
    { line: 8, field: 'referrer_ref', code: ImportRowProblem.ReferralCircle, message: 'a customer cannot refer themselves' },
  ]);
  expect(inFile).toMatchObject({ written: true, inserted: 1 });

  // Stored: ST-1 referred ST-2, who referred ST-3. ST-1 referred by ST-3 would close the circle through the stored two.
  expect(await run('customers', header + row('ST-1') + row('ST-2', 'ST-1') + row('ST-3', 'ST-2'))).toMatchObject({ inserted: 3 });
  const throughStored = await run('customers', header + row('ST-1', 'ST-3') + row('ST-4', 'ST-3'), partial);
  expect(throughStored.errors).toEqual([{ line: 2, field: 'referrer_ref', code: ImportRowProblem.ReferralCircle, message: circle('ST-3') }]);
  expect(throughStored).toMatchObject({ inserted: 1 });
  // Moving referrals around without closing a circle is fine: ST-2 now refers to ST-4, who refers to ST-3.
  expect(await run('customers', header + row('ST-2', 'ST-4') + row('ST-3', 'ST-1'))).toMatchObject({ errorCount: 0, updated: 2 });
  expect((await em().findOneOrFail(Customer, { externalRef: 'ST-1' }, { populate: ['referrer'] })).referrer).toBeNull();
});

it('stores no referral circle when two customer files at the same moment each make half of it: one of them is refused', async () => {
  const header = 'customer_ref,name,email,referrer_ref\n';
  const n = 50;
  for (let round = 0; round < 5; round++) {
    const ref = (side: string, i: number) => `HALF-${round}-${side}${i}`;
    const rows = (side: string, referrer: (i: number) => string) =>
      header + Array.from({ length: n }, (_, i) => `${ref(side, i)},Name ${ref(side, i)},${ref(side, i).toLowerCase()}@example.com,${referrer(i)}\n`).join('');
    await run('customers', rows('X', () => '') + rows('Y', () => '').slice(header.length));
    const reports = await Promise.all([run('customers', rows('X', (i) => ref('Y', i))), run('customers', rows('Y', (i) => ref('X', i)))]);
    expect(reports.map((r) => r.written).sort()).toEqual([false, true]);
    const stored = await em().find(Customer, { externalRef: { $like: `HALF-${round}-%` } }, { populate: ['referrer'] });
    const circles = stored.filter((c) => c.referrer && stored.find((r) => r.id === c.referrer!.id)?.referrer?.id === c.id);
    expect(circles.map((c) => c.externalRef)).toEqual([]);
  }
}, 60_000);

it('takes turns between two imports of one kind with overlapping new rows in opposite orders, instead of deadlocking (QA 70 F3)', async () => {
  const n = 20_000;
  const lines = Array.from({ length: n }, (_, i) => `DL-${String(i).padStart(6, '0')},Name ${i},dl${i}@example.com`);
  const header = 'customer_ref,name,email\n';
  const reports = await Promise.all([run('customers', header + lines.join('\n') + '\n'), run('customers', header + [...lines].reverse().join('\n') + '\n')]);
  expect(reports.map((r) => [r.inserted, r.unchanged]).sort()).toEqual([
    [0, n],
    [n, 0],
  ]);
}, 120_000);

/**
 * Runs `start` (an import of orders naming DLX-A and DLX-B) into a deadlock with a transaction of the test's: the
 * test holds DLX-B, the import takes DLX-A and waits for DLX-B, then the test asks for DLX-A. The import waited
 * first (and the test's transaction looks for deadlocks only after a minute), so the database breaks it by stopping the import. Returns what `start` gave or threw.
 */
async function deadlocked<T>(start: () => Promise<T>): Promise<{ value?: T; error?: unknown }> {
  await run('customers', 'customer_ref,name,email\nDLX-A,Dee A,dlx-a@example.com\nDLX-B,Dee B,dlx-b@example.com\n');
  const [a, b] = (await em().find(Customer, { externalRef: { $in: ['DLX-A', 'DLX-B'] } }, { orderBy: { id: 'asc' } })).map((c) => c.id);
  const holder = new pg.Client({ connectionString: stack.config.databaseUrl });
  const watcher = new pg.Client({ connectionString: stack.config.databaseUrl });
  await Promise.all([holder.connect(), watcher.connect()]);
  try {
    // The import checks for a deadlock a second after it began to wait; the test's transaction much later, so the import is stopped.
    await holder.query(`set deadlock_timeout = '60s'`);
    await holder.query('begin');
    await holder.query('select 1 from customer where id = $1 for update', [b]);
    const outcome = start().then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    for (let i = 0; ; i++) {
      const { rows } = await watcher.query(`select 1 from pg_stat_activity where application_name = 'import orders' and wait_event_type = 'Lock'`);
      if (rows.length) break;
      if (i > 600) throw new Error('the import never waited for the held customer');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const mine = holder.query('select 1 from customer where id = $1 for update', [a]);
    const result = await outcome;
    await mine;
    return result;
  } finally {
    await holder.query('rollback').catch(() => undefined);
    await Promise.all([holder.end(), watcher.end()]);
  }
}

it('writes the whole report of a file with many refused lines to a pipe that is read slowly, before it exits (a scheduler or `| jq` read 64 KiB of it)', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'report-pipe-'));
  const file = path.join(dir, 'orders.csv');
  await writeFile(file, `customer_ref,ordered_at,amount,order_ref\n${Array.from({ length: 1500 }, (_, i) => `PIPE-${i},2026-01-02,not-an-amount,PIPE-O${i}`).join('\n')}\n`);
  const child = spawn(process.execPath, [path.resolve('dist/src/bin/import.js'), 'orders', file], { env: { ...process.env, DATABASE_URL: stack.config.databaseUrl } });
  // Nothing read from the pipe until the tool has had time to write (and, before, to exit).
  child.stdout.pause();
  const closed = once(child, 'close');
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stdout.resume();
  const [status] = (await closed) as [number];
  expect(status).toBe(1);
  expect(stdout.length).toBeGreaterThan(128 * 1024);
  const report = JSON.parse(stdout) as { written: boolean; rejected: number; errors: { line: number; field: string }[] };
  expect(report).toMatchObject({ written: false, rejected: 1500 });
  expect(report.errors).toHaveLength(1000);
  await rm(dir, { recursive: true });
}, 60_000);

it('ends with the exit code of its report, without a crash, when the reader of its report stops early (`| head`)', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'report-head-'));
  const file = path.join(dir, 'orders.csv');
  await writeFile(file, `customer_ref,ordered_at,amount,order_ref\n${Array.from({ length: 1500 }, (_, i) => `HEAD-${i},2026-01-02,not-an-amount,HEAD-O${i}`).join('\n')}\n`);
  const child = spawn(process.execPath, [path.resolve('dist/src/bin/import.js'), 'orders', file], { env: { ...process.env, DATABASE_URL: stack.config.databaseUrl } });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const closed = once(child, 'close');
  // The reader takes the first chunk of the report and closes the pipe, as `head` does.
  await once(child.stdout, 'data');
  child.stdout.destroy();
  const [status] = (await closed) as [number];
  expect(stderr).not.toMatch(/EPIPE|Error/);
  expect(status).toBe(1);
  await rm(dir, { recursive: true });
}, 60_000);

it('refuses an import the database stopped to break a deadlock as IMPORT_CONCURRENT_CHANGE, to run again: from the service, through GraphQL (UNAVAILABLE) and as JSON from the CLI (QA 70 F3)', async () => {
  const csv = 'customer_ref,ordered_at,amount,order_ref\nDLX-A,2026-01-02,10,DLX-O1\nDLX-B,2026-01-02,10,DLX-O2\n';
  const service = await deadlocked(() => run('orders', csv));
  expect(service.error).toBeInstanceOf(ImportException);
  expect(service.error).toMatchObject({ code: ImportExceptionCode.ConcurrentChange, kind: 'UNAVAILABLE', message: expect.stringMatching(/nothing was written, run it again$/) });

  const viaGraphql = await deadlocked(() => stack.gql(ImportCsvDocument, { input: { kind: 'Orders', csv } }, Role.Admin));
  expect(viaGraphql.value!.errors![0].extensions).toEqual({ code: 'UNAVAILABLE', reason: 'IMPORT_CONCURRENT_CHANGE', retry: true });

  const dir = await mkdtemp(path.join(os.tmpdir(), 'deadlock-'));
  await writeFile(path.join(dir, 'orders.csv'), csv);
  const viaCli = await deadlocked(async () => {
    const child = spawn(process.execPath, [path.resolve('dist/src/bin/import.js'), 'orders', path.join(dir, 'orders.csv')], { env: { ...process.env, DATABASE_URL: stack.config.databaseUrl } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [status] = (await once(child, 'close')) as [number];
    return { status, stderr };
  });
  expect(viaCli.value!.status).toBe(1);
  expect(JSON.parse(viaCli.value!.stderr.trim().split('\n').at(-1)!)).toMatchObject({ code: 'IMPORT_CONCURRENT_CHANGE', retry: true });
  await rm(dir, { recursive: true });
  // Nothing was written; the same file again goes in.
  expect(await em().count(Order, { externalRef: { $in: ['DLX-O1', 'DLX-O2'] } })).toBe(0);
  expect(await run('orders', csv)).toMatchObject({ inserted: 2 });
}, 60_000);

it('checks a long chain of referrals in one list quickly, and the circle that closes it', async () => {
  // Each row referred by the next one: the order in which a naive walk from every row costs n² steps.
  const n = 5000;
  const rows = Array.from({ length: n }, (_, i) => ({ customer_ref: `CH-${i}`, name: `Chain ${i}`, email: `ch${i}@example.com`, referrer_ref: i + 1 < n ? `CH-${i + 1}` : null }));
  const started = Date.now();
  const closed = await imports.importRows('customers', [...rows.slice(0, -1), { ...rows[n - 1], referrer_ref: 'CH-0' }], strict);
  expect(closed).toMatchObject({ written: false, errorCount: n });
  expect(closed.errors[0]).toEqual({ line: 1, field: 'referrer_ref', code: ImportRowProblem.ReferralCircle, message: 'refers to "CH-1", who was referred by this customer, directly or through others: referrals cannot go round in a circle' });
  expect(await imports.importRows('customers', rows, strict)).toMatchObject({ written: true, inserted: n, errorCount: 0 });
  expect(Date.now() - started).toBeLessThan(20_000);
}, 60_000);

it('accepts the time zones the API accepts, and only those', async () => {
  const report = await run('customers', 'customer_ref,name,email,time_zone\nZ-1,Zed,z1@example.com,Europe/Berlin\nZ-2,Zed,z2@example.com,US/Pacific\nZ-3,Zed,z3@example.com,Factory\nZ-4,Zed,z4@example.com,Asia/Kolkata\n', partial);
  // PostgreSQL knows Factory; the application (Intl, quiet hours) does not. Aliases and current names the runtime lists under another spelling it does.
  expect(report.errors.map((e) => [e.line, e.field])).toEqual([[4, 'time_zone']]);
  const zone = async (ref: string) => (await em().findOneOrFail(Customer, { externalRef: ref })).timeZone;
  expect([await zone('Z-2'), await zone('Z-4')]).toEqual(['US/Pacific', 'Asia/Kolkata']);
});

it("has delivery look again at the messages held for quiet hours in a customer's old time zone, once a file moves them to another (QA 50 F2)", async () => {
  await run('customers', 'customer_ref,name,email,time_zone\nTZ-1,Tomo,tz1@example.com,Asia/Tokyo\nTZ-2,Tina,tz2@example.com,Asia/Tokyo\n');
  const e = em();
  const morningInTokyo = new Date(Date.now() + 10 * 3_600_000);
  for (const ref of ['TZ-1', 'TZ-2']) {
    const customer = await e.findOneOrFail(Customer, { externalRef: ref });
    e.create(OutboxMessage, { idempotencyKey: `held/${ref}`, customer, channel: MessageChannel.Email, purpose: MessagePurpose.Service, template: 'appreciation', payload: {}, sendAfter: morningInTokyo });
  }
  await e.flush();
  const held = async () => Object.fromEntries((await em().find(OutboxMessage, { idempotencyKey: { $like: 'held/TZ-%' } })).map((m) => [m.idempotencyKey, m.sendAfter?.getTime() ?? null]));
  // Only the customer who moved; a file without the column, or with the same zone, holds on.
  await run('customers', 'customer_ref,name,email\nTZ-1,Tomo,tz1@example.com\n');
  expect(await held()).toEqual({ 'held/TZ-1': morningInTokyo.getTime(), 'held/TZ-2': morningInTokyo.getTime() });
  await run('customers', 'customer_ref,name,email,time_zone\nTZ-1,Tomo,tz1@example.com,Europe/Lisbon\nTZ-2,Tina,tz2@example.com,Asia/Tokyo\n');
  expect(await held()).toEqual({ 'held/TZ-1': null, 'held/TZ-2': morningInTokyo.getTime() });
});

it('takes the language as a BCP 47 tag, and keeps a stored one when the cell is empty', async () => {
  const report = await run('customers', 'customer_ref,name,email,locale\nL-1,Lena,l1@example.com,de-AT\nL-2,Lena,l2@example.com,de_AT\nL-3,Lena,l3@example.com,\n', partial);
  expect(report.errors.map((e) => [e.line, e.field, e.message])).toEqual([[3, 'locale', '"de_AT" is not a language tag (e.g. de or de-AT)']]);
  const locale = async (ref: string) => (await em().findOneOrFail(Customer, { externalRef: ref })).locale;
  expect([await locale('L-1'), await locale('L-3')]).toEqual(['de-AT', 'en']);
  await run('customers', 'customer_ref,name,email,locale\nL-1,Lena,l1@example.com,\n');
  expect(await locale('L-1')).toBe('de-AT');
});

it('refuses a cost quantity that is not a number instead of dropping it', async () => {
  const report = await run('costs', 'cost_ref,customer_ref,occurred_at,kind,amount,quantity\nQ-1,K-1,2026-01-01,return,5,lots\nQ-2,K-1,2026-01-01,return,5,1.5\n', partial);
  expect(report.errors).toEqual([{ line: 2, field: 'quantity', code: ImportRowProblem.InvalidValue, message: '"lots" is not a number (at most 6 decimals)' }]);
  expect(await em().findOneOrFail(CostEntry, { externalRef: 'Q-2' })).toMatchObject({ quantity: 1.5 });
});

it('imports offers by code, upper-cased, under the rules createOffer keeps, and updates only the columns a re-import has', async () => {
  const csv = [
    'code,name,audience,discount_percent,service_tier,valid_from,valid_until',
    'spring5,Spring,all,5,,2026-03-01,2026-03-31',
    'x,Bad code,all,5,,2026-01-01,',
    'ZERO,Zero,all,0,,2026-01-01,',
    'NOTHING,Nothing,all,,,2026-01-01,',
    'BACKWARDS,Backwards,all,5,,2026-02-01,2026-01-01',
    'Spring5,Again,all,5,,2026-03-01,',
    'PARTY,Party,everyone,5,,2026-01-01,',
    'HALF,Half,all,10.5,,2026-01-01,',
    '',
  ].join('\n');
  const report = await run('offers', csv, partial);
  expect(report.errors.map((e) => [e.line, e.field, e.message])).toEqual([
    [3, 'code', '"x" is not a code of 2 to 40 letters, digits, - or _'],
    [4, 'discount_percent', 'must be from 1 to 100'],
    [5, 'discount_percent', 'an offer needs discount_percent, service_tier or both'],
    [6, 'valid_until', 'is before valid_from'],
    [7, 'code', 'repeats the reference of line 2'],
    [8, 'audience', '"everyone" is not one of new, existing, all'],
    // Named with the discount's own bounds, not as any whole number (QA 59 F4).
    [9, 'discount_percent', '"10.5" is not a whole number from 1 to 100'],
  ]);
  expect(report).toMatchObject({ inserted: 1, rejected: 7 });
  expect(await em().findOneOrFail(Offer, { code: 'SPRING5' })).toMatchObject({ name: 'Spring', audience: 'all', discountPercent: 5, validFrom: '2026-03-01', validUntil: '2026-03-31' });
  // A file without the discount and tier columns renames the offer and keeps its discount.
  const renamed = await run('offers', 'code,name,audience,valid_from\nspring5,Spring sale,all,2026-03-01\n');
  expect(renamed).toMatchObject({ updated: 1, errorCount: 0 });
  expect(await em().findOneOrFail(Offer, { code: 'SPRING5' })).toMatchObject({ name: 'Spring sale', discountPercent: 5, validUntil: '2026-03-31' });
  // Audited for the stored offer, by the importer: what changed in it (one the file adds is counted in the import's entry).
  const spring = await em().findOneOrFail(Offer, { code: 'SPRING5' });
  expect((await em().find(AuditEntry, { entityId: spring.id })).map((a) => [a.actor, a.action, a.before, a.after])).toEqual([['test', 'offer.import', { name: 'Spring' }, { name: 'Spring sale' }]]);
});

it('names the line a record starts on when quoted fields span lines, and refuses a line with a NUL character alone', async () => {
  const csv = [
    'complaint_ref,customer_ref,topic,severity,opened_at,summary',
    'ML-1,CRM-1002,billing,low,2026-01-01,"first',
    'second"',
    'ML-2,CRM-1002,billing,urgent,2026-01-01,"x',
    'y"',
    'ML-3,CRM-9999,billing,low,2026-01-01,ok',
    'ML-4,CRM-1002,billing,low,2026-01-01,nul\u0000here',
    '',
  ].join('\n');
  const report = await run('complaints', csv, partial);
  expect(report.errors).toEqual([
    { line: 4, field: 'severity', code: ImportRowProblem.InvalidValue, message: '"urgent" is not one of low, medium, high, critical' },
    { line: 6, field: 'customer_ref', code: ImportRowProblem.UnknownReference, message: 'unknown customer "CRM-9999"' },
    { line: 7, field: null, code: ImportRowProblem.MalformedLine, message: 'contains a NUL character' },
  ]);
  expect((await em().findOneOrFail(Complaint, { externalRef: 'ML-1' })).summary).toBe('first\nsecond');
});

it('marks an invoice paid on the day its payments first cover it, and leaves it unpaid before', async () => {
  await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount\nINV-P,K-1,2026-02-01,2026-02-15,100\n');
  await run('payments', 'invoice_ref,paid_at,amount\nINV-P,2026-02-03,30\n');
  expect((await em().findOneOrFail(Invoice, { externalRef: 'INV-P' })).paidAt).toBeNull();
  // The same file again plus two payments: the first line matches the stored payment (derived reference).
  const report = await run('payments', 'invoice_ref,paid_at,amount\nINV-P,2026-02-03,30\nINV-P,2026-02-20,70\nINV-P,2026-02-10,40\n');
  expect(report).toMatchObject({ inserted: 2, updated: 0, unchanged: 1 });
  expect(await em().count(Payment, { invoice: { externalRef: 'INV-P' } })).toBe(3);
  // 30 (02-03) + 40 (02-10) = 70 < 100; + 70 (02-20) covers it.
  expect((await em().findOneOrFail(Invoice, { externalRef: 'INV-P' })).paidAt).toBe('2026-02-20');
});

it('marks every invoice paid whose payments cover it when two payments files, or an invoices and a payments file, for it are imported at the same moment', async () => {
  await run('customers', 'customer_ref,name,email\nPR-1,Pia,pia@example.com\n');
  const n = 40;
  const refs = (round: number) => Array.from({ length: n }, (_, i) => `PR-${round}-${i}`);
  const invoices = (round: number, amount: string) =>
    'invoice_ref,customer_ref,issued_at,due_at,amount,paid_at\n' + refs(round).map((ref) => `${ref},PR-1,2026-02-01,2026-02-15,${amount},\n`).join('');
  const payments = (round: number, amount: string, tag: string) =>
    'invoice_ref,paid_at,amount,payment_ref\n' + refs(round).map((ref) => `${ref},2026-02-20,${amount},${ref}-${tag}\n`).join('');
  const unpaid = async (round: number) =>
    (await em().find(Invoice, { externalRef: { $in: refs(round) } })).filter((i) => i.paidAt !== '2026-02-20').map((i) => i.externalRef);
  for (let round = 0; round < 6; round++) {
    // Two payments of 60 on 100: each file alone leaves the invoices unpaid, both together pay them.
    await run('invoices', invoices(round, '100'));
    await Promise.all([run('payments', payments(round, '60', 'A')), run('payments', payments(round, '60', 'B'))]);
    expect(await unpaid(round)).toEqual([]);
    // The amount corrected from 150 to 100 (paid_at empty) while payments of 100 come in: paid either way round.
    await run('invoices', invoices(100 + round, '150'));
    await Promise.all([run('invoices', invoices(100 + round, '100')), run('payments', payments(100 + round, '100', 'A'))]);
    expect(await unpaid(100 + round)).toEqual([]);
  }
}, 60_000);

it('checks a complaint against a reopening committed while the file was imported: the import waits for the complaint and refuses a resolution before it', async () => {
  await run('customers', 'customer_ref,name,email\nLK-1,Lena,lena@example.com\n');
  await run('complaints', 'complaint_ref,customer_ref,topic,severity,opened_at,resolved_at\nLK-C1,LK-1,app-login,low,2026-05-01T10:00:00Z,2026-05-10T10:00:00Z\n');
  const stored = await em().findOneOrFail(Complaint, { externalRef: 'LK-C1' });
  // Another session reopens it (as reopenComplaint does, holding its row) and commits only once the import is under way.
  const other = new pg.Client({ connectionString: stack.config.databaseUrl });
  await other.connect();
  try {
    await other.query('begin');
    await other.query('select 1 from complaint where id = $1 for update', [stored.id]);
    await other.query(`update complaint set resolved_at = null, reopened_at = '2026-05-20T10:00:00Z', reopened_count = reopened_count + 1 where id = $1`, [stored.id]);
    let done = false;
    // Resolved on 05-15: after the stored resolution's opening, before the reopening being committed.
    const importing = run('complaints', 'complaint_ref,customer_ref,topic,severity,opened_at,resolved_at\nLK-C1,LK-1,app-login,low,2026-05-01T10:00:00Z,2026-05-15T10:00:00Z\n').finally(() => {
      done = true;
    });
    // (Asked outside the other session's transaction, which would see the activity as it was when it first asked.)
    const waiting = async () => (await em().execute(`select 1 from pg_stat_activity where application_name = 'import complaints' and wait_event_type = 'Lock'`)).length;
    for (let i = 0; i < 50 && !(await waiting()); i++) await new Promise((r) => setTimeout(r, 100));
    expect({ waiting: await waiting(), done }).toEqual({ waiting: 1, done: false });
    await other.query('commit');
    const report = await importing;
    expect(report).toMatchObject({ written: false, errors: [{ line: 2, field: 'resolved_at', code: ImportRowProblem.OutOfOrder, message: 'is before reopened_at' }] });
  } finally {
    await other.end();
  }
  const after = await em().findOneOrFail(Complaint, { externalRef: 'LK-C1' });
  expect({ resolvedAt: after.resolvedAt, reopenedAt: after.reopenedAt?.toISOString(), reopenedCount: after.reopenedCount }).toEqual({ resolvedAt: null, reopenedAt: '2026-05-20T10:00:00.000Z', reopenedCount: 1 });
});

it('holds back the reminders still queued for an invoice once the payments file pays it in full, and not the thank-you', async () => {
  await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount\nINV-R,K-1,2026-02-01,2026-02-15,100\n');
  const invoice = await em().findOneOrFail(Invoice, { externalRef: 'INV-R' });
  for (const [step, template] of [['reminder-1', 'reminder-standard-1'], ['thank-you', 'thank-you-payment']]) {
    await em().transactional((tx) =>
      new OutboxService().enqueue(tx, { idempotencyKey: `fair-reminder/${invoice.id}/${step}`, customerId: invoice.customer.id, channel: MessageChannel.Email, purpose: MessagePurpose.Service, template, payload: { invoiceId: invoice.id }, invoiceId: invoice.id }),
    );
  }
  const message = (step: string) => em().findOneOrFail(OutboxMessage, { idempotencyKey: `fair-reminder/${invoice.id}/${step}` });
  await run('payments', 'invoice_ref,paid_at,amount\nINV-R,2026-02-20,40\n');
  expect(await message('reminder-1')).toMatchObject({ suppressedAt: null });
  await run('payments', 'invoice_ref,paid_at,amount\nINV-R,2026-02-21,60\n');
  expect(await message('reminder-1')).toMatchObject({ sentAt: null, suppressedReason: INVOICE_PAID });
  expect(await message('thank-you')).toMatchObject({ suppressedAt: null });
});

it('audits an import that is applied, and only those', async () => {
  const audits = () => em().count(AuditEntry, { action: 'import.orders' });
  const before = await audits();
  await run('orders', await example('bad-orders.csv'));
  expect(await audits()).toBe(before);
  // A header alone is nothing to apply, as an empty list of rows is.
  expect(await run('orders', 'customer_ref,ordered_at,amount\n')).toMatchObject({ rowsRead: 0, written: false });
  expect(await audits()).toBe(before);
  // Good rows with no good row: nothing imported, so not written and not audited (QA 54 F3); the CLI says so too.
  const allBad = 'customer_ref,ordered_at,amount\nCRM-9999,2026-01-01,1\nCRM-1001,someday,1\n';
  expect(await run('orders', allBad, partial)).toMatchObject({ rowsRead: 2, rejected: 2, inserted: 0, written: false });
  expect(await imports.importRows('orders', [{ customer_ref: 'CRM-9999', ordered_at: '2026-01-01', amount: '1' }], partial)).toMatchObject({ rejected: 1, written: false });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'all-bad-'));
  await writeFile(path.join(dir, 'orders.csv'), allBad);
  const byCli = cli(['orders', path.join(dir, 'orders.csv'), '--partial']);
  await rm(dir, { recursive: true });
  expect(byCli.status).toBe(1);
  expect(JSON.parse(byCli.stdout)).toMatchObject({ mode: 'good-rows', written: false, rejected: 2 });
  expect(byCli.stderr).toMatch(/orders: nothing written, 2 rows refused/);
  expect(await audits()).toBe(before);
  await run('orders', await example('bad-orders.csv'), { ...partial, actor: 'admin:abc', source: 'bad-orders.csv' });
  const entries = await em().find(AuditEntry, { action: 'import.orders' }, { orderBy: { at: 'desc' } });
  expect(entries).toHaveLength(before + 1);
  expect(entries[0]).toMatchObject({ actor: 'admin:abc', entityType: 'orders' });
  expect(entries[0].after).toMatchObject({ source: 'bad-orders.csv', mode: 'good-rows', inserted: 0, updated: 0, unchanged: 1, rejected: 7 });
});

describe('importRows (the GraphQL bulk path)', () => {
  it('stages rows like a file: errors by index in the list, all-or-nothing, good-rows', async () => {
    const rows = [
      { customer_ref: 'K-1', ordered_at: '2026-03-01', amount: '10.00', margin: '1', order_ref: 'ROW-1' },
      { customer_ref: 'K-1', ordered_at: 'yesterday', amount: '-1', margin: '', order_ref: 'ROW-2' },
      { customer_ref: 'K-1', ordered_at: '2026-03-02T08:00:00+02:00', amount: '7', margin: null, order_ref: 'ROW-3' },
    ];
    const strictRun = await imports.importRows('orders', rows, strict);
    expect(strictRun).toMatchObject({ written: false, rowsRead: 3, rejected: 1, errorCount: 2 });
    expect(strictRun.errors.map((e) => [e.line, e.field])).toEqual([
      [2, 'amount'],
      [2, 'ordered_at'],
    ]);
    expect(await em().count(Order, { externalRef: { $like: 'ROW-%' } })).toBe(0);
    expect(await imports.importRows('orders', rows, partial)).toMatchObject({ written: true, inserted: 2 });
    expect((await em().findOneOrFail(Order, { externalRef: 'ROW-3' })).orderedAt.toISOString()).toBe('2026-03-02T06:00:00.000Z');
  });

  it('calls a row of the list a row in its messages, numbered from 1 as `line` is, where a file says line', async () => {
    const customers = [
      { customer_ref: 'BR-1', name: 'Bee One', email: 'bee1@example.com', referrer_ref: 'BR-2' },
      { customer_ref: 'BR-2', name: 'Bee Two', email: 'bad', referrer_ref: null },
      { customer_ref: 'BR-1', name: 'Bee One', email: 'bee1@example.com', referrer_ref: null },
    ];
    const report = await imports.importRows('customers', customers, partial);
    expect(report.errors).toEqual([
      { line: 1, field: 'referrer_ref', code: ImportRowProblem.ReferrerRefused, message: 'refers to customer "BR-2", whose row has errors' },
      { line: 2, field: 'email', code: ImportRowProblem.InvalidValue, message: '"bad" is not an e-mail address' },
      { line: 3, field: 'customer_ref', code: ImportRowProblem.DuplicateReference, message: 'repeats the reference of row 1' },
    ]);
    await run('customers', 'customer_ref,name,email\nBR-K,Bee Kay,beekay@example.com\n');
    const orders = await imports.importRows('orders', [1, 2].map(() => ({ customer_ref: 'BR-K', ordered_at: '2026-03-01', amount: '1', order_ref: 'BR-O1' })), strict);
    expect(orders.errors).toEqual([{ line: 2, field: 'order_ref', code: ImportRowProblem.DuplicateReference, message: 'repeats the reference of row 1' }]);
    // The same in a file names its lines (the header is line 1).
    const file = await run('orders', 'customer_ref,ordered_at,amount,order_ref\nBR-K,2026-03-01,1,BR-O1\nBR-K,2026-03-01,1,BR-O1\n');
    expect(file.errors).toEqual([{ line: 3, field: 'order_ref', code: ImportRowProblem.DuplicateReference, message: 'repeats the reference of line 2' }]);
  });

  it('refuses unknown columns, missing required ones and too many rows, and does nothing for none', async () => {
    await expect(imports.importRows('orders', [{ customer_ref: 'K-1', ordered_at: '2026-01-01', amount: '1', colour: 'red' }], strict)).rejects.toThrow(/unknown column "colour"/);
    await expect(imports.importRows('orders', [{ customer_ref: 'K-1', amount: '1' }], strict)).rejects.toMatchObject({ code: ImportExceptionCode.BadHeader });
    const many = Array.from({ length: MAX_IMPORT_ROWS + 1 }, () => ({ customer_ref: 'K-1', ordered_at: '2026-01-01', amount: '1' }));
    await expect(imports.importRows('orders', many, strict)).rejects.toMatchObject({ code: ImportExceptionCode.TooManyRows, kind: 'VALIDATION' });
    expect(await imports.importRows('orders', [], strict)).toMatchObject({ rowsRead: 0, written: false });
  });

  it('through the GraphQL bulk mutation: fields left out keep stored values, rows sending different fields and over 10,000 rows are VALIDATION errors', async () => {
    const schema = await bulkImportSchema();
    const format = createErrorFormatter(createLogger('silent', 'test'), false);
    const mutate = async (rows: object[]) => {
      const r = await graphql({
        schema,
        source: 'mutation($rows: [CustomerImportRow!]!) { importCustomers(rows: $rows) { inserted updated errors { row field message } } }',
        variableValues: { rows },
        contextValue: { caller: { role: Role.Admin, id: 'admin:test' }, services: { imports } as unknown as Services },
      });
      return { data: r.data as { importCustomers: { inserted: number; updated: number; errors: unknown[] } } | null, errors: r.errors?.map((e) => format(e.toJSON(), e)) };
    };
    const ok = await mutate([{ customerRef: 'G-1', name: 'Gee', email: 'gee@example.com', phone: '+1 555', serviceTier: 'premium' }, { customerRef: 'G-2', name: 'Gee', email: 'bad', phone: null, serviceTier: null }]);
    expect(ok.data!.importCustomers).toEqual({ inserted: 0, updated: 0, errors: [{ row: 2, field: 'email', message: '"bad" is not an e-mail address' }] });
    expect(await mutate([{ customerRef: 'G-1', name: 'Gee', email: 'gee@example.com', phone: '+1 555', serviceTier: 'premium' }])).toMatchObject({ data: { importCustomers: { inserted: 1 } } });
    // phone and serviceTier left out: kept; a field sent as null clears a nullable column.
    expect((await mutate([{ customerRef: 'G-1', name: 'Gee Two', email: 'gee@example.com' }])).data!.importCustomers).toMatchObject({ updated: 1 });
    expect(await em().findOneOrFail(Customer, { externalRef: 'G-1' })).toMatchObject({ name: 'Gee Two', phone: '+1 555', serviceTier: 'premium' });

    // A row leaving out a field another row sends would have its stored value cleared: the call is refused, nothing written.
    const uneven = await mutate([
      { customerRef: 'G-2', name: 'Gee', email: 'gee2@example.com', phone: '+1 556', marketingConsent: 'yes' },
      { customerRef: 'G-1', name: 'Gee Three', email: 'gee@example.com', marketingConsent: 'no' },
    ]);
    expect(uneven.data).toBeNull();
    expect(uneven.errors![0].message).toBe('Row 2 leaves out "phone", which row 1 sends: every row must send the same fields (null or "" empties a field)');
    expect(uneven.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'IMPORT_ROW_FIELDS_DIFFER', field: 'rows', row: 2, rowField: 'phone', sentBy: 1 });
    // The first row leaving it out, a later one sending it: the row named is the first.
    const firstLeavesOut = await mutate([
      { customerRef: 'G-1', name: 'Gee Three', email: 'gee@example.com', marketingConsent: 'no' },
      { customerRef: 'G-2', name: 'Gee', email: 'gee2@example.com', phone: '+1 556', marketingConsent: 'yes' },
    ]);
    expect(firstLeavesOut.errors![0].extensions).toMatchObject({ reason: 'IMPORT_ROW_FIELDS_DIFFER', row: 1, rowField: 'phone', sentBy: 2 });
    // Named as the input field, as the caller sent it.
    const extra = await mutate([
      { customerRef: 'G-2', name: 'Gee', email: 'gee2@example.com' },
      { customerRef: 'G-1', name: 'Gee Three', email: 'gee@example.com', marketingConsent: 'no' },
    ]);
    expect(extra.errors![0].message).toBe('Row 1 leaves out "marketingConsent", which row 2 sends: every row must send the same fields (null or "" empties a field)');
    expect(await em().findOneOrFail(Customer, { externalRef: 'G-1' })).toMatchObject({ name: 'Gee Two', phone: '+1 555' });
    expect(await em().count(Customer, { externalRef: 'G-2' })).toBe(0);

    await mutate([{ customerRef: 'G-1', name: 'Gee Two', email: 'gee@example.com', phone: null }]);
    expect(await em().findOneOrFail(Customer, { externalRef: 'G-1' })).toMatchObject({ phone: null, serviceTier: 'premium' });

    const tooMany = await mutate(Array.from({ length: MAX_IMPORT_ROWS + 1 }, (_, i) => ({ customerRef: `M-${i}`, name: 'M', email: 'm@example.com' })));
    expect(tooMany.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'IMPORT_TOO_MANY_ROWS', field: 'rows' });
    expect(await em().count(Customer, { externalRef: 'M-0' })).toBe(0);
  });
});

it('CLI: prints the report and exits 1 for a file with bad rows, 2 for a missing file or an unknown kind', async () => {
  const bad = cli(['orders', path.resolve('examples/bad-orders.csv')]);
  expect(bad.status).toBe(1);
  expect(JSON.parse(bad.stdout)).toMatchObject({ written: false, rejected: 7, errors: expect.arrayContaining([{ line: 3, field: 'customer_ref', code: ImportRowProblem.UnknownReference, message: 'unknown customer "CRM-9999"' }]) });
  expect(bad.stderr).toMatch(/orders: nothing written, 7 rows refused/);
  const missing = cli(['orders', '/nonexistent/orders.csv']);
  expect(missing.status).toBe(2);
  expect(JSON.parse(missing.stderr)).toMatchObject({ code: 'IMPORT_FILE_NOT_FOUND', file: '/nonexistent/orders.csv' });
  const header = cli(['orders', path.resolve('examples/customers.csv')]);
  expect(header.status).toBe(1);
  expect(header.stderr).toMatch(/"code":"IMPORT_BAD_HEADER"/);
  const unknown = cli(['refunds', path.resolve('examples/orders.csv')]);
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toMatch(/"refunds" is not an import kind\nusage: npm run import -- <customers\|/);
});

it('takes cells without the white space around them (tabs, a no-break space), and lines ended by \\r\\n after a header ended by \\n, as `scores fit` does', async () => {
  // A reference with a tab after it, a name with a no-break space before it: stored without them, so the orders find the customer.
  expect(await run('customers', 'customer_ref,name,email\nWS-1\t,\u00a0Tab Person,ws-1@example.com\n')).toMatchObject({ inserted: 1, errors: [] });
  expect(await em().findOneOrFail(Customer, { externalRef: 'WS-1' })).toMatchObject({ name: 'Tab Person' });
  // A header typed in front of a Windows export: no \r is left in a row's last cell, and each line is numbered once.
  const orders = 'customer_ref,ordered_at,amount\nWS-1,2026-02-01,12.50\t\r\nWS-1,2026-13-01,12.50\r\nWS-1,2026-02-03,7.00\r\n';
  const report = await run('orders', orders, partial);
  expect(report).toMatchObject({ inserted: 2, errors: [{ line: 3, field: 'ordered_at', code: ImportRowProblem.InvalidValue }] });
  // `scores fit` reads the file alike, and stops on the same line.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'line-ends-'));
  try {
    await writeFile(path.join(dir, 'orders.csv'), orders);
    await expect(summarizeOrdersFile(path.join(dir, 'orders.csv'))).rejects.toMatchObject({ details: { line: 3, column: 'ordered_at' } });
  } finally {
    await rm(dir, { recursive: true });
  }
});

it('refuses a header line longer than PostgreSQL takes as the reason a COPY stopped, and the process lives on', async () => {
  // PostgreSQL drops the connection on a COPY stopped with a reason over 10,000 bytes (a protocol violation, logged as FATAL):
  // the refusal must not be that reason.
  const fatalSessions = async () => {
    await em().execute('select pg_stat_clear_snapshot()');
    return Number((await em().execute<{ n: string }[]>('select sessions_fatal as n from pg_stat_database where datname = current_database()'))[0].n);
  };
  const before = await fatalSessions();
  const refused = (await run('customers', `${'a'.repeat(20_000)}\nx\n`).catch((error: unknown) => error)) as ImportException;
  expect(refused).toMatchObject({ code: 'IMPORT_BAD_HEADER' });
  // The column named is quoted cut, with its length, not repeated whole.
  expect(refused.message).toContain(`unknown column "${'a'.repeat(60)}… (20000 characters)"`);
  expect(refused.message.length).toBeLessThan(500);
  await expect(run('orders', `customer_ref,ordered_at,amount\n"${'b'.repeat(20_000)}"x,2026-01-01,5\n`)).rejects.toMatchObject({ code: 'IMPORT_UNREADABLE_CSV' });
  expect((await run('orders', 'customer_ref,ordered_at,amount\n')).written).toBe(false);
  // The sessions ended as they should (their statistics are written as they end).
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(await fatalSessions()).toBe(before);
});

it('fails an import whose database session ends under it, and the process lives on', async () => {
  let goOn!: () => void;
  const held = new Promise<void>((resolve) => (goOn = resolve));
  const file = Readable.from(
    (async function* () {
      yield 'customer_ref,ordered_at,amount\n';
      await held;
      yield 'CRM-1001,2026-01-01,5\n';
    })(),
  );
  const importing = imports.importCsv('orders', file, strict);
  const ended = await eventuallyTerminated(`import orders`);
  expect(ended).toBe(true);
  goOn();
  // Said as the database gone (the API answers DATABASE_UNAVAILABLE, to retry), not as a file it cannot read.
  const failed = await importing.catch((error: unknown) => error);
  expect(failed).not.toBeInstanceOf(ImportException);
  expect(isDatabaseUnreachable(failed)).toBe(true);
  expect((await run('orders', 'customer_ref,ordered_at,amount\n')).written).toBe(false);
});

/** Ends the database session of the named application once it is there (true), as an operator or a restart would. */
async function eventuallyTerminated(application: string): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    const rows = await em().execute<{ ended: boolean }[]>(`select pg_terminate_backend(pid) as ended from pg_stat_activity where application_name = ?`, [application]);
    if (rows[0]?.ended) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

it('refuses a file whose quote is never closed, naming the line the quote opened on', async () => {
  const refused = run('orders', 'customer_ref,ordered_at,amount\nCRM-1001,2026-01-01,5\n"CRM-1001,2026-01-02,6\nCRM-1001,2026-01-03,7\nCRM-1001,2026-01-04,8\n');
  // Where the quote opened (line 3), not where the file ended.
  await expect(refused).rejects.toMatchObject({ code: 'IMPORT_UNREADABLE_CSV', details: { line: 3 } });
  await expect(refused).rejects.toThrow('a quote opened in the record starting on line 3 is never closed');
});

it('names the line of a record it cannot read at the end of a large file', async () => {
  // Parsed faster than PostgreSQL takes the rows: the reader is records ahead of the COPY when it fails.
  const rows = Array.from({ length: 30_000 }, (_, i) => `CRM-1001,2026-01-01,1,BIG-${i}`);
  const csv = `customer_ref,ordered_at,amount,order_ref\n${rows.join('\n')}\nCRM-1001,"2026-01-01,1,BIG-END\n`;
  await expect(run('orders', csv)).rejects.toMatchObject({ code: 'IMPORT_UNREADABLE_CSV', details: { line: 30_002 } });
});

it('names the line a record it cannot read starts on counting the blank lines before it, as row errors do, also in `scores fit`', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'blank-lines-'));
  try {
    for (const [csv, line, says] of [
      // Blank lines (one of white space only) after the header, then text after a closing quote: the record is on line 5.
      ['customer_ref,ordered_at,amount,order_ref\n\n \t\n\nCRM-1001,"2026-01-01" x,1,BL-1\n', 5, 'The CSV cannot be read in the record starting on line 5: '],
      // The same after a good record, in a Windows file, and before the header.
      ['\r\ncustomer_ref,ordered_at,amount,order_ref\r\nCRM-1001,2026-01-01,1,BL-2\r\n\r\n\r\nCRM-1001,"2026-01-01" x,1,BL-3\r\n', 6, 'The CSV cannot be read in the record starting on line 6: '],
      // A quote never closed, after a record whose quoted cell holds a line break, and blank lines: it opened on line 7.
      ['customer_ref,ordered_at,amount,order_ref\nCRM-1001,2026-01-01,"1",BL-4\nCRM-1001,2026-01-01,1,"BL\r\n5"\n\n\nCRM-1001,"2026-01-01,1,BL-6\n\n', 7, 'The CSV cannot be read: a quote opened in the record starting on line 7 is never closed'],
    ] as const) {
      const refused = run('orders', csv);
      await expect(refused).rejects.toMatchObject({ code: 'IMPORT_UNREADABLE_CSV', details: { line } });
      await expect(refused).rejects.toThrow(says);
      await writeFile(path.join(dir, 'orders.csv'), csv);
      await expect(summarizeOrdersFile(path.join(dir, 'orders.csv'))).rejects.toMatchObject({ code: ScoringExceptionCode.OrdersFileUnreadableCsv, details: { line } });
    }
    // A row error after blank lines names the same line (docs/import.md: blank lines count).
    expect((await run('orders', 'customer_ref,ordered_at,amount,order_ref\n\n \t\n\nCRM-1001,2026-13-01,1,BL-7\n')).errors).toContainEqual(expect.objectContaining({ line: 5, field: 'ordered_at' }));
  } finally {
    await rm(dir, { recursive: true });
  }
});

it("skips a spreadsheet's ghost rows (only commas and white space) as it skips empty lines, counting them in the line numbers, also in `scores fit`", async () => {
  await run('customers', 'customer_ref,name,email\nGH-C,Ghost Customer,ghost@example.com\n');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ghost-rows-'));
  try {
    // Excel's export after cells below the data were touched: ghost rows between, after, and one in front of the header.
    const excel = ',,,,\r\ncustomer_ref,ordered_at,amount,margin,order_ref\r\nGH-C,2026-01-01,1,,GH-1\r\n,,,,\r\n , ,\t,"",\r\n   \r\n\t\r\nGH-C,2026-01-02,1,,GH-2\r\n,,,,\r\n,,,,,,,,\r\n';
    expect(await run('orders', excel)).toMatchObject({ written: true, rowsRead: 2, inserted: 2, rejected: 0, errorCount: 0, errors: [] });
    await writeFile(path.join(dir, 'orders.csv'), excel);
    expect(await summarizeOrdersFile(path.join(dir, 'orders.csv'))).toMatchObject({ rows: 2 });
    // A line after them is named by its place in the file: a row error, and a record that cannot be read.
    const bad = 'customer_ref,ordered_at,amount,order_ref\n,,,\n,,,\nGH-C,2026-13-01,1,GH-3\n';
    expect((await run('orders', bad)).errors).toEqual([expect.objectContaining({ line: 4, field: 'ordered_at' })]);
    const unreadable = 'customer_ref,ordered_at,amount,order_ref\nGH-C,2026-01-01,1,GH-1\n,,,\n,,,\nGH-C,"2026-01-01" x,1,GH-4\n';
    await expect(run('orders', unreadable)).rejects.toMatchObject({ code: 'IMPORT_UNREADABLE_CSV', details: { line: 5 } });
    await writeFile(path.join(dir, 'orders.csv'), unreadable);
    await expect(summarizeOrdersFile(path.join(dir, 'orders.csv'))).rejects.toMatchObject({ code: ScoringExceptionCode.OrdersFileUnreadableCsv, details: { line: 5 } });
    // A line with a value in any cell is a record as before.
    expect((await run('orders', 'customer_ref,ordered_at,amount,order_ref\n,,5,\n')).errors.map((e) => [e.line, e.field, e.code])).toEqual([
      [2, 'customer_ref', ImportRowProblem.Required],
      [2, 'ordered_at', ImportRowProblem.Required],
    ]);
    // A file of ghost rows only has no header.
    await expect(run('orders', ',,,\n,,,\n')).rejects.toMatchObject({ code: ImportExceptionCode.EmptyFile });
  } finally {
    await rm(dir, { recursive: true });
  }
});

it('keeps a quote inside a cell that is not quoted as a character, reads a quoted cell after a space, and names the record it cannot read by its first line, also in a Windows export', async () => {
  // Two records with line breaks inside quoted cells (\r\n), then a name with an inch sign. A name holds no line break
  // (QA 82 F5): the two are refused, each named by the line it starts on.
  const header = 'customer_ref,name,email\r\n';
  const report = await run('customers', `${header}Q-1,"Two\r\nlines",q1@example.com\r\nQ-2,"Also\r\ntwo",q2@example.com\r\nQ-3,Pizza 12" Co,q3@example.com\r\n`, partial);
  expect(report.errors.map((e) => [e.line, e.field, e.message.match(/U\+\w+/)?.[0]])).toEqual([
    [2, 'name', 'U+000D'],
    [4, 'name', 'U+000D'],
  ]);
  expect(await em().findOneOrFail(Customer, { externalRef: 'Q-3' })).toMatchObject({ name: 'Pizza 12" Co' });
  // A quoted cell after a space is read as quoted.
  await run('customers', `${header}Q-4, "Acme, Ltd" ,q4@example.com\r\n`);
  expect(await em().findOneOrFail(Customer, { externalRef: 'Q-4' })).toMatchObject({ name: 'Acme, Ltd', email: 'q4@example.com' });
  // Text after a closing quote cannot be read: the record is named by the line it starts on, 6 (the reader counts 8).
  const refused = run('customers', `${header}Q-1,"Two\r\nlines",q1@example.com\r\nQ-2,"Also\r\ntwo",q2@example.com\r\nQ-5,"Pizza" Co,q5@example.com\r\n`);
  await expect(refused).rejects.toMatchObject({ code: 'IMPORT_UNREADABLE_CSV', details: { line: 6 } });
  await expect(refused).rejects.toThrow(/^The CSV cannot be read in the record starting on line 6: /);
  expect(await em().count(Customer, { externalRef: 'Q-5' })).toBe(0);
});

it('says what a byte-order mark says: a UTF-16 file is saved as UTF-8, a UTF-8 one read without an encoding', async () => {
  const text = 'customer_ref,name,email\r\nU-1,José,u1@example.com\r\n';
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  await expect(runBytes('customers', utf16)).rejects.toMatchObject({ code: 'IMPORT_UNREADABLE_CSV', message: expect.stringMatching(/is UTF-16 .* save it as UTF-8/), details: { line: 1 } });
  const utf8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
  await expect(runBytes('customers', utf8, 'windows-1252')).rejects.toMatchObject({ code: 'IMPORT_UNREADABLE_CSV', message: expect.stringMatching(/it is UTF-8, not windows-1252/) });
  expect(await runBytes('customers', utf8)).toMatchObject({ inserted: 1 });
  expect(await em().findOneOrFail(Customer, { externalRef: 'U-1' })).toMatchObject({ name: 'José' });
});

it('refuses a UTF-8 file imported with a single-byte encoding, rather than store its names garbled, and bytes that encoding has no text for', async () => {
  const utf8 = Buffer.from('customer_ref,name,email\nU8-0,Ann Lee,u80@example.com\nU8-1,José Müller,u81@example.com\n');
  await expect(runBytes('customers', utf8, 'windows-1252')).rejects.toMatchObject({
    code: 'IMPORT_UNREADABLE_CSV',
    message: 'Line 3 looks like UTF-8, not windows-1252 text: its bytes beyond ASCII all form UTF-8 characters (the first is "é", which windows-1252 reads as "Ã©"); the file seems to be UTF-8: leave out the encoding',
    details: { line: 3, encoding: 'windows-1252', looksLike: 'utf-8' },
  });
  expect(await em().count(Customer, { externalRef: { $in: ['U8-0', 'U8-1'] } })).toBe(0);
  // The CLI says to leave the encoding out; without it the names are stored as written.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'import-'));
  try {
    const file = path.join(dir, 'utf8names.csv');
    await writeFile(file, utf8);
    const refused = cli(['customers', file, '--encoding', 'windows-1252']);
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.stderr.trim())).toMatchObject({ code: 'IMPORT_UNREADABLE_CSV', line: 3, looksLike: 'utf-8', hint: 'leave out --encoding: the file seems to be UTF-8' });
    expect(cli(['customers', file]).status).toBe(0);
    expect(await em().findOneOrFail(Customer, { externalRef: 'U8-1' })).toMatchObject({ name: 'José Müller' });
  } finally {
    await rm(dir, { recursive: true });
  }
  // A byte Windows-1252 maps to a control character (0x81) in a free-text column (a complaint's summary) is refused, not stored.
  const complaint = Buffer.concat([Buffer.from('complaint_ref,customer_ref,topic,severity,opened_at,summary\nC1-1,U8-1,billing,low,2026-02-01T10:00:00Z,bad '), Buffer.from([0x81]), Buffer.from(' byte\n')]);
  await expect(runBytes('complaints', complaint, 'windows-1252')).rejects.toMatchObject({
    code: 'IMPORT_UNREADABLE_CSV',
    message: 'Line 2 is not windows-1252 text: is the file in another encoding?',
    details: { line: 2, encoding: 'windows-1252' },
  });
  expect(await em().count(Complaint, { externalRef: 'C1-1' })).toBe(0);
});

it('CLI: refuses a file that is not UTF-8, naming the line, and reads it with --encoding', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'import-'));
  const file = path.join(dir, 'latin.csv');
  // An Excel export in Windows-1252: é and ü are the single bytes 0xE9 and 0xFC, no UTF-8.
  await writeFile(file, Buffer.concat([Buffer.from('customer_ref,name,email\nLAT-0,Ann Lee,ann.lee@example.com\nLAT-1,Jos'), Buffer.from([0xe9]), Buffer.from(' M'), Buffer.from([0xfc]), Buffer.from('ller,lat@example.com\n')]));
  const refused = cli(['customers', file]);
  expect(refused.status).toBe(1);
  expect(JSON.parse(refused.stderr.trim())).toEqual({
    code: 'IMPORT_UNREADABLE_CSV',
    message: 'Line 3 is not utf-8 text: is the file in another encoding (e.g. windows-1252)?',
    line: 3,
    encoding: 'utf-8',
    hint: "give the file's encoding, e.g. --encoding windows-1252",
  });
  expect(await em().count(Customer, { externalRef: { $in: ['LAT-0', 'LAT-1'] } })).toBe(0);

  const read = cli(['customers', file, '--encoding', 'windows-1252']);
  expect(read.status).toBe(0);
  expect(JSON.parse(read.stdout)).toMatchObject({ inserted: 2, errorCount: 0 });
  expect(await em().findOneOrFail(Customer, { externalRef: 'LAT-1' })).toMatchObject({ name: 'José Müller' });

  const unknown = cli(['customers', file, '--encoding', 'klingon']);
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toMatch(/--encoding klingon: The "klingon" encoding is not supported\nusage:/);
  // Labels TextDecoder knows that are no text encoding of an export are wrong usage too: x-user-defined stored "Jos\uF7E9 M\uF7FCller".
  for (const [label, says] of [['x-user-defined', /--encoding x-user-defined: "x-user-defined" is no text encoding a file is exported in .*\nusage:/], ['replacement', /--encoding replacement: The "replacement" encoding is not supported\nusage:/]] as const) {
    const refused = cli(['customers', file, '--encoding', label]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(says);
    const fit = spawnSync(process.execPath, [path.resolve('dist/src/bin/scores.js'), 'fit', file, '--encoding', label], { encoding: 'utf8' });
    expect(fit.status).toBe(2);
    // Through the service (the API's callers): a coded validation error, before any place or connection is taken.
    await expect(runBytes('customers', await readFile(file), label)).rejects.toMatchObject({ code: ImportExceptionCode.UnknownEncoding, kind: 'VALIDATION', details: { field: 'encoding', encoding: label } });
  }
  expect(await em().findOneOrFail(Customer, { externalRef: 'LAT-1' })).toMatchObject({ name: 'José Müller' });
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
  // A 16 MB old-generation heap: the import streams in about 8 MB, while holding the file's
  // 200k rows, even as bare COPY lines, runs out of heap. Memory, not time, is asserted.
  const first = cli(['orders', file], ['--max-old-space-size=16']);
  expect(first.stderr).not.toMatch(/heap out of memory/);
  expect(first.status).toBe(0);
  const report = JSON.parse(first.stdout);
  expect(report).toMatchObject({ rowsRead: rows, inserted: rows, errorCount: 0 });
  expect(first.stderr).toMatch(/orders: 200000 rows read \(100%/);
  // The peak it reports is the process's resident size (the runtime, the young generation, pg's buffers): the heap cap
  // above is what asserts the streaming; this size varies with the machine's load (254 MB once in a CI run, under 200 MB usually).
  const peakMb = Number(/peak memory (\d+) MB/.exec(first.stderr)![1]);
  expect(peakMb).toBeGreaterThan(0);
  expect(await em().count(Order)).toBe(before + rows);
  // Re-importing the same file (no order_ref: derived references) adds nothing.
  const again = cli(['orders', file]);
  expect(JSON.parse(again.stdout)).toMatchObject({ inserted: 0, updated: 0, unchanged: rows });
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

  it('says nothing was written, and audits nothing, when good-rows mode refuses every row (QA 54 F3)', async () => {
    const audits = () => em().count(AuditEntry, { action: 'import.customers' });
    const before = await audits();
    const r = await stack.gql(ImportCsvDocument, { input: { kind: 'Customers', csv: 'customer_ref,name,email\nGQL-NONE-1,No Mail,nope\nGQL-NONE-2,Self,\n', mode: 'GoodRows' } }, Role.Admin);
    expect(r.data!.importCsv).toMatchObject({ mode: 'GoodRows', written: false, rowsRead: 2, inserted: 0, rejected: 2 });
    expect(r.data!.importCsv.errorSummary).toEqual([{ field: 'email', code: 'InvalidValue', count: 1, firstLine: 2 }, { field: 'email', code: 'Required', count: 1, firstLine: 3 }]);
    expect(await audits()).toBe(before);
  });

  it('answers a bad header with VALIDATION', async () => {
    const r = await stack.gql(ImportCsvDocument, { input: { kind: 'Orders', csv: 'a,b\n1,2\n' } }, Role.Admin);
    expect(r.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'IMPORT_BAD_HEADER' });
  });
  it('rescores the persistent-issue score of the customers whose complaints it wrote, as recordComplaint does', async () => {
    await run('customers', 'customer_ref,name,email\nPERS-1,Pers Istent,pers@example.com\n');
    const customer = await em().findOneOrFail(Customer, { externalRef: 'PERS-1' });
    const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString();
    const complaints = `complaint_ref,customer_ref,topic,severity,opened_at\n${[20, 10, 1].map((d, i) => `PERS-C${i},PERS-1,app-login,medium,${day(d)}`).join('\n')}\n`;
    expect((await stack.gql(ImportCsvDocument, { input: { kind: 'Complaints', csv: complaints } }, Role.Admin)).data!.importCsv).toMatchObject({ written: true, inserted: 3 });
    const [score] = await em().getConnection().execute<{ value: number; band: string }[]>(`select value, band from current_score where customer_id = ? and kind = 'persistent-issue'`, [customer.id]);
    expect(score).toMatchObject({ value: 1, band: 'persistent' });
  });

  it('starts the fix of a topic its complaints made persistent, for a customer at risk, as recordComplaint does, and not again on a re-import (QA 19 F1)', async () => {
    await run('customers', 'customer_ref,name,email\nPERS-2,Per Sisting,per.sisting@example.com\n');
    const customer = await em().findOneOrFail(Customer, { externalRef: 'PERS-2' });
    const e = em();
    e.create(ScoreSnapshot, { customer: e.getReference(Customer, customer.id), computedAt: new Date(), scores: { 'churn-risk': { value: 0.8, band: 'high', modelVersion: 'test', reasons: ['test'] } } });
    await e.flush();
    const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString();
    const complaints = `complaint_ref,customer_ref,topic,severity,opened_at\n${[20, 10, 1].map((d, i) => `PERS2-C${i},PERS-2,billing,medium,${day(d)}`).join('\n')}\n`;
    expect((await stack.gql(ImportCsvDocument, { input: { kind: 'Complaints', csv: complaints } }, Role.Admin)).data!.importCsv).toMatchObject({ written: true, inserted: 3 });
    const fix = stack.temporal.client.workflow.getHandle(fixIssueWorkflowId(customer.id, 'billing'));
    const first = await fix.describe();
    expect(first.type).toBe('fixIssue');
    // The same file again adds and reopens nothing: no second follow-up (a fix waiting for its check-back would hear of a recurrence).
    await fix.terminate('test: the fix is not followed here');
    expect((await stack.gql(ImportCsvDocument, { input: { kind: 'Complaints', csv: complaints } }, Role.Admin)).data!.importCsv).toMatchObject({ written: true, inserted: 0 });
    expect((await fix.describe()).runId).toBe(first.runId);
  });
});

it('never gives back marketing consent a customer withdrew here, and audits each consent change it makes', async () => {
  const customers = (rows: Array<[ref: string, consent: string]>) => `customer_ref,name,email,marketing_consent\n${rows.map(([ref, consent]) => `${ref},${ref},${ref.toLowerCase()}@example.com,${consent}`).join('\n')}\n`;
  await run('customers', customers([['CONS-1', 'yes'], ['CONS-2', 'yes']]));
  const [unsubscribed, crm] = await Promise.all(['CONS-1', 'CONS-2'].map((ref) => em().findOneOrFail(Customer, { externalRef: ref })));
  const services = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services;
  // CONS-1 unsubscribes through the link in a message; the CRM export of the next night still says yes.
  await services.customers.optOut(unsubscribed.id, UNSUBSCRIBE_ACTOR);
  const nightly = { ...strict, actor: 'cli:crm-sync' };
  expect(await run('customers', customers([['CONS-1', 'yes'], ['CONS-2', 'yes']]), nightly)).toMatchObject({
    updated: 0,
    errorCount: 0,
    kept: [{ field: 'marketing_consent', rows: 1, why: expect.stringMatching(/^consent withdrawn here/) }],
  });
  // The CLI says it in its summary line too.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kept-'));
  await writeFile(path.join(dir, 'customers.csv'), customers([['CONS-1', 'yes']]));
  const byCli = cli(['customers', path.join(dir, 'customers.csv')]);
  await rm(dir, { recursive: true });
  expect(byCli.status).toBe(0);
  expect(byCli.stderr).toMatch(/^customers: marketing_consent kept as stored in 1 row: consent withdrawn here \(an opt-out/m);
  expect(await em().findOneOrFail(Customer, { id: unsubscribed.id })).toMatchObject({ marketingConsent: false });

  // Consent the CRM withdrew, the CRM may give back; each change is audited for the customer, as the timeline and data export show.
  await run('customers', customers([['CONS-2', 'no']]), nightly);
  expect(await em().findOneOrFail(Customer, { id: crm.id })).toMatchObject({ marketingConsent: false });
  await run('customers', customers([['CONS-1', 'yes'], ['CONS-2', 'yes']]), nightly);
  expect(await em().findOneOrFail(Customer, { id: crm.id })).toMatchObject({ marketingConsent: true });
  const changes = async (id: string) => (await em().find(AuditEntry, { entityId: id, action: 'customer.import-consent' }, { orderBy: { at: 'asc', id: 'asc' } })).map((a) => [a.actor, a.before, a.after]);
  // The consent each was created with is recorded too (given then, nothing before), once: the re-imports that created nobody add none.
  expect(await changes(crm.id)).toEqual([
    ['test', null, { marketingConsent: true }],
    ['cli:crm-sync', { marketingConsent: true }, { marketingConsent: false }],
    ['cli:crm-sync', { marketingConsent: false }, { marketingConsent: true }],
  ]);
  expect(await changes(unsubscribed.id)).toEqual([['test', null, { marketingConsent: true }]]);
  const timeline = await services.timeline.forCustomer(crm.id, { first: 10, kinds: [CustomerEventKind.ConsentChanged] });
  expect(timeline.edges.map((e) => e.node.summary)).toEqual([
    "Agreed to marketing (as the company's records say)",
    "Withdrew consent to marketing (as the company's records say)",
    "Agreed to marketing (as the company's records say)",
  ]);
  const exported = (await services.dataExport.forRequest(crm.id, 'test: access request', 'operator:test')) as { consentHistory: Array<{ marketingConsent: boolean; how: string }> };
  expect(exported.consentHistory.map((c) => [c.marketingConsent, c.how])).toEqual([
    [true, "taken over from the company's customer records"],
    [false, "taken over from the company's customer records"],
    [true, "taken over from the company's customer records"],
  ]);
  // The unsubscribed customer's export says on what the marketing they got was sent, and when they withdrew it.
  const theirs = (await services.dataExport.forRequest(unsubscribed.id, 'test: access request', 'operator:test')) as { consentHistory: Array<{ at: string; marketingConsent: boolean; how: string }> };
  expect(theirs.consentHistory).toEqual([
    { at: expect.any(String), marketingConsent: true, how: "taken over from the company's customer records" },
    { at: expect.any(String), marketingConsent: false, how: 'unsubscribed through the link in a message' },
  ]);
});

it('records the marketing consent of the customers a file creates with it (as of the import), and none for those created without', async () => {
  const rows = [
    { customerRef: 'CONS-NEW-1', name: 'New With', email: 'new.with@example.com', marketingConsent: 'yes' },
    { customerRef: 'CONS-NEW-2', name: 'New Without', email: 'new.without@example.com', marketingConsent: 'no' },
    { customerRef: 'CONS-NEW-3', name: 'New Unsaid', email: 'new.unsaid@example.com', marketingConsent: '' },
  ];
  const report = await imports.importRows('customers', rows.map((r) => ({ customer_ref: r.customerRef, name: r.name, email: r.email, marketing_consent: r.marketingConsent })), { ...strict, actor: 'admin:test' });
  expect(report).toMatchObject({ inserted: 3, errorCount: 0 });
  const [withConsent, without, unsaid] = await Promise.all(rows.map((r) => em().findOneOrFail(Customer, { externalRef: r.customerRef })));
  const entries = await em().find(AuditEntry, { entityId: { $in: [withConsent.id, without.id, unsaid.id] }, action: 'customer.import-consent' });
  expect(entries.map((a) => [a.entityId, a.actor, a.before ?? null, a.after])).toEqual([[withConsent.id, 'admin:test', null, { marketingConsent: true }]]);
  const services = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services;
  const exported = (await services.dataExport.forRequest(withConsent.id, 'test: access request', 'operator:test')) as { consentHistory: Array<{ at: string; marketingConsent: boolean; how: string }> };
  expect(exported.consentHistory).toEqual([{ at: entries[0].at.toISOString(), marketingConsent: true, how: "taken over from the company's customer records" }]);
});

it("refuses an invoices line that would move a stored invoice to another customer, naming its owner; nothing of the file is written", async () => {
  await run('customers', 'customer_ref,name,email,acquired_at\nOWN-1,Owner,own1@example.com,2025-01-01\nOWN-2,Other,own2@example.com,2025-01-01\n');
  expect(await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount\nINV-OWN,OWN-1,2026-02-01,2026-02-15,90\n')).toMatchObject({ inserted: 1 });
  const refused = { field: 'customer_ref', code: ImportRowProblem.OtherCustomer, message: 'invoice "INV-OWN" belongs to customer "OWN-1", not "OWN-2": an import does not move an invoice to another customer' };
  const moved = await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount\nINV-OWN,OWN-2,2026-02-01,2026-02-15,90\nINV-OWN-B,OWN-2,2026-02-01,2026-02-15,10\n');
  expect(moved).toMatchObject({ written: false, errorCount: 1 });
  expect(moved.errors).toEqual([{ line: 2, ...refused }]);
  // The GraphQL bulk path (importInvoices) stages its rows the same way.
  const rows = await imports.importRows('invoices', [{ invoice_ref: 'INV-OWN', customer_ref: 'OWN-2', issued_at: '2026-02-01', due_at: '2026-02-15', amount: '90' }], partial);
  expect(rows).toMatchObject({ updated: 0, rejected: 1, errors: [{ line: 1, ...refused }] });
  const stored = await em().findOneOrFail(Invoice, { externalRef: 'INV-OWN' }, { populate: ['customer'] });
  expect(stored.customer.externalRef).toBe('OWN-1');
  expect(await em().count(Invoice, { externalRef: 'INV-OWN-B' })).toBe(0);
  // The owner's own line is taken as before.
  expect(await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount\nINV-OWN,OWN-1,2026-02-01,2026-02-16,90\n')).toMatchObject({ updated: 1, errorCount: 0 });
});

it("refuses an orders, complaints or costs line whose reference is stored for another customer, naming its owner, as for invoices: nothing is moved", async () => {
  await run('customers', 'customer_ref,name,email,acquired_at\nOWNS-1,Owner,owns1@example.com,2025-01-01\nOWNS-2,Other,owns2@example.com,2025-01-01\n');
  for (const { kind, header, line, table, noun } of [
    { kind: 'orders', header: 'order_ref,customer_ref,ordered_at,amount', line: (ref: string, customer: string) => `${ref},${customer},2026-02-01T10:00:00Z,90`, table: 'customer_order', noun: 'an order' },
    { kind: 'complaints', header: 'complaint_ref,customer_ref,topic,severity,opened_at', line: (ref: string, customer: string) => `${ref},${customer},delivery-delay,high,2026-02-01T10:00:00Z`, table: 'complaint', noun: 'a complaint' },
    { kind: 'costs', header: 'cost_ref,customer_ref,occurred_at,kind,amount', line: (ref: string, customer: string) => `${ref},${customer},2026-02-01,return,12`, table: 'cost_entry', noun: 'a cost entry' },
  ] as const) {
    const ref = `${kind.toUpperCase()}-OWN`;
    expect(await run(kind, `${header}\n${line(ref, 'OWNS-1')}\n`)).toMatchObject({ inserted: 1 });
    const what = noun.replace(/^an? /, '');
    const refused = { field: 'customer_ref', code: ImportRowProblem.OtherCustomer, message: `${what} "${ref}" belongs to customer "OWNS-1", not "OWNS-2": an import does not move ${noun} to another customer` };
    const moved = await run(kind, `${header}\n${line(`${ref}-B`, 'OWNS-2')}\n${line(ref, 'OWNS-2')}\n`);
    expect(moved).toMatchObject({ written: false, errorCount: 1, errors: [{ line: 3, ...refused }] });
    // Good-rows mode writes the other lines, and the GraphQL bulk path (importRows) is checked the same way.
    expect(await run(kind, `${header}\n${line(`${ref}-B`, 'OWNS-2')}\n${line(ref, 'OWNS-2')}\n`, partial)).toMatchObject({ inserted: 1, updated: 0, rejected: 1, errors: [{ line: 3, ...refused }] });
    const [row] = (await run(kind, `${header}\n${line(ref, 'OWNS-2')}\n`, partial)).errors;
    expect(row).toEqual({ line: 2, ...refused });
    const owners = await em().getConnection().execute<{ ref: string; owner: string }[]>(`select r.external_ref as ref, c.external_ref as owner from ${table} r join customer c on c.id = r.customer_id where r.external_ref like ? order by 1`, [`${ref}%`]);
    expect(owners).toEqual([{ ref, owner: 'OWNS-1' }, { ref: `${ref}-B`, owner: 'OWNS-2' }]);
    // The owner's own line is taken as before.
    expect(await run(kind, `${header}\n${line(ref, 'OWNS-1')}\n`)).toMatchObject({ errorCount: 0, written: true });
  }
});

it('refuses an invoice issued after today anywhere on earth, as every date of what has happened', async () => {
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  await run('customers', 'customer_ref,name,email,acquired_at\nISS-1,Issued,iss1@example.com,2025-01-01\n');
  const report = await run('invoices', `invoice_ref,customer_ref,issued_at,due_at,amount\nINV-ISS-1,ISS-1,${day(2)},${day(16)},40\nINV-ISS-2,ISS-1,2030-03-01,2030-03-15,40\nINV-ISS-3,ISS-1,${day(0)},${day(14)},40\n`);
  expect(report.errors).toEqual([
    { line: 2, field: 'issued_at', code: ImportRowProblem.InTheFuture, message: 'is in the future' },
    { line: 3, field: 'issued_at', code: ImportRowProblem.InTheFuture, message: 'is in the future' },
  ]);
  expect(await em().count(Invoice, { externalRef: { $like: 'INV-ISS-%' } })).toBe(0);
});

it('keeps an invoice its stored payments cover paid when a re-import leaves its paid_at empty', async () => {
  await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount\nINV-S,K-1,2026-02-01,2026-02-15,70\n');
  await run('payments', 'invoice_ref,paid_at,amount\nINV-S,2026-02-10,30\nINV-S,2026-02-12,40\n');
  const reimport = (amount: string) => run('invoices', `invoice_ref,customer_ref,issued_at,due_at,amount,paid_at\nINV-S,K-1,2026-02-01,2026-02-15,${amount},\n`);
  expect(await reimport('70')).toMatchObject({ updated: 0, errorCount: 0 });
  const invoice = await em().findOneOrFail(Invoice, { externalRef: 'INV-S' });
  expect(invoice.paidAt).toBe('2026-02-12');
  // So it takes no second payment.
  const services = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services;
  await expect(services.invoices.recordPayment({ invoiceId: invoice.id, amountMinor: 100 }, 'operator:test')).rejects.toMatchObject({ code: 'INVOICE_ALREADY_PAID' });
  // A corrected amount the payments no longer cover leaves it unpaid; a date in the file is the file's.
  await reimport('90');
  expect((await em().findOneOrFail(Invoice, { externalRef: 'INV-S' })).paidAt).toBeNull();
  await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount,paid_at\nINV-S,K-1,2026-02-01,2026-02-15,90,2026-02-20\n');
  expect((await em().findOneOrFail(Invoice, { externalRef: 'INV-S' })).paidAt).toBe('2026-02-20');
});

it('settles an invoice of amount 0 on the day it was issued: not overdue, not chased, not counted late in payment loyalty (QA 59 F1)', async () => {
  const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
  await run('customers', 'customer_ref,name,email,acquired_at\nZERO-1,Zero Owed,zero.owed@example.com,2024-01-01\n');
  const customer = await em().findOneOrFail(Customer, { externalRef: 'ZERO-1' });
  // Through GraphQL, which rescores the customer; long past due, it would count as late if it were open.
  const csv = `invoice_ref,customer_ref,issued_at,due_at,amount,paid_at\nZERO-I1,ZERO-1,${day(60)},${day(45)},0,\n`;
  expect((await stack.gql(ImportCsvDocument, { input: { kind: 'Invoices', csv } }, Role.Admin)).data!.importCsv).toMatchObject({ written: true, inserted: 1 });
  const zero = await em().findOneOrFail(Invoice, { externalRef: 'ZERO-I1' });
  expect(zero).toMatchObject({ paidAt: day(60), cancelledAt: null });
  const services = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services;
  const overdue = await services.invoices.overdue({}, { first: 100 });
  expect(overdue.edges.map((e) => e.node.id)).not.toContain(zero.id);
  const scores = (await stack.gql(CustomerScoresDocument, { id: customer.id, historyKind: 'PaymentLoyalty' }, Role.Viewer)).data!.customer!.scores;
  const loyalty = scores.find((s) => s.kind === 'PaymentLoyalty')!;
  expect(loyalty.reasons).toContain('paid 1 of 1 invoice on time (100%)');
  expect(loyalty.reasons.filter((r) => /unpaid|overdue/.test(r))).toEqual([]);
  // The same file again finds it as stored; a file without paid_at leaves it paid; one that cancels it (paid_at empty) cancels it.
  expect(await run('invoices', csv)).toMatchObject({ inserted: 0, updated: 0, unchanged: 1, errorCount: 0 });
  expect(await run('invoices', `invoice_ref,customer_ref,issued_at,due_at,amount\nZERO-I1,ZERO-1,${day(60)},${day(45)},0\n`)).toMatchObject({ updated: 0, unchanged: 1 });
  expect(await run('invoices', `invoice_ref,customer_ref,issued_at,due_at,amount,paid_at,cancelled_at\nZERO-I1,ZERO-1,${day(60)},${day(45)},0,,${day(50)}\n`)).toMatchObject({ updated: 1, errorCount: 0 });
  expect(await em().findOneOrFail(Invoice, { externalRef: 'ZERO-I1' })).toMatchObject({ paidAt: null, cancelledAt: day(50) });
  // No longer cancelled: settled again; then cancelled by a file without a paid_at column, which its settling does not refuse (review 36 F3).
  expect(await run('invoices', `invoice_ref,customer_ref,issued_at,due_at,amount,paid_at,cancelled_at\nZERO-I1,ZERO-1,${day(60)},${day(45)},0,,\n`)).toMatchObject({ updated: 1, errorCount: 0 });
  expect(await em().findOneOrFail(Invoice, { externalRef: 'ZERO-I1' })).toMatchObject({ paidAt: day(60), cancelledAt: null });
  expect(await run('invoices', `invoice_ref,customer_ref,issued_at,due_at,amount,cancelled_at\nZERO-I1,ZERO-1,${day(60)},${day(45)},0,${day(50)}\n`)).toMatchObject({ updated: 1, errorCount: 0 });
  expect(await em().findOneOrFail(Invoice, { externalRef: 'ZERO-I1' })).toMatchObject({ paidAt: null, cancelledAt: day(50) });
  // Settled again, then raised to 5.00 and cancelled by a file without paid_at: cancelled (review 37 F2: the merge failed on the paid-or-cancelled check);
  // settled again, then raised by such a file: open again, owing 5.00, not paid on its issue day without a payment (review 37 F3).
  const zeroAgain = `invoice_ref,customer_ref,issued_at,due_at,amount,paid_at,cancelled_at\nZERO-I1,ZERO-1,${day(60)},${day(45)},0,,\n`;
  expect(await run('invoices', zeroAgain)).toMatchObject({ updated: 1, errorCount: 0 });
  expect(await run('invoices', `invoice_ref,customer_ref,issued_at,due_at,amount,cancelled_at\nZERO-I1,ZERO-1,${day(60)},${day(45)},5,${day(50)}\n`)).toMatchObject({ updated: 1, errorCount: 0 });
  expect(await em().findOneOrFail(Invoice, { externalRef: 'ZERO-I1' })).toMatchObject({ amountMinor: 500, paidAt: null, cancelledAt: day(50) });
  expect(await run('invoices', zeroAgain)).toMatchObject({ updated: 1, errorCount: 0 });
  expect(await run('invoices', `invoice_ref,customer_ref,issued_at,due_at,amount\nZERO-I1,ZERO-1,${day(60)},${day(45)},5\n`)).toMatchObject({ updated: 1, errorCount: 0 });
  expect(await em().findOneOrFail(Invoice, { externalRef: 'ZERO-I1' })).toMatchObject({ amountMinor: 500, paidAt: null, cancelledAt: null });
  // An open invoice credited down to 0 by a file without paid_at is paid on its issue day, and its queued reminder held back.
  await run('invoices', `invoice_ref,customer_ref,issued_at,due_at,amount\nZERO-I2,ZERO-1,${day(30)},${day(16)},25\n`);
  const credited = await em().findOneOrFail(Invoice, { externalRef: 'ZERO-I2' });
  await em().transactional((tx) =>
    new OutboxService().enqueue(tx, { idempotencyKey: `fair-reminder/${credited.id}/reminder-1`, customerId: customer.id, channel: MessageChannel.Email, purpose: MessagePurpose.Service, template: 'reminder-friendly', payload: { invoiceId: credited.id }, invoiceId: credited.id }),
  );
  expect(await run('invoices', `invoice_ref,customer_ref,issued_at,due_at,amount\nZERO-I2,ZERO-1,${day(30)},${day(16)},0\n`)).toMatchObject({ updated: 1 });
  expect(await em().findOneOrFail(Invoice, { externalRef: 'ZERO-I2' })).toMatchObject({ amountMinor: 0, paidAt: day(30) });
  expect(await em().findOneOrFail(OutboxMessage, { idempotencyKey: `fair-reminder/${credited.id}/reminder-1` })).toMatchObject({ sentAt: null, suppressedReason: INVOICE_PAID });
});

it('refuses to cancel an invoice its recorded payments paid, saying so rather than to leave a column empty that the file already leaves empty (QA 59 F5)', async () => {
  await run('customers', 'customer_ref,name,email\nF5-1,Fay Five,fay.five@example.com\n');
  await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount\nINV-F5,F5-1,2026-05-10,2026-05-24,10\n');
  await run('payments', 'invoice_ref,paid_at,amount\nINV-F5,2026-05-12,10\n');
  const paidByPayments = 'an invoice is either paid or cancelled, and this one is paid by its recorded payments (on 2026-05-12, as stored): a paid invoice cannot be cancelled';
  // Without a paid_at column, and with an empty one: either way it stays paid.
  expect((await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount,cancelled_at\nINV-F5,F5-1,2026-05-10,2026-05-24,10,2026-05-20\n')).errors).toEqual([
    { line: 2, field: 'cancelled_at', code: ImportRowProblem.InvalidValue, message: paidByPayments },
  ]);
  expect((await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount,paid_at,cancelled_at\nINV-F5,F5-1,2026-05-10,2026-05-24,10,,2026-05-20\n')).errors).toEqual([
    { line: 2, field: 'cancelled_at', code: ImportRowProblem.InvalidValue, message: paidByPayments },
  ]);
  expect(await em().findOneOrFail(Invoice, { externalRef: 'INV-F5' })).toMatchObject({ paidAt: '2026-05-12', cancelledAt: null });
  // One an earlier file said was paid (no payment): that file's day, and its empty paid_at cancels it.
  await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount,paid_at\nINV-F5B,F5-1,2026-05-10,2026-05-24,10,2026-05-15\n');
  expect((await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount,cancelled_at\nINV-F5B,F5-1,2026-05-10,2026-05-24,10,2026-05-20\n')).errors).toEqual([
    { line: 2, field: 'cancelled_at', code: ImportRowProblem.InvalidValue, message: 'an invoice is either paid or cancelled, and this one would be both (paid 2026-05-15, cancelled 2026-05-20, as stored): leave one of them empty' },
  ]);
  expect(await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount,paid_at,cancelled_at\nINV-F5B,F5-1,2026-05-10,2026-05-24,10,,2026-05-20\n')).toMatchObject({ updated: 1, errorCount: 0 });
  expect(await em().findOneOrFail(Invoice, { externalRef: 'INV-F5B' })).toMatchObject({ paidAt: null, cancelledAt: '2026-05-20' });
});

it("refuses an order's margin above its amount, a misplaced decimal point, and keeps taking a negative one (QA 59 F6)", async () => {
  await run('customers', 'customer_ref,name,email\nF6-1,Sam Six,sam.six@example.com\n');
  const report = await run('orders', 'customer_ref,ordered_at,amount,margin,order_ref\nF6-1,2026-05-01,10.00,500.00,F6-O1\nF6-1,2026-05-02,10.00,10.00,F6-O2\nF6-1,2026-05-03,10.00,-4.50,F6-O3\nF6-1,2026-05-04,10.00,,F6-O4\n', partial);
  expect(report).toMatchObject({ inserted: 3, rejected: 1, errors: [{ line: 2, field: 'margin', code: ImportRowProblem.InvalidValue, message: 'margin is more than the amount' }] });
  expect(await em().count(Order, { externalRef: 'F6-O1' })).toBe(0);
  expect((await em().findOneOrFail(Order, { externalRef: 'F6-O3' })).marginMinor).toBe(-450);
});

it("refuses an order's loss of more than its amount, the same misplaced decimal point with the other sign, through a file and the GraphQL bulk mutation alike", async () => {
  await run('customers', 'customer_ref,name,email\nNEGM-1,Neg Margin,negm1@example.com\n');
  const loss = 'margin is a loss of more than the amount';
  const report = await run(
    'orders',
    'customer_ref,ordered_at,amount,margin,order_ref\nNEGM-1,2026-03-01,100.00,-400.00,NEGM-O1\nNEGM-1,2026-06-01,9999999999999.99,-9999999999999.99,NEGM-O2\nNEGM-1,2026-07-01,100.00,-100.01,NEGM-O3\nNEGM-1,2026-08-01,0,-0.01,NEGM-O4\nNEGM-1,2026-09-01,100.00,-100.00,NEGM-O5\nNEGM-1,2026-10-01,100.00,-99.99,NEGM-O6\nNEGM-1,2026-11-01,10.00,20.00,NEGM-O7\n',
    partial,
  );
  // A loss of up to the whole amount is taken, one beyond it refused, as a margin beyond it is.
  expect(report.errors.map((e) => [e.line, e.field, e.code, e.message])).toEqual([
    [2, 'margin', ImportRowProblem.InvalidValue, loss],
    [4, 'margin', ImportRowProblem.InvalidValue, loss],
    [5, 'margin', ImportRowProblem.InvalidValue, loss],
    [8, 'margin', ImportRowProblem.InvalidValue, 'margin is more than the amount'],
  ]);
  expect(report).toMatchObject({ inserted: 3, rejected: 4 });
  expect((await em().find(Order, { externalRef: { $like: 'NEGM-O%' } }, { orderBy: { externalRef: 'asc' } })).map((o) => [o.externalRef, o.marginMinor])).toEqual([
    ['NEGM-O2', -999_999_999_999_999],
    ['NEGM-O5', -10_000],
    ['NEGM-O6', -9_999],
  ]);

  // The bulk mutation stages its rows through the same checks.
  const graphqlImport = await graphql({
    schema: await bulkImportSchema(),
    source: 'mutation($rows: [OrderImportRow!]!) { importOrders(rows: $rows, mode: GoodRows) { inserted errors { row field code message } } }',
    variableValues: { rows: [
      { customerRef: 'NEGM-1', orderedAt: '2026-12-01', amount: '100.00', margin: '-400.00', orderRef: 'NEGM-G1' },
      { customerRef: 'NEGM-1', orderedAt: '2026-12-02', amount: '100.00', margin: '-40.00', orderRef: 'NEGM-G2' },
    ] },
    contextValue: { caller: { role: Role.Admin, id: 'admin:test' }, services: { imports } as unknown as Services },
  });
  expect(graphqlImport.data).toEqual({ importOrders: { inserted: 1, errors: [{ row: 1, field: 'margin', code: 'InvalidValue', message: loss }] } });
  expect(await em().count(Order, { externalRef: 'NEGM-G1' })).toBe(0);
});

it('takes the day an offboarded customer left from offboarded_at, so their retention period counts from it; refuses one in the future, before acquired_at or for a customer who has not left', async () => {
  const offboardedAt = async (ref: string) => (await em().findOneOrFail(Customer, { externalRef: ref })).offboardedAt?.toISOString() ?? null;
  const header = 'customer_ref,name,email,status,acquired_at,offboarded_at';
  // A CRM back-fill: one who left years ago, one whose day the CRM does not know.
  const before = Date.now();
  expect(await run('customers', `${header}\nGONE-1,Gone Longago,gone1@example.com,offboarded,2015-01-01,2020-03-31\nGONE-2,Gone Unknown,gone2@example.com,offboarded,2015-01-01,\n`)).toMatchObject({ inserted: 2, errorCount: 0 });
  expect(await offboardedAt('GONE-1')).toBe('2020-03-31T00:00:00.000Z');
  expect(new Date((await offboardedAt('GONE-2'))!).getTime()).toBeGreaterThanOrEqual(before - 1_000);

  // A re-import that does not know the day (no column, or an empty cell) keeps the stored one: their retention period does not start again.
  const stored2 = await offboardedAt('GONE-2');
  expect(await run('customers', 'customer_ref,name,email,status\nGONE-1,Gone Longago,gone1@example.com,offboarded\n')).toMatchObject({ unchanged: 1 });
  expect(await run('customers', `${header}\nGONE-1,Gone Renamed,gone1@example.com,offboarded,2015-01-01,\nGONE-2,Gone Unknown,gone2@example.com,offboarded,2015-01-01,\n`)).toMatchObject({ updated: 1, unchanged: 1 });
  expect(await offboardedAt('GONE-1')).toBe('2020-03-31T00:00:00.000Z');
  expect(await offboardedAt('GONE-2')).toBe(stored2);
  // A day in the file corrects the stored one, also without the status column (the customer is stored offboarded).
  expect(await run('customers', 'customer_ref,name,email,offboarded_at\nGONE-2,Gone Unknown,gone2@example.com,2021-06-30\n')).toMatchObject({ updated: 1 });
  expect(await offboardedAt('GONE-2')).toBe('2021-06-30T00:00:00.000Z');

  // A stored active customer the file offboards with the day they left (the trigger keeps it), and one without (the import's time).
  await run('customers', 'customer_ref,name,email,acquired_at\nLEFT-1,Left Lately,left1@example.com,2019-01-01\nLEFT-2,Left Now,left2@example.com,2019-01-01\n');
  expect(await run('customers', `customer_ref,name,email,status,offboarded_at\nLEFT-1,Left Lately,left1@example.com,offboarded,2022-02-02\nLEFT-2,Left Now,left2@example.com,offboarded,\n`)).toMatchObject({ updated: 2 });
  expect(await offboardedAt('LEFT-1')).toBe('2022-02-02T00:00:00.000Z');
  expect(new Date((await offboardedAt('LEFT-2'))!).getTime()).toBeGreaterThanOrEqual(before - 1_000);
  // Made active again (one who came back): no day they left.
  await run('customers', 'customer_ref,name,email,status\nLEFT-1,Left Lately,left1@example.com,active\n');
  expect(await offboardedAt('LEFT-1')).toBeNull();

  // Refused, each with its code: in the future, before they were acquired (the file's day, the stored one, or the import's for a new
  // customer without acquired_at), and for a customer whose status (the file's, else the stored one) is not offboarded.
  const tomorrow = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
  const refused = await run(
    'customers',
    `customer_ref,name,email,status,acquired_at,offboarded_at
BAD-1,Bad One,bad1@example.com,offboarded,2015-01-01,${tomorrow}
BAD-2,Bad Two,bad2@example.com,offboarded,2015-01-01,2014-12-31
BAD-3,Bad Three,bad3@example.com,offboarded,,2014-12-31
BAD-4,Bad Four,bad4@example.com,active,2015-01-01,2016-01-01
LEFT-1,Left Lately,left1@example.com,,,2022-02-02
LEFT-2,Left Now,left2@example.com,offboarded,,2018-12-31
`,
    partial,
  );
  expect(refused.errors.map((e) => [e.line, e.field, e.code, e.message])).toEqual([
    [2, 'offboarded_at', 'IN_THE_FUTURE', 'is in the future'],
    [3, 'offboarded_at', 'OUT_OF_ORDER', 'is before the customer was acquired (2015-01-01)'],
    [4, 'offboarded_at', 'OUT_OF_ORDER', expect.stringMatching(/^is before the customer was acquired \(\d{4}-\d{2}-\d{2}, the import's day: give acquired_at\)$/)],
    [5, 'offboarded_at', 'NOT_OFFBOARDED', 'is given for a customer whose status is active: only an offboarded customer has a day they left'],
    [6, 'offboarded_at', 'NOT_OFFBOARDED', 'is given for a customer whose status is active: only an offboarded customer has a day they left'],
    [7, 'offboarded_at', 'OUT_OF_ORDER', 'is before the customer was acquired (2019-01-01)'],
  ]);
  expect(refused).toMatchObject({ written: false, rejected: 6 });
  expect(await offboardedAt('LEFT-1')).toBeNull();

  // The GraphQL bulk mutation's row has it as offboardedAt, and names it so in an error.
  const schema = await bulkImportSchema();
  const mutate = async (rows: object[]) =>
    (
      await graphql({
        schema,
        source: 'mutation($rows: [CustomerImportRow!]!) { importCustomers(rows: $rows, mode: GoodRows) { inserted errors { row field code } } }',
        variableValues: { rows },
        contextValue: { caller: { role: Role.Admin, id: 'admin:test' }, services: { imports } as unknown as Services },
      })
    ).data as { importCustomers: { inserted: number; errors: unknown[] } };
  expect(
    await mutate([
      { customerRef: 'GONE-G1', name: 'Gone Graph', email: 'gone.g1@example.com', status: 'offboarded', acquiredAt: '2016-05-01', offboardedAt: '2019-09-09' },
      { customerRef: 'GONE-G2', name: 'Still Here', email: 'gone.g2@example.com', status: 'active', acquiredAt: '2016-05-01', offboardedAt: '2019-09-09' },
    ]),
  ).toEqual({ importCustomers: { inserted: 1, errors: [{ row: 2, field: 'offboardedAt', code: 'NotOffboarded' }] } });
  expect(await offboardedAt('GONE-G1')).toBe('2019-09-09T00:00:00.000Z');
});

it("refuses an offboarded_at before the customer's own later orders, or more than a year before a later invoice: a mistyped year the retention sweep would act on by erasing them, through the command line and GraphQL alike", async () => {
  const offboardedAt = async (ref: string) => (await em().findOneOrFail(Customer, { externalRef: ref })).offboardedAt?.toISOString() ?? null;
  await run('customers', 'customer_ref,name,email,acquired_at,time_zone\nLATE-1,Late Buyer,late1@example.com,2015-01-01,America/New_York\nLATE-2,Late Billed,late2@example.com,2015-01-01,UTC\nLATE-3,Final Invoice,late3@example.com,2015-01-01,UTC\n');
  // Late on 2026-01-10 in New York (already the 11th in UTC): the day is the customer's.
  await run('orders', 'customer_ref,ordered_at,amount,order_ref\nLATE-1,2024-05-01,10.00,LATE-O0\nLATE-1,2026-01-10T22:30:00-05:00,10.00,LATE-O1\n');
  await run('invoices', 'invoice_ref,customer_ref,issued_at,due_at,amount\nLATE-I2,LATE-2,2026-02-01,2026-02-15,10.00\nLATE-I3,LATE-3,2025-03-01,2025-03-15,10.00\n');

  const header = 'customer_ref,name,email,status,offboarded_at';
  const file = `${header}\nLATE-1,Late Buyer,late1@example.com,offboarded,2020-01-10\nLATE-2,Late Billed,late2@example.com,offboarded,2020-01-01\nLATE-3,Final Invoice,late3@example.com,offboarded,2025-01-31\n`;
  const refused = await run('customers', file, partial);
  expect(refused.errors.map((e) => [e.line, e.field, e.code, e.message])).toEqual([
    [2, 'offboarded_at', 'OUT_OF_ORDER', "is before the customer's last order, on 2026-01-10 (a customer who has left orders nothing: check the year)"],
    [3, 'offboarded_at', 'OUT_OF_ORDER', 'is more than a year before the customer\'s last invoice, "LATE-I2" issued on 2026-02-01 (a final invoice follows leaving within weeks: check the year)'],
  ]);
  // Their final invoice a month after they left is no sign they stayed.
  expect(refused).toMatchObject({ updated: 1, rejected: 2 });
  expect(await offboardedAt('LATE-1')).toBeNull();
  expect(await offboardedAt('LATE-2')).toBeNull();
  expect(await offboardedAt('LATE-3')).toBe('2025-01-31T00:00:00.000Z');

  // The command line refuses it the same way (and writes nothing of an all-or-nothing file).
  const dir = await mkdtemp(path.join(os.tmpdir(), 'offboarded-'));
  try {
    await writeFile(path.join(dir, 'customers.csv'), file);
    const byCli = cli(['customers', path.join(dir, 'customers.csv')]);
    expect(byCli.status).toBe(1);
    expect(JSON.parse(byCli.stdout)).toMatchObject({ written: false, errors: [{ line: 2, field: 'offboarded_at', code: 'OUT_OF_ORDER' }, { line: 3, field: 'offboarded_at', code: 'OUT_OF_ORDER' }] });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  // The day of the last order is no contradiction, and a file giving the stored day again is not refused for a later order.
  expect(await run('customers', `${header}\nLATE-1,Late Buyer,late1@example.com,offboarded,2026-01-10\n`)).toMatchObject({ updated: 1, errorCount: 0 });
  await run('orders', 'customer_ref,ordered_at,amount,order_ref\nLATE-3,2025-06-01,10.00,LATE-O3\n');
  expect(await run('customers', `${header}\nLATE-3,Final Invoice,late3@example.com,offboarded,2025-01-31\n`)).toMatchObject({ unchanged: 1, errorCount: 0 });

  // The GraphQL bulk mutation refuses it too, naming its field.
  const schema = await bulkImportSchema();
  const answer = await graphql({
    schema,
    source: 'mutation($rows: [CustomerImportRow!]!) { importCustomers(rows: $rows, mode: GoodRows) { updated errors { row field code message } } }',
    variableValues: { rows: [{ customerRef: 'LATE-2', name: 'Late Billed', email: 'late2@example.com', status: 'offboarded', offboardedAt: '2020-01-01' }] },
    contextValue: { caller: { role: Role.Admin, id: 'admin:test' }, services: { imports } as unknown as Services },
  });
  expect(answer.data).toEqual({
    importCustomers: { updated: 0, errors: [{ row: 1, field: 'offboardedAt', code: 'OutOfOrder', message: expect.stringMatching(/^is more than a year before the customer's last invoice, "LATE-I2" issued on 2026-02-01/) }] },
  });
  expect(await offboardedAt('LATE-2')).toBeNull();
});
