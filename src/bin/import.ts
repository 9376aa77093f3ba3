import { createReadStream, existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DomainException } from '../domain/errors/domain-exception.js';
import { ImportService } from '../services/import/import.service.js';

/**
 * `npm run import -- <kind> <file.csv> [--partial]`: imports a CRM or billing export
 * into DATABASE_URL. Prints the JSON report on stdout and progress on stderr; exits 1
 * when any row was refused (with --partial the good rows are written anyway).
 */
const { positionals, values } = parseArgs({ allowPositionals: true, options: { partial: { type: 'boolean', default: false } } });
const [kind, file] = positionals;
if (!kind || !file) {
  console.error('usage: npm run import -- <customers|orders|invoices|payments|complaints|costs> <file.csv> [--partial]');
  process.exit(2);
}
if (!process.env.DATABASE_URL) {
  console.error('Set DATABASE_URL to the database to import into.');
  process.exit(2);
}
if (!existsSync(file)) {
  console.error(`No such file: ${file}`);
  process.exit(2);
}
const size = statSync(file).size;
const input = createReadStream(file);
const started = Date.now();
try {
  const report = await new ImportService(process.env.DATABASE_URL).importCsv(kind, input, {
    mode: values.partial ? 'good-rows' : 'all-or-nothing',
    actor: `cli:${os.userInfo().username}`,
    source: path.basename(file),
    onProgress: (rows) => {
      const pct = size ? Math.min(100, Math.round((input.bytesRead / size) * 100)) : 100;
      process.stderr.write(`\r${kind}: ${rows} rows read (${pct}%, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    },
  });
  process.stderr.write('\n');
  console.log(JSON.stringify(report, null, 2));
  process.exit(report.errorCount > 0 ? 1 : 0);
} catch (error) {
  if (error instanceof DomainException) {
    console.error(JSON.stringify({ code: error.code, message: error.message, ...error.details }));
    process.exit(1);
  }
  throw error;
}
