import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import 'reflect-metadata';
import { createOrm, migrateUp } from '../src/db/orm.js';
import { demoCustomers } from '../src/dev/demo-data.js';
import { startEmbeddedPostgresOnFreePort } from '../src/dev/embedded-postgres.js';
import { ImportService, type ImportReport } from '../src/services/import/import.service.js';
import { writeBenchmarkSection } from './benchmarks-file.js';
import { timed } from './measure.js';

/**
 * `npm run bench:import`: a CRM and billing export of the demo generator's base (100k
 * customers, ~2M orders, their invoices, payments, complaints and costs) written as the
 * import path's CSV files and imported through it (`ImportService.importCsv`, as
 * `npm run import` does: COPY into a staging table, checks in SQL, upserts by reference),
 * each file against the floor of only reading it into PostgreSQL (COPY into a table of
 * text columns, nothing checked). Then the orders file once more, as a nightly re-import
 * of the same export (every row matched, nothing new). A fresh embedded PostgreSQL in a
 * temporary folder. Results go to BENCHMARKS.md.
 *
 * Options (env): BENCH_CUSTOMERS (100000), BENCH_ORDERS_PER_CUSTOMER (20).
 */
const customers = Number(process.env.BENCH_CUSTOMERS ?? 100_000);
const ordersPerCustomer = Number(process.env.BENCH_ORDERS_PER_CUSTOMER ?? 20);

const money = (minor: number) => (minor / 100).toFixed(2);
const cell = (value: string | number | boolean | null) => {
  const text = value === null ? '' : String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** Streams lines to a file, waiting when the disk is slower than the generator. */
class CsvFile {
  private readonly out;
  readonly columns: number;
  constructor(
    readonly file: string,
    header: string[],
  ) {
    this.columns = header.length;
    this.out = createWriteStream(file);
    this.out.write(`${header.join(',')}\n`);
  }
  async row(values: Array<string | number | boolean | null>) {
    if (!this.out.write(`${values.map(cell).join(',')}\n`)) await once(this.out, 'drain');
  }
  async close() {
    this.out.end();
    await once(this.out, 'finish');
  }
}

async function writeExport(dir: string) {
  const files = {
    customers: new CsvFile(path.join(dir, 'customers.csv'), ['customer_ref', 'name', 'email', 'time_zone', 'locale', 'service_tier', 'marketing_consent', 'referrer_ref', 'acquired_at']),
    orders: new CsvFile(path.join(dir, 'orders.csv'), ['customer_ref', 'ordered_at', 'amount', 'margin', 'order_ref']),
    invoices: new CsvFile(path.join(dir, 'invoices.csv'), ['invoice_ref', 'customer_ref', 'issued_at', 'due_at', 'amount', 'paid_at', 'reminders_sent', 'fee_charged']),
    payments: new CsvFile(path.join(dir, 'payments.csv'), ['invoice_ref', 'paid_at', 'amount', 'payment_ref']),
    complaints: new CsvFile(path.join(dir, 'complaints.csv'), ['complaint_ref', 'customer_ref', 'topic', 'severity', 'opened_at', 'resolved_at', 'reopened_count', 'handling_cost', 'product_defect']),
    costs: new CsvFile(path.join(dir, 'costs.csv'), ['cost_ref', 'customer_ref', 'occurred_at', 'kind', 'amount', 'quantity']),
  };
  // Referrers come earlier in the base than those they brought in.
  const refOf = new Map<string, string>();
  for (const c of demoCustomers({ customers, ordersPerCustomer })) {
    refOf.set(c.id, c.externalRef);
    await files.customers.row([c.externalRef, c.name, c.email, c.timeZone, c.locale, c.serviceTier, c.marketingConsent, c.referrerId ? refOf.get(c.referrerId)! : null, c.acquiredAt]);
    for (const o of c.orders) await files.orders.row([c.externalRef, o.orderedAt.toISOString(), money(o.amountMinor), money(o.marginMinor), o.externalRef]);
    const invoiceRef = new Map(c.invoices.map((i) => [i.id, i.externalRef]));
    for (const i of c.invoices) await files.invoices.row([i.externalRef, c.externalRef, i.issuedAt, i.dueAt, money(i.amountMinor), i.paidAt, i.remindersSent, money(i.feeChargedMinor)]);
    for (const p of c.payments) await files.payments.row([invoiceRef.get(p.invoiceId)!, p.paidAt, money(p.amountMinor), p.externalRef]);
    for (const k of c.complaints) {
      await files.complaints.row([k.externalRef, c.externalRef, k.topic, k.severity, k.openedAt.toISOString(), k.resolvedAt?.toISOString() ?? null, k.reopenedCount, money(k.handlingCostMinor), k.productDefect]);
    }
    for (const k of c.costs) await files.costs.row([k.externalRef, c.externalRef, k.occurredAt, k.kind, money(k.amountMinor), k.quantity]);
  }
  for (const f of Object.values(files)) await f.close();
  return files;
}

/** The floor: the file read into PostgreSQL as it is (COPY into text columns, no checks, no keys), then dropped. */
async function copyFloor(url: string, file: string, columns: number): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`create table floor_copy (${Array.from({ length: columns }, (_, i) => `c${i} text`).join(', ')})`);
    const { ms } = await timed(() => pipeline(createReadStream(file), client.query(copyFrom('copy floor_copy from stdin (format csv, header true)'))));
    return ms;
  } finally {
    await client.query('drop table if exists floor_copy');
    await client.end();
  }
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'retention-bench-import-'));
const server = await startEmbeddedPostgresOnFreePort({ dataDir: path.join(dir, 'data'), database: 'import_bench' });
try {
  const orm = await createOrm(server.url);
  await migrateUp(orm);
  await orm.close();
  console.error(`writing the export of ${customers} customers...`);
  const files = await writeExport(dir);

  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const importer = new ImportService(server.url, {}, null, 'EUR');
  const rows: string[] = [];
  const importFile = async (kind: keyof typeof files, label: string) => {
    const file = files[kind];
    const floor = await copyFloor(server.url, file.file, file.columns);
    const { ms, value } = await timed<ImportReport>(() => importer.importCsv(kind, createReadStream(file.file), { mode: 'all-or-nothing', actor: 'bench', source: path.basename(file.file) }));
    if (!value.written || value.rejected > 0) throw new Error(`${kind}: the import refused rows: ${JSON.stringify(value.errors.slice(0, 3))}`);
    console.error(`${label}: ${value.rowsRead} rows, floor ${(floor / 1000).toFixed(1)} s, import ${(ms / 1000).toFixed(1)} s (${value.inserted} inserted, ${value.updated} updated, ${value.unchanged} unchanged)`);
    rows.push(
      `| ${label} | ${value.rowsRead} | ${(statSync(file.file).size / 1e6).toFixed(0)} MB | ${(floor / 1000).toFixed(1)} s | ${(ms / 1000).toFixed(1)} s | ${(ms / floor).toFixed(1)}x | ${Math.round(value.rowsRead / (ms / 1000))} | ${value.inserted} / ${value.updated} / ${value.unchanged} |`,
    );
  };
  for (const kind of ['customers', 'orders', 'invoices', 'payments', 'complaints', 'costs'] as const) await importFile(kind, kind);
  await importFile('orders', 'orders again (the same file re-imported: every row matched, none changed)');
  clearInterval(sampler);

  await writeBenchmarkSection(
    [
      '## Import (bench:import)',
      '',
      `Run ${new Date().toISOString().slice(0, 10)} on this ${os.cpus().length}-core machine (shared, noisy: compare ratios, not absolute numbers).`,
      `Command: \`npm run bench:import\` (BENCH_CUSTOMERS=${customers}, BENCH_ORDERS_PER_CUSTOMER=${ordersPerCustomer}: the demo generator's base written as the import path's CSV files; a fresh embedded PostgreSQL 18).`,
      'Each file is imported all-or-nothing through `ImportService.importCsv`, as `npm run import` does (parsed in Node, COPY into a staging table, every value checked in SQL, upserted by reference, audited), against the floor of reading the same file into PostgreSQL with nothing checked (COPY into a table of text columns). Then the orders file again, as a nightly re-import of the same export.',
      '',
      '| file | rows | size | floor: COPY as text | import | ratio to the floor | rows/s | inserted / updated / unchanged |',
      '|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
      `Peak RSS of the importing process (sampled every 100 ms, generator's maps included): ${Math.round(peakRss / 1e6)} MB.`,
      '',
    ].join('\n'),
  );
} finally {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
