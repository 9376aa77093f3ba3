import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { Role } from '../src/domain/auth/roles.js';
import { Customer, Invoice, MessageChannel, MessagePurpose, OutboxMessage, Payment, PlaybookRun } from '../src/entities/index.js';
import { RunStatus } from '../src/domain/playbooks/run-status.js';
import { renderMessage } from '../src/domain/messages/templates.js';
import { OutboxService } from '../src/services/outbox/outbox.service.js';
import { fairReminderWorkflowId } from '../src/domain/playbooks/fair-reminder.js';
import { AuditService } from '../src/services/audit/audit.service.js';
import { bookSentReminder } from '../src/services/outbox/sent-reminder.js';
import { CustomerTimelineDocument, EraseCustomerDocument, ImportCsvDocument, InvoiceFeesDocument, RecordPaymentShowingFeesDocument } from './__generated__/graphql.js';
import { startTestStack, type TestStack } from './support/stack.js';
import { DeliveryService } from '../src/services/outbox/delivery.service.js';
import type { RenderedMessage } from '../src/services/outbox/message-sender.js';
import { defaultPolicies } from '../src/domain/policies/index.js';

/**
 * A payment made on or before the due day whose booking reaches the platform late (a bank export days after the money)
 * reverses the reminder fees the fair reminders charged meanwhile, in the transaction that settles the invoice, as a
 * cancelled invoice's are: a customer who paid on time owes no fee for being chased. Paid late, in part or in full, the
 * fees stand.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ worker: false });
}, 90_000);
afterAll(() => stack?.stop());

const DAY = 86_400_000;
const day = (offsetDays: number) => new Date(Date.now() + offsetDays * DAY).toISOString().slice(0, 10);
const em = () => stack.orm.em.fork();

/** A customer with an invoice due 10 days ago on which two standard reminders went out, charging 500 and 1,000. */
async function chargedInvoice(): Promise<{ customer: Customer; invoice: Invoice; customerRef: string }> {
  const e = em();
  const tag = randomUUID().slice(0, 8);
  const customerRef = `CUST-ONTIME-${tag}`;
  const customer = e.create(Customer, { name: 'Xavi Ontime', email: `xavi.${tag}@example.com`, acquiredAt: day(-400), externalRef: customerRef });
  const invoice = e.create(Invoice, { customer, externalRef: `INV-ONTIME-${tag}`, issuedAt: day(-24), dueAt: day(-10), amountMinor: 20_000, paidAt: null });
  await e.flush();
  const run = fairReminderWorkflowId(customer.id, invoice.id);
  for (const [n, band, chargedMinor] of [
    [2, 'at-risk', 500],
    [3, 'at-risk', 1_000],
  ] as const) {
    await em().transactional((tx) =>
      bookSentReminder(tx, new AuditService(), { invoiceId: invoice.id, idempotencyKey: `${run}/reminder-${n}`, payload: { booking: { reminderNumber: n, band, chargedMinor, waivedMinor: 0, reason: 'test' } } }),
    );
  }
  return { customer, invoice, customerRef };
}

const reversals = async (invoiceId: string) =>
  (
    await sql<{ actor: string; before: unknown; after: Record<string, unknown> }>`
      select actor, before, after from audit_entry where action = 'invoice.fees-reversed' and entity_id = ${invoiceId} order by at, id`.execute(em().getKysely())
  ).rows;
const bookingsReversed = async (invoiceId: string) =>
  (await sql<{ reversed: string }>`select coalesce(sum(reversed_minor), 0) as reversed from reminder_booking where invoice_id = ${invoiceId}::uuid`.execute(em().getKysely())).rows[0].reversed;
const fees = async (id: string) => (await stack.gql(InvoiceFeesDocument, { id }, Role.Viewer)).data!.invoice;
const paidLine = async (customerId: string) => {
  const r = await stack.gql(CustomerTimelineDocument, { id: customerId, first: 10, kinds: ['InvoicePaid'] }, Role.Viewer);
  expect(r.errors).toBeUndefined();
  return r.data!.customer!.timeline.edges.map((e) => e.node.summary);
};
const pay = (invoiceId: string, amountMinor: number, paidAt: string) => stack.gql(RecordPaymentShowingFeesDocument, { input: { invoiceId, amountMinor, paidAt, externalRef: `BANK-${randomUUID().slice(0, 8)}` } }, Role.Operator);

it('reverses the reminder fees of an invoice recordPayment settles on its due day: the answer, the audit log and the timeline say so', async () => {
  const { customer, invoice } = await chargedInvoice();
  const paid = await pay(invoice.id, 20_000, invoice.dueAt);
  expect(paid.errors).toBeUndefined();
  // The answer shows the fees reversed; what was charged stays as history.
  expect(paid.data!.recordPayment).toEqual({ id: invoice.id, paidAt: invoice.dueAt, dueAt: invoice.dueAt, remindersSent: 2, feeChargedMinor: 1_500, feeReversedMinor: 1_500 });
  expect(await bookingsReversed(invoice.id)).toBe('1500');
  // What finance reverses in the billing system, under who recorded the payment, and why.
  const [entry, ...more] = await reversals(invoice.id);
  expect(more).toEqual([]);
  expect(entry.actor).toMatch(/^operator:/);
  expect(entry.before).toEqual({ feeChargedMinor: 1_500, feeReversedMinor: 0 });
  expect(entry.after).toEqual({ feeChargedMinor: 1_500, feeReversedMinor: 1_500, reversedMinor: 1_500, reason: 'paid-on-time', paidAt: invoice.dueAt, dueAt: invoice.dueAt, invoiceNumber: invoice.externalRef });
  expect(await paidLine(customer.id)).toEqual([`Paid invoice ${invoice.externalRef} (€200.00) on time; its €15.00 in reminder fees reversed`]);
});

it('leaves the fees of an invoice paid after its due day, or paid on time in part and the rest late', async () => {
  const late = await chargedInvoice();
  expect((await pay(late.invoice.id, 20_000, day(-9))).data!.recordPayment).toMatchObject({ paidAt: day(-9), feeChargedMinor: 1_500, feeReversedMinor: 0 });

  const part = await chargedInvoice();
  expect((await pay(part.invoice.id, 5_000, day(-12))).data!.recordPayment).toMatchObject({ paidAt: null, feeChargedMinor: 1_500, feeReversedMinor: 0 });
  expect((await pay(part.invoice.id, 15_000, day(-2))).data!.recordPayment).toMatchObject({ paidAt: day(-2), feeChargedMinor: 1_500, feeReversedMinor: 0 });

  for (const { customer, invoice } of [late, part]) {
    expect(await reversals(invoice.id)).toEqual([]);
    expect(await bookingsReversed(invoice.id)).toBe('0');
    expect((await paidLine(customer.id))[0]).not.toMatch(/reversed/);
  }
});

it('reverses them in a payments import that settles the invoice on or before its due day, once, under who imported it', async () => {
  const { customer, invoice } = await chargedInvoice();
  const importPayments = async (csv: string) => {
    const r = await stack.gql(ImportCsvDocument, { input: { kind: 'Payments', csv, mode: 'AllOrNothing' } }, Role.Admin);
    expect(r.errors).toBeUndefined();
    return r.data!.importCsv;
  };
  const csv = `invoice_ref,paid_at,amount,payment_ref\n${invoice.externalRef},${day(-11)},200.00,BANK-${invoice.id.slice(0, 8)}\n`;
  expect(await importPayments(csv)).toMatchObject({ inserted: 1, written: true, errorCount: 0 });
  expect(await fees(invoice.id)).toMatchObject({ feeChargedMinor: 1_500, feeReversedMinor: 1_500 });
  const [entry] = await reversals(invoice.id);
  expect(entry.actor).toMatch(/^admin:/);
  expect(entry.after).toMatchObject({ reversedMinor: 1_500, reason: 'paid-on-time', paidAt: day(-11), dueAt: invoice.dueAt });
  // The same file again reverses nothing twice.
  await importPayments(csv);
  expect(await reversals(invoice.id)).toHaveLength(1);
  expect(await fees(invoice.id)).toMatchObject({ feeReversedMinor: 1_500 });
  expect(await paidLine(customer.id)).toEqual([`Paid invoice ${invoice.externalRef} (€200.00) on time; its €15.00 in reminder fees reversed`]);

  // A payment booked for a day after the due day reverses nothing.
  const late = await chargedInvoice();
  await importPayments(`invoice_ref,paid_at,amount,payment_ref\n${late.invoice.externalRef},${day(-3)},200.00,BANK-${late.invoice.id.slice(0, 8)}\n`);
  expect(await fees(late.invoice.id)).toMatchObject({ feeChargedMinor: 1_500, feeReversedMinor: 0 });
  expect(await reversals(late.invoice.id)).toEqual([]);
});

const importCsv = async (kind: 'Invoices' | 'Payments', csv: string) => {
  const r = await stack.gql(ImportCsvDocument, { input: { kind, csv, mode: 'AllOrNothing' } }, Role.Admin);
  expect(r.errors).toBeUndefined();
  expect(r.data!.importCsv).toMatchObject({ written: true, errorCount: 0 });
  return r.data!.importCsv;
};
const invoiceRow = (invoice: Invoice, customerRef: string, more: { paidAt?: string; feeCharged?: string; cancelledAt?: string }) =>
  `invoice_ref,customer_ref,issued_at,due_at,amount,paid_at,fee_charged,cancelled_at\n${invoice.externalRef},${customerRef},${invoice.issuedAt},${invoice.dueAt},200.00,${more.paidAt ?? ''},${more.feeCharged ?? ''},${more.cancelledAt ?? ''}\n`;

it("reverses them in an invoices import that sets the paid day on or before the due day; a fee the file brought (the billing system's own) stays", async () => {
  const { customer, invoice, customerRef } = await chargedInvoice();
  // The billing system's export says it was paid on the due day and knows a fee of its own besides the reminders' 1,500.
  await importCsv('Invoices', invoiceRow(invoice, customerRef, { paidAt: invoice.dueAt, feeCharged: '18.00' }));
  expect(await fees(invoice.id)).toMatchObject({ feeChargedMinor: 1_800, feeReversedMinor: 1_500 });
  expect(await bookingsReversed(invoice.id)).toBe('1500');
  const [entry, ...more] = await reversals(invoice.id);
  expect(more).toEqual([]);
  expect(entry.actor).toMatch(/^admin:/);
  expect(entry.before).toEqual({ feeChargedMinor: 1_800, feeReversedMinor: 0 });
  expect(entry.after).toEqual({ feeChargedMinor: 1_800, feeReversedMinor: 1_500, reversedMinor: 1_500, reason: 'paid-on-time', paidAt: invoice.dueAt, dueAt: invoice.dueAt, invoiceNumber: invoice.externalRef });
  expect((await paidLine(customer.id))[0]).toMatch(/on time; its €15.00 in reminder fees reversed$/);
});

it('reverses nothing when an import merely lists an invoice paid on time in an earlier transaction, its fees left standing', async () => {
  // Paid on its due day before reversals existed (or its reversal left to finance): the fees stand.
  const { invoice, customerRef } = await chargedInvoice();
  const e = em();
  e.create(Payment, { invoice: invoice.id, amountMinor: 20_000, paidAt: invoice.dueAt, externalRef: `BANK-OLD-${invoice.id.slice(0, 8)}` });
  await e.flush();
  await em().nativeUpdate(Invoice, { id: invoice.id }, { paidAt: invoice.dueAt });
  // A full dump from the billing system lists it again as it is stored; so does the bank's file with its payment.
  await importCsv('Invoices', invoiceRow(invoice, customerRef, { paidAt: invoice.dueAt }));
  await importCsv('Payments', `invoice_ref,paid_at,amount,payment_ref\n${invoice.externalRef},${invoice.dueAt},200.00,BANK-OLD-${invoice.id.slice(0, 8)}\n`);
  expect(await fees(invoice.id)).toMatchObject({ feeChargedMinor: 1_500, feeReversedMinor: 0 });
  expect(await bookingsReversed(invoice.id)).toBe('0');
  expect(await reversals(invoice.id)).toEqual([]);
});

it("keeps the paid day of an invoice its recorded payments cover against a file's earlier one: no fees reversed by a day no money came in", async () => {
  const { customer, invoice, customerRef } = await chargedInvoice();
  // The payment came in five days after the due day: the fees stand.
  expect((await pay(invoice.id, 20_000, day(-5))).errors).toBeUndefined();
  // The billing system's export then says paid on the due day (its settlement date, not the bank's).
  const report = await importCsv('Invoices', invoiceRow(invoice, customerRef, { paidAt: invoice.dueAt }));
  expect(report).toMatchObject({ updated: 0, unchanged: 1, kept: [{ field: 'paid_at', rows: 1, why: expect.stringMatching(/^not paid before its recorded payments: an invoice they cover is paid on the day they first covered its amount/) }] });
  expect(await fees(invoice.id)).toMatchObject({ paidAt: day(-5), feeChargedMinor: 1_500, feeReversedMinor: 0 });
  expect(await reversals(invoice.id)).toEqual([]);
  expect((await paidLine(customer.id))[0]).not.toMatch(/on time/);
  // Where its payments do not cover it (settled some other way), the file's paid day is taken, and is on time.
  const other = await chargedInvoice();
  expect((await pay(other.invoice.id, 5_000, day(-12))).errors).toBeUndefined();
  expect(await importCsv('Invoices', invoiceRow(other.invoice, other.customerRef, { paidAt: other.invoice.dueAt }))).toMatchObject({ updated: 1, kept: [] });
  expect(await fees(other.invoice.id)).toMatchObject({ paidAt: other.invoice.dueAt, feeReversedMinor: 1_500 });
  // But never before the latest payment it has: one paid in full, the file raising its amount above it, is paid no earlier than that payment came.
  const raised = await chargedInvoice();
  expect((await pay(raised.invoice.id, 20_000, day(-5))).errors).toBeUndefined();
  const higher = invoiceRow(raised.invoice, raised.customerRef, { paidAt: raised.invoice.dueAt }).replace(',200.00,', ',250.00,');
  expect(await importCsv('Invoices', higher)).toMatchObject({ updated: 1, kept: [{ field: 'paid_at', rows: 1 }] });
  expect(await fees(raised.invoice.id)).toMatchObject({ paidAt: day(-5), feeReversedMinor: 0 });
  expect(await reversals(raised.invoice.id)).toEqual([]);
});

it('a cancellation after a paid-on-time reversal reverses only what is left: the reminders once, the fee the billing system brought', async () => {
  const { invoice, customerRef } = await chargedInvoice();
  // The billing system's export says it was paid on the due day (no payment recorded here), with a fee of its own of 300.
  await importCsv('Invoices', invoiceRow(invoice, customerRef, { paidAt: invoice.dueAt, feeCharged: '18.00' }));
  expect(await fees(invoice.id)).toMatchObject({ feeChargedMinor: 1_800, feeReversedMinor: 1_500 });
  // It then credits the invoice in full: cancelled, no longer paid.
  const cancelling = invoiceRow(invoice, customerRef, { feeCharged: '18.00', cancelledAt: day(0) });
  await importCsv('Invoices', cancelling);
  expect(await fees(invoice.id)).toMatchObject({ cancelledAt: day(0), feeChargedMinor: 1_800, feeReversedMinor: 1_800 });
  expect(await bookingsReversed(invoice.id)).toBe('1500');
  const entries = await reversals(invoice.id);
  expect(entries.map((r) => [r.before, r.after])).toEqual([
    [
      { feeChargedMinor: 1_800, feeReversedMinor: 0 },
      { feeChargedMinor: 1_800, feeReversedMinor: 1_500, reversedMinor: 1_500, reason: 'paid-on-time', paidAt: invoice.dueAt, dueAt: invoice.dueAt, invoiceNumber: invoice.externalRef },
    ],
    [
      { feeChargedMinor: 1_800, feeReversedMinor: 1_500 },
      { feeChargedMinor: 1_800, feeReversedMinor: 1_800, reversedMinor: 300, cancelledAt: day(0), invoiceNumber: invoice.externalRef },
    ],
  ]);
  // The same export again reverses nothing more.
  await importCsv('Invoices', cancelling);
  expect(await reversals(invoice.id)).toHaveLength(2);
  expect(await fees(invoice.id)).toMatchObject({ feeReversedMinor: 1_800 });
});

it('leaves a reversal standing when a later file moves the paid day past the due day: finance decides whether to charge again', async () => {
  const { invoice, customerRef } = await chargedInvoice();
  await importCsv('Invoices', invoiceRow(invoice, customerRef, { paidAt: invoice.dueAt }));
  expect(await fees(invoice.id)).toMatchObject({ feeChargedMinor: 1_500, feeReversedMinor: 1_500 });
  // The billing system corrects the paid day to one after the due day; then the payment comes back (paid day emptied).
  await importCsv('Invoices', invoiceRow(invoice, customerRef, { paidAt: day(-5) }));
  await importCsv('Invoices', invoiceRow(invoice, customerRef, {}));
  expect(await fees(invoice.id)).toMatchObject({ feeChargedMinor: 1_500, feeReversedMinor: 1_500 });
  expect(await bookingsReversed(invoice.id)).toBe('1500');
  // The one entry says on which paid day the fees were reversed.
  expect((await reversals(invoice.id)).map((r) => r.after.paidAt)).toEqual([invoice.dueAt]);
});

/**
 * The run of `invoice` handed it over to collections: its collections letter written, and sent unless `letterSent` is
 * false (still queued, for the customer's morning), and the run ended `handed-over`.
 */
async function handedOver(customer: Customer, invoice: Invoice, letterSent: boolean): Promise<string> {
  const run = fairReminderWorkflowId(customer.id, invoice.id);
  await em().transactional(async (tx) => {
    await new OutboxService().enqueue(tx, {
      idempotencyKey: `${run}/handover`,
      customerId: customer.id,
      invoiceId: invoice.id,
      channel: MessageChannel.Letter,
      purpose: MessagePurpose.Service,
      template: 'collections-handover',
      payload: { invoiceId: invoice.id, invoiceNumber: invoice.externalRef, amountMinor: 20_000, openMinor: 20_000, dueAt: invoice.dueAt, feesOnInvoiceMinor: 1_500 },
    });
    if (letterSent) await tx.nativeUpdate(OutboxMessage, { idempotencyKey: `${run}/handover` }, { sentAt: new Date(`${day(-1)}T09:00:00.000Z`) });
    tx.create(PlaybookRun, { workflowId: run, playbook: 'fair-reminder', customer: customer.id, status: RunStatus.Completed, outcome: 'handed-over', finishedAt: new Date() });
  });
  return run;
}
/** What the payment wrote about the hand-over: billing's task and the customer's correction (step, template, channel, payload). */
const withdrawals = async (invoiceId: string) =>
  (
    await sql<{ key: string; template: string; channel: string; sent_at: Date | null; suppressed_at: Date | null; payload: Record<string, unknown> }>`
      select idempotency_key as key, template, channel::text, sent_at, suppressed_at, payload from outbox_message
       where invoice_id = ${invoiceId}::uuid and template in ('collections-withdrawal', 'collections-withdrawn') order by template`.execute(em().getKysely())
  ).rows;

const withdrawalsAsked = async (invoiceId: string) =>
  (
    await sql<{ actor: string; after: Record<string, unknown> }>`
      select actor, after from audit_entry where action = 'invoice.collections-withdrawal' and entity_id = ${invoiceId} order by at, id`.execute(em().getKysely())
  ).rows;

it('asks billing to withdraw from collections an invoice paid on time whose payment was booked after the hand-over, and tells the customer', async () => {
  const { customer, invoice } = await chargedInvoice();
  const run = await handedOver(customer, invoice, true);
  const paid = await pay(invoice.id, 20_000, day(-11));
  expect(paid.data!.recordPayment).toMatchObject({ feeReversedMinor: 1_500 });
  const facts = { invoiceId: invoice.id, invoiceNumber: invoice.externalRef, amountMinor: 20_000, dueAt: invoice.dueAt, paidAt: day(-11), feesReversedMinor: 1_500 };
  const [task, correction, ...more] = await withdrawals(invoice.id);
  expect(more).toEqual([]);
  // In the transaction that reversed the fees, keyed under the run that handed it over.
  expect(task).toMatchObject({ key: `${run}/collections-withdrawal`, template: 'collections-withdrawal', channel: 'call', sent_at: null, suppressed_at: null, payload: facts });
  expect(new Date(String(task.payload.letterSentAt)).toISOString()).toBe(`${day(-1)}T09:00:00.000Z`);
  // The customer got the collections letter: a correction goes by the letter's channel.
  expect(correction).toMatchObject({ key: `${run}/collections-withdrawn`, template: 'collections-withdrawn', channel: 'letter', suppressed_at: null, payload: facts });

  const written = (template: string, locale: string) => renderMessage(template, 'Xavi Ontime', task.payload, locale, 'EUR');
  const long = (d: string) => new Date(`${d}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  expect(written('collections-withdrawal', 'en').subject).toBe(`Withdraw from collections: invoice ${invoice.externalRef} of Xavi Ontime was paid on time`);
  expect(written('collections-withdrawal', 'de').text).toBe(
    `Xavi Ontime's invoice ${invoice.externalRef} (€200.00), due ${long(invoice.dueAt)}, was paid on time on ${long(day(-11))}, but the payment was booked only after the invoice had been handed over to collections (our collections letter reached them on ${long(day(-1))}). Please withdraw it from our collections partner now: nothing is owed on it. The €15.00 in reminder fees charged on it are reversed here; reverse them in the billing system too. The customer is told that the invoice is withdrawn from collections.`,
  );
  expect(written('collections-withdrawn', 'en').text).toContain(`please disregard our letter that invoice ${invoice.externalRef} had been passed to our collections partner: you paid it on time, on ${long(day(-11))}`);
  expect(written('collections-withdrawn', 'en').text).toContain('We are withdrawing it from collections, and the €15.00 in reminder fees are cancelled; you owe nothing more on it.');
  expect(written('collections-withdrawn', 'de').text).toContain(`Sie haben sie rechtzeitig bezahlt, am`);
  expect(written('collections-withdrawn', 'de').text).toMatch(/die 15,00\s€ Mahngebühren werden storniert/);

  // One task per invoice: the billing system's export with the paid day (the same, then an earlier one) writes none more.
  const customerRef = customer.externalRef!;
  await importCsv('Invoices', invoiceRow(invoice, customerRef, { paidAt: day(-11) }));
  await importCsv('Invoices', invoiceRow(invoice, customerRef, { paidAt: day(-12) }));
  expect((await withdrawals(invoice.id)).map((m) => m.key)).toEqual([task.key, correction.key]);
  // Finance's trail of the invoice shows the withdrawal asked for, once, under who recorded the payment.
  const [asked, ...again] = await withdrawalsAsked(invoice.id);
  expect(again).toEqual([]);
  expect(asked.actor).toMatch(/^operator:/);
  expect(asked.after).toEqual({ invoiceNumber: invoice.externalRef, reason: 'paid-on-time', paidAt: day(-11), dueAt: invoice.dueAt, feesReversedMinor: 1_500, runId: run, customerCorrected: true });
});

it('asks billing to withdraw it when the run ended handed-over with its letter still queued: the letter is held back, the customer not written to', async () => {
  const { customer, invoice } = await chargedInvoice();
  const run = await handedOver(customer, invoice, false);
  const csv = `invoice_ref,paid_at,amount,payment_ref\n${invoice.externalRef},${invoice.dueAt},200.00,BANK-Q-${invoice.id.slice(0, 8)}\n`;
  await importCsv('Payments', csv);
  await importCsv('Payments', csv);
  const [task, ...more] = await withdrawals(invoice.id);
  expect(more).toEqual([]);
  expect(task).toMatchObject({ key: `${run}/collections-withdrawal`, payload: { paidAt: invoice.dueAt, feesReversedMinor: 1_500, letterSentAt: null } });
  expect(renderMessage('collections-withdrawal', 'Xavi Ontime', task.payload, 'en', 'EUR').text).toContain('(our collections letter was held back before it reached them)');
  expect((await em().findOneOrFail(OutboxMessage, { idempotencyKey: `${run}/handover` })).suppressedReason).toMatch(/^invoice-paid/);
  expect((await withdrawalsAsked(invoice.id)).map((a) => [a.actor.split(':')[0], a.after.customerCorrected])).toEqual([['admin', false]]);
});

it("asks billing to withdraw it for a customer erased since the hand-over, and the task goes; nobody is left to write the correction to", async () => {
  const { customer, invoice } = await chargedInvoice();
  const run = await handedOver(customer, invoice, true);
  expect((await stack.gql(EraseCustomerDocument, { id: customer.id, reason: 'Art. 17 request' }, Role.Admin)).errors).toBeUndefined();
  await importCsv('Payments', `invoice_ref,paid_at,amount,payment_ref\n${invoice.externalRef},${invoice.dueAt},200.00,BANK-E-${invoice.id.slice(0, 8)}\n`);
  const [task, ...more] = await withdrawals(invoice.id);
  expect(more).toEqual([]);
  expect(task).toMatchObject({ key: `${run}/collections-withdrawal`, payload: { feesReversedMinor: 1_500 } });
  // Money owed is settled after an erasure too: the contact guard lets billing's task go.
  const sent: RenderedMessage[] = [];
  await new DeliveryService(em(), { send: async (message) => void sent.push(message) }, defaultPolicies).deliverDue();
  expect(sent.map((m) => m.idempotencyKey)).toContain(task.key);
  expect(await em().findOneOrFail(OutboxMessage, { idempotencyKey: task.key })).toMatchObject({ suppressedAt: null, sentAt: expect.any(Date) });
});

it('writes no withdrawal for an invoice paid late after the hand-over, nor for one paid on time never handed over', async () => {
  const late = await chargedInvoice();
  await handedOver(late.customer, late.invoice, true);
  expect((await pay(late.invoice.id, 20_000, day(-9))).data!.recordPayment).toMatchObject({ feeReversedMinor: 0 });
  const never = await chargedInvoice();
  expect((await pay(never.invoice.id, 20_000, never.invoice.dueAt)).data!.recordPayment).toMatchObject({ feeReversedMinor: 1_500 });
  for (const { invoice } of [late, never]) {
    expect(await withdrawals(invoice.id)).toEqual([]);
    expect(await withdrawalsAsked(invoice.id)).toEqual([]);
  }
});

it('asks billing to withdraw from collections an invoice the billing system cancelled after the hand-over, and tells the customer it was cancelled, once', async () => {
  const { customer, invoice, customerRef } = await chargedInvoice();
  const run = await handedOver(customer, invoice, true);
  await importCsv('Invoices', invoiceRow(invoice, customerRef, { cancelledAt: day(0) }));
  expect(await fees(invoice.id)).toMatchObject({ cancelledAt: day(0), feeReversedMinor: 1_500 });
  const facts = { invoiceId: invoice.id, invoiceNumber: invoice.externalRef, amountMinor: 20_000, dueAt: invoice.dueAt, cancelledAt: day(0), feesReversedMinor: 1_500 };
  const [task, correction, ...more] = await withdrawals(invoice.id);
  expect(more).toEqual([]);
  // The same steps as for an invoice paid on time, keyed under the run that handed it over, saying it was cancelled.
  expect(task).toMatchObject({ key: `${run}/collections-withdrawal`, template: 'collections-withdrawal', channel: 'call', sent_at: null, suppressed_at: null, payload: facts });
  expect(correction).toMatchObject({ key: `${run}/collections-withdrawn`, template: 'collections-withdrawn', channel: 'letter', suppressed_at: null, payload: facts });
  expect(task.payload).not.toHaveProperty('paidAt');

  const written = (template: string, locale: string) => renderMessage(template, 'Xavi Ontime', task.payload, locale, 'EUR');
  const long = (d: string) => new Date(`${d}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  expect(written('collections-withdrawal', 'en').subject).toBe(`Withdraw from collections: invoice ${invoice.externalRef} of Xavi Ontime was cancelled`);
  expect(written('collections-withdrawal', 'en').text).toBe(
    `Xavi Ontime's invoice ${invoice.externalRef} (€200.00), due ${long(invoice.dueAt)}, was cancelled in the billing system on ${long(day(0))}, after it had been handed over to collections (our collections letter reached them on ${long(day(-1))}). Please withdraw it from our collections partner now: nothing is owed on it. The €15.00 in reminder fees charged on it are reversed here; reverse them in the billing system too. The customer is told that the invoice is withdrawn from collections.`,
  );
  const letter = written('collections-withdrawn', 'en');
  expect(letter.subject).toBe('Your invoice is not with collections: it was cancelled');
  expect(letter.text).toContain(`please disregard our letter that invoice ${invoice.externalRef} had been passed to our collections partner: the invoice was cancelled, so nothing is owed on it.`);
  expect(letter.text).toContain('We are withdrawing our claim from collections, and the €15.00 in reminder fees are cancelled.');
  expect(letter.text).not.toMatch(/paid/);
  expect(written('collections-withdrawn', 'de').subject).toBe('Ihre Rechnung ist nicht beim Inkasso: sie wurde storniert');
  expect(written('collections-withdrawn', 'de').text).toMatch(/Die Rechnung wurde storniert, Sie schulden darauf nichts\. Wir ziehen unsere Forderung vom Inkasso zurück, und die 15,00\s€ Mahngebühren werden storniert\./);

  // Once per invoice: the same export again, or one correcting the cancelled day, writes none more.
  await importCsv('Invoices', invoiceRow(invoice, customerRef, { cancelledAt: day(0) }));
  await importCsv('Invoices', invoiceRow(invoice, customerRef, { cancelledAt: day(-1) }));
  expect((await withdrawals(invoice.id)).map((m) => m.key)).toEqual([task.key, correction.key]);
  const [asked, ...again] = await withdrawalsAsked(invoice.id);
  expect(again).toEqual([]);
  expect(asked.actor).toMatch(/^admin:/);
  expect(asked.after).toEqual({ invoiceNumber: invoice.externalRef, reason: 'cancelled', cancelledAt: day(0), dueAt: invoice.dueAt, feesReversedMinor: 1_500, runId: run, customerCorrected: true });
});

it('asks billing to withdraw a cancelled invoice whose run ended handed-over with its letter still queued: the letter is held back, the customer not written to', async () => {
  const { customer, invoice, customerRef } = await chargedInvoice();
  const run = await handedOver(customer, invoice, false);
  await importCsv('Invoices', invoiceRow(invoice, customerRef, { cancelledAt: day(0) }));
  const [task, ...more] = await withdrawals(invoice.id);
  expect(more).toEqual([]);
  expect(task).toMatchObject({ key: `${run}/collections-withdrawal`, payload: { cancelledAt: day(0), feesReversedMinor: 1_500, letterSentAt: null } });
  expect((await em().findOneOrFail(OutboxMessage, { idempotencyKey: `${run}/handover` })).suppressedReason).toMatch(/^invoice-cancelled/);
  expect((await withdrawalsAsked(invoice.id)).map((a) => [a.after.reason, a.after.customerCorrected])).toEqual([['cancelled', false]]);
});

it('writes no withdrawal for a cancelled invoice never handed over, and only one for an invoice withdrawn as paid on time and cancelled after', async () => {
  const never = await chargedInvoice();
  await importCsv('Invoices', invoiceRow(never.invoice, never.customerRef, { cancelledAt: day(0) }));
  expect(await fees(never.invoice.id)).toMatchObject({ cancelledAt: day(0), feeReversedMinor: 1_500 });
  expect(await withdrawals(never.invoice.id)).toEqual([]);
  expect(await withdrawalsAsked(never.invoice.id)).toEqual([]);

  // Paid on time after the hand-over (withdrawn then), then credited by the billing system: the paid-on-time withdrawal stands alone.
  const both = await chargedInvoice();
  const run = await handedOver(both.customer, both.invoice, true);
  await importCsv('Invoices', invoiceRow(both.invoice, both.customerRef, { paidAt: both.invoice.dueAt }));
  await importCsv('Invoices', invoiceRow(both.invoice, both.customerRef, { cancelledAt: day(0) }));
  expect(await fees(both.invoice.id)).toMatchObject({ cancelledAt: day(0) });
  const written = await withdrawals(both.invoice.id);
  expect(written.map((m) => [m.key, m.payload.paidAt, m.payload.cancelledAt])).toEqual([
    [`${run}/collections-withdrawal`, both.invoice.dueAt, undefined],
    [`${run}/collections-withdrawn`, both.invoice.dueAt, undefined],
  ]);
  expect((await withdrawalsAsked(both.invoice.id)).map((a) => a.after.reason)).toEqual(['paid-on-time']);
});
