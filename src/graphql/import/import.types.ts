import 'reflect-metadata';
import { MaxLength } from 'class-validator';
import { Extensions, Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ImportRowProblem } from '../../domain/import/import-spec.js';
import { NUL_REFUSED_PER_ROW } from '../argument-checks.js';

export enum ImportKindEnum {
  Customers = 'customers',
  Orders = 'orders',
  Invoices = 'invoices',
  Payments = 'payments',
  Complaints = 'complaints',
  Costs = 'costs',
  Offers = 'offers',
}
registerEnumType(ImportKindEnum, { name: 'ImportKind' });

export enum ImportModeEnum {
  AllOrNothing = 'all-or-nothing',
  GoodRows = 'good-rows',
}
registerEnumType(ImportModeEnum, {
  name: 'ImportMode',
  description: 'AllOrNothing writes nothing of a file with errors; GoodRows writes the good rows and reports the bad',
});

registerEnumType(ImportRowProblem, {
  name: 'ImportRowProblem',
  description: 'What is wrong with a line or row of an import, to group errors by (the message says it in words)',
  valuesConfig: {
    MalformedLine: { description: 'The line as a whole: another number of fields than the header, a NUL character' },
    Required: { description: 'An empty required column' },
    InvalidValue: { description: "Not a value of the column's type (a date, an amount, one of a list, ...), or out of its range" },
    InTheFuture: { description: 'Something that has happened, dated after today anywhere on earth' },
    BeforeEarliestDay: { description: 'Dated before 1900-01-01: a typo' },
    DuplicateReference: { description: 'An earlier line or row has the same reference' },
    UnknownReference: { description: 'A customer, referrer or invoice that is neither stored nor in the file' },
    OutOfOrder: { description: 'A date before one it must follow: due before issued, resolved before opened, ...' },
    ReferralCircle: { description: 'A customer referring themselves, or referrals going round in a circle' },
    ReferrerRefused: { description: "The referrer's own line is refused" },
    Incomplete: { description: "A row missing both of two columns it needs one of (an offer's discount or tier)" },
    NotOffboarded: { description: "A day the customer left (offboarded_at) for a customer whose status, the file's or else the stored one, is not offboarded" },
    ErasedCustomer: { description: 'An order, invoice, complaint or cost stored for an erased customer: it is not moved to a customer imported since' },
    OtherCustomer: { description: 'An order, invoice, complaint or cost entry stored for another customer than the row names: an import does not move one to another customer' },
  },
});

/** The largest CSV text the mutation takes; bigger exports go through the CLI, which streams. */
export const MAX_IMPORT_CSV_CHARS = 5_000_000;

@InputType()
@Extensions(NUL_REFUSED_PER_ROW)
export class ImportCsvInput {
  @Field(() => ImportKindEnum)
  kind!: ImportKindEnum;

  @Field({
    description: `CSV text with a header line, at most ${MAX_IMPORT_CSV_CHARS} characters (formats: docs/import.md). The request body is at most 12 MiB (REQUEST_TOO_LARGE) before the characters are counted: a text with many non-ASCII characters (2 to 4 bytes each in UTF-8, 6 as a \\uXXXX escape) is refused below ${MAX_IMPORT_CSV_CHARS} characters; import such files through the CLI`,
  })
  @MaxLength(MAX_IMPORT_CSV_CHARS)
  csv!: string;

  @Field(() => ImportModeEnum, { defaultValue: ImportModeEnum.AllOrNothing })
  mode!: ImportModeEnum;
}

@ObjectType('ImportRowError', { simpleResolvers: true })
export class ImportRowErrorType {
  @Field(() => Int, { description: 'Line of the CSV text; the header is line 1' })
  line!: number;

  @Field(() => String, { nullable: true })
  field!: string | null;

  @Field(() => ImportRowProblem)
  code!: ImportRowProblem;

  @Field()
  message!: string;
}

@ObjectType('ImportKept', {
  simpleResolvers: true,
  description: "A column whose values in some written rows were kept as stored, for a decision made here the source system does not know of yet (customers: a tier moved or an offboarding notice given in an account review, marketing consent withdrawn here; complaints: a resolution made here with resolveComplaint, a complaint withdrawn here with withdrawComplaint, whose line records none again), or held by a rule (customers: an acquiredAt later than the customer's first order, held to that order's day)",
})
export class ImportKeptType {
  @Field({ description: 'The column (the bulk mutations: the row field)' })
  field!: string;

  @Field(() => Int, { description: 'Written rows whose value of it was held back (also counted as updated or unchanged, by their other values)' })
  rows!: number;

  @Field({ description: 'Why, in words' })
  why!: string;
}

/** The counts both import reports give (CSV text and typed rows). */
@ObjectType({ simpleResolvers: true })
export abstract class ImportCounts {
  @Field(() => ImportKindEnum)
  kind!: string;

  @Field(() => ImportModeEnum)
  mode!: string;

  @Field(() => Int)
  rowsRead!: number;

  @Field(() => Int)
  inserted!: number;

  @Field(() => Int, { description: 'Rows matched by their reference whose values changed' })
  updated!: number;

  @Field(() => Int, { description: 'Rows matched by their reference with every value as stored: left alone' })
  unchanged!: number;

  @Field(() => Int, { description: 'Rows with at least one error' })
  rejected!: number;

  @Field({
    description:
      'False when the import was not applied and nothing was written: errors in AllOrNothing mode, every row refused in GoodRows mode, or no rows. An applied import is written (and audited) even if every row was unchanged',
  })
  written!: boolean;

  @Field(() => Int)
  errorCount!: number;

  @Field(() => [ImportKeptType], { description: "Columns whose values the import kept as stored in some rows, and why (empty when it took every value it was given): such a row's value there is not the file's" })
  kept!: ImportKeptType[];
}

@ObjectType('ImportErrorCount', { simpleResolvers: true, description: 'How many errors of one code one column has in the whole file, beyond the 1,000 listed too' })
export class ImportErrorCountType {
  @Field(() => String, { nullable: true, description: 'The column; null for errors of the whole line' })
  field!: string | null;

  @Field(() => ImportRowProblem)
  code!: ImportRowProblem;

  @Field(() => Int)
  count!: number;

  @Field(() => Int, { description: 'Line of the first such error (the header is line 1)' })
  firstLine!: number;
}

@ObjectType('ImportReport', { simpleResolvers: true })
export class ImportReportType extends ImportCounts {
  @Field(() => [ImportRowErrorType], { description: 'The first 1,000 errors in line order' })
  errors!: ImportRowErrorType[];

  @Field(() => [ImportErrorCountType], { description: 'Every error counted by column and code (errorCount in all), in the order each first occurs: one systematic column or a few bad lines' })
  errorSummary!: ImportErrorCountType[];
}
