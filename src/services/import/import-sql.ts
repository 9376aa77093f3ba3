import pg from 'pg';
import { ImportRowProblem, INVISIBLE_OR_CONTROL_SQL, joinerBetweenShownSql, TIME_ZONE_TABLE, valueCheck, type ImportSpec } from '../../domain/import/import-spec.js';
import { INVOICE_PAID, INVOICE_CANCELLED, INVOICE_NOT_DUE, heldForRunSql, untilPaidTemplates } from '../../domain/messages/catalogue.js';
import { CONSENT_ACTIONS, IMPORT_CONSENT_ACTION } from '../../domain/customers/contact.js';
import { amountPattern } from '../../domain/money.js';
import { EARLIEST_DAY } from '../../domain/earliest-day.js';
import { DISCOUNT_PERCENT, OFFER_CODE, OFFER_CODE_RULE } from '../../domain/offers/offer-text.js';
import { CLOCK_SKEW_MS, LATEST_UTC_OFFSET_HOURS } from '../../domain/latest-time.js';
import { lookAgainInNewTimeZoneSql } from '../outbox/waiting-messages.js';
import { notOverdueSql } from '../facts/invoice-facts.js';
import { CANCELLED, PAID_ON_TIME, reverseFeesOfPaidOnTimeSql, reverseFeesSql, withdrawFromCollectionsSql } from '../facts/fee-reversal.js';
import { TierChangeSource } from '../../domain/customers/tier-change.js';
import { promisedOfferSql, promisedUntilSql } from '../offers/offer-promises.js';

/**
 * SQL for one import, over the temporary table `import_stage` (row_no, _shape_error,
 * one text column per CSV column). Column names come from the specs, never from input.
 */
const v = (c: string) => `nullif(btrim(s.${c}), '')`;

/**
 * What a refusal calls one staged row, as its caller numbers them: a file's `line` (the header is line 1), the bulk
 * mutations' `row` (the list's index from 1). "the reference of line 1" told of a list would send its reader to the header.
 */
export type RowWord = 'line' | 'row';
const bool = (c: string) => `(lower(${v(c)}) in ('true', '1', 'yes'))`;
const money = (c: string) => `round(${v(c)}::numeric * 100)::bigint`;
const ts = (c: string) => `${v(c)}::timestamptz`;

export function stageTableSql(spec: ImportSpec): string {
  return `create temp table import_stage (row_no int primary key, _shape_error text, ${spec.columns.map((c) => `${c.name} text`).join(', ')}) on commit drop`;
}

/** The distinct time zone names the file gives, for the application to check (as `name`); null for a kind without one. */
export function fileTimeZonesSql(spec: ImportSpec): string | null {
  const column = spec.columns.find((c) => c.type === 'timezone');
  return column ? `select distinct ${v(column.name)} as name from import_stage s where ${v(column.name)} is not null` : null;
}

/** Of those, the ones the application accepts, as a temporary table for the time zone check; takes them as $1 (text[]). */
export function timeZoneTableSql(): string {
  return `create temp table ${TIME_ZONE_TABLE} on commit drop as select distinct unnest($1::text[]) as name`;
}

/** Every (row, field, message) problem, as one statement; written into import_errors. `header`: the columns the file has. */
/**
 * An erasure takes the customer's reference (so an import no longer finds them) and clears their
 * personal data. The customers a file names are held before the checks, so an erasure at the same
 * moment either comes first (the file's lines then find no such customer: a customers import makes
 * a new one, with the defaults; the other kinds refuse the line as an unknown customer) or waits
 * until the import is in and erases what it brought too. Without it, an erasure between the
 * checks and the merge gave a new customer the erased one's time zone and language, or a line was
 * neither written nor refused. Complaints carry text about the person: held for share (the
 * erasure clears their texts); the other kinds for key share, which only a change of the
 * reference (an erasure) waits for, not an edit of the customer's other fields.
 */
export function customerLockSql(spec: ImportSpec): string | null {
  const refs = spec.columns.map((c) => c.name).filter((name) => name === 'customer_ref' || name === 'referrer_ref');
  if (refs.length === 0) return null;
  const named = refs.map((ref) => `select btrim(s.${ref}) from import_stage s where s.${ref} is not null`).join(' union all ');
  return `select 1 from customer c where c.external_ref in (${named}) order by c.id for ${spec.kind === 'complaints' ? 'share' : 'key share'} of c`;
}

/**
 * The stored rows the file's checks and merge build on, held (for update, in ID order, so two
 * imports at the same moment cannot deadlock) from before the checks to the commit; null for a
 * kind that holds none.
 *
 * Whether an invoice is paid is decided from all its stored payments, against its amount. A
 * payments or invoices import holds the file's stored invoices (as recordPayment holds its one),
 * so two of them, or one and recordPayment, for one invoice take turns and the later one counts
 * the earlier one's payments and amount; without it, each counted only its own, and an invoice
 * its payments covered could stay unpaid.
 *
 * A complaints import checks a line's resolution and reopening against the stored complaint's
 * (a column the file does not have keeps the stored value): it holds the file's stored complaints,
 * as resolveComplaint and reopenComplaint hold theirs, so a resolve or reopen at the same moment
 * either comes first and is checked against, or waits for the import; without it, the import
 * checked a reopening the API then changed, and stored a resolution before it.
 *
 * An offers import keeps an end made here (`ended_here_on`) against a later last day in the file:
 * it holds the file's stored offers, as endOffer holds its one, so an end at the same moment
 * either comes first and is kept, or waits for the import and ends the offer it left.
 */
export function storedRowLockSql(spec: ImportSpec): string | null {
  if (spec.kind === 'payments' || spec.kind === 'invoices') {
    return `select 1 from invoice i where i.external_ref in (select btrim(s.invoice_ref) from import_stage s where s.invoice_ref is not null) order by i.id for update of i`;
  }
  if (spec.kind === 'complaints') {
    return `select 1 from complaint k where k.external_ref in (select btrim(s.complaint_ref) from import_stage s where s.complaint_ref is not null) order by k.id for update of k`;
  }
  if (spec.kind === 'offers') {
    return `select 1 from offer o where o.code in (select upper(btrim(s.code)) from import_stage s where s.code is not null) order by o.id for update of o`;
  }
  return null;
}

/**
 * A complaint that holds its reference (`complaint_external_ref_unique`): one not withdrawn. A withdrawn one (filed on
 * the wrong customer) keeps it on its row but no longer holds it, so the complaint recorded where it belongs takes it.
 */
const LIVE_COMPLAINT = 'withdrawn_at is null';

/**
 * The kinds whose rows belong to a customer (a `customer_ref` column) and have a reference of their own (`refColumn`, unique
 * per kind in the database, not per customer): their table, and what one row is called in a refusal.
 */
const CUSTOMER_RECORDS: Partial<Record<ImportSpec['kind'], { table: string; noun: string; article: 'a' | 'an'; holds?: string }>> = {
  orders: { table: 'customer_order', noun: 'order', article: 'an' },
  invoices: { table: 'invoice', noun: 'invoice', article: 'an' },
  // A complaint withdrawn (filed on the wrong customer) no longer holds its reference: the right customer's line takes it.
  complaints: { table: 'complaint', noun: 'complaint', article: 'a', holds: ` and old.${LIVE_COMPLAINT}` },
  costs: { table: 'cost_entry', noun: 'cost entry', article: 'a' },
};

/** The upsert's update leaves a stored row of an erased customer as it is (one whose reference the import derived matches it). */
const notErasedOwner = (table: string) => `and not exists (select 1 from customer e where e.id = ${table}.customer_id and e.status = 'erased')`;

/**
 * `currency`: the deployment's (`CURRENCY`), the one every amount is in: a line whose `currency` cell names another is
 * refused, naming both codes (amounts are not converted).
 */
export function validationSql(spec: ImportSpec, header: Set<string>, rowWord: RowWord, currency: string): string {
  const checks: string[] = [`select row_no, null::text as field, _shape_error as message, '${ImportRowProblem.MalformedLine}' as code from import_stage s where _shape_error is not null`];
  const ok = `s._shape_error is null`;
  const validDate = (c: string) => `${v(c)} ~ '^\\d{4}-\\d{2}-\\d{2}' and pg_input_is_valid(${v(c)}, 'timestamptz')`;
  for (const c of spec.columns) {
    if (c.required) checks.push(`select row_no, '${c.name}', 'is required', '${ImportRowProblem.Required}' from import_stage s where ${ok} and ${v(c.name)} is null`);
    const check = valueCheck(c);
    checks.push(
      `select row_no, '${c.name}', '"' || left(x.v, 60) || '" ${check.message.replace(/'/g, "''")}', '${ImportRowProblem.InvalidValue}' from import_stage s, lateral (select btrim(s.${c.name}) as v) x where ${ok} and x.v <> '' and (${check.badWhen})`,
    );
  }
  // A reference holds no control or invisible character (a pasted zero-width space, a direction mark): "C-100" and
  // "C-100" with one read the same and would be two customers. Named by the character's code point.
  for (const c of spec.columns.filter((c) => c.type === 'ref')) {
    checks.push(
      `select row_no, '${c.name}', '"' || left(x.v, 60) || '" contains an invisible or control character (U+' || upper(lpad(to_hex(ascii(substring(x.v from '${INVISIBLE_OR_CONTROL_SQL}'))), 4, '0')) || '): references are compared character for character', '${ImportRowProblem.InvalidValue}'
         from import_stage s, lateral (select btrim(s.${c.name}) as v) x where ${ok} and x.v ~ '${INVISIBLE_OR_CONTROL_SQL}'`,
    );
  }
  // A name shown as written (a customer's, an offer's) holds none either (an ESC sequence, a direction override, a lone
  // zero-width space would go into e-mails and lists as written), as the API refuses one; a joiner between two characters
  // that show is spelling (hiddenCharacter's `joiners`). Not quoted back: the message names the character by its code point.
  for (const c of spec.columns.filter((c) => c.shownName)) {
    checks.push(
      `select row_no, '${c.name}', 'holds no control or invisible characters (line breaks, tabs, zero-width or direction marks; this one has U+' || upper(lpad(to_hex(ascii(substring(x.v from '${INVISIBLE_OR_CONTROL_SQL}'))), 4, '0')) || ')', '${ImportRowProblem.InvalidValue}'
         from import_stage s, lateral (select regexp_replace(btrim(s.${c.name}), '${joinerBetweenShownSql()}', '\\1', 'g') as v) x where ${ok} and x.v ~ '${INVISIBLE_OR_CONTROL_SQL}'`,
    );
  }
  // What has happened is not dated later than now (domain/latest-time.ts): a date without a time not after the latest day on
  // earth (UTC+14), as the API takes a payment's day; a time not beyond the clocks' skew, as the API takes a complaint's.
  for (const c of spec.columns.filter((c) => c.past)) {
    const afterLatestDay = `${ts(c.name)} >= date_trunc('day', now() + interval '${LATEST_UTC_OFFSET_HOURS} hours') + interval '1 day'`;
    const afterNow = `${ts(c.name)} > now() + interval '${CLOCK_SKEW_MS} milliseconds'`;
    const future = c.type === 'timestamp' ? `(case when ${v(c.name)} ~ '^\\d{4}-\\d{2}-\\d{2}$' then ${afterLatestDay} else ${afterNow} end)` : afterLatestDay;
    checks.push(`select row_no, '${c.name}', 'is in the future', '${ImportRowProblem.InTheFuture}' from import_stage s where ${ok} and ${validDate(c.name)} and ${future}`);
  }
  // Nor before the earliest business day (UTC): a year 1 is a typo that would drive the scores.
  for (const c of spec.columns.filter((c) => c.type === 'date' || c.type === 'timestamp')) {
    checks.push(`select row_no, '${c.name}', 'is before ${EARLIEST_DAY}', '${ImportRowProblem.BeforeEarliestDay}' from import_stage s where ${ok} and ${validDate(c.name)} and ${ts(c.name)} < timestamptz '${EARLIEST_DAY} 00:00:00+00'`);
  }
  // Every amount is in the deployment's currency: a line of a mixed export in another is refused (its shape is checked above).
  if (spec.columns.some((c) => c.type === 'currency') && header.has('currency')) {
    checks.push(
      `select row_no, 'currency', 'is ' || upper(${v('currency')}) || ', this deployment keeps ${currency}: amounts are not converted (convert the line''s amounts to ${currency} first, or leave the line out)', '${ImportRowProblem.InvalidValue}'
         from import_stage s where ${ok} and ${v('currency')} ~ '^[A-Za-z]{3}$' and upper(${v('currency')}) <> ${literal(currency)}`,
    );
  }
  // A reference may appear once per file: later lines repeating it are refused.
  const ref = spec.refUpperCase ? `upper(btrim(${spec.refColumn}))` : `btrim(${spec.refColumn})`;
  checks.push(
    `select row_no, '${spec.refColumn}', 'repeats the reference of ${rowWord} ' || first_row, '${ImportRowProblem.DuplicateReference}' from (select row_no, min(row_no) over (partition by ${ref}) as first_row from import_stage where ${spec.refColumn} is not null and btrim(${spec.refColumn}) <> '') d where row_no <> first_row`,
  );
  if (spec.columns.some((c) => c.name === 'customer_ref') && spec.kind !== 'customers') {
    checks.push(`select row_no, 'customer_ref', 'unknown customer "' || left(btrim(s.customer_ref), 60) || '"', '${ImportRowProblem.UnknownReference}' from import_stage s where ${ok} and ${v('customer_ref')} is not null and not exists (select 1 from customer c where c.external_ref = btrim(s.customer_ref))`);
  }
  if (spec.kind === 'customers' && header.has('offboarded_at')) {
    // The day a customer left is theirs only once they have left, and not before they were won: as the customer will be
    // after the merge (a column the file does not have, or an empty cell, keeps the stored value; a new customer without
    // acquired_at is acquired on the import's day).
    const status = `coalesce(${header.has('status') ? `lower(${v('status')})` : 'null'}, old.status::text, 'active')`;
    const acquired = `coalesce(${header.has('acquired_at') ? `case when ${validDate('acquired_at')} then ${v('acquired_at')}::date end` : 'null'}, old.acquired_at, current_date)`;
    checks.push(
      `select row_no, 'offboarded_at', 'is given for a customer whose status is ' || ${status} || ': only an offboarded customer has a day they left', '${ImportRowProblem.NotOffboarded}'
         from import_stage s left join customer old on old.external_ref = btrim(s.customer_ref) where ${ok} and ${v('offboarded_at')} is not null and ${status} in ('active', 'offboarding')`,
      `select row_no, 'offboarded_at', 'is before the customer was acquired (' || ${acquired} || case when ${header.has('acquired_at') ? `${v('acquired_at')} is null and ` : ''}old.id is null then ', the import''s day: give acquired_at' else '' end || ')', '${ImportRowProblem.OutOfOrder}'
         from import_stage s left join customer old on old.external_ref = btrim(s.customer_ref) where ${ok} and ${validDate('offboarded_at')} and ${v('offboarded_at')}::date < ${acquired}`,
      // Nor before what the customer's own records say they still did: an order on a later day (in their time zone; one
      // who has left orders nothing), or an invoice issued more than a year later (a final invoice follows leaving within
      // weeks; payments are no sign, a debt may be paid or collected years later). Such a day is a mistyped year, and the
      // next retention sweep would erase the customer for good. Only a day the line changes: a file giving the stored one again is not refused.
      `select s.row_no, 'offboarded_at',
              case when lo.day > f.day then 'is before the customer''s last order, on ' || lo.day || ' (a customer who has left orders nothing: check the year)'
                   else 'is more than a year before the customer''s last invoice, ' || coalesce('"' || left(li.ref, 60) || '"', 'ID ' || li.id) || ' issued on ' || li.day || ' (a final invoice follows leaving within weeks: check the year)' end,
              '${ImportRowProblem.OutOfOrder}'
         from import_stage s join customer old on old.external_ref = btrim(s.customer_ref)
              cross join lateral (select case when ${validDate('offboarded_at')} then ${v('offboarded_at')}::date end as day) f
              cross join lateral (select max((o.ordered_at at time zone old.time_zone)::date) as day from customer_order o where o.customer_id = old.id) lo
              left join lateral (select i.id, i.external_ref as ref, i.issued_at as day from invoice i where i.customer_id = old.id order by i.issued_at desc, i.id limit 1) li on true
        where ${ok} and f.day is not null and (old.offboarded_at is null or f.day <> (old.offboarded_at at time zone 'UTC')::date)
          and (lo.day > f.day or li.day > f.day + 365)`,
    );
  }
  if (spec.kind === 'customers') {
    checks.push(
      `select row_no, 'referrer_ref', 'unknown customer "' || left(btrim(s.referrer_ref), 60) || '"', '${ImportRowProblem.UnknownReference}' from import_stage s where ${ok} and ${v('referrer_ref')} is not null
         and not exists (select 1 from customer c where c.external_ref = btrim(s.referrer_ref))
         and not exists (select 1 from import_stage o where btrim(o.customer_ref) = btrim(s.referrer_ref))`,
      `select row_no, 'referrer_ref', 'a customer cannot refer themselves', '${ImportRowProblem.ReferralCircle}' from import_stage s where ${ok} and ${v('referrer_ref')} = ${v('customer_ref')}`,
    );
  }
  // An erased customer's business records stay theirs: a customer imported since under the same CRM reference (a new
  // customer) does not take them over, nor their history with a name on it.
  const own = CUSTOMER_RECORDS[spec.kind];
  if (own) {
    checks.push(
      `select row_no, '${spec.refColumn}', 'is stored for an erased customer: it stays theirs and is not given to another', '${ImportRowProblem.ErasedCustomer}'
         from import_stage s join ${own.table} old on old.external_ref = btrim(s.${spec.refColumn})${own.holds ?? ''} join customer e on e.id = old.customer_id and e.status = 'erased' where ${ok}`,
    );
    // A stored order, invoice, complaint or cost entry stays its customer's: a line giving its reference with another customer
    // (two shops or source systems whose numbers overlap, a typo, an export's wrong customer column) would move its history to
    // someone else: an order's revenue and scores, an invoice's reminder run, payments and payment-loyalty record, a complaint's
    // fix run and persistent-issue count, a cost's place in profitability. (One of an erased customer is refused above.) An
    // order without order_ref is matched by a reference derived from the line's own customer reference, so it is never another's.
    checks.push(
      `select s.row_no, 'customer_ref', '${own.noun} "' || left(old.external_ref, 60) || '" belongs to customer ' || coalesce('"' || left(o.external_ref, 60) || '"', 'ID ' || o.id) || ', not "' || left(btrim(s.customer_ref), 60) || '": an import does not move ${own.article} ${own.noun} to another customer', '${ImportRowProblem.OtherCustomer}'
         from import_stage s join ${own.table} old on old.external_ref = btrim(s.${spec.refColumn})${own.holds ?? ''} join customer o on o.id = old.customer_id and o.status <> 'erased'
              join customer n on n.external_ref = btrim(s.customer_ref) and n.id <> o.id
        where ${ok}`,
    );
  }
  if (spec.kind === 'payments') {
    // A payment stored on an erased customer's invoice stays on it: a line giving its reference with another invoice would move it.
    checks.push(
      `select s.row_no, 'payment_ref', 'is stored for an erased customer (on their invoice ' || oi.external_ref || '): it stays theirs and is not given to another', '${ImportRowProblem.ErasedCustomer}'
         from import_stage s join payment old on old.external_ref = btrim(s.payment_ref) join invoice oi on oi.id = old.invoice_id join customer e on e.id = oi.customer_id and e.status = 'erased'
         left join invoice fi on fi.external_ref = btrim(s.invoice_ref) where ${ok} and fi.id is distinct from old.invoice_id`,
    );
    checks.push(`select row_no, 'invoice_ref', 'unknown invoice "' || left(btrim(s.invoice_ref), 60) || '"', '${ImportRowProblem.UnknownReference}' from import_stage s where ${ok} and ${v('invoice_ref')} is not null and not exists (select 1 from invoice i where i.external_ref = btrim(s.invoice_ref))`);
    checks.push(`select row_no, 'paid_at', 'is before the invoice was issued (' || i.issued_at || ')', '${ImportRowProblem.OutOfOrder}' from import_stage s join invoice i on i.external_ref = btrim(s.invoice_ref) where ${ok} and ${validDate('paid_at')} and ${v('paid_at')}::date < i.issued_at`);
    checks.push(`select row_no, 'amount', 'must be more than 0', '${ImportRowProblem.InvalidValue}' from import_stage s where ${ok} and ${v('amount')} ~ '${amountPattern()}' and ${v('amount')}::numeric = 0`);
  }
  if (spec.kind === 'orders') {
    // A margin is part of the order's amount: one above it is a misplaced decimal point that profitability would count. A
    // negative one is a loss, and a loss of more than the amount is the same slip with the other sign (-400.00 on 100.00):
    // it would make the customer loss-making, and their margin share, far below -100%, would pull the base's down, at
    // which every customer without margins of their own is valued. (A cost beyond what the order brought, a giveaway's, is a cost entry.)
    checks.push(
      `select row_no, 'margin',
              case when ${v('margin')}::numeric > ${v('amount')}::numeric then 'margin is more than the amount'
                   else 'margin is a loss of more than the amount' end,
              '${ImportRowProblem.InvalidValue}' from import_stage s
        where ${ok} and ${v('margin')} ~ '${amountPattern(true)}' and ${v('amount')} ~ '${amountPattern()}'
          and (${v('margin')}::numeric > ${v('amount')}::numeric or ${v('margin')}::numeric < -${v('amount')}::numeric)`,
    );
  }
  if (spec.kind === 'invoices') {
    checks.push(`select row_no, 'due_at', 'is before issued_at', '${ImportRowProblem.OutOfOrder}' from import_stage s where ${ok} and ${validDate('due_at')} and ${validDate('issued_at')} and ${v('due_at')}::date < ${v('issued_at')}::date`);
    checks.push(`select row_no, 'paid_at', 'is before issued_at', '${ImportRowProblem.OutOfOrder}' from import_stage s where ${ok} and ${validDate('paid_at')} and ${validDate('issued_at')} and ${v('paid_at')}::date < ${v('issued_at')}::date`);
    // As the invoice will hold them: a column the file does not have keeps the stored invoice's value. A paid day
    // the file gives is one it says; a stored invoice covered by its payments is paid unless the file cancels it.
    const willHold = (c: string) => (header.has(c) ? `case when ${validDate(c)} then ${v(c)}::date end` : `old.${c}`);
    // A stored invoice its recorded payments paid (its paid day the one they first covered its amount on) stays paid where
    // the file gives no paid day (an empty paid_at, or none): it cannot be cancelled, whatever the file leaves empty.
    const filePaid = header.has('paid_at') ? willHold('paid_at') : 'null::date';
    const paidByPayments = `case when old.cancelled_at is null and old.paid_at = ${coveredOn('old.id', 'old.amount_minor')} then old.paid_at end`;
    // One of amount 0 settled on its issue day (settledWhenIssued) owes nothing and was paid by nobody: a file may cancel it.
    const paid = `coalesce(${filePaid}, ${header.has('paid_at') ? paidByPayments : 'case when old.amount_minor = 0 then null else old.paid_at end'})`;
    checks.push(
      `select row_no, 'cancelled_at', 'is before issued_at', '${ImportRowProblem.OutOfOrder}' from import_stage s left join invoice old on old.external_ref = btrim(s.invoice_ref)
        where ${ok} and ${validDate('issued_at')} and ${willHold('cancelled_at')} < ${v('issued_at')}::date`,
      // Named on the column the file has (the other day may be the stored invoice's), with both days.
      `select row_no, '${header.has('cancelled_at') ? 'cancelled_at' : 'paid_at'}',
         case when ${filePaid} is null and ${paidByPayments} is not null
              then 'an invoice is either paid or cancelled, and this one is paid by its recorded payments (on ' || ${paidByPayments} || ', as stored): a paid invoice cannot be cancelled'
              else 'an invoice is either paid or cancelled, and this one would be both (paid ' || ${paid} || ', cancelled ' || ${willHold('cancelled_at')} || '${header.has('cancelled_at') && header.has('paid_at') ? '' : ', as stored'}): leave one of them empty' end,
         '${ImportRowProblem.InvalidValue}'
         from import_stage s left join invoice old on old.external_ref = btrim(s.invoice_ref)
        where ${ok} and ${willHold('cancelled_at')} is not null and ${paid} is not null`,
    );
  }
  if (spec.kind === 'complaints') {
    checks.push(`select row_no, 'resolved_at', 'is before opened_at', '${ImportRowProblem.OutOfOrder}' from import_stage s where ${ok} and ${validDate('resolved_at')} and ${validDate('opened_at')} and ${ts('resolved_at')} < ${ts('opened_at')}`);
    checks.push(`select row_no, 'reopened_at', 'is before opened_at', '${ImportRowProblem.OutOfOrder}' from import_stage s where ${ok} and ${validDate('reopened_at')} and ${validDate('opened_at')} and ${ts('reopened_at')} < ${ts('opened_at')}`);
    // Reopening clears the resolution: a complaint with both was resolved again after it was reopened. As the
    // complaint will hold them: a column the file does not have keeps the stored complaint's value, except that a
    // reopening after the stored resolution clears it (reopensResolved).
    const willHold = (c: string) => (header.has(c) ? `case when ${validDate(c)} then ${ts(c)} end` : `old.${c}`);
    checks.push(
      `select row_no, 'resolved_at', 'is before reopened_at', '${ImportRowProblem.OutOfOrder}' from import_stage s ${keepStored('complaint', 'complaint_ref')}
        where ${ok} and ${resolutionAfter(header, willHold('resolved_at'), willHold('reopened_at'))} < ${willHold('reopened_at')}`,
    );
  }
  if (spec.kind === 'offers') {
    // The same rules as createOffer: a code customers can type, a discount or a tier change, an end not before the start.
    checks.push(
      `select row_no, 'code', '"' || left(btrim(s.code), 60) || '" is not ${OFFER_CODE_RULE}', '${ImportRowProblem.InvalidValue}' from import_stage s where ${ok} and ${v('code')} is not null and upper(btrim(s.code)) !~ '${OFFER_CODE.source}'`,
      `select row_no, 'discount_percent', 'must be from ${DISCOUNT_PERCENT.min} to ${DISCOUNT_PERCENT.max}', '${ImportRowProblem.InvalidValue}' from import_stage s where ${ok} and case when ${v('discount_percent')} ~ '^\\d{1,9}$' then ${v('discount_percent')}::int not between ${DISCOUNT_PERCENT.min} and ${DISCOUNT_PERCENT.max} else false end`,
      // What the offer will hold: a column the file does not have keeps a stored offer's value.
      `select row_no, 'discount_percent', 'an offer needs discount_percent, service_tier or both', '${ImportRowProblem.Incomplete}' from import_stage s left join offer old on old.code = upper(btrim(s.code))
        where ${ok} and ${header.has('discount_percent') ? v('discount_percent') : 'old.discount_percent'} is null and ${header.has('service_tier') ? v('service_tier') : 'old.service_tier'} is null`,
      `select row_no, 'valid_until', 'is before valid_from', '${ImportRowProblem.OutOfOrder}' from import_stage s where ${ok} and ${validDate('valid_until')} and ${validDate('valid_from')} and ${v('valid_until')}::date < ${v('valid_from')}::date`,
    );
  }
  return `create temp table import_errors on commit drop as ${checks.join('\nunion all\n')}`;
}

/**
 * Checks that depend on which rows have errors, run after validationSql when it found
 * any. A customer whose referrer is only in the file, on a refused line, is refused too
 * (else good-rows mode would import it without its referrer), and so on down a chain of
 * referrals. A reference has at most one good line (repeats are errors), so "refused"
 * means "no good line". The index keeps each step of a long chain a lookup, not a scan.
 */
export function followUpChecks(spec: ImportSpec, header: Set<string>, rowWord: RowWord): string[] {
  if (spec.kind !== 'customers' || !header.has('referrer_ref')) return [];
  const fine = (alias: string) => `${alias}._shape_error is null and not exists (select 1 from import_errors e where e.row_no = ${alias}.row_no)`;
  const notStored = (ref: string) => `not exists (select 1 from customer c where c.external_ref = ${ref})`;
  return [
    `create index on import_stage (btrim(referrer_ref))`,
    `with recursive refused(ref) as (
       select btrim(s.customer_ref) from import_stage s left join (select distinct row_no from import_errors) e on e.row_no = s.row_no
       where ${v('customer_ref')} is not null
       group by btrim(s.customer_ref) having bool_and(e.row_no is not null)
       union
       -- One index lookup per refused reference (offset 0 keeps the planner from turning it into a scan per step).
       select x.ref from refused r
       cross join lateral (select btrim(s.customer_ref) as ref from import_stage s where btrim(s.referrer_ref) = r.ref and ${fine('s')} offset 0) x
       where ${notStored('r.ref')}
     )
     insert into import_errors
     select s.row_no, 'referrer_ref', 'refers to customer "' || left(r.ref, 60) || '", whose ${rowWord} has errors', '${ImportRowProblem.ReferrerRefused}'
     from import_stage s join refused r on btrim(s.referrer_ref) = r.ref
     where ${fine('s')} and ${notStored('r.ref')}`,
  ];
}

/**
 * Referral cycles the import would store (A referred by B and B by A, or longer, also through
 * stored customers): the API keeps none, so each line on such a cycle is refused, as a customer
 * referring themselves is. Every step is an index lookup, so a file's long chain costs no scan
 * per link: the links as the import would leave them are gathered (the file's customers, then
 * their stored referrers up to one in the file or one referred by nobody); every customer whose
 * chain ends is found from that end; the rest are on or behind a cycle. From each of those a walk
 * follows the referrers, stopping at a customer whose reference hashes lower than its start's, so
 * that of a cycle's walks only its lowest one's comes back to its start, around the cycle once.
 * Customer imports that set referrers take turns from this check to their commit (only they
 * change referrals): two at the same moment, each making half of a circle, each saw the stored
 * referrals without the other's half, and both were stored.
 */
export function referralCycleChecks(spec: ImportSpec, header: Set<string>): string[] {
  if (spec.kind !== 'customers' || !header.has('referrer_ref')) return [];
  return [
    `select pg_advisory_xact_lock(hashtextextended('import:referrals', 0))`,
    `create index on import_stage (btrim(customer_ref))`,
    `create temp table import_referral on commit drop as
     with recursive link(ref, referrer, row_no) as (
       select btrim(s.customer_ref), ${v('referrer_ref')}, s.row_no from import_stage s where s._shape_error is null and ${v('customer_ref')} is not null
       union
       -- A stored referrer the file does not have keeps its own referrer (offset 0: an index lookup each, not a scan per step).
       select x.ref, x.referrer, null::int from link l
       cross join lateral (
         select c.external_ref as ref, r.external_ref as referrer from customer c left join customer r on r.id = c.referrer_id
         where c.external_ref = l.referrer and not exists (select 1 from import_stage o where btrim(o.customer_ref) = l.referrer) offset 0
       ) x
     )
     select * from link`,
    `create index on import_referral (referrer)`,
    `analyze import_referral`,
    `create temp table import_circling on commit drop as
     with recursive ends(ref) as (
       -- Chains that end: at a customer referred by nobody, or by a reference that is no customer (an error of its own).
       select l.ref from import_referral l where l.referrer is null or not exists (select 1 from import_referral r where r.ref = l.referrer)
       union
       select x.ref from ends e cross join lateral (select l.ref from import_referral l where l.referrer = e.ref offset 0) x
     )
     select l.* from import_referral l where l.referrer <> l.ref and not exists (select 1 from ends e where e.ref = l.ref)`,
    `create index on import_circling (ref)`,
    `insert into import_errors
     with recursive walk(start, ref) as (
       select ref, referrer from import_circling
       union
       select w.start, x.referrer from walk w
       cross join lateral (select c.referrer from import_circling c where c.ref = w.ref offset 0) x
       where w.ref <> w.start and md5(w.ref) > md5(w.start)
     ), on_cycle as (
       select distinct w.ref from walk w where exists (select 1 from walk back where back.start = w.start and back.ref = back.start)
     )
     select c.row_no, 'referrer_ref', 'refers to "' || left(c.referrer, 60) || '", who was referred by this customer, directly or through others: referrals cannot go round in a circle', '${ImportRowProblem.ReferralCircle}'
     from import_circling c where c.row_no is not null and c.ref in (select ref from on_cycle)`,
  ];
}

/**
 * Whether a line reopens its stored complaint (`old`) as reopenComplaint does: a file without
 * resolved_at whose reopened_at (`reopenedAt`, SQL) is after the stored resolution. The
 * reopening then supersedes that resolution instead of being refused as after it.
 */
const reopensResolved = (header: Set<string>, reopenedAt: string) => (mayReopen(header) ? `coalesce(old.resolved_at < ${reopenedAt}, false)` : 'false');

/** A file with reopened_at and without resolved_at: its lines may reopen resolved complaints. */
const mayReopen = (header: Set<string>) => !header.has('resolved_at') && header.has('reopened_at');

/**
 * Whether a line with an empty resolved_at keeps the resolution its stored complaint (`old`) was
 * given here (resolveComplaint, audited with that time): a CRM export that has not heard of it
 * yet does not reopen the complaint behind everyone's back (open again, no reopening counted or
 * shown). A line whose reopened_at (`reopenedAt`, SQL) is after that resolution reopens it: the
 * CRM's word. A resolution an import gave (no such entry) is the CRM's, and its empty cell clears it.
 */
const resolutionKeptHere = (header: Set<string>, reopenedAt: string) =>
  header.has('resolved_at')
    ? `(${v('resolved_at')} is null and old.resolved_at is not null${header.has('reopened_at') ? ` and not coalesce(${reopenedAt} > old.resolved_at, false)` : ''}
        and exists (select 1 from audit_entry a where a.entity_type = 'complaint' and a.entity_id = old.id::text and a.action = 'complaint.resolve'
                     and (a.after ->> 'resolvedAt')::timestamptz = old.resolved_at))`
    : 'false';

/**
 * The resolution the complaint will hold: the file's (`resolvedAt`, SQL) unless the line keeps one made here
 * (resolutionKeptHere), the stored one without that column, none once the line reopens it.
 */
const resolutionAfter = (header: Set<string>, resolvedAt: string, reopenedAt: string) =>
  header.has('resolved_at')
    ? `case when ${resolutionKeptHere(header, reopenedAt)} then old.resolved_at else ${resolvedAt} end`
    : `case when ${reopensResolved(header, reopenedAt)} then null else old.resolved_at end`;

/** Rows without any error. */
/** The UTC day of a customer's first stored order (null without one): an index lookup. */
const firstOrderDay = (customerId: string) => `(select (min(o.ordered_at) at time zone 'UTC')::date from customer_order o where o.customer_id = ${customerId})`;

const good = `s._shape_error is null and not exists (select 1 from import_errors e where e.row_no = s.row_no)`;

/**
 * Sets the columns the file carries (a column it leaves out keeps its stored value), and
 * leaves a row whose values are all as stored alone: a nightly re-import of a whole export
 * rewrites only what changed (no new row versions, index entries or revenue refresh for the rest).
 */
function setClause(columns: Array<[target: string, source: string | null]>, present: Set<string>, table: string, alsoSet = ''): string {
  const taken = columns.filter(([, source]) => source === null || present.has(source)).map(([target]) => target);
  const assignments = [...taken.map((target) => `${target} = excluded.${target}`), ...(alsoSet ? [alsoSet] : [])].join(', ');
  return `${assignments} where (${taken.map((t) => `${table}.${t}`).join(', ')}) is distinct from (${taken.map((t) => `excluded.${t}`).join(', ')})`;
}

/**
 * The stored row a staged row will update, if any. Columns with a default (time zone, tier,
 * status, consent, tenure, counters, fees) take it only on insert: an empty cell in a
 * re-import keeps the stored value instead of resetting it.
 */
const keepStored = (table: string, refColumn: string) =>
  `left join ${table} old on old.external_ref = btrim(s.${refColumn})${table === 'complaint' ? ` and old.${LIVE_COMPLAINT}` : ''}`;

/**
 * A complaint line whose reference is one of its customer's complaints withdrawn here (filed by mistake) and held by none:
 * the complaint stays withdrawn, and the line records no second one (reported kept, `complaint_ref`).
 */
const withdrawnOfCustomer = (customerId: string) =>
  `exists (select 1 from complaint w where w.external_ref = btrim(s.complaint_ref) and w.customer_id = ${customerId} and w.withdrawn_at is not null)`;

/** Counts what an upsert did: rows left as they were (set clause's condition false) return nothing and are counted by the caller. */
const counted = (insert: string) => `with up as (${insert} returning (xmax = 0) as inserted) select count(*) filter (where inserted) as inserted, count(*) filter (where not inserted) as updated from up`;

/**
 * The reference of a row without one (an order, a payment): `derived:` and an md5 of what
 * identifies it, with how often that has occurred so far in the file, so re-importing the
 * same file matches the same rows. What identifies it is the values as read, not the cells'
 * text: the customer's (invoice's) reference, the instant (`instant`: canonical text, see
 * `derivedRefSql`) and the amount in minor units, so the same export saved again by a
 * spreadsheet (`29.30` as `29.3`, `2026-03-02` as `2026-03-02T00:00:00Z`) matches the same
 * rows. Occurrences are counted among the rows without a reference. Counting them sorts the
 * whole file: it is left out when every row has its reference (`derive` false). The "C"
 * collation only makes that sort cheaper: equal stays equal, and the order within a group is the file's.
 */
function refOrDerived(refColumn: string, derive: boolean): string {
  // Derived once, before the merge (derivedRefsSql, as `import_ref r`), so the erasure check and the merge go by the same reference.
  return derive ? 'r.ref' : v(refColumn);
}

/** The reference (the file's, else derived) of an order or payment as the merge stores it. */
function fileOrDerivedRef(refColumn: string, owner: string, instant: string): string {
  const ownerRef = `btrim(s.${owner})`;
  const amount = money('amount');
  return `coalesce(${v(refColumn)}, ${derivedRefSql(ownerRef, instant, amount, `row_number() over (partition by ${v(refColumn)} is null, ${ownerRef} collate "C", ${instant} collate "C", ${amount} order by s.row_no)`)})`;
}

/**
 * A derived reference (see refOrDerived), from SQL expressions: the owner's reference (text),
 * the instant as canonical text (`orderInstantSql`, `paymentDaySql`), the amount in minor units
 * (bigint) and the occurrence (a number from 1). The amount is followed by `m`, which no amount as
 * written has: no reference derived from the cells' text (before QA 54 F1) equals one derived so.
 * Migration20261214000000_derived_refs_as_read recomputes stored references with the same text
 * (test/migrations.test.ts holds the two equal).
 */
const derivedRefSql = (owner: string, instant: string, amountMinor: string, occurrence: string) =>
  `'derived:' || md5(${owner} || '|' || ${instant} || '|' || (${amountMinor})::text || 'm|' || (${occurrence})::text)`;

/** An order's time (timestamptz) as a derived reference names it: as stored (to the millisecond), in UTC, whatever the session's time zone. */
const orderInstantSql = (at: string) => `to_char((${at})::timestamptz(3) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** A payment's day (date) as a derived reference names it, whatever the session's DateStyle. */
const paymentDaySql = (day: string) => `to_char(${day}, 'YYYY-MM-DD')`;

/** The instant a derived reference of the kind names, and the column of its owner's reference; null for a kind whose references are never derived. */
const derivedBy = (spec: ImportSpec): { owner: string; instant: string } | null =>
  spec.kind === 'orders'
    ? { owner: 'customer_ref', instant: orderInstantSql(ts('ordered_at')) }
    : spec.kind === 'payments'
      ? { owner: 'invoice_ref', instant: paymentDaySql(`${v('paid_at')}::date`) }
      : null;

/**
 * The references the merge stores for the file's good rows (the file's, else derived), as the temporary
 * table `import_ref` (row_no, ref); run after the checks, when some row has none (`missingRefSql`).
 * Derived here once, over the rows the checks left (as the merge counted occurrences before), so the
 * erasure check (`erasedDerivedRefSql`) and the merge go by the same reference, and a row the erasure
 * check then refuses does not shift the occurrences of the rows after it.
 */
export function derivedRefsSql(spec: ImportSpec): string[] {
  const by = derivedBy(spec);
  if (!by) return [];
  return [
    `create temp table import_ref on commit drop as select s.row_no, ${fileOrDerivedRef(spec.refColumn, by.owner, by.instant)} as ref from import_stage s where ${good}`,
    `create index on import_ref (row_no)`,
    `analyze import_ref`,
  ];
}

/**
 * A line without a reference whose derived one is an erased customer's order: refused as a
 * line naming that order's reference is (ERASED_CUSTOMER), not left out as unchanged while the file's
 * customer (one imported since under the CRM reference) gets no order. (A payment's derived reference
 * names its invoice, which stays the erased customer's: a payment on it is theirs, as recordPayment takes it.)
 */
export function erasedDerivedRefSql(spec: ImportSpec, rowWord: RowWord): string | null {
  if (spec.kind !== 'orders') return null;
  return `insert into import_errors
    select s.row_no, 'order_ref', 'is empty, and the order it stands for (the same customer reference, time and amount) is stored for an erased customer: it stays theirs and is not given to another (give the ${rowWord} its own order_ref if it is another order)', '${ImportRowProblem.ErasedCustomer}'
      from import_ref r join import_stage s on s.row_no = r.row_no join customer_order old on old.external_ref = r.ref join customer e on e.id = old.customer_id and e.status = 'erased'
     where ${v('order_ref')} is null`;
}

/**
 * The most a customer's revenue (`customer.revenue_minor`, the sum of their orders, bigint) can hold, in minor units.
 * Reports carry totals past 2^53 (test/report-totals.test.ts), so that is no bound; this end of bigint's range is.
 */
export const MAX_REVENUE_MINOR = '9223372036854775807';
const MAX_REVENUE = `${MAX_REVENUE_MINOR.slice(0, -2)}.${MAX_REVENUE_MINOR.slice(-2)}`;

/**
 * An orders file's lines that would take their customer's revenue beyond MAX_REVENUE_MINOR: each amount is
 * within its bound, but their sum could leave bigint's range and fail the whole import with a raw "bigint out of range"
 * (also in good-rows mode). Counted in file order, on top of the customer's stored orders the file does not give again
 * (by reference, the file's or derived: a re-import counts once); the lines from the first one beyond are refused
 * (INVALID_VALUE on amount, naming the customer), the rest written in good-rows mode. Run after `derivedRefsSql`.
 */
export function revenueBoundSql(spec: ImportSpec, deriveRefs: boolean, rowWord: RowWord): string | null {
  if (spec.kind !== 'orders') return null;
  return `insert into import_errors
    with file as materialized (
      select s.row_no, c.id as customer_id, btrim(s.customer_ref) as customer_ref, ${money('amount')} as amount, ${refOrDerived('order_ref', deriveRefs)} as ref
        from import_stage s ${deriveRefs ? 'join import_ref r on r.row_no = s.row_no ' : ''}join customer c on c.external_ref = btrim(s.customer_ref) where ${good}
    ), near as (
      -- Only customers whose stored revenue and the file's amounts together pass the bound need a closer look.
      select f.customer_id from file f join customer c on c.id = f.customer_id group by f.customer_id, c.revenue_minor having c.revenue_minor + sum(f.amount) > ${MAX_REVENUE_MINOR}
    ), stored as (
      -- Each such customer's stored orders the file does not give again (an anti-join, once per customer).
      select n.customer_id, coalesce(sum(o.amount_minor), 0) as other
        from near n left join customer_order o on o.customer_id = n.customer_id and not exists (select 1 from file x where x.ref = o.external_ref)
       group by n.customer_id
    ), running as (
      select f.row_no, f.customer_ref, st.other + sum(f.amount) over (partition by f.customer_id order by f.row_no) as total
        from file f join stored st on st.customer_id = f.customer_id
    )
    select row_no, 'amount', 'takes the revenue of customer "' || left(customer_ref, 60) || '" (their stored orders and ${rowWord === 'line' ? "this file''s up to this line" : "the list''s up to this row"}) beyond ${MAX_REVENUE}, the most a customer''s revenue can hold: an amount in minor units read as major ones?', '${ImportRowProblem.InvalidValue}'
      from running where total > ${MAX_REVENUE_MINOR}`;
}

/** Whether some row of a kind whose references may be derived (orders, payments) leaves its reference out: then `upsertSql` derives them. */
export function missingRefSql(spec: ImportSpec): string | null {
  return spec.kind === 'orders' || spec.kind === 'payments' ? `select exists (select 1 from import_stage s where ${v(spec.refColumn)} is null) as missing` : null;
}

/** The audit action of what an offers import changed in a stored offer, or an end made here it kept. */
const IMPORT_OFFER_ACTION = 'offer.import';

const literal = pg.escapeLiteral;

/**
 * The file's invoices count as paid on the day their stored payments first cover their amount,
 * where `which` holds (on `i`, the invoice, and `x.covered_at`); a cancelled one keeps its payments
 * as history and stays cancelled. One of amount 0 is paid on the day it was issued, not by
 * payments (`settledWhenIssued`).
 */
const paidByPayments = (which: string) => `update invoice i set paid_at = x.covered_at
  from (
    select invoice_id, min(paid_at) filter (where running >= amount) as covered_at
    from (
      select p.invoice_id, p.paid_at, inv.amount_minor as amount,
             sum(p.amount_minor) over (partition by p.invoice_id order by p.paid_at, p.id) as running
      from payment p join invoice inv on inv.id = p.invoice_id
      where inv.external_ref in (select btrim(invoice_ref) from import_stage) and inv.amount_minor > 0
    ) r group by invoice_id
  ) x
  where i.id = x.invoice_id and x.covered_at is not null and ${which} and i.cancelled_at is null`;

/**
 * The file's invoices of amount 0 that are neither paid nor cancelled are paid on the day they were
 * issued: nothing is owed on them, so nothing chases them (the sweep, overdueInvoices) and payment
 * loyalty counts them as paid on time. Migration20261215000000_zero_invoices_paid settles those stored before.
 */
const settledWhenIssued = `update invoice i set paid_at = i.issued_at
  where i.external_ref in (select btrim(invoice_ref) from import_stage) and i.amount_minor = 0 and i.paid_at is null and i.cancelled_at is null`;

/** A message chasing payment still to go, or held back by a promise to pay or a dispute (its run would send it again once the hold ends). */
const stillChasing = `m.sent_at is null and (m.suppressed_at is null or ${heldForRunSql('m.suppressed_reason')})
    and m.template in (${untilPaidTemplates.map(literal).join(', ')})`;

/** The reminders still queued for the file's invoices that are paid now are held back, as `recordPayment` does (delivery would refuse them too). */
const holdBackPaidReminders = `update outbox_message m set suppressed_at = now(), suppressed_reason = ${literal(INVOICE_PAID)}
  from invoice i
  where i.id = m.invoice_id and i.paid_at is not null and i.external_ref in (select btrim(invoice_ref) from import_stage) and ${stillChasing}`;

/** The reminders still queued for the file's invoices that are cancelled now are held back (delivery would refuse them too). */
const holdBackCancelledReminders = `update outbox_message m set suppressed_at = now(), suppressed_reason = ${literal(INVOICE_CANCELLED)}
  from invoice i
  where i.id = m.invoice_id and i.cancelled_at is not null and i.external_ref in (select btrim(invoice_ref) from import_stage) and ${stillChasing}`;

/**
 * The reminder fees the fair reminders charged on the file's invoices whose paid day it set or changed to a day they were
 * not overdue (a bank's booking of a payment made on time, arriving after the reminders): reversed as for a cancelled
 * invoice. An invoice the file lists as paid on the day stored before reverses nothing.
 */
const reverseFeesOfPaidOnTime = (actor: string, graceDays: number) => reverseFeesOfPaidOnTimeSql('i.external_ref in (select btrim(invoice_ref) from import_stage)', actor, graceDays);
/**
 * The file's invoices settled on time that their reminder run had handed over to collections: billing's task to withdraw
 * them, and the customer's correction (`withdrawFromCollectionsSql`), after their fees are reversed.
 */
const withdrawFromCollectionsOfPaidOnTime = (actor: string, graceDays: number) =>
  withdrawFromCollectionsSql('i.external_ref in (select btrim(invoice_ref) from import_stage)', actor, { why: PAID_ON_TIME, graceDays });
/**
 * The file's invoices cancelled now that their reminder run had handed over to collections: nothing was ever owed, so
 * they are withdrawn as an invoice paid on time is (billing's task, the customer's correction saying it was cancelled),
 * after their fees are reversed; once per invoice, whichever of the two comes first.
 */
const withdrawFromCollectionsOfCancelled = (actor: string) =>
  withdrawFromCollectionsSql('i.external_ref in (select btrim(invoice_ref) from import_stage)', actor, { why: CANCELLED });

/**
 * The reminder fees charged on the file's invoices that are cancelled now are reversed, in the transaction that cancels
 * them: the invoice was never owed, so the fees for chasing it are not owed either. Only what is charged and not yet
 * reversed is (a file that cancels again, or says the same once more, reverses nothing twice; an invoice with no fees
 * writes nothing); the invoice keeps what was charged (fee_charged_minor) and each reminder's booking its part, so the
 * fairness report shows it reversed under the band it was charged to. One audit entry per invoice, with the amount,
 * tells finance what to reverse in the billing system.
 */
const reverseFeesOfCancelled = (actor: string) =>
  reverseFeesSql({
    which: 'i.external_ref in (select btrim(invoice_ref) from import_stage) and i.cancelled_at is not null',
    amount: 'all',
    why: { cancelledAt: 'i.cancelled_at' },
    actor,
    at: 'now()',
  });

/**
 * The reminders still queued for the file's invoices that are not overdue now (their due day moved later, a payment
 * extension) are held back: none says "overdue" or charges a fee before the new due day (their run is cancelled after the commit).
 */
const holdBackNotDueReminders = `update outbox_message m set suppressed_at = now(), suppressed_reason = ${literal(INVOICE_NOT_DUE)}
  from invoice i
  where i.id = m.invoice_id and ${notOverdueSql('i')} and i.external_ref in (select btrim(invoice_ref) from import_stage) and ${stillChasing}`;

/**
 * Whether the customer's last consent change recorded here withdrew it, by themselves or for
 * them (an opt-out, the unsubscribe link, a person's update), not by an import: such a
 * withdrawal is not undone by a CRM export that still says yes.
 */
const withdrawnHere = (customerId: string) => `coalesce((
  select a.action <> ${literal(IMPORT_CONSENT_ACTION)} and a.after ->> 'marketingConsent' = 'false' from audit_entry a
  where a.entity_type = 'customer' and a.entity_id = ${customerId}::text and a.action in (${CONSENT_ACTIONS.map(literal).join(', ')}) and a.after ? 'marketingConsent'
  order by a.at desc limit 1), false)`;

/**
 * Whether the stored customer `c` is under an offboarding notice an account review of this
 * platform gave (its last word on it is not a withdrawal): a CRM export that still says `active`
 * does not end the notice; the review ends it (offboarded, or withdrawn). Once offboarded, the
 * CRM's word counts again (a customer who comes back).
 */
const noticeGivenHere = (c: string) => `(${c}.status = 'offboarding' and coalesce((
  select a.action <> 'customer.offboarding-withdrawn' from audit_entry a
  where a.entity_type = 'customer' and a.entity_id = ${c}.id::text and a.action in ('customer.offboarding', 'customer.offboarding-withdrawn')
  order by a.at desc, a.id desc limit 1), false))`;

/**
 * The day the invoice's stored payments first cover `amount` (null while they do not): a
 * billing export that leaves an invoice settled some other way without a payment date does
 * not make it unpaid again (nor open it to a second payment).
 */
const coveredOn = (invoiceId: string, amount: string) => `(
  select min(r.paid_at) filter (where r.running >= ${amount})
  from (select p.paid_at, sum(p.amount_minor) over (order by p.paid_at, p.id) as running from payment p where p.invoice_id = ${invoiceId}) r)`;

/** A column of a file whose value this platform keeps against it in some rows: why (for the report), and when a good row's cell was not taken. */
export interface KeptByImport {
  column: string;
  why: string;
  /** Read after the merge on the stored row as it left it (`c` a customer, `k` a complaint), with the staged row `s`. */
  when: string;
}

/**
 * The values of a file this platform keeps against it, by kind and column. Most are a decision made here the CRM
 * does not know of yet, so its export still carries the value before; one is a rule of the platform (a customer is no
 * newer than their first order). Either way the operator is told what was held back, not just "unchanged".
 */
export const KEPT_BY_IMPORT: Partial<Record<ImportSpec['kind'], { stored: string; columns: ReadonlyArray<KeptByImport> }>> = {
  customers: {
    stored: 'join customer c on c.external_ref = btrim(s.customer_ref)',
    columns: [
      {
        column: 'service_tier',
        why: 'moved to another tier here in an account review; the file still has the tier before, which counts again once it gives the new tier or another one',
        // The hold (tier_changed_from) outlives the merge only where the file gave the tier moved from.
        when: `${v('service_tier')} is not null and lower(${v('service_tier')}) = c.tier_changed_from::text and c.service_tier::text <> lower(${v('service_tier')})`,
      },
      {
        column: 'status',
        why: 'under an offboarding notice given here in an account review; it stands until the review ends it (offboarded, or the notice withdrawn)',
        when: `${v('status')} is not null and c.status::text <> lower(${v('status')})`,
      },
      {
        column: 'marketing_consent',
        why: 'consent withdrawn here (an opt-out, the unsubscribe link, a person\'s update); a file that still says yes does not give it back',
        when: `${v('marketing_consent')} is not null and ${bool('marketing_consent')} and not c.marketing_consent`,
      },
      {
        column: 'acquired_at',
        why: "held to the day of the customer's first order: a customer is no newer than their first purchase (a correction to a day on or before it is taken)",
        // The merge stores the earlier of the file's day and the first order's (a good row's cell is a valid day): one earlier than the file's was held.
        when: `${v('acquired_at')} is not null and c.acquired_at < ${v('acquired_at')}::date`,
      },
    ],
  },
  invoices: {
    stored: 'join invoice i on i.external_ref = btrim(s.invoice_ref)',
    columns: [
      {
        column: 'paid_at',
        why: "not paid before its recorded payments: an invoice they cover is paid on the day they first covered its amount, one they cover in part no earlier than its latest payment; the file's paid day is not taken (a payments file corrects a payment's day, by its payment_ref)",
        when: `${v('paid_at')} is not null and i.paid_at is distinct from ${v('paid_at')}::date`,
      },
    ],
  },
  complaints: {
    // The complaint the line updates (the one holding the reference), or its customer's withdrawn one it leaves as it is.
    stored: `join complaint k on k.external_ref = btrim(s.complaint_ref)
               and (k.${LIVE_COMPLAINT} or k.customer_id = (select c.id from customer c where c.external_ref = btrim(s.customer_ref)))`,
    columns: [
      {
        column: 'complaint_ref',
        why: 'withdrawn here (withdrawComplaint: filed by mistake): the complaint stays withdrawn and the line records it again neither as a new complaint nor over the withdrawn one (a complaint withdrawn from another customer no longer holds its reference: a line giving it with the right customer is recorded)',
        when: 'k.withdrawn_at is not null',
      },
      {
        column: 'resolved_at',
        why: 'resolved here (resolveComplaint): a file without the resolution does not reopen it; a reopened_at after it, or reopenComplaint, does, and a resolved_at the file gives is taken',
        // An empty cell clears every other resolution (resolutionKeptHere): one still stored after the merge was kept.
        when: `${v('resolved_at')} is null and k.resolved_at is not null and k.${LIVE_COMPLAINT}`,
      },
    ],
  },
};

/** One statement counting the good rows of a file whose value of each kept column was held back (see KEPT_BY_IMPORT); null when the file has none of them. */
export function keptSql(spec: ImportSpec, header: Set<string>): string | null {
  const of = KEPT_BY_IMPORT[spec.kind];
  const kept = of?.columns.filter((k) => header.has(k.column)) ?? [];
  if (!of || kept.length === 0) return null;
  return `select ${kept.map((k) => `count(*) filter (where ${k.when}) as ${k.column}`).join(', ')}
    from import_stage s ${of.stored} where ${good}`;
}

/**
 * Inserts new rows and updates those whose reference exists; returns counts. `deriveRefs`: some
 * row has no reference (see `missingRefSql`); `actor`: who imports, for the audit entries of
 * changes the log keeps one by one (marketing consent).
 */
export function upsertSql(spec: ImportSpec, header: Set<string>, deriveRefs = false, actor = 'import', onTimeGraceDays = 0): string[] {
  switch (spec.kind) {
    case 'customers':
      return [
        // Consent, time zone and tier as stored before: each consent change the file makes is audited (the timeline and the
        // customer's data export show them), a new time zone has delivery look again at messages held for the old one, and
        // a new tier is recorded as a tier change (the profitability window counts each day's tier's fee margin).
        ...(header.has('marketing_consent') || header.has('time_zone') || header.has('service_tier')
          ? [`create temp table import_contact_before on commit drop as
                select c.id, c.marketing_consent, c.time_zone, c.service_tier from import_stage s join customer c on c.external_ref = btrim(s.customer_ref) where ${good}`]
          : []),
        counted(`insert into customer (id, external_ref, name, email, phone, time_zone, locale, service_tier, tier_changed_from, status, marketing_consent, acquired_at, ${header.has('offboarded_at') ? 'offboarded_at, ' : ''}created_at, updated_at)
          select gen_random_uuid(), btrim(s.customer_ref), btrim(s.name), lower(btrim(s.email)), ${v('phone')},
                 coalesce(${v('time_zone')}, old.time_zone, 'UTC'),
                 coalesce(${v('locale')}, old.locale, 'en'),
                 case when lower(${v('service_tier')}) = old.tier_changed_from::text then old.service_tier
                      else coalesce(lower(${v('service_tier')})::service_tier, old.service_tier, 'standard') end,
                 -- Held while the file still carries the tier moved from, or carries none; its agreeing, or its own change, ends it.
                 case when ${v('service_tier')} is null or lower(${v('service_tier')}) = old.tier_changed_from::text then old.tier_changed_from end,
                 case when ${noticeGivenHere('old')} then old.status else coalesce(lower(${v('status')})::customer_status, old.status, 'active') end,
                 case when ${bool('marketing_consent')} and not old.marketing_consent and ${withdrawnHere('old.id')} then false
                      else coalesce(${bool('marketing_consent')}, old.marketing_consent, false) end,
                 -- No newer than their first stored order (least() passes over a customer without one).
                 least(coalesce(${v('acquired_at')}::date, old.acquired_at, current_date), ${firstOrderDay('old.id')}),
                 -- The day they left as the file gives it; an empty cell keeps the stored one (a CRM without the day does not
                 -- restart the retention period). Without either, the trigger customer_offboarded_at takes the import's time.
                 ${header.has('offboarded_at') ? `coalesce(${ts('offboarded_at')}, old.offboarded_at), ` : ''}now(), now()
          from import_stage s ${keepStored('customer', 'customer_ref')} where ${good} order by s.row_no
          on conflict (external_ref) do update set ${setClause(
            [
              ['name', null],
              ['email', null],
              ['phone', 'phone'],
              ['time_zone', 'time_zone'],
              ['locale', 'locale'],
              ['service_tier', 'service_tier'],
              ['tier_changed_from', 'service_tier'],
              ['status', 'status'],
              ['marketing_consent', 'marketing_consent'],
              ['acquired_at', 'acquired_at'],
              ['offboarded_at', 'offboarded_at'],
            ],
            header,
            'customer',
            'updated_at = now()',
          )}`),
        ...(header.has('marketing_consent')
          ? [`insert into audit_entry (id, at, actor, action, entity_type, entity_id, before, after)
                select gen_random_uuid(), now(), ${literal(actor)}, ${literal(IMPORT_CONSENT_ACTION)}, 'customer', c.id::text,
                       jsonb_build_object('marketingConsent', b.marketing_consent), jsonb_build_object('marketingConsent', c.marketing_consent)
                from import_contact_before b join customer c on c.id = b.id where c.marketing_consent <> b.marketing_consent`,
              // A customer the file creates with consent has it on the company's records' word: recorded as given then (no
              // `before`), so their data export can say when and how, as for a change. One statement for the whole file.
              `insert into audit_entry (id, at, actor, action, entity_type, entity_id, before, after)
                select gen_random_uuid(), now(), ${literal(actor)}, ${literal(IMPORT_CONSENT_ACTION)}, 'customer', c.id::text, null, jsonb_build_object('marketingConsent', true)
                from import_stage s join customer c on c.external_ref = btrim(s.customer_ref)
                where ${good} and c.marketing_consent and not exists (select 1 from import_contact_before b where b.id = c.id)`,
            ]
          : []),
        ...(header.has('service_tier')
          ? [`insert into service_tier_change (id, customer_id, changed_on, from_tier, to_tier, source, created_at)
                select gen_random_uuid(), c.id, (now() at time zone c.time_zone)::date, b.service_tier, c.service_tier, ${literal(TierChangeSource.Import)}, now()
                from import_contact_before b join customer c on c.id = b.id where c.service_tier <> b.service_tier`]
          : []),
        ...(header.has('time_zone')
          ? [lookAgainInNewTimeZoneSql('m.customer_id in (select b.id from import_contact_before b join customer c on c.id = b.id where c.time_zone <> b.time_zone)')]
          : []),
        // Referrers may be new in the same file: linked once all customers exist; an empty cell clears the link.
        // A customer whose referrer is all that changed counts as updated (a row the upsert wrote this transaction already does).
        ...(header.has('referrer_ref')
          ? [
              `with relink as (
                 select c.id, r.id as referrer_id, c.xmin = pg_current_xact_id()::xid as counted
                 from import_stage s join customer c on c.external_ref = btrim(s.customer_ref) left join customer r on r.external_ref = ${v('referrer_ref')}
                 where ${good} and c.referrer_id is distinct from r.id
               ), linked as (
                 update customer c set referrer_id = l.referrer_id, updated_at = now() from relink l where c.id = l.id returning l.counted
               )
               select 0 as inserted, count(*) filter (where not counted) as updated from linked`,
            ]
          : []),
      ];
    case 'orders':
      return [
        counted(`insert into customer_order (id, external_ref, customer_id, ordered_at, amount_minor, margin_minor, created_at)
          select gen_random_uuid(), ${refOrDerived('order_ref', deriveRefs)}, c.id, ${ts('ordered_at')}, ${money('amount')}, case when ${v('margin')} is null then null else ${money('margin')} end, now()
          from import_stage s ${deriveRefs ? 'join import_ref r on r.row_no = s.row_no ' : ''}join customer c on c.external_ref = btrim(s.customer_ref) where ${good}
          on conflict (external_ref) do update set ${setClause(
            [
              ['customer_id', null],
              ['ordered_at', null],
              ['amount_minor', null],
              ['margin_minor', 'margin'],
            ],
            header,
            'customer_order',
          )} ${notErasedOwner('customer_order')}`),
        // A customer is no newer than their first order: one imported without acquired_at (the import's day) who bought
        // years ago would be a newcomer (a welcome check), and left out of a rescore as of a day before the import.
        `with moved as (
           update customer c set acquired_at = ${firstOrderDay('c.id')}, updated_at = now()
            where c.external_ref in (select btrim(s.customer_ref) from import_stage s where ${good}) and c.acquired_at > ${firstOrderDay('c.id')}
           returning c.id
         )
         select 0 as inserted, 0 as updated`,
      ];
    case 'invoices': {
      // Not cancelled as the invoice will be: by the file's cancelled_at, or as stored where the file has no such column.
      const notCancelled = header.has('cancelled_at') ? `${v('cancelled_at')} is null` : 'old.cancelled_at is null';
      return [
        counted(`insert into invoice (id, external_ref, customer_id, issued_at, due_at, amount_minor, paid_at, cancelled_at, reminders_sent, fee_charged_minor, fee_waived_minor, created_at)
          select gen_random_uuid(), btrim(s.invoice_ref), c.id, ${v('issued_at')}::date, ${v('due_at')}::date, ${money('amount')},
                 -- A stored invoice its recorded payments cover is paid on the day they first covered it: a file's other day
                 -- (a settlement or value date of the billing system) does not move it, nor reverse fees by it (kept, below);
                 -- one they cover in part (its amount raised) is paid no earlier than its latest payment came.
                 case when ${v('paid_at')} is not null then coalesce(case when ${money('amount')} > 0 and ${notCancelled} then ${coveredOn('old.id', money('amount'))} end,
                                                                   greatest(${v('paid_at')}::date, (select max(p.paid_at) from payment p where p.invoice_id = old.id)))
                      -- Nothing owed: paid on the day it was issued (as settledWhenIssued, so a re-import finds it unchanged).
                      when ${money('amount')} = 0 and ${notCancelled} then ${v('issued_at')}::date
                      when old.id is not null and ${notCancelled} then ${coveredOn('old.id', money('amount'))} end,
                 ${v('cancelled_at')}::date,
                 -- The reminders and fees the fair reminders booked here stay: an export that does not know them (0, or fewer) takes none back.
                 greatest(${v('reminders_sent')}::int, old.reminders_sent, 0), greatest(${money('fee_charged')}, old.fee_charged_minor, 0),
                 greatest(${money('fee_waived')}, old.fee_waived_minor, 0), now()
          from import_stage s join customer c on c.external_ref = btrim(s.customer_ref) ${keepStored('invoice', 'invoice_ref')} where ${good}
          on conflict (external_ref) do update set ${setClause(
            [
              ['customer_id', null],
              ['issued_at', null],
              ['due_at', null],
              ['amount_minor', null],
              ['paid_at', 'paid_at'],
              ['cancelled_at', 'cancelled_at'],
              ['reminders_sent', 'reminders_sent'],
              ['fee_charged_minor', 'fee_charged'],
              ['fee_waived_minor', 'fee_waived'],
            ],
            header,
            'invoice',
            // A file without paid_at that cancels a stored invoice of amount 0, or raises its amount, takes back its settling on the
            // issue day (its stored payments, if any, then decide: paidByPayments).
            !header.has('paid_at') ? `paid_at = case when invoice.amount_minor = 0 and (${header.has('cancelled_at') ? 'excluded.cancelled_at is not null or ' : ''}excluded.amount_minor > 0) then null else invoice.paid_at end` : '',
          )} ${notErasedOwner('invoice')}`),
        // An open invoice its stored payments cover is paid, whatever columns the file has (an amount lowered to what was paid, one no longer cancelled).
        paidByPayments('i.paid_at is null'),
        // One of amount 0 is paid on the day it was issued, also where the file has no paid_at column.
        settledWhenIssued,
        holdBackPaidReminders,
        reverseFeesOfPaidOnTime(actor, onTimeGraceDays),
        withdrawFromCollectionsOfPaidOnTime(actor, onTimeGraceDays),
        holdBackCancelledReminders,
        reverseFeesOfCancelled(actor),
        withdrawFromCollectionsOfCancelled(actor),
        holdBackNotDueReminders,
      ];
    }
    case 'payments':
      return [
        counted(`insert into payment (id, external_ref, invoice_id, paid_at, amount_minor, created_at)
          select gen_random_uuid(), ${refOrDerived('payment_ref', deriveRefs)}, i.id, ${v('paid_at')}::date, ${money('amount')}, now()
          from import_stage s ${deriveRefs ? 'join import_ref r on r.row_no = s.row_no ' : ''}join invoice i on i.external_ref = btrim(s.invoice_ref) where ${good}
          on conflict (external_ref) do update set ${setClause(
            [
              ['invoice_id', null],
              ['paid_at', null],
              ['amount_minor', null],
            ],
            header,
            'payment',
          )}`),
        paidByPayments('i.paid_at is distinct from x.covered_at'),
        holdBackPaidReminders,
        reverseFeesOfPaidOnTime(actor, onTimeGraceDays),
        withdrawFromCollectionsOfPaidOnTime(actor, onTimeGraceDays),
      ];
    case 'complaints': {
      // A line reopening a resolved complaint clears its resolution and counts the reopening (unless the file gives the count), as reopenComplaint does.
      const reopens = reopensResolved(header, ts('reopened_at'));
      const reopening = mayReopen(header) ? 'reopened_at' : null;
      return [
        // The topic under its key, lower(btrim(...)), as topicKey (domain/complaints/topic.ts) stores one.
        counted(`insert into complaint (id, external_ref, customer_id, topic, severity, summary, opened_at, resolved_at, reopened_count, reopened_at, handling_cost_minor, product_defect, created_at)
          select gen_random_uuid(), btrim(s.complaint_ref), c.id, lower(btrim(s.topic)), lower(btrim(s.severity))::complaint_severity, ${v('summary')},
                 ${ts('opened_at')}, ${resolutionAfter(header, ts('resolved_at'), ts('reopened_at'))},
                 coalesce(${v('reopened_count')}::int, old.reopened_count + case when ${reopens} then 1 else 0 end, 0), ${ts('reopened_at')},
                 coalesce(${money('handling_cost')}, old.handling_cost_minor, 0), coalesce(${bool('product_defect')}, old.product_defect, false), now()
          from import_stage s join customer c on c.external_ref = btrim(s.customer_ref) ${keepStored('complaint', 'complaint_ref')}
          where ${good} and (old.id is not null or not ${withdrawnOfCustomer('c.id')})
          on conflict (external_ref) where ${LIVE_COMPLAINT} do update set ${setClause(
            [
              ['customer_id', null],
              ['topic', null],
              ['severity', null],
              ['summary', 'summary'],
              ['opened_at', null],
              // Set by the file's column, or by its reopenings of resolved complaints.
              ['resolved_at', reopening ?? 'resolved_at'],
              ['reopened_count', header.has('reopened_count') ? 'reopened_count' : (reopening ?? 'reopened_count')],
              ['reopened_at', 'reopened_at'],
              ['handling_cost_minor', 'handling_cost'],
              ['product_defect', 'product_defect'],
            ],
            header,
            'complaint',
          )} ${notErasedOwner('complaint')}`),
      ];
    }
    case 'costs':
      return [
        counted(`insert into cost_entry (id, external_ref, customer_id, occurred_at, kind, amount_minor, quantity, created_at)
          select gen_random_uuid(), btrim(s.cost_ref), c.id, ${v('occurred_at')}::date, lower(btrim(s.kind))::cost_kind, ${money('amount')},
                 ${v('quantity')}::double precision, now()
          from import_stage s join customer c on c.external_ref = btrim(s.customer_ref) where ${good}
          on conflict (external_ref) do update set ${setClause(
            [
              ['customer_id', null],
              ['occurred_at', null],
              ['kind', null],
              ['amount_minor', null],
              ['quantity', 'quantity'],
            ],
            header,
            'cost_entry',
          )} ${notErasedOwner('cost_entry')}`),
      ];
    case 'offers': {
      // An end made here (`old`, held by storedRowLockSql) stands against a file whose last day is later, or open.
      const endKept = (o: string) => (header.has('valid_until') ? `(${o}.ended_here_on is not null and coalesce(${v('valid_until')}::date > ${o}.ended_here_on, true))` : 'false');
      const audited = (o: string) => `jsonb_build_object('name', ${o}.name, 'description', ${o}.description, 'audience', ${o}.audience, 'discountPercent', ${o}.discount_percent,
        'serviceTier', ${o}.service_tier, 'validFrom', ${o}.valid_from, 'validUntil', ${o}.valid_until, 'endedHereOn', ${o}.ended_here_on)`;
      const changed = (from: string, to: string) => `(select coalesce(jsonb_object_agg(e.key, e.value), '{}') from jsonb_each(${from}) e where e.value is distinct from ${to} -> e.key)`;
      const fileDay = header.has('valid_until') ? `${v('valid_until')}::date` : 'null::date';
      // A thank-you that reached the customer (or is on its way) told them the offer, at its discount, is theirs (until its
      // day): a file ending it before the promised day is kept open to it, as endOffer refuses to end it earlier
      // (OFFER_PROMISED), one cutting its discount below what a standing promise told (its `discountPercent`) keeps that, and
      // one moving its first day after today keeps the stored one: the customers told may use it now.
      const fileDiscount = `coalesce(${v('discount_percent')}::int, 0)`;
      const toldDiscount = `(m.payload->>'discountPercent')::int`;
      const standing = `${promisedUntilSql('m')} >= current_date`;
      const cutsTold = header.has('discount_percent') ? `(${standing} and ${fileDiscount} < ${toldDiscount})` : 'false';
      const fileFrom = `${v('valid_from')}::date`;
      const delaysStart = `(${fileFrom} > current_date and ${fileFrom} > o.valid_from)`;
      const promised = `(select max(${promisedUntilSql('m')}) as until, max(${toldDiscount}) filter (where ${cutsTold}) as told_discount, bool_or(${standing}) as standing,
                                count(distinct m.customer_id) filter (where ${promisedUntilSql('m')} > ${fileDay} or ${cutsTold} or (${delaysStart} and ${standing})) as customers
                           from outbox_message m where ${promisedOfferSql('m', 'o.code')})`;
      return [
        // The file's stored offers as they were, to audit what it changes in each (and where it kept an end made here, or a promise).
        `create temp table import_offer_before on commit drop as
           select o.id, ${audited('o')} as fields, ${endKept('o')} as end_kept, ${fileDay} as file_valid_until,
                  not ${endKept('o')} and ${header.has('valid_until') ? `coalesce(${fileDay} < p.until, false)` : 'false'} as promise_kept, p.until as promised_until, p.customers as promised_customers,
                  p.told_discount is not null as discount_kept, p.told_discount, ${header.has('discount_percent') ? `${v('discount_percent')}::int` : 'null::int'} as file_discount,
                  ${delaysStart} and coalesce(p.standing, false) as start_kept, ${fileFrom} as file_valid_from
           from import_stage s join offer o on o.code = upper(btrim(s.code)) cross join lateral ${promised} p where ${good}`,
        counted(`insert into offer (id, code, name, description, audience, discount_percent, service_tier, valid_from, valid_until, ended_here_on, created_at)
          select gen_random_uuid(), upper(btrim(s.code)), btrim(s.name), ${v('description')}, lower(btrim(s.audience))::offer_audience,
                 case when b.discount_kept then b.told_discount else ${v('discount_percent')}::int end, lower(${v('service_tier')})::service_tier,
                 case when b.start_kept then old.valid_from else ${fileFrom} end,
                 case when ${endKept('old')} then old.valid_until when b.promise_kept then b.promised_until else ${v('valid_until')}::date end,
                 -- Held while the file's last day is later than the end made here, or open; one on or before it ends the hold.
                 case when ${endKept('old')} then old.ended_here_on end,
                 now()
          from import_stage s left join offer old on old.code = upper(btrim(s.code)) left join import_offer_before b on b.id = old.id where ${good}
          on conflict (code) do update set ${setClause(
            [
              ['name', null],
              ['description', 'description'],
              ['audience', null],
              ['discount_percent', 'discount_percent'],
              ['service_tier', 'service_tier'],
              ['valid_from', null],
              ['valid_until', 'valid_until'],
              ['ended_here_on', 'valid_until'],
            ],
            header,
            'offer',
          )}`),
        // One entry per stored offer the file changed (before and after, of what changed), or whose end made here it kept.
        `insert into audit_entry (id, at, actor, action, entity_type, entity_id, before, after)
           select gen_random_uuid(), now(), ${literal(actor)}, ${literal(IMPORT_OFFER_ACTION)}, 'offer', o.id::text, ${changed('b.fields', 'x.fields')},
                  ${changed('x.fields', 'b.fields')} || case when b.end_kept then jsonb_build_object('endKept', jsonb_build_object('validUntil', o.valid_until, 'fileValidUntil', b.file_valid_until)) else '{}' end
                  || case when b.promise_kept or b.discount_kept or b.start_kept then jsonb_build_object('promiseKept',
                       case when b.start_kept then jsonb_build_object('validFrom', o.valid_from, 'fileValidFrom', b.file_valid_from) else '{}' end
                       || case when b.promise_kept then jsonb_build_object('validUntil', o.valid_until, 'fileValidUntil', b.file_valid_until) else '{}' end
                       || case when b.discount_kept then jsonb_build_object('discountPercent', o.discount_percent, 'fileDiscountPercent', b.file_discount) else '{}' end
                       || jsonb_build_object('customers', b.promised_customers)) else '{}' end
           from import_offer_before b join offer o on o.id = b.id cross join lateral (select ${audited('o')} as fields) x
           where b.end_kept or b.promise_kept or b.discount_kept or b.start_kept or x.fields <> b.fields`,
      ];
    }
  }
}
