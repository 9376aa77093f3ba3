import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import path from 'node:path';
import net from 'node:net';
import { assertMigrated, createOrm, whenMigrated, type Orm } from '../src/db/orm.js';
import { freePort } from '../src/dev/ports.js';
import { migrationsList } from '../migrations/index.js';
import { createTestDatabase } from './support/database.js';
import { eventually } from './support/eventually.js';
import { ImportService } from '../src/services/import/import.service.js';
import { INVOICE_PAID, PROMISED_TO_PAY, untilPaidTemplates } from '../src/domain/messages/catalogue.js';
import { runOffParameters } from '../src/domain/scoring/optimize.js';

let orm: Orm;
let db: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  db = await createTestDatabase('mig');
  orm = await createOrm(db.url);
});
afterAll(async () => {
  await orm?.close();
  await db?.drop();
});

const tables = async () =>
  (await orm.em.getConnection().execute<{ table_name: string }[]>(`select table_name from information_schema.tables where table_schema = 'public' order by 1`)).map(
    (r) => r.table_name,
  );


/** The migration applied just before `name`: where a test rolls back to, to write rows as they stood before it. */
const migrationBefore = (name: string) => migrationsList[migrationsList.findIndex((m) => m.name === name) - 1].name;

/** A customer row written with plain SQL (the entities may not fit the schema a test rolled back to); its ID. */
const insertCustomer = async (name: string) =>
  (
    await orm.em
      .getConnection()
      .execute<{ id: string }[]>(`insert into customer (id, name, email, acquired_at, created_at, updated_at) values (gen_random_uuid(), ?, ?, '2026-01-01', now(), now()) returning id`, [name, `${name.toLowerCase()}@example.com`])
  )[0].id;

it('applies every migration to an empty database, matching the entities exactly', async () => {
  expect(await tables()).toEqual([]);
  const applied = await orm.migrator.up();
  expect(applied.map((m) => m.name)).toEqual(migrationsList.map((m) => m.name));
  expect(await tables()).toEqual(
    expect.arrayContaining(['customer', 'customer_order', 'invoice', 'payment', 'complaint', 'cost_entry', 'offer', 'score_snapshot', 'campaign', 'playbook_run', 'outbox_message', 'audit_entry']),
  );
  // The migrations produce exactly what the entities describe: no pending diff.
  expect(await orm.schema.getUpdateSchemaSQL({ wrap: false })).toBe('');
});

it('rolls every migration back, leaving nothing but the migrations table', async () => {
  await orm.migrator.down({ to: 0 });
  expect(await tables()).toEqual(['mikro_orm_migrations']);
  const types = await orm.em.getConnection().execute(`select typname from pg_type t join pg_namespace n on n.oid = t.typnamespace where n.nspname = 'public' and t.typtype = 'e'`);
  expect(types).toEqual([]);
});

it('keeps the worker and the API from starting against a database missing migrations, saying which and what to run', async () => {
  for (const bin of ['worker', 'api']) {
    const started = spawnSync(process.execPath, [path.resolve(`dist/src/bin/${bin}.js`)], {
      env: { ...process.env, DATABASE_URL: db.url, TEMPORAL_ADDRESS: '127.0.0.1:1', PORT: '0', WORKER_METRICS_PORT: '0', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    // (The output first: a failure shows what the process said.)
    expect(`${bin}: ${started.stderr}`).toContain(`The database lacks ${migrationsList.length} migration(s) this code needs (${migrationsList[0].name}, `);
    expect(started.stderr).toContain('run the migration job first');
    expect(started.status).not.toBe(0);
  }
}, 90_000);

it('finds a database never migrated missing every migration, without creating anything in it (a mistyped DATABASE_URL stays as it was)', async () => {
  const other = await createTestDatabase('never');
  const fresh = await createOrm(other.url);
  try {
    await expect(assertMigrated(fresh)).rejects.toThrow(`The database lacks ${migrationsList.length} migration(s)`);
    expect(await fresh.em.getConnection().execute(`select to_regclass('mikro_orm_migrations') as t`)).toEqual([{ t: null }]);
  } finally {
    await fresh.close();
    await other.drop();
  }
});

it('waits at start for a database that cannot be reached yet, then checks its migrations', async () => {
  await orm.migrator.up();
  // The database's address answers nothing until, a moment later, it comes up there (a proxy to the test's).
  const port = await freePort();
  const target = new URL(db.url);
  const late = new URL(db.url);
  late.port = String(port);
  const proxy = net.createServer((client) => {
    const server = net.connect(Number(target.port), target.hostname);
    client.pipe(server).pipe(client);
    client.on('error', () => server.destroy());
    server.on('error', () => client.destroy());
  });
  const starting = await createOrm(late.toString());
  const waits: number[] = [];
  try {
    const checked = whenMigrated(starting, (_error, retryInMs) => waits.push(retryInMs));
    await new Promise((r) => setTimeout(r, 1_200));
    // (Its first attempt may come later than that on a loaded machine: waited for.)
    expect(await eventually(async () => waits.length, (n) => n > 0, 10_000, 50)).toBeGreaterThan(0);
    await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
    await expect(checked).resolves.toBeUndefined();
    // Waiting longer each time: 0.5 s, then 1 s, ...
    expect(waits).toEqual(waits.map((_, i) => 500 * 2 ** i));
  } finally {
    await starting.close();
    proxy.close();
  }
});

it('applies them again after a rollback', async () => {
  await orm.migrator.up();
  expect(await orm.migrator.getPending()).toEqual([]);
  await expect(assertMigrated(orm)).resolves.toBeUndefined();
  expect(await orm.schema.getUpdateSchemaSQL({ wrap: false })).toBe('');
});

it('groups the snapshots of one customer, time and run into one row and back, keeping current_score on them', async () => {
  // Back to just before the migration (down stops at, and keeps, the one named).
  const before = migrationBefore('Migration20261201040000_score_snapshot_per_customer');
  const conn = orm.em.getConnection();
  await orm.migrator.down({ to: before });
  const customerId = await insertCustomer('Grouped');
  // The old shape: one row per score. A run wrote two scores at 10:00, an event one at 11:00.
  await conn.execute(
    `insert into score_snapshot (id, customer_id, kind, value, band, model_version, computed_at, reasons, run_id) values
       ('00000000-0000-7000-8000-000000000001', ?, 'rfm', 444, 'Loyal', 'rfm/1', '2026-11-01T10:00:00Z', '["rfm reason"]', 'rescore/1'),
       ('00000000-0000-7000-8000-000000000002', ?, 'churn-risk', 0.2, 'low', 'bgnbd/1', '2026-11-01T10:00:00Z', '["churn reason"]', 'rescore/1'),
       ('00000000-0000-7000-8000-000000000003', ?, 'churn-risk', 0.6, 'high', 'bgnbd/1', '2026-11-01T11:00:00Z', '["later"]', null)`,
    [customerId, customerId, customerId],
  );
  const current = () => conn.execute<{ kind: string; value: number; snapshot_id: string }[]>(`select kind, value, snapshot_id from current_score where customer_id = ? order by kind`, [customerId]);
  expect(await current()).toEqual([
    { kind: 'churn-risk', value: 0.6, snapshot_id: '00000000-0000-7000-8000-000000000003' },
    { kind: 'rfm', value: 444, snapshot_id: '00000000-0000-7000-8000-000000000001' },
  ]);

  await orm.migrator.up();
  const grouped = await conn.execute<{ id: string; run_id: string | null; scores: Record<string, unknown> }[]>(
    `select id, run_id, scores from score_snapshot where customer_id = ? order by computed_at`,
    [customerId],
  );
  expect(grouped).toEqual([
    {
      id: '00000000-0000-7000-8000-000000000002',
      run_id: 'rescore/1',
      scores: {
        rfm: { value: 444, band: 'Loyal', modelVersion: 'rfm/1', reasons: ['rfm reason'] },
        'churn-risk': { value: 0.2, band: 'low', modelVersion: 'bgnbd/1', reasons: ['churn reason'] },
      },
    },
    { id: '00000000-0000-7000-8000-000000000003', run_id: null, scores: { 'churn-risk': { value: 0.6, band: 'high', modelVersion: 'bgnbd/1', reasons: ['later'] } } },
  ]);
  // The rfm score now points at the row its run's scores share.
  expect(await current()).toEqual([
    { kind: 'churn-risk', value: 0.6, snapshot_id: '00000000-0000-7000-8000-000000000003' },
    { kind: 'rfm', value: 444, snapshot_id: '00000000-0000-7000-8000-000000000002' },
  ]);

  await orm.migrator.down({ to: before });
  const split = await conn.execute<{ id: string; kind: string; reasons: string[] }[]>(`select id, kind, reasons from score_snapshot where customer_id = ? order by computed_at, kind`, [customerId]);
  expect(split.map((s) => [s.kind, s.reasons])).toEqual([
    ['churn-risk', ['churn reason']],
    ['rfm', ['rfm reason']],
    ['churn-risk', ['later']],
  ]);
  const rows = new Map(split.map((s) => [s.id, s.kind]));
  for (const c of await current()) expect(rows.get(c.snapshot_id)).toBe(c.kind);
  await orm.migrator.up();
  expect(await orm.schema.getUpdateSchemaSQL({ wrap: false })).toBe('');
});

it('rolls cancelled and abandoned scoring runs back to running, as they stayed before', async () => {
  const before = migrationBefore('Migration20261202010000_scoring_run_cancelled');
  const conn = orm.em.getConnection();
  await conn.execute(
    `insert into scoring_run (id, trigger, as_of, status, started_at) values ('rescore/abandoned', 'test', '2026-11-01', 'abandoned', now()), ('rescore/cancelled', 'test', '2026-11-01', 'cancelled', now()),
            ('rescore/completed', 'test', '2026-11-01', 'completed', now())`,
  );
  await orm.migrator.down({ to: before });
  expect(await conn.execute(`select id, status from scoring_run order by id`)).toEqual([
    { id: 'rescore/abandoned', status: 'running' },
    { id: 'rescore/cancelled', status: 'running' },
    { id: 'rescore/completed', status: 'completed' },
  ]);
  await orm.migrator.up();
  expect(await orm.schema.getUpdateSchemaSQL({ wrap: false })).toBe('');
});

it("copies the band changes the kept snapshots show, once, and records new ones as they happen", async () => {
  const before = migrationBefore('Migration20261202110000_score_band_change');
  const conn = orm.em.getConnection();
  await orm.migrator.down({ to: before });
  const customerId = await insertCustomer('Banded');
  // Since migration 20261204010000 a snapshot also says the day it is as of (`asOf`).
  const snapshot = (night: string, churnBand: string, rfm: string | null, asOf?: string) =>
    conn.execute(`insert into score_snapshot (id, customer_id, computed_at, scores${asOf ? ', as_of' : ''}) values (gen_random_uuid(), ?, ?, ?${asOf ? ', ?' : ''})`, [
      customerId,
      `${night}T02:00:00Z`,
      JSON.stringify({ 'churn-risk': { value: 0.1, band: churnBand, modelVersion: 'm', reasons: [] }, ...(rfm ? { rfm: { value: 1, band: rfm, modelVersion: 'm', reasons: [] } } : {}) }),
      ...(asOf ? [asOf] : []),
    ]);
  await snapshot('2026-11-01', 'low', 'Loyal');
  await snapshot('2026-11-02', 'high', null);
  await snapshot('2026-11-03', 'high', 'At risk');
  await orm.migrator.up();
  const changes = () => conn.execute(`select kind, to_char(changed_at at time zone 'UTC', 'YYYY-MM-DD') as day, previous, band from score_band_change where customer_id = ? order by changed_at, kind`, [customerId]);
  expect(await changes()).toEqual([
    { kind: 'churn-risk', day: '2026-11-02', previous: 'low', band: 'high' },
    { kind: 'rfm', day: '2026-11-03', previous: 'Loyal', band: 'At risk' },
  ]);
  // From now on the trigger records them; an unchanged band is no change.
  await snapshot('2026-11-04', 'medium', 'At risk', '2026-11-04');
  expect((await changes()).slice(2)).toEqual([{ kind: 'churn-risk', day: '2026-11-04', previous: 'high', band: 'medium' }]);
  expect(await orm.schema.getUpdateSchemaSQL({ wrap: false })).toBe('');
});

it('ends runs cancelled before as cancelled and closes their fix cases still open, and rolls both back as they stood', async () => {
  const before = migrationBefore('Migration20261202140000_cancelled_runs');
  const conn = orm.em.getConnection();
  await orm.migrator.down({ to: before });
  const customerId = await insertCustomer('Cancelled');
  const run = (workflowId: string, status: string, outcome: string | null, fixCase: string) =>
    conn
      .execute(`insert into playbook_run (id, workflow_id, playbook, customer_id, status, outcome, started_at) values (gen_random_uuid(), ?, 'fix-issue', ?, ?, ?, now())`, [workflowId, customerId, status, outcome])
      .then(() =>
        conn.execute(`insert into fix_case (id, workflow_id, customer_id, topic, owner, status, opened_at) values (gen_random_uuid(), ?, ?, 'billing-error', 'billing', ?, now())`, [workflowId, customerId, fixCase]),
      );
  await run('fix-issue/cancelled-open', 'completed', 'cancelled', 'open');
  await run('fix-issue/cancelled-resolved', 'completed', 'cancelled', 'resolved');
  await run('fix-issue/fixed', 'completed', 'fixed', 'resolved');
  await run('fix-issue/running', 'running', null, 'open');
  const statuses = () => conn.execute(`select r.workflow_id, r.status as run, c.status as case from playbook_run r join fix_case c using (workflow_id) where r.customer_id = ? order by 1`, [customerId]);
  await orm.migrator.up();
  expect(await statuses()).toEqual([
    { workflow_id: 'fix-issue/cancelled-open', run: 'cancelled', case: 'cancelled' },
    { workflow_id: 'fix-issue/cancelled-resolved', run: 'cancelled', case: 'resolved' },
    { workflow_id: 'fix-issue/fixed', run: 'completed', case: 'resolved' },
    { workflow_id: 'fix-issue/running', run: 'running', case: 'open' },
  ]);
  expect(await orm.schema.getUpdateSchemaSQL({ wrap: false })).toBe('');
  await orm.migrator.down({ to: before });
  expect(await statuses()).toEqual([
    { workflow_id: 'fix-issue/cancelled-open', run: 'completed', case: 'open' },
    { workflow_id: 'fix-issue/cancelled-resolved', run: 'completed', case: 'resolved' },
    { workflow_id: 'fix-issue/fixed', run: 'completed', case: 'resolved' },
    { workflow_id: 'fix-issue/running', run: 'running', case: 'open' },
  ]);
  await orm.migrator.up();
});

it('gives the outbox messages written before it the invoice their payload names', async () => {
  const before = migrationBefore('Migration20261203000000_outbox_invoice');
  const conn = orm.em.getConnection();
  await orm.migrator.down({ to: before });
  const customerId = await insertCustomer('Reminded');
  const [invoice] = await conn.execute<{ id: string }[]>(
    `insert into invoice (id, customer_id, issued_at, due_at, amount_minor, created_at) values (gen_random_uuid(), ?, '2026-11-01', '2026-11-15', 7500, now()) returning id`,
    [customerId],
  );
  const message = (key: string, payload: object) =>
    conn.execute(`insert into outbox_message (id, idempotency_key, customer_id, channel, purpose, template, payload, created_at) values (gen_random_uuid(), ?, ?, 'email', 'service', 'reminder-friendly', ?, now())`, [
      key,
      customerId,
      JSON.stringify(payload),
    ]);
  await message('old/reminder-1', { invoiceId: invoice.id });
  await message('old/gone', { invoiceId: '00000000-0000-4000-8000-000000000000' });
  await message('old/other', { topic: 'delivery-delay' });
  await orm.migrator.up();
  expect(await conn.execute(`select idempotency_key, invoice_id from outbox_message where customer_id = ? order by idempotency_key`, [customerId])).toEqual([
    { idempotency_key: 'old/gone', invoice_id: null },
    { idempotency_key: 'old/other', invoice_id: null },
    { idempotency_key: 'old/reminder-1', invoice_id: invoice.id },
  ]);
});

it('gives each snapshot and current score the day it is as of, after which an earlier day no longer replaces a current score', async () => {
  const before = migrationBefore('Migration20261204010000_score_as_of');
  const conn = orm.em.getConnection();
  await orm.migrator.down({ to: before });
  const customerId = await insertCustomer('Dated');
  await conn.execute(
    `insert into scoring_run (id, trigger, as_of, status, started_at) values ('rescore/11-02', 'schedule', '2026-11-02', 'completed', '2026-11-02T02:00:00Z'),
            ('rescore/10-31', 'admin', '2026-10-31', 'completed', '2026-11-02T03:00:00Z')`,
  );
  const score = (band: string) => ({ value: 1, band, modelVersion: 'm', reasons: [] });
  const snapshot = (id: string, computedAt: string, runId: string | null, scores: object, asOf?: string) =>
    conn.execute(`insert into score_snapshot (id, customer_id, computed_at, scores, run_id${asOf ? ', as_of' : ''}) values (?, ?, ?, ?, ?${asOf ? ', ?' : ''})`, [
      id,
      customerId,
      computedAt,
      JSON.stringify(scores),
      runId,
      ...(asOf ? [asOf] : []),
    ]);
  // The night of 11-02, a payment rescored after it, and a rescore as of 10-31 of RFM alone, run on 11-02.
  await snapshot('00000000-0000-7000-8000-0000000000a1', '2026-11-02T02:00:00Z', 'rescore/11-02', { 'churn-risk': score('high'), 'payment-loyalty': score('regular') });
  await snapshot('00000000-0000-7000-8000-0000000000a2', '2026-11-02T12:00:00Z', null, { 'payment-loyalty': score('loyal') });
  await snapshot('00000000-0000-7000-8000-0000000000a3', '2026-11-02T03:00:00Z', 'rescore/10-31', { rfm: score('Loyal') });

  await orm.migrator.up();
  // A run's snapshots are as of its day, a rescore after an event as of the day it ran; a current score as of its snapshot's.
  const asOfs = () => conn.execute(`select id, to_char(as_of, 'YYYY-MM-DD') as as_of from score_snapshot where customer_id = ? order by id`, [customerId]);
  expect(await asOfs()).toEqual([
    { id: '00000000-0000-7000-8000-0000000000a1', as_of: '2026-11-02' },
    { id: '00000000-0000-7000-8000-0000000000a2', as_of: '2026-11-02' },
    { id: '00000000-0000-7000-8000-0000000000a3', as_of: '2026-10-31' },
  ]);
  const current = () =>
    conn.execute(`select kind, band, to_char(as_of, 'YYYY-MM-DD') as as_of, snapshot_id from current_score where customer_id = ? order by kind`, [customerId]);
  const moves = () => conn.execute(`select kind, previous, band from score_band_change where customer_id = ? order by changed_at, kind`, [customerId]);
  expect(await current()).toEqual([
    { kind: 'churn-risk', band: 'high', as_of: '2026-11-02', snapshot_id: '00000000-0000-7000-8000-0000000000a1' },
    { kind: 'payment-loyalty', band: 'loyal', as_of: '2026-11-02', snapshot_id: '00000000-0000-7000-8000-0000000000a2' },
    { kind: 'rfm', band: 'Loyal', as_of: '2026-10-31', snapshot_id: '00000000-0000-7000-8000-0000000000a3' },
  ]);
  const movesBefore = await moves();

  // A rescore as of 11-01, run on 11-03: it replaces only the RFM score as of 10-31, and moves only its band.
  await snapshot('00000000-0000-7000-8000-0000000000a4', '2026-11-03T10:00:00Z', 'rescore/11-01', { 'churn-risk': score('low'), 'payment-loyalty': score('risky'), rfm: score('At risk') }, '2026-11-01');
  expect(await current()).toEqual([
    { kind: 'churn-risk', band: 'high', as_of: '2026-11-02', snapshot_id: '00000000-0000-7000-8000-0000000000a1' },
    { kind: 'payment-loyalty', band: 'loyal', as_of: '2026-11-02', snapshot_id: '00000000-0000-7000-8000-0000000000a2' },
    { kind: 'rfm', band: 'At risk', as_of: '2026-11-01', snapshot_id: '00000000-0000-7000-8000-0000000000a4' },
  ]);
  expect(await moves()).toEqual(expect.arrayContaining([...movesBefore, { kind: 'rfm', previous: 'Loyal', band: 'At risk' }]));
  expect(await moves()).toHaveLength(movesBefore.length + 1);
  // Dated on the day its scores are as of, at the time of day it ran (migration 20261212000000).
  expect(await conn.execute(`select to_char(changed_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') as changed_at from score_band_change where customer_id = ? and kind = 'rfm' and band = 'At risk'`, [customerId])).toEqual([{ changed_at: '2026-11-01 10:00' }]);
  // Rescored again as of 11-02 (the same day as the current churn risk), later: it replaces it.
  await snapshot('00000000-0000-7000-8000-0000000000a5', '2026-11-03T11:00:00Z', 'rescore/11-02b', { 'churn-risk': score('medium') }, '2026-11-02');
  expect((await current())[0]).toEqual({ kind: 'churn-risk', band: 'medium', as_of: '2026-11-02', snapshot_id: '00000000-0000-7000-8000-0000000000a5' });
  expect(await orm.schema.getUpdateSchemaSQL({ wrap: false })).toBe('');

  await orm.migrator.down({ to: before });
  expect(await conn.execute(`select table_name from information_schema.columns where column_name = 'as_of' and table_name in ('score_snapshot', 'current_score')`)).toEqual([]);
  // Back to the newest computed: the rescore as of 10-31 run last replaces the current scores it holds.
  await snapshot('00000000-0000-7000-8000-0000000000a6', '2026-11-04T10:00:00Z', 'rescore/10-31', { 'churn-risk': score('low') });
  expect(await conn.execute(`select band, snapshot_id from current_score where customer_id = ? and kind = 'churn-risk'`, [customerId])).toEqual([
    { band: 'low', snapshot_id: '00000000-0000-7000-8000-0000000000a6' },
  ]);
  await orm.migrator.up();
  expect(await orm.schema.getUpdateSchemaSQL({ wrap: false })).toBe('');
});

it('turns complaint topics the import took as any text into topic keys, leaving keys as they are', async () => {
  const before = migrationBefore('Migration20261205000000_complaint_topic_keys');
  await orm.migrator.down({ to: before });
  const conn = orm.em.getConnection();
  const customerId = await insertCustomer('Topo');
  const topics = ['app login', 'Billing_Error', ' -- wrong  invoice! ', '???', 'delivery-delay'];
  for (const topic of topics) {
    await conn.execute(`insert into complaint (id, customer_id, topic, severity, opened_at, created_at) values (gen_random_uuid(), ?, ?, 'low', now(), now())`, [customerId, topic]);
  }
  await orm.migrator.up();
  const stored = await conn.execute<{ topic: string }[]>(`select topic from complaint where customer_id = ?`, [customerId]);
  expect(stored.map((r) => r.topic).sort()).toEqual(['app-login', 'billing-error', 'delivery-delay', 'other', 'wrong-invoice']);
});

it("moves the waits delivery wrote into last_error to waits_for, leaving the channel's refusals where they are", async () => {
  const conn = orm.em.getConnection();
  await orm.migrator.down({ to: migrationBefore('Migration20261209000000_outbox_waits_for') });
  const customerId = await insertCustomer('Waiting');
  const message = (key: string, lastError: string | null) =>
    conn.execute(`insert into outbox_message (id, idempotency_key, customer_id, channel, purpose, template, payload, created_at, last_error) values (gen_random_uuid(), ?, ?, 'email', 'service', 'reminder-standard-2', '{}', now(), ?)`, [
      key,
      customerId,
      lastError,
    ]);
  await message('wait/reminder-2', 'Waits for reminder-1 of its run, which has not gone out');
  await message('wait/reminder-3', '451 4.2.1 Mailbox busy');
  await message('wait/handover', null);
  await orm.migrator.up();
  expect(await conn.execute(`select idempotency_key, last_error, waits_for from outbox_message where customer_id = ? order by idempotency_key`, [customerId])).toEqual([
    { idempotency_key: 'wait/handover', last_error: null, waits_for: null },
    { idempotency_key: 'wait/reminder-2', last_error: null, waits_for: 'reminder-1 of its run, which has not gone out' },
    { idempotency_key: 'wait/reminder-3', last_error: '451 4.2.1 Mailbox busy', waits_for: null },
  ]);
});

it('gives each fix case the team it belongs to: the owner its opening task went to, else its owner', async () => {
  const conn = orm.em.getConnection();
  await orm.migrator.down({ to: migrationBefore('Migration20261210000000_fix_case_team') });
  const customerId = await insertCustomer('Teams');
  const fixCase = (workflowId: string, owner: string, escalations: number) =>
    conn.execute(`insert into fix_case (id, workflow_id, customer_id, topic, owner, status, escalations, opened_at) values (gen_random_uuid(), ?, ?, 'delivery-delay', ?, 'open', ?, now())`, [
      workflowId,
      customerId,
      owner,
      escalations,
    ]);
  // Escalated to the team lead; its opening task went to logistics.
  await fixCase('fix-issue/teams/escalated', 'team-lead', 1);
  await conn.execute(`insert into outbox_message (id, idempotency_key, customer_id, channel, purpose, template, payload, created_at) values (gen_random_uuid(), ?, ?, 'call', 'service', 'fix-case-opened', ?, now())`, [
    'fix-issue/teams/escalated/fix-case-opened',
    customerId,
    JSON.stringify({ topic: 'delivery-delay', owner: 'logistics' }),
  ]);
  await fixCase('fix-issue/teams/kept', 'billing', 0);
  await orm.migrator.up();
  expect(await conn.execute(`select workflow_id, team, owner from fix_case where customer_id = ? order by workflow_id`, [customerId])).toEqual([
    { workflow_id: 'fix-issue/teams/escalated', team: 'logistics', owner: 'team-lead' },
    { workflow_id: 'fix-issue/teams/kept', team: 'billing', owner: 'billing' },
  ]);
});

it('gives a fix case a worker of the version before opens (without a team) its owner as its team', async () => {
  const conn = orm.em.getConnection();
  const customerId = await insertCustomer('Rolling');
  await conn.execute(`insert into fix_case (id, workflow_id, customer_id, topic, owner, status, escalations, opened_at) values (gen_random_uuid(), 'fix-issue/rolling', ?, 'delivery-delay', 'logistics', 'open', 0, now())`, [customerId]);
  expect(await conn.execute(`select team, owner from fix_case where workflow_id = 'fix-issue/rolling'`)).toEqual([{ team: 'logistics', owner: 'logistics' }]);
});

it('keeps as ended here the offers whose last day is still the one their latest endOffer gave, not those an import opened again or may have agreed with since', async () => {
  const conn = orm.em.getConnection();
  await orm.migrator.down({ to: migrationBefore('Migration20261211000000_offer_ended_here_on') });
  const offer = async (code: string, validUntil: string | null) =>
    (await conn.execute<{ id: string }[]>(`insert into offer (id, code, name, audience, discount_percent, valid_from, valid_until, created_at) values (gen_random_uuid(), ?, ?, 'all', 10, '2026-01-01', ?, now()) returning id`, [code, code, validUntil]))[0].id;
  const ended = (id: string, from: string | null, to: string, at: string) =>
    conn.execute(`insert into audit_entry (id, at, actor, action, entity_type, entity_id, before, after) values (gen_random_uuid(), ?, 'marketer:x', 'offer.end', 'offer', ?, ?, ?)`, [at, id, JSON.stringify({ validUntil: from }), JSON.stringify({ validUntil: to })]);
  const twice = await offer('MIG-ENDED-TWICE', '2026-03-10');
  await ended(twice, null, '2026-03-31', '2026-02-05T00:00:00Z');
  await ended(twice, '2026-03-31', '2026-03-10', '2026-02-06T00:00:00Z');
  // An offers import after its end: the source may have agreed (which left no trace per offer), so its next extension is taken.
  const imported = await offer('MIG-IMPORTED-SINCE', '2026-04-30');
  await ended(imported, null, '2026-04-30', '2026-02-01T00:00:00Z');
  await conn.execute(`insert into audit_entry (id, at, actor, action, entity_type, entity_id, before, after) values (gen_random_uuid(), '2026-02-03T00:00:00Z', 'cli:import', 'import.offers', 'offers', null, null, '{}')`);
  const reopened = await offer('MIG-REOPENED', '2026-12-31');
  await ended(reopened, '2026-12-31', '2026-06-30', '2026-02-01T00:00:00Z');
  await offer('MIG-NEVER-ENDED', '2026-05-31');
  await orm.migrator.up();
  expect(await conn.execute(`select code, valid_until::text, ended_here_on::text from offer where code like 'MIG-%' order by code`)).toEqual([
    { code: 'MIG-ENDED-TWICE', valid_until: '2026-03-10', ended_here_on: '2026-03-10' },
    { code: 'MIG-IMPORTED-SINCE', valid_until: '2026-04-30', ended_here_on: null },
    { code: 'MIG-NEVER-ENDED', valid_until: '2026-05-31', ended_here_on: null },
    { code: 'MIG-REOPENED', valid_until: '2026-12-31', ended_here_on: null },
  ]);
});

it('derives the stored order and payment references again from their values, so a file imported before the upgrade adds nothing after it (QA 54 F1)', async () => {
  const conn = orm.em.getConnection();
  await orm.migrator.down({ to: migrationBefore('Migration20261214000000_derived_refs_as_read') });
  const customer = async (ref: string | null) =>
    (
      await conn.execute<{ id: string }[]>(
        `insert into customer (id, external_ref, name, email, acquired_at, created_at, updated_at) values (gen_random_uuid(), ?, 'Derived', ?, '2026-01-01', now(), now()) returning id`,
        [ref, `${ref ?? 'erased'}-derived@example.com`],
      )
    )[0].id;
  // References as the import derived them before: md5 of the cells' text as written, and the occurrence in the file.
  const old = (...parts: string[]) => `derived:${createHash('md5').update(parts.join('|')).digest('hex')}`;
  const order = (customerId: string, ref: string, at: string, minor: number) =>
    conn.execute(`insert into customer_order (id, external_ref, customer_id, ordered_at, amount_minor, created_at) values (gen_random_uuid(), ?, ?, ?, ?, now())`, [ref, customerId, at, minor]);
  const kept = await customer('MIG-F1');
  await order(kept, old('MIG-F1', '2026-03-02', '29.30', '1'), '2026-03-02T00:00:00Z', 2930);
  await order(kept, old('MIG-F1', '2026-03-02', '29.30', '2'), '2026-03-02T00:00:00Z', 2930);
  await order(kept, old('MIG-F1', '2026-03-03T10:15:00.5+01:00', '12', '1'), '2026-03-03T09:15:00.5Z', 1200);
  await order(kept, 'MIG-F1-OWN', '2026-03-02T00:00:00Z', 2930);
  // An erased customer's: their CRM reference is gone, the reference stays as it is.
  const erasedRef = old('MIG-F1-GONE', '2026-03-02', '5', '1');
  await order(await customer(null), erasedRef, '2026-03-02T00:00:00Z', 500);
  const invoice = (await conn.execute<{ id: string }[]>(
    `insert into invoice (id, external_ref, customer_id, issued_at, due_at, amount_minor, reminders_sent, fee_charged_minor, fee_waived_minor, created_at) values (gen_random_uuid(), 'MIG-F1-I', ?, '2026-03-01', '2026-03-31', 10000, 0, 0, 0, now()) returning id`,
    [kept],
  ))[0].id;
  await conn.execute(`insert into payment (id, external_ref, invoice_id, paid_at, amount_minor, created_at) values (gen_random_uuid(), ?, ?, '2026-03-05', 4000, now())`, [old('MIG-F1-I', '2026-03-05', '40', '1'), invoice]);
  await orm.migrator.up();

  const refs = async () => (await conn.execute<{ external_ref: string }[]>(`select external_ref from customer_order union all select external_ref from payment order by 1`)).map((r) => r.external_ref);
  const after = await refs();
  expect(after).toContain(erasedRef);
  expect(after).toContain('MIG-F1-OWN');
  expect(after.filter((r) => r.startsWith('derived:'))).toHaveLength(5);
  // The import, as it derives them now, finds every one: the file as first imported, and as a spreadsheet saves it.
  const imports = new ImportService(db.url, {}, null, 'EUR');
  const options = { mode: 'all-or-nothing', actor: 'test', source: 'test' } as const;
  const file = (rows: string[]) => Readable.from(['customer_ref,ordered_at,amount,order_ref\n' + rows.join('\n') + '\n']);
  for (const rows of [
    ['MIG-F1,2026-03-02,29.30,', 'MIG-F1,2026-03-02,29.30,', 'MIG-F1,2026-03-03T10:15:00.5+01:00,12,', 'MIG-F1,2026-03-02,29.30,MIG-F1-OWN'],
    ['MIG-F1,2026-03-02T00:00:00Z,29.3,', 'MIG-F1,2026-03-02 00:00,29.3,', 'MIG-F1,2026-03-03T09:15:00.500Z,12.00,', 'MIG-F1,2026-03-02,29.3,MIG-F1-OWN'],
  ]) {
    expect(await imports.importCsv('orders', file(rows), options)).toMatchObject({ errorCount: 0, inserted: 0, updated: 0, unchanged: 4 });
  }
  for (const amount of ['40', '40.00']) {
    expect(await imports.importCsv('payments', Readable.from([`invoice_ref,paid_at,amount\nMIG-F1-I,2026-03-05,${amount}\n`]), options)).toMatchObject({ errorCount: 0, inserted: 0, unchanged: 1 });
  }
  expect(await refs()).toEqual(after);
  // down() leaves them as they are (the text they were made from is not stored).
  await orm.migrator.down({ to: migrationBefore('Migration20261214000000_derived_refs_as_read') });
  expect(await refs()).toEqual(after);
  await orm.migrator.up();
});

it('pays the stored open invoices of amount 0 on their issue day and holds back the reminders still queued for them (QA 59 F1)', async () => {
  const conn = orm.em.getConnection();
  await orm.migrator.down({ to: migrationBefore('Migration20261215000000_zero_invoices_paid') });
  const customerId = await insertCustomer('Zero');
  const invoice = async (ref: string, amountMinor: number, paidAt: string | null, cancelledAt: string | null) =>
    (
      await conn.execute<{ id: string }[]>(
        `insert into invoice (id, external_ref, customer_id, issued_at, due_at, amount_minor, paid_at, cancelled_at, reminders_sent, fee_charged_minor, fee_waived_minor, created_at)
         values (gen_random_uuid(), ?, ?, '2026-11-01', '2026-11-15', ?, ?, ?, 0, 0, 0, now()) returning id`,
        [ref, customerId, amountMinor, paidAt, cancelledAt],
      )
    )[0].id;
  const open = await invoice('MIG-Z-OPEN', 0, null, null);
  await invoice('MIG-Z-PAID', 0, '2026-11-03', null);
  await invoice('MIG-Z-CANCELLED', 0, null, '2026-11-02');
  const owed = await invoice('MIG-Z-OWED', 500, null, null);
  const message = (key: string, invoiceId: string, template: string, state: { sentAt?: string; suppressedReason?: string } = {}) =>
    conn.execute(
      `insert into outbox_message (id, idempotency_key, customer_id, invoice_id, channel, purpose, template, payload, created_at, sent_at, suppressed_at, suppressed_reason)
       values (gen_random_uuid(), ?, ?, ?, 'email', 'service', ?, '{}', now(), ?, ?, ?)`,
      [key, customerId, invoiceId, template, state.sentAt ?? null, state.suppressedReason ? new Date() : null, state.suppressedReason ?? null],
    );
  // Every template that chased payment when the migration was written (it names them as they were then: one added since,
  // the follow-on reminder, had no message to hold back), the thank-you, one sent, one a promise held back.
  const chasingThen = untilPaidTemplates.filter((template) => template !== 'reminder-follow-on');
  for (const template of chasingThen) await message(`mig-z/${template}`, open, template);
  await message('mig-z/thank-you', open, 'thank-you-payment');
  await message('mig-z/sent', open, 'reminder-gentle', { sentAt: '2026-11-16T08:00:00Z' });
  await message('mig-z/promised', open, 'reminder-standard-2', { suppressedReason: `${PROMISED_TO_PAY}: the customer promised to pay by 2026-11-20` });
  await message('mig-z/owed', owed, 'reminder-friendly');
  await orm.migrator.up();
  expect(await conn.execute(`select external_ref, paid_at::text, cancelled_at::text from invoice where customer_id = ? order by 1`, [customerId])).toEqual([
    { external_ref: 'MIG-Z-CANCELLED', paid_at: null, cancelled_at: '2026-11-02' },
    { external_ref: 'MIG-Z-OPEN', paid_at: '2026-11-01', cancelled_at: null },
    { external_ref: 'MIG-Z-OWED', paid_at: null, cancelled_at: null },
    { external_ref: 'MIG-Z-PAID', paid_at: '2026-11-03', cancelled_at: null },
  ]);
  const reasons = Object.fromEntries(
    (await conn.execute<{ idempotency_key: string; suppressed_reason: string | null }[]>(`select idempotency_key, suppressed_reason from outbox_message where customer_id = ?`, [customerId])).map((m) => [m.idempotency_key, m.suppressed_reason]),
  );
  expect(reasons).toEqual({
    ...Object.fromEntries(chasingThen.map((template) => [`mig-z/${template}`, INVOICE_PAID])),
    'mig-z/thank-you': null,
    'mig-z/sent': null,
    'mig-z/promised': INVOICE_PAID,
    'mig-z/owed': null,
  });
});

it("records since when the installation's runs name their campaign: its upgrade to that release, or always when it had no runs before", async () => {
  const conn = orm.em.getConnection();
  const since = async () => (await conn.execute<{ value: string }[]>(`select value from deployment_setting where name = 'runs-name-campaign-since'`)).map((r) => r.value);
  const upgradedAt = (at: string) => conn.execute(`update mikro_orm_migrations set executed_at = ? where name = 'Migration20261205010000_audit_unknown_outcome'`, [at]);
  await orm.migrator.down({ to: migrationBefore('Migration20261216000000_runs_name_campaign_since') });
  expect(await since()).toEqual([]);
  // Upgraded (the first migration of the release that names campaigns applied) a day after a run started: runs before then go by the old rule.
  const customerId = await insertCustomer('Named since');
  await conn.execute(`insert into playbook_run (id, workflow_id, playbook, customer_id, status, started_at) values (gen_random_uuid(), 'appreciation/named-since', 'appreciation', ?, 'running', '2027-01-09T12:00:00Z')`, [customerId]);
  await upgradedAt('2027-01-10T12:00:00Z');
  await orm.migrator.up();
  expect(await since()).toEqual(['2027-01-10T12:00:00.000000Z']);
  // No run started before that upgrade (installed at that release or later): every run names its campaign.
  await orm.migrator.down({ to: migrationBefore('Migration20261216000000_runs_name_campaign_since') });
  expect(await since()).toEqual([]);
  await upgradedAt('2000-01-01T00:00:00Z');
  await orm.migrator.up();
  expect(await since()).toEqual(['-infinity']);
});

it('puts the stored API key names in NFKC, a key in use whose name then reads as another\'s getting its fingerprint after it; lookups by digest unchanged', async () => {
  const conn = orm.em.getConnection();
  await orm.migrator.down({ to: migrationBefore('Migration20261217000000_api_key_name_nfkc') });
  const key = (name: string, digest: string, createdAt: string, revoked = false) =>
    conn.execute(`insert into api_key (id, name, role, digest, created_by, created_at, revoked_at) values (gen_random_uuid(), ?, 'viewer', ?, 'admin:test', ?, ?)`, [name, digest, createdAt, revoked ? createdAt : null]);
  // In use: a full-width spelling (the oldest) of a name in use as it reads, a ligature alone; revoked: a full-width spelling.
  await key('ａdmin', 'aaaaaaaa'.repeat(8), '2026-11-01T00:00:00Z');
  await key('Admin', 'bbbbbbbb'.repeat(8), '2026-11-02T00:00:00Z');
  await key('ﬁnance ', 'cccccccc'.repeat(8), '2026-11-03T00:00:00Z');
  await key('ｏｌｄ', 'dddddddd'.repeat(8), '2026-11-04T00:00:00Z', true);
  await key('old', 'eeeeeeee'.repeat(8), '2026-11-05T00:00:00Z');
  await orm.migrator.up();
  expect(await conn.execute(`select left(digest, 8) as digest, name from api_key where created_by = 'admin:test' order by created_at`)).toEqual([
    { digest: 'aaaaaaaa', name: 'admin (aaaaaaaa)' },
    { digest: 'bbbbbbbb', name: 'Admin' },
    { digest: 'cccccccc', name: 'finance' },
    { digest: 'dddddddd', name: 'old' },
    { digest: 'eeeeeeee', name: 'old' },
  ]);
  await conn.execute(`delete from api_key where created_by = 'admin:test'`);
});

it('puts the stored references in NFC, and merges none: of two that differ only in that form, the NFC one (else the oldest) keeps it (QA 70 F1)', async () => {
  const conn = orm.em.getConnection();
  await orm.migrator.up();
  await orm.migrator.down({ to: migrationBefore('Migration20261219000000_refs_nfc') });
  const customer = (ref: string, createdAt: string) =>
    conn.execute(`insert into customer (id, external_ref, name, email, acquired_at, created_at, updated_at) values (gen_random_uuid(), ?, 'Nfc', 'nfc@example.com', '2026-11-01', ?, ?)`, [ref, createdAt, createdAt]);
  const nfc = (s: string) => s.normalize('NFC');
  const nfd = (s: string) => s.normalize('NFD');
  // Alone in NFD; in NFD beside one in NFC (older); two other spellings of one ṩ (dots below and above in either order: the older takes NFC).
  await customer(nfd('NFCMIG-É-1'), '2026-11-01T00:00:00Z');
  await customer(nfd('NFCMIG-É-2'), '2026-11-01T00:00:00Z');
  await customer(nfc('NFCMIG-É-2'), '2026-11-02T00:00:00Z');
  await customer('NFCMIG-s\u0307\u0323-3', '2026-11-02T00:00:00Z');
  await customer('NFCMIG-s\u0323\u0307-3', '2026-11-03T00:00:00Z');
  await orm.migrator.up();
  const stored = await conn.execute<Array<{ ref: string; created: string }>>(`select external_ref as ref, to_char(created_at at time zone 'UTC', 'MM-DD') as created from customer where external_ref like 'NFCMIG-%' order by created_at, external_ref`);
  expect(stored.map((r) => [r.created, r.ref === nfc(r.ref) ? `${nfc(r.ref)} NFC` : `${nfc(r.ref)} other`]).sort()).toEqual([
    ['11-01', 'NFCMIG-É-1 NFC'],
    ['11-01', 'NFCMIG-É-2 other'],
    ['11-02', 'NFCMIG-É-2 NFC'],
    ['11-02', 'NFCMIG-\u1e69-3 NFC'],
    ['11-03', 'NFCMIG-\u1e69-3 other'],
  ]);
  await conn.execute(`delete from customer where external_ref like 'NFCMIG-%'`);
});

it('records the tier moves account reviews made before it as tier changes, on the day where the customer lives, and rolls back', async () => {
  const conn = orm.em.getConnection();
  await orm.migrator.up();
  await orm.migrator.down({ to: migrationBefore('Migration20261225000000_service_tier_change') });
  const tokyo = await insertCustomer('TierMigTokyo');
  await conn.execute(`update customer set time_zone = 'Asia/Tokyo', service_tier = 'basic' where id = ?`, [tokyo]);
  const audit = (entityId: string, actor: string, before: string, after: string, at: string) =>
    conn.execute(`insert into audit_entry (id, at, actor, action, entity_type, entity_id, before, after) values (gen_random_uuid(), ?, ?, 'customer.service-tier', 'customer', ?, ?, ?)`, [
      at,
      actor,
      entityId,
      JSON.stringify({ serviceTier: before }),
      JSON.stringify({ serviceTier: after }),
    ]);
  // 20:00 UTC on 2026-11-03 is already the 4th in Tokyo; an entry of another actor is no review's move.
  await audit(tokyo, 'playbook:account-review/x-1', 'premium', 'standard', '2026-10-01T08:00:00Z');
  await audit(tokyo, 'playbook:account-review/x-2', 'standard', 'basic', '2026-11-03T20:00:00Z');
  await audit(tokyo, 'admin:someone', 'basic', 'premium', '2026-11-05T08:00:00Z');
  await orm.migrator.up();
  expect(await conn.execute(`select changed_on::text as day, from_tier, to_tier, source from service_tier_change where customer_id = ? order by changed_on`, [tokyo])).toEqual([
    { day: '2026-10-01', from_tier: 'premium', to_tier: 'standard', source: 'account-review' },
    { day: '2026-11-04', from_tier: 'standard', to_tier: 'basic', source: 'account-review' },
  ]);
  await orm.migrator.down({ to: migrationBefore('Migration20261225000000_service_tier_change') });
  expect(await tables()).not.toContain('service_tier_change');
  await orm.migrator.up();
  await conn.execute(`delete from audit_entry where entity_id = ?`, [tokyo]);
  await conn.execute(`delete from customer where id = ?`, [tokyo]);
});

it('puts the stored customer names and e-mail addresses in NFC, leaving the rest of the row as it was', async () => {
  const conn = orm.em.getConnection();
  await orm.migrator.up();
  await orm.migrator.down({ to: migrationBefore('Migration20261227164000_customer_names_nfc') });
  const nfd = 'Zoe\u0308 Gru\u0308nwald';
  const id = (await conn.execute<{ id: string }[]>(`insert into customer (id, name, email, acquired_at, created_at, updated_at) values (gen_random_uuid(), ?, ?, '2026-01-01', '2026-02-01', '2026-02-01') returning id`, [nfd, 'zoe\u0308@example.com']))[0].id;
  const kept = await insertCustomer('NfcMigKept');
  await orm.migrator.up();
  const rows = await conn.execute<{ id: string; name: string; email: string; updated: string }[]>(`select id, name, email, updated_at::date::text as updated from customer where id in (?, ?) order by name`, [id, kept]);
  expect(rows.map((r) => [r.name, r.email, r.id === id ? r.updated : 'kept'])).toEqual([
    ['NfcMigKept', 'nfcmigkept@example.com', 'kept'],
    ['Zo\u00eb Gr\u00fcnwald', 'zo\u00eb@example.com', '2026-02-01'],
  ]);
  await conn.execute(`delete from customer where id in (?, ?)`, [id, kept]);
});

it('puts the stored offer names and their translations in NFC, leaving the rest of the row as it was', async () => {
  const conn = orm.em.getConnection();
  await orm.migrator.up();
  await orm.migrator.down({ to: migrationBefore('Migration20261228000000_offer_names_nfc') });
  const offer = (code: string, name: string, translated: Record<string, string> | null) =>
    conn.execute(`insert into offer (id, code, name, translated_names, audience, discount_percent, valid_from, created_at) values (gen_random_uuid(), ?, ?, ?, 'all', 10, '2026-01-01', now())`, [code, name, translated && JSON.stringify(translated)]);
  await offer('NFC-MIG-1', 'Gru\u0308ner Tarif', { fr: 'Tarif e\u0301cologique', de: 'Gru\u0308n' });
  await offer('NFC-MIG-2', 'Plain', null);
  await orm.migrator.up();
  expect(await conn.execute(`select code, name, translated_names from offer where code like 'NFC-MIG-%' order by code`)).toEqual([
    { code: 'NFC-MIG-1', name: 'Gr\u00fcner Tarif', translated_names: { fr: 'Tarif \u00e9cologique', de: 'Gr\u00fcn' } },
    { code: 'NFC-MIG-2', name: 'Plain', translated_names: null },
  ]);
  await conn.execute(`delete from offer where code like 'NFC-MIG-%'`);
});

it('puts the stored segment and API key names in the form people read them, one keeping a name that then reads as another\'s and the others marked', async () => {
  const conn = orm.em.getConnection();
  await orm.migrator.up();
  await orm.migrator.down({ to: migrationBefore('Migration20261227164100_readable_names') });
  const segment = (name: string, createdAt: string) =>
    conn.execute(`insert into segment (id, name, filter, created_by, created_at, updated_at) values (gen_random_uuid(), ?, '{}', 'marketer:test', ?, ?)`, [name, createdAt, createdAt]);
  // Four spellings of one name (the one already in the readable form is the third), one alone with two spaces, one too long to mark whole.
  await segment('Gru\u0308ne Kunden', '2026-11-01T00:00:00Z');
  await segment('Ｇrüne Kunden', '2026-11-02T00:00:00Z');
  await segment('grüne kunden', '2026-11-03T00:00:00Z');
  await segment('Grüne  Kunden', '2026-11-04T00:00:00Z');
  await segment('Rote  Kunden', '2026-11-05T00:00:00Z');
  await segment('x'.repeat(99), '2026-11-06T00:00:00Z');
  await segment(`${'X'.repeat(99)}\u3000`, '2026-11-07T00:00:00Z');
  // NFKC makes "…" three dots: a 99-character name becomes 103, cut to the 100 a name may have (else it could not be edited).
  await segment(`${'y'.repeat(97)}……`, '2026-11-08T00:00:00Z');
  // Two that read the same; the second's mark cuts it where a space ends the cut: no space before the mark but one.
  await segment(`${'Z'.repeat(88)}  tail`, '2026-11-09T00:00:00Z');
  await segment(`${'Z'.repeat(88)} tail`, '2026-11-10T00:00:00Z');
  // Distinct before (two spaces), one name after: the older keeps it, and its new name is in lower() the newer's name as it
  // stands (an OHM SIGN is a Greek omega in lower case), which the unique index must not see before the newer is marked.
  await segment('\u03c9mega  Kunden', '2026-11-11T00:00:00Z');
  await segment('\u2126mega Kunden', '2026-11-12T00:00:00Z');
  const key = (name: string, digest: string, createdAt: string, revoked = false) =>
    conn.execute(`insert into api_key (id, name, role, digest, created_by, created_at, revoked_at) values (gen_random_uuid(), ?, 'viewer', ?, 'admin:test', ?, ?)`, [name, digest, createdAt, revoked ? createdAt : null]);
  await key('web  app', 'aaaaaaaa'.repeat(8), '2026-11-01T00:00:00Z');
  await key('Web App', 'bbbbbbbb'.repeat(8), '2026-11-02T00:00:00Z');
  await key('old  one', 'cccccccc'.repeat(8), '2026-11-03T00:00:00Z', true);
  await key('old one', 'dddddddd'.repeat(8), '2026-11-04T00:00:00Z');
  await orm.migrator.up();
  const segments = await conn.execute<{ id: string; name: string }[]>(`select id::text, name from segment where created_by = 'marketer:test' order by created_at`);
  const mark = (i: number) => `(${segments[i].id.slice(0, 8)})`;
  expect(segments.map((s) => s.name)).toEqual([
    `Grüne Kunden ${mark(0)}`,
    `Grüne Kunden ${mark(1)}`,
    'grüne kunden',
    `Grüne Kunden ${mark(3)}`,
    'Rote Kunden',
    'x'.repeat(99),
    `${'X'.repeat(89)} ${mark(6)}`,
    `${'y'.repeat(97)}...`,
    `${'Z'.repeat(88)} ${mark(8)}`,
    `${'Z'.repeat(88)} tail`,
    '\u03c9mega Kunden',
    `\u03a9mega Kunden ${mark(11)}`,
  ]);
  expect(await conn.execute(`select left(digest, 8) as digest, name from api_key where created_by = 'admin:test' order by created_at`)).toEqual([
    { digest: 'aaaaaaaa', name: 'web app (aaaaaaaa)' },
    { digest: 'bbbbbbbb', name: 'Web App' },
    { digest: 'cccccccc', name: 'old one' },
    { digest: 'dddddddd', name: 'old one' },
  ]);
  await conn.execute(`delete from segment where created_by = 'marketer:test'`);
  await conn.execute(`delete from api_key where created_by = 'admin:test'`);
});

it('books the fair reminders sent before it, each under the band its run decided, from their messages; none held back or queued', async () => {
  const conn = orm.em.getConnection();
  await orm.migrator.up();
  await orm.migrator.down({ to: migrationBefore('Migration20261228100002_reminder_booking') });
  const customerId = await insertCustomer('Booked Twice');
  const invoiceId = (
    await conn.execute<{ id: string }[]>(
      `insert into invoice (id, external_ref, customer_id, issued_at, due_at, amount_minor, reminders_sent, fee_charged_minor, fee_waived_minor, reminder_loyalty_band, created_at) values (gen_random_uuid(), 'MIG-RB-I', ?, '2026-03-01', '2026-03-31', 10000, 2, 500, 500, 'loyal', now()) returning id`,
      [customerId],
    )
  )[0].id;
  const message = (key: string, band: string, charged: number, waived: number, sentAt: string | null) =>
    conn.execute(
      `insert into outbox_message (id, idempotency_key, customer_id, invoice_id, channel, purpose, template, payload, created_at, sent_at) values (gen_random_uuid(), ?, ?, ?, 'email', 'service', 'reminder-standard', ?, now(), ?)`,
      [key, customerId, invoiceId, JSON.stringify({ invoiceId, booking: { reminderNumber: 1, band, chargedMinor: charged, waivedMinor: waived, reason: 'test' } }), sentAt],
    );
  await message('fair-reminder/mig-rb/reminder-1', 'regular', 500, 0, '2026-04-01T10:00:00Z');
  await message('fair-reminder/mig-rb/2/reminder-1', 'loyal', 0, 500, '2026-04-20T10:00:00Z');
  await message('fair-reminder/mig-rb/2/reminder-2', 'loyal', 0, 500, null);
  await orm.migrator.up();
  expect(await conn.execute(`select message_key, band, charged_minor::int as charged, waived_minor::int as waived, to_char(booked_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') as booked_at from reminder_booking where invoice_id = ? order by message_key`, [invoiceId])).toEqual([
    { message_key: 'fair-reminder/mig-rb/2/reminder-1', band: 'loyal', charged: 0, waived: 500, booked_at: '2026-04-20T10:00:00' },
    { message_key: 'fair-reminder/mig-rb/reminder-1', band: 'regular', charged: 500, waived: 0, booked_at: '2026-04-01T10:00:00' },
  ]);
  await conn.execute(`delete from customer where id = ?`, [customerId]);
});

it("puts the stored campaign names in the form people read them, a launched campaign keeping a name that then reads as another's and the others marked, audited", async () => {
  const conn = orm.em.getConnection();
  await orm.migrator.up();
  await orm.migrator.down({ to: migrationBefore('Migration20261228101360_campaign_name_unique') });
  const campaign = async (name: string, status: string, createdAt: string) =>
    (
      await conn.execute<{ id: string }[]>(
        `insert into campaign (id, name, playbook, segment, status, holdout_percent, created_by, created_at) values (gen_random_uuid(), ?, 'appreciation', '{}', ?::campaign_status, 10, 'marketer:mig', ?) returning id::text`,
        [name, status, createdAt],
      )
    )[0].id;
  // Three that read the same: the running one keeps the name although it is neither the oldest nor in that form already.
  const draft = await campaign('Thanks Q4', 'draft', '2026-11-01T00:00:00Z');
  const running = await campaign('thanks  q4', 'running', '2026-11-02T00:00:00Z');
  const cancelled = await campaign('ＴHANKS Q4', 'cancelled', '2026-11-03T00:00:00Z');
  const alone = await campaign(' Welcome  newcomers ', 'completed', '2026-11-04T00:00:00Z');
  const untouched = await campaign('Review accounts', 'draft', '2026-11-05T00:00:00Z');
  const long = await campaign(`${'x'.repeat(99)}\u3000`, 'draft', '2026-11-06T00:00:00Z');
  const longer = await campaign('X'.repeat(99), 'draft', '2026-11-07T00:00:00Z');
  await orm.migrator.up();
  const names = Object.fromEntries((await conn.execute<{ id: string; name: string }[]>(`select id::text, name from campaign where created_by = 'marketer:mig'`)).map((r) => [r.id, r.name]));
  expect(names).toEqual({
    [draft]: `Thanks Q4 (${draft.slice(0, 8)})`,
    [running]: 'thanks q4',
    [cancelled]: `THANKS Q4 (${cancelled.slice(0, 8)})`,
    [alone]: 'Welcome newcomers',
    [untouched]: 'Review accounts',
    // Two drafts alike: the one in that form already keeps it; the other is cut to stay within 100 characters with its mark.
    [long]: `${'x'.repeat(89)} (${long.slice(0, 8)})`,
    [longer]: 'X'.repeat(99),
  });
  const ids = [draft, running, cancelled, alone, untouched, long, longer];
  const audited = await conn.execute<{ entity_id: string; actor: string; before: unknown; after: unknown }[]>(`select entity_id, actor, before, after from audit_entry where action = 'campaign.rename' and entity_id = any(?::text[])`, [`{${ids.join(',')}}`]);
  expect(Object.fromEntries(audited.map((a) => [a.entity_id, [a.actor, a.before, a.after]]))).toEqual({
    [draft]: ['system:migration', { name: 'Thanks Q4' }, { name: names[draft], sameNameAs: running }],
    [running]: ['system:migration', { name: 'thanks  q4' }, { name: 'thanks q4', sameNameAs: null }],
    [cancelled]: ['system:migration', { name: 'ＴHANKS Q4' }, { name: names[cancelled], sameNameAs: running }],
    [alone]: ['system:migration', { name: ' Welcome  newcomers ' }, { name: 'Welcome newcomers', sameNameAs: null }],
    [long]: ['system:migration', { name: `${'x'.repeat(99)}\u3000` }, { name: names[long], sameNameAs: longer }],
  });
  // From now on the index refuses a name another campaign has, in any case.
  await expect(campaign('WELCOME NEWCOMERS', 'draft', '2026-11-08T00:00:00Z')).rejects.toThrow(/campaign_name_unique/);
  await conn.execute(`delete from audit_entry where action = 'campaign.rename' and entity_id = any(?::text[])`, [`{${ids.join(',')}}`]);
  await conn.execute(`delete from campaign where created_by = 'marketer:mig'`);
});

it('reverses the fees charged on invoices cancelled before it, audited, and leaves those of invoices that stand', async () => {
  const conn = orm.em.getConnection();
  await orm.migrator.up();
  await orm.migrator.down({ to: migrationBefore('Migration20261228100003_invoice_fees_reversed') });
  const customerId = await insertCustomer('Voided Before');
  const invoice = async (ref: string, cancelledAt: string | null, feeCharged: number) =>
    (
      await conn.execute<{ id: string }[]>(
        `insert into invoice (id, external_ref, customer_id, issued_at, due_at, amount_minor, cancelled_at, reminders_sent, fee_charged_minor, fee_waived_minor, created_at) values (gen_random_uuid(), ?, ?, '2026-03-01', '2026-03-31', 10000, ?, 2, ?, 0, now()) returning id`,
        [ref, customerId, cancelledAt, feeCharged],
      )
    )[0].id;
  const cancelled = await invoice('MIG-FR-C', '2026-05-01', 800);
  const standing = await invoice('MIG-FR-S', null, 500);
  const feeFree = await invoice('MIG-FR-F', '2026-05-01', 0);
  const booking = (key: string, invoiceId: string, charged: number) =>
    conn.execute(`insert into reminder_booking (message_key, invoice_id, reminder_number, band, charged_minor, waived_minor, booked_at) values (?, ?, 1, 'at-risk', ?, 0, now())`, [key, invoiceId, charged]);
  await booking('fair-reminder/mig-fr/c/reminder-2', cancelled, 500);
  await booking('fair-reminder/mig-fr/s/reminder-2', standing, 500);
  await orm.migrator.up();
  expect(await conn.execute(`select external_ref, fee_charged_minor::int as charged, fee_reversed_minor::int as reversed from invoice where customer_id = ? order by external_ref`, [customerId])).toEqual([
    { external_ref: 'MIG-FR-C', charged: 800, reversed: 800 },
    { external_ref: 'MIG-FR-F', charged: 0, reversed: 0 },
    { external_ref: 'MIG-FR-S', charged: 500, reversed: 0 },
  ]);
  expect(await conn.execute(`select message_key, reversed_minor::int as reversed from reminder_booking where invoice_id in (?, ?) order by message_key`, [cancelled, standing])).toEqual([
    { message_key: 'fair-reminder/mig-fr/c/reminder-2', reversed: 500 },
    { message_key: 'fair-reminder/mig-fr/s/reminder-2', reversed: 0 },
  ]);
  expect(await conn.execute(`select entity_id, actor, before, after from audit_entry where action = 'invoice.fees-reversed' and entity_id in (?, ?, ?)`, [cancelled, standing, feeFree])).toEqual([
    {
      entity_id: cancelled,
      actor: 'system:migration',
      before: { feeChargedMinor: 800, feeReversedMinor: 0 },
      after: { feeChargedMinor: 800, feeReversedMinor: 800, reversedMinor: 800, cancelledAt: '2026-05-01' },
    },
  ]);
  await conn.execute(`delete from audit_entry where action = 'invoice.fees-reversed' and entity_id = ?`, [cancelled]);
  await conn.execute(`delete from customer where id = ?`, [customerId]);
});

it('names the shape parameters of the fits stored before it that ran off, as the rescore now works them out from the parameters, and rolls back', async () => {
  const conn = orm.em.getConnection();
  await orm.migrator.up();
  await orm.migrator.down({ to: migrationBefore('Migration20261228100004_score_model_run_off') });
  // The demo base's BG/NBD (a and b off together), a spend fit whose p went off, one whose q went to 0, and two within bounds (the scales never count).
  const fits: [string, Record<string, number>][] = [
    ['bgnbd', { r: 7.71, alpha: 40.67, a: 236_893.9, b: 34_151_800.6 }],
    ['gamma-gamma', { p: 5e9, q: 3.7, gamma: 15.4 }],
    ['gamma-gamma', { p: 6.2, q: 1e-7, gamma: 1e9 }],
    ['bgnbd', { r: 0.243, alpha: 1e6, a: 0.793, b: 2.426 }],
    ['gamma-gamma', { p: 6.25, q: 3.74, gamma: 15.44 }],
  ];
  for (const [i, [kind, params]] of fits.entries()) {
    await conn.execute(`insert into scoring_run (id, trigger, as_of, status, started_at) values (?, 'test', '2026-11-29', 'completed', now())`, [`mig-run-off-${i}`]);
    await conn.execute(`insert into score_model (id, run_id, kind, model_version, params, log_likelihood, customers, converged, fitted_at) values (gen_random_uuid(), ?, ?, ?, ?, -1, 100, true, ?)`, [
      `mig-run-off-${i}`,
      kind,
      `${kind}/1`,
      JSON.stringify(params),
      new Date(Date.UTC(2026, 10, 29, 0, 0, i)),
    ]);
  }
  await orm.migrator.up();
  const rows = await conn.execute<{ kind: string; params: Record<string, number>; run_off: string[] }[]>(`select kind, params, run_off from score_model where run_id like 'mig-run-off-%' order by fitted_at`);
  const shapes = (kind: string, p: Record<string, number>): Record<string, number> => (kind === 'bgnbd' ? { r: p.r, a: p.a, b: p.b } : { p: p.p, q: p.q });
  expect(rows.map((r) => r.run_off)).toEqual([['a', 'b'], ['p'], ['q'], [], []]);
  expect(rows.map((r) => r.run_off)).toEqual(rows.map((r) => runOffParameters(shapes(r.kind, r.params))));
  await orm.migrator.down({ to: migrationBefore('Migration20261228100004_score_model_run_off') });
  expect(await conn.execute(`select column_name from information_schema.columns where table_name = 'score_model' and column_name = 'run_off'`)).toEqual([]);
  await orm.migrator.up();
  await conn.execute(`delete from scoring_run where id like 'mig-run-off-%'`);
});
