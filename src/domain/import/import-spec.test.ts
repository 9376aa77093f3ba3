import { COMPLAINT_SUMMARY_MAX_LENGTH } from '../complaints/summary.js';
import { CUSTOMER_NAME_MAX_LENGTH, EMAIL_PATTERN, PHONE } from '../customers/contact.js';
import { MAX_OFFER_DESCRIPTION, OFFER_NAME_MAX_LENGTH } from '../offers/offer-text.js';
import { parse } from 'csv-parse/sync';
import { parse as parseStream } from 'csv-parse';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CSV_READING, TIME_ZONE_TABLE, columnField, csvPosition, csvReadProblem, emptyRecord, fieldColumn, headerProblems, importSpecs, isImportKind, recordLines, unevenRow, valueCheck, type ColumnSpec } from './import-spec.js';

const column = (kind: keyof typeof importSpecs, name: string): ColumnSpec => importSpecs[kind].columns.find((c) => c.name === name)!;

describe('import specs', () => {
  it('accept a header with the required columns in any order and any case', () => {
    expect(headerProblems(importSpecs.orders, ['Amount', 'ordered_at', 'customer_ref'])).toEqual([]);
    // A spreadsheet's export with another separator: the names are right, the separator is said.
    expect(headerProblems(importSpecs.orders, ['customer_ref;ordered_at;amount'])).toEqual([
      'the header is one column "customer_ref;ordered_at;amount": the file seems separated by ";", and the import reads commas (export the file comma-separated)',
    ]);
    expect(headerProblems(importSpecs.orders, ['customer_ref\tordered_at\tamount'])[0]).toMatch(/separated by tabs/);
    expect(headerProblems(importSpecs.orders, ['customer_ref ordered_at amount'])[0]).toMatch(/separated by spaces/);
  });

  it('name missing, unknown and repeated columns', () => {
    expect(headerProblems(importSpecs.orders, ['customer_ref', 'amount', 'amount', 'colour'])).toEqual([
      'missing required column "ordered_at"',
      'unknown column "colour" (orders takes customer_ref, ordered_at, amount, margin, order_ref, currency)',
      'column "amount" appears twice',
    ]);
  });

  it('know their kinds', () => {
    expect(isImportKind('orders')).toBe(true);
    expect(isImportKind('payments-and-more')).toBe(false);
  });

  it('bound every free text by the length the API takes for the same field', () => {
    const bounds = Object.values(importSpecs).flatMap((s) => s.columns.filter((c) => c.type === 'text').map((c) => [`${s.kind}.${c.name}`, c.maxLength, valueCheck(c)]));
    expect(bounds).toEqual([
      ['customers.name', CUSTOMER_NAME_MAX_LENGTH, { badWhen: 'length(v) > 200', message: 'is longer than 200 characters' }],
      ['complaints.summary', COMPLAINT_SUMMARY_MAX_LENGTH, { badWhen: 'length(v) > 2000', message: 'is longer than 2000 characters' }],
      ['offers.name', OFFER_NAME_MAX_LENGTH, { badWhen: 'length(v) > 200', message: 'is longer than 200 characters' }],
      ['offers.description', MAX_OFFER_DESCRIPTION, { badWhen: 'length(v) > 1000', message: 'is longer than 1000 characters' }],
    ]);
    expect(valueCheck(column('customers', 'phone')).badWhen).toContain(PHONE.source);
    expect(valueCheck(column('complaints', 'severity')).message).toBe('is not one of low, medium, high, critical');
  });

  it('check e-mail addresses and time zones by the rules the API uses', () => {
    expect(valueCheck(column('customers', 'email')).badWhen).toContain(EMAIL_PATTERN);
    expect(valueCheck(column('customers', 'email')).badWhen).toContain('length(v) > 254');
    expect(valueCheck(column('customers', 'time_zone')).badWhen).toContain(TIME_ZONE_TABLE);
    expect(valueCheck(column('customers', 'time_zone')).badWhen).not.toContain('pg_timezone_names');
  });

  it('check a cost quantity as a number instead of dropping a bad one', () => {
    expect(column('costs', 'quantity').type).toBe('number');
    expect(valueCheck(column('costs', 'quantity')).message).toBe('is not a number (at most 6 decimals)');
  });

  it('require exactly the columns the issue names, and each kind its reference column', () => {
    const required = (kind: keyof typeof importSpecs) => importSpecs[kind].columns.filter((c) => c.required).map((c) => c.name);
    expect(required('customers')).toEqual(['customer_ref', 'name', 'email']);
    expect(required('orders')).toEqual(['customer_ref', 'ordered_at', 'amount']);
    expect(required('invoices')).toEqual(['invoice_ref', 'customer_ref', 'issued_at', 'due_at', 'amount']);
    expect(required('payments')).toEqual(['invoice_ref', 'paid_at', 'amount']);
    expect(required('complaints')).toEqual(['complaint_ref', 'customer_ref', 'topic', 'severity', 'opened_at']);
    expect(required('costs')).toEqual(['cost_ref', 'customer_ref', 'occurred_at', 'kind', 'amount']);
    for (const spec of Object.values(importSpecs)) expect(spec.columns.map((c) => c.name)).toContain(spec.refColumn);
  });

  it('let money be negative only for the order margin', () => {
    const signed = Object.values(importSpecs).flatMap((s) => s.columns.filter((c) => c.type === 'signed-money').map((c) => `${s.kind}.${c.name}`));
    expect(signed).toEqual(['orders.margin']);
  });
});

describe('unevenRow', () => {
  it('accepts rows that send the same fields, null and empty included, and names the first row that does not', () => {
    expect(unevenRow([])).toBeNull();
    expect(unevenRow([{ a: '1', b: null }, { b: '', a: '2', c: undefined }])).toBeNull();
    expect(unevenRow([{ a: '1', b: '2' }, { a: '1', b: null }, { a: '3' }])).toEqual({ row: 3, field: 'b', sentByFirst: true });
    expect(unevenRow([{ a: '1' }, { a: '1', b: undefined }, { a: '2', b: '2' }])).toEqual({ row: 3, field: 'b', sentByFirst: false });
  });
});

describe('recordLines', () => {
  it('numbers the lines a record starts and ends on as the file has them, whatever line breaks its quoted fields hold', () => {
    const lines = recordLines();
    expect(lines(1, ['a', 'b'])).toEqual({ start: 1, end: 1 });
    expect(lines(3, ['1', 'two\nlines'])).toEqual({ start: 2, end: 3 });
    // csv-parse counts this \r\n twice (it says 6): the record is on lines 4 and 5, and the next one on 6, not 7.
    expect(lines(6, ['x\r\ny', 'w'])).toEqual({ start: 4, end: 5 });
    expect(lines(7, ['z', 'v'])).toEqual({ start: 6, end: 6 });
  });

  it('agree with csv-parse reading a Windows file whose quoted cells hold line breaks', () => {
    const text = 'a,b\r\nx,1\r\ny,"2\r\nz"\r\nw,3\r\nq,"4\r\n\r\n5"\r\nr,6\r\n';
    const lines = recordLines();
    const records = parse(text, CSV_READING) as unknown as { record: string[]; info: { lines: number } }[];
    const starts = records.map(({ record, info }) => lines(info.lines, record).start);
    expect(starts).toEqual([1, 2, 3, 5, 6, 9]);
  });
});

describe('csvReadProblem', () => {
  it('names the line the record it cannot read starts on: after the last whole record and the empty lines skipped since', () => {
    // The last record ended on line 3, with 2 empty lines skipped before it; the parser had skipped 5 when it failed.
    expect(csvReadProblem({ code: 'CSV_QUOTE_NOT_CLOSED', lines: 12, empty_lines: 5 }, 3, 2)).toEqual({
      message: 'The CSV cannot be read: a quote opened in the record starting on line 7 is never closed',
      line: 7,
    });
    expect(csvReadProblem({ code: 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE', lines: 7, empty_lines: 3, message: 'Invalid Closing Quote' }, 1, 0)).toEqual({
      message: 'The CSV cannot be read in the record starting on line 5: Invalid Closing Quote',
      line: 5,
    });
    expect(csvReadProblem(new Error('boom'), 1)).toEqual({ message: 'The CSV cannot be read: boom' });
  });
});

describe('csvPosition', () => {
  it('names the line of a record the parser cannot read by where the parser is, whatever a slow consumer has taken', async () => {
    const csv = `a,b\n${Array.from({ length: 2_000 }, (_, i) => `x,${i}`).join('\n')}\n"x,unclosed\n`;
    const position = csvPosition();
    let taken = 0;
    // A consumer slower than the parser (as the COPY to the database is): the parser is records ahead of it when it fails.
    const slow = new Writable({ objectMode: true, highWaterMark: 1, write: (_record, _enc, done) => void setTimeout(() => ((taken += 1), done()), 1) });
    const failed = await pipeline(Readable.from([csv]), parseStream({ ...CSV_READING, on_record: position.onRecord }), slow).catch((error: unknown) => error);
    expect(position.readProblem(failed)).toMatchObject({ line: 2_002 });
    // What the consumer had taken would have named a line before it.
    expect(taken).toBeLessThan(2_001);
  });
});

describe('GraphQL field names of CSV columns', () => {
  it('are camelCase and map back to every column of every kind', () => {
    expect(columnField('customer_ref')).toBe('customerRef');
    expect(columnField('reminders_sent')).toBe('remindersSent');
    expect(columnField('name')).toBe('name');
    expect(fieldColumn('marketingConsent')).toBe('marketing_consent');
    for (const spec of Object.values(importSpecs)) for (const c of spec.columns) expect(fieldColumn(columnField(c.name))).toBe(c.name);
  });

  it('take a record of only empty cells (a spreadsheet\'s ghost row, `,,,,`) as empty, as an empty line, and no other', () => {
    const records = (parse(',,,,\n , \t,"",\u00a0,\na,,,,\n,,,,0\n', { ...CSV_READING, info: false }) as string[][]);
    expect(records.map(emptyRecord)).toEqual([true, true, false, false]);
  });
});
