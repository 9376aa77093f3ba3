import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';
import { columnField, fieldColumn, type ImportKind } from '../../domain/import/import-spec.js';
import { Allow } from '../auth/allow.js';
import type { GraphQLContext } from '../context.js';
import { ImportModeEnum } from './import.types.js';
import {
  ComplaintImportRow,
  CostImportRow,
  CustomerImportRow,
  ImportRowsReportType,
  InvoiceImportRow,
  OfferImportRow,
  OrderImportRow,
  PaymentImportRow,
} from './import-rows.types.js';

const modeArg = { defaultValue: ImportModeEnum.AllOrNothing, description: 'AllOrNothing (default) writes nothing when any row has an error' };
const listed =
  'Every row sends the same fields (a field no row sends keeps stored values; null or "" empties one; VALIDATION / IMPORT_ROW_FIELDS_DIFFER otherwise). At most 10,000 rows (VALIDATION / IMPORT_TOO_MANY_ROWS beyond); errors name the row by its index from 1. Takes its turn among the imports of the API (UNAVAILABLE / IMPORT_BUSY, retry: true, when none comes in time). Audited.';

/**
 * Bulk imports of rows given as GraphQL input (the CLI takes files): each kind runs through
 * the same staging, checks and merge as a CSV file, matched by the source references.
 */
@Resolver()
export class ImportRowsResolver {
  @Allow(Role.Admin)
  @Mutation(() => ImportRowsReportType, { description: `Imports customers by customerRef. ${listed}` })
  importCustomers(
    @Arg('rows', () => [CustomerImportRow]) rows: CustomerImportRow[],
    @Arg('mode', () => ImportModeEnum, modeArg) mode: ImportModeEnum,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ImportRowsReportType> {
    return importRows('customers', rows, mode, ctx);
  }

  @Allow(Role.Admin)
  @Mutation(() => ImportRowsReportType, { description: `Imports orders of stored customers by orderRef. ${listed}` })
  importOrders(
    @Arg('rows', () => [OrderImportRow]) rows: OrderImportRow[],
    @Arg('mode', () => ImportModeEnum, modeArg) mode: ImportModeEnum,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ImportRowsReportType> {
    return importRows('orders', rows, mode, ctx);
  }

  @Allow(Role.Admin)
  @Mutation(() => ImportRowsReportType, { description: `Imports invoices of stored customers by invoiceRef. ${listed}` })
  importInvoices(
    @Arg('rows', () => [InvoiceImportRow]) rows: InvoiceImportRow[],
    @Arg('mode', () => ImportModeEnum, modeArg) mode: ImportModeEnum,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ImportRowsReportType> {
    return importRows('invoices', rows, mode, ctx);
  }

  @Allow(Role.Admin)
  @Mutation(() => ImportRowsReportType, { description: `Imports payments of stored invoices by paymentRef; an invoice is paid on the day its payments first cover it. ${listed}` })
  importPayments(
    @Arg('rows', () => [PaymentImportRow]) rows: PaymentImportRow[],
    @Arg('mode', () => ImportModeEnum, modeArg) mode: ImportModeEnum,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ImportRowsReportType> {
    return importRows('payments', rows, mode, ctx);
  }

  @Allow(Role.Admin)
  @Mutation(() => ImportRowsReportType, { description: `Imports complaints of stored customers by complaintRef. ${listed}` })
  importComplaints(
    @Arg('rows', () => [ComplaintImportRow]) rows: ComplaintImportRow[],
    @Arg('mode', () => ImportModeEnum, modeArg) mode: ImportModeEnum,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ImportRowsReportType> {
    return importRows('complaints', rows, mode, ctx);
  }

  @Allow(Role.Admin)
  @Mutation(() => ImportRowsReportType, { description: `Imports cost entries of stored customers by costRef. ${listed}` })
  importCosts(
    @Arg('rows', () => [CostImportRow]) rows: CostImportRow[],
    @Arg('mode', () => ImportModeEnum, modeArg) mode: ImportModeEnum,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ImportRowsReportType> {
    return importRows('costs', rows, mode, ctx);
  }

  @Allow(Role.Admin)
  @Mutation(() => ImportRowsReportType, { description: `Imports offers by code (a new-customer offer is matched for existing customers from its first day; an offer ended here keeps its last day against a later validUntil, or none, until a row agrees; each stored offer it changes is audited as offer.import). ${listed}` })
  importOffers(
    @Arg('rows', () => [OfferImportRow]) rows: OfferImportRow[],
    @Arg('mode', () => ImportModeEnum, modeArg) mode: ImportModeEnum,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ImportRowsReportType> {
    return importRows('offers', rows, mode, ctx);
  }
}

/** Input fields -> CSV columns (a field left out stays out: stored values are kept), one service call, report and refusals in input terms. */
async function importRows(kind: ImportKind, rows: object[], mode: ImportModeEnum, ctx: GraphQLContext): Promise<ImportRowsReportType> {
  const records = rows.map((row) => Object.fromEntries(Object.entries(row).map(([field, value]) => [fieldColumn(field), value as string | null])));
  const report = await ctx.services.imports.importRows(kind, records, { mode, actor: ctx.caller!.id, source: 'graphql', fieldName: columnField });
  return ImportRowsReportType.from(report);
}
