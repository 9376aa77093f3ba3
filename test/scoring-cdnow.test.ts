import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createOrm, migrateUp, type Orm } from '../src/db/orm.js';
import { sql } from 'kysely';
import { scoreRfm } from '../src/domain/scoring/rfm.reference.js';
import { ScoreKind } from '../src/domain/scoring/score-kind.js';
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
let purchases: { ref: string; day: string; dollars: string }[];

beforeAll(async () => {
  db = await createTestDatabase('cdnow');
  orm = await createOrm(db.url);
  await migrateUp(orm);
  const lines = fs.readFileSync(path.resolve('test/fixtures/cdnow/CDNOW_sample.txt'), 'utf8').trim().split(/\r?\n/);
  purchases = lines.map((line) => {
    const [, id, day, , dollars] = line.trim().split(/\s+/);
    return { ref: `CDNOW-${id}`, day: `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}`, dollars };
  });
  const refs = [...new Set(purchases.map((p) => p.ref))];
  const imports = new ImportService(db.url, {}, null, 'EUR');
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
  // Published estimates: nothing ran off towards 0 or infinity.
  expect(fits.map((f) => [f.kind, f.runOff])).toEqual([
    ['bgnbd', []],
    ['gamma-gamma', []],
  ]);
  // Fitted once per run: asking again returns the stored fit.
  expect((await runs.fitModels('cdnow')).fits).toEqual(fits);
});

/** Runs a whole rescore as of `asOf` in one page and returns each customer's scores by reference. */
async function rescore(runId: string, asOf: string): Promise<Map<string, Record<string, { value: number | null; band: string | null; reasons: string[] }>>> {
  const runs = new ScoringRunService(orm.em.fork(), defaultScoringPolicy);
  await runs.begin({ runId, trigger: 'test', asOf });
  await runs.prepare(runId, 3000);
  const { models } = await runs.fitModels(runId);
  expect(await runs.scorePage({ runId, after: null, limit: 3000, models })).toMatchObject({ customers: 2357 });
  const { rows } = await sql<{ ref: string; scores: Record<string, { value: number | null; band: string | null; reasons: string[] }> }>`
    select c.external_ref as ref, s.scores from score_snapshot s join customer c on c.id = s.customer_id where s.run_id = ${runId}`.execute(orm.em.getKysely());
  return new Map(rows.map((r) => [r.ref, r.scores]));
}

it('ranks RFM in SQL as the reference ranks it in memory, and a one-time buyer is F 1 (New and Promising are not empty)', async () => {
  // Every customer made their first purchase in the quarter to this day, three in four of them their only one so far.
  const asOf = '1997-03-31';
  const scores = await rescore('cdnow-rfm', asOf);
  // The reference on the same purchases: one transaction per customer and day, spend in cents.
  const end = Date.parse(`${asOf}T00:00:00Z`);
  const byRef = Map.groupBy(purchases.filter((p) => p.day <= asOf), (p) => p.ref);
  const population = [...byRef].map(([ref, own]) => {
    const days = new Set(own.map((p) => p.day));
    const last = Math.max(...own.map((p) => Date.parse(`${p.day}T00:00:00Z`)));
    return { customerId: ref, recencyDays: (end - last) / 86_400_000, frequency: days.size, monetary: own.reduce((sum, p) => sum + Math.round(Number(p.dollars) * 100), 0) };
  });
  const expected = scoreRfm(population);
  const mismatches = expected.filter((e) => {
    const got = scores.get(e.customerId)![ScoreKind.Rfm];
    return got.value !== e.value || got.band !== e.band;
  });
  expect(mismatches.map((m) => m.customerId)).toEqual([]);
  const bands = new Map<string, number>();
  for (const s of scores.values()) bands.set(s[ScoreKind.Rfm].band!, (bands.get(s[ScoreKind.Rfm].band!) ?? 0) + 1);
  // Those who bought on one day only are all F 1 (by their middle they were F 2, and New and Promising were empty).
  const oneTime = population.filter((c) => c.frequency === 1).length;
  expect(oneTime / population.length).toBeGreaterThan(0.7);
  expect(expected.filter((e) => e.f === 1).length).toBe(oneTime);
  expect(bands.get('New')).toBeGreaterThan(0);
  expect(bands.get('Promising')).toBeGreaterThan(0);
}, 120_000);

it('bands no first-time buyer high within 13 weeks of their purchase (churn risk of one without a repeat purchase, thresholds of its own)', async () => {
  const scores = await rescore('cdnow-churn', '1997-03-31');
  const oneTime = [...scores.values()].filter((s) => s[ScoreKind.ChurnRisk].reasons[0].startsWith('no repeat purchase'));
  expect(oneTime.length).toBeGreaterThan(1500);
  const bands = Map.groupBy(oneTime, (s) => s[ScoreKind.ChurnRisk].band);
  // On the repeat buyers' 0.25 / 0.5 they were 1,148 high: everyone silent six weeks or more.
  expect(bands.get('high')).toBeUndefined();
  expect(bands.get('medium')!.length).toBeGreaterThan(0);
  expect(bands.get('low')!.length).toBeGreaterThan(0);
  for (const s of oneTime) expect(s[ScoreKind.ChurnRisk].reasons[2]).toMatch(/^band (low|medium): without a repeat purchase medium from 50% below, high from 80%/);
}, 120_000);
