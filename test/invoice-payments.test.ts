import { encodeCursor } from '../src/services/common/pagination.js';
import { Role } from '../src/domain/auth/roles.js';
import { AuditEntry, Customer, CustomerStatus, Invoice, Order, Payment, PlaybookRun } from '../src/entities/index.js';
import { FAIR_REMINDER, fairReminderPolicy, fairReminderWorkflowId } from '../src/domain/playbooks/fair-reminder.js';
import {
  CustomerInvoicePaymentsDocument,
  CustomerOpenInvoicesDocument,
  OverdueInvoicesDocument,
  CustomersWithInvoicePaymentsDocument,
  CustomerTimelineDocument,
  EraseCustomerDocument,
  ImportCsvDocument,
  InvoicePaymentsDocument,
  RecordPaymentShowingBalanceDocument,
  RecordTwoPaymentsDocument,
  StartFairReminderDocument,
} from './__generated__/graphql.js';
import { outstandingMinorSql } from '../src/services/facts/invoice-facts.js';
import { countStatements } from './support/statement-counter.js';
import { startTestStack, testKeys, type TestStack } from './support/stack.js';
import { RunStatus } from '../src/domain/playbooks/run-status.js';

/**
 * QA21 H2: a part payment shows. An invoice tells what its payments add up to, what is still
 * owed and which payments were recorded, and the customer's timeline has each payment, so an
 * operator sees the payment took and does not enter it twice.
 */
let stack: TestStack;
const em = () => stack.orm.em.fork();

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
});
afterAll(() => stack?.stop());

async function customerWithInvoice(amountMinor: number, over: Partial<Invoice> = {}): Promise<{ customer: Customer; invoice: Invoice }> {
  const e = em();
  const customer = e.create(Customer, { name: 'Ada Lovelace', email: `ada.${Math.random()}@example.com`, acquiredAt: '2024-05-01' });
  const invoice = e.create(Invoice, { customer, issuedAt: '2026-10-02', dueAt: '2026-10-16', amountMinor, ...over });
  await e.flush();
  return { customer, invoice };
}

const invoiceOf = async (customerId: string, vars: { payments?: number } = {}) => {
  const r = await stack.gql(CustomerInvoicePaymentsDocument, { id: customerId, invoices: 5, ...vars }, Role.Viewer);
  expect(r.errors).toBeUndefined();
  return r.data!.customer!.invoices.edges[0].node;
};

const moneyEvents = async (customerId: string) => {
  const r = await stack.gql(CustomerTimelineDocument, { id: customerId, first: 20, kinds: ['InvoiceIssued', 'PaymentReceived', 'InvoicePaid'] }, Role.Viewer);
  expect(r.errors).toBeUndefined();
  return r.data!.customer!.timeline;
};

it('shows a part payment on the invoice and in the timeline, then the rest settling it', async () => {
  // A reminder fee was charged: the invoice is still paid once its payments cover its amount.
  const { customer, invoice } = await customerWithInvoice(12_335, { feeChargedMinor: 500 });
  const short = invoice.id.slice(0, 8);
  expect(await invoiceOf(customer.id)).toMatchObject({ paidAt: null, paidMinor: 0, outstandingMinor: 12_335, payments: { totalCount: 0, edges: [] } });

  const part = await stack.gql(RecordPaymentShowingBalanceDocument, { input: { invoiceId: invoice.id, amountMinor: 10_000, paidAt: '2026-10-10', externalRef: 'BANK-1' } }, Role.Operator);
  expect(part.errors).toBeUndefined();
  const firstPayment = part.data!.recordPayment.payments.edges[0].node;
  // The answer to the mutation already shows it took.
  expect(part.data!.recordPayment).toMatchObject({ id: invoice.id, amountMinor: 12_335, paidAt: null, paidMinor: 10_000, outstandingMinor: 2_335, payments: { totalCount: 1 } });
  expect(firstPayment).toMatchObject({ externalRef: 'BANK-1', paidAt: '2026-10-10', amountMinor: 10_000 });
  expect(firstPayment.id).toBe((await em().findOneOrFail(Payment, { invoice: invoice.id })).id);
  expect(Date.parse(firstPayment.createdAt)).toBeGreaterThan(Date.now() - 60_000);

  expect(await invoiceOf(customer.id)).toMatchObject({ paidAt: null, feeChargedMinor: 500, paidMinor: 10_000, outstandingMinor: 2_335, payments: { totalCount: 1, edges: [{ node: firstPayment }] } });
  const afterPart = await moneyEvents(customer.id);
  expect(afterPart.edges.map((e) => [e.node.kind, e.node.summary, e.node.amountMinor])).toEqual([
    ['PaymentReceived', `Received €100.00 for invoice ${short} (€123.35)`, 10_000],
    ['InvoiceIssued', `Invoiced: invoice ${short} (€123.35), due 2026-10-16`, 12_335],
  ]);
  expect(afterPart.edges[0].node).toMatchObject({ ref: firstPayment.id, at: '2026-10-10T00:00:00.000Z' });

  const rest = await stack.gql(RecordPaymentShowingBalanceDocument, { input: { invoiceId: invoice.id, amountMinor: 2_335, paidAt: '2026-10-20' } }, Role.Operator);
  expect(rest.errors).toBeUndefined();
  expect(rest.data!.recordPayment).toMatchObject({ paidAt: '2026-10-20', paidMinor: 12_335, outstandingMinor: 0, payments: { totalCount: 2 } });

  const settled = await invoiceOf(customer.id);
  expect(settled).toMatchObject({ paidAt: '2026-10-20', paidMinor: 12_335, outstandingMinor: 0 });
  // Newest first.
  expect(settled.payments.edges.map((e) => [e.node.paidAt, e.node.amountMinor, e.node.externalRef])).toEqual([
    ['2026-10-20', 2_335, null],
    ['2026-10-10', 10_000, 'BANK-1'],
  ]);
  expect((await moneyEvents(customer.id)).edges.map((e) => [e.node.kind, e.node.summary])).toEqual([
    // Same day: a payment and the invoice it settled, then by kind as every tie in the timeline.
    ['PaymentReceived', `Received €23.35 for invoice ${short} (€123.35)`],
    ['InvoicePaid', `Paid invoice ${short} (€123.35) 4 days late`],
    ['PaymentReceived', `Received €100.00 for invoice ${short} (€123.35)`],
    ['InvoiceIssued', `Invoiced: invoice ${short} (€123.35), due 2026-10-16`],
  ]);
});

it('places a payment recorded today after what happened before it today, not at midnight of its day', async () => {
  const { customer, invoice } = await customerWithInvoice(5_000);
  // An order placed a moment ago, then the payment of the day recorded: the payment came to be known after it.
  const e = em();
  e.create(Order, { customer: e.getReference(Customer, customer.id), orderedAt: new Date(Date.now() - 1_000), amountMinor: 100 });
  await e.flush();
  const today = new Date().toISOString().slice(0, 10);
  const before = Date.now();
  const paid = await stack.gql(RecordPaymentShowingBalanceDocument, { input: { invoiceId: invoice.id, amountMinor: 5_000, paidAt: today } }, Role.Operator);
  expect(paid.errors).toBeUndefined();
  const r = await stack.gql(CustomerTimelineDocument, { id: customer.id, first: 10, kinds: ['OrderPlaced', 'PaymentReceived', 'InvoicePaid'] }, Role.Viewer);
  expect(r.errors).toBeUndefined();
  const events = r.data!.customer!.timeline.edges.map((x) => x.node);
  expect(events.map((x) => x.kind)).toEqual(['PaymentReceived', 'InvoicePaid', 'OrderPlaced']);
  // Each is shown by its day, and placed when it was recorded.
  for (const x of events.slice(0, 2)) {
    expect(x.day).toBe(today);
    expect(Date.parse(x.at)).toBeGreaterThanOrEqual(before - 5);
  }
  // A payment of an earlier day recorded today stays at its day's start (it happened some time that day).
  const { customer: other, invoice: older } = await customerWithInvoice(5_000);
  expect((await stack.gql(RecordPaymentShowingBalanceDocument, { input: { invoiceId: older.id, amountMinor: 5_000, paidAt: '2026-10-20' } }, Role.Operator)).errors).toBeUndefined();
  const earlier = await stack.gql(CustomerTimelineDocument, { id: other.id, first: 10, kinds: ['PaymentReceived', 'InvoicePaid'] }, Role.Viewer);
  expect(earlier.data!.customer!.timeline.edges.map((x) => [x.node.kind, x.node.at])).toEqual([
    ['PaymentReceived', '2026-10-20T00:00:00.000Z'],
    ['InvoicePaid', '2026-10-20T00:00:00.000Z'],
  ]);
});

it("places an invoice an import paid or cancelled on the customer's own day when the import recorded it: after what happened before it, never in the future", async () => {
  // A zone whose today is not UTC's today at this hour: a day ahead (Kiritimati, UTC+14) or behind (Pago Pago, UTC-11).
  const timeZone = new Date().getUTCHours() >= 10 ? 'Pacific/Kiritimati' : 'Pacific/Pago_Pago';
  const localToday = new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date());
  const ref = `IMP-${Math.random().toString(36).slice(2, 10)}`;
  const e = em();
  const customer = e.create(Customer, { name: 'Imke Port', email: `imke.${Math.random()}@example.com`, acquiredAt: '2024-05-01', timeZone, externalRef: ref });
  e.create(Invoice, { customer, externalRef: `${ref}-P`, issuedAt: '2026-10-02', dueAt: '2026-10-16', amountMinor: 5_000 });
  e.create(Invoice, { customer, externalRef: `${ref}-C`, issuedAt: '2026-10-02', dueAt: '2026-10-16', amountMinor: 7_000 });
  // Something that happened a moment before the billing system's export came in (a reminder, an order).
  e.create(Order, { customer, orderedAt: new Date(Date.now() - 1_000), amountMinor: 100 });
  await e.flush();
  const before = Date.now();
  const csv = `invoice_ref,customer_ref,issued_at,due_at,amount,paid_at,cancelled_at\n${ref}-P,${ref},2026-10-02,2026-10-16,50.00,${localToday},\n${ref}-C,${ref},2026-10-02,2026-10-16,70.00,,${localToday}\n`;
  const imported = await stack.gql(ImportCsvDocument, { input: { kind: 'Invoices', csv, mode: 'AllOrNothing' } }, Role.Admin);
  expect(imported.data?.importCsv).toMatchObject({ updated: 2, written: true });
  const after = Date.now();
  const r = await stack.gql(CustomerTimelineDocument, { id: customer.id, first: 10, kinds: ['OrderPlaced', 'InvoicePaid', 'InvoiceCancelled'] }, Role.Viewer);
  expect(r.errors).toBeUndefined();
  const events = r.data!.customer!.timeline.edges.map((x) => x.node);
  // Recorded in one import: a tie, by kind as every tie in the timeline; both after the order.
  expect(events.map((x) => x.kind)).toEqual(['InvoicePaid', 'InvoiceCancelled', 'OrderPlaced']);
  for (const x of events.slice(0, 2)) {
    expect(x.day).toBe(localToday);
    expect(Date.parse(x.at)).toBeGreaterThanOrEqual(before - 5);
    expect(Date.parse(x.at)).toBeLessThanOrEqual(after);
  }
  // The same export again changes no day: they stay where they were placed.
  expect((await stack.gql(ImportCsvDocument, { input: { kind: 'Invoices', csv, mode: 'AllOrNothing' } }, Role.Admin)).errors).toBeUndefined();
  const again = await stack.gql(CustomerTimelineDocument, { id: customer.id, first: 10, kinds: ['OrderPlaced', 'InvoicePaid', 'InvoiceCancelled'] }, Role.Viewer);
  expect(again.data!.customer!.timeline.edges.map((x) => x.node.at)).toEqual(events.map((x) => x.at));
});

it("places a payment recorded on the customer's own day when it was recorded, east or west of UTC, never in the future", async () => {
  // A zone whose today is not UTC's today at this hour: a day ahead (Kiritimati, UTC+14) or behind (Pago Pago, UTC-11).
  const hour = new Date().getUTCHours();
  const timeZone = hour >= 10 ? 'Pacific/Kiritimati' : 'Pacific/Pago_Pago';
  const e = em();
  const customer = e.create(Customer, { name: 'Kiri Mati', email: `kiri.${Math.random()}@example.com`, acquiredAt: '2024-05-01', timeZone });
  const invoice = e.create(Invoice, { customer, issuedAt: '2026-10-02', dueAt: '2026-10-16', amountMinor: 5_000 });
  await e.flush();
  const before = Date.now();
  // No paidAt: the payment is of the customer's today, which is not UTC's.
  const paid = await stack.gql(RecordPaymentShowingBalanceDocument, { input: { invoiceId: invoice.id, amountMinor: 5_000 } }, Role.Operator);
  expect(paid.errors).toBeUndefined();
  const localToday = new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date());
  expect(paid.data!.recordPayment.paidAt).toBe(localToday);
  expect(localToday).not.toBe(new Date().toISOString().slice(0, 10));
  const r = await stack.gql(CustomerTimelineDocument, { id: customer.id, first: 10, kinds: ['PaymentReceived', 'InvoicePaid'] }, Role.Viewer);
  expect(r.errors).toBeUndefined();
  for (const x of r.data!.customer!.timeline.edges.map((y) => y.node)) {
    expect(x.day).toBe(localToday);
    // Placed when it was recorded: not at the (future or past) midnight UTC of the customer's day.
    expect(Date.parse(x.at)).toBeGreaterThanOrEqual(before - 5);
    expect(Date.parse(x.at)).toBeLessThanOrEqual(Date.now());
  }
});

it("pages through an invoice's payments with cursors, from the invoice itself", async () => {
  const { customer, invoice } = await customerWithInvoice(10_000);
  for (const [paidAt, amountMinor] of [['2026-10-03', 1_000], ['2026-10-05', 2_000], ['2026-10-07', 3_000]] as const) {
    expect((await stack.gql(RecordPaymentShowingBalanceDocument, { input: { invoiceId: invoice.id, amountMinor, paidAt } }, Role.Operator)).errors).toBeUndefined();
  }
  // The customer's invoices give each one's first page; the rest of one invoice's payments page on from the invoice (QA 62: a cursor
  // under a list of invoices is one invoice's, and refused for the others).
  const listed = await invoiceOf(customer.id, { payments: 2 });
  expect(listed.payments.edges.map((e) => e.node.paidAt)).toEqual(['2026-10-07', '2026-10-05']);
  const seen: string[] = [...listed.payments.edges.map((e) => e.node.paidAt)];
  let after: string | null = listed.payments.pageInfo.hasNextPage ? listed.payments.pageInfo.endCursor : null;
  while (after) {
    const r = await stack.gql(InvoicePaymentsDocument, { id: invoice.id, first: 2, after }, Role.Viewer);
    expect(r.errors).toBeUndefined();
    const { payments } = r.data!.invoice!;
    expect(payments.totalCount).toBe(3);
    seen.push(...payments.edges.map((e) => e.node.paidAt));
    after = payments.pageInfo.hasNextPage ? payments.pageInfo.endCursor! : null;
  }
  expect(seen).toEqual(['2026-10-07', '2026-10-05', '2026-10-03']);
  expect((await stack.gql(InvoicePaymentsDocument, { id: invoice.id }, Role.Viewer)).data!.invoice).toMatchObject({ id: invoice.id, paidMinor: 6_000, outstandingMinor: 4_000, payments: { totalCount: 3 } });
  expect(await invoiceOf(customer.id)).toMatchObject({ paidMinor: 6_000, outstandingMinor: 4_000 });
  // An unknown invoice is null, as an unknown customer is.
  expect((await stack.gql(InvoicePaymentsDocument, { id: '00000000-0000-4000-8000-000000000000' }, Role.Viewer)).data).toEqual({ invoice: null });

  const foreign = await stack.gql(InvoicePaymentsDocument, { id: invoice.id, first: 2, after: encodeCursor('orders', ['2026-10-03', invoice.id]) }, Role.Viewer);
  expect(foreign.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_CURSOR' });
  // Another invoice's cursor is no cursor of this one.
  const { invoice: other } = await customerWithInvoice(5_000);
  expect((await stack.gql(InvoicePaymentsDocument, { id: other.id, first: 2, after: listed.payments.pageInfo.endCursor }, Role.Viewer)).errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_CURSOR' });
  const tooMany = await stack.gql(CustomerInvoicePaymentsDocument, { id: customer.id, invoices: 5, payments: 101 }, Role.Viewer);
  expect(tooMany.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_PAGE_SIZE' });
});

it('counts an earlier payment of the same request in the next answer', async () => {
  const { invoice } = await customerWithInvoice(10_000);
  const r = await stack.gql(
    RecordTwoPaymentsDocument,
    { first: { invoiceId: invoice.id, amountMinor: 4_000, paidAt: '2026-10-05' }, second: { invoiceId: invoice.id, amountMinor: 6_000, paidAt: '2026-10-06' } },
    Role.Operator,
  );
  expect(r.errors).toBeUndefined();
  expect(r.data!.first).toMatchObject({ paidMinor: 4_000, outstandingMinor: 6_000, payments: { totalCount: 1 } });
  expect(r.data!.second).toMatchObject({ paidAt: '2026-10-06', paidMinor: 10_000, outstandingMinor: 0, payments: { totalCount: 2 } });
});

it('owes nothing on an invoice settled without a recorded payment (an import that says it is paid)', async () => {
  const { customer } = await customerWithInvoice(5_000, { paidAt: '2026-10-12' });
  expect(await invoiceOf(customer.id)).toMatchObject({ paidAt: '2026-10-12', paidMinor: 0, outstandingMinor: 0, payments: { totalCount: 0 } });
});

it('owes the same in the API as in the SQL that reminders and delivery read (outstandingMinorSql), in every state an invoice can be in, cancelled too', async () => {
  const cases: Array<{ amount: number; paidAt?: string; cancelledAt?: string; payments: number[]; owed: number }> = [
    { amount: 5_000, payments: [], owed: 5_000 },
    { amount: 5_000, payments: [1_000, 1_500], owed: 2_500 },
    // More paid than owed, not yet marked paid (two payments crossing): nothing owed, never less.
    { amount: 5_000, payments: [3_000, 3_000], owed: 0 },
    // Paid as an import says, with part of it recorded: nothing owed.
    { amount: 5_000, paidAt: '2026-10-12', payments: [2_000], owed: 0 },
    { amount: 5_000, paidAt: '2026-10-12', payments: [5_000], owed: 0 },
    // Cancelled in the billing system (a credit note), part paid before: never owed.
    { amount: 5_000, cancelledAt: '2026-10-20', payments: [1_000], owed: 0 },
  ];
  for (const { amount, paidAt, cancelledAt, payments, owed } of cases) {
    const { customer, invoice } = await customerWithInvoice(amount, { paidAt, cancelledAt });
    const e = em();
    for (const [n, amountMinor] of payments.entries()) e.create(Payment, { invoice: invoice.id, paidAt: `2026-10-0${n + 3}`, amountMinor });
    await e.flush();
    const [{ open }] = await em().execute<{ open: string }[]>(`select ${outstandingMinorSql('i')} as open from invoice i where i.id = ?`, [invoice.id]);
    const shown = await invoiceOf(customer.id);
    expect([shown.outstandingMinor, Number(open)]).toEqual([owed, owed]);
    expect(shown.cancelledAt).toBe(cancelledAt ?? null);
  }
});

it('lists a customer\'s open invoices apart from the settled ones, with what they owe in all', async () => {
  const { customer, invoice: partPaid } = await customerWithInvoice(10_000, { issuedAt: '2026-10-01' });
  const e = em();
  e.create(Payment, { invoice: partPaid.id, paidAt: '2026-10-05', amountMinor: 4_000 });
  const open = e.create(Invoice, { customer: customer.id, issuedAt: '2026-10-03', dueAt: '2026-10-17', amountMinor: 2_500 });
  const paid = e.create(Invoice, { customer: customer.id, issuedAt: '2026-10-04', dueAt: '2026-10-18', amountMinor: 3_000, paidAt: '2026-10-10' });
  const cancelled = e.create(Invoice, { customer: customer.id, issuedAt: '2026-10-05', dueAt: '2026-10-19', amountMinor: 9_000, cancelledAt: '2026-10-06' });
  await e.flush();
  const read = async (vars: { open?: boolean | null; first?: number; after?: string | null }) => {
    const r = await stack.gql(CustomerOpenInvoicesDocument, { id: customer.id, ...vars }, Role.Viewer);
    expect(r.errors).toBeUndefined();
    return r.data!.customer!;
  };
  const all = await read({});
  expect(all.outstandingMinor).toBe(6_000 + 2_500);
  expect(all.invoices.totalCount).toBe(4);
  const onlyOpen = await read({ open: true });
  expect(onlyOpen.invoices.edges.map((e) => [e.node.id, e.node.outstandingMinor])).toEqual([
    [open.id, 2_500],
    [partPaid.id, 6_000],
  ]);
  expect(onlyOpen.invoices.totalCount).toBe(2);
  expect((await read({ open: false })).invoices.edges.map((e) => e.node.id)).toEqual([cancelled.id, paid.id]);
  // Page by page, and a cursor of the open ones is no cursor of all of them.
  const first = await read({ open: true, first: 1 });
  expect((await read({ open: true, first: 1, after: first.invoices.pageInfo.endCursor })).invoices.edges.map((e) => e.node.id)).toEqual([partPaid.id]);
  const mixed = await stack.gql(CustomerOpenInvoicesDocument, { id: customer.id, first: 1, after: first.invoices.pageInfo.endCursor }, Role.Viewer);
  expect(mixed.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_CURSOR' });
});

it('leaves to a person an overdue invoice whose reminder run ended without completing, as paid before it opened again, or with a person (a call, the decision after it), not one under way or with collections, nor an erased customer\'s', async () => {
  const due = new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 10);
  const issued = new Date(Date.now() - 24 * 86_400_000).toISOString().slice(0, 10);
  const withRun = async (status: RunStatus | null, erased = false, outcome: string | null = null) => {
    const { customer, invoice } = await customerWithInvoice(5_000, { issuedAt: issued, dueAt: due });
    const e = em();
    if (status) e.create(PlaybookRun, { workflowId: fairReminderWorkflowId(customer.id, invoice.id), playbook: FAIR_REMINDER, customer: customer.id, status, outcome, startedAt: new Date() });
    await e.flush();
    if (erased) await em().nativeUpdate(Customer, { id: customer.id }, { status: CustomerStatus.Erased });
    return invoice.id;
  };
  const terminated = await withRun(RunStatus.Terminated);
  const cancelled = await withRun(RunStatus.Cancelled);
  const running = await withRun(RunStatus.Running);
  const none = await withRun(null);
  const erased = await withRun(RunStatus.Cancelled, true);
  // Its run ended as the invoice was paid, and the billing system opened it again since (an amount raised, a payment undone) (QA 44 F1);
  // one handed over to collections is with them.
  const paidThenOpen = await withRun(RunStatus.Completed, false, 'paid');
  const handedOver = await withRun(RunStatus.Completed, false, 'handed-over');
  // A loyal payer's run handed it to a person: a call, or the decision how to go on after it (QA 63 F4); nothing chases it until they act.
  const called = await withRun(RunStatus.Completed, false, 'call-scheduled');
  const followUp = await withRun(RunStatus.Completed, false, 'follow-up-requested');
  const left = (await stack.gql(OverdueInvoicesDocument, { first: 100, leftToPeople: true }, Role.Operator)).data!.overdueInvoices.edges.map((e) => e.node.id);
  expect([terminated, cancelled, running, none, erased, paidThenOpen, handedOver, called, followUp].map((id) => left.includes(id))).toEqual([true, true, false, false, false, true, false, true, true]);
  // Within the sweep's window and without a run, the sweep will chase it: among the others.
  const others = (await stack.gql(OverdueInvoicesDocument, { first: 100, leftToPeople: false }, Role.Operator)).data!.overdueInvoices.edges.map((e) => e.node.id);
  expect([terminated, running, none, handedOver, followUp].map((id) => others.includes(id))).toEqual([false, true, true, true, false]);
});

it('leaves an erased customer\'s overdue invoices out of the operator\'s queue in every form, not only out of those left to people (QA 65 F1)', async () => {
  const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
  // One past the sweep's window with no run (left to people while the customer was there), one within it (the sweep's).
  const { customer, invoice: old } = await customerWithInvoice(5_000, { issuedAt: daysAgo(232), dueAt: daysAgo(218) });
  const e = em();
  const recent = e.create(Invoice, { customer: customer.id, issuedAt: daysAgo(24), dueAt: daysAgo(10), amountMinor: 3_000 });
  await e.flush();
  const queue = async (leftToPeople: boolean | null) => {
    const r = await stack.gql(OverdueInvoicesDocument, { first: 100, leftToPeople }, Role.Operator);
    expect(r.errors).toBeUndefined();
    return { ids: r.data!.overdueInvoices.edges.map((edge) => edge.node.id), total: r.data!.overdueInvoices.totalCount };
  };
  expect((await queue(true)).ids).toContain(old.id);
  expect((await queue(false)).ids).toContain(recent.id);
  expect((await queue(null)).ids).toEqual(expect.arrayContaining([old.id, recent.id]));

  const erased = await stack.gql(EraseCustomerDocument, { id: customer.id, reason: 'Art. 17 request' }, Role.Admin);
  expect(erased.errors).toBeUndefined();
  const [left, others, all] = [await queue(true), await queue(false), await queue(null)];
  // Nobody may chase or contact them: no work for anyone, in neither part nor in the whole queue.
  for (const form of [left, others, all]) expect(form.ids.filter((id) => id === old.id || id === recent.id)).toEqual([]);
  // The two parts still make up the whole, and the counts agree with the lists.
  expect(all.total).toBe(left.total + others.total);
  expect([left.total, others.total, all.total]).toEqual([left.ids.length, others.ids.length, all.ids.length]);
});

it('records a run a start finds already ended (terminated before its first step, no record) as ended, not under way, for the sweep and for a person (review 33 F1)', async () => {
  const due = new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 10);
  const issued = new Date(Date.now() - 24 * 86_400_000).toISOString().slice(0, 10);
  const cutOff = async () => {
    const { customer, invoice } = await customerWithInvoice(5_000, { issuedAt: issued, dueAt: due });
    const workflowId = fairReminderWorkflowId(customer.id, invoice.id);
    // Started, then terminated in the Temporal UI before any worker took it: its first step, which records a run, never ran.
    await stack.temporal.client.workflow.start('fairReminder', { workflowId, taskQueue: stack.config.temporal.taskQueue, args: [{ customerId: customer.id, invoiceId: invoice.id, policy: fairReminderPolicy }] });
    await stack.temporal.client.workflow.getHandle(workflowId).terminate('a mistake');
    return { customerId: customer.id, invoiceId: invoice.id, workflowId };
  };
  const services = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services;

  const swept = await cutOff();
  await services.triggers.startFairReminders([swept.invoiceId]);
  const recorded = await em().findOneOrFail(PlaybookRun, { workflowId: swept.workflowId });
  expect(recorded).toMatchObject({ status: RunStatus.Terminated, outcome: RunStatus.Terminated, finishedAt: expect.any(Date) });
  // Started when the engine started it, before it ended (review 34 F3).
  expect(recorded.startedAt.getTime()).toBeLessThanOrEqual(recorded.finishedAt!.getTime());
  // Nothing under way: the customer may be erased, and the invoice is left to people, who may start its reminders again.
  const left = (await stack.gql(OverdueInvoicesDocument, { first: 100, leftToPeople: true }, Role.Operator)).data!.overdueInvoices.edges.map((e) => e.node.id);
  expect(left).toContain(swept.invoiceId);

  const byHand = await cutOff();
  const started = await stack.gql(StartFairReminderDocument, { invoiceId: byHand.invoiceId }, Role.Operator);
  expect(started.errors).toBeUndefined();
  expect(started.data!.startFairReminder).toMatchObject({ workflowId: byHand.workflowId, status: 'Terminated' });
  // Nothing started: no start is audited.
  expect(await em().count(AuditEntry, { entityId: byHand.workflowId, action: 'playbook.start' })).toBe(0);
  // Asked again, it starts the invoice's next run.
  expect((await stack.gql(StartFairReminderDocument, { invoiceId: byHand.invoiceId }, Role.Operator)).data!.startFairReminder.workflowId).toBe(`${byHand.workflowId}/2`);
  const erased = await stack.gql(EraseCustomerDocument, { id: swept.customerId, reason: 'Art. 17 request' }, Role.Admin);
  expect(erased.errors).toBeUndefined();
});

it('reads the invoices and payments of a page of customers in a fixed number of statements, whatever its size', async () => {
  // Customers newer than the others (first on the page), each with two invoices part paid in two payments.
  const e = em();
  const paid = new Map<string, number>();
  for (let i = 0; i < 14; i++) {
    const customer = e.create(Customer, { name: `Payer ${i}`, email: `payer${i}@example.com`, acquiredAt: '2024-05-01', createdAt: new Date(Date.now() + 3_600_000 + i) });
    for (let k = 0; k < 2; k++) {
      const invoice = e.create(Invoice, { customer, issuedAt: `2026-09-0${k + 1}`, dueAt: `2026-09-1${k + 1}`, amountMinor: 10_000 });
      e.create(Payment, { invoice, paidAt: `2026-09-0${k + 3}`, amountMinor: 500 * (i + 1) });
      e.create(Payment, { invoice, paidAt: `2026-09-0${k + 5}`, amountMinor: 500 });
      paid.set(invoice.id, 500 * (i + 1) + 500);
    }
  }
  await e.flush();
  const page = (first: number) =>
    countStatements(async () => {
      const r = await stack.gql(CustomersWithInvoicePaymentsDocument, { first, nested: 2 }, Role.Viewer);
      expect(r.errors).toBeUndefined();
      return r.data!.customers.edges;
    });
  const small = await page(3);
  const large = await page(13);
  expect(large.statements.length).toBe(small.statements.length);
  // The customers page, their invoices, the invoices' paid sums, their payments and the payments' totalCount.
  expect(small.statements.length).toBe(5);
  const invoices = large.result.flatMap((c) => c.node.invoices.edges.map((i) => i.node));
  expect(invoices).toHaveLength(26);
  for (const invoice of invoices) {
    expect(invoice.paidMinor).toBe(paid.get(invoice.id));
    expect(invoice.outstandingMinor).toBe(10_000 - paid.get(invoice.id)!);
    expect(invoice.payments.totalCount).toBe(2);
    expect(invoice.payments.edges.reduce((sum, p) => sum + Number(p.node.amountMinor), 0)).toBe(paid.get(invoice.id));
  }
});
