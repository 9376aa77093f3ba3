import { randomUUID } from 'node:crypto';
import { Role } from '../src/domain/auth/roles.js';
import { unsubscribeUrl } from '../src/domain/messages/unsubscribe-link.js';
import { AuditEntry, Customer, MessageChannel, MessagePurpose, OutboxMessage } from '../src/entities/index.js';
import { DeliveryService } from '../src/services/outbox/delivery.service.js';
import { defaultPolicies } from '../src/domain/policies/index.js';
import { OutboxService } from '../src/services/outbox/outbox.service.js';
import { startLocalSmtp, type ReceivedMail } from './support/smtp.js';
import { startTestStack, type TestStack } from './support/stack.js';
import { createApi } from '../src/http/api-server.js';
import { createLogger } from '../src/logger.js';
import { CustomerTimelineDocument, ExportCustomerDataDocument } from './__generated__/graphql.js';

/**
 * The unsubscribe link of marketing e-mail, end to end: delivery over the real SMTP channel
 * writes it into the message and its List-Unsubscribe headers; the API's page behind it
 * asks on GET and withdraws consent on POST (a browser's button or a mail client's
 * one-click), with nothing but the signed link.
 */
let stack: TestStack;
let smtp: Awaited<ReturnType<typeof startLocalSmtp>>;
let base: string;

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
  base = (await stack.api.listen()).url.replace(/\/graphql$/, '');
  smtp = await startLocalSmtp();
});
afterAll(async () => {
  await smtp?.stop();
  await stack?.stop();
});

let n = 0;
async function consentingCustomer(locale = 'en'): Promise<string> {
  const em = stack.orm.em.fork();
  n++;
  const c = em.create(Customer, { name: `Reader ${n}`, email: `reader${n}@example.com`, acquiredAt: '2020-01-01', timeZone: 'UTC', locale, marketingConsent: true });
  await em.flush();
  return c.id;
}

async function enqueue(customerId: string, key: string, purpose: MessagePurpose, template: string): Promise<void> {
  await stack.orm.em.fork().transactional((em) => new OutboxService().enqueue(em, { idempotencyKey: key, customerId, channel: MessageChannel.Email, purpose, template, payload: { invoiceId: 'abcdef12' } }));
}

async function deliver(): Promise<void> {
  // The links point at this test's API, signed as the configuration says.
  const links = { publicUrl: base, secrets: stack.config.unsubscribe!.secrets };
  await new DeliveryService(stack.orm.em.fork(), smtp.sender, defaultPolicies, links).deliverDue(new Date('2026-11-24T12:00:00Z'));
}

/** The message's text as its reader sees it (quoted-printable undone, UTF-8). */
const bodyOf = (mail: ReceivedMail) => {
  const bytes = mail.raw
    .split(/\r?\n\r?\n/)
    .slice(1)
    .join('\n\n')
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
};
const mailTo = (email: string) => smtp.received.find((m) => m.to.includes(email))!;
/** The link of the List-Unsubscribe header (folded onto its next line when long). */
const linkIn = (mail: ReceivedMail) => /^List-Unsubscribe:\s+<([^>]+)>/m.exec(mail.raw)?.[1];
const consentOf = async (id: string) => (await stack.orm.em.fork().findOneOrFail(Customer, id)).marketingConsent;
const oneClick = (url: string, language = 'en') =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': language }, body: 'List-Unsubscribe=One-Click' });

it('puts the link into every marketing e-mail, in its headers and at the end of its text, and into no service message', async () => {
  const id = await consentingCustomer();
  await enqueue(id, `appreciation/${id}/thank-you`, MessagePurpose.Marketing, 'appreciation');
  await enqueue(id, `fair-reminder/${id}/reminder-1`, MessagePurpose.Service, 'reminder-friendly');
  await deliver();
  const [marketing, service] = ['Thank you for being with us', 'A quick note about your invoice'].map((subject) => smtp.received.find((m) => m.raw.includes(`Subject: ${subject}`))!);
  const link = linkIn(marketing)!;
  expect(link).toMatch(new RegExp(`^${base}/unsubscribe\\?token=[0-9a-f]{32}\\.[\\w-]{22}$`));
  expect(marketing.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
  expect(bodyOf(marketing)).toContain(`To receive no more of these messages: ${link}`);
  expect(service.raw).not.toMatch(/List-Unsubscribe/);
  expect(bodyOf(service)).not.toContain('/unsubscribe');
});

it('asks first when the link is opened, and unsubscribes at once on the button or a mail client\'s one-click: queued marketing held back, service messages still go, audited once', async () => {
  const id = await consentingCustomer();
  await enqueue(id, `appreciation/${id}/thank-you`, MessagePurpose.Marketing, 'appreciation');
  await deliver();
  const link = linkIn(mailTo(`reader${n}@example.com`))!;

  // Opening the link (as a mail scanner does) changes nothing.
  const opened = await fetch(link);
  expect(opened.status).toBe(200);
  expect(opened.headers.get('referrer-policy')).toBe('no-referrer');
  expect(opened.headers.get('cache-control')).toBe('no-store');
  const form = await opened.text();
  expect(form).toContain('<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">');
  expect(form).not.toContain(`Reader ${n}`);
  expect(await consentOf(id)).toBe(true);

  // A message queued before the click must not go out after it.
  await enqueue(id, `campaign/x/${id}/thank-you`, MessagePurpose.Marketing, 'appreciation');
  await enqueue(id, `fair-reminder/${id}/reminder-1`, MessagePurpose.Service, 'reminder-friendly');
  const done = await oneClick(link);
  expect(done.status).toBe(200);
  expect(await done.text()).toContain('You are unsubscribed');
  expect(await consentOf(id)).toBe(false);
  const queued = await stack.orm.em.fork().findOneOrFail(OutboxMessage, { idempotencyKey: `campaign/x/${id}/thank-you` });
  expect(queued.suppressedAt).not.toBeNull();

  smtp.received.length = 0;
  await deliver();
  expect(smtp.received.map((m) => /^Subject: (.*)$/m.exec(m.raw)?.[1])).toEqual(['A quick note about your invoice']);

  // A second click (the button, then the mail client) is answered alike and changes nothing more.
  expect((await oneClick(link)).status).toBe(200);
  const audit = await stack.orm.em.fork().find(AuditEntry, { entityId: id, action: 'customer.opt-out' });
  expect(audit).toHaveLength(1);
  expect(audit[0]).toMatchObject({ actor: 'customer:unsubscribe-link', after: { marketingConsent: false, queuedMarketingHeldBack: 1 } });

  // The customer's timeline and their data export say how consent was withdrawn.
  const timeline = await stack.gql(CustomerTimelineDocument, { id, kinds: ['ConsentChanged'] }, Role.Viewer);
  expect(timeline.data!.customer!.timeline.edges.map((e) => e.node.summary)).toEqual(['Withdrew consent to marketing (through the link in a message)']);
  const exported = await stack.gql(ExportCustomerDataDocument, { id, reason: 'Access request' }, Role.Operator);
  expect((exported.data!.exportCustomerData as { consentHistory: unknown[] }).consentHistory).toEqual([expect.objectContaining({ marketingConsent: false, how: 'unsubscribed through the link in a message' })]);
});

it('refuses a link it did not sign, or one for another customer, and changes nobody', async () => {
  const id = await consentingCustomer();
  const bystander = await consentingCustomer();
  await enqueue(id, `appreciation/${id}/thank-you`, MessagePurpose.Marketing, 'appreciation');
  await deliver();
  const link = new URL(linkIn(mailTo(`reader${n - 1}@example.com`))!);
  const [, mac] = link.searchParams.get('token')!.split('.');
  const forged = `${base}/unsubscribe?token=${bystander.replace(/-/g, '')}.${mac}`;
  // Signed right, but for nobody stored here.
  const nobody = unsubscribeUrl({ publicUrl: base, secrets: stack.config.unsubscribe!.secrets }, randomUUID());
  expect((await oneClick(nobody)).status).toBe(400);
  for (const url of [forged, `${base}/unsubscribe?token=nonsense`, `${base}/unsubscribe`, `${base}/unsubscribe?token=${encodeURIComponent('"><script>x</script>')}`]) {
    const opened = await fetch(url);
    expect(opened.status).toBe(400);
    expect(await opened.text()).not.toContain('<form');
    expect((await oneClick(url)).status).toBe(400);
  }
  expect(await consentOf(bystander)).toBe(true);
  expect(await consentOf(id)).toBe(true);
});

it('answers a body it cannot read (too large, another charset) with its own page and headers, not an error page', async () => {
  const page = `${base}/unsubscribe?token=whatever`;
  for (const [headers, body, status] of [
    [{ 'content-type': 'application/x-www-form-urlencoded' }, `List-Unsubscribe=${'x'.repeat(2_000)}`, 413],
    [{ 'content-type': 'application/x-www-form-urlencoded; charset=klingon' }, 'List-Unsubscribe=One-Click', 415],
  ] as const) {
    const answer = await fetch(page, { method: 'POST', headers: { ...headers, 'accept-language': 'de' }, body });
    expect(answer.status).toBe(status);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('content-security-policy')).toContain("default-src 'none'");
    const text = await answer.text();
    expect(text).toContain('Diese Anfrage konnte nicht gelesen werden');
    expect(text).not.toMatch(/at .*\.js:\d+/);
  }
});

it("answers in the browser's language", async () => {
  const id = await consentingCustomer('de-DE');
  await enqueue(id, `appreciation/${id}/thank-you`, MessagePurpose.Marketing, 'appreciation');
  await deliver();
  const mail = mailTo(`reader${n}@example.com`);
  // The footer is in the message's language.
  expect(bodyOf(mail)).toContain('Wenn Sie keine solchen Nachrichten mehr erhalten möchten');
  const done = await oneClick(linkIn(mail)!, 'de-DE,de;q=0.9,en;q=0.8');
  expect(done.headers.get('content-language')).toBe('de');
  expect(await done.text()).toContain('Sie sind abgemeldet');
  expect(await consentOf(id)).toBe(false);
});

it('answers a flood of requests from one address with 429 and a page in its language, before any work', async () => {
  // An API of its own with a small limit, counted in its memory (the shared count would hold this file's other requests too).
  const limited = await createApi({ config: { ...stack.config, api: { ...stack.config.api, unsubscribePerMinute: 3, rateLimitStore: 'memory' } }, orm: stack.orm, temporal: stack.temporal, logger: createLogger('silent', 'api') });
  try {
    const page = `${(await limited.listen()).url.replace(/\/graphql$/, '')}/unsubscribe?token=nonsense`;
    for (let i = 0; i < 3; i++) expect((await fetch(page)).status).toBe(400);
    const refused = await fetch(page, { headers: { 'accept-language': 'de' } });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('content-language')).toBe('de');
    expect(await refused.text()).toContain('Zu viele Anfragen');
    // A one-click from the same address is refused too, and changes nobody.
    const id = await consentingCustomer();
    const link = unsubscribeUrl({ publicUrl: page.replace(/\/unsubscribe.*$/, ''), secrets: stack.config.unsubscribe!.secrets }, id);
    expect((await oneClick(link)).status).toBe(429);
    expect(await consentOf(id)).toBe(true);
  } finally {
    await limited.stop();
  }
});

