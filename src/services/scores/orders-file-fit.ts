import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { CSV_READING, csvHeader, csvPosition, emptyRecord, headerProblems, importSpecs, refCell, refCellProblem, rowShapeProblem, trimmedCell, type PositionedRecord } from '../../domain/import/import-spec.js';
import { decodeCsv } from '../import/csv-decoding.js';
import { ImportException } from '../import/import.exception.js';
import { MAX_AMOUNT_INTEGER_DIGITS, parseMinor } from '../../domain/money.js';
import { fitBgNbd } from '../../domain/scoring/bgnbd.js';
import { runOffParameters } from '../../domain/scoring/optimize.js';
import { dayNumber, isoDay } from '../../domain/dates.js';
import { EARLIEST_DAY, tooEarly } from '../../domain/earliest-day.js';
import { latestDayNow } from '../../domain/latest-time.js';
import { fitGammaGamma } from '../../domain/scoring/gamma-gamma.js';
import { invalidInput, ScoringException, ScoringExceptionCode } from '../../domain/scoring/scoring.exception.js';
import { summarizeTransactions, type CustomerPurchaseSummary, type Transaction } from '../../domain/scoring/summarize-transactions.js';

/** A record as csv-parse gives it with `info`, and the lines of the file it starts and ends on (recordLines). */

/**
 * Checks the purchase models (BG/NBD, Gamma-Gamma) on an orders export before it is
 * imported: the file (the `orders` import format) is streamed once, orders are reduced to
 * one transaction per customer and day on the way, and the pure models in
 * src/domain/scoring are fitted on the result. Nothing is written anywhere.
 */

/** The columns the models need; any others (margin, order_ref, quantity, ...) are ignored. */
const REQUIRED = ['customer_ref', 'ordered_at', 'amount'] as const;

// As the import accepts them: a date, or an ISO time whose zone defaults to UTC.
const ORDERED_AT = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

/** UTC day number of a `YYYY-MM-DD` date; null when it is not one. */
export function parseDay(text: string): number | null {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) ? orderDay(text) : null;
}

/** UTC calendar day (days since 1970-01-01) of an `ordered_at` value; null when it is not a date or ISO time. */
function orderDay(text: string): number | null {
  const m = ORDERED_AT.exec(text);
  if (!m) return null;
  let day: number;
  try {
    day = dayNumber(m[1]);
  } catch {
    return null; // 2026-02-30 and the like
  }
  if (m[2] === undefined) return day;
  const [hours, minutes, seconds, fraction] = [Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(`0.${m[5] ?? 0}`)];
  const [offsetHours, offsetMinutes] = [Number(m[8] ?? 0), Number(m[9] ?? 0)];
  // As PostgreSQL takes a time (the import's timestamptz): 24:00:00 is the end of the day, the next one's midnight, and a
  // leap second's :60 (without a fraction) the next minute.
  const endOfDay = hours === 24 && minutes === 0 && seconds === 0 && fraction === 0;
  if ((hours > 23 && !endOfDay) || minutes > 59 || seconds > 60 || (seconds === 60 && fraction > 0) || offsetHours > 15 || offsetMinutes > 59) return null;
  // A local time east of UTC may fall on the previous UTC day, west of it on the next.
  const offset = (m[7] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes);
  return day + Math.floor((hours * 3600 + minutes * 60 + seconds - offset * 60) / 86400);
}

export interface OrdersFileOptions {
  /** Last day of the observation period, YYYY-MM-DD (inclusive); later orders are ignored. Default: the last order day in the file. */
  until?: string;
  /** Called every 50,000 rows and at the end, with the share of the file read (0-1). */
  onProgress?: (rows: number, share: number) => void;
  /** The file's encoding, a WHATWG label as the import takes it (windows-1252, latin1, ...); default UTF-8. */
  encoding?: string;
  /** How many buyers a rescore fits its models on (the scoring policy's `fitSampleSize`), to say when it would sample. */
  fitSampleSize?: number;
}

export interface OrdersFileSummary {
  /** The end of the observation period (YYYY-MM-DD). */
  until: string;
  /** Order rows in the file (after the header), those after `until` included. */
  rows: number;
  /** One summary per customer with an order up to `until`, time in weeks. */
  customers: CustomerPurchaseSummary[];
}

/** Streams the orders file into one (x, tx, T, zbar) summary per customer. Throws ScoringException (ORDERS_FILE_* for the file, SCORING_INVALID_INPUT for a bad `until`). */
export async function summarizeOrdersFile(path: string, options: OrdersFileOptions = {}): Promise<OrdersFileSummary> {
  const untilDay = options.until === undefined ? Infinity : parseDay(options.until);
  if (untilDay === null) throw invalidInput(`until must be a date YYYY-MM-DD (got "${options.until}")`, { until: options.until });
  // As the import dates orders: not before the earliest business day, nor after today anywhere on earth.
  const [earliestDay, latestDay] = [dayNumber(EARLIEST_DAY), dayNumber(latestDayNow())];
  if (untilDay !== Infinity && untilDay > latestDay) throw invalidInput(`until must not be in the future (got ${options.until})`, { until: options.until });
  if (untilDay < earliestDay) throw invalidInput(tooEarly('until'), { until: options.until });
  const size = await fileSize(path);
  const input = createReadStream(path);

  // customer → day → amount in minor units: several orders of a customer on one day are one transaction.
  const byCustomer = new Map<string, Map<number, number>>();
  let rows = 0;
  let lastDay = -Infinity;
  const progress = () => options.onProgress?.(rows, size ? Math.min(1, input.bytesRead / size) : 1);

  // Decoded as the import decodes it: bytes that are no text in the file's encoding refuse it, naming the line, where a
  // lenient decoder would make "Zoë" and "Zoé" one customer. pipe() rather than pipeline(): a row error thrown out of
  // the loop must reach the caller as it is.
  const text = input.pipe(decodeCsv(options.encoding));
  // Each record's lines, kept as the parser reads it (a record the parser cannot finish is named by the line it starts on).
  const position = csvPosition();
  const records = text.pipe(parse({ ...CSV_READING, on_record: position.onRecord }));
  input.once('error', (error) => records.destroy(error));
  text.once('error', (error) => records.destroy(error));
  let positions: number[] | null = null;
  let header: string[] = [];
  let unnamedTail = 0;
  try {
    for await (const { record, lines } of records as AsyncIterable<PositionedRecord>) {
      const line = lines.start;
      // As the import skips it: a spreadsheet's ghost row (`,,,,`), like an empty line.
      if (emptyRecord(record)) continue;
      if (!positions) {
        // As the import reads it: trailing columns without a name (a spreadsheet's `,,`) left out while their cells are empty.
        ({ header, unnamedTail } = csvHeader(record));
        // As the import judges it (a missing or repeated column, another separator), columns the models do not read aside.
        const problems = headerProblems(importSpecs.orders, header, true);
        if (problems.length) {
          throw new ScoringException(ScoringExceptionCode.OrdersFileBadHeader, `The header does not fit an orders file: ${problems.join('; ')} (an orders file needs ${REQUIRED.join(', ')})`, {
            line: 1,
            problems,
          });
        }
        positions = REQUIRED.map((c) => header.indexOf(c));
        continue;
      }
      rows++;
      if (rows % 50_000 === 0) progress();
      const bad = (column: string | null, message: string) =>
        new ScoringException(ScoringExceptionCode.OrdersFileBadRow, `Line ${line}${column ? `, column ${column}` : ''}: ${message}`, { line, column });
      const shape = rowShapeProblem(record, header, unnamedTail);
      if (shape) throw bad(null, shape);
      // The reference as the import stores it (NFC: `JOSÉ-1` with an É or with E and a combining accent is one customer).
      const [refAt, orderedAtAt, amountAt] = positions;
      const [customer, orderedAt, amountText] = [refCell(record[refAt])!, trimmedCell(record[orderedAtAt])!, trimmedCell(record[amountAt])!];
      if (!customer) throw bad('customer_ref', 'is empty');
      // And refused where the import refuses it: with a zero-width space it reads as another customer, the same.
      const refProblem = refCellProblem(customer);
      if (refProblem) throw bad('customer_ref', refProblem);
      if (!orderedAt) throw bad('ordered_at', 'is empty');
      if (!amountText) throw bad('amount', 'is empty');
      const day = orderDay(orderedAt);
      if (day === null) throw bad('ordered_at', `"${orderedAt}" is not a date or ISO time (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)`);
      // A typo of a year (2997, 0001) the import refuses would move the period the models see, and every customer with it.
      if (day > latestDay) throw bad('ordered_at', `"${orderedAt}" is in the future`);
      if (day < earliestDay) throw bad('ordered_at', `"${orderedAt}" is before ${EARLIEST_DAY}`);
      // The amounts the import takes, and no others (domain/money.ts).
      const amountMinor = parseMinor(amountText);
      if (amountMinor === null) {
        if (parseMinor(amountText, true) !== null) throw bad('amount', `${amountText} is negative`);
        throw bad('amount', `"${amountText}" is not an amount the import takes (at most ${MAX_AMOUNT_INTEGER_DIGITS} digits before the point and 2 after it)`);
      }
      // Orders after the observation period do not count (the whole file is still checked).
      if (day > untilDay) continue;
      if (day > lastDay) lastDay = day;
      let days = byCustomer.get(customer);
      if (!days) byCustomer.set(customer, (days = new Map()));
      days.set(day, (days.get(day) ?? 0) + amountMinor);
    }
  } catch (error) {
    if (error instanceof ScoringException) throw error;
    if (error instanceof ImportException) throw new ScoringException(ScoringExceptionCode.OrdersFileUnreadableCsv, error.message, error.details);
    // As the import names it: the line the record it could not read starts on.
    const { message, line } = position.readProblem(error);
    throw new ScoringException(ScoringExceptionCode.OrdersFileUnreadableCsv, message, line === undefined ? {} : { line });
  } finally {
    input.destroy();
  }
  progress();
  // An empty file (or blank lines only) has no header to judge: refused as the import refuses it, not as a file without orders.
  if (!positions) throw new ScoringException(ScoringExceptionCode.OrdersFileBadHeader, `The file has no header line (an orders file needs ${REQUIRED.join(', ')})`, { line: 1, problems: ['no header line'] });
  if (byCustomer.size === 0) {
    throw new ScoringException(ScoringExceptionCode.OrdersFileNoOrders, rows === 0 ? 'The file has no orders' : `No order on or before ${options.until}`, { rows });
  }
  const until = isoDay(untilDay === Infinity ? lastDay : untilDay);
  const transactions = function* (): Iterable<Transaction> {
    for (const [customerId, days] of byCustomer) for (const [day, minor] of days) yield { customerId, date: isoDay(day), amount: minor / 100 };
  };
  return { until, rows, customers: summarizeTransactions(transactions(), { calibrationEnd: until }) };
}

async function fileSize(path: string): Promise<number> {
  try {
    const s = await stat(path);
    if (s.isFile()) return s.size;
  } catch {
    // reported below
  }
  throw new ScoringException(ScoringExceptionCode.OrdersFileNotFound, `No such file: ${path}`, { file: path });
}

export interface OrdersFileFit {
  customers: number;
  until: string;
  /**
   * `converged`: the optimiser reached a maximum of the likelihood; when not, the parameters are where it stopped, not
   * estimates. `runOff`: the shape parameters that ran off towards 0 or infinity (runOffParameters), which the data does not pin
   * down; the scales (α in weeks, γ in the currency) are left out, as their size depends on the units (a base of €50k orders).
   */
  bgnbd: { r: number; alpha: number; a: number; b: number; logLikelihood: number; converged: boolean; runOff: string[] };
  /** null when the spend model cannot be fitted; `gammaGammaReason` says why. */
  gammaGamma: { p: number; q: number; gamma: number; customers: number; converged: boolean; runOff: string[] } | null;
  gammaGammaReason?: string;
  /**
   * Set when the file has more customers than a rescore fits on (the scoring policy's `fitSampleSize`): a rescore of
   * this base fits its models on a sample of that many buyers, drawn by customer ID, so its parameters differ a little
   * from these, which are fitted on all of them.
   */
  rescoreWouldSample?: number;
  seconds: number;
}

/**
 * Fits BG/NBD on every customer (a rescore fits a sample of `fitSampleSize` buyers on a larger base: `rescoreWouldSample`
 * says so) and Gamma-Gamma on the repeat buyers with positive spend
 * (mean value of their repeat transactions). Throws ScoringException: ORDERS_FILE_* for the file,
 * SCORING_NOT_IDENTIFIABLE when the purchase model cannot be fitted (e.g. nobody bought twice).
 */
export async function fitOrdersFile(path: string, options: OrdersFileOptions = {}): Promise<OrdersFileFit> {
  const started = performance.now();
  const { until, customers } = await summarizeOrdersFile(path, options);
  const bg = fitBgNbd(customers);
  let spend: Pick<OrdersFileFit, 'gammaGamma' | 'gammaGammaReason'>;
  try {
    const gg = fitGammaGamma(customers.filter((c) => c.x > 0 && c.zbar > 0));
    spend = { gammaGamma: { ...gg.params, customers: gg.customers, converged: gg.converged, runOff: runOffParameters({ p: gg.params.p, q: gg.params.q }) } };
  } catch (error) {
    // Spend is optional for the check: too few repeat buyers with spend is reported, not fatal.
    if (!(error instanceof ScoringException && error.code === ScoringExceptionCode.NotIdentifiable)) throw error;
    spend = { gammaGamma: null, gammaGammaReason: error.message };
  }
  // The rescore's sample size, from the caller's scoring policy: without it, nothing is said of a sample.
  const sample = options.fitSampleSize ?? Infinity;
  return {
    customers: customers.length,
    until,
    bgnbd: { ...bg.params, logLikelihood: bg.logLikelihood, converged: bg.converged, runOff: runOffParameters({ r: bg.params.r, a: bg.params.a, b: bg.params.b }) },
    ...spend,
    ...(customers.length > sample ? { rescoreWouldSample: sample } : {}),
    seconds: Math.round(performance.now() - started) / 1000,
  };
}
