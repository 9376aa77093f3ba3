import { spawnSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { createOrm, migrateUp } from '../src/db/orm.js';
import { createTestDatabase } from './support/database.js';

/**
 * The command-line tools read their command line before they do anything: `--help` (or `-h`) prints the usage and
 * exits 0, anything they do not take is one line and the usage, exit 2. `migrate` takes no arguments at all: its
 * migrations cannot be rolled back, so `--dry-run` or `down` must not apply them.
 */
let fresh: Awaited<ReturnType<typeof createTestDatabase>>;
let migrated: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  fresh = await createTestDatabase('cliusage');
  migrated = await createTestDatabase('cliimport');
  const orm = await createOrm(migrated.url);
  try {
    await migrateUp(orm);
  } finally {
    await orm.close();
  }
});
afterAll(async () => {
  await fresh?.drop();
  await migrated?.drop();
});

const cli = (bin: string, args: string[], env: Record<string, string | undefined> = {}) =>
  spawnSync(process.execPath, [path.resolve(`dist/src/bin/${bin}.js`), ...args], { env: { ...process.env, DATABASE_URL: fresh.url, LOG_LEVEL: 'silent', ...env }, encoding: 'utf8', timeout: 60_000 });

/** The tables of a database: none in one nothing was done to. */
const tables = async (url: string) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ name: string }>(`select table_name as name from information_schema.tables where table_schema = 'public'`)).rows.map((r) => r.name);
  } finally {
    await client.end();
  }
};

const usages = {
  migrate: 'usage: npm run migrate (no arguments)',
  import: 'usage: npm run import -- <customers|',
  scores: 'usage: npm run scores -- fit <orders.csv>',
  'demo-data': 'usage: npm run demo-data -- [--customers <n, default 250>]',
};

it.each([['--dry-run'], ['down'], ['extra-arg'], ['--list', 'x']])('migrate %s: wrong usage, exit 2, one line and the usage, nothing applied', async (...args) => {
  const run = cli('migrate', args);
  expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 2, stdout: '' });
  const [line, usage, ...rest] = run.stderr.split('\n');
  expect(line).toMatch(args[0].startsWith('-') ? `Unknown option '${args[0]}'` : `Unexpected argument '${args[0]}'`);
  expect({ usage, rest }).toEqual({ usage: expect.stringContaining(usages.migrate), rest: [''] });
  expect(await tables(fresh.url)).toEqual([]);
}, 60_000);

it.each(Object.entries(usages).flatMap(([bin]) => [[bin, '--help'], [bin, '-h']]))('%s %s: the usage on stdout, exit 0, nothing done', async (bin, flag) => {
  // Given after what would otherwise run, too: the help is all that happens.
  const args = { migrate: [flag], import: ['customers', path.resolve('examples/customers.csv'), flag], scores: ['fit', path.resolve('examples/orders.csv'), flag], 'demo-data': ['--reset', flag] }[bin]!;
  const run = cli(bin, args);
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  expect(run.stdout).toMatch(new RegExp(`^${usages[bin as keyof typeof usages].replace(/[[\]|()<>.-]/g, '\\$&')}.*\\n$`));
  expect(await tables(fresh.url)).toEqual([]);
}, 60_000);

it('an unknown option is one line without the advice to put it after "--" (npm run needs that before every argument)', () => {
  for (const [bin, args] of [['import', ['customers', 'x.csv', '--partal']], ['scores', ['fit', 'x.csv', '--untill', '2026-01-01']], ['demo-data', ['--customer', '10']]] as const) {
    const run = cli(bin, [...args]);
    expect({ bin, status: run.status, line: run.stderr.split('\n')[0] }).toEqual({ bin, status: 2, line: `Unknown option '${args.find((a) => a.startsWith('--'))}'` });
  }
});

describe('import reads only the settings it uses', () => {
  const importCustomers = (env: Record<string, string | undefined>) => cli('import', ['customers', path.resolve('examples/customers.csv')], { DATABASE_URL: migrated.url, ...env });

  it('imports with the worker\'s settings around it, even ones mistyped for the worker', () => {
    const run = importCustomers({ MESSAGE_CHANNEL: 'smtp', SMTP_URL: undefined, LOG_LEVEL: 'verbose', RESCORE_SCHEDULE: 'nightly', NODE_ENV: 'production', API_KEYS: 'change-me' });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: expect.stringContaining('customers: 3 inserted') });
  });

  it('names the setting it refuses, with the advice for that setting', () => {
    const currency = importCustomers({ CURRENCY: 'JPY' });
    expect({ status: currency.status, stderr: currency.stderr }).toEqual({
      status: 2,
      stderr: 'CURRENCY must be a currency with 2 decimals, as amounts are imported and stored; JPY has 0 in ISO 4217: set it as the API and the worker have it (the currency of the amounts).\n',
    });
    const database = importCustomers({ DATABASE_URL: undefined, MESSAGE_CHANNEL: 'smtp' });
    expect({ status: database.status, stderr: database.stderr }).toEqual({ status: 2, stderr: 'DATABASE_URL is not set: set it to the database to import into.\n' });
  });
});
