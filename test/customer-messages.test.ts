import { Role } from '../src/domain/auth/roles.js';
import { Complaint, ComplaintSeverity, Customer, MessageChannel, MessagePurpose, OutboxMessage } from '../src/entities/index.js';
import { OutboxService } from '../src/services/outbox/outbox.service.js';
import { CustomerContactStatusDocument, CustomerMessagesDocument, CustomerMessagesPageDocument, CustomersContactStatusDocument, CurrencyDocument, MessageTemplatesDocument } from './__generated__/graphql.js';
import { countStatements } from './support/statement-counter.js';
import { startTestStack, type TestStack } from './support/stack.js';

/** A customer's message history: what the playbooks wrote, rendered for them, and where each message stands. */
let stack: TestStack;
let customer: Customer;
const em = () => stack.orm.em.fork();
const HOUR = 3_600_000;

beforeAll(async () => {
  // Amounts in messages are in the deployment's currency: here not the default one.
  stack = await startTestStack({ worker: false, settings: { CURRENCY: 'CHF' } });
  const e = em();
  customer = e.create(Customer, { name: 'Grace Hopper', email: 'grace@example.com', acquiredAt: '2020-01-01', marketingConsent: false });
  await e.flush();
  const outbox = new OutboxService();
  const run = { workflowId: `fair-reminder/${customer.id}/inv-1`, customerId: customer.id };
  // Written one after another, as a run's steps would be; then each moved to where a delivery round would leave it.
  const steps: [string, string, MessagePurpose, Partial<OutboxMessage>][] = [
    ['reminder-1', 'reminder-friendly', MessagePurpose.Service, { sentAt: new Date() }],
    ['reminder-2', 'reminder-gentle', MessagePurpose.Service, { attempts: 1, lastError: '451 try again later', sendAfter: new Date(Date.now() + HOUR) }],
    ['thanks', 'appreciation', MessagePurpose.Marketing, { suppressedAt: new Date(), suppressedReason: 'no marketing consent' }],
    ['call', 'call-personal', MessagePurpose.Service, { sendAfter: new Date(Date.now() + 8 * HOUR) }],
    ['later', 'thank-you-payment', MessagePurpose.Service, {}],
    ['renamed', 'a-template-since-removed', MessagePurpose.Service, {}],
  ];
  for (const [i, [step, template, purpose, state]] of steps.entries()) {
    const e2 = em();
    await outbox.enqueueStep(e2, run, step, { channel: step === 'call' ? MessageChannel.Call : MessageChannel.Email, template, purpose, payload: { invoiceId: 'abcdef1234', offerCode: 'LOYAL10', discountPercent: 10 } });
    await e2.nativeUpdate(OutboxMessage, { idempotencyKey: `${run.workflowId}/${step}` }, { ...state, createdAt: new Date(Date.UTC(2026, 10, 1, 9, i)) });
  }
});
afterAll(() => stack?.stop());

it('lists what was written to the customer, newest first, rendered for them, with where each message stands', async () => {
  const r = await stack.gql(CustomerMessagesDocument, { id: customer.id, first: 10 }, Role.Viewer);
  expect(r.errors).toBeUndefined();
  const messages = r.data!.customer!.messages;
  expect(messages.totalCount).toBe(6);
  expect(messages.edges.map((e) => [e.node.key.split('/').pop(), e.node.status])).toEqual([
    ['renamed', 'Pending'],
    ['later', 'Pending'],
    ['call', 'Held'],
    ['thanks', 'Suppressed'],
    ['reminder-2', 'Failing'],
    ['reminder-1', 'Sent'],
  ]);
  const [renamed, , call, thanks, failing, sent] = messages.edges.map((e) => e.node);
  expect(sent).toMatchObject({ channel: 'Email', purpose: 'Service', template: 'reminder-friendly', subject: 'A quick note about your invoice' });
  expect(sent.text).toMatch(/^Hello Grace Hopper,/);
  expect(sent.text).toContain('invoice abcdef12');
  expect(thanks).toMatchObject({ purpose: 'Marketing', suppressedReason: 'no marketing consent', sentAt: null });
  expect(failing).toMatchObject({ attempts: 1, lastError: '451 try again later' });
  expect(call).toMatchObject({ channel: 'Call', subject: 'Call Grace Hopper about invoice abcdef12' });
  // F9: a call task is the team's (about her), not a message to her; the e-mails are hers.
  expect(call).toMatchObject({ recipient: 'Team', recipientTeam: null });
  expect([sent, thanks, failing, renamed].map((m) => [m.recipient, m.recipientTeam])).toEqual([['Customer', null], ['Customer', null], ['Customer', null], ['Customer', null]]);
  expect(renamed).toMatchObject({ template: 'a-template-since-removed', subject: null, text: null });
});

it('pages through the history', async () => {
  const first = (await stack.gql(CustomerMessagesDocument, { id: customer.id, first: 4 }, Role.Viewer)).data!.customer!.messages;
  expect(first.pageInfo.hasNextPage).toBe(true);
  const rest = (await stack.gql(CustomerMessagesDocument, { id: customer.id, first: 4, after: first.pageInfo.endCursor }, Role.Viewer)).data!.customer!.messages;
  expect(rest.pageInfo.hasNextPage).toBe(false);
  expect([...first.edges, ...rest.edges].map((e) => e.node.id)).toEqual(
    (await em().find(OutboxMessage, { customer: customer.id }, { orderBy: { createdAt: 'desc' } })).map((m) => m.id),
  );
});

it('renders for the right name in a customers page that did not ask for names', async () => {
  const page = (await stack.gql(CustomerMessagesPageDocument, { first: 10, filter: { search: 'grace@' } }, Role.Viewer)).data!.customers;
  expect(page.edges).toHaveLength(1);
  expect(page.edges[0].node.messages.edges.map((e) => e.node.subject)).toContain('Call Grace Hopper about invoice abcdef12');
});

it("renders each message in the customer's language, as it was sent", async () => {
  const e = em();
  const hans = e.create(Customer, { name: 'Hans Meier', email: 'hans@example.com', acquiredAt: '2020-01-01', locale: 'de-DE' });
  e.create(OutboxMessage, { idempotencyKey: `fair-reminder/${hans.id}/x/reminder-1`, customer: hans, channel: MessageChannel.Email, purpose: MessagePurpose.Service, template: 'reminder-friendly', payload: { invoiceId: 'abcdef12-0000' } });
  await e.flush();
  const [message] = (await stack.gql(CustomerMessagesDocument, { id: hans.id, first: 1 }, Role.Viewer)).data!.customer!.messages.edges.map((m) => m.node);
  expect(message).toMatchObject({ subject: 'Eine kurze Notiz zu Ihrer Rechnung', text: expect.stringMatching(/^Guten Tag Hans Meier,/) });
  // A customers page that did not ask for the language reads it too.
  const page = (await stack.gql(CustomerMessagesPageDocument, { first: 10, filter: { search: 'hans@' } }, Role.Viewer)).data!.customers;
  expect(page.edges[0].node.messages.edges.map((m) => m.node.subject)).toEqual(['Eine kurze Notiz zu Ihrer Rechnung']);
});

it('shows a message that went out as the customer read it, after they changed their name or language; one still to go as it will', async () => {
  const e = em();
  const lena = e.create(Customer, { name: 'Lena Vogel', email: 'lena@example.com', acquiredAt: '2020-01-01', locale: 'de-DE' });
  e.create(OutboxMessage, { idempotencyKey: `fair-reminder/${lena.id}/x/reminder-1`, customer: lena, channel: MessageChannel.Email, purpose: MessagePurpose.Service, template: 'reminder-friendly', payload: { invoiceId: 'abcdef12-0000' }, createdAt: new Date(Date.UTC(2026, 10, 1)), sentAt: new Date(Date.UTC(2026, 10, 1)), sentName: 'Lena Vogel', sentLocale: 'de-DE' });
  e.create(OutboxMessage, { idempotencyKey: `fair-reminder/${lena.id}/x/reminder-2`, customer: lena, channel: MessageChannel.Email, purpose: MessagePurpose.Service, template: 'reminder-gentle', payload: { invoiceId: 'abcdef12-0000' }, createdAt: new Date(Date.UTC(2026, 10, 2)) });
  await e.flush();
  await em().nativeUpdate(Customer, { id: lena.id }, { name: 'Lena Adler', locale: 'en' });
  const [later, sent] = (await stack.gql(CustomerMessagesDocument, { id: lena.id, first: 2 }, Role.Viewer)).data!.customer!.messages.edges.map((m) => m.node);
  expect(sent).toMatchObject({ status: 'Sent', subject: 'Eine kurze Notiz zu Ihrer Rechnung', text: expect.stringMatching(/^Guten Tag Lena Vogel,/) });
  expect(later).toMatchObject({ status: 'Pending', text: expect.stringMatching(/^Hello Lena Adler,/) });
});

it('shows every message the playbooks write, with an example, in the language asked for where it is written in it', async () => {
  const result = await stack.gql(MessageTemplatesDocument, { language: 'de-AT' }, Role.Viewer);
  expect(result.errors).toBeUndefined();
  const byKey = new Map(result.data!.messageTemplates.map((t) => [t.key, t]));
  expect(byKey.get('reminder-friendly')).toMatchObject({ playbook: 'FairReminder', audience: 'customer', language: 'de', subject: 'Eine kurze Notiz zu Ihrer Rechnung', text: expect.stringMatching(/^Guten Tag Alex Example,/) });
  // A task for the company's people stays in English.
  expect(byKey.get('call-personal')).toMatchObject({ audience: 'team', language: 'en', subject: expect.stringMatching(/^Call Alex Example about invoice [0-9a-f]{8}$/) });
  // Marketing is shown with the unsubscribe link delivery adds, in the message's language; service messages without one.
  expect(byKey.get('appreciation')).toMatchObject({ purpose: 'Marketing', language: 'de', text: expect.stringMatching(/Wenn Sie keine solchen Nachrichten mehr erhalten möchten: https:\/\/retention\.example\.com\/unsubscribe\?token=…$/) });
  const marketing = result.data!.messageTemplates.filter((t) => t.purpose === 'Marketing');
  expect(marketing.map((t) => [t.key, t.variant])).toEqual([
    ['account-proposal', 'offer'],
    ['appreciation', 'own-offer'],
    ['appreciation', 'new-customer-offer'],
  ]);
  // A new customers' offer matched for a loyal customer is shown with its terms, in loyalty words.
  expect(marketing.find((t) => t.variant === 'new-customer-offer')!.text).toContain('für Sie zu denselben Bedingungen („30 % Rabatt auf die ersten drei Monate“)');
  // An account review's proposal is shown as each goes: a cheaper tier as a service message, an offer as marketing with the link.
  const proposals = result.data!.messageTemplates.filter((t) => t.key === 'account-proposal');
  expect(proposals.map((t) => [t.variant, t.purpose])).toEqual([
    ['tier-change', 'Service'],
    ['tier-change-offer', 'Service'],
    ['offer', 'Marketing'],
  ]);
  // The cheaper tier with a newcomers' discount on it: its terms as newcomers read them, in German where it has them.
  expect(proposals[1].text).toContain('für Sie zu denselben Bedingungen („Basis für Neukunden, 50 % Rabatt: for the first three months“)');
  expect(proposals[2].text).toMatch(/LOYAL15[\s\S]*https:\/\/retention\.example\.com\/unsubscribe\?token=…$/);
  expect(byKey.get('reminder-friendly')!.text).not.toContain('unsubscribe');
  // A fee is written in the deployment's currency, as the message's language writes amounts.
  expect(result.data!.messageTemplates.find((t) => t.key === 'reminder-standard-2')!.text).toMatch(/Mahngebühr von 5,00\u00a0CHF an/);
  expect((await stack.gql(MessageTemplatesDocument, {}, Role.Viewer)).data!.messageTemplates.every((t) => t.language === 'en')).toBe(true);
  expect((await stack.gql(MessageTemplatesDocument, {}, null)).errors![0].extensions!.code).toBe('UNAUTHENTICATED');
  // A malformed tag is refused, as for a customer's locale; a well-formed one the messages are not written in shows English.
  expect((await stack.gql(MessageTemplatesDocument, { language: '!!' }, Role.Viewer)).errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_ARGUMENT', field: 'language' });
  expect((await stack.gql(MessageTemplatesDocument, { language: 'fr-CA' }, Role.Viewer)).data!.messageTemplates.every((t) => t.language === 'en')).toBe(true);
});

it("tells what may be sent to a customer now and why not: consent, the marketing budget and until when, an open complaint", async () => {
  const status = async (id: string) => (await stack.gql(CustomerContactStatusDocument, { id }, Role.Viewer)).data!.customer!.contactStatus!;
  // Grace has not agreed to marketing: reminders still go.
  expect(await status(customer.id)).toMatchObject({ service: { allowed: true, reason: null }, marketing: { allowed: false, reason: 'no-consent', sendAt: null } });

  const e = em();
  const fan = e.create(Customer, { name: 'Ada Fan', email: 'ada.fan@example.com', acquiredAt: '2020-01-01', marketingConsent: true, timeZone: 'UTC' });
  const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000);
  for (const [i, sentAt] of [daysAgo(25), daysAgo(12), daysAgo(3)].entries()) {
    e.create(OutboxMessage, { idempotencyKey: `appreciation/${fan.id}/${i}`, customer: fan, channel: MessageChannel.Email, purpose: MessagePurpose.Marketing, template: 'appreciation', payload: {}, sentAt });
  }
  await e.flush();
  const full = await status(fan.id);
  expect(full).toMatchObject({ service: { allowed: true }, marketing: { allowed: false, reason: 'budget-exhausted' }, marketingUsed: 3, marketingBudget: 3 });
  // The first of the three leaves the 30-day period 5 days from now.
  expect(Math.abs(new Date(full.marketingFreesAt!).getTime() - (daysAgo(25).getTime() + 30 * 86_400_000))).toBeLessThan(60_000);

  const e2 = em();
  e2.create(Complaint, { customer: e2.getReference(Customer, fan.id), topic: 'billing-error', severity: ComplaintSeverity.Medium, openedAt: new Date() });
  await e2.flush();
  expect(await status(fan.id)).toMatchObject({ marketing: { allowed: false, reason: 'open-complaint' }, marketingBudget: 0, marketingFreesAt: null });
});

it('reads the contact status of a page of customers in one statement', async () => {
  const page = (first: number) => countStatements(() => stack.gql(CustomersContactStatusDocument, { first }, Role.Viewer));
  const one = await page(1);
  const two = await page(2);
  expect(two.result.data!.customers.edges.every((e) => e.node.contactStatus !== null)).toBe(true);
  expect(two.statements.length).toBe(one.statements.length);
});

it("tells a front end the currency of every amount, as the deployment's CURRENCY says", async () => {
  expect((await stack.gql(CurrencyDocument, {}, Role.Viewer)).data!.currency).toEqual({ code: 'CHF', minorUnitDigits: 2 });
  expect((await stack.gql(CurrencyDocument, {}, null)).errors![0].extensions!.code).toBe('UNAUTHENTICATED');
});
