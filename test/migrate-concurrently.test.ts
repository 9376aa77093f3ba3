import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createOrm, migrateUp } from '../src/db/orm.js';
import { migrationsList } from '../migrations/index.js';
import { createTestDatabase } from './support/database.js';

/** Two migration runs at once (two deploys, an init container per replica): the second waits for the first, then finds nothing to do (QA 71 F10). */
it('migrates once when two runs start together, neither failing', async () => {
  const db = await createTestDatabase('migx');
  const [one, two] = [await createOrm(db.url), await createOrm(db.url)];
  try {
    const applied = await Promise.all([migrateUp(one), migrateUp(two)]);
    expect(applied.map((names) => names.length).sort((a, b) => a - b)).toEqual([0, migrationsList.length]);
  } finally {
    await one.close();
    await two.close();
    await db.drop();
  }
}, 120_000);

it('create-migration without DATABASE_URL says so as one line', () => {
  const { DATABASE_URL: _db, ...env } = process.env;
  const run = spawnSync(process.execPath, [path.resolve('dist/src/bin/create-migration.js')], { env, encoding: 'utf8', timeout: 30_000 });
  expect([run.status, run.stderr.trim()]).toEqual([1, 'migration:create: set DATABASE_URL to a database migrated to the latest migration (e.g. the one npm start prints)']);
});
