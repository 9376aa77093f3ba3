import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { headerProblems, importSpecs, isImportKind, type ImportKind } from '../../domain/import/import-spec.js';
import { ImportException, ImportExceptionCode } from './import.exception.js';
import { stageTableSql, upsertSql, validationSql } from './import-sql.js';

export type ImportMode = 'all-or-nothing' | 'good-rows';

export interface ImportRowError {
  /** Line in the file (the header is line 1). */
  line: number;
  /** Column the problem is in; null for a malformed line. */
  field: string | null;
  message: string;
}

export interface ImportReport {
  kind: ImportKind;
  mode: ImportMode;
  source: string;
  rowsRead: number;
  inserted: number;
  updated: number;
  /** Rows with at least one error. */
  rejected: number;
  /** False when nothing was written (all-or-nothing with errors). */
  written: boolean;
  errorCount: number;
  /** The first errors, in line order (at most MAX_LISTED_ERRORS). */
  errors: ImportRowError[];
}

export const MAX_LISTED_ERRORS = 1000;

export interface ImportOptions {
  mode: ImportMode;
  /** Who imports (caller ID or `cli:<user>`), for the audit log. */
  actor: string;
  /** File name or "graphql", for the report and the audit log. */
  source: string;
  onProgress?: (rowsRead: number) => void;
}

const copyField = (value: string | null) => (value === null ? '\\N' : value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r'));

/**
 * Bulk import of customer data from CSV. The file streams through csv-parse into a
 * temporary table with COPY (memory stays flat for millions of rows), is validated
 * set-based in SQL (every bad row reported with its line and field), then merged
 * by the source system's reference (a re-import updates, never duplicates) — all in
 * one transaction: with errors, all-or-nothing writes nothing; good-rows writes the rest.
 */
export class ImportService {
  constructor(private readonly databaseUrl: string) {}

  async importCsv(kind: string, csv: Readable, options: ImportOptions): Promise<ImportReport> {
    if (!isImportKind(kind)) {
      throw new ImportException(ImportExceptionCode.UnknownKind, `"${kind}" is not an import kind (${Object.keys(importSpecs).join(', ')})`, { field: 'kind' });
    }
    const spec = importSpecs[kind];
    const client = new pg.Client({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      await client.query('begin');
      // Times without a zone in the file are UTC.
      await client.query(`set local timezone = 'UTC'`);
      await client.query(stageTableSql(spec));

      let header: string[] | null = null;
      let positions: number[] = [];
      let rowsRead = 0;
      // Every spec column is staged; a column the file lacks stays null.
      const columns = ['row_no', '_shape_error', ...spec.columns.map((c) => c.name)];
      const toCopy = new Transform({
        objectMode: true,
        transform: (chunk: { record: string[]; info: { lines: number } }, _enc, done) => {
          const { record, info } = chunk;
          if (!header) {
            header = record.map((h) => h.trim().toLowerCase());
            const problems = headerProblems(spec, header);
            if (problems.length) return done(new ImportException(ImportExceptionCode.BadHeader, `The header is not a ${kind} header: ${problems.join('; ')}`, { problems }));
            positions = spec.columns.map((c) => header!.indexOf(c.name));
            return done();
          }
          rowsRead++;
          if (rowsRead % 50_000 === 0) options.onProgress?.(rowsRead);
          const shapeError = record.length === header.length ? null : `has ${record.length} fields, the header has ${header.length}`;
          const values = positions.map((i) => (shapeError || i < 0 ? null : record[i]));
          done(null, [String(info.lines), shapeError, ...values].map(copyField).join('\t') + '\n');
        },
      });
      try {
        await pipeline(
          csv,
          parse({ bom: true, skip_empty_lines: true, relax_column_count: true, info: true }),
          toCopy,
          client.query(copyFrom(`copy import_stage (${columns.join(', ')}) from stdin`)),
        );
      } catch (error) {
        if (error instanceof ImportException) throw error;
        throw new ImportException(ImportExceptionCode.UnreadableCsv, `The CSV cannot be read: ${(error as Error).message}`, {});
      }
      if (header === null) throw new ImportException(ImportExceptionCode.EmptyFile, 'The file has no header line', {});
      options.onProgress?.(rowsRead);

      await client.query(validationSql(spec));
      const errorCount = Number((await client.query<{ n: string }>('select count(*) as n from import_errors')).rows[0].n);
      const rejected = Number((await client.query<{ n: string }>('select count(distinct row_no) as n from import_errors')).rows[0].n);
      const errors = (
        await client.query<{ row_no: number; field: string | null; message: string }>(`select row_no, field, message from import_errors order by row_no, field nulls first limit ${MAX_LISTED_ERRORS}`)
      ).rows.map((e) => ({ line: e.row_no, field: e.field, message: e.message }));
      const report: ImportReport = { kind, mode: options.mode, source: options.source, rowsRead, inserted: 0, updated: 0, rejected, written: false, errorCount, errors };

      if (errorCount > 0 && options.mode === 'all-or-nothing') {
        await client.query('rollback');
        return report;
      }
      for (const statement of upsertSql(spec, new Set(header as string[]))) {
        const { rows } = await client.query<{ inserted?: string; updated?: string }>(statement);
        if (rows[0]?.inserted !== undefined) {
          report.inserted += Number(rows[0].inserted);
          report.updated += Number(rows[0].updated);
        }
      }
      report.written = true;
      await client.query(
        `insert into audit_entry (id, at, actor, action, entity_type, entity_id, before, after) values (gen_random_uuid(), now(), $1, $2, $3, null, null, $4)`,
        [options.actor, `import.${kind}`, kind, JSON.stringify({ source: options.source, mode: options.mode, rowsRead, inserted: report.inserted, updated: report.updated, rejected })],
      );
      await client.query('commit');
      return report;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      await client.end();
    }
  }

  /** The same import from CSV text (the GraphQL bulk mutation). */
  importCsvText(kind: string, csv: string, options: ImportOptions): Promise<ImportReport> {
    return this.importCsv(kind, Readable.from([csv]), options);
  }
}
