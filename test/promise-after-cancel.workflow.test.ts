import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { Role } from '../src/domain/auth/roles.js';
import { fairReminderPolicy, fairReminderWorkflowId } from '../src/domain/playbooks/fair-reminder.js';
import { Customer, Invoice } from '../src/entities/index.js';
import { CancelPlaybookRunDocument, FairReminderDocument, OverdueInvoicesDocument, PromiseToPayDocument, StartFairReminderDocument } from './__generated__/graphql.js';
import { eventually } from './support/eventually.js';
import { zoneAtNoon } from './support/time-zones.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * A promise to pay recorded for an invoice whose reminder run an operator cancelled (the customer on the phone) is taken as
 * one made on the call of a run that handed the invoice to a person: the invoice's next run starts holding it, so no
 * reminder goes out seconds after the customer promised; one for an invoice with no run says how to go on.
 */
let stack: TestStack;
beforeAll(async () => {
  // The default policy: days between reminders, so the run waits after its first one.
  stack = await startTestStack({ policies: { fairReminder: fairReminderPolicy } });
}, 90_000);
afterAll(() => stack?.stop());

const DAY = 86_400_000;
const day = (offsetDays: number) => new Date(Date.now() + offsetDays * DAY).toISOString().slice(0, 10);
const state = (invoiceId: string) => stack.gql(FairReminderDocument, { invoiceId }, Role.Viewer).then((r) => r.data?.fairReminder ?? null);

async function overdueInvoice(name: string): Promise<{ customerId: string; invoiceId: string }> {
  const em = stack.orm.em.fork();
  const customer = em.create(Customer, { name, email: `${name.toLowerCase()}.${randomUUID().slice(0, 6)}@example.com`, acquiredAt: day(-730), timeZone: zoneAtNoon(new Date()) });
  const invoice = em.create(Invoice, { customer, externalRef: `INV-${name}-${randomUUID().slice(0, 4)}`, issuedAt: day(-19), dueAt: day(-5), amountMinor: 7_500, paidAt: null });
  await em.flush();
  return { customerId: customer.id, invoiceId: invoice.id };
}

it('starts the next run holding a promise made after an operator cancelled the run, sending nothing', async () => {
  const { customerId, invoiceId } = await overdueInvoice('Disputing');
  const first = fairReminderWorkflowId(customerId, invoiceId);
  expect((await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => state(invoiceId), (s) => s?.step === 'waiting');
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId: first, reason: 'customer on the phone, disputing' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => state(invoiceId), (s) => s?.status === 'Cancelled');
  // Left to a person, as the operator's queue shows.
  expect((await stack.gql(OverdueInvoicesDocument, { first: 100, leftToPeople: true }, Role.Operator)).data!.overdueInvoices.edges.map((e) => e.node.id)).toContain(invoiceId);

  const promised = await stack.gql(PromiseToPayDocument, { invoiceId, until: day(10) }, Role.Operator);
  expect(promised.errors).toBeUndefined();
  const next = `${first}/2`;
  expect(promised.data!.promiseToPay).toMatchObject({ workflowId: next, invoiceId });
  expect(await eventually(() => state(invoiceId), (s) => s?.workflowId === next && s.step === 'promised')).toMatchObject({ status: 'Running', promisedUntil: day(10), remindersSent: 0 });
  // Nothing written for the customer by the next run while the promise stands (its first reminder would go at once).
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const written = await sql<{ n: string }>`select count(*) as n from outbox_message where idempotency_key like ${`${next}/%`}`.execute(stack.orm.em.fork().getKysely());
  expect(Number(written.rows[0].n)).toBe(0);
  // Audited as the start by hand and as the promise, under who recorded it.
  const audited = await sql<{ action: string; actor: string }>`select action, actor from audit_entry where entity_id = ${next} order by at, id`.execute(stack.orm.em.fork().getKysely());
  expect(new Set(audited.rows.map((a) => a.action))).toEqual(new Set(['playbook.start', 'playbook.promise-to-pay']));
  expect(audited.rows.every((a) => a.actor.startsWith('operator:'))).toBe(true);
  // Nothing left to a person any more: the next run holds it.
  expect((await stack.gql(OverdueInvoicesDocument, { first: 100, leftToPeople: true }, Role.Operator)).data!.overdueInvoices.edges.map((e) => e.node.id)).not.toContain(invoiceId);
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId: next, reason: 'test done' }, Role.Operator)).errors).toBeUndefined();
}, 60_000);

it('says how to record a promise for an invoice no reminder run chases yet', async () => {
  const { invoiceId } = await overdueInvoice('Unchased');
  const refused = await stack.gql(PromiseToPayDocument, { invoiceId, until: day(10) }, Role.Operator);
  expect(refused.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'PLAYBOOK_RUN_NOT_FOUND' });
  expect(refused.errors![0].message).toMatch(/start its reminders with startFairReminder, then record the promise/);
}, 30_000);
