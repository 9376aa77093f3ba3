import { DataloaderType, MikroORM, defineConfig, type Options } from '@mikro-orm/postgresql';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { Migrator } from '@mikro-orm/migrations';
import { allEntities } from '../entities/index.js';
import { migrationsList } from '../../migrations/index.js';

export type Orm = MikroORM;

/**
 * TCP keepalive (pg's pool): a connection the database end dropped without a word is found dead in minutes,
 * instead of leaving a query waiting for an answer that never comes, with its connection, for good.
 */
const KEEPALIVE = { keepAlive: true, keepAliveInitialDelayMillis: 10_000 };

/** How long the API waits for PostgreSQL: to connect, and for a statement's answer. */
export interface DatabaseDeadlines {
  connectionTimeoutMillis: number;
  query_timeout: number;
}

/**
 * A person is waiting on the API: a database that hangs (overloaded, stopped, a network path
 * dropping packets) answers UNAVAILABLE within these, as one that refuses does, instead of
 * holding every request open. The worker's long statements (a rescore's gathering) have none.
 */
export const apiDatabaseDeadlines: DatabaseDeadlines = { connectionTimeoutMillis: 10_000, query_timeout: 30_000 };

/** The API's pool options: keepalive and the deadlines. */
export function apiOrmOptions(deadlines: DatabaseDeadlines = apiDatabaseDeadlines): Partial<Options> {
  return { driverOptions: { ...KEEPALIVE, ...deadlines } };
}

export function ormConfig(databaseUrl: string, overrides: Partial<Options> = {}): Options {
  return defineConfig({
    clientUrl: databaseUrl,
    entities: allEntities,
    metadataProvider: ReflectMetadataProvider,
    extensions: [Migrator],
    // Batches Ref.load() / Collection.load() of nested GraphQL fields into one query per level.
    dataloader: DataloaderType.ALL,
    pool: { min: 0, max: 10 },
    driverOptions: KEEPALIVE,
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: 'migrations',
      emit: 'ts',
      migrationsList,
      snapshot: false,
      silent: true,
    },
    ...overrides,
  });
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
  const pending = await orm.migrator.getPending();
  if (pending.length) {
    throw new Error(`The database lacks ${pending.length} migration(s) this code needs (${pending.map((m) => m.name).join(', ')}): run the migration job first (npm run migrate, or node dist/src/bin/migrate.js)`);
  }
}

/** Applies every pending migration; safe to run on each start. */
export async function migrateUp(orm: Orm): Promise<string[]> {
  const applied = await orm.migrator.up();
  return applied.map((m) => m.name);
}
