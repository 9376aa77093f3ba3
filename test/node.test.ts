import { randomUUID } from 'node:crypto';
import { parse } from 'graphql';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';
import { getMetadataStorage } from 'type-graphql';
import { Role } from '../src/domain/auth/roles.js';
import { Complaint, ComplaintSeverity, Customer, Invoice, Order, Payment } from '../src/entities/index.js';
import { createSchema } from '../src/graphql/schema.js';
import { CreateCampaignDocument, CreateSegmentDocument, CustomerTimelinePaginationQueryDocument, CustomerWithTimelinePageDocument, NodeByIdDocument } from './__generated__/graphql.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * Relay's Global Object Identification: a front end refetches a customer, campaign, invoice or segment by its ID alone
 * (node(id)), which is what a @refetchable fragment on the type needs to page the lists under it.
 */
let stack: TestStack;
let anna: Customer;
let invoice: Invoice;
const at = (iso: string) => new Date(iso);

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
  const em = stack.orm.em.fork();
  anna = em.create(Customer, { name: 'Anna Node', email: 'anna.node@example.com', acquiredAt: '2025-01-01' });
  for (let day = 1; day <= 5; day++) em.create(Order, { customer: anna, orderedAt: at(`2026-10-0${day}T09:00:00Z`), amountMinor: 1_000 * day });
  em.create(Complaint, { customer: anna, topic: 'delivery-delay', severity: ComplaintSeverity.Low, openedAt: at('2026-10-06T10:00:00Z') });
  invoice = em.create(Invoice, { customer: anna, issuedAt: '2026-10-02', dueAt: '2026-10-16', amountMinor: 12_000 });
  em.create(Payment, { invoice, paidAt: '2026-10-10', amountMinor: 2_000 });
  await em.flush();
}, 90_000);
afterAll(() => stack?.stop());

const node = (id: string, role: Role | null = Role.Viewer) => stack.gql(NodeByIdDocument, { id }, role);

it('answers a customer with the lists under them, as customer(id) does', async () => {
  const result = await node(anna.id);
  expect(result.errors).toBeUndefined();
  expect(result.data!.node).toEqual({
    __typename: 'Customer',
    id: anna.id,
    name: 'Anna Node',
    timeline: { totalCount: 8, edges: [{ node: { kind: 'PaymentReceived' } }, { node: { kind: 'ComplaintOpened' } }] },
  });
  // An ID in capitals names the same customer, as everywhere.
  expect((await node(anna.id.toUpperCase())).data!.node).toMatchObject({ __typename: 'Customer', id: anna.id });
});

it('answers a campaign, an invoice and a segment by their own IDs', async () => {
  const segment = await stack.gql(CreateSegmentDocument, { input: { name: 'Node segment', filter: { search: 'Anna Node' } } }, Role.Marketer);
  expect(segment.errors).toBeUndefined();
  const campaign = await stack.gql(CreateCampaignDocument, { input: { name: 'Node campaign', playbook: 'Appreciation', filter: { search: 'Anna Node' } } }, Role.Marketer);
  expect(campaign.errors).toBeUndefined();

  const campaignNode = await node(campaign.data!.createCampaign.id);
  expect(campaignNode.errors).toBeUndefined();
  expect(campaignNode.data!.node).toEqual({ __typename: 'Campaign', id: campaign.data!.createCampaign.id, name: 'Node campaign', status: 'Draft', members: { totalCount: 0 } });

  const invoiceNode = await node(invoice.id);
  expect(invoiceNode.errors).toBeUndefined();
  expect(invoiceNode.data!.node).toEqual({ __typename: 'Invoice', id: invoice.id, amountMinor: 12_000, payments: { totalCount: 1 } });

  const segmentNode = await node(segment.data!.createSegment.id);
  expect(segmentNode.errors).toBeUndefined();
  expect(segmentNode.data!.node).toEqual({ __typename: 'Segment', id: segment.data!.createSegment.id, name: 'Node segment', customers: { totalCount: 1 } });
});

it('answers null for an ID no object has; refuses one that is no UUID, as every ID argument', async () => {
  const unknown = await node(randomUUID());
  expect(unknown.errors).toBeUndefined();
  expect(unknown.data!.node).toBeNull();
  const malformed = await node('not-a-uuid');
  expect(malformed.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_ARGUMENT', field: 'id' });
});

it("pages a customer's timeline on through node(id), as Relay's usePaginationFragment refetches a fragment on Customer", async () => {
  const all = await stack.gql(CustomerWithTimelinePageDocument, { id: anna.id, count: 8 }, Role.Viewer);
  const first = await stack.gql(CustomerWithTimelinePageDocument, { id: anna.id, count: 2 }, Role.Viewer);
  expect(first.errors).toBeUndefined();
  const { endCursor, hasNextPage } = first.data!.customer!.timeline.pageInfo;
  expect(hasNextPage).toBe(true);

  const next = await stack.gql(CustomerTimelinePaginationQueryDocument, { id: anna.id, count: 2, cursor: endCursor }, Role.Viewer);
  expect(next.errors).toBeUndefined();
  const page = next.data!.node!;
  expect(page.__typename).toBe('Customer');
  if (page.__typename !== 'Customer') throw new Error('not a customer');
  expect(page.timeline.edges.map((e) => e.node.id)).toEqual(all.data!.customer!.timeline.edges.slice(2, 4).map((e) => e.node.id));
  expect(page.timeline.pageInfo.hasNextPage).toBe(true);
});

it("lets in whom the kind's own query lets in: a caller without a key is refused, and a kind closed to a role is refused to it", async () => {
  const anonymous = await node(anna.id, null);
  expect(anonymous.data?.node ?? null).toBeNull();
  expect(anonymous.errors![0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'AUTH_MISSING_CREDENTIALS' });

  // Every kind is open to viewers today; node(id) follows customer(id)'s @Allow as it stands, so closing it to viewers closes the customers node(id) finds.
  const allowed = getMetadataStorage().authorizedFields.find((a) => a.fieldName === 'customer' && (a.target as { name: string }).name === 'CustomerResolver')!;
  const roles = allowed.roles;
  allowed.roles = [Role.Operator];
  try {
    const viewer = await node(anna.id);
    expect(viewer.data?.node ?? null).toBeNull();
    expect(viewer.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'AUTH_ROLE_NOT_ALLOWED', required: ['Operator', 'Admin'] });
    expect((await node(anna.id, Role.Operator)).data!.node).toMatchObject({ __typename: 'Customer', id: anna.id });
    // Another kind is not closed with it.
    expect((await node(invoice.id)).data!.node).toMatchObject({ __typename: 'Invoice' });
  } finally {
    allowed.roles = roles;
  }
});

it("costs what the kind's own single read costs", async () => {
  const schema = await createSchema();
  const cost = (query: string) => getComplexity({ schema, query: parse(query), variables: {}, estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })] });
  const selection = 'id name timeline(first: 100) { edges { node { id summary } } } orders(first: 50) { edges { node { id } } }';
  const own = cost(`{ customer(id: "${anna.id}") { ${selection} } }`);
  expect(own).toBeGreaterThan(300);
  expect(cost(`{ node(id: "${anna.id}") { ... on Customer { ${selection} } } }`)).toBe(own);
});
