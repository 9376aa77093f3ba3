import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { isTimeZone } from '../../domain/customers/contact.js';
import { CSV_READING, csvHeader, csvPosition, dayCell, emptyRecord, headerProblems, ImportRowProblem, refCell, trimmedCell, importSpecs, isImportKind, rowShapeProblem, sentFields, shownTextCell, unevenRow, type ImportKind, type ImportSpec, type PositionedRecord } from '../../domain/import/import-spec.js';
import { postgresConnection } from '../../db/connection.js';
import { isDatabaseUnreachable } from '../../db/unreachable.js';
import { csvTextDecoder, decodeCsv } from './csv-decoding.js';
import { ImportException, ImportExceptionCode } from './import.exception.js';
import { Turns, type Refusal } from '../common/turns.js';
import { type RowWord, customerLockSql, derivedRefsSql, erasedDerivedRefSql, revenueBoundSql, fileTimeZonesSql, followUpChecks, KEPT_BY_IMPORT, keptSql, missingRefSql, referralCycleChecks, stageTableSql, storedRowLockSql, timeZoneTableSql, upsertSql, validationSql } from './import-sql.js';
import { FAIR_REMINDER } from '../../domain/playbooks/fair-reminder.js';
import { notOverdueSql } from '../facts/invoice-facts.js';
import { welcomeHeldAtComplaintSql } from '../playbooks/welcome-held-at-complaint.js';
import { proposalHeldAtComplaintAuditedSql } from '../playbooks/proposal-held-at-complaint.js';

export type ImportMode = 'all-or-nothing' | 'good-rows';

export interface ImportRowError {
  /** Line in the file where the record starts (the header is line 1); for importRows, the 1-based index in the list. */
  line: number;
  /** Column the problem is in; null for a malformed line. */
  field: string | null;
  /** What is wrong, for a front end to group errors by; `message` says it in words. */
  code: ImportRowProblem;
  message: string;
}

export interface ImportReport {
  kind: ImportKind;
  mode: ImportMode;
  source: string;
  rowsRead: number;
  inserted: number;
  /** Rows matched by their reference whose values changed. */
  updated: number;
  /** Rows matched by their reference with every value as stored: left alone. */
  unchanged: number;
  /** Rows with at least one error. */
  rejected: number;
  /** False when nothing was written: all-or-nothing with errors, good-rows with every row refused, or no rows. */
  written: boolean;
  errorCount: number;
  /** The first errors, in line order (at most MAX_LISTED_ERRORS). */
  errors: ImportRowError[];
  /** Every error counted by field and code (also those beyond the listed ones), in the order each first occurs. */
  errorSummary: ImportErrorGroup[];
  /** Columns whose values in some written rows were held back for a decision or rule of this platform (counted as updated or unchanged by their other values); only those with rows. */
  kept: ImportKept[];
}

/** A column of the file whose value this platform kept in some rows, and why (customers: a tier moved, a notice given, consent withdrawn here, an acquisition day held to the first order's; complaints: a resolution made here). */
export interface ImportKept {
  field: string;
  rows: number;
  why: string;
}

/** How many errors of one code one field has in the whole input, and the line of the first (one systematic column, or a few bad lines?). */
export interface ImportErrorGroup {
  /** The column; null for errors of the whole line. */
  field: string | null;
  code: ImportRowProblem;
  count: number;
  /** Line (importRows: row index) of the first such error. */
  firstLine: number;
}

export const MAX_LISTED_ERRORS = 1000;
const COPY_BATCH_CHARS = 64 * 1024;
/** The most rows importRows (the GraphQL bulk mutations) takes in one call; files go through importCsv, which streams. */
export const MAX_IMPORT_ROWS = 10_000;

/**
 * How many imports may wait for one of an API process's import places (IMPORT_CONCURRENCY) at once; more are refused
 * at once (UNAVAILABLE, IMPORT_BUSY). A waiting call holds its request (an importCsv's CSV text) but no connection.
 */
export const IMPORTS_WAITING = 10;

/** How long the import waits for PostgreSQL to take its connection, as the API's pool does: a server that hangs is unavailable, not waited for without end. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The import places of one API process: at most `atOnce` imports hold a connection of their own at once, the
 * others (at most IMPORTS_WAITING) wait without one, each at most `maxWaitMs` in all; beyond, IMPORT_BUSY. Each import
 * opens its connection outside the API's pool: unbounded, clients retrying after their HTTP timeout or integration jobs
 * pushing in parallel filled PostgreSQL's max_connections, and every other process's connections (the worker's,
 * migrate's) failed with them. Imports of one kind take turns (they do from their checks to their commit anyway) before
 * they take a place, so two files of one kind never hold two places while one waits for the other, keeping an import of
 * another kind out.
 */
export class ImportPlaces {
  private readonly places: Turns;
  private readonly kinds = new Map<string, Turns>();

  constructor(
    readonly atOnce: number,
    readonly maxWaitMs: number,
  ) {
    this.places = new Turns(atOnce, IMPORTS_WAITING, (why) => this.busy(why), maxWaitMs);
  }

  /** `work` once its kind's turn and then a place came, within `maxWaitMs` in all. */
  take<T>(kind: string, work: () => Promise<T>): Promise<T> {
    const turn = this.kinds.get(kind) ?? this.kinds.set(kind, new Turns(1, IMPORTS_WAITING, (why) => this.busy(why, kind), this.maxWaitMs)).get(kind)!;
    const started = Date.now();
    return turn.take(() => this.places.take(work, Math.max(0, this.maxWaitMs - (Date.now() - started))));
  }

  /** IMPORT_BUSY: too many wait for a place (or, `kind` given, for their kind's turn), or this one waited its longest. */
  private busy(why: Refusal, kind?: string): ImportException {
    const message =
      why === 'waited-too-long'
        ? `The import waited ${this.maxWaitMs / 1000} s for its turn among the ${this.atOnce} import places without getting one (other imports are running); nothing was written: try again shortly`
        : kind
          ? `An import of ${kind} is running and ${IMPORTS_WAITING} more wait for their turn already; nothing was written: try again shortly`
          : `${this.atOnce} imports are running and ${IMPORTS_WAITING} waiting for their turn already; nothing was written: try again shortly`;
    return new ImportException(ImportExceptionCode.Busy, message, { retry: true, importsAtOnce: this.atOnce });
  }
}

export interface ImportOptions {
  mode: ImportMode;
  /** Who imports (caller ID or `cli:<user>`), for the audit log. */
  actor: string;
  /** File name or "graphql", for the report and the audit log. */
  source: string;
  /** Called every 50,000 rows while staging, and once with the total. */
  onProgress?: (rowsRead: number) => void;
  /** How importRows names a column in a refusal (the GraphQL bulk mutations: its input field); the column itself by default. */
  fieldName?: (column: string) => string;
}

export interface CsvImportOptions extends ImportOptions {
  /** The file's encoding, a WHATWG label (windows-1252, latin1, ...); UTF-8 by default. Bytes that are no text in it refuse the file, as a UTF-8 file given a single-byte one does (decodeCsv). */
  encoding?: string;
}

/** One row for importRows: CSV column name -> value; null or '' is an empty cell, a missing (or undefined) key a column left out, as in every row of the list. */
export type ImportRow = Readonly<Record<string, string | null | undefined>>;

const copyField = (value: string | null) => (value === null ? '\\N' : value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r'));

/** How a cell of each of the spec's columns is staged: references, shown names and e-mail addresses trimmed and in NFC, a day saved with midnight as that day, other cells trimmed. */
const cellReaders = (spec: ImportSpec) => spec.columns.map((c) => (c.type === 'ref' ? refCell : c.shownName || c.type === 'email' ? shownTextCell : c.type === 'date' ? dayCell : trimmedCell));

/** One line of COPY text for import_stage: row number, shape error, then the spec's columns (read by `readers`). */
function copyLine(readers: ReadonlyArray<(cell: string | null) => string | null>, rowNo: number, values: Array<string | null>): string {
  // PostgreSQL text cannot hold NUL, nor (as U+FFFD at best) a lone surrogate half: such a row is refused as a whole instead of failing the file.
  const shapeError = values.some((x) => x?.includes('\0')) ? 'contains a NUL character' : values.some((x) => x && !x.isWellFormed()) ? 'contains a lone UTF-16 surrogate (not well-formed text)' : null;
  return [String(rowNo), shapeError, ...(shapeError ? values.map(() => null) : values.map((x, i) => readers[i](x)))].map(copyField).join('\t') + '\n';
}

const stageColumns = (spec: ImportSpec) => ['row_no', '_shape_error', ...spec.columns.map((c) => c.name)];

function specOf(kind: string): ImportSpec {
  if (!isImportKind(kind)) {
    throw new ImportException(ImportExceptionCode.UnknownKind, `"${kind}" is not an import kind (${Object.keys(importSpecs).join(', ')})`, { field: 'kind' });
  }
  return importSpecs[kind];
}

/** What staging produced: the columns the input carries and how many rows it had. */
interface Staged {
  header: string[];
  rowsRead: number;
}

/**
 * Bulk import of customer data. Input streams into a temporary table with COPY (memory
 * stays flat for millions of rows), is validated set-based in SQL (every bad row reported
 * with its line and field), then merged by the source system's reference (a re-import
 * updates, never duplicates) — all in one transaction: with errors, all-or-nothing writes
 * nothing; good-rows writes the rest. Needs PostgreSQL >= 16 (pg_input_is_valid).
 */
export class ImportService {
  /**
   * After the commit, `followUp.invoicesPaid` hears of the file's invoices it left paid that have a
   * reminder run under way (to end it now), `followUp.invoicesCancelled` of those it left cancelled
   * (to cancel their runs now), `followUp.invoicesNotDue` of those it left open and not overdue (a due day moved
   * later, a payment extension: to cancel their runs now), `followUp.customersLeft` of the customers a customers file left
   * offboarded with a run about them under way (to cancel it now), and `followUp.customersChanged` of the customers whose
   * complaints, invoices or payments it wrote (to rescore them now), and `followUp.complaintsReceived`
   * of the complaints a complaints file added or reopened (a topic that became persistent starts its
   * fix, a fix waiting for its check-back hears it did not hold, as after recordComplaint and
   * reopenComplaint), unless there are more than `RESCORED_AT_ONCE`: then the nightly rescore and the
   * trigger sweep bring them up to date.
   */
  constructor(
    private readonly databaseUrl: string,
    private readonly followUp: {
      invoicesPaid?: (invoiceIds: string[]) => Promise<unknown>;
      invoicesCancelled?: (invoiceIds: string[]) => Promise<unknown>;
      invoicesNotDue?: (invoiceIds: string[]) => Promise<unknown>;
      customersLeft?: (customerIds: string[]) => Promise<unknown>;
      customersChanged?: (kind: 'complaints' | 'invoices' | 'payments', customerIds: string[]) => Promise<unknown>;
      complaintsReceived?: (complaints: { customerId: string; topic: string }[]) => Promise<unknown>;
    } = {},
    /** The process's import places (`importPlaces`: the API's); none: every import connects at once (the command line runs one). */
    private readonly places: ImportPlaces | null,
    /** The deployment's currency (`CURRENCY`), every amount's, unless the database records another (the one its amounts are in): a line whose `currency` column names another is refused. */
    private readonly currency: string,
    /** The days after its due day a payment still counts as on time (the payment-loyalty policy's `graceDays`): an invoice a file leaves paid by then has its reminder fees reversed. */
    private readonly onTimeGraceDays = 0,
  ) {}

  /** Imports a CSV file (header line first, the format of `kind`; UTF-8 unless `options.encoding` says otherwise); streams, whatever the size. */
  async importCsv(kind: string, csv: Readable, options: CsvImportOptions): Promise<ImportReport> {
    const spec = specOf(kind);
    // An encoding the import does not read is the caller's mistake (IMPORT_UNKNOWN_ENCODING), said before a place or a connection is taken.
    csvTextDecoder(options.encoding ?? 'utf-8');
    const readers = cellReaders(spec);
    return this.run(spec, options, 'line', async (client) => {
      let header: string[] | null = null;
      let unnamedTail = 0;
      let positions: number[] = [];
      let rowsRead = 0;
      // Each record's lines, kept as the parser reads it: the COPY may lag behind it by many records.
      const position = csvPosition();
      // COPY lines go out in batches of about 64 KB: one message per row cost more than parsing it.
      let batch = '';
      const add = (line: string, done: (error?: Error | null, data?: string) => void) => {
        batch += line;
        if (batch.length < COPY_BATCH_CHARS) return done();
        const full = batch;
        batch = '';
        done(null, full);
      };
      const toCopy = new Transform({
        objectMode: true,
        transform: ({ record, lines }: PositionedRecord, _enc, done) => {
          // A spreadsheet's ghost row (`,,,,`) carries no data: skipped as an empty line is, not refused.
          if (emptyRecord(record)) return done();
          if (!header) {
            // Trailing columns without a name (a spreadsheet's `customer_ref,ordered_at,amount,,`) are left out, with their cells, while those are empty.
            ({ header, unnamedTail } = csvHeader(record));
            const problems = headerProblems(spec, header);
            if (problems.length) return done(new ImportException(ImportExceptionCode.BadHeader, `The header does not fit the ${kind} import: ${problems.join('; ')}`, { problems }));
            positions = spec.columns.map((c) => header!.indexOf(c.name));
            return done();
          }
          rowsRead++;
          if (rowsRead % 50_000 === 0) options.onProgress?.(rowsRead);
          const line = lines.start;
          const shape = rowShapeProblem(record, header, unnamedTail);
          if (shape) return add(copyField(String(line)) + '\t' + copyField(shape) + '\t\\N'.repeat(spec.columns.length) + '\n', done);
          add(copyLine(readers, line, positions.map((i) => (i < 0 ? null : record[i]))), done);
        },
        flush: (done) => done(null, batch || undefined),
      });
      try {
        await pipeline(
          csv,
          decodeCsv(options.encoding),
          parse({ ...CSV_READING, on_record: position.onRecord }),
          toCopy,
          copyIntoStage(client, spec),
        );
      } catch (error) {
        if (error instanceof ImportException) throw error;
        // The database gone under the COPY (restarted, the session ended) is no fault of the file: a passing condition to retry.
        if (isDatabaseUnreachable(error)) throw error;
        // Named by the line the record it could not read starts on, as row errors are (a quote never closed: where that record began).
        const { message, line } = position.readProblem(error);
        throw new ImportException(ImportExceptionCode.UnreadableCsv, message, line === undefined ? {} : { line });
      }
      if (header === null) throw new ImportException(ImportExceptionCode.EmptyFile, 'The file has no header line', {});
      return { header, rowsRead };
    });
  }

  /** The same import from CSV text (the importCsv mutation). */
  async importCsvText(kind: string, csv: string, options: ImportOptions): Promise<ImportReport> {
    // Text that is not well-formed (a lone UTF-16 surrogate half) would reach the file's reading as U+FFFD, a reference no
    // later export matches: refused as a file whose bytes are no text is, naming the line.
    const at = csv.search(/[\uD800-\uDFFF]/u);
    if (at >= 0) {
      const line = csv.slice(0, at).split('\n').length;
      throw new ImportException(ImportExceptionCode.UnreadableCsv, `Line ${line} is not well-formed text: it contains a lone UTF-16 surrogate (a character cut in half)`, { line });
    }
    return this.importCsv(kind, Readable.from([csv]), options);
  }

  /**
   * Imports rows given as objects (the GraphQL bulk mutations), through the same staging,
   * checks and merge as a file. Keys are CSV column names, the same in every row (the list's
   * header: a column no row has keeps stored values); rows with different keys are refused.
   * Errors name the 1-based index of the row in the list as `line`, and call it a row in their messages ("repeats the reference of row 1").
   */
  async importRows(kind: string, rows: readonly ImportRow[], options: ImportOptions): Promise<ImportReport> {
    const spec = specOf(kind);
    if (rows.length > MAX_IMPORT_ROWS) {
      throw new ImportException(ImportExceptionCode.TooManyRows, `At most ${MAX_IMPORT_ROWS} rows per call (got ${rows.length}); import larger sets as a file`, {
        field: 'rows',
        max: MAX_IMPORT_ROWS,
      });
    }
    const uneven = unevenRow(rows);
    if (uneven) {
      const field = (options.fieldName ?? ((column: string) => column))(uneven.field);
      const [sends, leavesOut] = uneven.sentByFirst ? [1, uneven.row] : [uneven.row, 1];
      throw new ImportException(
        ImportExceptionCode.RowFieldsDiffer,
        `Row ${leavesOut} leaves out "${field}", which row ${sends} sends: every row must send the same fields (null or "" empties a field)`,
        // The row to mend is the one leaving the field out (the first, when a later row sends it).
        { field: 'rows', row: leavesOut, rowField: field, sentBy: sends },
      );
    }
    if (rows.length === 0) {
      return { kind: spec.kind, mode: options.mode, source: options.source, rowsRead: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0, written: false, errorCount: 0, errors: [], errorSummary: [], kept: [] };
    }
    const header = sentFields(rows[0]);
    const known = new Set(spec.columns.map((c) => c.name));
    const problems = [...header.filter((k) => !known.has(k) && known.has(k.trim().toLowerCase())).map((k) => `unknown column "${k}"`), ...headerProblems(spec, header)];
    if (problems.length) throw new ImportException(ImportExceptionCode.BadHeader, `The rows do not have the ${kind} columns: ${problems.join('; ')}`, { problems });
    const readers = cellReaders(spec);
    return this.run(spec, options, 'row', async (client) => {
      const lines = function* () {
        for (let i = 0; i < rows.length; i++) {
          const row = rows[i];
          if (i > 0 && i % 50_000 === 0) options.onProgress?.(i);
          yield copyLine(readers, i + 1, spec.columns.map((c) => row[c.name] ?? null));
        }
      };
      await pipeline(Readable.from(lines()), copyIntoStage(client, spec));
      return { header, rowsRead: rows.length };
    });
  }

  /**
   * In one of the process's import places, when it has them: the connection is opened once the import's turn came.
   * `rowWord`: what the refusals call a staged row (a file's `line`, a list's `row`), as the caller numbers them.
   */
  private async run(spec: ImportSpec, options: ImportOptions, rowWord: RowWord, stage: (client: pg.Client) => Promise<Staged>): Promise<ImportReport> {
    return this.places ? this.places.take(spec.kind, () => this.runOnConnection(spec, options, rowWord, stage)) : this.runOnConnection(spec, options, rowWord, stage);
  }

  /** Stage (by the caller), validate, then merge or roll back: one transaction on a connection of its own. */
  private async runOnConnection(spec: ImportSpec, options: ImportOptions, rowWord: RowWord, stage: (client: pg.Client) => Promise<Staged>): Promise<ImportReport> {
    // A server that takes no more connections (max_connections) or is not there fails the connect: the API answers it as
    // UNAVAILABLE/DATABASE_UNAVAILABLE, to retry, as it does any database out of reach.
    const client = new pg.Client(postgresConnection(this.databaseUrl, { application_name: `import ${spec.kind}`, connectionTimeoutMillis: CONNECT_TIMEOUT_MS }));
    // A connection lost under the import (PostgreSQL restarted, the session ended) fails the import's query under way;
    // without a listener the client's error event would end the whole process, the API and the worker of `npm start` with it.
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query('begin');
      // Times without a zone in the file are UTC; sorts and hashes over a large file stay in memory.
      await client.query(`set local timezone = 'UTC'`);
      await client.query(`set local work_mem = '64MB'`);
      await client.query(stageTableSql(spec));
      const { header, rowsRead } = await stage(client);
      options.onProgress?.(rowsRead);
      // Autovacuum never analyzes temporary tables: without statistics the planner guesses a few thousand rows.
      await client.query('analyze import_stage');

      // Time zones are checked as the API checks them (the runtime knows the name or alias), once per name the file gives.
      const fileTimeZones = fileTimeZonesSql(spec);
      if (fileTimeZones) {
        const names = (await client.query<{ name: string }>(fileTimeZones)).rows.map((r) => r.name);
        await client.query(timeZoneTableSql(), [names.filter(isTimeZone)]);
      }
      // Imports of one kind take turns from here to their commit (staging above runs side by side): two files with
      // overlapping new rows in different orders each inserted some of them first and then waited for the other's,
      // a deadlock. The later one sees what the first committed (an unchanged row, a reference now stored).
      await client.query(`select pg_advisory_xact_lock(hashtextextended('import:' || $1::text, 0))`, [spec.kind]);
      const customerLock = customerLockSql(spec);
      if (customerLock) await client.query(customerLock);
      // Customers first, then the file's stored rows, as an erasure takes a customer and then its complaints.
      const rowLock = storedRowLockSql(spec);
      if (rowLock) await client.query(rowLock);
      // The currency the database's amounts are in (recorded by the first API or worker), else this process's: a command-line
      // import run without CURRENCY against a USD deployment checks lines against USD, not the default.
      const currency = header.includes('currency') ? await storedCurrency(client, this.currency) : this.currency;
      await client.query(validationSql(spec, new Set(header), rowWord, currency));
      for (const statement of referralCycleChecks(spec, new Set(header))) await client.query(statement);
      const followUps = followUpChecks(spec, new Set(header), rowWord);
      if (followUps.length && (await client.query('select 1 from import_errors limit 1')).rowCount) {
        await client.query('analyze import_errors');
        for (const statement of followUps) await client.query(statement);
      }
      // References derived once for the checks and the merge: a line standing for an erased customer's order is refused.
      const missingRef = missingRefSql(spec);
      const deriveRefs = missingRef !== null && Boolean((await client.query<{ missing: boolean }>(missingRef)).rows[0].missing);
      if (deriveRefs) {
        for (const statement of derivedRefsSql(spec)) await client.query(statement);
        const erased = erasedDerivedRefSql(spec, rowWord);
        if (erased) await client.query(erased);
      }
      const revenueBound = revenueBoundSql(spec, deriveRefs, rowWord);
      if (revenueBound) await client.query(revenueBound);
      const { rows: counts } = await client.query<{ errors: string; rejected: string }>('select count(*) as errors, count(distinct row_no) as rejected from import_errors');
      const errorCount = Number(counts[0].errors);
      const rejected = Number(counts[0].rejected);
      const errors = (
        await client.query<{ row_no: number; field: string | null; message: string; code: ImportRowProblem }>(
          `select row_no, field, message, code from import_errors order by row_no, field nulls first, message limit ${MAX_LISTED_ERRORS}`,
        )
      ).rows.map((e) => ({ line: e.row_no, field: e.field, code: e.code, message: e.message }));
      const errorSummary =
        errorCount === 0
          ? []
          : (
              await client.query<{ field: string | null; code: ImportRowProblem; count: string; first_line: number }>(
                // Groups of one first line in the order of the columns (a whole-line error first).
                'select field, code, count(*) as count, min(row_no) as first_line from import_errors group by field, code order by first_line, array_position($1::text[], field) nulls first, field, code',
                [spec.columns.map((c) => c.name)],
              )
            ).rows.map((g) => ({ field: g.field, code: g.code, count: Number(g.count), firstLine: g.first_line }));
      const report: ImportReport = { kind: spec.kind, mode: options.mode, source: options.source, rowsRead, inserted: 0, updated: 0, unchanged: 0, rejected, written: false, errorCount, errors, errorSummary, kept: [] };

      // A file of only a header, like an empty list of rows, writes nothing and leaves no audit entry; so does a
      // good-rows import whose every row is refused (no good row to write).
      if (rowsRead === 0 || (errorCount > 0 && (options.mode === 'all-or-nothing' || rejected === rowsRead))) {
        await client.query('rollback');
        return report;
      }
      // The merge skips refused rows with an anti-join on import_errors: give the planner its size.
      if (errorCount > 0) await client.query('analyze import_errors');
      // What the file's customers' complaints were before it, to tell the ones it adds or reopens.
      const { complaintsReceived } = this.followUp;
      if (spec.kind === 'complaints') await client.query(COMPLAINTS_BEFORE_SQL);
      for (const statement of upsertSql(spec, new Set(header), deriveRefs, options.actor, this.onTimeGraceDays)) {
        const { rows } = await client.query<{ inserted?: string; updated?: string }>(statement);
        report.inserted += Number(rows[0]?.inserted ?? 0);
        report.updated += Number(rows[0]?.updated ?? 0);
      }
      report.written = true;
      report.unchanged = rowsRead - rejected - report.inserted - report.updated;
      // What a file gave that a decision made here kept (read after the merge, one count): said in the report, not just "unchanged".
      const kept = keptSql(spec, new Set(header));
      if (kept) {
        const counts = (await client.query<Record<string, string>>(kept)).rows[0];
        report.kept = (KEPT_BY_IMPORT[spec.kind]?.columns ?? []).filter((k) => Number(counts[k.column] ?? 0) > 0).map((k) => ({ field: k.column, rows: Number(counts[k.column]), why: k.why }));
      }
      await client.query(
        `insert into audit_entry (id, at, actor, action, entity_type, entity_id, before, after) values (gen_random_uuid(), now(), $1, $2, $3, null, null, $4)`,
        [options.actor, `import.${spec.kind}`, spec.kind, JSON.stringify({ source: options.source, mode: options.mode, rowsRead, inserted: report.inserted, updated: report.updated, unchanged: report.unchanged, rejected, ...(report.kept.length ? { kept: report.kept.map(({ field, rows }) => ({ field, rows })) } : {}) })],
      );
      const { invoicesPaid, invoicesCancelled, invoicesNotDue, customersLeft, customersChanged } = this.followUp;
      const paid = invoicesPaid && (spec.kind === 'invoices' || spec.kind === 'payments') ? await withReminderRunning(client, 'paid') : [];
      const cancelled = invoicesCancelled && spec.kind === 'invoices' ? await withReminderRunning(client, 'cancelled') : [];
      const notDue = invoicesNotDue && spec.kind === 'invoices' ? await withReminderRunning(client, 'not-due') : [];
      const left = customersLeft && spec.kind === 'customers' ? await offboardedWithRunsRunning(client) : [];
      const changed = customersChanged && (spec.kind === 'complaints' || spec.kind === 'invoices' || spec.kind === 'payments') ? await customersOfFile(client, spec.kind) : [];
      const received = complaintsReceived && spec.kind === 'complaints' ? (await client.query<{ customerId: string; topic: string }>(COMPLAINTS_RECEIVED_SQL)).rows : [];
      // With the complaints in, however many: a welcome still queued for one who complained no longer asks whether everything works.
      if (spec.kind === 'complaints') await client.query(welcomeHeldAtComplaintSql(COMPLAINANTS_SQL));
      // Nor is a review's proposal still queued to ask them to take a lesser service (audited; the review hears of it in the follow-up).
      if (spec.kind === 'complaints') await client.query(proposalHeldAtComplaintAuditedSql(COMPLAINANTS_SQL, options.actor));
      await client.query('commit');
      // Committed: a run not told now sees the payment at the run reconciliation (every few minutes) or its next step.
      if (paid.length) await invoicesPaid!(paid).catch(() => undefined);
      if (cancelled.length) await invoicesCancelled!(cancelled).catch(() => undefined);
      if (notDue.length) await invoicesNotDue!(notDue).catch(() => undefined);
      if (left.length) await customersLeft!(left).catch(() => undefined);
      // (A score not rescored now is at the nightly rescore.)
      if (changed.length && changed.length <= RESCORED_AT_ONCE) await customersChanged!(spec.kind as 'complaints' | 'invoices' | 'payments', changed).catch(() => undefined);
      // After the rescore, as recordComplaint does: the fix goes by the topic's complaints as they are now.
      if (received.length && received.length <= RESCORED_AT_ONCE) await complaintsReceived!(received).catch(() => undefined);
      return report;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw concurrentChange(error) ?? error;
    } finally {
      await client.end();
    }
  }
}

/** What PostgreSQL is told when the import stops sending the file: the reason is the import's own, thrown to the caller. */
const COPY_STOPPED = 'the import stopped sending the file';

/**
 * The COPY into the stage table. A stage that fails (a refused header, a record the CSV parser cannot read) ends the
 * COPY with a message to PostgreSQL, which takes one of at most 10,000 bytes and drops the connection on a longer one:
 * so it is told a fixed text, never the failure's own message (which may quote the file).
 */
function copyIntoStage(client: pg.Client, spec: ImportSpec): Writable {
  const copy = client.query(copyFrom(`copy import_stage (${stageColumns(spec).join(', ')}) from stdin`));
  const destroy = copy.destroy.bind(copy);
  copy.destroy = (error?: Error) => destroy(error ? new Error(COPY_STOPPED) : undefined);
  return copy;
}

/**
 * A deadlock or serialization failure (with an import of another kind, an erasure, an API call on the same rows) as
 * the retryable refusal it is, IMPORT_CONCURRENT_CHANGE, instead of a raw database error; null for any other error.
 */
export function concurrentChange(error: unknown): ImportException | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== '40P01' && code !== '40001') return null;
  return new ImportException(
    ImportExceptionCode.ConcurrentChange,
    'Another import or change held the same rows at the same moment (the database broke a deadlock by stopping this import): nothing was written, run it again',
    { retry: true },
  );
}

/** The currency recorded for the database's amounts (`deployment_setting`, app/process-database.ts), or `configured` before one is. */
async function storedCurrency(client: pg.Client, configured: string): Promise<string> {
  const { rows } = await client.query<{ value: string }>(`select value from deployment_setting where name = 'currency'`);
  return rows[0]?.value ?? configured;
}

/** Customers an import rescores at once, at most; a larger file's are rescored by the nightly run. */
export const RESCORED_AT_ONCE = 1_000;

/** The customers the file's complaints, invoices or payments belong to (refused rows' too: a rescore changes nothing then). */
async function customersOfFile(client: pg.Client, kind: 'complaints' | 'invoices' | 'payments'): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(
    kind === 'payments'
      ? `select distinct i.customer_id as id from invoice i where i.external_ref in (select btrim(invoice_ref) from import_stage) limit ${RESCORED_AT_ONCE + 1}`
      : `select c.id from customer c where c.external_ref in (select btrim(customer_ref) from import_stage) limit ${RESCORED_AT_ONCE + 1}`,
  );
  return rows.map((r) => r.id);
}

/** The file's customers' complaints before the file is written: each one's reopen count. */
const COMPLAINTS_BEFORE_SQL = `create temp table complaints_before on commit drop as
  select cp.id, cp.reopened_count from complaint cp join customer c on c.id = cp.customer_id
   where c.external_ref in (select btrim(customer_ref) from import_stage)`;

/** The customers of the complaints the file added or reopened. */
const COMPLAINANTS_SQL = `select cp.customer_id from complaint cp join customer c on c.id = cp.customer_id
   where c.external_ref in (select btrim(customer_ref) from import_stage)
     and not exists (select 1 from complaints_before b where b.id = cp.id and b.reopened_count >= cp.reopened_count)`;

/** The (customer, topic) of each complaint the file added or reopened, at most one over RESCORED_AT_ONCE. */
const COMPLAINTS_RECEIVED_SQL = `select cp.customer_id as "customerId", cp.topic from complaint cp join customer c on c.id = cp.customer_id
   where c.external_ref in (select btrim(customer_ref) from import_stage)
     and not exists (select 1 from complaints_before b where b.id = cp.id and b.reopened_count >= cp.reopened_count)
   group by 1, 2 order by 1, 2 limit ${RESCORED_AT_ONCE + 1}`;

/** The file's invoices it left paid (or cancelled) whose customer has a reminder run under way (which may be of one of them). */
/** The file's customers it left offboarded who have a run under way (the follow-up leaves those it must not cancel). */
async function offboardedWithRunsRunning(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(
    `select c.id from customer c
      where c.status = 'offboarded' and c.external_ref in (select btrim(customer_ref) from import_stage)
        and exists (select 1 from playbook_run r where r.customer_id = c.id and r.status = 'running')`,
  );
  return rows.map((r) => r.id);
}

async function withReminderRunning(client: pg.Client, left: 'paid' | 'cancelled' | 'not-due'): Promise<string[]> {
  const which = left === 'not-due' ? notOverdueSql('i') : `i.${left === 'paid' ? 'paid_at' : 'cancelled_at'} is not null`;
  const { rows } = await client.query<{ id: string }>(
    `select i.id from invoice i
      where ${which} and i.external_ref in (select btrim(invoice_ref) from import_stage)
        and exists (select 1 from playbook_run r where r.customer_id = i.customer_id and r.playbook = $1 and r.status = 'running')`,
    [FAIR_REMINDER],
  );
  return rows.map((r) => r.id);
}

