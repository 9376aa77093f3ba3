import './require-node.js';
import 'reflect-metadata';
import { loadConfig } from '../config/config.js';
import { createOrm, migrateUp } from '../db/orm.js';
import { createLogger } from '../logger.js';
import { connectTemporal } from '../temporal/client.js';
import { registerSearchAttributes } from '../temporal/search-attributes.js';

/** Brings the database schema and the Temporal namespace up to what this version of the code needs. */
const config = loadConfig();
const logger = createLogger(config.logLevel, 'migrate');
const orm = await createOrm(config.databaseUrl);
try {
  logger.info({ applied: await migrateUp(orm) }, 'database migrated');
} finally {
  await orm.close();
}
const temporal = await connectTemporal(config.temporal.address, config.temporal.namespace);
try {
  logger.info({ added: await registerSearchAttributes(temporal.connection, config.temporal.namespace) }, 'search attributes registered');
} finally {
  await temporal.close();
}
