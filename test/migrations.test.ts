import { createOrm, type Orm } from '../src/db/orm.js';
import { migrationsList } from '../migrations/index.js';
import { createTestDatabase } from './support/database.js';

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

it('applies them again after a rollback', async () => {
  await orm.migrator.up();
  expect(await orm.migrator.getPending()).toEqual([]);
  expect(await orm.schema.getUpdateSchemaSQL({ wrap: false })).toBe('');
});
