import { Role } from '../src/domain/auth/roles.js';
import { Complaint, ComplaintSeverity, Customer, ServiceTier } from '../src/entities/index.js';
import { ComplaintTopicCatalogueDocument, ComplaintTopicsDocument, CustomersDocument, EraseCustomerDocument } from './__generated__/graphql.js';
import { fixIssuePolicy } from '../src/domain/playbooks/fix-issue.js';
import { startTestStack, type TestStack } from './support/stack.js';

/** Complaints as information: which topics to fix first, across the base or a segment. */
let stack: TestStack;
const DAY = 86_400_000;
const at = (day: string, plusDays = 0) => new Date(Date.parse(`${day}T09:00:00Z`) + plusDays * DAY);

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
  const em = stack.orm.em.fork();
  const [ada, alan, grace] = [
    ['Ada', ServiceTier.Premium],
    ['Alan', ServiceTier.Basic],
    ['Grace', ServiceTier.Basic],
  ].map(([name, serviceTier]) => em.create(Customer, { name: name as string, email: `${name}@example.com`.toLowerCase(), acquiredAt: '2024-01-01', serviceTier: serviceTier as ServiceTier }));
  const complaint = (customer: Customer, topic: string, opened: string, resolvedAfterDays: number | null, more: Partial<Complaint> = {}) =>
    em.create(Complaint, { customer, topic, severity: ComplaintSeverity.Medium, openedAt: at(opened), resolvedAt: resolvedAfterDays === null ? null : at(opened, resolvedAfterDays), ...more });
  complaint(ada, 'delivery-delay', '2026-10-01', 2, { handlingCostMinor: 1_500 });
  complaint(ada, 'delivery-delay', '2026-10-10', 4, { reopenedCount: 1, handlingCostMinor: 2_500 });
  complaint(alan, 'delivery-delay', '2026-10-12', null, { severity: ComplaintSeverity.High });
  complaint(grace, 'broken-hinge', '2026-10-15', 10, { productDefect: true, severity: ComplaintSeverity.Critical, handlingCostMinor: 9_000 });
  complaint(grace, 'delivery-delay', '2026-08-01', 1);
  // Opened and resolved long before, reopened since the day and open again: the issue came back this period (QA 74 F1).
  complaint(grace, 'late-refund', '2026-07-01', null, { reopenedCount: 2, reopenedAt: at('2026-10-20') });
  // Reopened before the day: not this period's.
  complaint(alan, 'late-refund', '2026-07-02', 3, { reopenedCount: 1, reopenedAt: at('2026-07-03') });
  await em.flush();
});
afterAll(() => stack?.stop());

it('counts complaints by topic since a day, most complained about first, with what makes each urgent', async () => {
  const r = await stack.gql(ComplaintTopicsDocument, { since: '2026-09-01' }, Role.Viewer);
  expect(r.errors).toBeUndefined();
  expect(r.data!.complaintTopics).toEqual([
    { topic: 'delivery-delay', complaints: 3, customers: 2, open: 1, reopened: 1, severe: 1, productDefects: 0, handlingCostMinor: 4_000, medianDaysToResolve: 3 },
    { topic: 'broken-hinge', complaints: 1, customers: 1, open: 0, reopened: 0, severe: 1, productDefects: 1, handlingCostMinor: 9_000, medianDaysToResolve: 10 },
    { topic: 'late-refund', complaints: 1, customers: 1, open: 1, reopened: 1, severe: 0, productDefects: 0, handlingCostMinor: 0, medianDaysToResolve: null },
  ]);
  // A day after the reopening: the topic came back before it.
  expect((await stack.gql(ComplaintTopicsDocument, { since: '2026-10-21' }, Role.Viewer)).data!.complaintTopics!.map((t) => t.topic)).toEqual([]);
});

it('narrows to a segment, and refuses a malformed day', async () => {
  const basic = (await stack.gql(ComplaintTopicsDocument, { since: '2026-01-01', filter: { serviceTier: ['Basic'] } }, Role.Viewer)).data!.complaintTopics;
  expect(basic!.map((t) => [t.topic, t.complaints, t.customers])).toEqual([
    ['delivery-delay', 2, 2],
    ['late-refund', 2, 2],
    ['broken-hinge', 1, 1],
  ]);
  expect((await stack.gql(ComplaintTopicsDocument, { since: 'last month' }, Role.Viewer)).errors![0].extensions!.code).toBe('BAD_USER_INPUT');
});

it('refuses a day to come or before 1900 as the other reports do, instead of listing nothing (QA 65 F4)', async () => {
  // Two days ahead: still a day to come when the server checks just after midnight UTC.
  const dayToCome = new Date(Date.now() + 2 * DAY).toISOString().slice(0, 10);
  for (const [since, message] of [
    [dayToCome, `since must not be after today (got "${dayToCome}")`],
    ['2062-09-01', 'since must not be after today (got "2062-09-01")'],
    ['1899-12-31', 'since must not be before 1900-01-01'],
    ['0001-01-01', 'since must not be before 1900-01-01'],
  ]) {
    const r = await stack.gql(ComplaintTopicsDocument, { since }, Role.Viewer);
    expect(r.errors![0]).toMatchObject({ message, extensions: { code: 'VALIDATION', reason: 'COMPLAINT_INVALID_INPUT', field: 'since' } });
  }
  // Today and the earliest day are days a report reads from.
  for (const since of [new Date().toISOString().slice(0, 10), '1900-01-01']) expect((await stack.gql(ComplaintTopicsDocument, { since }, Role.Viewer)).errors).toBeUndefined();
});

it("lists the topics a complaint form offers, each with its team, from the fix policy the API was given", async () => {
  const { data } = await stack.gql(ComplaintTopicCatalogueDocument, {}, Role.Viewer);
  expect(data!.complaintTopicCatalogue).toEqual({
    topics: [
      { topic: 'app-login', owner: 'it-support' },
      { topic: 'billing-error', owner: 'billing' },
      { topic: 'delivery-delay', owner: 'logistics' },
      { topic: 'product-defect', owner: 'quality' },
    ],
    defaultOwner: fixIssuePolicy.defaultOwner,
    escalationChain: ['team-lead', 'head-of-service', 'management'],
  });
});

it("leaves an erased customer's unresolved complaints out of the open counts and the open-complaint filter, and does not claim them resolved (QA 74 F6)", async () => {
  const em = stack.orm.em.fork();
  const erin = em.create(Customer, { name: 'Erin Gone', email: 'erin.gone@example.com', acquiredAt: '2024-01-01' });
  const since = new Date(Date.now() - 3 * DAY).toISOString().slice(0, 10);
  for (const days of [1, 2]) em.create(Complaint, { customer: erin, topic: 'erased-open', severity: ComplaintSeverity.Medium, openedAt: new Date(Date.now() - days * DAY) });
  await em.flush();
  const topic = async () => (await stack.gql(ComplaintTopicsDocument, { since }, Role.Viewer)).data!.complaintTopics!.find((t) => t.topic === 'erased-open');
  const withOpenComplaint = async (open: boolean) =>
    (await stack.gql(CustomersDocument, { first: 100, filter: { hasOpenComplaint: open } }, Role.Viewer)).data!.customers.edges.some((e) => e.node.id === erin.id);
  expect(await topic()).toMatchObject({ complaints: 2, customers: 1, open: 2 });
  expect(await withOpenComplaint(true)).toBe(true);
  expect((await stack.gql(EraseCustomerDocument, { id: erin.id, reason: 'Request by e-mail, ticket 4711' }, Role.Admin)).errors).toBeUndefined();
  // Still complaints of the period, none open: nobody is left to answer them.
  expect(await topic()).toMatchObject({ complaints: 2, customers: 1, open: 0 });
  expect(await withOpenComplaint(true)).toBe(false);
  expect(await withOpenComplaint(false)).toBe(true);
  // Not claimed resolved: the complaints are kept as they were.
  expect(await stack.orm.em.fork().count(Complaint, { customer: erin.id, resolvedAt: null })).toBe(2);
});
