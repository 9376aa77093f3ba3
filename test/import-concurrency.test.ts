import { randomBytes } from 'node:crypto';
import 'reflect-metadata';
import { execute, type GraphQLFormattedError } from 'graphql';
import pg from 'pg';
import { Role } from '../src/domain/auth/roles.js';
import { createErrorFormatter } from '../src/graphql/errors.js';
import { ImportResolver } from '../src/graphql/import/import.resolver.js';
import { createLogger } from '../src/logger.js';
import { ImportService, IMPORTS_WAITING } from '../src/services/import/import.service.js';
import type { Services } from '../src/services/index.js';
import { withinTime } from '../src/services/common/within-time.js';
import { ImportCsvDocument } from './__generated__/graphql.js';
import { importSchema } from './support/import-schema.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * How many imports an API process runs at once (IMPORT_CONCURRENCY): each holds a PostgreSQL connection of its own
 * while it takes its turn among imports of its kind, so without a bound a burst of imports (clients retrying after
 * their timeout, jobs pushing in parallel) took every connection the server had. Measured where it matters: the
 * import connections PostgreSQL has open (`application_name` `import <kind>`).
 */
const AT_ONCE = 2;
const WAIT_SECONDS = 5;
let stack: TestStack;
let db: pg.Client;

beforeAll(async () => {
  stack = await startTestStack({ worker: false, settings: { IMPORT_CONCURRENCY: String(AT_ONCE), IMPORT_WAIT_SECONDS: String(WAIT_SECONDS) } });
  db = new pg.Client({ connectionString: stack.config.databaseUrl });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await stack?.stop();
});

/** The import connections open on the test's database now, and how many of them wait for a lock. */
async function importConnections(): Promise<{ open: number; waiting: number }> {
  const { rows } = await db.query<{ open: number; waiting: number }>(
    `select count(*)::int as open, count(*) filter (where wait_event_type = 'Lock')::int as waiting
       from pg_stat_activity where datname = current_database() and application_name like 'import %'`,
  );
  return rows[0];
}

/**
 * Imports of a kind held at their turn: an import takes its kind's advisory lock after staging, so while another
 * session holds it the import that got a connection stays there, connected, until `release()`.
 */
async function holdImports(...kinds: string[]): Promise<{ release(): Promise<void> }> {
  const holder = new pg.Client({ connectionString: stack.config.databaseUrl });
  await holder.connect();
  for (const kind of kinds) await holder.query(`select pg_advisory_lock(hashtextextended('import:' || $1::text, 0))`, [kind]);
  return {
    release: async () => {
      for (const kind of kinds) await holder.query(`select pg_advisory_unlock(hashtextextended('import:' || $1::text, 0))`, [kind]);
      await holder.end();
    },
  };
}
const holdCustomerImports = () => holdImports('customers');

const customersCsv = (ref: string) => `customer_ref,name,email\n${ref},Ann ${ref},${ref.toLowerCase()}@example.com\n`;
const importCustomers = (ref: string) => stack.gql(ImportCsvDocument, { input: { kind: 'Customers', csv: customersCsv(ref), mode: 'AllOrNothing' } }, Role.Admin);
const importOffer = (code: string) =>
  stack.gql(ImportCsvDocument, { input: { kind: 'Offers', csv: `code,name,audience,discount_percent,valid_from\n${code},Offer ${code},existing,10,2026-01-01\n`, mode: 'AllOrNothing' } }, Role.Admin);

/** Polls until `check` holds (every 50 ms, at most `ms`), noting the most import connections seen open meanwhile. */
async function until(check: (seen: { open: number; waiting: number }) => boolean, most: { open: number }, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const seen = await importConnections();
    most.open = Math.max(most.open, seen.open);
    if (check(seen)) return;
    if (Date.now() > end) throw new Error(`import connections stayed ${JSON.stringify(seen)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it(`runs at most ${AT_ONCE} imports at once, one of a kind: the others wait their turn without a connection, then import`, async () => {
  const held = await holdImports('customers', 'offers');
  const most = { open: 0 };
  let answers: Promise<{ errors?: readonly GraphQLFormattedError[]; data?: unknown }>[] = [];
  try {
    answers = [...['B-1', 'B-2', 'B-3'].map(importCustomers), ...['B-OFF-1', 'B-OFF-2', 'B-OFF-3'].map(importOffer)];
    // One import of each kind connected and waits at its turn; the four others hold no connection meanwhile.
    await until((seen) => seen.waiting >= AT_ONCE, most);
    const settle = Date.now() + 1_000;
    while (Date.now() < settle) await until(() => true, most);
    expect(await importConnections()).toEqual({ open: AT_ONCE, waiting: AT_ONCE });
    const { rows } = await db.query<{ kind: string }>(`select application_name as kind from pg_stat_activity where datname = current_database() and application_name like 'import %' order by 1`);
    expect(rows.map((r) => r.kind)).toEqual(['import customers', 'import offers']);
  } finally {
    await held.release();
  }
  const results = await Promise.all(answers);
  expect(results.map((r) => r.errors)).toEqual(Array.from({ length: 6 }, () => undefined));
  expect(most.open).toBe(AT_ONCE);
  await until((seen) => seen.open === 0, most);
});

it('lets an import of another kind run while two of one kind wait for each other: they take turns before a place', async () => {
  const held = await holdCustomerImports();
  const most = { open: 0 };
  let customers: ReturnType<typeof importCustomers>[] = [];
  try {
    customers = ['F-1', 'F-2'].map(importCustomers);
    await until((seen) => seen.waiting >= 1, most);
    // The second customers import waits for its kind's turn without a place: the offers import takes the other one at once.
    const started = Date.now();
    const offer = await withinTime(importOffer('F-OFF'), (WAIT_SECONDS + 5) * 1000, 'the offers import answered');
    expect(offer.errors).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(WAIT_SECONDS * 1000);
    expect(most.open).toBeLessThanOrEqual(2);
  } finally {
    await held.release();
  }
  expect((await Promise.all(customers)).map((r) => r.data?.importCsv.inserted)).toEqual([1, 1]);
});

it(`refuses an import that waited ${WAIT_SECONDS} s without a place: UNAVAILABLE, IMPORT_BUSY, retry: true, nothing written`, async () => {
  const held = await holdImports('customers', 'offers');
  const most = { open: 0 };
  let running: Promise<{ errors?: readonly GraphQLFormattedError[]; data?: { importCsv: { inserted: number } } | null }>[] = [];
  try {
    // Both places taken (one import of each kind, waiting at its turn): an import of a third kind waits for a place.
    running = [importCustomers('C-1'), importOffer('C-OFF-1')];
    await until((seen) => seen.waiting >= AT_ONCE, most);
    const started = Date.now();
    const costs = `cost_ref,customer_ref,occurred_at,kind,amount\nC-COST-1,C-1,2026-01-01,support_minutes,1.00\n`;
    const late = await withinTime(stack.gql(ImportCsvDocument, { input: { kind: 'Costs', csv: costs, mode: 'AllOrNothing' } }, Role.Admin), (WAIT_SECONDS + 5) * 1000, 'the import answered');
    expect(Date.now() - started).toBeGreaterThanOrEqual(WAIT_SECONDS * 1000 - 100);
    expect(late.data).toBeNull();
    expect(late.errors).toEqual([
      expect.objectContaining<Partial<GraphQLFormattedError>>({
        message: expect.stringContaining(`waited ${WAIT_SECONDS} s for its turn among the ${AT_ONCE} import places`),
        extensions: { code: 'UNAVAILABLE', reason: 'IMPORT_BUSY', retry: true, importsAtOnce: AT_ONCE },
      }),
    ]);
    expect(most.open).toBe(AT_ONCE);
  } finally {
    await held.release();
  }
  expect((await Promise.all(running)).map((r) => r.data?.importCsv.inserted)).toEqual([1, 1]);
  expect((await db.query(`select count(*)::int as n from cost_entry where external_ref = 'C-COST-1'`)).rows[0].n).toBe(0);
});

it(`refuses an import at once while ${IMPORTS_WAITING} wait already, rather than queueing requests without end`, async () => {
  const held = await holdCustomerImports();
  const most = { open: 0 };
  let queued: ReturnType<typeof importCustomers>[] = [];
  try {
    // One import of customers runs (waiting at its turn), the others of its kind wait for theirs without a place.
    queued = Array.from({ length: 1 + IMPORTS_WAITING }, (_, i) => importCustomers(`D-${i + 1}`));
    await until((seen) => seen.waiting >= 1, most);
    const started = Date.now();
    const late = await withinTime(importCustomers('D-late'), (WAIT_SECONDS + 5) * 1000, 'the import answered');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(late.errors?.[0]).toMatchObject({ message: expect.stringContaining(`${IMPORTS_WAITING} more wait for their turn already`), extensions: { code: 'UNAVAILABLE', reason: 'IMPORT_BUSY', retry: true } });
    expect(most.open).toBe(1);
  } finally {
    await held.release();
  }
  // The waiting ones take their turns as places free (some may run past their wait on a slow machine: refused as busy, never failed otherwise).
  for (const r of await Promise.all(queued)) {
    if (r.errors) expect(r.errors[0].extensions).toMatchObject({ code: 'UNAVAILABLE', reason: 'IMPORT_BUSY' });
    else expect(r.data!.importCsv.inserted).toBe(1);
  }
});

/**
 * A PostgreSQL that takes no more connections ("sorry, too many clients already" at max_connections; here a role's
 * connection limit, the same code 53300): the import's connect fails, which is a passing condition to retry, not
 * an internal error quoting the database.
 */
it('answers an import whose connection PostgreSQL refuses for want of slots as UNAVAILABLE, DATABASE_UNAVAILABLE', async () => {
  const role = `no_slots_${randomBytes(4).toString('hex')}`;
  await db.query(`create role ${role} login password 'no-slots-password' connection limit 0`);
  try {
    const url = new URL(stack.config.databaseUrl);
    url.username = role;
    url.password = 'no-slots-password';
    // The refusal as PostgreSQL gives it.
    const direct = new pg.Client({ connectionString: url.toString() });
    await expect(direct.connect()).rejects.toMatchObject({ code: '53300' });

    const schema = await importSchema(ImportResolver);
    const imports = new ImportService(url.toString(), {}, null, 'EUR');
    const result = await execute({
      schema,
      document: ImportCsvDocument,
      variableValues: { input: { kind: 'Customers', csv: customersCsv('E-1') } },
      contextValue: { caller: { role: Role.Admin, id: 'admin:test' }, services: { imports } as unknown as Services },
    });
    const format = createErrorFormatter(createLogger('silent', 'test'), true);
    const errors = result.errors?.map((e) => format(e.toJSON(), e));
    expect(errors).toEqual([expect.objectContaining({ message: 'The database cannot be reached just now; try again shortly', extensions: { code: 'UNAVAILABLE', reason: 'DATABASE_UNAVAILABLE' } })]);
  } finally {
    await db.query(`drop role ${role}`);
  }
});
