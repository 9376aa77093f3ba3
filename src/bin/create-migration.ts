import './require-node.js';
import 'reflect-metadata';
import { createOrm } from '../db/orm.js';
import { fail } from './cli-errors.js';

/**
 * Writes a migration for the difference between the entities and the database
 * (run against a database migrated to the latest state), then add it to migrations/index.ts.
 */
const url = process.env.DATABASE_URL;
if (!url) fail(1, 'migration:create: set DATABASE_URL to a database migrated to the latest migration (e.g. the one npm start prints)');
const orm = await createOrm(url);
try {
  const result = await orm.migrator.create('migrations', false, false, process.argv[2]);
  console.log(result.diff.up.length ? `written: migrations/${result.fileName}` : 'no changes');
} finally {
  await orm.close();
}
