import './require-node.js';
import { DomainException } from '../domain/errors/domain-exception.js';
import { asJson, fail, parseCommandLine } from './cli-errors.js';
import { ScoringExceptionCode } from '../domain/scoring/scoring.exception.js';
import { fitOrdersFile, parseDay } from '../services/scores/orders-file-fit.js';
import { defaultScoringPolicy } from '../domain/scoring/scoring-policy.js';
import { csvTextDecoder } from '../services/import/csv-decoding.js';

/**
 * `npm run scores -- fit <orders.csv> [--until YYYY-MM-DD] [--encoding <label>]`: fits the purchase models
 * (BG/NBD, Gamma-Gamma) on an orders export, so an analyst can check them before the
 * import; needs no database. Prints the parameters as JSON on stdout, progress on stderr.
 * Exit codes: 0 fitted; 1 a bad row or file, or a model that cannot be fitted (JSON on
 * stderr); 2 wrong usage or no such file. `--help` prints the usage. See docs/scores-fit.md.
 */
const usage = 'usage: npm run scores -- fit <orders.csv> [--until YYYY-MM-DD] [--encoding <label, e.g. windows-1252; default utf-8>]';

const args = parseCommandLine({ allowPositionals: true, options: { until: { type: 'string' }, encoding: { type: 'string', default: 'utf-8' } } }, usage);
const [command, file] = args.positionals;
if (command !== 'fit' || !file || args.positionals.length > 2) fail(2, command && command !== 'fit' ? `unknown command "${command}"\n${usage}` : usage);
const { until, encoding } = args.values;
if (until !== undefined && parseDay(until) === null) fail(2, `--until must be a date YYYY-MM-DD (got "${until}")\n${usage}`);
try {
  csvTextDecoder(encoding);
} catch (error) {
  fail(2, `--encoding ${encoding}: ${(error as Error).message}\n${usage}`);
}

const started = Date.now();
const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
let progressShown = false; // the progress line is ended before anything else goes to stderr
const endProgress = () => {
  if (progressShown) process.stderr.write('\n');
};
try {
  const fit = await fitOrdersFile(file, {
    until,
    encoding,
    fitSampleSize: defaultScoringPolicy.fitSampleSize,
    onProgress: (rows, share) => {
      process.stderr.write(`\rorders: ${rows} rows read (${Math.round(share * 100)}%, ${seconds()} s)`);
      progressShown = true;
    },
  });
  endProgress();
  process.stderr.write(`fitted ${fit.customers} customers up to ${fit.until} in ${seconds()} s\n`);
  if (fit.gammaGamma === null) process.stderr.write(`Gamma-Gamma not fitted: ${fit.gammaGammaReason}\n`);
  for (const [model, converged] of [['BG/NBD', fit.bgnbd.converged], ['Gamma-Gamma', fit.gammaGamma?.converged ?? true]] as const) {
    if (!converged) process.stderr.write(`${model} did not converge: its parameters are where the optimiser stopped, not estimates (too few customers, or too little spread in the data)\n`);
  }
  for (const [model, runOff] of [['BG/NBD', fit.bgnbd.runOff], ['Gamma-Gamma', fit.gammaGamma?.runOff ?? []]] as const) {
    if (runOff.length) process.stderr.write(`${model}: ${runOff.join(', ')} ran off towards 0 or infinity: the data pins down at most a ratio of them, not each (too few customers, or hardly anyone seems to drop out)\n`);
  }
  if (fit.rescoreWouldSample) {
    process.stderr.write(
      `a rescore of this base would fit its models on a sample of ${fit.rescoreWouldSample} of the ${fit.customers} buyers (the scoring policy's fitSampleSize), drawn by customer ID: its parameters differ a little from these, fitted on all\n`,
    );
  }
  console.log(JSON.stringify(fit, null, 2));
} catch (error) {
  endProgress();
  if (error instanceof DomainException) fail(error.code === ScoringExceptionCode.OrdersFileNotFound ? 2 : 1, asJson(error));
  throw error;
}
