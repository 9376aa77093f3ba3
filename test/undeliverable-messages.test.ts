import { Role } from '../src/domain/auth/roles.js';
import { AuditEntry, Customer, Invoice, MessageChannel, MessagePurpose, OutboxMessage, PlaybookRun } from '../src/entities/index.js';
import { INVOICE_PAID } from '../src/domain/messages/catalogue.js';
import { reminderBooking } from '../src/domain/playbooks/fair-reminder.js';
import { DeliveryService } from '../src/services/outbox/delivery.service.js';
import { defaultDeliveryPolicy } from '../src/domain/messages/delivery-policy.js';
import { defaultPolicies } from '../src/domain/policies/index.js';
import { OutboxService } from '../src/services/outbox/outbox.service.js';
import { FairReminderSteps } from '../src/services/playbooks/steps/fair-reminder-steps.service.js';
import { CustomerRescoreService } from '../src/services/scores/customer-rescore.service.js';
import { ScoringRunService } from '../src/services/scores/scoring-run.service.js';
import { defaultScoringPolicy } from '../src/domain/scoring/scoring-policy.js';
import { givenUpSql } from '../src/services/facts/outbox-facts.js';
import { messageStatus } from '../src/domain/messages/message-status.js';
import { ConfirmMessageSentDocument, CustomerMessagesDocument, DiscardMessageDocument, RetryMessageDocument, UndeliverableMessagesDocument, UpdateCustomerDocument } from './__generated__/graphql.js';
import { startLocalSmtp } from './support/smtp.js';
import { startTestStack, testKeys, type TestStack } from './support/stack.js';

/**
 * The operator's queue of messages delivery gave up on, through GraphQL, with delivery
 * through the real SMTP channel to a local SMTP server that refuses "bounce" mailboxes for good, "busy" ones for now.
 */
let stack: TestStack;
let smtp: Awaited<ReturnType<typeof startLocalSmtp>>;

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
  smtp = await startLocalSmtp();
});
afterAll(async () => {
  await smtp?.stop();
  await stack?.stop();
});

const em = () => stack.orm.em.fork();
let day = 0;
/** A delivery round at noon UTC (outside the quiet hours) of the next day: later than every retry the last round scheduled. */
const deliverLater = () => new DeliveryService(em(), smtp.sender, defaultPolicies).deliverDue(new Date(Date.UTC(2030, 0, 1 + day++, 12)));

async function queued(email: string, key: string): Promise<{ customerId: string; messageId: string }> {
  const e = em();
  const customer = e.create(Customer, { name: 'Ada Lovelace', email, acquiredAt: '2025-01-01' });
  await e.flush();
  await e.transactional((tx) => new OutboxService().enqueue(tx, { idempotencyKey: key, customerId: customer.id, channel: MessageChannel.Email, purpose: MessagePurpose.Service, template: 'reminder-friendly', payload: { invoiceId: 'abcdef12' } }));
  return { customerId: customer.id, messageId: (await em().findOneOrFail(OutboxMessage, { idempotencyKey: key })).id };
}

/** Refused by the channel until delivery gives up on it: at once when refused for good ("bounce", 550), after every attempt when refused for now ("busy", 451). */
async function undeliverable(key: string, mailbox: 'bounce' | 'busy' = 'bounce'): Promise<{ customerId: string; messageId: string }> {
  const queuedMessage = await queued(`${mailbox}.${key.replace(/\W/g, '')}@example.com`, key);
  const rounds = mailbox === 'busy' ? defaultDeliveryPolicy.maxAttempts : 1;
  for (let round = 0; round < rounds; round++) await deliverLater();
  return queuedMessage;
}

/** A customer with one invoice of 75.00, due 2026-10-15, open. */
async function customerWithInvoice(name: string, email: string): Promise<{ customer: Customer; invoice: Invoice }> {
  const e = em();
  const customer = e.create(Customer, { name, email, acquiredAt: '2025-01-01' });
  const invoice = e.create(Invoice, { customer, issuedAt: '2026-10-01', dueAt: '2026-10-15', amountMinor: 7_500 });
  await e.flush();
  return { customer, invoice };
}

const queue = async () => {
  const r = await stack.gql(UndeliverableMessagesDocument, { first: 50 }, Role.Operator);
  expect(r.errors).toBeUndefined();
  return r.data!.undeliverableMessages.edges.map((e) => e.node);
};

it('lists what delivery gave up on, and sends one again once its address is corrected', async () => {
  const { customerId, messageId } = await undeliverable('reminder-a/1');
  const listed = (await queue()).find((m) => m.id === messageId);
  // Refused for good on its first attempt: listed at once, with the one attempt really made.
  expect(listed).toMatchObject({ key: 'reminder-a/1', status: 'Undeliverable', attempts: 1, refusedAt: expect.any(String), lastError: expect.stringMatching(/mailbox unavailable/), customer: { id: customerId, name: 'Ada Lovelace' } });
  const refusedAt = listed!.refusedAt;
  expect((await stack.gql(UndeliverableMessagesDocument, { first: 50 }, Role.Viewer)).errors![0].extensions).toMatchObject({ code: 'FORBIDDEN' });
  // Delivery leaves it alone from now on.
  expect(await deliverLater()).toMatchObject({ sent: 0, failed: 0 });
  expect((await queue()).find((m) => m.id === messageId)).toMatchObject({ attempts: 1, refusedAt });

  expect((await stack.gql(UpdateCustomerDocument, { id: customerId, input: { email: 'ada.fixed@example.com' } }, Role.Operator)).errors).toBeUndefined();
  const retried = await stack.gql(RetryMessageDocument, { id: messageId }, Role.Operator);
  expect(retried.errors).toBeUndefined();
  expect(retried.data!.retryMessage).toMatchObject({ status: 'Pending', attempts: 0, refusedAt: null, sendAfter: null });
  expect((await queue()).map((m) => m.id)).not.toContain(messageId);
  expect(await deliverLater()).toMatchObject({ sent: 1 });
  expect(smtp.received.flatMap((m) => m.to)).toContain('ada.fixed@example.com');
  expect(await em().find(AuditEntry, { entityId: messageId })).toEqual([
    expect.objectContaining({ action: 'message.retry', actor: expect.stringMatching(/^operator:/), before: { attempts: 1, lastError: expect.stringMatching(/mailbox unavailable/), refusedAt }, after: { attempts: 0, refusedAt: null } }),
  ]);

  const again = await stack.gql(RetryMessageDocument, { id: messageId }, Role.Operator);
  expect(again.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'MESSAGE_SETTLED' });
}, 60_000);

it('leaves a message whose hand-over a crash interrupted to a person, and sends it once when the operator retries it', async () => {
  const { customerId, messageId } = await queued('ada.interrupted@example.com', 'reminder-d/1');
  // What a worker killed (or a database lost) while the channel had the message leaves behind: the hand-over's note,
  // the message still due.
  await em().execute(`insert into outbox_handover (message_id, started_at) values (?, now())`, [messageId]);
  expect(await deliverLater()).toMatchObject({ sent: 0, failed: 1 });
  expect(smtp.received.flatMap((m) => m.to)).not.toContain('ada.interrupted@example.com');
  const listed = (await queue()).find((m) => m.id === messageId);
  expect(listed).toMatchObject({
    key: 'reminder-d/1',
    status: 'Undeliverable',
    attempts: 1,
    refusedAt: null,
    interruptedAt: expect.any(String),
    lastError: 'The worker stopped while handing this message to the channel; it may have gone out. Confirm it was sent if the customer got it, retry to send it again, or discard it',
    customer: { id: customerId },
  });
  const interruptedAt = listed!.interruptedAt;
  expect(await em().execute(`select 1 from outbox_handover where message_id = ?`, [messageId])).toEqual([]);
  // Delivery leaves it alone from now on.
  expect(await deliverLater()).toMatchObject({ sent: 0, failed: 0 });
  expect(smtp.received.flatMap((m) => m.to)).not.toContain('ada.interrupted@example.com');

  const retried = await stack.gql(RetryMessageDocument, { id: messageId }, Role.Operator);
  expect(retried.errors).toBeUndefined();
  expect(retried.data!.retryMessage).toMatchObject({ status: 'Pending', attempts: 0, refusedAt: null, interruptedAt: null, sendAfter: null });
  expect((await queue()).map((m) => m.id)).not.toContain(messageId);
  expect(await deliverLater()).toMatchObject({ sent: 1 });
  expect(await deliverLater()).toMatchObject({ sent: 0 });
  expect(smtp.received.flatMap((m) => m.to).filter((to) => to === 'ada.interrupted@example.com')).toHaveLength(1);
  expect(await em().find(AuditEntry, { entityId: messageId })).toEqual([
    expect.objectContaining({ action: 'message.retry', before: { attempts: 1, lastError: expect.stringMatching(/^The worker stopped/), interruptedAt }, after: { attempts: 0, interruptedAt: null } }),
  ]);
}, 60_000);

it('discards one for good, with a reason', async () => {
  const { messageId } = await undeliverable('reminder-b/1', 'busy');
  expect((await queue()).find((m) => m.id === messageId)).toMatchObject({ attempts: defaultDeliveryPolicy.maxAttempts, refusedAt: null, lastError: expect.stringMatching(/451 <<recipient>>: mailbox busy/) });
  const noReason = await stack.gql(DiscardMessageDocument, { id: messageId, reason: ' ' }, Role.Operator);
  expect(noReason.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'MESSAGE_INVALID_INPUT', field: 'reason' });
  const discarded = await stack.gql(DiscardMessageDocument, { id: messageId, reason: 'customer wrote back by post' }, Role.Operator);
  expect(discarded.data!.discardMessage).toEqual({ id: messageId, status: 'Suppressed', suppressedReason: 'discarded: customer wrote back by post' });
  expect((await queue()).map((m) => m.id)).not.toContain(messageId);
  expect((await stack.gql(RetryMessageDocument, { id: messageId }, Role.Operator)).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'MESSAGE_SETTLED' });
  expect(await em().count(AuditEntry, { entityId: messageId, action: 'message.discard' })).toBe(1);
}, 60_000);

it('refuses to retry a message the channel never refused, an unknown one, and a malformed ID', async () => {
  const { messageId } = await queued('grace@example.com', 'reminder-c/1');
  expect((await stack.gql(RetryMessageDocument, { id: messageId }, Role.Operator)).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'MESSAGE_NOT_REFUSED' });
  expect((await stack.gql(RetryMessageDocument, { id: '00000000-0000-4000-8000-000000000000' }, Role.Operator)).errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'MESSAGE_NOT_FOUND' });
  expect((await stack.gql(DiscardMessageDocument, { id: 'x', reason: 'r' }, Role.Operator)).errors![0].extensions).toMatchObject({ code: 'VALIDATION', field: 'id' });
  expect((await stack.gql(RetryMessageDocument, { id: messageId }, Role.Marketer)).errors![0].extensions).toMatchObject({ code: 'FORBIDDEN' });
});

it('gives a message up by one rule: its status, the SQL the queue, delivery and the operations status read, and the queue agree; one still being tried is not retried by hand', async () => {
  const max = defaultDeliveryPolicy.maxAttempts;
  const states: Record<string, Partial<Record<'attempts' | 'refused_at' | 'interrupted_at' | 'sent_at' | 'suppressed_at' | 'send_after' | 'last_error', unknown>>> = {
    refused: { attempts: 1, refused_at: new Date(), last_error: '550' },
    interrupted: { attempts: 1, interrupted_at: new Date() },
    exhausted: { attempts: max, last_error: '451' },
    failing: { attempts: max - 1, last_error: '451', send_after: new Date(Date.now() + 3_600_000) },
    pending: {},
    sent: { attempts: 1, sent_at: new Date() },
    suppressed: { suppressed_at: new Date() },
  };
  const ids: Record<string, string> = {};
  for (const [state, columns] of Object.entries(states)) {
    const { messageId } = await queued(`given-up-${state}@example.com`, `given-up/${state}`);
    const e = em();
    await e.nativeUpdate(OutboxMessage, { id: messageId }, {
      attempts: (columns.attempts as number) ?? 0,
      refusedAt: (columns.refused_at as Date) ?? null,
      interruptedAt: (columns.interrupted_at as Date) ?? null,
      sentAt: (columns.sent_at as Date) ?? null,
      suppressedAt: (columns.suppressed_at as Date) ?? null,
      sendAfter: (columns.send_after as Date) ?? null,
      lastError: (columns.last_error as string) ?? null,
    });
    ids[state] = messageId;
  }
  const listed = new Set((await queue()).map((m) => m.id));
  for (const [state, id] of Object.entries(ids)) {
    const message = await em().findOneOrFail(OutboxMessage, { id });
    const [{ given_up }] = await em().execute<{ given_up: boolean }[]>(`select ${givenUpSql('m', max)} as given_up from outbox_message m where m.id = ?`, [id]);
    const byRule = messageStatus(message, new Date(), max) === 'undeliverable';
    // The SQL reads a row's own state (sent or held back ones are left out before it is asked); the rule and the queue agree on every one.
    expect([state, listed.has(id)]).toEqual([state, byRule]);
    if (!message.sentAt && !message.suppressedAt) expect([state, given_up]).toEqual([state, byRule]);
  }
  expect([...listed].filter((id) => Object.values(ids).includes(id)).sort()).toEqual([ids.refused, ids.interrupted, ids.exhausted].sort());
  // One still being tried keeps its back-off and count: a retry by hand is refused.
  const failing = await stack.gql(RetryMessageDocument, { id: ids.failing }, Role.Operator);
  expect(failing.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'MESSAGE_NOT_REFUSED' });
  expect(failing.errors![0].message).toMatch(/still being tried/);
});

it('records an interrupted reminder the customer got as sent when an operator confirms it, and books it on its invoice once', async () => {
  const e = em();
  const { customer, invoice } = await customerWithInvoice('Grace Hopper', 'grace.confirmed@example.com');
  const key = 'fair-reminder/confirm-test/reminder-2';
  const booking = reminderBooking(2, { band: 'at-risk', chargedMinor: 500, waivedMinor: 0, reason: 'standard fee for reminder 2' });
  await e.transactional((tx) =>
    new OutboxService().enqueue(tx, { idempotencyKey: key, customerId: customer.id, invoiceId: invoice.id, channel: MessageChannel.Email, purpose: MessagePurpose.Service, template: 'reminder-standard-2', payload: { reminderNumber: 2, feeMinor: 500, booking } }),
  );
  const message = await em().findOneOrFail(OutboxMessage, { idempotencyKey: key });
  const interruptedAt = new Date('2026-10-20T09:00:00Z');
  await em().nativeUpdate(OutboxMessage, { id: message.id }, { attempts: 1, interruptedAt, lastError: 'The worker stopped while handing this message to the channel' });

  expect((await stack.gql(ConfirmMessageSentDocument, { id: message.id }, Role.Viewer)).errors![0].extensions).toMatchObject({ code: 'FORBIDDEN' });
  const confirmed = await stack.gql(ConfirmMessageSentDocument, { id: message.id }, Role.Operator);
  expect(confirmed.errors).toBeUndefined();
  // Sent: what the interruption asked a person to do is done (QA 50 F3).
  expect(confirmed.data!.confirmMessageSent).toMatchObject({ status: 'Sent', sentAt: interruptedAt.toISOString(), interruptedAt: interruptedAt.toISOString(), lastError: null });
  expect(await em().findOneOrFail(Invoice, { id: invoice.id })).toMatchObject({ remindersSent: 1, feeChargedMinor: 500, reminderLoyaltyBand: 'at-risk' });
  const audited = (await em().find(AuditEntry, { entityId: { $in: [message.id, invoice.id] } })).map((a) => [a.action, a.actor]);
  expect(audited.sort()).toEqual([
    ['invoice.reminder', 'playbook:fair-reminder/confirm-test'],
    ['message.confirm-sent', expect.stringMatching(/^operator/)],
  ]);
  // Once: it is sent now; and only an interrupted hand-over can be confirmed.
  expect((await stack.gql(ConfirmMessageSentDocument, { id: message.id }, Role.Operator)).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'MESSAGE_SETTLED' });
  expect(await em().findOneOrFail(Invoice, { id: invoice.id })).toMatchObject({ remindersSent: 1, feeChargedMinor: 500 });
  const { messageId: refused } = await undeliverable('reminder-confirm/1');
  expect((await stack.gql(ConfirmMessageSentDocument, { id: refused }, Role.Operator)).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'MESSAGE_NOT_INTERRUPTED' });
});

/** A fair-reminder run of the customer's invoice, with a `write(step, template, payload)` that queues its step messages as its steps do. */
async function reminderRun(name: string, email: string, run: string) {
  const e = em();
  const { customer, invoice } = await customerWithInvoice(name, email);
  e.create(PlaybookRun, { workflowId: run, playbook: 'fair-reminder', customer: customer.id });
  await e.flush();
  const write = (step: string, template: string, payload: Record<string, unknown> = {}) =>
    e.transactional((tx) =>
      new OutboxService().enqueue(tx, { idempotencyKey: `${run}/${step}`, customerId: customer.id, invoiceId: invoice.id, channel: MessageChannel.Email, purpose: MessagePurpose.Service, template, payload: { invoiceId: invoice.id, ...payload } }),
    );
  const reminder = (n: number, fee: number) => write(`reminder-${n}`, `reminder-standard-${n}`, { reminderNumber: n, feeMinor: fee, booking: reminderBooking(n, { band: 'at-risk', chargedMinor: fee, waivedMinor: 0, reason: 'test' }) });
  const message = (step: string) => em().findOneOrFail(OutboxMessage, { idempotencyKey: `${run}/${step}` });
  const subjects = (to: string) => smtp.received.filter((m) => m.to.includes(to)).map((m) => /^Subject: (.*)$/m.exec(m.raw)?.[1]);
  return { customer, invoice, write, reminder, message, subjects };
}

/** A delivery round at `at` (noon UTC: outside the quiet hours). */
const deliverAt = (at: string) => new DeliveryService(em(), smtp.sender, defaultPolicies).deliverDue(new Date(at));

it("holds a run's next reminder and its hand-over while delivery has given up on an earlier reminder, says so, and a retry during a promise to pay waits for the promise's end", async () => {
  const { customer, invoice, write, reminder, message, subjects } = await reminderRun('Ada Byron', 'bounce.reminder-order@example.com', 'fair-reminder/order-test');
  const run = 'fair-reminder/order-test';
  // The first is refused for good (an unknown mailbox): delivery gives up on it.
  await reminder(1, 0);
  await deliverLater();
  const first = await message('reminder-1');
  expect(first.refusedAt).not.toBeNull();
  // The second, with its fee, and the hand-over wait for it, saying why (lastError stays the channel's): not sent, not booked.
  await reminder(2, 500);
  await write('handover', 'collections-handover');
  await deliverLater();
  await deliverLater();
  for (const step of ['reminder-2', 'handover']) {
    expect(await message(step)).toMatchObject({ sentAt: null, suppressedAt: null, attempts: 0, lastError: null, waitsFor: expect.stringMatching(/^reminder-1, which has not gone out: delivery gave up on it; retry, confirm or discard it/) });
  }
  const history = await stack.gql(CustomerMessagesDocument, { id: customer.id, first: 10 }, Role.Viewer);
  expect(history.data!.customer!.messages.edges.map((e) => [e.node.key, e.node.status, e.node.waitsFor])).toEqual([
    [`${run}/handover`, 'Held', expect.stringMatching(/^reminder-1/)],
    [`${run}/reminder-2`, 'Held', expect.stringMatching(/^reminder-1/)],
    [`${run}/reminder-1`, 'Undeliverable', null],
  ]);
  expect(subjects('bounce.reminder-order@example.com')).toHaveLength(0);
  expect(await em().findOneOrFail(Invoice, { id: invoice.id })).toMatchObject({ remindersSent: 0, feeChargedMinor: 0 });
  // The customer promises to pay by 2030-12-31 (as the API audits it): the run holds back what is queued, not the
  // reminder delivery gave up on, which stays for a person.
  const services = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services;
  const e = em();
  e.create(AuditEntry, { actor: 'operator:test', action: 'playbook.promise-to-pay', entityType: 'playbook_run', entityId: run, after: { invoiceId: invoice.id, until: '2030-12-31', outcome: 'taken' } });
  await e.flush();
  await services.runs.holdBackForPromise(run, '2030-12-31');
  expect(await message('reminder-1')).toMatchObject({ suppressedAt: null, refusedAt: expect.any(Date) });
  expect(await message('reminder-2')).toMatchObject({ suppressedReason: 'promise-to-pay: the customer promised to pay by 2030-12-31' });
  // A person corrects the address and retries the first: it is held until the promise's end (the day and the grace days), not sent.
  await em().nativeUpdate(Customer, { id: customer.id }, { email: 'ada.reminder-order@example.com' });
  const retried = await stack.gql(RetryMessageDocument, { id: first.id }, Role.Operator);
  expect(retried.errors).toBeUndefined();
  expect(retried.data!.retryMessage).toMatchObject({ status: 'Held', attempts: 0, refusedAt: null, sendAfter: '2031-01-03T00:00:00.000Z' });
  const again = await stack.gql(RetryMessageDocument, { id: first.id }, Role.Operator);
  expect(again.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'MESSAGE_NOT_REFUSED' });
  expect(again.errors![0].message).toMatch(/held until 2031-01-03T00:00:00.000Z .* and goes then/);
  await deliverAt('2030-12-31T12:00:00Z');
  expect(subjects('ada.reminder-order@example.com')).toHaveLength(0);
  // The promise lapsed unpaid: the run sends on what it held back (as its next step does); all go, in order.
  await em().nativeUpdate(OutboxMessage, { idempotencyKey: { $in: [`${run}/reminder-2`, `${run}/handover`] } }, { suppressedAt: null, suppressedReason: null });
  await deliverAt('2031-01-03T12:00:00Z');
  await deliverAt('2031-01-04T12:00:00Z');
  const sent = subjects('ada.reminder-order@example.com');
  expect(sent).toHaveLength(3);
  expect(sent[1]).toMatch(/second/i);
  expect(sent[2]).toMatch(/collections/i);
  expect(await em().findOneOrFail(Invoice, { id: invoice.id })).toMatchObject({ remindersSent: 2, feeChargedMinor: 500 });
  expect((await message('handover')).waitsFor).toBeNull();
});

it('holds a call task that waits behind a bounced reminder until a promise to pay ends, and sends it then, not never', async () => {
  const run = 'fair-reminder/call-promise-test';
  const { customer, invoice, write, reminder, message } = await reminderRun('Ada Caller', 'bounce.call-promise@example.com', run);
  await reminder(1, 0);
  await deliverAt('2031-04-01T12:00:00Z');
  expect((await message('reminder-1')).refusedAt).not.toBeNull();
  // The team's call task waits for the bounced reminder.
  await write('call', 'call-personal');
  await deliverAt('2031-04-02T12:00:00Z');
  expect((await message('call')).waitsFor).toMatch(/^reminder-1/);
  // The customer promises to pay by 2031-04-30: the call task is held until the promise ends, not held back for good.
  const e = em();
  e.create(AuditEntry, { actor: 'operator:test', action: 'playbook.promise-to-pay', entityType: 'playbook_run', entityId: run, after: { invoiceId: invoice.id, until: '2031-04-30', outcome: 'taken' } });
  await e.flush();
  await (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services.runs.holdBackForPromise(run, '2031-04-30');
  expect(await message('call')).toMatchObject({ suppressedAt: null, sendAfter: new Date('2031-05-03T00:00:00Z'), waitsFor: null });
  // The person discards the bounced reminder (the customer was reached by phone): the call task still waits for the promise's end.
  expect((await stack.gql(DiscardMessageDocument, { id: (await message('reminder-1')).id, reason: 'reached by phone' }, Role.Operator)).errors).toBeUndefined();
  await em().nativeUpdate(Customer, { id: customer.id }, { email: 'ada.call-promise@example.com' });
  await deliverAt('2031-04-30T12:00:00Z');
  expect((await message('call')).sentAt).toBeNull();
  // The promise lapsed unpaid: the team gets its call task.
  await deliverAt('2031-05-03T12:00:00Z');
  expect((await message('call')).sentAt).toEqual(new Date('2031-05-03T12:00:00Z'));
});

it('keeps a call task held for a promise behind the reminder the same promise held back, until the run sends that reminder again', async () => {
  const run = 'fair-reminder/call-behind-promise-test';
  const { customer, invoice, write, reminder, message, subjects } = await reminderRun('Ada Order', 'bounce.call-behind-promise@example.com', run);
  await reminder(1, 0);
  await deliverAt('2031-07-01T12:00:00Z');
  await reminder(2, 0);
  await write('call', 'call-personal');
  await deliverAt('2031-07-02T12:00:00Z');
  // A promise: the second reminder is held back (the run sends it again), the call task held until the promise ends.
  const e = em();
  e.create(AuditEntry, { actor: 'operator:test', action: 'playbook.promise-to-pay', entityType: 'playbook_run', entityId: run, after: { invoiceId: invoice.id, until: '2031-07-10', outcome: 'taken' } });
  await e.flush();
  const services = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services;
  await services.runs.holdBackForPromise(run, '2031-07-10');
  // The bounced first is discarded (reached by phone), the address put right.
  expect((await stack.gql(DiscardMessageDocument, { id: (await message('reminder-1')).id, reason: 'reached by phone' }, Role.Operator)).errors).toBeUndefined();
  await em().nativeUpdate(Customer, { id: customer.id }, { email: 'ada.call-behind-promise@example.com' });
  // The promise has ended: the call task still waits for the gentle reminder, which the run has yet to send again.
  await deliverAt('2031-07-13T12:00:00Z');
  const call = await message('call');
  expect(call).toMatchObject({ sentAt: null, waitsFor: expect.stringMatching(/^reminder-2, which has not gone out: a promise to pay held it back, and the run sends it again/) });
  expect(call.sendAfter!.getTime() - Date.parse('2031-07-13T12:00:00Z')).toBeGreaterThanOrEqual(defaultDeliveryPolicy.retry.maxMs);
  // The run's next step sends it again; the call task is looked at at once and goes after it.
  const fee = { band: 'loyal' as const, chargedMinor: 0, waivedMinor: 0, reason: 'test' };
  const e2 = em();
  const steps = new FairReminderSteps(e2, new CustomerRescoreService(e2, defaultScoringPolicy, new ScoringRunService(e2, defaultScoringPolicy)), new OutboxService(), 'EUR', defaultDeliveryPolicy.maxAttempts);
  expect(await steps.sendReminder({ workflowId: run, invoiceId: invoice.id, reminderNumber: 2, template: 'reminder-standard-2', fee })).toEqual({ sent: true, paid: false });
  expect((await message('call')).sendAfter).toBeNull();
  await deliverAt('2031-07-20T12:00:00Z');
  expect([(await message('reminder-2')).sentAt, (await message('call')).sentAt]).toEqual([new Date('2031-07-20T12:00:00Z'), expect.any(Date)]);
  expect(subjects('ada.call-behind-promise@example.com')).toHaveLength(2);
  expect(subjects('ada.call-behind-promise@example.com')[0]).toMatch(/second/i);
});

it('lets a call task held for a promise go when a reset leaves the promise out (one made for the wrong invoice)', async () => {
  const run = 'fair-reminder/call-reset-test';
  const { invoice, write, reminder, message } = await reminderRun('Ada Reset', 'ada.call-reset@example.com', run);
  await reminder(1, 0);
  await write('call', 'call-personal');
  // Both queued (the first for the night), then the promise holds them.
  await em().nativeUpdate(OutboxMessage, { idempotencyKey: { $like: `${run}/%` } }, { sendAfter: new Date('2031-08-02T07:00:00Z') });
  const from = new Date();
  await new Promise((r) => setTimeout(r, 1_100));
  const e = em();
  e.create(AuditEntry, { actor: 'operator:test', action: 'playbook.promise-to-pay', entityType: 'playbook_run', entityId: run, after: { invoiceId: invoice.id, until: '2031-08-30', outcome: 'taken' } });
  await e.flush();
  const services = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services;
  await services.runs.holdBackForPromise(run, '2031-08-30');
  expect((await message('call')).sendAfter).toEqual(new Date('2031-09-02T00:00:00Z'));
  await new Promise((r) => setTimeout(r, 1_100));
  expect(await services.runs.recordResetInEngine({ workflowId: run, runId: 'call-reset-run', running: true, endedAs: null, reset: { at: new Date(), from, reason: 'promise for the wrong invoice', by: 'test' }, fixCase: null, promiseHeld: false })).toBe(true);
  expect(await message('reminder-1')).toMatchObject({ suppressedAt: null, sendAfter: null });
  expect(await message('call')).toMatchObject({ suppressedAt: null, sendAfter: null });
  const entry = await em().findOneOrFail(AuditEntry, { entityId: run, action: 'playbook.reset-in-engine' });
  expect(entry.after).toMatchObject({ promiseHoldsReleased: ['call', 'reminder-1'] });
});

it("holds a retry for the latest promise the run took, through the API or the Temporal UI, and looks at the run's later reminders again", async () => {
  const run = 'fair-reminder/promise-lookup-test';
  const { invoice, reminder, message } = await reminderRun('Ada Promised', 'bounce.promise-lookup@example.com', run);
  await reminder(1, 0);
  await deliverAt('2031-06-01T12:00:00Z');
  await reminder(2, 500);
  await deliverAt('2031-06-02T12:00:00Z');
  expect((await message('reminder-2')).sendAfter!.getTime()).toBeGreaterThan(Date.parse('2031-06-02T12:00:00Z'));
  // An older promise through the API, a newer one typed in the Temporal UI, and a newest one the run refused.
  const e = em();
  const entry = (at: string, action: string, after: Record<string, unknown>) => e.create(AuditEntry, { at: new Date(at), actor: 'operator:test', action, entityType: 'playbook_run', entityId: run, after });
  entry('2031-06-03T09:00:00Z', 'playbook.promise-to-pay', { invoiceId: invoice.id, until: '2031-06-10', outcome: 'taken' });
  entry('2031-06-04T09:00:00Z', 'playbook.update-in-engine', { update: 'promiseToPay', input: [{ until: '2031-06-20', recordedBy: 'billing desk' }] });
  entry('2031-06-05T09:00:00Z', 'playbook.promise-to-pay', { invoiceId: invoice.id, until: '2031-06-30', outcome: 'not-taken' });
  await e.flush();
  const retried = await stack.gql(RetryMessageDocument, { id: (await message('reminder-1')).id }, Role.Operator);
  expect(retried.errors).toBeUndefined();
  // Held by the Temporal UI's promise (the 20th and 2 days' grace), which is later than now: the test's clock is today's.
  expect(retried.data!.retryMessage.sendAfter).toBe('2031-06-23T00:00:00.000Z');
  // The second is looked at again at once, and waits for the first's new time.
  expect((await message('reminder-2')).sendAfter).toBeNull();
  await deliverAt('2031-06-06T12:00:00Z');
  expect(await message('reminder-2')).toMatchObject({ sentAt: null, sendAfter: new Date('2031-06-23T00:00:00Z'), waitsFor: 'reminder-1, which has not gone out' });
});

it('lets the rest of a run go once a person discards the reminder it waited for, at the next round rather than after the longest back-off', async () => {
  const { reminder, message, subjects } = await reminderRun('Ada Discard', 'bounce.reminder-discard@example.com', 'fair-reminder/discard-order-test');
  await reminder(1, 0);
  await deliverAt('2031-02-01T12:00:00Z');
  const first = await message('reminder-1');
  expect(first.refusedAt).not.toBeNull();
  await reminder(2, 500);
  await deliverAt('2031-02-02T12:00:00Z');
  // Behind one waiting for a person: looked at again after the longest back-off, not every minute.
  const waiting = await message('reminder-2');
  expect(waiting.sendAfter!.getTime() - Date.parse('2031-02-02T12:00:00Z')).toBeGreaterThanOrEqual(defaultDeliveryPolicy.retry.maxMs);
  // The customer got the first by post; the person discards the e-mail and puts the address right: the second goes at the next round.
  expect((await stack.gql(DiscardMessageDocument, { id: first.id, reason: 'sent by post' }, Role.Operator)).errors).toBeUndefined();
  expect(await message('reminder-2')).toMatchObject({ sendAfter: null });
  await em().nativeUpdate(Customer, { id: waiting.customer.id }, { email: 'ada.reminder-discard@example.com' });
  await deliverAt('2031-02-02T12:01:00Z');
  expect(subjects('ada.reminder-discard@example.com')).toEqual([expect.stringMatching(/second/i)]);
  expect(await message('reminder-2')).toMatchObject({ waitsFor: null, lastError: null });
});

it('no longer holds a run for a reminder its later ones overtook (sent before delivery kept the order), and refuses to send that one after them', async () => {
  const { reminder, write, message, subjects } = await reminderRun('Ada Overtaken', 'ada.overtaken@example.com', 'fair-reminder/overtaken-test');
  // Written before the order was kept: the first given up on after an outage, the second went out past it.
  await reminder(1, 0);
  await reminder(2, 500);
  await em().nativeUpdate(OutboxMessage, { idempotencyKey: 'fair-reminder/overtaken-test/reminder-1' }, { attempts: defaultDeliveryPolicy.maxAttempts, lastError: 'timed out' });
  await em().nativeUpdate(OutboxMessage, { idempotencyKey: 'fair-reminder/overtaken-test/reminder-2' }, { sentAt: new Date('2031-03-01T12:00:00Z'), attempts: 1 });
  // The hand-over goes: the first no longer holds it.
  await write('handover', 'collections-handover');
  await deliverAt('2031-03-02T12:00:00Z');
  expect(subjects('ada.overtaken@example.com')).toEqual([expect.stringMatching(/collections/i)]);
  // Sending the first now would reach the customer after the second and the hand-over.
  const retried = await stack.gql(RetryMessageDocument, { id: (await message('reminder-1')).id }, Role.Operator);
  expect(retried.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'MESSAGE_OVERTAKEN' });
  expect(retried.errors![0].message).toMatch(/reminder-1.*out of order; discard it, or confirm it/);
  expect(await message('reminder-1')).toMatchObject({ attempts: defaultDeliveryPolicy.maxAttempts, sentAt: null });
});

it('holds back for good the reminders of a paid invoice that waited behind one delivery gave up on', async () => {
  const e = em();
  const { customer, invoice } = await customerWithInvoice('Ada Paid', 'bounce.reminder-paid@example.com');
  const run = 'fair-reminder/paid-order-test';
  for (const n of [1, 2]) {
    await e.transactional((tx) =>
      new OutboxService().enqueue(tx, { idempotencyKey: `${run}/reminder-${n}`, customerId: customer.id, invoiceId: invoice.id, channel: MessageChannel.Email, purpose: MessagePurpose.Service, template: `reminder-standard-${n}`, payload: { invoiceId: invoice.id, reminderNumber: n, feeMinor: 0 } }),
    );
    await deliverLater();
  }
  expect(await em().findOneOrFail(OutboxMessage, { idempotencyKey: `${run}/reminder-2` })).toMatchObject({ sentAt: null, suppressedAt: null });
  await em().nativeUpdate(Invoice, { id: invoice.id }, { paidAt: '2026-10-20' });
  await deliverLater();
  const held = await em().findOneOrFail(OutboxMessage, { idempotencyKey: `${run}/reminder-2` });
  expect(held).toMatchObject({ sentAt: null, suppressedReason: INVOICE_PAID, waitsFor: expect.stringMatching(/^reminder-1/) });
  // Held back for good, it waits for nothing any more: its history does not say it does.
  const history = await stack.gql(CustomerMessagesDocument, { id: customer.id, first: 5 }, Role.Viewer);
  expect(history.data!.customer!.messages.edges.find((m) => m.node.id === held.id)!.node).toMatchObject({ status: 'Suppressed', waitsFor: null });
});
