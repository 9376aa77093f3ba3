import { Role } from '../src/domain/auth/roles.js';
import { Customer } from '../src/entities/index.js';
import { AuditEntriesDocument, CreateOfferDocument, ImportCsvDocument, UpdateCustomerDocument, type AuditEntriesQuery, type AuditEntriesQueryVariables } from './__generated__/graphql.js';
import { startTestStack, type TestStack } from './support/stack.js';

/** Admins read the audit trail the mutations write. */
let stack: TestStack;
let customer: Customer;

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
  const em = stack.orm.em.fork();
  customer = em.create(Customer, { name: 'Ada Lovelace', email: 'ada@example.com', acquiredAt: '2024-05-01', externalRef: 'ADA-1' });
  await em.flush();
  await stack.gql(UpdateCustomerDocument, { id: customer.id, input: { name: 'Ada King' } }, Role.Operator);
  await stack.gql(UpdateCustomerDocument, { id: customer.id, input: { phone: '+44 20 7946 0000' } }, Role.Admin);
  for (const code of ['LOYAL10', 'LOYAL15', 'LOYAL20']) {
    await stack.gql(CreateOfferDocument, { input: { code, name: code, audience: 'ExistingCustomers', discountPercent: Number(code.slice(5)), validFrom: '2026-01-01' } }, Role.Marketer);
  }
});
afterAll(() => stack?.stop());

const entries = async (vars: AuditEntriesQueryVariables) => {
  const all: AuditEntriesQuery['auditEntries']['edges'][number]['node'][] = [];
  let after: string | null = null;
  for (;;) {
    const r = await stack.gql(AuditEntriesDocument, { first: 2, ...vars, after }, Role.Admin);
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    const page: AuditEntriesQuery['auditEntries'] = r.data!.auditEntries;
    all.push(...page.edges.map((e) => e.node));
    if (!page.pageInfo.hasNextPage) return { all, total: page.totalCount };
    after = page.pageInfo.endCursor!;
  }
};

it('is read by admins only', async () => {
  for (const role of [Role.Viewer, Role.Marketer, Role.Operator]) {
    expect((await stack.gql(AuditEntriesDocument, { first: 5 }, role)).errors![0].extensions!.code).toBe('FORBIDDEN');
  }
});

it("shows an entity's trail, newest first, with who changed what", async () => {
  const { all, total } = await entries({ entityType: 'customer', entityId: customer.id });
  expect(total).toBe(2);
  expect(all.map((e) => [e.action, e.actor.split(':')[0], e.before, e.after])).toEqual([
    ['customer.update', 'admin', { phone: null }, { phone: '+44 20 7946 0000' }],
    ['customer.update', 'operator', { name: 'Ada Lovelace' }, { name: 'Ada King' }],
  ]);
});

it('refuses an entity type the log never records, naming those it does, instead of answering an empty trail', async () => {
  const refused = await stack.gql(AuditEntriesDocument, { first: 5, entityType: 'Customer' }, Role.Admin);
  expect(refused.errors![0]).toMatchObject({ message: expect.stringContaining('Unknown entity type "Customer"; one of: api-key, campaign, complaint, complaints, costs, customer, customers,'), extensions: { code: 'VALIDATION', reason: 'AUDIT_INVALID_INPUT', field: 'entityType' } });
});

it("finds an import's entry under its kind, as the import records it", async () => {
  // (A file whose every row is refused writes nothing, and no entry: one good row is written.)
  const imported = await stack.gql(ImportCsvDocument, { input: { kind: 'Orders', csv: 'customer_ref,ordered_at,amount\nNO-SUCH-CUSTOMER,2026-01-01,5\nADA-1,2026-01-01,5\n', mode: 'GoodRows' } }, Role.Admin);
  expect(imported.data!.importCsv).toMatchObject({ written: true, rejected: 1, inserted: 1 });
  const { all } = await entries({ entityType: 'orders' });
  expect(all.map((e) => [e.action, e.entityType])).toEqual([['import.orders', 'orders']]);
});

it('pages through the whole log and narrows it by action or actor', async () => {
  const everything = await entries({});
  expect(everything.total).toBe(6);
  expect(new Set(everything.all.map((e) => e.id)).size).toBe(6);
  const offers = await entries({ action: 'offer.create' });
  expect(offers.all.map((e) => (e.after as { code: string }).code)).toEqual(['LOYAL20', 'LOYAL15', 'LOYAL10']);
  const byMarketer = await entries({ actor: offers.all[0].actor });
  expect(byMarketer.total).toBe(3);
});
