import { DataloaderType, MikroORM, defineConfig, type Options } from '@mikro-orm/postgresql';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { Migrator } from '@mikro-orm/migrations';
import { allEntities } from '../entities/index.js';
import { migrationsList } from '../../migrations/index.js';
import type { Logger } from '../logger.js';
import { isDatabaseUnreachable } from './unreachable.js';
import pg from 'pg';
import { databaseName, postgresConnection } from './connection.js';

export type Orm = MikroORM;

/**
 * Every pool connection's settings beyond the URL's (`postgresConnection`: TLS, the session's UTC). TCP keepalive: a
 * connection the database end dropped without a word is found dead in minutes, instead of leaving a query waiting
 * for an answer that never comes, with its connection, for good.
 */
const KEEPALIVE = { keepAlive: true, keepAliveInitialDelayMillis: 10_000 };

/**
 * How long the API waits for PostgreSQL: to connect; for a statement, which PostgreSQL itself
 * cancels after `statement_timeout` (its transaction rolled back, the connection fit to reuse);
 * and, should the server not answer at all, `query_timeout` on this side, a little later.
 */
export interface DatabaseDeadlines {
  connectionTimeoutMillis: number;
  statement_timeout: number;
  query_timeout: number;
}

/**
 * A person is waiting on the API: a database that hangs (overloaded, stopped, a network path
 * dropping packets) answers UNAVAILABLE within these, as one that refuses does, instead of
 * holding every request open. The worker's long statements (a rescore's gathering) and the
 * import's own connection have none.
 */
const apiDatabaseDeadlines: DatabaseDeadlines = { connectionTimeoutMillis: 10_000, statement_timeout: 30_000, query_timeout: 35_000 };

/**
 * The worker's playbook steps (an attempt has half a minute: activity-options.ts; the account review's, a minute, are not among them):
 * PostgreSQL ends a statement of theirs that waits for a lock, or runs, longer than an attempt has, so an attempt
 * stuck behind a row another session holds (a long import, an operator's psql) fails and is retried in its place,
 * instead of going on beside its retries, each holding a connection of the pool until it is full, and writing when
 * the engine has long given up on it (a reminder of a run cancelled meanwhile). The sweeps' and rescore's long
 * pages, and the account review's steps, use the worker's other pool, without these.
 */
export const stepDatabaseDeadlines = { lock_timeout: 20_000, statement_timeout: 25_000, query_timeout: 28_000 } as const;

/** The pool options of the worker's playbook steps: `stepDatabaseDeadlines`, beside every pool's (ormConfig). */
export function stepOrmOptions(): Partial<Options> {
  return { driverOptions: { ...stepDatabaseDeadlines } };
}

/** The API's pool options: keepalive and the deadlines. */
export function apiOrmOptions(deadlines: DatabaseDeadlines = apiDatabaseDeadlines): Partial<Options> {
  return { driverOptions: { ...deadlines } };
}

function ormConfig(databaseUrl: string, overrides: Partial<Options> = {}): Options {
  const { driverOptions, ...rest } = overrides;
  return defineConfig({
    clientUrl: databaseUrl,
    // MikroORM would create a database DATABASE_URL names that is not there (a mistyped name): no process creates one
    // (`npm start`'s embedded server and the tests create theirs themselves); `missingDatabase` says which is missing.
    ensureDatabase: false,
    entities: allEntities,
    metadataProvider: ReflectMetadataProvider,
    extensions: [Migrator],
    // Batches Ref.load() / Collection.load() of nested GraphQL fields into one query per level.
    dataloader: DataloaderType.ALL,
    pool: { min: 0, max: 10 },
    // pg reads the whole URL (MikroORM alone keeps only host, port, user, password, database: not sslmode).
    driverOptions: { ...postgresConnection(databaseUrl, KEEPALIVE), ...(driverOptions as object | undefined) },
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: 'migrations',
      emit: 'ts',
      migrationsList,
      snapshot: false,
      silent: true,
    },
    ...rest,
  });
}

/**
 * PostgreSQL's "database ... does not exist" (3D000) for the database DATABASE_URL names, said naming the
 * setting: processes create no database, so a mistyped name ends the start instead of a new empty database.
 */
export function missingDatabase(error: unknown, databaseUrl: string): Error | null {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.code === '3D000')
      return new Error(`DATABASE_URL names the database "${databaseName(databaseUrl)}", which does not exist on that server (a mistyped name? No process creates it: create it, e.g. create database "${databaseName(databaseUrl)}", then run the migration job)`, { cause: error });
  }
  return null;
}

export async function createOrm(databaseUrl: string, overrides: Partial<Options> = {}): Promise<Orm> {
  return MikroORM.init(ormConfig(databaseUrl, overrides));
}

/**
 * Refuses to go on against a database missing migrations this code needs (a deploy that rolled
 * out the code before running the migration job): failing at start is loud, where running would
 * fail a statement here and there, some every few seconds, for as long as nobody looks.
 */
export async function assertMigrated(orm: Orm): Promise<void> {
  // Read, not asked of the migrator, which would create its table in a database never migrated (a mistyped DATABASE_URL).
  const connection = orm.em.getConnection();
  const [{ migrated }] = await connection.execute<{ migrated: boolean }[]>(`select to_regclass('mikro_orm_migrations') is not null as migrated`);
  const applied = new Set(migrated ? (await connection.execute<{ name: string }[]>('select name from mikro_orm_migrations')).map((m) => m.name) : []);
  const pending = migrationsList.filter((m) => !applied.has(m.name));
  if (pending.length) {
    throw new Error(`The database lacks ${pending.length} migration(s) this code needs (${pending.map((m) => m.name).join(', ')}): run the migration job first (npm run migrate, or node dist/src/bin/migrate.js)`);
  }
}

/**
 * `assertMigrated`, waiting while PostgreSQL cannot be reached (still starting beside this
 * process, restarting, the network not up yet): the process then waits for its database, as it
 * would for a connection, instead of exiting; only missing migrations stop it.
 */
export async function whenMigrated(orm: Orm, onWaiting: (error: unknown, retryInMs: number) => void): Promise<void> {
  for (let wait = 500; ; wait = Math.min(wait * 2, 10_000)) {
    try {
      return await assertMigrated(orm);
    } catch (error) {
      if (!isDatabaseUnreachable(error)) throw error;
      onWaiting(error, wait);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/**
 * The ORM of an API or worker process: its database waited for while it cannot be reached, and
 * refused (closed again) when it lacks migrations this code needs (`whenMigrated`).
 */
export async function createMigratedOrm(databaseUrl: string, logger: Logger, overrides: Partial<Options> = {}): Promise<Orm> {
  const orm = await createOrm(databaseUrl, overrides);
  const waiting = (error: unknown, retryInMs: number) => logger.warn({ err: error }, `PostgreSQL cannot be reached yet; checking its migrations again in ${retryInMs / 1000} s`);
  await whenMigrated(orm, waiting).catch(async (error: unknown) => {
    await orm.close();
    throw missingDatabase(error, databaseUrl) ?? error;
  });
  return orm;
}

/** The advisory lock migrating holds (any number, the same in every version). */
const MIGRATION_LOCK = 7_160_427_301;

/**
 * Applies every pending migration; safe to run on each start, and several at once (two deploys, an init container
 * per replica): each waits for PostgreSQL's advisory lock, held over a connection of its own for the whole run,
 * so the second finds nothing pending instead of failing on the first one's half-created types.
 */
export async function migrateUp(orm: Orm): Promise<string[]> {
  const lock = new pg.Client(postgresConnection(orm.config.get('clientUrl')!, { application_name: 'migrate lock' }));
  lock.on('error', () => undefined);
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await orm.migrator.up();
    return applied.map((m) => m.name);
  } finally {
    // Ending the session releases the lock.
    await lock.end().catch(() => undefined);
  }
}
