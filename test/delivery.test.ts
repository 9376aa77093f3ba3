import { fork } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import type { MetricMeter } from '@temporalio/common';
import { DELIVERY_FAILURES_METRIC, startDeliveryLoop } from '../src/app/delivery-loop.js';
import { OperationsStatusService } from '../src/services/operations/operations-status.service.js';
import { createOrm, migrateUp, type Orm } from '../src/db/orm.js';
import { INVOICE_PAID } from '../src/domain/messages/catalogue.js';
import { Complaint, ComplaintSeverity, Customer, CustomerExport, CustomerStatus, FixCase, FixCaseStatus, Invoice, MessageChannel, MessagePurpose, OutboxMessage } from '../src/entities/index.js';
import { createLogger } from '../src/logger.js';
import { messageStatus } from '../src/domain/messages/message-status.js';
import { DeliveryService, INTERRUPTED_HANDOVER } from '../src/services/outbox/delivery.service.js';
import { defaultDeliveryPolicy } from '../src/domain/messages/delivery-policy.js';
import { defaultPolicies } from '../src/domain/policies/index.js';
import type { MessageSender, RenderedMessage } from '../src/services/outbox/message-sender.js';
import { OutboxService } from '../src/services/outbox/outbox.service.js';
import { UndeliverableMessageService } from '../src/services/outbox/undeliverable-message.service.js';
import { AuditService } from '../src/services/audit/audit.service.js';
import { promisePolicyOf } from '../src/domain/playbooks/fair-reminder.js';
import { createTestDatabase } from './support/database.js';
import { startLocalSmtp, type ReceivedMail } from './support/smtp.js';
import { eventually } from './support/eventually.js';

/**
 * Outbox delivery through the real SMTP channel (nodemailer) to a local SMTP server
 * (smtp-server), with the contact guard applied at the moment of sending.
 */
let orm: Orm;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let smtp: Awaited<ReturnType<typeof startLocalSmtp>>;
let received: ReceivedMail[];

beforeAll(async () => {
  db = await createTestDatabase('delivery');
  orm = await createOrm(db.url);
  await migrateUp(orm);
  smtp = await startLocalSmtp();
  received = smtp.received;
});
afterAll(async () => {
  await smtp?.stop();
  await orm?.close();
  await db?.drop();
});
beforeEach(() => {
  received.length = 0;
});

let n = 0;
async function customer(over: Partial<Pick<Customer, 'timeZone' | 'marketingConsent' | 'email' | 'locale'>> = {}): Promise<string> {
  const em = orm.em.fork();
  n++;
  const c = em.create(Customer, { name: `Customer ${n}`, email: over.email ?? `c${n}@example.com`, acquiredAt: '2025-01-01', timeZone: over.timeZone ?? 'UTC', locale: over.locale ?? 'en', marketingConsent: over.marketingConsent ?? false });
  await em.flush();
  return c.id;
}

async function enqueue(
  customerId: string,
  key: string,
  purpose = MessagePurpose.Service,
  channel = MessageChannel.Email,
  message: { template?: string; payload?: Record<string, unknown>; invoiceId?: string } = {},
): Promise<void> {
  const em = orm.em.fork();
  await em.transactional((tx) => new OutboxService().enqueue(tx, { idempotencyKey: key, customerId, channel, purpose, template: 'reminder-friendly', payload: { invoiceId: 'abcdef12' }, ...message }));
}

const message = (key: string) => orm.em.fork().findOneOrFail(OutboxMessage, { idempotencyKey: key });
const deliver = (now: Date) => new DeliveryService(orm.em.fork(), smtp.sender, defaultPolicies).deliverDue(now);
const noon = new Date('2026-11-24T12:00:00Z');
/** A time in the round that began at `start`: its clock runs on while it sends (a few seconds at most here). */
const inRound = (start: Date) => ({
  asymmetricMatch: (actual: unknown) => actual instanceof Date && actual.getTime() >= start.getTime() && actual.getTime() - start.getTime() < 10_000,
  toString: () => `a time in the round from ${start.toISOString()}`,
});

it('sends a due message once, with its key as the Message-ID, and never again', async () => {
  const id = await customer({ email: 'ada@example.com' });
  await enqueue(id, 'run-1/reminder-1');
  expect(await deliver(noon)).toMatchObject({ sent: 1 });
  expect(received).toHaveLength(1);
  expect(received[0].to).toEqual(['ada@example.com']);
  expect(received[0].raw).toMatch(/Message-ID: <run-1.reminder-1@retention\.local>/i);
  expect(received[0].raw).toMatch(/Subject: A quick note about your invoice/);
  // Kept as the customer read it: the name and language it was written in.
  expect(await message('run-1/reminder-1')).toMatchObject({ sentAt: inRound(noon), attempts: 1, sentName: expect.stringMatching(/^Customer \d+$/), sentLocale: 'en' });
  await enqueue(id, 'run-1/reminder-1'); // the step retried: no second row
  expect(await deliver(new Date(noon.getTime() + 60_000))).toMatchObject({ sent: 0 });
  expect(received).toHaveLength(1);
});

it('attaches a leaving customer\'s data export to the e-mail that hands it over, and sends none whose export is gone', async () => {
  const id = await customer({ email: 'leaving@example.com' });
  const em = orm.em.fork();
  const exported = em.create(CustomerExport, { workflowId: 'account-review/export-test/1', customer: id, document: { customer: { name: 'Leaving' }, orders: [{ amountMinor: 1200 }] }, createdAt: new Date('2026-11-20T10:00:00Z') });
  await em.flush();
  await enqueue(id, 'account-review/export-test/1/data-export', MessagePurpose.Service, MessageChannel.Email, { template: 'offboarding-data-export', payload: { exportId: exported.id } });
  expect(await deliver(noon)).toMatchObject({ sent: 1 });
  expect(received[0].raw).toMatch(/Content-Type: application\/json; name=customer-data-2026-11-20\.json/);
  expect(received[0].raw).toMatch(/Content-Disposition: attachment; filename=customer-data-2026-11-20\.json/);
  // Erased meanwhile (its export deleted), the message is not sent without it.
  await enqueue(id, 'account-review/export-test/2/data-export', MessagePurpose.Service, MessageChannel.Email, { template: 'offboarding-data-export', payload: { exportId: '00000000-0000-4000-8000-000000000000' } });
  expect(await deliver(new Date(noon.getTime() + 60_000))).toMatchObject({ sent: 0, failed: 1 });
  expect(await message('account-review/export-test/2/data-export')).toMatchObject({ sentAt: null, lastError: expect.stringMatching(/data export 00000000-0000-4000-8000-000000000000 it carries is gone/) });
  // (Out of the later rounds of this file.)
  await orm.em.fork().nativeUpdate(OutboxMessage, { idempotencyKey: 'account-review/export-test/2/data-export' }, { suppressedAt: new Date(), suppressedReason: 'discarded: test' });
});

it("writes to the customer in their language: German for a German speaker, English otherwise", async () => {
  const german = await customer({ email: 'hans@example.com', locale: 'de-AT' });
  const french = await customer({ email: 'marie@example.com', locale: 'fr' });
  await enqueue(german, 'run-de/reminder-1');
  await enqueue(french, 'run-fr/reminder-1');
  expect(await deliver(noon)).toMatchObject({ sent: 2 });
  const to = (address: string) => received.find((m) => m.to.includes(address))!.raw;
  expect(to('hans@example.com')).toMatch(/Subject: Eine kurze Notiz zu Ihrer Rechnung/);
  expect(to('marie@example.com')).toMatch(/Subject: A quick note about your invoice/);
});

it('holds a message during quiet hours in the customer\'s time zone and sends it when they end', async () => {
  const id = await customer({ timeZone: 'Asia/Tokyo' });
  await enqueue(id, 'run-2/reminder-1');
  const lateInTokyo = new Date('2026-11-24T14:00:00Z'); // 23:00 in Tokyo
  expect(await deliver(lateInTokyo)).toMatchObject({ deferred: 1, sent: 0 });
  expect((await message('run-2/reminder-1')).sendAfter).toEqual(new Date('2026-11-24T23:00:00Z')); // 08:00 in Tokyo
  expect(await deliver(new Date('2026-11-24T22:00:00Z'))).toMatchObject({ sent: 0, deferred: 0 });
  expect(await deliver(new Date('2026-11-24T23:01:00Z'))).toMatchObject({ sent: 1 });
  expect(received).toHaveLength(1);
});

it('suppresses marketing without consent, beyond the contact budget, and while a complaint is open; service messages still go', async () => {
  const optedOut = await customer({ marketingConsent: false });
  await enqueue(optedOut, 'offer-1/send', MessagePurpose.Marketing);
  await enqueue(optedOut, 'reminder-9/send', MessagePurpose.Service);
  const consenting = await customer({ marketingConsent: true });
  for (const k of [1, 2, 3, 4]) await enqueue(consenting, `campaign-${k}/send`, MessagePurpose.Marketing);
  const complaining = await customer({ marketingConsent: true });
  const em = orm.em.fork();
  em.create(Complaint, { customer: complaining, topic: 'billing-error', severity: ComplaintSeverity.High, openedAt: new Date('2026-11-20T00:00:00Z') });
  await em.flush();
  await enqueue(complaining, 'offer-2/send', MessagePurpose.Marketing);

  expect(await deliver(noon)).toEqual({ sent: 4, deferred: 0, suppressed: 3, failed: 0 });
  expect(await message('offer-1/send')).toMatchObject({ sentAt: null, suppressedReason: expect.stringMatching(/^no-consent/) });
  expect(await message('reminder-9/send')).toMatchObject({ sentAt: inRound(noon) });
  expect(await message('campaign-4/send')).toMatchObject({ sentAt: null, suppressedReason: expect.stringMatching(/^budget-exhausted: 3 of 3/) });
  expect(await message('offer-2/send')).toMatchObject({ suppressedReason: expect.stringMatching(/^open-complaint/) });
});

it("sells nothing while a persistent issue is still being fixed (its fix case open), though each complaint ticket behind it was closed", async () => {
  const fixing = await customer({ marketingConsent: true });
  const em = orm.em.fork();
  for (const daysAgo of [20, 15, 10]) {
    em.create(Complaint, { customer: fixing, topic: 'delivery-delay', severity: ComplaintSeverity.Medium, openedAt: new Date(noon.getTime() - daysAgo * 86_400_000), resolvedAt: new Date(noon.getTime() - (daysAgo - 1) * 86_400_000) });
  }
  const fixCase = em.create(FixCase, { workflowId: `fix-issue/${fixing}/delivery-delay`, customer: fixing, topic: 'delivery-delay', team: 'logistics', owner: 'logistics', openedAt: new Date(noon.getTime() - 9 * 86_400_000) });
  await em.flush();
  await enqueue(fixing, 'thanks-while-fixing/send', MessagePurpose.Marketing, MessageChannel.Email, { template: 'appreciation', payload: { offerCode: 'LOYAL15', discountPercent: 15 } });
  await deliver(noon);
  expect(await message('thanks-while-fixing/send')).toMatchObject({ sentAt: null, suppressedReason: expect.stringMatching(/^open-complaint: a complaint or the fix of an issue is open/) });

  // Once the fix is done, marketing goes again.
  await orm.em.fork().nativeUpdate(FixCase, { id: fixCase.id }, { status: FixCaseStatus.Resolved, resolvedAt: noon });
  await enqueue(fixing, 'thanks-after-the-fix/send', MessagePurpose.Marketing, MessageChannel.Email, { template: 'appreciation', payload: { offerCode: 'LOYAL15', discountPercent: 15 } });
  await deliver(noon);
  expect(await message('thanks-after-the-fix/send')).toMatchObject({ sentAt: inRound(noon), suppressedReason: null });
});

it('keeps a message whose gateway refuses it for now (451), with the error, and tries again later', async () => {
  const id = await customer({ email: 'busy@example.com' });
  await enqueue(id, 'run-3/reminder-1');
  expect(await deliver(noon)).toMatchObject({ failed: 1, sent: 0 });
  const failed = await message('run-3/reminder-1');
  expect(failed).toMatchObject({ sentAt: null, attempts: 1, lastError: expect.stringMatching(/451 <<recipient>>: mailbox busy/) });
  expect(failed.sendAfter).toEqual(inRound(new Date(noon.getTime() + 60_000)));
  expect(await deliver(new Date(noon.getTime() + 30_000))).toMatchObject({ failed: 0 });
  expect(await deliver(new Date(noon.getTime() + 60_000))).toMatchObject({ failed: 1 });
  expect(await message('run-3/reminder-1')).toMatchObject({ attempts: 2, sendAfter: inRound(new Date(noon.getTime() + 3 * 60_000)) });
});

it('gives a message the gateway refuses for good (550 user unknown) to a person at once, with the refusal and the one attempt made', async () => {
  const id = await customer({ email: 'bounce@example.com' });
  await enqueue(id, 'run-3b/reminder-1');
  expect(await deliver(noon)).toMatchObject({ failed: 1, sent: 0 });
  const refused = await message('run-3b/reminder-1');
  expect(refused).toMatchObject({ sentAt: null, attempts: 1, refusedAt: inRound(noon), sendAfter: null, lastError: expect.stringMatching(/550 <<recipient>>: mailbox unavailable/) });
  expect(messageStatus(refused, noon, defaultDeliveryPolicy.maxAttempts)).toBe('undeliverable');
  // Never tried again, however late the round (the earlier test's busy message may be retried in it).
  await deliver(new Date(noon.getTime() + 30 * 86_400_000));
  expect(await message('run-3b/reminder-1')).toMatchObject({ attempts: 1, refusedAt: inRound(noon) });
});

it('records each message sent as soon as it is handed over, so a round cut short (a crash, an outage) sends none of the earlier ones again', async () => {
  const ids = await Promise.all([1, 2].map(() => customer()));
  await enqueue(ids[0], 'run-9/first');
  await enqueue(ids[1], 'run-9/second');
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const calls: string[] = [];
  const sender: MessageSender = {
    async send(message: RenderedMessage) {
      calls.push(message.idempotencyKey);
      if (calls.length === 2) await held; // the second hand-over hangs: the round is not over
      await smtp.sender.send(message);
    },
    async close() {},
  };
  const round = new DeliveryService(orm.em.fork(), sender, defaultPolicies).deliverDue(noon);
  while (calls.length < 2) await new Promise((r) => setTimeout(r, 10));
  // The first one is on record as sent while the round still runs: a crash now would not send it again.
  expect((await message('run-9/first')).sentAt).toEqual(inRound(noon));
  expect((await message('run-9/second')).sentAt).toBeNull();
  release();
  expect(await round).toMatchObject({ sent: 2 });
  expect(received.map((m) => m.to[0]).sort()).toEqual([`c${n - 1}@example.com`, `c${n}@example.com`].sort());
});

it("stamps each message of a round at its own moment: a slow hand-over moves the round's clock on", async () => {
  const [first, second] = [await customer(), await customer()];
  await enqueue(first, 'run-slow/first');
  await enqueue(second, 'run-slow/second');
  const slow: MessageSender = {
    async send(message: RenderedMessage) {
      await new Promise((r) => setTimeout(r, 400));
      await smtp.sender.send(message);
    },
    async close() {},
  };
  expect(await new DeliveryService(orm.em.fork(), slow, defaultPolicies).deliverDue(noon)).toMatchObject({ sent: 2 });
  const [a, b] = [(await message('run-slow/first')).sentAt!, (await message('run-slow/second')).sentAt!];
  expect(a).toEqual(inRound(noon));
  expect(b.getTime() - a.getTime()).toBeGreaterThanOrEqual(400);
});

it('sends call tasks to the team, and each message once when two workers deliver at the same time', async () => {
  const ids = await Promise.all([1, 2, 3, 4, 5, 6].map(() => customer()));
  await Promise.all(ids.map((id, i) => enqueue(id, `run-4/${i}`, MessagePurpose.Service, i === 0 ? MessageChannel.Call : MessageChannel.Email)));
  const [a, b] = await Promise.all([deliver(noon), deliver(noon)]);
  expect(a.sent + b.sent).toBe(6);
  expect(received).toHaveLength(6);
  expect(received.filter((m) => m.to[0] === 'team@example.com')).toHaveLength(1);
});

it("hands a letter to the team at once, in the customer's quiet hours too, with the reference to find their postal address by (QA 53 F6)", async () => {
  const id = await customer({ timeZone: 'Asia/Tokyo' });
  await orm.em.fork().nativeUpdate(Customer, { id }, { externalRef: 'CRM-7731' });
  await enqueue(id, 'run-12/handover', MessagePurpose.Service, MessageChannel.Letter, { template: 'collections-handover', payload: { invoiceRef: 'INV-9', amountMinor: 7_500, currency: 'EUR' } });
  // 23:00 in Tokyo: posted in the morning, it reaches them days later anyway.
  expect(await deliver(new Date('2026-11-24T14:00:00Z'))).toMatchObject({ sent: 1, deferred: 0 });
  expect(received).toHaveLength(1);
  expect(received[0].to).toEqual(['team@example.com']);
  const text = received[0].raw.replace(/=\r?\n/g, '');
  expect(text).toMatch(/reference CRM-7731/);
  expect(text).toMatch(/Post this letter to the customer's postal address in the billing system \(reference CRM-7731\)/);
});

it('stops marketing at once when the customer opts out after the message was written, and still sends service messages', async () => {
  const id = await customer({ marketingConsent: true });
  await enqueue(id, 'campaign-9/send', MessagePurpose.Marketing);
  await enqueue(id, 'reminder-10/send', MessagePurpose.Service);
  await orm.em.fork().nativeUpdate(Customer, { id }, { marketingConsent: false });
  expect(await deliver(noon)).toMatchObject({ sent: 1, suppressed: 1 });
  expect(await message('campaign-9/send')).toMatchObject({ sentAt: null, suppressedReason: expect.stringMatching(/^no-consent/) });
  expect(await message('reminder-10/send')).toMatchObject({ sentAt: inRound(noon) });
});

it('sends no marketing to a customer who has left, consent or not, and still the service messages (the final invoice)', async () => {
  const id = await customer({ marketingConsent: true });
  await enqueue(id, 'appreciation-9/thank-you', MessagePurpose.Marketing);
  await enqueue(id, 'review-9/final-invoice', MessagePurpose.Service);
  await orm.em.fork().nativeUpdate(Customer, { id }, { status: CustomerStatus.Offboarded });
  expect(await deliver(noon)).toMatchObject({ sent: 1, suppressed: 1 });
  expect(await message('appreciation-9/thank-you')).toMatchObject({ sentAt: null, suppressedReason: expect.stringMatching(/^offboarded: the customer was given notice or has left/) });
  expect(await message('review-9/final-invoice')).toMatchObject({ sentAt: inRound(noon) });
});

it('tells whoever is to call a customer with no phone on record what to do instead', async () => {
  const id = await customer({ email: 'nophone@example.com' });
  await enqueue(id, 'fair-8/call', MessagePurpose.Service, MessageChannel.Call, { template: 'call-personal', payload: { invoiceId: 'abcdef12-0000' } });
  expect(await deliver(new Date('2026-11-24T12:00:00Z'))).toMatchObject({ sent: 1 });
  const [task] = received;
  expect(task.raw).toMatch(/Subject: \[call\] Call Customer \d+ about invoice abcdef12/);
  expect(task.raw.replace(/\r?\n/g, ' ')).toMatch(/No phone number on record: write to them at nophone@example\.com instead/);
});

it("sends a task for the company's team at once, even in the customer's quiet hours; the message to the customer waits", async () => {
  const id = await customer({ timeZone: 'Asia/Tokyo' });
  const issue = { topic: 'delivery-delay', owner: 'logistics' };
  await enqueue(id, 'fix-9/fix-case-opened', MessagePurpose.Service, MessageChannel.Call, { template: 'fix-case-opened', payload: issue });
  await enqueue(id, 'fix-9/issue-acknowledged', MessagePurpose.Service, MessageChannel.Email, { template: 'issue-acknowledged', payload: issue });
  const lateInTokyo = new Date('2026-11-24T14:00:00Z'); // 23:00 in Tokyo
  expect(await deliver(lateInTokyo)).toMatchObject({ sent: 1, deferred: 1 });
  expect(await message('fix-9/fix-case-opened')).toMatchObject({ sentAt: lateInTokyo, sendAfter: null });
  expect(received.map((m) => m.to)).toEqual([['team@example.com']]);
  // Labelled with the team that owns it, not the channel: every team's tasks share the one address.
  expect(received.map((m) => m.raw.match(/Subject: (.*)/)?.[1])).toEqual([`[logistics] Fix case for Customer ${n}: delivery delay`]);
  expect((await message('fix-9/issue-acknowledged')).sendAfter).toEqual(new Date('2026-11-24T23:00:00Z'));
});

it('holds back for good a reminder held for quiet hours whose invoice was paid meanwhile, by whatever path; the thank-you still goes', async () => {
  const id = await customer({ timeZone: 'Asia/Tokyo', email: 'kenji@example.com' });
  const em = orm.em.fork();
  const invoice = em.create(Invoice, { customer: em.getReference(Customer, id), issuedAt: '2026-11-01', dueAt: '2026-11-15', amountMinor: 7_500 });
  await em.flush();
  const about = { payload: { invoiceId: invoice.id }, invoiceId: invoice.id };
  await enqueue(id, 'fair-9/reminder-1', MessagePurpose.Service, MessageChannel.Email, { template: 'reminder-standard-1', ...about });
  await enqueue(id, 'fair-9/thank-you', MessagePurpose.Service, MessageChannel.Email, { template: 'thank-you-payment', ...about });
  expect(await deliver(new Date('2026-11-24T14:00:00Z'))).toMatchObject({ deferred: 2, sent: 0 });

  // Paid by a path that does not hold the reminder back itself: delivery refuses it.
  await orm.em.fork().nativeUpdate(Invoice, { id: invoice.id }, { paidAt: '2026-11-24' });
  const morning = new Date('2026-11-24T23:01:00Z');
  expect(await deliver(morning)).toMatchObject({ suppressed: 1 });
  expect(await message('fair-9/reminder-1')).toMatchObject({ sentAt: null, suppressedAt: inRound(morning), suppressedReason: INVOICE_PAID });
  expect(await message('fair-9/thank-you')).toMatchObject({ sentAt: inRound(morning) });
  expect(received.filter((m) => m.to.includes('kenji@example.com')).map((m) => m.raw.match(/Subject: (.*)/)?.[1])).toEqual([`Thank you for paying invoice ${invoice.id.slice(0, 8)}`]);
});

it('gives up on a hand-over the SMTP server does not answer in time (a minute by default; here the 1 s its URL sets): the message failed, to be tried again after the back-off', async () => {
  const slow = await startLocalSmtp({ answerAfterMs: 15_000, urlQuery: 'socketTimeout=1000' });
  try {
    const id = await customer();
    await enqueue(id, 'run-slow/reminder-1');
    const started = Date.now();
    expect(await new DeliveryService(orm.em.fork(), slow.sender, defaultPolicies).deliverDue(noon)).toMatchObject({ sent: 0, failed: 1 });
    expect(Date.now() - started).toBeLessThan(10_000);
    const failed = await message('run-slow/reminder-1');
    expect(failed).toMatchObject({ sentAt: null, attempts: 1, lastError: expect.stringMatching(/timeout/i) });
    expect(failed.sendAfter).toEqual(inRound(new Date(noon.getTime() + 60_000)));
  } finally {
    await slow.stop();
  }
}, 30_000);

it('stops a round after the message being handed over when the worker stops, leaving the rest for later', async () => {
  const slow = await startLocalSmtp({ answerAfterMs: 500 });
  const keys = [1, 2, 3, 4, 5].map((i) => `fix-stop-${i}/fix-case-opened`);
  for (const key of keys) await enqueue(await customer(), key, MessagePurpose.Service, MessageChannel.Call, { template: 'fix-case-opened', payload: { topic: 'delivery-delay', owner: 'logistics' } });
  let handedOver = 0;
  const sender: MessageSender = { send: (m) => (handedOver++, slow.sender.send(m)) };
  const loop = startDeliveryLoop(orm, sender, defaultPolicies, 60_000, null, createLogger('silent', 'worker'));
  try {
    while (handedOver === 0) await new Promise((r) => setTimeout(r, 10));
    const stopping = Date.now();
    await loop.stop();
    expect(Date.now() - stopping).toBeLessThan(1_500);
    const unsent = (await Promise.all(keys.map(message))).filter((m) => !m.sentAt);
    expect(unsent.length).toBeGreaterThanOrEqual(keys.length - 1);
  } finally {
    await slow.stop();
  }
});

/** The hand-overs noted as under way, as another connection sees them (committed). */
const handovers = async () => (await orm.em.fork().execute<{ message_id: string }[]>(`select message_id from outbox_handover`)).map((h) => h.message_id);
/** Holds back what earlier tests left unsent, so a round handles only the test's own messages. */
const quietOutbox = () => orm.em.fork().execute(`update outbox_message set suppressed_at = now(), suppressed_reason = 'earlier test' where sent_at is null and suppressed_at is null`);

it('notes each hand-over, committed before the channel is called, and leaves no note once the round has recorded the outcomes', async () => {
  await quietOutbox();
  const sent = await customer();
  const busy = await customer({ email: 'busy.noted@example.com' });
  const bounced = await customer({ email: 'bounce.noted@example.com' });
  await enqueue(sent, 'run-h1/reminder-1');
  await enqueue(busy, 'run-h2/reminder-1');
  await enqueue(bounced, 'run-h3/reminder-1');
  const notedDuringSend: string[][] = [];
  const sender: MessageSender = {
    async send(m: RenderedMessage) {
      notedDuringSend.push(await handovers());
      await smtp.sender.send(m);
    },
  };
  expect(await new DeliveryService(orm.em.fork(), sender, defaultPolicies).deliverDue(noon)).toEqual({ sent: 1, deferred: 0, suppressed: 0, failed: 2 });
  const ids = await Promise.all(['run-h1/reminder-1', 'run-h2/reminder-1', 'run-h3/reminder-1'].map(async (k) => (await message(k)).id));
  // While the channel had each message, its note was already visible to everyone else, one at a time.
  expect(notedDuringSend).toEqual(ids.map((id) => [id]));
  expect(await handovers()).toEqual([]);
  expect(received.filter((m) => m.to.includes(`c${n - 2}@example.com`))).toHaveLength(1);
  expect(await message('run-h1/reminder-1')).toMatchObject({ sentAt: inRound(noon), attempts: 1, interruptedAt: null });
  expect(await message('run-h2/reminder-1')).toMatchObject({ sentAt: null, attempts: 1, interruptedAt: null });
});

it("sends nothing twice when the worker is killed while the channel has the message: the next round leaves it to a person", async () => {
  await quietOutbox();
  await enqueue(await customer({ email: 'crash@example.com' }), 'run-h4/reminder-1');
  const { id: messageId } = await message('run-h4/reminder-1');
  // A worker of its own process hands the message over, and is killed before it records it sent.
  const worker = fork(path.resolve('dist/test/support/handover-crash-worker.js'), [db.url, smtp.url, noon.toISOString()]);
  const exited = once(worker, 'exit');
  expect(await Promise.race([once(worker, 'message'), exited.then(([code]) => Promise.reject(new Error(`the worker exited (${code})`)))])).toEqual([{ handedOver: 'run-h4/reminder-1' }]);
  worker.kill('SIGKILL');
  await exited;
  expect(received.filter((m) => m.to.includes('crash@example.com'))).toHaveLength(1);
  // PostgreSQL rolls the dead worker's transaction back (the message due again, as before); the hand-over's note stays.
  for (let waited = 0; (await orm.em.fork().execute(`select 1 from pg_locks l join pg_class c on c.oid = l.relation where c.relname = 'outbox_message' and l.pid <> pg_backend_pid()`)).length > 0; waited += 50) {
    if (waited > 10_000) throw new Error('the killed worker still holds its locks');
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(await message('run-h4/reminder-1')).toMatchObject({ sentAt: null, attempts: 0 });
  expect(await handovers()).toEqual([messageId]);

  // The next round comes an hour later (the worker was down meanwhile).
  const later = new Date(noon.getTime() + 3_600_000);
  expect(await deliver(later)).toEqual({ sent: 0, deferred: 0, suppressed: 0, failed: 1 });
  expect(received.filter((m) => m.to.includes('crash@example.com'))).toHaveLength(1);
  const parked = await message('run-h4/reminder-1');
  // Dated when the hand-over began (the moment the customer may have got it), not when the next round found it (QA 76 F2).
  expect(parked).toMatchObject({ sentAt: null, attempts: 1, interruptedAt: inRound(noon), sendAfter: null, lastError: INTERRUPTED_HANDOVER });
  expect(messageStatus(parked, later, defaultDeliveryPolicy.maxAttempts)).toBe('undeliverable');
  expect(await handovers()).toEqual([]);
  // Never tried again by delivery, however late the round.
  await deliver(new Date(noon.getTime() + 30 * 86_400_000));
  expect(received.filter((m) => m.to.includes('crash@example.com'))).toHaveLength(1);
  // A person who finds the customer got it confirms it: sent when it went out, not an hour later.
  const undeliverable = new UndeliverableMessageService(orm.em.fork(), new AuditService(), defaultDeliveryPolicy.maxAttempts, defaultPolicies.money.currency, promisePolicyOf(defaultPolicies.fairReminder));
  await undeliverable.confirmSent(messageId, 'operator:test');
  expect(await message('run-h4/reminder-1')).toMatchObject({ sentAt: inRound(noon), interruptedAt: parked.interruptedAt });
}, 30_000);

it('shows a message whose delivery failed as retrying, not deferred with those held for quiet hours, its wait counted from when it first became due, and counts the failures', async () => {
  await quietOutbox();
  const status = (at: Date) => new OperationsStatusService(orm.em.fork(), defaultPolicies, null).database(at);
  const id = await customer();
  await enqueue(id, 'run-retrying/reminder-1');
  await enqueue(id, 'run-held/reminder-1');
  const halfAnHourAgo = new Date(noon.getTime() - 30 * 60_000);
  // Written two hours ago and held until half an hour ago (say, the end of the customer's night); the other held until tonight.
  await orm.em.fork().nativeUpdate(OutboxMessage, { idempotencyKey: 'run-retrying/reminder-1' }, { createdAt: new Date(noon.getTime() - 2 * 3_600_000), sendAfter: halfAnHourAgo });
  await orm.em.fork().nativeUpdate(OutboxMessage, { idempotencyKey: 'run-held/reminder-1' }, { sendAfter: new Date(noon.getTime() + 8 * 3_600_000) });
  expect(await status(noon)).toMatchObject({ dueMessages: 1, retryingMessages: 0, deferredMessages: 1, oldestDueMessageSeconds: 1_800 });

  // The channel cannot be reached: each attempt fails and is tried again after its back-off.
  const broken: MessageSender = {
    send: async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:25');
    },
  };
  const failing = (at: Date) => new DeliveryService(orm.em.fork(), broken, defaultPolicies).deliverDue(at);
  expect(await failing(noon)).toMatchObject({ failed: 1 });
  expect(await message('run-retrying/reminder-1')).toMatchObject({ attempts: 1, dueSince: halfAnHourAgo, sendAfter: inRound(new Date(noon.getTime() + 60_000)) });
  // During its back-off: retrying, not deferred, and still waiting since it became due (not since its retry's time).
  expect(await status(new Date(noon.getTime() + 30_000))).toMatchObject({ dueMessages: 0, retryingMessages: 1, deferredMessages: 1, undeliverableMessages: 0, oldestDueMessageSeconds: 1_830 });
  // Its second failure moves the back-off on, not the start of its wait.
  expect(await failing(new Date(noon.getTime() + 61_000))).toMatchObject({ failed: 1 });
  expect(await message('run-retrying/reminder-1')).toMatchObject({ attempts: 2, dueSince: halfAnHourAgo });
  expect(await status(new Date(noon.getTime() + 90_000))).toMatchObject({ dueMessages: 0, retryingMessages: 1, deferredMessages: 1, oldestDueMessageSeconds: 1_890 });
  // Held for the customer's quiet hours after a failed attempt (due again at the hold's end): deferred, not retrying, so a
  // healthy channel sets off no alert all night; retrying again once the hold is over.
  const morning = new Date(noon.getTime() + 8 * 3_600_000);
  await orm.em.fork().nativeUpdate(OutboxMessage, { idempotencyKey: 'run-retrying/reminder-1' }, { dueSince: morning, sendAfter: morning });
  expect(await status(new Date(noon.getTime() + 3_600_000))).toMatchObject({ retryingMessages: 0, deferredMessages: 2, oldestDueMessageSeconds: 0 });
  expect(await status(new Date(morning.getTime() + 60_000))).toMatchObject({ retryingMessages: 1, oldestDueMessageSeconds: 60 });

  // The worker's delivery loop (on the clock: a task for the team, which quiet hours do not hold) counts each failed attempt on its metrics.
  await quietOutbox();
  await enqueue(id, 'fix-retrying/fix-case-opened', MessagePurpose.Service, MessageChannel.Call, { template: 'fix-case-opened', payload: { topic: 'delivery-delay', owner: 'logistics' } });
  let counted = 0;
  const adds: number[] = [];
  const meter = { createCounter: (name: string) => ({ add: (n: number) => void (name === DELIVERY_FAILURES_METRIC && (adds.push(n), (counted += n))) }) } as unknown as MetricMeter;
  const loop = startDeliveryLoop(orm, broken, defaultPolicies, 60_000, null, createLogger('silent', 'worker'), meter);
  try {
    await eventually(async () => counted, (n) => n > 0, 10_000, 20);
  } finally {
    await loop.stop();
  }
  expect(counted).toBe(1);
  // Served at 0 from the loop's start (a rise is seen from the first failure on).
  expect(adds[0]).toBe(0);
  expect(await message('fix-retrying/fix-case-opened')).toMatchObject({ attempts: 1, lastError: 'connect ECONNREFUSED 127.0.0.1:25' });
});

it('tells of PostgreSQL gone once, not at every round, while delivery waits for it (QA 47 F7)', async () => {
  const gone = await createOrm('postgres://nobody:nothing@127.0.0.1:1/none');
  const lines: Array<{ level: string; msg: string }> = [];
  const logger = Object.fromEntries(['info', 'warn', 'error'].map((level) => [level, (_: unknown, msg: string) => lines.push({ level, msg })])) as unknown as Parameters<typeof startDeliveryLoop>[5];
  const loop = startDeliveryLoop(gone, { send: async () => undefined }, defaultPolicies, 20, null, logger);
  try {
    // Its first round tells (waited for: a loaded machine may take longer than the rounds below), then rounds go on for a second.
    await eventually(async () => lines.length, (n) => n > 0, 10_000, 20);
    await new Promise((r) => setTimeout(r, 1_000));
  } finally {
    await loop.stop();
    await gone.close();
  }
  expect(lines).toEqual([{ level: 'warn', msg: 'PostgreSQL cannot be reached: outbox delivery waits for it' }]);
});
