import './require-node.js';
import 'reflect-metadata';
import { loadConfig } from '../config/config.js';
import { createOrm, migrateUp, missingDatabase } from '../db/orm.js';
import { isDatabaseUnreachable } from '../db/unreachable.js';
import { createLogger, type Logger } from '../logger.js';
import { connectTemporal, whenConnected } from '../temporal/client.js';
import { registerSearchAttributes } from '../temporal/search-attributes.js';
import { parseCommandLine, startFailed } from './cli-errors.js';

/**
 * Brings the database schema and the Temporal namespace up to what this version of the code needs.
 * A one-shot job (compose starts the API and the worker once it exits 0): it waits a while for a
 * server still starting, then ends naming the setting that points at the one it could not reach.
 */
const WAIT_FOR_SERVERS_MS = 120_000;

/**
 * It takes no arguments: the migrations cannot be rolled back, so a `--dry-run`, `down` or mistyped option someone tries
 * to see what would happen is refused (exit 2, nothing applied) rather than ignored and the migrations applied for real.
 */
const usage =
  'usage: npm run migrate (no arguments): applies the pending database migrations to DATABASE_URL, which cannot be rolled back (back up first), ' +
  'and registers the search attributes in the Temporal namespace (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE); exit 0 done, 1 failed, 2 wrong usage';
parseCommandLine({ options: {}, allowPositionals: false }, usage);

let logger: Logger | undefined;
try {
  const config = loadConfig();
  const log = (logger = createLogger(config.logLevel, 'migrate'));
  const deadline = Date.now() + WAIT_FOR_SERVERS_MS;

  /** Waits for a server that cannot be reached yet, until the deadline; then, or on any other error, gives up. */
  const waitingFor = (what: string, unreachable: (error: unknown) => boolean) => (error: unknown, retryInMs: number) => {
    if (!unreachable(error)) throw error;
    if (Date.now() + retryInMs > deadline) throw new Error(`${what} cannot be reached (waited ${WAIT_FOR_SERVERS_MS / 1000} s)`, { cause: error });
    log.warn({ reason: (error as Error).message }, `${what} cannot be reached yet; trying again in ${retryInMs / 1000} s`);
  };

  const orm = await createOrm(config.databaseUrl);
  try {
    const applied = await whenConnected(() => migrateUp(orm), waitingFor('PostgreSQL (DATABASE_URL)', isDatabaseUnreachable)).catch((error: unknown) => {
      throw missingDatabase(error, config.databaseUrl) ?? error;
    });
    log.info({ applied }, 'database migrated');
  } finally {
    await orm.close();
  }
  const { address, namespace } = config.temporal;
  const temporal = await whenConnected(() => connectTemporal(config.temporal, namespace), waitingFor(`Temporal (TEMPORAL_ADDRESS ${address})`, () => true));
  try {
    log.info({ added: await registerSearchAttributes(temporal.connection, namespace) }, 'search attributes registered');
  } finally {
    await temporal.close();
  }
} catch (error) {
  startFailed('migrate', error, logger);
}
