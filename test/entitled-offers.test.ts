import { Role } from '../src/domain/auth/roles.js';
import { Customer, CustomerStatus, ServiceTier } from '../src/entities/index.js';
import { CreateOfferDocument, CustomerEntitledOffersDocument, CustomersEntitledOffersDocument, type CreateOfferInput } from './__generated__/graphql.js';
import { countStatements } from './support/statement-counter.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * What an existing customer may be offered today under the fairness rule, read on the customer: a better new
 * customers' offer launched after the year's thank-you is theirs too, and staff and front ends see it there.
 */
let stack: TestStack;
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
let premium: Customer;
let standard: Customer;
let erased: Customer;

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
  const em = stack.orm.em.fork();
  const customer = (name: string, serviceTier: ServiceTier, status = CustomerStatus.Active) => em.create(Customer, { name, email: `${name.toLowerCase().replace(/ /g, '.')}@example.com`, acquiredAt: '2020-01-01', serviceTier, status });
  premium = customer('Omar Dubois', ServiceTier.Premium);
  standard = customer('Bert Standard', ServiceTier.Standard);
  erased = customer('Gone Person', ServiceTier.Premium, CustomerStatus.Erased);
  for (let i = 0; i < 40; i++) customer(`Page Filler${i}`, [ServiceTier.Basic, ServiceTier.Standard, ServiceTier.Premium][i % 3]);
  await em.flush();
  const offers: Partial<CreateOfferInput>[] = [
    { code: 'WELCOME30', audience: 'NewCustomers', discountPercent: 30, validFrom: day(-60) },
    { code: 'LOYAL10', audience: 'ExistingCustomers', discountPercent: 10, validFrom: day(-60) },
    // Keeps a Premium customer on their tier; would move a Standard one.
    { code: 'PREMIUM20', audience: 'Everyone', discountPercent: 20, serviceTier: 'Premium', validFrom: day(-60) },
    // A bigger discount for moving down: a downgrade in disguise, never listed.
    { code: 'BASIC60', audience: 'ExistingCustomers', discountPercent: 60, serviceTier: 'Basic', validFrom: day(-60) },
    { code: 'ENDED40', audience: 'ExistingCustomers', discountPercent: 40, validFrom: day(-60), validUntil: day(-1) },
    { code: 'LATER45', audience: 'Everyone', discountPercent: 45, validFrom: day(5) },
  ];
  for (const offer of offers) await create(offer);
});
afterAll(() => stack?.stop());

async function create(over: Partial<CreateOfferInput>) {
  const r = await stack.gql(CreateOfferDocument, { input: { code: 'X', name: 'An offer', audience: 'Everyone', validFrom: day(0), ...over } }, Role.Marketer);
  expect(r.errors).toBeUndefined();
}

const entitled = async (id: string, role = Role.Viewer) => {
  const r = await stack.gql(CustomerEntitledOffersDocument, { id }, role);
  expect(r.errors).toBeUndefined();
  return r.data!.customer!.entitledOffers.map((e) => `${e.offer.code}${e.matchesNewCustomerOffer ? ' (matched)' : ''}`);
};

it("lists the offers open today that keep the customer's tier, and the best new customers' offer matched when it beats them", async () => {
  expect(await entitled(premium.id)).toEqual(['WELCOME30 (matched)', 'PREMIUM20', 'LOYAL10']);
  expect(await entitled(standard.id)).toEqual(['WELCOME30 (matched)', 'LOYAL10']);
  expect(await entitled(erased.id)).toEqual([]);
});

it("gives a loyal customer a new customers' offer created after their thank-you: WELCOME50 matched from its first day", async () => {
  await create({ code: 'WELCOME50', name: '50% off your first three months', audience: 'NewCustomers', discountPercent: 50, validFrom: day(0) });
  expect(await entitled(premium.id)).toEqual(['WELCOME50 (matched)', 'PREMIUM20', 'LOYAL10']);
  expect(await entitled(standard.id, Role.Operator)).toEqual(['WELCOME50 (matched)', 'LOYAL10']);
  const r = await stack.gql(CustomerEntitledOffersDocument, { id: premium.id }, Role.Viewer);
  expect(r.data!.customer!.entitledOffers[0].offer).toMatchObject({ code: 'WELCOME50', audience: 'NewCustomers', discountPercent: 50, serviceTier: null, validUntil: null });
});

it('answers a page of customers in as many statements as a page of two', async () => {
  const read = (first: number) => countStatements(() => stack.gql(CustomersEntitledOffersDocument, { first }, Role.Viewer));
  const small = await read(2);
  const page = await read(43);
  expect(page.result.errors).toBeUndefined();
  const nodes = page.result.data!.customers.edges.map((e) => e.node);
  expect(nodes).toHaveLength(43);
  expect(nodes.find((n) => n.id === premium.id)!.entitledOffers.map((e) => e.offer.code)).toEqual(['WELCOME50', 'PREMIUM20', 'LOYAL10']);
  expect(page.statements.length).toBe(small.statements.length);
  expect(page.statements.filter((s) => /from "?offer"?/.test(s))).toHaveLength(1);
});
