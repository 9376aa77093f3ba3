import 'reflect-metadata';
import { Extensions, Field, InputType, Int, ObjectType } from 'type-graphql';
import { columnField, ImportRowProblem } from '../../domain/import/import-spec.js';
import type { ImportReport } from '../../services/import/import.service.js';
import { NUL_REFUSED_PER_ROW } from '../argument-checks.js';
import { ImportCounts } from './import.types.js';

/*
 * One input type per import kind for the bulk mutations (importCustomers, importOrders, ...):
 * every field a string, named like its CSV column in camelCase (docs/import.md), required
 * exactly where the column is. The values are checked by the import, not by GraphQL, so
 * that every bad row is reported by index and field instead of failing the whole request
 * (a NUL character too).
 * A test checks these classes against the import specs.
 */

/** The optional currency of a row carrying amounts. */
const CURRENCY_FIELD = "ISO 4217 code of the row's amounts, checked (not converted): every amount is in the deployment's currency (the currency query), and a row naming another is refused (code InvalidValue)";

@InputType({ description: 'A customer row of a bulk import (columns of customers.csv)' })
@Extensions(NUL_REFUSED_PER_ROW)
export class CustomerImportRow {
  @Field() customerRef!: string;
  @Field() name!: string;
  @Field() email!: string;
  @Field(() => String, { nullable: true }) phone?: string | null;
  @Field(() => String, { nullable: true, description: 'IANA zone, default UTC' }) timeZone?: string | null;
  @Field(() => String, { nullable: true, description: 'Language, a BCP 47 tag (de, de-AT), default en' }) locale?: string | null;
  @Field(() => String, { nullable: true, description: 'basic, standard (default) or premium' }) serviceTier?: string | null;
  @Field(() => String, { nullable: true, description: 'active (default), offboarding or offboarded' }) status?: string | null;
  @Field(() => String, { nullable: true, description: 'true/false/1/0/yes/no' }) marketingConsent?: string | null;
  @Field(() => String, { nullable: true, description: 'customerRef of the referrer (stored, or in the same list)' }) referrerRef?: string | null;
  @Field(() => String, { nullable: true, description: 'YYYY-MM-DD, default today' }) acquiredAt?: string | null;
  @Field(() => String, {
    nullable: true,
    description:
      'YYYY-MM-DD: the day a customer with status offboarded left, from which the retention period counts; not in the future, not before acquiredAt, only for an offboarded customer. Empty: as stored, else the time of the import',
  })
  offboardedAt?: string | null;
}

@InputType({ description: 'An order row of a bulk import (columns of orders.csv)' })
@Extensions(NUL_REFUSED_PER_ROW)
export class OrderImportRow {
  @Field() customerRef!: string;
  @Field({ description: 'YYYY-MM-DD (midnight UTC) or an ISO time' }) orderedAt!: string;
  @Field({ description: 'Major units, >= 0, at most 2 decimals' }) amount!: string;
  @Field(() => String, { nullable: true, description: 'Major units, may be negative (a loss), from minus the amount to the amount' }) margin?: string | null;
  @Field(() => String, { nullable: true, description: 'Derived from customer, time, amount and occurrence when missing' }) orderRef?: string | null;
  @Field(() => String, { nullable: true, description: CURRENCY_FIELD }) currency?: string | null;
}

@InputType({ description: 'An invoice row of a bulk import (columns of invoices.csv)' })
@Extensions(NUL_REFUSED_PER_ROW)
export class InvoiceImportRow {
  @Field() invoiceRef!: string;
  @Field() customerRef!: string;
  @Field() issuedAt!: string;
  @Field({ description: 'Not before issuedAt' }) dueAt!: string;
  @Field() amount!: string;
  @Field(() => String, { nullable: true }) paidAt?: string | null;
  @Field(() => String, { nullable: true, description: 'The day the billing system cancelled it (voided, credited); not with paidAt' }) cancelledAt?: string | null;
  @Field(() => String, { nullable: true }) remindersSent?: string | null;
  @Field(() => String, { nullable: true }) feeCharged?: string | null;
  @Field(() => String, { nullable: true }) feeWaived?: string | null;
  @Field(() => String, { nullable: true, description: CURRENCY_FIELD }) currency?: string | null;
}

@InputType({ description: 'A payment row of a bulk import (columns of payments.csv)' })
@Extensions(NUL_REFUSED_PER_ROW)
export class PaymentImportRow {
  @Field({ description: 'A stored invoice' }) invoiceRef!: string;
  @Field() paidAt!: string;
  @Field({ description: 'More than 0' }) amount!: string;
  @Field(() => String, { nullable: true, description: 'Derived from invoice, date, amount and occurrence when missing' }) paymentRef?: string | null;
  @Field(() => String, { nullable: true, description: CURRENCY_FIELD }) currency?: string | null;
}

@InputType({ description: 'A complaint row of a bulk import (columns of complaints.csv)' })
@Extensions(NUL_REFUSED_PER_ROW)
export class ComplaintImportRow {
  @Field() complaintRef!: string;
  @Field() customerRef!: string;
  @Field() topic!: string;
  @Field({ description: 'low, medium, high or critical' }) severity!: string;
  @Field() openedAt!: string;
  @Field(() => String, { nullable: true, description: 'Not before openedAt' }) resolvedAt?: string | null;
  @Field(() => String, { nullable: true }) reopenedCount?: string | null;
  @Field(() => String, { nullable: true, description: 'When it was last reopened; not before openedAt' }) reopenedAt?: string | null;
  @Field(() => String, { nullable: true }) handlingCost?: string | null;
  @Field(() => String, { nullable: true }) productDefect?: string | null;
  @Field(() => String, { nullable: true }) summary?: string | null;
  @Field(() => String, { nullable: true, description: CURRENCY_FIELD }) currency?: string | null;
}

@InputType({ description: 'A cost row of a bulk import (columns of costs.csv)' })
@Extensions(NUL_REFUSED_PER_ROW)
export class CostImportRow {
  @Field() costRef!: string;
  @Field() customerRef!: string;
  @Field() occurredAt!: string;
  @Field({ description: 'support_minutes, return, discount, reminder or other' }) kind!: string;
  @Field() amount!: string;
  @Field(() => String, { nullable: true }) quantity?: string | null;
  @Field(() => String, { nullable: true, description: CURRENCY_FIELD }) currency?: string | null;
}

@InputType({ description: 'An offer row of a bulk import (columns of offers.csv)' })
@Extensions(NUL_REFUSED_PER_ROW)
export class OfferImportRow {
  @Field({ description: '2 to 40 letters, digits, - or _; stored upper case; re-imports match on it' }) code!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field({ description: 'new, existing or all' }) audience!: string;
  @Field(() => String, { nullable: true, description: '1 to 100; an offer needs this, serviceTier or both' }) discountPercent?: string | null;
  @Field(() => String, { nullable: true, description: 'basic, standard or premium' }) serviceTier?: string | null;
  @Field({ description: 'YYYY-MM-DD' }) validFrom!: string;
  @Field(() => String, { nullable: true, description: 'YYYY-MM-DD, not before validFrom; empty: open-ended' }) validUntil?: string | null;
}

@ObjectType('ImportRowsError', { simpleResolvers: true })
export class ImportRowsErrorType {
  @Field(() => Int, { description: 'Index of the row in the list, from 1' })
  row!: number;

  @Field(() => String, { nullable: true, description: 'The input field (e.g. customerRef); null when the whole row is refused' })
  field!: string | null;

  @Field(() => ImportRowProblem)
  code!: ImportRowProblem;

  @Field()
  message!: string;
}

@ObjectType('ImportRowsErrorCount', { simpleResolvers: true, description: 'How many errors of one code one input field has in the whole list, beyond the 1,000 listed too' })
export class ImportRowsErrorCountType {
  @Field(() => String, { nullable: true, description: 'The input field (e.g. customerRef); null for errors of the whole row' })
  field!: string | null;

  @Field(() => ImportRowProblem)
  code!: ImportRowProblem;

  @Field(() => Int)
  count!: number;

  @Field(() => Int, { description: 'Index (from 1) of the first row with such an error' })
  firstRow!: number;
}

@ObjectType('ImportRowsReport', { simpleResolvers: true })
export class ImportRowsReportType extends ImportCounts {
  @Field(() => [ImportRowsErrorType], { description: 'The first 1,000 errors in row order' })
  errors!: ImportRowsErrorType[];

  @Field(() => [ImportRowsErrorCountType], { description: 'Every error counted by field and code (errorCount in all), in the order each first occurs' })
  errorSummary!: ImportRowsErrorCountType[];

  /** The service's report in the terms of the input: rows by index, fields by their GraphQL names. */
  static from(report: ImportReport): ImportRowsReportType {
    return Object.assign(new ImportRowsReportType(), {
      ...report,
      errors: report.errors.map((e) => ({ row: e.line, field: e.field === null ? null : columnField(e.field), code: e.code, message: e.message })),
      errorSummary: report.errorSummary.map((g) => ({ field: g.field === null ? null : columnField(g.field), code: g.code, count: g.count, firstRow: g.firstLine })),
      kept: report.kept.map((k) => ({ ...k, field: columnField(k.field) })),
    });
  }
}
