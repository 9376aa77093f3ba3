import './require-node.js';
import { createReadStream, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadImportConfig } from '../config/config.js';
import { defaultPolicies } from '../domain/policies/index.js';
import { DomainException } from '../domain/errors/domain-exception.js';
import { asJson, exitWithReport, fail, parseCommandLine } from './cli-errors.js';
import { importSpecs } from '../domain/import/import-spec.js';
import { ImportException, ImportExceptionCode } from '../services/import/import.exception.js';
import { csvTextDecoder } from '../services/import/csv-decoding.js';
import { ImportService } from '../services/import/import.service.js';

/**
 * `npm run import -- <kind> <file.csv> [--partial] [--encoding <label>]`: imports a CRM or
 * billing export into DATABASE_URL. Prints the JSON report on stdout, progress on stderr.
 * The file is read as UTF-8 unless --encoding names another (windows-1252, latin1, ...: what
 * Excel and many CRMs export). Exit codes: 0 all rows imported; 1 rows or the file refused
 * (with --partial the good rows are written anyway); 2 wrong usage (an unknown kind too), a setting it reads
 * missing or wrong (DATABASE_URL, CURRENCY; no other), or no such file. `--help` prints the usage.
 */
const usage = `usage: npm run import -- <${Object.keys(importSpecs).join('|')}> <file.csv> [--partial] [--encoding <label, e.g. windows-1252; default utf-8>]`;

const args = parseCommandLine({ allowPositionals: true, options: { partial: { type: 'boolean', default: false }, encoding: { type: 'string', default: 'utf-8' } } }, usage);
const [kind, file] = args.positionals;
if (!kind || !file || args.positionals.length > 2) fail(2, usage);
if (!Object.hasOwn(importSpecs, kind)) fail(2, `"${kind}" is not an import kind\n${usage}`);
const { encoding } = args.values;
try {
  csvTextDecoder(encoding);
} catch (error) {
  fail(2, `--encoding ${encoding}: ${(error as Error).message}\n${usage}`);
}

let databaseUrl: string;
let currency: string;
try {
  ({ databaseUrl, currency } = loadImportConfig());
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // The advice for the setting named: the database to write to, or the currency the API and the worker read amounts in.
  fail(2, `${error.message}: ${error.message.startsWith('DATABASE_URL') ? 'set it to the database to import into.' : 'set it as the API and the worker have it (the currency of the amounts).'}`);
}
// As the API and the worker judge a payment on time (their policies): an invoice paid by then has its reminder fees reversed.
const onTimeGraceDays = defaultPolicies.scoring.paymentLoyalty.graceDays;

let size: number;
try {
  const stat = statSync(file);
  if (!stat.isFile()) throw new Error('not a file');
  size = stat.size;
} catch {
  fail(2, asJson(new ImportException(ImportExceptionCode.FileNotFound, `No such file: ${file}`, { file })));
}

const input = createReadStream(file);
const started = Date.now();
const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
try {
  const report = await new ImportService(databaseUrl, {}, null, currency, onTimeGraceDays).importCsv(kind, input, {
    mode: args.values.partial ? 'good-rows' : 'all-or-nothing',
    encoding,
    actor: `cli:${os.userInfo().username}`,
    source: path.basename(file),
    onProgress: (rows) => {
      const pct = size ? Math.min(100, Math.round((input.bytesRead / size) * 100)) : 100;
      process.stderr.write(`\r${kind}: ${rows} rows read (${pct}%, ${seconds()} s)`);
    },
  });
  const peakMb = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stderr.write(
    `\n${kind}: ${report.written ? `${report.inserted} inserted, ${report.updated} updated, ${report.unchanged} unchanged` : 'nothing written'}, ${report.rejected} rows refused; ${seconds()} s, peak memory ${peakMb} MB\n` +
      report.kept.map((k) => `${kind}: ${k.field} kept as stored in ${k.rows} row${k.rows === 1 ? '' : 's'}: ${k.why}\n`).join(''),
  );
  await exitWithReport(report.errorCount > 0 ? 1 : 0, JSON.stringify(report, null, 2));
} catch (error) {
  process.stderr.write('\n');
  if (error instanceof ImportException && error.code === ImportExceptionCode.UnreadableCsv && error.details.encoding) {
    fail(1, { ...asJson(error), hint: error.details.looksLike === 'utf-8' ? 'leave out --encoding: the file seems to be UTF-8' : 'give the file\'s encoding, e.g. --encoding windows-1252' });
  }
  if (error instanceof DomainException) fail(1, asJson(error));
  // Anything else (a fault of the database or the import, not of the file) as JSON too, not a Node stack trace: scripts read stderr.
  fail(1, { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error), ...((error as { code?: unknown })?.code ? { databaseCode: (error as { code: unknown }).code } : {}) });
}
