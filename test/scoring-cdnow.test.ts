import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createOrm, migrateUp, type Orm } from '../src/db/orm.js';
import { defaultScoringPolicy } from '../src/domain/scoring/scoring-policy.js';
import { ImportService } from '../src/services/import/import.service.js';
import { ScoringRunService } from '../src/services/scores/scoring-run.service.js';
import { createTestDatabase } from './support/database.js';

/**
 * The published CDNOW estimates again, this time from the raw transactions imported through
 * the import path and aggregated set-based in PostgreSQL by a scoring run (calibration to
 * 1997-09-30, weeks, one transaction per customer and day).
 */
let orm: Orm;
let db: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  db = await createTestDatabase('cdnow');
  orm = await createOrm(db.url);
  await migrateUp(orm);
  const lines = fs.readFileSync(path.resolve('test/fixtures/cdnow/CDNOW_sample.txt'), 'utf8').trim().split(/\r?\n/);
  const purchases = lines.map((line) => {
    const [, id, day, , dollars] = line.trim().split(/\s+/);
    return { ref: `CDNOW-${id}`, day: `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}`, dollars };
  });
  const refs = [...new Set(purchases.map((p) => p.ref))];
  const imports = new ImportService(db.url);
  const options = { mode: 'all-or-nothing' as const, actor: 'test', source: 'test' };
  const customers = await imports.importCsv(
    'customers',
    Readable.from(['customer_ref,name,email,acquired_at\n', ...refs.map((r) => `${r},${r},${r.toLowerCase()}@example.com,1997-01-01\n`)]),
    options,
  );
  expect(customers).toMatchObject({ inserted: 2357, errorCount: 0 });
  const orders = await imports.importCsv('orders', Readable.from(['customer_ref,ordered_at,amount,order_ref\n', ...purchases.map((p, i) => `${p.ref},${p.day},${p.dollars},O-${i}\n`)]), options);
  expect(orders).toMatchObject({ inserted: 6919, errorCount: 0 });
}, 120_000);
afterAll(async () => {
  await orm?.close();
  await db?.drop();
});

const within = (actual: number, published: number) => expect(Math.abs(actual / published - 1)).toBeLessThan(0.005);

it('fits BG/NBD and Gamma-Gamma from the imported transactions to the published estimates', async () => {
  const runs = new ScoringRunService(orm.em.fork(), defaultScoringPolicy);
  await runs.begin({ runId: 'cdnow', trigger: 'test', asOf: '1997-09-30' });
  expect(await runs.prepare('cdnow', 1000)).toMatchObject({ population: 2357, buyers: 2357, pageStarts: [null, expect.any(String), expect.any(String)] });
  const { models, fits } = await runs.fitModels('cdnow');
  const { r, alpha, a, b } = models.bgnbd!;
  within(r, 0.243);
  within(alpha, 4.414);
  within(a, 0.793);
  within(b, 2.426);
  within(fits.find((f) => f.kind === 'bgnbd')!.logLikelihood, -9582.4);
  const { p, q, gamma } = models.gammaGamma!;
  within(p, 6.25);
  within(q, 3.74);
  within(gamma, 15.44);
  expect(fits.find((f) => f.kind === 'gamma-gamma')!.customers).toBe(946);
  // Fitted once per run: asking again returns the stored fit.
  expect((await runs.fitModels('cdnow')).fits).toEqual(fits);
});
