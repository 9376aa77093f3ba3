import 'reflect-metadata';
import { GraphQLInputObjectType, GraphQLNonNull, GraphQLString, graphql, type GraphQLSchema } from 'graphql';
import { Role } from '../../domain/auth/roles.js';
import { ImportRowProblem } from '../../domain/import/import-spec.js';
import { columnField, importSpecs, type ImportKind } from '../../domain/import/import-spec.js';
import { createLogger } from '../../logger.js';
import type { ImportOptions, ImportReport, ImportRow } from '../../services/import/import.service.js';
import type { Services } from '../../services/index.js';
import { createErrorFormatter } from '../errors.js';
import { resolvers } from '../schema.js';
import { ImportRowsResolver } from './import-rows.resolver.js';
import { importSchema } from '../../../test/support/import-schema.js';

/** The bulk row mutations against a recording fake of the import service (the real one is tested in test/import.test.ts). */
let schema: GraphQLSchema;
const calls: Array<{ kind: string; rows: readonly ImportRow[]; options: ImportOptions }> = [];
let answer: ImportReport;
const imports = {
  importRows: async (kind: string, rows: readonly ImportRow[], options: ImportOptions) => {
    calls.push({ kind, rows, options });
    return answer;
  },
};
const format = createErrorFormatter(createLogger('silent', 'test'), false);

async function run(source: string, role: Role | null, variableValues?: Record<string, unknown>) {
  const result = await graphql({
    schema,
    source,
    variableValues,
    contextValue: { caller: role && { role, id: `${role}:test` }, services: { imports } as unknown as Services },
  });
  return { data: result.data as Record<string, any> | null | undefined, errors: result.errors?.map((e) => format(e.toJSON(), e)), raw: result.errors };
}

beforeAll(async () => {
  schema = await importSchema(ImportRowsResolver);
});
beforeEach(() => {
  calls.length = 0;
  answer = { kind: 'customers', mode: 'all-or-nothing', source: 'graphql', rowsRead: 2, inserted: 1, updated: 0, unchanged: 0, rejected: 1, written: true, errorCount: 1, errors: [{ line: 2, field: 'marketing_consent', code: ImportRowProblem.InvalidValue, message: '"maybe" is not true or false' }], errorSummary: [{ field: 'marketing_consent', code: ImportRowProblem.InvalidValue, count: 1, firstLine: 2 }], kept: [{ field: 'service_tier', rows: 1, why: 'moved here' }] };
});

const typeOf: Record<ImportKind, string> = {
  customers: 'CustomerImportRow',
  orders: 'OrderImportRow',
  invoices: 'InvoiceImportRow',
  payments: 'PaymentImportRow',
  complaints: 'ComplaintImportRow',
  costs: 'CostImportRow',
  offers: 'OfferImportRow',
};

it.each(Object.keys(typeOf) as ImportKind[])('%s rows have one string field per CSV column, required where the column is', (kind) => {
  const type = schema.getType(typeOf[kind]) as GraphQLInputObjectType;
  const fields = Object.values(type.getFields()).map((f) => [f.name, f.type instanceof GraphQLNonNull ? 'required' : 'optional', f.type instanceof GraphQLNonNull ? f.type.ofType : f.type]);
  expect(fields).toEqual(importSpecs[kind].columns.map((c) => [columnField(c.name), c.required ? 'required' : 'optional', GraphQLString]));
});

it('has one mutation per kind, registered in the API schema beside importCsv', async () => {
  expect(Object.keys(schema.getMutationType()!.getFields()).sort()).toEqual(['importComplaints', 'importCosts', 'importCustomers', 'importInvoices', 'importOffers', 'importOrders', 'importPayments']);
  expect(resolvers).toContain(ImportRowsResolver);
});

const customers = `mutation($rows: [CustomerImportRow!]!, $mode: ImportMode) {
  importCustomers(rows: $rows, mode: $mode) { kind mode rowsRead inserted rejected written errorCount errors { row field code message } errorSummary { field code count firstRow } kept { field rows why } }
}`;

it.each([Role.Viewer, Role.Marketer, Role.Operator, null])('is refused to %s without calling the service', async (role) => {
  const r = await run(customers, role, { rows: [{ customerRef: 'A', name: 'A', email: 'a@example.com' }] });
  expect(r.errors![0].extensions!.code).toBe(role ? 'FORBIDDEN' : 'UNAUTHENTICATED');
  expect(calls).toHaveLength(0);
});

it('passes rows as CSV columns, leaving out the fields a row leaves out, and reports by row index and input field', async () => {
  const r = await run(customers, Role.Admin, {
    rows: [
      { customerRef: 'A-1', name: 'Ann', email: 'ann@example.com', marketingConsent: 'yes', phone: null },
      { customerRef: 'A-2', name: 'Bob', email: 'bob@example.com', marketingConsent: 'maybe' },
    ],
  });
  expect(r.errors).toBeUndefined();
  expect(calls).toHaveLength(1);
  expect(calls[0].kind).toBe('customers');
  expect(calls[0].options).toMatchObject({ mode: 'all-or-nothing', actor: 'admin:test', source: 'graphql' });
  expect(calls[0].rows.map((row) => ({ ...row }))).toEqual([
    { customer_ref: 'A-1', name: 'Ann', email: 'ann@example.com', marketing_consent: 'yes', phone: null },
    { customer_ref: 'A-2', name: 'Bob', email: 'bob@example.com', marketing_consent: 'maybe' },
  ]);
  expect(r.data!.importCustomers).toEqual({
    kind: 'Customers',
    mode: 'AllOrNothing',
    rowsRead: 2,
    inserted: 1,
    rejected: 1,
    written: true,
    errorCount: 1,
    errors: [{ row: 2, field: 'marketingConsent', code: 'InvalidValue', message: '"maybe" is not true or false' }],
    errorSummary: [{ field: 'marketingConsent', code: 'InvalidValue', count: 1, firstRow: 2 }],
    kept: [{ field: 'serviceTier', rows: 1, why: 'moved here' }],
  });
});

it('takes GoodRows mode and the other kinds', async () => {
  answer = { ...answer, kind: 'orders', mode: 'good-rows', errors: [{ line: 1, field: null, code: ImportRowProblem.MalformedLine, message: 'contains a NUL character' }] };
  const r = await run(
    `mutation { importOrders(rows: [{ customerRef: "A-1", orderedAt: "2026-01-01", amount: "1", orderRef: "O-1" }], mode: GoodRows) { mode errors { row field } } }`,
    Role.Admin,
  );
  expect(r.data!.importOrders).toEqual({ mode: 'GoodRows', errors: [{ row: 1, field: null }] });
  expect(calls[0]).toMatchObject({ kind: 'orders', options: { mode: 'good-rows', actor: 'admin:test' } });
  expect(calls[0].rows[0]).toEqual({ customer_ref: 'A-1', ordered_at: '2026-01-01', amount: '1', order_ref: 'O-1' });
});

it('refuses a row without a required field before calling the service', async () => {
  const r = await run(`mutation { importCosts(rows: [{ costRef: "C", customerRef: "A", occurredAt: "2026-01-01", amount: "1" }]) { inserted } }`, Role.Admin);
  // graphql-js refuses the document while validating it (Apollo adds the code GRAPHQL_VALIDATION_FAILED).
  expect(r.raw![0].message).toMatch(/Field "CostImportRow.kind" of required type "String!" was not provided/);
  expect(calls).toHaveLength(0);
});
