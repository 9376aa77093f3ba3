import fs from 'node:fs';
import path from 'node:path';
import { fitBgNbd } from './bgnbd.js';
import { fitGammaGamma } from './gamma-gamma.js';
import { ScoringException } from './scoring.exception.js';
import { summarizeTransactions, type Transaction } from './summarize-transactions.js';

const cdnow = (file: string) => path.resolve('test', 'fixtures', 'cdnow', file);

/** CDNOW_sample.txt: customer_id, sample_id (zero-padded "0001" = ID 1 of the summary files), date YYYYMMDD, number_of_cds, dollar_value; whitespace-separated, no header. */
function readSampleTransactions(): Transaction[] {
  return fs
    .readFileSync(cdnow('CDNOW_sample.txt'), 'utf8')
    .trim()
    .split(/\r?\n/)
    .map((line) => {
      const [, sampleId, d, , dollars] = line.trim().split(/\s+/);
      return { customerId: String(Number(sampleId)), date: `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`, amount: Number(dollars) };
    });
}

/** cdnow_customers_summary_with_transactions.csv: ID, x, t_x, T, zbar (2 decimals). */
function readPublishedSummary() {
  const [, ...lines] = fs.readFileSync(cdnow('cdnow_customers_summary_with_transactions.csv'), 'utf8').trim().split(/\r?\n/);
  return lines.map((line) => {
    const [id, x, tx, T, zbar] = line.split(',').map(Number);
    return { id: String(id), x, tx, T, zbar };
  });
}

describe('summarizeTransactions', () => {
  it('counts same-day purchases once, measures tx and T in weeks from the first purchase, and ignores the holdout', () => {
    const s = summarizeTransactions(
      [
        { customerId: 'a', date: '2025-01-01', amount: 10 },
        { customerId: 'a', date: '2025-01-01', amount: 5 }, // same day: one transaction of 15
        { customerId: 'a', date: '2025-01-15', amount: 20 },
        { customerId: 'a', date: '2025-01-29', amount: 40 },
        { customerId: 'a', date: '2025-02-05', amount: 99 }, // after the calibration end: holdout
      ],
      { calibrationEnd: '2025-01-29' },
    );
    expect(s).toEqual([
      {
        customerId: 'a',
        x: 2,
        tx: 4,
        T: 4,
        firstPurchase: '2025-01-01',
        lastPurchase: '2025-01-29',
        zbar: 30,
        calibrationValue: 75,
        holdoutTransactions: 1,
        holdoutValue: 99,
      },
    ]);
  });

  it('gives T = 0 and x = 0 to a customer whose only purchase is on the calibration end day, and leaves out later first buyers', () => {
    const s = summarizeTransactions(
      [
        { customerId: 'today', date: '2025-03-31', amount: 10 },
        { customerId: 'today', date: '2025-03-31', amount: 1 },
        { customerId: 'later', date: '2025-04-01', amount: 10 },
      ],
      { calibrationEnd: '2025-03-31' },
    );
    expect(s.map((c) => [c.customerId, c.x, c.tx, c.T, c.zbar, c.calibrationValue])).toEqual([['today', 0, 0, 0, 0, 11]]);
  });

  it('uses other time units, honours holdoutEnd, sorts by customer, and accepts Date objects', () => {
    const s = summarizeTransactions(
      [
        { customerId: 'b', date: new Date('2025-01-01T23:59:00Z') },
        { customerId: 'b', date: '2025-01-11' },
        { customerId: 'a', date: '2025-01-05' },
        { customerId: 'a', date: '2025-02-01' },
        { customerId: 'a', date: '2025-03-01' },
      ],
      { calibrationEnd: '2025-01-31', unitDays: 1, holdoutEnd: '2025-02-15' },
    );
    expect(s.map((c) => [c.customerId, c.x, c.tx, c.T, c.holdoutTransactions])).toEqual([
      ['a', 0, 0, 26, 1],
      ['b', 1, 10, 30, 0],
    ]);
  });

  it('refuses bad options and amounts', () => {
    expect(() => summarizeTransactions([], { calibrationEnd: '2025-01-31', unitDays: 0 })).toThrow(ScoringException);
    expect(() => summarizeTransactions([], { calibrationEnd: '2025-01-31', holdoutEnd: '2025-01-01' })).toThrow(ScoringException);
    expect(() => summarizeTransactions([{ customerId: 'a', date: '2025-01-01', amount: NaN }], { calibrationEnd: '2025-01-31' })).toThrow(ScoringException);
    expect(() => summarizeTransactions([{ customerId: 'a', date: '2025-02-30' }], { calibrationEnd: '2025-01-31' })).toThrow(RangeError);
  });
});

describe('summarizing the CDNOW sample', () => {
  const summary = summarizeTransactions(readSampleTransactions(), { calibrationEnd: '1997-09-30', unitDays: 7 });
  const published = readPublishedSummary();

  it('reproduces cdnow_customers_summary_with_transactions.csv for every customer (to its 2 decimals)', () => {
    expect(summary).toHaveLength(2357);
    const byId = new Map(summary.map((c) => [c.customerId, c]));
    let mismatches = 0;
    for (const p of published) {
      const c = byId.get(p.id);
      const ok = c && c.x === p.x && Math.abs(c.tx - p.tx) <= 0.005 + 1e-9 && Math.abs(c.T - p.T) <= 0.005 + 1e-9 && Math.abs(c.zbar - p.zbar) <= 0.005 + 1e-9;
      if (!ok) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('reproduces cdnow_customers_summary.csv (ID, frequency, recency, T) too', () => {
    const [header, ...lines] = fs.readFileSync(cdnow('cdnow_customers_summary.csv'), 'utf8').trim().split(/\r?\n/);
    expect(header).toBe('ID,frequency,recency,T');
    const byId = new Map(summary.map((c) => [c.customerId, c]));
    const mismatched = lines.filter((line) => {
      const [id, x, tx, T] = line.split(',').map(Number);
      const c = byId.get(String(id));
      return !(c && c.x === x && Math.abs(c.tx - tx) <= 0.005 + 1e-9 && Math.abs(c.T - T) <= 0.005 + 1e-9);
    });
    expect(lines).toHaveLength(2357);
    expect(mismatched).toEqual([]);
  });

  it('uses T = (calibration end day - first purchase day) / 7: 1997-01-01 → 272 days → 38.857 (printed 38.86), not to the end of that day (39.0)', () => {
    const first = summary.find((c) => c.customerId === '1')!;
    expect(first.firstPurchase).toBe('1997-01-01');
    expect(first.T).toBeCloseTo(272 / 7, 12);
    expect(first.tx).toBeCloseTo(213 / 7, 12); // last calibration purchase 1997-08-02 → 30.43
    expect(first.x).toBe(2);
    const csv = published.find((p) => p.id === '1')!;
    expect(csv).toEqual({ id: '1', x: 2, tx: 30.43, T: 38.86, zbar: 22.35 });
    expect(Math.abs((272 + 1) / 7 - csv.T)).toBeGreaterThan(0.1); // the end-of-day convention would not match
  });

  it('fits the same BG/NBD and Gamma-Gamma parameters as the published summary (within 0.5%)', () => {
    const bg = fitBgNbd(summary);
    expect(Math.abs(bg.params.r / 0.243 - 1)).toBeLessThan(0.005);
    expect(Math.abs(bg.params.alpha / 4.414 - 1)).toBeLessThan(0.005);
    expect(Math.abs(bg.params.a / 0.793 - 1)).toBeLessThan(0.005);
    expect(Math.abs(bg.params.b / 2.426 - 1)).toBeLessThan(0.005);
    expect(Math.abs(bg.logLikelihood / -9582.4 - 1)).toBeLessThan(0.005);
    const gg = fitGammaGamma(summary);
    expect(Math.abs(gg.params.p / 6.25 - 1)).toBeLessThan(0.005);
    expect(Math.abs(gg.params.q / 3.74 - 1)).toBeLessThan(0.005);
    expect(Math.abs(gg.params.gamma / 15.44 - 1)).toBeLessThan(0.005);
  });
});

describe('the full CDNOW master file (23,570 customers)', () => {
  it('summarizes and fits in seconds', () => {
    const lines = fs.readFileSync(cdnow('CDNOW_master.txt'), 'utf8').trim().split(/\r?\n/);
    expect(lines[0]).toMatch(/^customer_id\s+date/);
    const transactions: Transaction[] = lines.slice(1).map((line) => {
      const [id, d, , dollars] = line.trim().split(/\s+/);
      return { customerId: id, date: `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`, amount: Number(dollars) };
    });
    let started = performance.now();
    const summary = summarizeTransactions(transactions, { calibrationEnd: '1997-09-30' });
    const summarizeMs = performance.now() - started;
    expect(summary).toHaveLength(23_570);
    started = performance.now();
    const fit = fitBgNbd(summary);
    const fitMs = performance.now() - started;
    expect(fit.converged).toBe(true);
    // The full file gives estimates close to the 1/10 sample's.
    expect(fit.params.r).toBeGreaterThan(0.2);
    expect(fit.params.r).toBeLessThan(0.3);
    expect(fit.params.b).toBeGreaterThan(1.5);
    expect(fit.params.b).toBeLessThan(3);
    // Plain Node: about 0.2-0.3 s to summarize and 0.5 s to fit; under jest (a proxied global object
    // slows built-ins) and on a busy CI machine more, hence the margin.
    expect(summarizeMs).toBeLessThan(5000);
    expect(fitMs).toBeLessThan(5000);
  });
});
