import './require-node.js';
import 'reflect-metadata';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createOrm } from '../db/orm.js';
import { migrationStamp, stampAfter } from '../db/migration-name.js';
import { fail } from './cli-errors.js';

/**
 * Writes a migration for the difference between the entities and the database
 * (run against a database migrated to the latest state), named to sort after every migration
 * already written (`stampAfter`); then append it to the end of migrations/index.ts's list.
 */
const url = process.env.DATABASE_URL;
if (!url) fail(1, 'migration:create: set DATABASE_URL to a database migrated to the latest migration (e.g. the one npm start prints)');
const existing = await readdir('migrations');
const orm = await createOrm(url);
try {
  const result = await orm.migrator.create('migrations', false, false, process.argv[2]);
  if (!result.diff.up.length) console.log('no changes');
  else {
    let fileName = result.fileName;
    const generated = migrationStamp(fileName);
    const after = generated === null ? null : stampAfter(generated, existing);
    if (generated !== null && after !== null && after !== generated) {
      const renamed = fileName.replace(generated, after);
      const text = await readFile(path.join('migrations', fileName), 'utf8');
      await writeFile(path.join('migrations', renamed), text.replaceAll(`Migration${generated}`, `Migration${after}`));
      await rm(path.join('migrations', fileName));
      fileName = renamed;
    }
    console.log(`written: migrations/${fileName} (append it to the end of migrations/index.ts's list)`);
  }
} finally {
  await orm.close();
}
