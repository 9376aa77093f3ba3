import { encodeCursor } from '../src/services/common/pagination.js';
import { Role } from '../src/domain/auth/roles.js';
import { AuditEntry, Campaign, CampaignGroup, CampaignMember, Complaint, ComplaintSeverity, Customer, Invoice, MessageChannel, MessagePurpose, Order, OutboxMessage, PlaybookRun, ScoreSnapshot, ServiceTier, ServiceTierChange, TierChangeSource } from '../src/entities/index.js';
import { CustomersWithTimelinesDocument, CustomerTimelineDocument, DisputeInvoiceDocument, EraseCustomerDocument, RecordComplaintDocument, ResolveDisputeDocument, ReopenComplaintDocument, ResolveComplaintDocument, UpdateCustomerDocument, type CustomerEventKind, type CustomerTimelineQuery } from './__generated__/graphql.js';
import { countStatements } from './support/statement-counter.js';
import { startTestStack, type TestStack } from './support/stack.js';
import { RunStatus } from '../src/domain/playbooks/run-status.js';

/** A customer page shows everything that happened with the customer in one list, newest first. */
let stack: TestStack;
let anna: Customer;
const at = (iso: string) => new Date(iso);

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
  const em = stack.orm.em.fork();
  anna = em.create(Customer, { name: 'Anna Schmidt', email: 'anna@example.com', acquiredAt: '2025-01-01', locale: 'de' });
  em.create(Order, { customer: anna, orderedAt: at('2026-10-01T09:00:00Z'), amountMinor: 12_000 });
  const invoice = em.create(Invoice, { customer: anna, issuedAt: '2026-10-02', dueAt: '2026-10-16', amountMinor: 12_000, paidAt: '2026-10-19' });
  em.create(Complaint, { customer: anna, topic: 'delivery-delay', severity: ComplaintSeverity.High, openedAt: at('2026-10-05T10:00:00Z'), resolvedAt: at('2026-10-07T10:00:00Z') });
  em.create(PlaybookRun, { workflowId: `fair-reminder/${anna.id}/${invoice.id}`, playbook: 'fair-reminder', customer: anna, startedAt: at('2026-10-17T06:00:00Z'), finishedAt: at('2026-10-19T12:00:00Z'), status: RunStatus.Completed, outcome: 'paid' });
  em.create(OutboxMessage, {
    idempotencyKey: `fair-reminder/${anna.id}/${invoice.id}/friendly`,
    customer: anna,
    channel: MessageChannel.Email,
    purpose: MessagePurpose.Service,
    template: 'reminder-friendly',
    payload: { invoiceId: invoice.id },
    sentAt: at('2026-10-17T08:00:00Z'),
  });
  // Nightly scores, one scoring at a time: the churn-risk band and the RFM segment move on the third night; payment loyalty never does.
  const score = (band: string | null) => ({ value: null, band, modelVersion: 'test/1', reasons: [] });
  for (const [night, scores] of [
    ['2026-10-18', { 'churn-risk': score('low'), rfm: score('Loyal'), 'payment-loyalty': score('loyal') }],
    ['2026-10-19', { 'churn-risk': score('low'), 'payment-loyalty': score('loyal') }],
    ['2026-10-20', { 'churn-risk': score('high'), rfm: score('At risk'), 'payment-loyalty': score('loyal') }],
  ] as const) {
    em.create(ScoreSnapshot, { customer: anna, computedAt: at(`${night}T02:00:00Z`), scores });
    await em.flush();
  }
  // The customer promised to pay while the reminders ran (as promiseToPay records it).
  em.create(AuditEntry, {
    at: at('2026-10-18T10:00:00Z'),
    actor: 'operator:test',
    action: 'playbook.promise-to-pay',
    entityType: 'playbook_run',
    entityId: `fair-reminder/${anna.id}/${invoice.id}`,
    after: { invoiceId: invoice.id, until: '2026-10-21' },
  });
  // Queued, not sent: not in the timeline yet.
  em.create(OutboxMessage, { idempotencyKey: 'queued', customer: anna, channel: MessageChannel.Email, purpose: MessagePurpose.Service, template: 'reminder-gentle', payload: {} });
  // More customers with an order each, for the batching check.
  for (let i = 0; i < 12; i++) {
    const c = em.create(Customer, { name: `Other ${i}`, email: `other${i}@example.com`, acquiredAt: '2025-01-01' });
    em.create(Order, { customer: c, orderedAt: at(`2026-09-${String(i + 1).padStart(2, '0')}T12:00:00Z`), amountMinor: 1_000 * (i + 1) });
  }
  await em.flush();
  // Today she agrees to marketing.
  expect((await stack.gql(UpdateCustomerDocument, { id: anna.id, input: { marketingConsent: true, consentReason: 'asked for offers on the phone' } }, Role.Operator)).errors).toBeUndefined();
});
afterAll(() => stack?.stop());

type Timeline = NonNullable<CustomerTimelineQuery['customer']>['timeline'];
const timeline = async (vars: { first?: number; after?: string | null; kinds?: CustomerEventKind[] }) => {
  const result = await stack.gql(CustomerTimelineDocument, { id: anna.id, ...vars }, Role.Viewer);
  expect(result.errors).toBeUndefined();
  return result.data!.customer!.timeline as Timeline;
};

it('lists every event newest first, each in a line, the message as the customer read it', async () => {
  const all = await timeline({ first: 20 });
  expect(all.totalCount).toBe(12);
  const invoiceRef = all.edges[4].node.ref.slice(0, 8);
  expect(all.edges.map((e) => [e.node.kind, e.node.summary])).toEqual([
    ['ConsentChanged', 'Agreed to marketing'],
    ['ScoreBandChanged', 'RFM segment: Loyal → At risk'],
    ['ScoreBandChanged', 'Churn risk: low → high'],
    ['PlaybookFinished', 'Fair reminder ended: paid'],
    ['InvoicePaid', `Paid invoice ${invoiceRef} (€120.00) 3 days late`],
    ['PaymentPromised', `Promised to pay invoice ${invoiceRef} by 2026-10-21`],
    ['MessageSent', 'E-mail: Eine kurze Notiz zu Ihrer Rechnung'],
    ['PlaybookStarted', 'Fair reminder started'],
    ['ComplaintResolved', 'Complaint about delivery delay resolved'],
    ['ComplaintOpened', 'Complained about delivery delay (high)'],
    ['InvoiceIssued', `Invoiced: invoice ${invoiceRef} (€120.00), due 2026-10-16`],
    ['OrderPlaced', 'Ordered for €120.00'],
  ]);
  expect(all.edges[3].node.ref).toBe(all.edges[7].node.ref);
  // Each event has an identity of its own, for a client cache: an invoice issued and paid share a reference, not an ID.
  expect(new Set(all.edges.map((e) => e.node.id)).size).toBe(12);
  expect(all.edges[4].node.id).toBe(`${anna.id}/invoice-paid/${all.edges[4].node.ref}`);
  expect(all.edges[3].node.ref).toMatch(/^fair-reminder\//);
  expect(all.edges[11].node).toMatchObject({ at: '2026-10-01T09:00:00.000Z', day: null, amountMinor: 12_000 });
  // Invoices are kept by day: their events carry the day to show, whatever the reader's time zone.
  expect(all.edges[4].node).toMatchObject({ kind: 'InvoicePaid', at: '2026-10-19T00:00:00.000Z', day: '2026-10-19' });
  expect(all.edges[10].node).toMatchObject({ kind: 'InvoiceIssued', day: all.edges[10].node.at.slice(0, 10) });
  expect(all.pageInfo.hasNextPage).toBe(false);
});

it('pages through the same list, and filters it by kind', async () => {
  const seen: string[] = [];
  let after: string | null = null;
  let pages = 0;
  do {
    const page: Timeline = await timeline({ first: 3, after });
    seen.push(...page.edges.map((e) => e.node.kind));
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor! : null;
    pages++;
  } while (after);
  expect(pages).toBe(4);
  expect(seen).toEqual((await timeline({ first: 20 })).edges.map((e) => e.node.kind));

  const money = await timeline({ first: 20, kinds: ['OrderPlaced', 'InvoicePaid'] });
  expect(money.totalCount).toBe(2);
  expect(money.edges.map((e) => e.node.kind)).toEqual(['InvoicePaid', 'OrderPlaced']);
});

it('refuses a page size out of range and a cursor of another list', async () => {
  const tooMany = await stack.gql(CustomerTimelineDocument, { id: anna.id, first: 101 }, Role.Viewer);
  expect(tooMany.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_PAGE_SIZE' });
  const foreign = await stack.gql(CustomerTimelineDocument, { id: anna.id, first: 3, after: encodeCursor('orders', ['x', 'y']) }, Role.Viewer);
  expect(foreign.errors![0].extensions).toMatchObject({ code: 'VALIDATION' });
});

it('reads the timelines of a page of customers in one statement, whatever its size', async () => {
  const page = (first: number) =>
    countStatements(async () => {
      const r = await stack.gql(CustomersWithTimelinesDocument, { first, events: 2 }, Role.Viewer);
      expect(r.errors).toBeUndefined();
      return r.data!.customers.edges;
    });
  const small = await page(3);
  const large = await page(13);
  expect(large.statements.length).toBe(small.statements.length);
  const annaRow = large.result.find((e) => e.node.id === anna.id)!;
  expect(annaRow.node.timeline.totalCount).toBe(12);
  expect(annaRow.node.timeline.edges.map((e) => e.node.kind)).toEqual(['ConsentChanged', 'ScoreBandChanged']);
  const others = large.result.filter((e) => e.node.id !== anna.id);
  expect(others.every((e) => e.node.timeline.totalCount === 1 && e.node.timeline.edges[0].node.summary.startsWith('Ordered for'))).toBe(true);
});

it('keeps a band that came and went after the snapshots that showed it were thinned away', async () => {
  const em = stack.orm.em.fork();
  const ben = em.create(Customer, { name: 'Ben Okafor', email: 'ben@example.com', acquiredAt: '2025-01-01' });
  const risk = (band: string) => ({ 'churn-risk': { value: null, band, modelVersion: 'test/1', reasons: [] } });
  const nights = [];
  for (const [night, band] of [['2026-10-01', 'low'], ['2026-10-02', 'high'], ['2026-10-03', 'low']]) {
    nights.push(em.create(ScoreSnapshot, { customer: ben, computedAt: at(`${night}T02:00:00Z`), scores: risk(band) }));
    await em.flush();
  }
  // History thinning keeps one snapshot of the week: the night of high risk is gone from the snapshots.
  await em.nativeDelete(ScoreSnapshot, { id: { $in: [nights[0].id, nights[1].id] } });
  const result = await stack.gql(CustomerTimelineDocument, { id: ben.id, first: 10, kinds: ['ScoreBandChanged'] }, Role.Viewer);
  expect(result.errors).toBeUndefined();
  expect(result.data!.customer!.timeline.edges.map((e) => [e.node.at, e.node.summary])).toEqual([
    ['2026-10-03T02:00:00.000Z', 'Churn risk: high → low'],
    ['2026-10-02T02:00:00.000Z', 'Churn risk: low → high'],
  ]);
});

it('shows the campaigns the customer was enrolled in, treated or held out', async () => {
  const em = stack.orm.em.fork();
  const cleo = em.create(Customer, { name: 'Cleo Novak', email: 'cleo@example.com', acquiredAt: '2025-01-01' });
  for (const [name, group, day] of [['Autumn thanks', CampaignGroup.Treated, '2026-10-01'], ['Winter thanks', CampaignGroup.Holdout, '2026-11-01']] as const) {
    const campaign = em.create(Campaign, { name, playbook: 'appreciation', segment: {}, createdBy: 'marketer:test' });
    em.create(CampaignMember, { campaign, customer: cleo, group, enrolledAt: new Date(`${day}T09:00:00Z`) });
  }
  await em.flush();
  const result = await stack.gql(CustomerTimelineDocument, { id: cleo.id, first: 10, kinds: ['CampaignEnrolled'] }, Role.Viewer);
  expect(result.errors).toBeUndefined();
  expect(result.data!.customer!.timeline.edges.map((e) => e.node.summary)).toEqual(['Enrolled in campaign "Winter thanks" (holdout: the campaign starts no playbook for them, to measure it)', 'Enrolled in campaign "Autumn thanks"']);
});

describe("a complaint's resolutions and reopenings (QA 56 F2)", () => {
  const complaintKinds: CustomerEventKind[] = ['ComplaintOpened', 'ComplaintResolved', 'ComplaintReopened'];
  const events = async (customerId: string) => {
    const r = await stack.gql(CustomerTimelineDocument, { id: customerId, first: 20, kinds: complaintKinds }, Role.Viewer);
    expect(r.errors).toBeUndefined();
    return r.data!.customer!.timeline;
  };
  const newCustomer = async (name: string) => {
    const em = stack.orm.em.fork();
    const c = em.create(Customer, { name, email: `${name.split(' ')[0].toLowerCase()}@example.com`, acquiredAt: '2025-01-01' });
    await em.flush();
    return c;
  };
  const ok = async <T extends { errors?: unknown }>(call: Promise<T>) => {
    const r = await call;
    expect(r.errors).toBeUndefined();
    return r;
  };

  it('shows each resolution and reopening: resolved, reopened, resolved again reads opened, resolved, reopened, resolved', async () => {
    const dora = await newCustomer('Dora Lindqvist');
    // Medium: reopened, a high one would be a persistent issue the customer called serious, whose fix (under way) the erasure below waits for.
    const recorded = await ok(stack.gql(RecordComplaintDocument, { input: { customerId: dora.id, topic: 'delivery-delay', severity: 'Medium', openedAt: '2026-11-01T09:00:00Z' } }, Role.Operator));
    const id = recorded.data!.recordComplaint.id;
    await ok(stack.gql(ResolveComplaintDocument, { id, resolvedAt: '2026-11-02T09:00:00Z' }, Role.Operator));
    await ok(stack.gql(ReopenComplaintDocument, { id, reopenedAt: '2026-11-03T09:00:00Z' }, Role.Operator));
    await ok(stack.gql(ResolveComplaintDocument, { id, resolvedAt: '2026-11-04T09:00:00Z' }, Role.Operator));
    const timeline = await events(dora.id);
    const expected = [
      ['2026-11-04T09:00:00.000Z', 'ComplaintResolved', 'Complaint about delivery delay resolved'],
      ['2026-11-03T09:00:00.000Z', 'ComplaintReopened', 'Complaint about delivery delay reopened: the customer says it is not resolved'],
      ['2026-11-02T09:00:00.000Z', 'ComplaintResolved', 'Complaint about delivery delay resolved'],
      ['2026-11-01T09:00:00.000Z', 'ComplaintOpened', 'Complained about delivery delay (medium)'],
    ];
    expect(timeline.edges.map((e) => [e.node.at, e.node.kind, e.node.summary])).toEqual(expected);
    expect(timeline.totalCount).toBe(4);
    // Each names the complaint, and is an event of its own.
    expect(timeline.edges.every((e) => e.node.ref === id)).toBe(true);
    expect(new Set(timeline.edges.map((e) => e.node.id)).size).toBe(4);
    // Page by page, the same list: the two resolutions under one reference are told apart by the cursor.
    const seen: string[][] = [];
    let after: string | null = null;
    do {
      const page: Timeline = (await stack.gql(CustomerTimelineDocument, { id: dora.id, first: 1, after, kinds: complaintKinds }, Role.Viewer)).data!.customer!.timeline;
      seen.push(...page.edges.map((e) => [e.node.at, e.node.kind, e.node.summary]));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor! : null;
    } while (after);
    expect(seen).toEqual(expected);
    // The whole timeline too, and after the customer's personal data is erased (the complaints stay, without their text).
    expect((await stack.gql(CustomerTimelineDocument, { id: dora.id, first: 20 }, Role.Viewer)).data!.customer!.timeline.edges.filter((e) => e.node.kind.startsWith('Complaint'))).toHaveLength(4);
    await ok(stack.gql(EraseCustomerDocument, { id: dora.id, reason: 'Asked to be forgotten (ticket 1)' }, Role.Admin));
    expect((await events(dora.id)).edges.map((e) => [e.node.at, e.node.kind, e.node.summary])).toEqual(expected);
  });

  it("shows an import's resolution and reopening once, also when the API reopens or resolves the complaint after it", async () => {
    const em = stack.orm.em.fork();
    const emil = await newCustomer('Emil Sandberg');
    // As a complaints import leaves them (it audits no complaint): one resolved, one reopened and resolved again.
    const resolvedByImport = em.create(Complaint, { customer: em.getReference(Customer, emil.id), topic: 'billing-error', severity: ComplaintSeverity.Low, openedAt: at('2026-10-01T09:00:00Z'), resolvedAt: at('2026-10-02T09:00:00Z') });
    em.create(Complaint, {
      customer: em.getReference(Customer, emil.id),
      topic: 'app-login',
      severity: ComplaintSeverity.Medium,
      openedAt: at('2026-10-10T09:00:00Z'),
      reopenedCount: 1,
      reopenedAt: at('2026-10-12T09:00:00Z'),
      resolvedAt: at('2026-10-13T09:00:00Z'),
    });
    await em.flush();
    expect((await events(emil.id)).edges.map((e) => [e.node.at, e.node.kind])).toEqual([
      ['2026-10-13T09:00:00.000Z', 'ComplaintResolved'],
      ['2026-10-12T09:00:00.000Z', 'ComplaintReopened'],
      ['2026-10-10T09:00:00.000Z', 'ComplaintOpened'],
      ['2026-10-02T09:00:00.000Z', 'ComplaintResolved'],
      ['2026-10-01T09:00:00.000Z', 'ComplaintOpened'],
    ]);
    // The API reopens the imported resolution and resolves it again: the import's resolution stays, shown once.
    await ok(stack.gql(ReopenComplaintDocument, { id: resolvedByImport.id, reopenedAt: '2026-10-05T09:00:00Z' }, Role.Operator));
    await ok(stack.gql(ResolveComplaintDocument, { id: resolvedByImport.id, resolvedAt: '2026-10-06T09:00:00Z' }, Role.Operator));
    const billing = (await events(emil.id)).edges.filter((e) => e.node.ref === resolvedByImport.id).map((e) => [e.node.at, e.node.kind]);
    expect(billing).toEqual([
      ['2026-10-06T09:00:00.000Z', 'ComplaintResolved'],
      ['2026-10-05T09:00:00.000Z', 'ComplaintReopened'],
      ['2026-10-02T09:00:00.000Z', 'ComplaintResolved'],
      ['2026-10-01T09:00:00.000Z', 'ComplaintOpened'],
    ]);
    // A later import correcting the resolution's time (the CRM's own clock) does not make it two resolutions.
    await em.nativeUpdate(Complaint, { id: resolvedByImport.id }, { resolvedAt: at('2026-10-06T09:00:30Z') });
    expect((await events(emil.id)).edges.filter((e) => e.node.ref === resolvedByImport.id && e.node.kind === 'ComplaintResolved')).toHaveLength(2);
  });
});

it('shows each tier change, where it came from, and the tier before it', async () => {
  const em = stack.orm.em.fork();
  const tia = em.create(Customer, { name: 'Tia Tiers', email: 'tia.tiers@example.com', acquiredAt: '2025-01-01', serviceTier: ServiceTier.Standard });
  em.create(ServiceTierChange, { customer: tia, changedOn: '2026-03-01', fromTier: ServiceTier.Basic, toTier: ServiceTier.Premium, source: TierChangeSource.Import, createdAt: at('2026-03-01T07:00:00Z') });
  em.create(ServiceTierChange, { customer: tia, changedOn: '2026-10-02', fromTier: ServiceTier.Premium, toTier: ServiceTier.Standard, source: TierChangeSource.AccountReview, createdAt: at('2026-10-01T15:00:00Z') });
  await em.flush();
  const result = await stack.gql(CustomerTimelineDocument, { id: tia.id, first: 10, kinds: ['TierChanged'] }, Role.Viewer);
  expect(result.errors).toBeUndefined();
  // Recorded at a moment, in effect from the customer's day (east of UTC, already the next one).
  expect(result.data!.customer!.timeline.edges.map((e) => [e.node.at, e.node.day, e.node.summary])).toEqual([
    ['2026-10-01T15:00:00.000Z', '2026-10-02', 'Service tier: premium → standard (accepted in an account review)'],
    ['2026-03-01T07:00:00.000Z', '2026-03-01', "Service tier: basic → premium (as the company's records say)"],
  ]);
});

it("shows each dispute of an invoice and how it was resolved, the invoice named as its other events, the customer's reason gone once they are erased", async () => {
  const em = stack.orm.em.fork();
  const ida = em.create(Customer, { name: 'Ida Berglund', email: 'ida.berglund@example.com', acquiredAt: '2025-01-01' });
  const invoice = em.create(Invoice, { customer: ida, externalRef: 'INV-2044', issuedAt: '2026-10-02', dueAt: '2026-10-16', amountMinor: 7_500 });
  await em.flush();
  const call = async <T extends { errors?: unknown }>(result: Promise<T>) => {
    const r = await result;
    expect(r.errors).toBeUndefined();
    return r;
  };
  const invoiceId = invoice.id;
  // Disputed, the dispute rejected, disputed again, upheld: the invoice keeps only the last one, the timeline each.
  const first = (await call(stack.gql(DisputeInvoiceDocument, { invoiceId, reason: 'goods not received' }, Role.Operator))).data!.disputeInvoice.dispute!;
  const rejected = (await call(stack.gql(ResolveDisputeDocument, { invoiceId, outcome: 'Rejected', reason: 'carrier confirms delivery, signed by Ida Berglund' }, Role.Operator))).data!.resolveDispute.dispute!;
  const second = (await call(stack.gql(DisputeInvoiceDocument, { invoiceId, reason: 'charged twice for one parcel' }, Role.Operator))).data!.disputeInvoice.dispute!;
  const upheld = (await call(stack.gql(ResolveDisputeDocument, { invoiceId, outcome: 'Upheld' }, Role.Operator))).data!.resolveDispute.dispute!;

  const kinds: CustomerEventKind[] = ['InvoiceIssued', 'InvoiceDisputed', 'InvoiceDisputeResolved'];
  const page = async (first: number, after: string | null = null) => (await call(stack.gql(CustomerTimelineDocument, { id: ida.id, first, after, kinds }, Role.Viewer))).data!.customer!.timeline;
  const story = async () => (await page(20)).edges.map((e) => [e.node.at, e.node.kind, e.node.ref, e.node.amountMinor, e.node.summary]);
  const disputeOf = (rest: string) => `Disputed invoice INV-2044 (€75.00)${rest}; its reminders hold while the dispute is open`;
  const rejectedWith = (note: string) => `Dispute of invoice INV-2044 (€75.00) rejected: the invoice stands, its reminders go on (${note})`;
  const upheldLine = 'Dispute of invoice INV-2044 (€75.00) upheld: the customer is right, its reminders stop and billing corrects or cancels it';
  const issued = ['2026-10-02T00:00:00.000Z', 'InvoiceIssued', invoiceId, 7_500, 'Invoiced: invoice INV-2044 (€75.00), due 2026-10-16'];
  expect(await story()).toEqual([
    [upheld.resolvedAt, 'InvoiceDisputeResolved', invoiceId, 7_500, upheldLine],
    [second.disputedAt, 'InvoiceDisputed', invoiceId, 7_500, disputeOf(': charged twice for one parcel')],
    [rejected.resolvedAt, 'InvoiceDisputeResolved', invoiceId, 7_500, rejectedWith('carrier confirms delivery, signed by Ida Berglund')],
    [first.disputedAt, 'InvoiceDisputed', invoiceId, 7_500, disputeOf(': goods not received')],
    issued,
  ]);
  // Each its own event under the invoice's reference, paged through in that order, and in the whole timeline too.
  const firstPage = await page(2);
  const rest = await page(20, firstPage.pageInfo.endCursor);
  expect(firstPage.totalCount).toBe(5);
  expect(new Set([...firstPage.edges, ...rest.edges].map((e) => e.node.id)).size).toBe(5);
  expect([...firstPage.edges, ...rest.edges].map((e) => e.node.summary)).toEqual((await story()).map((e) => e[4]));
  const all = (await call(stack.gql(CustomerTimelineDocument, { id: ida.id, first: 20 }, Role.Viewer))).data!.customer!.timeline.edges.map((e) => e.node.kind);
  expect(all.filter((k) => k === 'InvoiceDisputed' || k === 'InvoiceDisputeResolved')).toHaveLength(4);

  // Erased: the customer's words go from the audit log's entries, the disputes and their outcomes stay (the staff's note without her name).
  await call(stack.gql(EraseCustomerDocument, { id: ida.id, reason: 'Asked to be forgotten (ticket 2)' }, Role.Admin));
  expect(await story()).toEqual([
    [upheld.resolvedAt, 'InvoiceDisputeResolved', invoiceId, 7_500, upheldLine],
    [second.disputedAt, 'InvoiceDisputed', invoiceId, 7_500, disputeOf('')],
    [rejected.resolvedAt, 'InvoiceDisputeResolved', invoiceId, 7_500, rejectedWith('carrier confirms delivery, signed by [erased] [erased]')],
    [first.disputedAt, 'InvoiceDisputed', invoiceId, 7_500, disputeOf('')],
    issued,
  ]);
});
