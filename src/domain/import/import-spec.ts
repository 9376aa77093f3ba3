import { COMPLAINT_SUMMARY_MAX_LENGTH } from '../complaints/summary.js';
import { NOT_A_TOPIC_KEY, TOPIC_KEY, TOPIC_MAX_LENGTH } from '../complaints/topic.js';
import { CUSTOMER_NAME_MAX_LENGTH, EMAIL_MAX_LENGTH, EMAIL_PATTERN, LOCALE_PATTERN, PHONE, PHONE_RULE } from '../customers/contact.js';
import { amountPattern, MAX_AMOUNT_INTEGER_DIGITS } from '../money.js';
import { DISCOUNT_PERCENT, MAX_OFFER_DESCRIPTION, OFFER_NAME_MAX_LENGTH } from '../offers/offer-text.js';
import { echoed, hiddenCharacter, INVISIBLE_OR_CONTROL, NOT_SHOWN } from '../text.js';

/**
 * The CSV formats of the import path, as data: which columns each kind has, their
 * types and whether they are required. Validation SQL and documentation are
 * derived from these specs, so the three cannot drift apart.
 */
export type ColumnType = 'text' | 'phone' | 'email' | 'date' | 'timestamp' | 'money' | 'signed-money' | 'int' | 'number' | 'bool' | 'enum' | 'timezone' | 'locale' | 'ref' | 'topic' | 'currency';

/** The temporary table the import fills with the time zones the application accepts (isTimeZone). */
export const TIME_ZONE_TABLE = 'import_time_zone';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  required: boolean;
  /** Allowed values of an enum column (compared case-insensitively). */
  values?: readonly string[];
  /** A date or time of something that has happened: refused when later than now (domain/latest-time.ts: a date after today at UTC+14, a time beyond a minute ahead). */
  past?: boolean;
  /** The most characters of a text column: the API's bound for the same field. */
  maxLength?: number;
  /** The bounds of a whole-number column the API bounds (an offer's discount), named when a value is no whole number. */
  range?: { readonly min: number; readonly max: number };
  /** A name shown as written (a customer's, an offer's: e-mails, lists): refused with a control or invisible character, as the API refuses one (a joiner between two characters that show is spelling). */
  shownName?: boolean;
}

/** The longest reference (`customer_ref`, `complaint_ref`, ...) an import or recordComplaint's complaintRef takes, in characters. */
export const REF_MAX_LENGTH = 200;

export type ImportKind = 'customers' | 'orders' | 'invoices' | 'payments' | 'complaints' | 'costs' | 'offers';

export interface ImportSpec {
  kind: ImportKind;
  /** The column holding the source system's reference; re-imports match on it. */
  refColumn: string;
  /** The reference is matched upper-cased (offer codes: "loyal10" is LOYAL10). */
  refUpperCase?: boolean;
  columns: readonly ColumnSpec[];
}

const col = (name: string, type: ColumnType, required = false, values?: readonly string[]): ColumnSpec => ({ name, type, required, values });
/** Free text of at most `maxLength` characters, as the API takes it. */
const text = (name: string, maxLength: number, required = false): ColumnSpec => ({ name, type: 'text', required, maxLength });
/**
 * The currency of a line's amounts, optional in every kind that carries money: every amount is in the deployment's
 * currency (`CURRENCY`), so a billing export with such a column has each line's checked against it (one in another
 * currency is refused, naming both codes) rather than its dollars or pounds stored as euros without a word. Not stored.
 */
const currency = (): ColumnSpec => col('currency', 'currency');
/** A date or time column of something that has happened. */
const happened = (name: string, type: 'date' | 'timestamp', required = false): ColumnSpec => ({ name, type, required, past: true });

export const importSpecs: Record<ImportKind, ImportSpec> = {
  customers: {
    kind: 'customers',
    refColumn: 'customer_ref',
    columns: [
      col('customer_ref', 'ref', true),
      { ...text('name', CUSTOMER_NAME_MAX_LENGTH, true), shownName: true },
      col('email', 'email', true),
      col('phone', 'phone'),
      col('time_zone', 'timezone'),
      col('locale', 'locale'),
      col('service_tier', 'enum', false, ['basic', 'standard', 'premium']),
      col('status', 'enum', false, ['active', 'offboarding', 'offboarded']),
      col('marketing_consent', 'bool'),
      col('referrer_ref', 'ref'),
      happened('acquired_at', 'date'),
      // The day a customer imported as offboarded left (the retention period counts from it); without it, the import's time.
      happened('offboarded_at', 'date'),
    ],
  },
  orders: {
    kind: 'orders',
    refColumn: 'order_ref',
    columns: [col('customer_ref', 'ref', true), happened('ordered_at', 'timestamp', true), col('amount', 'money', true), col('margin', 'signed-money'), col('order_ref', 'ref'), currency()],
  },
  invoices: {
    kind: 'invoices',
    refColumn: 'invoice_ref',
    columns: [
      col('invoice_ref', 'ref', true),
      col('customer_ref', 'ref', true),
      happened('issued_at', 'date', true),
      col('due_at', 'date', true),
      col('amount', 'money', true),
      happened('paid_at', 'date'),
      happened('cancelled_at', 'date'),
      col('reminders_sent', 'int'),
      col('fee_charged', 'money'),
      col('fee_waived', 'money'),
      currency(),
    ],
  },
  payments: {
    kind: 'payments',
    refColumn: 'payment_ref',
    columns: [col('invoice_ref', 'ref', true), happened('paid_at', 'date', true), col('amount', 'money', true), col('payment_ref', 'ref'), currency()],
  },
  complaints: {
    kind: 'complaints',
    refColumn: 'complaint_ref',
    columns: [
      col('complaint_ref', 'ref', true),
      col('customer_ref', 'ref', true),
      col('topic', 'topic', true),
      col('severity', 'enum', true, ['low', 'medium', 'high', 'critical']),
      happened('opened_at', 'timestamp', true),
      happened('resolved_at', 'timestamp'),
      col('reopened_count', 'int'),
      happened('reopened_at', 'timestamp'),
      col('handling_cost', 'money'),
      col('product_defect', 'bool'),
      text('summary', COMPLAINT_SUMMARY_MAX_LENGTH),
      currency(),
    ],
  },
  costs: {
    kind: 'costs',
    refColumn: 'cost_ref',
    columns: [
      col('cost_ref', 'ref', true),
      col('customer_ref', 'ref', true),
      happened('occurred_at', 'date', true),
      col('kind', 'enum', true, ['support_minutes', 'return', 'discount', 'reminder', 'other']),
      col('amount', 'money', true),
      col('quantity', 'number'),
      currency(),
    ],
  },
  offers: {
    kind: 'offers',
    refColumn: 'code',
    refUpperCase: true,
    columns: [
      col('code', 'ref', true),
      { ...text('name', OFFER_NAME_MAX_LENGTH, true), shownName: true },
      text('description', MAX_OFFER_DESCRIPTION),
      col('audience', 'enum', true, ['new', 'existing', 'all']),
      { ...col('discount_percent', 'int'), range: DISCOUNT_PERCENT },
      col('service_tier', 'enum', false, ['basic', 'standard', 'premium']),
      col('valid_from', 'date', true),
      col('valid_until', 'date'),
    ],
  },
};

export function isImportKind(value: string): value is ImportKind {
  return value in importSpecs;
}

/** What is wrong with a line of an import, for a front end to group and explain the errors by (the message says it in words). */
export enum ImportRowProblem {
  /** The line as a whole: another number of fields than the header, a NUL character. */
  MalformedLine = 'MALFORMED_LINE',
  Required = 'REQUIRED',
  /** Not a value of the column's type (a date, an amount, one of a list, ...), or out of its range. */
  InvalidValue = 'INVALID_VALUE',
  InTheFuture = 'IN_THE_FUTURE',
  BeforeEarliestDay = 'BEFORE_EARLIEST_DAY',
  /** An earlier line of the file has the same reference. */
  DuplicateReference = 'DUPLICATE_REFERENCE',
  /** A customer, referrer or invoice the file names that is neither stored nor in the file. */
  UnknownReference = 'UNKNOWN_REFERENCE',
  /** A date before one it must follow: due before issued, resolved before opened, ... */
  OutOfOrder = 'OUT_OF_ORDER',
  /** A customer referring themselves, or referrals going round in a circle. */
  ReferralCircle = 'REFERRAL_CIRCLE',
  /** The referrer's own line in the file is refused. */
  ReferrerRefused = 'REFERRER_REFUSED',
  /** A row missing one of two columns of which it needs at least one (an offer's discount or tier). */
  Incomplete = 'INCOMPLETE',
  /** A day the customer left (offboarded_at) given for a customer whose status (the file's, else as stored) is not offboarded. */
  NotOffboarded = 'NOT_OFFBOARDED',
  /** An order, invoice, complaint or cost stored for a customer who was erased: it stays theirs, apart from anyone imported since. */
  ErasedCustomer = 'ERASED_CUSTOMER',
  /** An order, invoice, complaint or cost entry stored for another customer than the line names: an import does not move it (its history is that customer's). */
  OtherCustomer = 'OTHER_CUSTOMER',
}

/**
 * Problems with a header row: missing required columns, unknown or repeated ones (unknown ones
 * not, with `ignoreUnknown`: a reader that takes only some columns). A header
 * that is one cell holding the names split by another sign (a spreadsheet's export with `;`, a
 * tab-separated file) is said to be that, first: the names are right, the separator is not.
 */
export function headerProblems(spec: ImportSpec, header: readonly string[], ignoreUnknown = false): string[] {
  const names = header.map((h) => h.trim().toLowerCase());
  const separator = names.length === 1 ? [';', '\t', '|'].find((sign) => names[0].includes(sign)) ?? (/\S\s+\S/.test(names[0]) ? 'spaces' : null) : null;
  if (separator) return [`the header is one column "${echoed(header[0])}": the file seems separated by ${separator === '\t' ? 'tabs' : separator === 'spaces' ? 'spaces' : `"${separator}"`}, and the import reads commas (export the file comma-separated)`];
  const known = new Set(spec.columns.map((c) => c.name));
  const problems: string[] = [];
  for (const c of spec.columns) if (c.required && !names.includes(c.name)) problems.push(`missing required column "${c.name}"`);
  const unnamed = names.flatMap((n, i) => (n === '' ? [i + 1] : []));
  if (unnamed.length) problems.push(`no column name at position${unnamed.length > 1 ? 's' : ''} ${unnamed.join(', ')} (name ${unnamed.length > 1 ? 'them' : 'it'}, or remove the column${unnamed.length > 1 ? 's' : ''})`);
  // Quoted cut (echoed): a file of the wrong kind may have a whole data row, or a long cell, for its header.
  if (!ignoreUnknown) for (const n of names) if (n !== '' && !known.has(n)) problems.push(`unknown column "${echoed(n)}" (${spec.kind} takes ${spec.columns.map((c) => c.name).join(', ')})`);
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n) && n !== '') problems.push(`column "${echoed(n)}" appears twice`);
    seen.add(n);
  }
  return problems;
}

/** A field `row` sends: a key whose value is not undefined (null or '' is an empty cell, still sent). */
export const sentFields = (row: Readonly<Record<string, unknown>>) => Object.keys(row).filter((k) => row[k] !== undefined);

/**
 * The first row (from 1) that does not send the same fields as the first row, and a field
 * that differs; null when all send the same. Rows given as a list update stored ones like
 * the lines of a file under one header: a field one row left out while another sent it
 * would be an empty cell, clearing that row's stored value, so such a list is refused.
 */
export function unevenRow(rows: readonly Readonly<Record<string, unknown>>[]): { row: number; field: string; sentByFirst: boolean } | null {
  if (rows.length === 0) return null;
  const first = new Set(sentFields(rows[0]));
  for (let i = 1; i < rows.length; i++) {
    const sent = sentFields(rows[i]);
    const extra = sent.find((f) => !first.has(f));
    if (extra !== undefined) return { row: i + 1, field: extra, sentByFirst: false };
    if (sent.length < first.size) return { row: i + 1, field: [...first].find((f) => rows[i][f] === undefined)!, sentByFirst: true };
  }
  return null;
}

/** What an amount may be (domain/money.ts), as a refusal names it: the digits before the point as well as after it. */
const AMOUNT_RULE = `${MAX_AMOUNT_INTEGER_DIGITS} integer digits and 2 decimals`;
const LARGEST_AMOUNT = `${'9'.repeat(MAX_AMOUNT_INTEGER_DIGITS)}.99`;

/** The check, as a condition on the column's trimmed text `v` (never null here), that makes a value bad, and what to say. */
export function valueCheck(column: ColumnSpec): { badWhen: string; message: string } {
  switch (column.type) {
    case 'email':
      return { badWhen: `length(v) > ${EMAIL_MAX_LENGTH} or v !~ '${EMAIL_PATTERN}'`, message: 'is not an e-mail address' };
    case 'date':
      // Staged as its day when a spreadsheet saved it as midnight (dayCell); any other time is no day.
      return { badWhen: `v !~ '^\\d{4}-\\d{2}-\\d{2}$' or not pg_input_is_valid(v, 'date')`, message: 'is not a date (YYYY-MM-DD, or that day at 00:00 UTC as a spreadsheet saves it)' };
    case 'timestamp':
      return {
        badWhen: `v !~ '^\\d{4}-\\d{2}-\\d{2}([T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}(:?\\d{2})?)?)?$' or not pg_input_is_valid(v, 'timestamptz')`,
        message: 'is not a date or ISO time (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)',
      };
    case 'money':
      return { badWhen: `v !~ '${amountPattern()}'`, message: `is not an amount >= 0 with at most ${AMOUNT_RULE} (at most ${LARGEST_AMOUNT})` };
    case 'signed-money':
      return { badWhen: `v !~ '${amountPattern(true)}'`, message: `is not an amount with at most ${AMOUNT_RULE} (-${LARGEST_AMOUNT} to ${LARGEST_AMOUNT})` };
    case 'int':
      // One the API bounds is named with its bounds ("10.5" for a discount of 1 to 100), the range itself checked apart.
      return { badWhen: `v !~ '^\\d{1,9}$'`, message: column.range ? `is not a whole number from ${column.range.min} to ${column.range.max}` : 'is not a whole number >= 0' };
    case 'number':
      return { badWhen: `v !~ '^-?\\d{1,15}(\\.\\d{1,6})?$'`, message: 'is not a number (at most 6 decimals)' };
    case 'bool':
      return { badWhen: `lower(v) not in ('true', 'false', '1', '0', 'yes', 'no')`, message: 'is not true or false' };
    case 'enum':
      return { badWhen: `lower(v) not in (${column.values!.map((x) => `'${x}'`).join(', ')})`, message: `is not one of ${column.values!.join(', ')}` };
    case 'timezone':
      // The application's list (Intl), not PostgreSQL's: quiet hours are computed with Intl.
      return { badWhen: `not exists (select 1 from ${TIME_ZONE_TABLE} z where z.name = v)`, message: 'is not an IANA time zone (e.g. Europe/Berlin)' };
    case 'locale':
      return { badWhen: `v !~ '${LOCALE_PATTERN}'`, message: 'is not a language tag (e.g. de or de-AT)' };
    case 'ref':
      return { badWhen: `length(v) > ${REF_MAX_LENGTH}`, message: `is longer than ${REF_MAX_LENGTH} characters` };
    case 'topic':
      // As recordComplaint takes it (any case): the playbooks and reports key persistent issues by it.
      return { badWhen: `length(v) > ${TOPIC_MAX_LENGTH} or lower(v) !~ '${TOPIC_KEY.source}'`, message: NOT_A_TOPIC_KEY };
    case 'text':
      return { badWhen: `length(v) > ${column.maxLength!}`, message: `is longer than ${column.maxLength!} characters` };
    case 'phone':
      return { badWhen: `v !~ '${PHONE.source}'`, message: `is not a phone number (${PHONE_RULE})` };
    case 'currency':
      // Its shape here; whether it is the deployment's currency, in import-sql.ts (validationSql), which knows that.
      return { badWhen: `v !~ '^[A-Za-z]{3}$'`, message: 'is not a currency code (ISO 4217, e.g. EUR)' };
  }
}

/**
 * How the import and `scores fit` read a CSV file (csv-parse's options): a byte-order mark
 * skipped, empty lines left out (records of empty cells, too, by the readers: emptyRecord), rows of another length kept (to be refused by line), each
 * line ended by \r\n, \n or \r, whichever it has (a Windows export with a header line typed in
 * front of it keeps no \r in its last cell), and a quote inside a cell that is not quoted kept as
 * a character (`Pizza 12" Co`, as a spreadsheet reads it), not a reason to refuse the file; white
 * space around a delimiter is left out before a quote is looked for (`C-1, "Acme Ltd"` is Acme Ltd).
 */
export const CSV_READING = { bom: true, skip_empty_lines: true, relax_column_count: true, relax_quotes: true, trim: true, info: true, record_delimiter: ['\r\n', '\n', '\r'] };

/** A cell as the import and `scores fit` take it: without the white space around it (spaces, tabs, a no-break space); null stays null. */
export const trimmedCell = (cell: string | null): string | null => (cell === null ? null : cell.trim());

/**
 * A record the import and `scores fit` skip as they skip an empty line: every cell empty once trimmed (trimmedCell),
 * a spreadsheet's ghost row (`,,,,` where cells below the data were once formatted or a row deleted), also before the
 * header. Not counted as a row nor refused; it counts in the line numbers, as an empty line does. Skipped by the readers,
 * not by csv-parse (`skip_records_with_empty_values`): a record csv-parse skips is not seen, so a record it then cannot
 * read would be named lines too early (csvReadProblem counts from the last record seen).
 */
export const emptyRecord = (record: readonly string[]): boolean => record.every((cell) => trimmedCell(cell) === '');

/**
 * A reference cell as the import stores and looks it up: trimmed, in Unicode NFC, so `JOSÉ-1` with
 * an É of its own and with E and a combining accent (as macOS and some exports write it) are one
 * reference. Case and script are kept: references are compared exactly otherwise.
 */
export const refCell = (cell: string | null): string | null => trimmedCell(cell)?.normalize('NFC') ?? null;

/**
 * A name shown as written or an e-mail address as the import stores it: trimmed, in Unicode NFC, as updateCustomer stores
 * one, so that the customer search (which looks in NFC) finds "Grünwald" whether the file wrote its ü as one character or
 * as a u with a combining accent. The letters are kept as written otherwise (no case or compatibility folding).
 */
export const shownTextCell = refCell;

/** A day with midnight UTC after it, as a spreadsheet writes a date cell back: `2026-03-20T00:00:00Z`, `2026-03-20 00:00:00`, `…00:00:00.000+00:00`. */
const MIDNIGHT_UTC = /^(\d{4}-\d{2}-\d{2})[T ]00:00(?::00(?:\.0+)?)?(?:Z|[+-]00(?::?00)?)?$/;

/**
 * A date cell as the import stages it: trimmed, and a day saved again by a spreadsheet with midnight UTC after it
 * taken as that day, as an orders file's time of the same text is that day's midnight. Any other time
 * (or zone) stays as written and is refused: it names an instant, not a day.
 */
export const dayCell = (cell: string | null): string | null => {
  const trimmed = trimmedCell(cell);
  return trimmed === null ? null : (MIDNIGHT_UTC.exec(trimmed)?.[1] ?? trimmed);
};


/**
 * A reference sent through the API (recordComplaint's `complaintRef`, recordPayment's `externalRef`) taken as the import
 * takes a reference cell (refCell and its checks): without the white space around it, in Unicode NFC, not blank, at most
 * `REF_MAX_LENGTH` characters (as PostgreSQL counts them, not UTF-16 units), and refused with an invisible or control
 * character. So a reference recorded through the API is the one an import of the same source spells: `JOSÉ-1`
 * with an É of its own or E and a combining accent is one reference, and `C-100` with a pasted zero-width space is refused,
 * not a second one. `field` names the input in the problem.
 */
export function apiRef(field: string, value: string | null | undefined): { ref: string | null; problem: string | null } {
  if (value == null) return { ref: null, problem: null };
  const ref = refCell(value)!;
  if (!ref) return { ref: null, problem: `${field} must not be blank (leave it out when there is no reference)` };
  if ([...ref].length > REF_MAX_LENGTH) return { ref: null, problem: `${field} must be at most ${REF_MAX_LENGTH} characters` };
  const invisible = hiddenCharacter(ref);
  if (invisible) return { ref: null, problem: `${field} "${echoed(ref)}" contains an invisible or control character (${invisible}): references are compared character for character` };
  return { ref, problem: null };
}

/** The characters `re` matches as a PostgreSQL regular expression bracket (NUL left out: no text holds it); `negated`: those it does not. */
function sqlBracket(re: RegExp, negated = false): string {
  const hex = (cp: number) => (cp > 0xffff ? `\\U${cp.toString(16).padStart(8, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`);
  const ranges: string[] = [];
  let start = -1;
  for (let cp = 1; cp <= 0x110000; cp++) {
    const hit = cp < 0x110000 && !(cp >= 0xd800 && cp <= 0xdfff) && re.test(String.fromCodePoint(cp));
    if (hit && start < 0) start = cp;
    if (!hit && start >= 0) {
      ranges.push(start === cp - 1 ? hex(start) : `${hex(start)}-${hex(cp - 1)}`);
      start = -1;
    }
  }
  return `[${negated ? '^' : ''}${ranges.join('')}]`;
}

/** INVISIBLE_OR_CONTROL as a PostgreSQL regular expression bracket. */
export const INVISIBLE_OR_CONTROL_SQL = sqlBracket(INVISIBLE_OR_CONTROL);

let joinerSql: string | undefined;
/**
 * JOINER_BETWEEN_SHOWN as PostgreSQL reads it: `regexp_replace(v, pattern, '\1', 'g')` drops each joiner between two
 * characters that show, so what remains is checked against INVISIBLE_OR_CONTROL_SQL as the API checks a person's name.
 */
export function joinerBetweenShownSql(): string {
  const shown = (joinerSql ??= sqlBracket(NOT_SHOWN, true));
  return `(${shown})[\\u200c\\u200d](?=${shown})`;
}

/**
 * The lines each record of a file starts and ends on (the header is line 1; \r\n, \r or \n ends
 * one), given in turn the line csv-parse says it ends on and its fields. A quoted field may
 * span lines; csv-parse counts a \r\n inside one as two lines, so its count runs one line ahead
 * for each such break from there on, which this takes back.
 */
export function recordLines(): (parsedEndLine: number, fields: readonly string[]) => { start: number; end: number } {
  let aheadBy = 0;
  return (parsedEndLine, fields) => {
    let breaks = 0;
    for (const f of fields) {
      breaks += f.match(/\r\n|\r|\n/g)?.length ?? 0;
      aheadBy += f.match(/\r\n/g)?.length ?? 0;
    }
    const end = parsedEndLine - aheadBy;
    return { start: end - breaks, end };
  };
}

/** A record as csv-parse reads it (with `info`), with the lines it starts and ends on. */
export interface PositionedRecord {
  record: string[];
  info: { lines: number; empty_lines: number };
  lines: { start: number; end: number };
}

/**
 * Where a reader of a file is, kept as csv-parse reads each record (its `on_record`), not as a consumer takes them: when
 * the parser fails, the records it read that a slow consumer (a COPY to the database) has not taken yet are dropped, so
 * a position kept by the consumer names a line too early. `onRecord` gives each record its lines; `readProblem` names a
 * record the parser cannot read by the line it starts on (csvReadProblem).
 */
export function csvPosition(): { onRecord: <T>(read: T) => T; readProblem: (error: unknown) => ReturnType<typeof csvReadProblem> } {
  const linesOf = recordLines();
  // The line the last whole record ended on, and the empty lines the parser had skipped by then (those after it come before the record it cannot read).
  let lastRecordEnd = 0;
  let emptyLinesThen = 0;
  return {
    // (With `info`, csv-parse gives each record as { record, info }: its lines are added to it.)
    onRecord: <T>(read: T): T => {
      const taken = read as unknown as PositionedRecord;
      taken.lines = linesOf(taken.info.lines, taken.record);
      lastRecordEnd = taken.lines.end;
      emptyLinesThen = taken.info.empty_lines;
      return read;
    },
    readProblem: (error) => csvReadProblem(error, lastRecordEnd, emptyLinesThen),
  };
}

/**
 * A file's header as the import and `scores fit` read it: names trimmed and lower-cased, and trailing
 * columns without a name (a spreadsheet's `customer_ref,ordered_at,amount,,`) left out, with their
 * cells while those are empty (rowShapeProblem); `unnamedTail` counts them.
 */
export function csvHeader(record: readonly string[]): { header: string[]; unnamedTail: number } {
  const header = record.map((h) => h.trim().toLowerCase());
  while (header.length > 1 && header.at(-1) === '') header.pop();
  return { header, unnamedTail: record.length - header.length };
}

/**
 * Why a record does not fit the header (csvHeader), or null: a value in a trailing column the header
 * leaves without a name, or another number of fields than the header has (an empty cell in such a
 * column, or none, is fine).
 */
export function rowShapeProblem(record: readonly string[], header: readonly string[], unnamedTail: number): string | null {
  const tail = record.length > header.length && record.length <= header.length + unnamedTail ? record.slice(header.length) : [];
  const filled = tail.findIndex((cell) => cell.trim() !== '');
  if (filled >= 0) return `has "${tail[filled].slice(0, 60)}" in column ${header.length + filled + 1}, which the header leaves without a name`;
  if (record.length !== header.length && !tail.length) return `has ${record.length} fields, the header has ${header.length}`;
  return null;
}

/**
 * Why a reference cell (as refCell reads it, not blank) is refused, as the import's checks refuse it
 * (import-sql.ts validationSql): longer than REF_MAX_LENGTH characters, or holding an invisible or
 * control character ("C-100" and "C-100" with a pasted zero-width space read the same and would be two).
 */
export function refCellProblem(ref: string): string | null {
  if ([...ref].length > REF_MAX_LENGTH) return `"${[...ref].slice(0, 60).join('')}" is longer than ${REF_MAX_LENGTH} characters`;
  const invisible = hiddenCharacter(ref);
  if (invisible) return `"${[...ref].slice(0, 60).join('')}" contains an invisible or control character (${invisible}): references are compared character for character`;
  return null;
}

/**
 * What an error of csv-parse reading a file says, and the line it names: `lastRecordEnd` is the line
 * the last whole record ended on (recordLines), so the record it could not read starts after it and
 * after the empty lines the parser skipped since (its count `empty_lines` then, `emptyLinesThen`, and
 * in the error), as row errors count blank lines. A quote never closed stops the parser at the file's
 * end, so the line named is where that record began, not the parser's count (past the file's end,
 * or one ahead after a quoted \r\n).
 */
export function csvReadProblem(error: unknown, lastRecordEnd: number, emptyLinesThen = 0): { message: string; line?: number } {
  const { code, lines, message, empty_lines: emptyLines } = error as { code?: unknown; lines?: unknown; message?: unknown; empty_lines?: unknown };
  const line = lastRecordEnd + 1 + (typeof emptyLines === 'number' ? Math.max(0, emptyLines - emptyLinesThen) : 0);
  if (code === 'CSV_QUOTE_NOT_CLOSED') return { message: `The CSV cannot be read: a quote opened in the record starting on line ${line} is never closed`, line };
  if (typeof lines === 'number') return { message: `The CSV cannot be read in the record starting on line ${line}: ${String(message)}`, line };
  return { message: `The CSV cannot be read: ${String(message)}` };
}

/** The GraphQL input field of a CSV column: `customer_ref` -> `customerRef`. */
export function columnField(column: string): string {
  return column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The CSV column of a GraphQL input field: `customerRef` -> `customer_ref`. */
export function fieldColumn(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
