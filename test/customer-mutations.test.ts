import { jest } from '@jest/globals';
import { AuditEntry, Complaint, Customer, Invoice, MessageChannel, MessagePurpose, OutboxMessage, Payment, PlaybookRun, ScoreSnapshot } from '../src/entities/index.js';
import { Role } from '../src/domain/auth/roles.js';
import { dayIn } from '../src/domain/billing/paid-day.js';
import { CancelPlaybookRunDocument, CancelRescoreDocument, CustomerDocument, CustomersDocument, EndOfferDocument, ReopenComplaintDocument, RevokeApiKeyDocument, ImportCsvDocument, CustomerOrdersDocument, CustomerScoresDocument, OptOutDocument, PauseCampaignDocument, RecordComplaintDocument, RecordPaymentDocument, ResolveComplaintDocument, RetryMessageDocument, UpdateCustomerDocument, UpdateSegmentDocument, type RecordComplaintInput } from './__generated__/graphql.js';
import { startTestStack, testKeys, type TestStack } from './support/stack.js';

/** Every mutation with every role, its error codes, and its audit trail. */
let stack: TestStack;
const em = () => stack.orm.em.fork();
const allRoles = [Role.Viewer, Role.Marketer, Role.Operator, Role.Admin];
const allowed = new Set([Role.Operator, Role.Admin]);

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
});
afterAll(() => stack?.stop());

async function newCustomer(): Promise<Customer> {
  const e = em();
  const c = e.create(Customer, { name: 'Ada Lovelace', email: `ada.${Math.random()}@example.com`, acquiredAt: '2024-05-01' });
  await e.flush();
  return c;
}
async function newInvoice(customer: Customer, amountMinor = 10_000): Promise<Invoice> {
  const e = em();
  const invoice = e.create(Invoice, { customer: e.getReference(Customer, customer.id), issuedAt: '2026-10-01', dueAt: '2026-10-15', amountMinor });
  await e.flush();
  return invoice;
}
const audits = (entityId: string) => em().find(AuditEntry, { entityId }, { orderBy: { at: 'asc' } });

describe('updateCustomer', () => {
  it.each(allRoles)('as %s', async (role) => {
    const c = await newCustomer();
    const r = await stack.gql(UpdateCustomerDocument, { id: c.id, input: { name: 'Ada King', phone: '+44 20 1234', marketingConsent: true, consentReason: 'asked for offers on the phone' } }, role);
    const row = await em().findOneOrFail(Customer, c.id);
    if (allowed.has(role)) {
      expect(r.errors).toBeUndefined();
      expect(r.data!.updateCustomer).toMatchObject({ name: 'Ada King', phone: '+44 20 1234', marketingConsent: true });
      expect(row).toMatchObject({ name: 'Ada King', phone: '+44 20 1234', marketingConsent: true });
      const [entry] = await audits(c.id);
      expect(entry).toMatchObject({
        action: 'customer.update',
        entityType: 'customer',
        before: { name: 'Ada Lovelace', phone: null, marketingConsent: false },
        after: { name: 'Ada King', phone: '+44 20 1234', marketingConsent: true, reason: 'asked for offers on the phone' },
      });
      expect(entry.actor).toMatch(new RegExp(`^${role}:[0-9a-f]{8}$`));
    } else {
      // Who may, as the API's Role enum spells the roles (me { role } compares with it), admin included.
      expect(r.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'AUTH_ROLE_NOT_ALLOWED', required: ['Operator', 'Admin'] });
      expect(row.name).toBe('Ada Lovelace');
      expect(await audits(c.id)).toEqual([]);
    }
  });

  it("has delivery look again at once at the messages held for quiet hours in the customer's old time zone, once it is corrected (QA 50 F2)", async () => {
    const c = await newCustomer();
    const e = em();
    const morningInTokyo = new Date(Date.now() + 10 * 3_600_000);
    const queue = (key: string, over: Partial<OutboxMessage> = {}) =>
      e.create(OutboxMessage, { idempotencyKey: `${key}/${c.id}`, customer: e.getReference(Customer, c.id), channel: MessageChannel.Email, purpose: MessagePurpose.Service, template: 'appreciation', payload: {}, sendAfter: morningInTokyo, ...over });
    queue('held');
    // Held after a failed attempt: its back-off stands.
    queue('retry', { lastError: '451 try again later', attempts: 1 });
    // Retried by a person (a fresh count, the last refusal kept), then held for the old zone's night: released (review 35 F5).
    queue('retried', { lastError: '550 user unknown', attempts: 0 });
    queue('due', { sendAfter: null });
    // A call task and the hand-over letter held until a promise to pay ends: quiet hours never held them (review 35 F1).
    queue('call', { channel: MessageChannel.Call, template: 'call-personal' });
    queue('letter', { channel: MessageChannel.Letter, template: 'collections-handover' });
    await e.flush();
    const sendAfter = async () =>
      Object.fromEntries((await em().find(OutboxMessage, { customer: c.id })).map((m) => [m.idempotencyKey.split('/')[0], m.sendAfter?.getTime() ?? null]));
    // Another change leaves them held.
    expect((await stack.gql(UpdateCustomerDocument, { id: c.id, input: { name: 'Ada King', timeZone: 'UTC' } }, Role.Operator)).errors).toBeUndefined();
    const promised = { call: morningInTokyo.getTime(), letter: morningInTokyo.getTime() };
    expect(await sendAfter()).toEqual({ held: morningInTokyo.getTime(), retry: morningInTokyo.getTime(), retried: morningInTokyo.getTime(), due: null, ...promised });
    expect((await stack.gql(UpdateCustomerDocument, { id: c.id, input: { timeZone: 'Europe/Lisbon' } }, Role.Operator)).errors).toBeUndefined();
    expect(await sendAfter()).toEqual({ held: null, retry: morningInTokyo.getTime(), retried: null, due: null, ...promised });
  });

  it('gives marketing consent where the customer has none only with how they gave it, audited and shown in their data export', async () => {
    const c = await newCustomer();
    const services = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services;
    const give = (input: { marketingConsent: boolean; consentReason?: string }) => stack.gql(UpdateCustomerDocument, { id: c.id, input }, Role.Operator);
    // Never given, then withdrawn through an opt-out: each time, consent without a reason (or a blank one) is refused, nothing changed.
    for (const before of ['never given', 'opted out']) {
      if (before === 'opted out') {
        expect((await give({ marketingConsent: true, consentReason: 'signed up at the shop counter' })).errors).toBeUndefined();
        await services.customers.optOut(c.id, 'operator:test');
      }
      for (const consentReason of [undefined, '  ']) {
        const refused = await give({ marketingConsent: true, ...(consentReason === undefined ? {} : { consentReason }) });
        expect(refused.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'CUSTOMER_INVALID_INPUT', field: 'input.consentReason' });
        expect(refused.errors![0].message).toMatch(/consentReason: how the customer gave it/);
        expect((await em().findOneOrFail(Customer, c.id)).marketingConsent).toBe(false);
      }
    }
    expect((await give({ marketingConsent: true, consentReason: ' asked for offers again in a call on 4 December ' })).errors).toBeUndefined();
    expect((await em().findOneOrFail(Customer, c.id)).marketingConsent).toBe(true);
    // Consent kept as it is, or withdrawn, needs no reason.
    expect((await give({ marketingConsent: true })).errors).toBeUndefined();
    const updates = (await audits(c.id)).filter((a) => a.action === 'customer.update');
    expect(updates.map((a) => [a.before, a.after])).toEqual([
      [{ marketingConsent: false }, { marketingConsent: true, reason: 'signed up at the shop counter' }],
      [{ marketingConsent: false }, { marketingConsent: true, reason: 'asked for offers again in a call on 4 December' }],
    ]);
    const exported = (await services.dataExport.forRequest(c.id, 'test: access request', 'operator:test')) as { consentHistory: Array<{ marketingConsent: boolean; how: string }> };
    expect(exported.consentHistory.map((h) => [h.marketingConsent, h.how])).toEqual([
      [true, 'signed up at the shop counter'],
      [false, 'opted out'],
      [true, 'asked for offers again in a call on 4 December'],
    ]);
  });

  it('refuses a consentReason sent without marketingConsent true, and one over 1000 characters whatever else is sent; changes nothing', async () => {
    const c = await newCustomer();
    const update = (input: Record<string, unknown>) => stack.gql(UpdateCustomerDocument, { id: c.id, input }, Role.Operator);
    // How consent was given, sent with no consent given (alone, with consent withdrawn, or beside another change): neither
    // stored nor audited, so refused rather than "saved"; the other change is not made either.
    for (const input of [{ consentReason: 'asked on the phone' }, { marketingConsent: false, consentReason: 'asked on the phone' }, { name: 'Ada King', consentReason: 'asked on the phone' }]) {
      const refused = await update(input);
      expect(refused.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'CUSTOMER_INVALID_INPUT', field: 'input.consentReason' });
      expect(refused.errors![0].message).toMatch(/consentReason goes with marketingConsent: true/);
    }
    expect(await em().findOneOrFail(Customer, c.id)).toMatchObject({ name: 'Ada Lovelace', marketingConsent: false });
    expect(await audits(c.id)).toEqual([]);
    // An empty one (a form's untouched field) is no reason given.
    expect((await update({ phone: '+44 20 1234', consentReason: ' ' })).errors).toBeUndefined();
    // The length is checked whether the reason is used or not: for a customer who consents already it would not be used.
    expect((await update({ marketingConsent: true, consentReason: 'signed up at the shop counter' })).errors).toBeUndefined();
    const long = await update({ marketingConsent: true, consentReason: 'x'.repeat(1001) });
    expect(long.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'CUSTOMER_INVALID_INPUT', field: 'input.consentReason' });
    expect(long.errors![0].message).toBe('consentReason is at most 1000 characters (this one has 1001)');
    expect((await audits(c.id)).map((a) => a.after)).toEqual([{ phone: '+44 20 1234' }, { marketingConsent: true, reason: 'signed up at the shop counter' }]);
  });

  it('stores a name and an e-mail address in Unicode NFC, from updateCustomer and the import, and the search finds them typed in either form', async () => {
    const nfd = (s: string) => s.normalize('NFD');
    const c = await newCustomer();
    // A decomposed ü and ë, as macOS, some input methods and CRM exports send them.
    const updated = await stack.gql(UpdateCustomerDocument, { id: c.id, input: { name: nfd('Zoë Grünwaldt'), email: nfd(`zoë.grünwaldt.${c.id.slice(0, 8)}@example.com`) } }, Role.Operator);
    expect(updated.errors).toBeUndefined();
    expect(updated.data!.updateCustomer).toMatchObject({ name: 'Zoë Grünwaldt', email: `zoë.grünwaldt.${c.id.slice(0, 8)}@example.com` });
    expect((await em().findOneOrFail(Customer, c.id)).name).toBe('Zo\u00eb Gr\u00fcnwaldt');
    const csv = `customer_ref,name,email\nNFC-IMPORT-1,${nfd('Jürgen Grünwaldt')},${nfd('jürgen.gw@example.com')}\n`;
    expect((await stack.gql(ImportCsvDocument, { input: { kind: 'Customers', csv } }, Role.Admin)).data!.importCsv).toMatchObject({ inserted: 1, errors: [] });
    const found = async (search: string) =>
      ((await stack.gql(CustomersDocument, { first: 10, filter: { search }, sort: { field: 'Name', direction: 'Asc' } }, Role.Viewer)).data!.customers.edges.map((e) => [e.node.name, e.node.email === e.node.email.normalize('NFC')]));
    const both = [['Jürgen Grünwaldt', true], ['Zoë Grünwaldt', true]];
    // Typed on a keyboard (NFC) or on a Mac (NFD), in any case, in the name or the e-mail address.
    for (const search of ['grünwaldt', nfd('GRÜNWALDT'), nfd('grünwaldt.')]) expect(await found(search)).toEqual(search.endsWith('.') ? [both[1]] : both);
    expect(await found(nfd('jürgen.gw@'))).toEqual([both[0]]);
    expect(await found('zoë')).toEqual([both[1]]);
  });

  it('counts the length of a name in Unicode NFC, as it is stored and as the import counts it', async () => {
    const c = await newCustomer();
    // U+0958 (Devanagari qa) is one character as typed and two in NFC: 200 typed are 400 stored.
    const r = await stack.gql(UpdateCustomerDocument, { id: c.id, input: { name: '\u0958'.repeat(200) } }, Role.Operator);
    expect(r.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'CUSTOMER_INVALID_INPUT', field: 'input.name' });
    expect(r.errors![0].message).toBe('name is at most 200 characters in Unicode NFC (this one has 400)');
    expect((await em().findOneOrFail(Customer, c.id)).name).toBe('Ada Lovelace');
    const fits = await stack.gql(UpdateCustomerDocument, { id: c.id, input: { name: '\u0958'.repeat(100) } }, Role.Operator);
    expect(fits.data!.updateCustomer.name).toBe('\u0915\u093c'.repeat(100));
    // And the other way: 150 "ü" sent decomposed are 300 characters as sent, 150 as stored.
    const decomposed = await stack.gql(UpdateCustomerDocument, { id: c.id, input: { name: 'u\u0308'.repeat(150) } }, Role.Operator);
    expect(decomposed.data!.updateCustomer.name).toBe('\u00fc'.repeat(150));
    expect((await stack.gql(UpdateCustomerDocument, { id: c.id, input: { name: 'x'.repeat(201) } }, Role.Operator)).errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'CUSTOMER_INVALID_INPUT', field: 'input.name' });
    // A pasted megabyte is refused before it is normalised, saying the bound.
    const pasted = (await stack.gql(UpdateCustomerDocument, { id: c.id, input: { name: 'x'.repeat(1_000_000) } }, Role.Operator)).errors![0];
    expect(pasted.extensions).toMatchObject({ code: 'VALIDATION', reason: 'CUSTOMER_INVALID_INPUT', field: 'input.name' });
    expect(pasted.message).toBe('name is at most 200 characters in Unicode NFC');
  });

  it('refuses an invalid e-mail address with VALIDATION and changes nothing', async () => {
    const c = await newCustomer();
    const r = await stack.gql(UpdateCustomerDocument, { id: c.id, input: { name: 'Changed', email: 'not-an-address' } }, Role.Operator);
    expect(r.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'CUSTOMER_INVALID_INPUT', field: 'input.email' });
    expect((await em().findOneOrFail(Customer, c.id)).name).toBe('Ada Lovelace');
    expect(await audits(c.id)).toEqual([]);
  });

  it('keeps the language as a canonical BCP 47 tag, and refuses anything else', async () => {
    const c = await newCustomer();
    const r = await stack.gql(UpdateCustomerDocument, { id: c.id, input: { locale: 'de-at' } }, Role.Operator);
    expect(r.data!.updateCustomer.locale).toBe('de-AT');
    expect((await audits(c.id))[0]).toMatchObject({ before: { locale: 'en' }, after: { locale: 'de-AT' } });
    const bad = await stack.gql(UpdateCustomerDocument, { id: c.id, input: { locale: 'de_AT' } }, Role.Operator);
    expect(bad.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'CUSTOMER_INVALID_INPUT', field: 'input.locale' });
    expect((await em().findOneOrFail(Customer, c.id)).locale).toBe('de-AT');
  });

  it('refuses an unknown time zone and a malformed phone number', async () => {
    const c = await newCustomer();
    const tz = await stack.gql(UpdateCustomerDocument, { id: c.id, input: { timeZone: 'Mars/Olympus' } }, Role.Operator);
    expect(tz.errors![0].extensions).toMatchObject({ code: 'VALIDATION', field: 'input.timeZone' });
    // Every field the service refuses, named at once, so a form shows them together; nothing written.
    const several = await stack.gql(UpdateCustomerDocument, { id: c.id, input: { name: ' ', email: 'not-an-email', timeZone: 'Mars/Olympus', locale: '!!' } }, Role.Operator);
    expect(several.errors![0].extensions).toMatchObject({
      code: 'VALIDATION',
      reason: 'CUSTOMER_INVALID_INPUT',
      field: 'input.name',
      fields: [
        { field: 'input.name', messages: ['name must not be empty'] },
        { field: 'input.email', messages: ['"not-an-email" is not an e-mail address'] },
        { field: 'input.timeZone', messages: ['"Mars/Olympus" is not an IANA time zone'] },
        { field: 'input.locale', messages: ['"!!" is not a language tag (e.g. "de" or "de-AT")'] },
      ],
    });
    expect(await audits(c.id)).toEqual([]);
    const phone = await stack.gql(UpdateCustomerDocument, { id: c.id, input: { phone: 'call me maybe' } }, Role.Operator);
    expect(phone.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_ARGUMENT', field: 'input.phone' });
    expect(phone.errors![0].message).toBe('phone is not a phone number (up to 40 digits, spaces and + ( ) / -, at least 3 of them digits, and an extension such as "ext. 5")');
    expect(phone.errors![0].extensions).not.toHaveProperty('fields.0.target');
  });

  it('normalises the e-mail address and writes no audit entry when nothing changes', async () => {
    const c = await newCustomer();
    const r = await stack.gql(UpdateCustomerDocument, { id: c.id, input: { email: ` ${c.email.toUpperCase()} ` } }, Role.Operator);
    expect(r.data!.updateCustomer.email).toBe(c.email);
    expect(await audits(c.id)).toEqual([]);
  });

  it('reports NOT_FOUND for an unknown customer and VALIDATION for a malformed ID', async () => {
    const unknown = await stack.gql(UpdateCustomerDocument, { id: '00000000-0000-4000-8000-000000000000', input: { name: 'X' } }, Role.Admin);
    expect(unknown.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'CUSTOMER_NOT_FOUND' });
    const malformed = await stack.gql(UpdateCustomerDocument, { id: 'abc', input: { name: 'X' } }, Role.Admin);
    expect(malformed.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_ARGUMENT', field: 'id' });
  });

  it('refuses a caller without credentials', async () => {
    const c = await newCustomer();
    const r = await stack.gql(UpdateCustomerDocument, { id: c.id, input: { name: 'X' } }, null);
    expect(r.errors![0].extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

describe('optOut', () => {
  it('withdraws consent and holds back the queued marketing messages at once; service messages still go', async () => {
    const c = await newCustomer();
    const e = em();
    await e.nativeUpdate(Customer, { id: c.id }, { marketingConsent: true });
    const queue = (key: string, purpose: MessagePurpose, sent = false) =>
      e.create(OutboxMessage, { idempotencyKey: `${key}/${c.id}`, customer: e.getReference(Customer, c.id), channel: MessageChannel.Email, purpose, template: 'appreciation', payload: {}, sentAt: sent ? new Date() : null });
    queue('thanks', MessagePurpose.Marketing);
    queue('thanks-sent', MessagePurpose.Marketing, true);
    queue('reminder', MessagePurpose.Service);
    await e.flush();
    for (const role of [Role.Viewer, Role.Marketer]) expect((await stack.gql(OptOutDocument, { customerId: c.id }, role)).errors![0].extensions!.code).toBe('FORBIDDEN');

    const r = await stack.gql(OptOutDocument, { customerId: c.id }, Role.Operator);
    expect(r.errors).toBeUndefined();
    expect(r.data!.optOut).toEqual({ id: c.id, marketingConsent: false });
    const messages = await em().find(OutboxMessage, { customer: c.id }, { orderBy: { idempotencyKey: 'asc' } });
    expect(messages.map((m) => [m.idempotencyKey.split('/')[0], m.suppressedReason ?? null, m.sentAt ? 'sent' : 'unsent'])).toEqual([
      ['reminder', null, 'unsent'],
      ['thanks-sent', null, 'sent'],
      ['thanks', 'no-consent: the customer opted out', 'unsent'],
    ]);
    expect((await audits(c.id)).map((a) => [a.action, a.after])).toEqual([['customer.opt-out', { marketingConsent: false, queuedMarketingHeldBack: 1 }]]);
    // A second opt-out (a second click on the link) changes nothing and is not an error.
    expect((await stack.gql(OptOutDocument, { customerId: c.id }, Role.Operator)).data!.optOut.marketingConsent).toBe(false);
    expect(await audits(c.id)).toHaveLength(1);
    expect((await stack.gql(OptOutDocument, { customerId: 'abc' }, Role.Operator)).errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_ARGUMENT', field: 'customerId' });
  });
});

describe('recordComplaint and resolveComplaint', () => {
  it.each(allRoles)('record as %s', async (role) => {
    const c = await newCustomer();
    const r = await stack.gql(RecordComplaintDocument, { input: { customerId: c.id, topic: 'Delivery-Delay', severity: 'High', summary: 'Late again' } }, role);
    const stored = await em().find(Complaint, { customer: c.id });
    if (allowed.has(role)) {
      expect(r.data!.recordComplaint).toMatchObject({ topic: 'delivery-delay', severity: 'High', summary: 'Late again', resolvedAt: null, productDefect: false, customerId: c.id, customer: { id: c.id } });
      expect(stored).toHaveLength(1);
      expect(await audits(stored[0].id)).toMatchObject([{ action: 'complaint.record', after: { customerId: c.id, topic: 'delivery-delay' } }]);
    } else {
      expect(r.errors![0].extensions!.code).toBe('FORBIDDEN');
      expect(stored).toEqual([]);
    }
  });

  it.each(allRoles)('resolve as %s', async (role) => {
    const c = await newCustomer();
    const recorded = await stack.gql(RecordComplaintDocument, { input: { customerId: c.id, topic: 'billing-error', severity: 'Low' } }, Role.Operator);
    const id = recorded.data!.recordComplaint.id;
    const r = await stack.gql(ResolveComplaintDocument, { id }, role);
    const row = await em().findOneOrFail(Complaint, id);
    if (allowed.has(role)) {
      expect(r.data!.resolveComplaint.resolvedAt).not.toBeNull();
      expect(row.resolvedAt).toBeInstanceOf(Date);
      expect((await audits(id)).map((a) => a.action)).toEqual(['complaint.record', 'complaint.resolve']);
    } else {
      expect(r.errors![0].extensions!.code).toBe('FORBIDDEN');
      expect(row.resolvedAt).toBeNull();
    }
  });

  it("answers with the customer as the complaint leaves them: marketing held back while it is open, allowed again once it is resolved (QA21 M4)", async () => {
    const c = await newCustomer();
    await em().nativeUpdate(Customer, { id: c.id }, { marketingConsent: true });
    const recorded = (await stack.gql(RecordComplaintDocument, { input: { customerId: c.id, topic: 'billing-error', severity: 'Low' } }, Role.Operator)).data!.recordComplaint;
    expect(recorded).toMatchObject({ customerId: c.id, customer: { id: c.id, contactStatus: { marketing: { allowed: false, reason: 'open-complaint' } } } });
    const resolved = (await stack.gql(ResolveComplaintDocument, { id: recorded.id }, Role.Operator)).data!.resolveComplaint;
    expect(resolved).toMatchObject({ customerId: c.id, customer: { id: c.id, contactStatus: { marketing: { allowed: true, reason: null } } } });
  });

  it('refuses to resolve twice with CONFLICT', async () => {
    const c = await newCustomer();
    const id = (await stack.gql(RecordComplaintDocument, { input: { customerId: c.id, topic: 'app-login', severity: 'Medium' } }, Role.Operator)).data!.recordComplaint.id;
    await stack.gql(ResolveComplaintDocument, { id }, Role.Operator);
    const again = await stack.gql(ResolveComplaintDocument, { id }, Role.Operator);
    expect(again.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'COMPLAINT_ALREADY_RESOLVED' });
  });

  it('refuses a topic that is not a key, a resolution before the opening, and unknown IDs', async () => {
    const c = await newCustomer();
    const topic = await stack.gql(RecordComplaintDocument, { input: { customerId: c.id, topic: 'it broke!!', severity: 'Low' } }, Role.Operator);
    // The same message as startFixIssue's and the import's for the same topic (one rule, domain/complaints/topic.ts).
    expect(topic.errors![0]).toMatchObject({
      message: '"it broke!!" is not a topic key (lowercase words joined by hyphens, e.g. delivery-delay)',
      extensions: { code: 'VALIDATION', reason: 'COMPLAINT_INVALID_INPUT', field: 'input.topic' },
    });
    const id = (await stack.gql(RecordComplaintDocument, { input: { customerId: c.id, topic: 'x', severity: 'Low', openedAt: '2026-06-01T00:00:00Z' } }, Role.Operator)).data!
      .recordComplaint.id;
    const early = await stack.gql(ResolveComplaintDocument, { id, resolvedAt: '2026-05-01T00:00:00Z' }, Role.Operator);
    expect(early.errors![0].extensions).toMatchObject({ code: 'VALIDATION', field: 'resolvedAt' });
    const later = await stack.gql(ResolveComplaintDocument, { id, resolvedAt: new Date(Date.now() + 86_400_000).toISOString() }, Role.Operator);
    expect(later.errors![0]).toMatchObject({ message: 'resolvedAt must not be in the future', extensions: { code: 'VALIDATION', field: 'resolvedAt' } });
    expect((await em().findOneOrFail(Complaint, id)).resolvedAt).toBeNull();
    const noCustomer = await stack.gql(RecordComplaintDocument, { input: { customerId: '00000000-0000-4000-8000-000000000000', topic: 'x', severity: 'Low' } }, Role.Operator);
    expect(noCustomer.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'CUSTOMER_NOT_FOUND' });
    // A complaint of year 1 is a typo, not history that should drive the scores.
    const ancient = await stack.gql(RecordComplaintDocument, { input: { customerId: c.id, topic: 'x', severity: 'Low', openedAt: '0001-01-01T00:00:00Z' } }, Role.Operator);
    expect(ancient.errors![0]).toMatchObject({ message: 'openedAt must not be before 1900-01-01', extensions: { code: 'VALIDATION', reason: 'COMPLAINT_INVALID_INPUT', field: 'input.openedAt' } });
    expect(await em().count(Complaint, { customer: c.id })).toBe(1);
    const noComplaint = await stack.gql(ResolveComplaintDocument, { id: '00000000-0000-4000-8000-000000000000' }, Role.Operator);
    expect(noComplaint.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'COMPLAINT_NOT_FOUND' });
  });

  it('names the offending field by its path from the argument, whichever rule refuses it', async () => {
    const c = await newCustomer();
    const record = async (input: Partial<RecordComplaintInput>) =>
      (await stack.gql(RecordComplaintDocument, { input: { customerId: c.id, topic: 'app-login', severity: 'Low', ...input } }, Role.Operator)).errors![0].extensions;
    // A declared rule of the input type (class-validator), with each broken field in `fields` too.
    expect(await record({ topic: 'x'.repeat(101) })).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_ARGUMENT', field: 'input.topic', fields: [{ field: 'input.topic' }] });
    // The rules every argument follows, checked before any resolver.
    expect(await record({ customerId: 'abc' })).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_ARGUMENT', field: 'input.customerId' });
    expect(await record({ topic: 'a\u0000b' })).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_ARGUMENT', field: 'input.topic' });
    // The complaint service's own rules, which name the field inside the input it was given.
    expect(await record({ topic: 'it broke!!' })).toMatchObject({ code: 'VALIDATION', reason: 'COMPLAINT_INVALID_INPUT', field: 'input.topic' });
    expect(await record({ openedAt: new Date(Date.now() + 86_400_000).toISOString() })).toMatchObject({ code: 'VALIDATION', reason: 'COMPLAINT_INVALID_INPUT', field: 'input.openedAt' });
    expect(await em().count(Complaint, { customer: c.id })).toBe(0);
  });
});

describe('recordComplaint sent again (QA 56 F1)', () => {
  /** A customer at high churn risk: the third complaint about a topic starts a fix for them at once. */
  async function atRisk(): Promise<Customer> {
    const c = await newCustomer();
    const e = em();
    e.create(ScoreSnapshot, { customer: e.getReference(Customer, c.id), computedAt: new Date(), scores: { 'churn-risk': { value: 0.7, band: 'high', modelVersion: 'test', reasons: ['test'] } } });
    await e.flush();
    return c;
  }
  const record = (input: RecordComplaintInput) => stack.gql(RecordComplaintDocument, { input }, Role.Operator);
  const complaintsOf = (customerId: string) => em().find(Complaint, { customer: customerId });
  const runsOf = (customerId: string) => em().count(PlaybookRun, { customer: customerId });

  it('keeps one complaint when the same one is sent three times with its openedAt: no second audit entry, not persistent, no fix', async () => {
    const c = await atRisk();
    const input = { customerId: c.id, topic: 'app-login', severity: 'Low' as const, summary: 'Cannot log in since Monday', openedAt: '2026-12-04T10:00:00Z' };
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await record(input));
    expect(answers.map((a) => a.errors)).toEqual([undefined, undefined, undefined]);
    const stored = await complaintsOf(c.id);
    expect(stored).toHaveLength(1);
    expect(answers.map((a) => a.data!.recordComplaint.id)).toEqual([stored[0].id, stored[0].id, stored[0].id]);
    expect(await audits(stored[0].id)).toHaveLength(1);
    expect(await runsOf(c.id)).toBe(0);
    // Another summary (or another moment) is another complaint.
    expect((await record({ ...input, summary: 'Still cannot log in' })).errors).toBeUndefined();
    expect((await record({ ...input, openedAt: '2026-12-04T10:00:00.001Z' })).errors).toBeUndefined();
    expect(await complaintsOf(c.id)).toHaveLength(3);
  });

  it('answers the stored complaint when one is sent again with its complaintRef, also without openedAt; an import of the reference updates it', async () => {
    const c = await atRisk();
    await em().nativeUpdate(Customer, { id: c.id }, { externalRef: `CUST-${c.id}` });
    const ref = `CRM-77-${c.id}`;
    const first = await record({ customerId: c.id, topic: 'app-login', severity: 'Low', summary: 'Cannot log in', complaintRef: ref });
    expect(first.data!.recordComplaint).toMatchObject({ externalRef: ref, topic: 'app-login' });
    const id = first.data!.recordComplaint.id;
    for (const again of [ref, ` ${ref} `]) {
      const retry = await record({ customerId: c.id, topic: 'App-Login', severity: 'Low', summary: ' Cannot log in ', complaintRef: again });
      expect(retry.errors).toBeUndefined();
      expect(retry.data!.recordComplaint).toMatchObject({ id, externalRef: ref, openedAt: first.data!.recordComplaint.openedAt });
    }
    // With the openedAt the first call stored, too.
    expect((await record({ customerId: c.id, topic: 'app-login', severity: 'Low', summary: 'Cannot log in', openedAt: first.data!.recordComplaint.openedAt, complaintRef: ref })).data!.recordComplaint.id).toBe(id);
    expect(await complaintsOf(c.id)).toHaveLength(1);
    expect((await audits(id)).map((a) => [a.action, a.after])).toEqual([['complaint.record', expect.objectContaining({ externalRef: ref })]]);
    expect(await runsOf(c.id)).toBe(0);
    // The CRM's export of the same complaint updates it.
    const resolvedAt = new Date().toISOString();
    const csv = `complaint_ref,customer_ref,topic,severity,opened_at,resolved_at\n${ref},CUST-${c.id},app-login,low,${first.data!.recordComplaint.openedAt},${resolvedAt}\n`;
    const imported = await stack.gql(ImportCsvDocument, { input: { kind: 'Complaints', csv } }, Role.Admin);
    expect(imported.data!.importCsv).toMatchObject({ inserted: 0, updated: 1, errors: [] });
    expect((await complaintsOf(c.id)).map((k) => [k.id, k.resolvedAt?.toISOString()])).toEqual([[id, resolvedAt]]);
  });

  it('refuses a complaintRef stored with other facts or for another customer with CONFLICT naming the stored complaint, and a blank or too long one', async () => {
    const c = await newCustomer();
    const ref = `CRM-88-${c.id}`;
    const input = { customerId: c.id, topic: 'billing-error', severity: 'Medium' as const, openedAt: '2026-11-01T08:00:00Z', complaintRef: ref };
    const id = (await record(input)).data!.recordComplaint.id;
    for (const other of [{ severity: 'High' as const }, { topic: 'delivery-delay' }, { summary: 'Charged twice' }, { openedAt: '2026-11-01T08:00:01Z' }, { productDefect: true }, { customerId: (await newCustomer()).id }]) {
      const refused = await record({ ...input, ...other });
      expect(refused.errors![0].message).toContain(`complaint ${id}`);
      expect(refused.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'COMPLAINT_REF_TAKEN', field: 'input.complaintRef', id });
    }
    expect(await em().count(Complaint, { externalRef: ref })).toBe(1);
    for (const bad of ['  ', 'x'.repeat(201)]) {
      expect((await record({ ...input, complaintRef: bad })).errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'COMPLAINT_INVALID_INPUT', field: 'input.complaintRef' });
    }
    // 200 characters (not UTF-16 units: "€" is one) are taken, as the import takes them.
    expect((await record({ ...input, complaintRef: `€${'x'.repeat(199)}` })).data!.recordComplaint.externalRef).toBe(`€${'x'.repeat(199)}`);
  });

  it('takes a complaintRef in Unicode NFC, as the import takes complaint_ref, and refuses one with an invisible character (QA 70 F1)', async () => {
    const c = await atRisk();
    await em().nativeUpdate(Customer, { id: c.id }, { externalRef: `CUST-NFC-${c.id}` });
    const nfc = `JOSÉ-1-${c.id}`;
    const nfd = nfc.normalize('NFD');
    expect(nfd).not.toBe(nfc);
    const input = { customerId: c.id, topic: 'app-login', severity: 'Low' as const, openedAt: '2026-11-02T08:00:00Z' };
    const first = await record({ ...input, complaintRef: nfd });
    expect(first.errors).toBeUndefined();
    expect(first.data!.recordComplaint.externalRef).toBe(nfc);
    // The other spelling is the same complaint, through the API and through the import.
    expect((await record({ ...input, complaintRef: nfc })).data!.recordComplaint.id).toBe(first.data!.recordComplaint.id);
    const csv = `complaint_ref,customer_ref,topic,severity,opened_at\n${nfc},CUST-NFC-${c.id},app-login,low,${input.openedAt}\n`;
    expect((await stack.gql(ImportCsvDocument, { input: { kind: 'Complaints', csv } }, Role.Admin)).data!.importCsv).toMatchObject({ inserted: 0, errors: [] });
    expect(await complaintsOf(c.id)).toHaveLength(1);
    for (const [bad, code] of [[`C-100\u200b-${c.id}`, 'U+200B'], [`\u202eC-101-${c.id}`, 'U+202E'], [`C-102\t-${c.id}`, 'U+0009']]) {
      const refused = await record({ ...input, complaintRef: bad });
      expect(refused.errors![0].message).toContain(`invisible or control character (${code})`);
      expect(refused.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'COMPLAINT_INVALID_INPUT', field: 'input.complaintRef' });
    }
    expect(await complaintsOf(c.id)).toHaveLength(1);
  });

  it('keeps one complaint when the same one comes in several times at the same moment, with a reference or without', async () => {
    const c = await atRisk();
    const ref = `CRM-99-${c.id}`;
    const withRef = await Promise.all([1, 2, 3, 4].map(() => record({ customerId: c.id, topic: 'delivery-delay', severity: 'High', complaintRef: ref })));
    expect(withRef.map((r) => r.errors)).toEqual([undefined, undefined, undefined, undefined]);
    expect(new Set(withRef.map((r) => r.data!.recordComplaint.id)).size).toBe(1);
    const openedAt = '2026-12-01T12:00:00.123Z';
    const withoutRef = await Promise.all([1, 2, 3].map(() => record({ customerId: c.id, topic: 'delivery-delay', severity: 'High', openedAt })));
    expect(withoutRef.map((r) => r.errors)).toEqual([undefined, undefined, undefined]);
    expect(new Set(withoutRef.map((r) => r.data!.recordComplaint.id)).size).toBe(1);
    expect(await complaintsOf(c.id)).toHaveLength(2);
    expect(await runsOf(c.id)).toBe(0);
    // One reference, other facts, at the same moment: one is stored, the others are refused.
    const clash = await Promise.all((['Low', 'Medium', 'Critical'] as const).map((severity) => record({ customerId: c.id, topic: 'app-login', severity, complaintRef: `${ref}-b` })));
    expect(clash.filter((r) => !r.errors)).toHaveLength(1);
    expect(clash.filter((r) => r.errors).map((r) => r.errors![0].extensions!.reason)).toEqual(['COMPLAINT_REF_TAKEN', 'COMPLAINT_REF_TAKEN']);
    expect(await complaintsOf(c.id)).toHaveLength(3);
  });
});

describe('recordPayment', () => {
  it.each(allRoles)('as %s', async (role) => {
    const invoice = await newInvoice(await newCustomer());
    const r = await stack.gql(RecordPaymentDocument, { input: { invoiceId: invoice.id, amountMinor: 10_000, paidAt: '2026-10-10' } }, role);
    const row = await em().findOneOrFail(Invoice, invoice.id);
    if (allowed.has(role)) {
      expect(r.data!.recordPayment).toMatchObject({ id: invoice.id, paidAt: '2026-10-10' });
      expect(row.paidAt).toBe('2026-10-10');
    } else {
      expect(r.errors![0].extensions!.code).toBe('FORBIDDEN');
      expect(row.paidAt).toBeNull();
      expect(await em().count(Payment, { invoice: invoice.id })).toBe(0);
    }
  });

  it('marks the invoice paid on the day payments first cover it, and refuses paying it again', async () => {
    const invoice = await newInvoice(await newCustomer(), 10_000);
    const part = await stack.gql(RecordPaymentDocument, { input: { invoiceId: invoice.id, amountMinor: 4_000, paidAt: '2026-10-05' } }, Role.Operator);
    expect(part.data!.recordPayment.paidAt).toBeNull();
    const rest = await stack.gql(RecordPaymentDocument, { input: { invoiceId: invoice.id, amountMinor: 6_000, paidAt: '2026-10-20' } }, Role.Operator);
    expect(rest.data!.recordPayment.paidAt).toBe('2026-10-20');
    const again = await stack.gql(RecordPaymentDocument, { input: { invoiceId: invoice.id, amountMinor: 1, paidAt: '2026-10-21' } }, Role.Operator);
    expect(again.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'INVOICE_ALREADY_PAID' });
    expect(await em().count(Payment, { invoice: invoice.id })).toBe(2);
    expect((await audits(invoice.id)).map((a) => a.after)).toEqual([
      expect.objectContaining({ paidAt: null, paidMinor: 4_000 }),
      expect.objectContaining({ paidAt: '2026-10-20', paidMinor: 10_000 }),
    ]);
  });

  it('refuses a payment reference already taken, also by a payment recorded for another invoice at the same moment', async () => {
    const customer = await newCustomer();
    for (let round = 0; round < 4; round++) {
      const externalRef = `PAY-RACE-${round}-${customer.id}`;
      const invoices = [await newInvoice(customer), await newInvoice(customer)];
      const both = await Promise.all(invoices.map((invoice) => stack.gql(RecordPaymentDocument, { input: { invoiceId: invoice.id, amountMinor: 10_000, externalRef } }, Role.Operator)));
      expect(both.filter((r) => r.errors === undefined)).toHaveLength(1);
      expect(both.find((r) => r.errors)!.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'PAYMENT_REF_TAKEN', field: 'input.externalRef' });
      expect(await em().count(Payment, { externalRef })).toBe(1);
    }
  });

  it('takes a payment reference in Unicode NFC, as the payments import does, and refuses one with an invisible character (QA 70 F1)', async () => {
    const customer = await newCustomer();
    const nfc = `BANK-É-${customer.id}`;
    const first = await stack.gql(RecordPaymentDocument, { input: { invoiceId: (await newInvoice(customer)).id, amountMinor: 1_000, externalRef: nfc.normalize('NFD') } }, Role.Operator);
    expect(first.errors).toBeUndefined();
    expect((await em().findOneOrFail(Payment, { invoice: first.data!.recordPayment.id })).externalRef).toBe(nfc);
    const other = await stack.gql(RecordPaymentDocument, { input: { invoiceId: (await newInvoice(customer)).id, amountMinor: 1_000, externalRef: nfc } }, Role.Operator);
    expect(other.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'PAYMENT_REF_TAKEN' });
    const invisible = await stack.gql(RecordPaymentDocument, { input: { invoiceId: (await newInvoice(customer)).id, amountMinor: 1_000, externalRef: `BANK-2\u200b-${customer.id}` } }, Role.Operator);
    expect(invisible.errors![0].message).toContain('invisible or control character (U+200B)');
    expect(invisible.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'PAYMENT_INVALID', field: 'input.externalRef' });
    expect(await em().count(Payment, { invoice: { customer: customer.id } })).toBe(1);
  });

  it('dates a payment recorded without a day by the day it is where the customer lives', async () => {
    // Kiritimati (UTC+14) and Pago Pago (UTC-11) are never on the same day: at least one of them is not on UTC's.
    for (const timeZone of ['Pacific/Kiritimati', 'Pacific/Pago_Pago']) {
      const customer = await newCustomer();
      await em().nativeUpdate(Customer, { id: customer.id }, { timeZone });
      const invoice = await newInvoice(customer);
      const before = dayIn(timeZone);
      const r = await stack.gql(RecordPaymentDocument, { input: { invoiceId: invoice.id, amountMinor: 10_000 } }, Role.Operator);
      expect([before, dayIn(timeZone)]).toContain(r.data!.recordPayment.paidAt);
    }
  });

  it('refuses a payment above what is still owed, saying what is, and books one sent twice without a reference only as long as it fits (QA 59 F3)', async () => {
    const invoice = await newInvoice(await newCustomer(), 6_802);
    expect((await stack.gql(RecordPaymentDocument, { input: { invoiceId: invoice.id, amountMinor: 1_000, externalRef: `QA59-P1-${invoice.id}` } }, Role.Operator)).errors).toBeUndefined();
    // A misplaced decimal point: 1,000.00 for 10.00.
    const over = await stack.gql(RecordPaymentDocument, { input: { invoiceId: invoice.id, amountMinor: 100_000, externalRef: `QA59-P2-${invoice.id}` } }, Role.Operator);
    expect(over.errors![0]).toMatchObject({
      message: 'amountMinor 100000 is more than is still owed on the invoice: 5802 minor units (its amount 6802 less 1000 paid so far)',
      extensions: { code: 'VALIDATION', reason: 'PAYMENT_INVALID', field: 'input.amountMinor', outstandingMinor: 5_802 },
    });
    expect(await em().count(Payment, { invoice: invoice.id })).toBe(1);
    expect((await stack.gql(RecordPaymentDocument, { input: { invoiceId: invoice.id, amountMinor: 5_802 } }, Role.Operator)).data!.recordPayment.paidAt).not.toBeNull();

    // The same request sent twice at once, without externalRef: two payments, both owed; a third is more than is left.
    const twice = await newInvoice(await newCustomer(), 43_508);
    const both = await Promise.all([1, 2].map(() => stack.gql(RecordPaymentDocument, { input: { invoiceId: twice.id, amountMinor: 20_000 } }, Role.Operator)));
    expect(both.map((r) => r.errors)).toEqual([undefined, undefined]);
    const third = await stack.gql(RecordPaymentDocument, { input: { invoiceId: twice.id, amountMinor: 20_000 } }, Role.Operator);
    expect(third.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'PAYMENT_INVALID', field: 'input.amountMinor', outstandingMinor: 3_508 });
    expect(await em().count(Payment, { invoice: twice.id })).toBe(2);
    expect((await em().findOneOrFail(Invoice, twice.id)).paidAt).toBeNull();
  });

  it('refuses a payment without a day for an invoice issued ahead, naming its issue day, rather than dating it in the future (QA 59 F2)', async () => {
    const customer = await newCustomer();
    const issuedAt = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    const e = em();
    const ahead = e.create(Invoice, { customer: e.getReference(Customer, customer.id), issuedAt, dueAt: issuedAt, amountMinor: 2_000 });
    await e.flush();
    const r = await stack.gql(RecordPaymentDocument, { input: { invoiceId: ahead.id, amountMinor: 2_000 } }, Role.Operator);
    expect(r.errors![0]).toMatchObject({
      message: `paidAt must not be before the invoice was issued (${issuedAt}), a day not yet reached: record the payment once it is`,
      extensions: { code: 'VALIDATION', reason: 'PAYMENT_INVALID', field: 'input.paidAt' },
    });
    expect(await em().count(Payment, { invoice: ahead.id })).toBe(0);
    expect((await em().findOneOrFail(Invoice, ahead.id)).paidAt).toBeNull();

    // Issued today where the billing system is, a day the customer far west has not reached yet: taken, dated on its issue day (review 36 F2).
    const west = await newCustomer();
    await em().nativeUpdate(Customer, { id: west.id }, { timeZone: 'Pacific/Pago_Pago' });
    const issuedEast = dayIn('Pacific/Kiritimati');
    const f = em();
    const east = f.create(Invoice, { customer: f.getReference(Customer, west.id), issuedAt: issuedEast, dueAt: issuedEast, amountMinor: 2_000 });
    await f.flush();
    const paid = await stack.gql(RecordPaymentDocument, { input: { invoiceId: east.id, amountMinor: 2_000 } }, Role.Operator);
    expect(paid.errors).toBeUndefined();
    expect((await em().findOneOrFail(Invoice, east.id)).paidAt).toBe(issuedEast);
  });

  it('counts a payment recorded late on the day it was paid, as the payments import does', async () => {
    const invoice = await newInvoice(await newCustomer(), 8_000);
    await stack.gql(RecordPaymentDocument, { input: { invoiceId: invoice.id, amountMinor: 5_000, paidAt: '2026-10-10' } }, Role.Operator);
    // Recorded now, paid on the 5th: 30 + 50 covered the 80 on the 10th.
    const late = await stack.gql(RecordPaymentDocument, { input: { invoiceId: invoice.id, amountMinor: 3_000, paidAt: '2026-10-05' } }, Role.Operator);
    expect(late.data!.recordPayment.paidAt).toBe('2026-10-10');
  });

  it("rescores the customer's payment loyalty as of their own day, so a payment made where it is already tomorrow in UTC terms counts as paid", async () => {
    // A moment when it is already the next day in Tokyo (15:00 to 24:00 UTC): now if it is one, else 16:00 UTC today. Only the clock is moved.
    const real = new Date();
    const evening = real.getUTCHours() >= 15 ? real : new Date(Date.UTC(real.getUTCFullYear(), real.getUTCMonth(), real.getUTCDate(), 16));
    jest.useFakeTimers({ now: evening, advanceTimers: true, doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    try {
      const utcDay = new Date().toISOString().slice(0, 10);
      const daysAgo = (n: number) => new Date(Date.parse(utcDay) - n * 86_400_000).toISOString().slice(0, 10);
      const customer = await newCustomer();
      await em().nativeUpdate(Customer, { id: customer.id }, { timeZone: 'Asia/Tokyo' });
      const e = em();
      const invoice = e.create(Invoice, { customer: e.getReference(Customer, customer.id), issuedAt: daysAgo(60), dueAt: daysAgo(45), amountMinor: 10_000 });
      await e.flush();
      const paid = await stack.gql(RecordPaymentDocument, { input: { invoiceId: invoice.id, amountMinor: 10_000 } }, Role.Operator);
      expect(paid.data!.recordPayment.paidAt).toBe(dayIn('Asia/Tokyo'));
      expect(paid.data!.recordPayment.paidAt! > utcDay).toBe(true);
      const loyalty = (await stack.gql(CustomerScoresDocument, { id: customer.id, historyKind: 'PaymentLoyalty' }, Role.Viewer)).data!.customer!.scores.find((s) => s.kind === 'PaymentLoyalty')!;
      expect(loyalty.reasons).toContain('the most recent invoice was paid late');
      expect(loyalty.reasons.filter((r) => r.includes('unpaid'))).toEqual([]);
    } finally {
      jest.useRealTimers();
    }
  });

  it("rescores a customer behind UTC as of UTC's day, whatever day an invoice is issued for (QA 19 F4)", async () => {
    // Noon UTC: already tomorrow somewhere on earth, still today in Los Angeles. Only the clock is moved.
    const real = new Date();
    jest.useFakeTimers({ now: new Date(Date.UTC(real.getUTCFullYear(), real.getUTCMonth(), real.getUTCDate(), 12)), advanceTimers: true, doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    try {
      const utcDay = new Date().toISOString().slice(0, 10);
      const day = (n: number) => new Date(Date.parse(utcDay) + n * 86_400_000).toISOString().slice(0, 10);
      const customer = await newCustomer();
      await em().nativeUpdate(Customer, { id: customer.id }, { timeZone: 'America/Los_Angeles' });
      const e = em();
      const overdue = e.create(Invoice, { customer: e.getReference(Customer, customer.id), issuedAt: day(-60), dueAt: day(-45), amountMinor: 10_000 });
      // Billed ahead: issued tomorrow. A day it is issued for is no day the customer has reached.
      e.create(Invoice, { customer: e.getReference(Customer, customer.id), issuedAt: day(1), dueAt: day(15), amountMinor: 10_000 });
      await e.flush();
      expect((await stack.gql(RecordPaymentDocument, { input: { invoiceId: overdue.id, amountMinor: 10_000 } }, Role.Operator)).errors).toBeUndefined();
      const loyalty = (await stack.gql(CustomerScoresDocument, { id: customer.id, historyKind: 'PaymentLoyalty' }, Role.Viewer)).data!.customer!.scores.find((s) => s.kind === 'PaymentLoyalty')!;
      expect(loyalty.asOf).toBe(utcDay);
    } finally {
      jest.useRealTimers();
    }
  });

  it('keeps a loyal payer loyal once both invoices of one missed billing run are paid late: one lapse, one slip forgiven', async () => {
    const utcDay = new Date().toISOString().slice(0, 10);
    const day = (n: number) => new Date(Date.parse(utcDay) + n * 86_400_000).toISOString().slice(0, 10);
    const customer = await newCustomer();
    const e = em();
    // Twelve invoices 30 days apart, each paid on its due day; then the two of one billing run, due 20 and 19 days ago.
    for (let k = 12; k >= 1; k--) e.create(Invoice, { customer: e.getReference(Customer, customer.id), issuedAt: day(-34 - 30 * k), dueAt: day(-20 - 30 * k), paidAt: day(-20 - 30 * k), amountMinor: 5_000 });
    const first = e.create(Invoice, { customer: e.getReference(Customer, customer.id), issuedAt: day(-34), dueAt: day(-20), amountMinor: 5_000 });
    const second = e.create(Invoice, { customer: e.getReference(Customer, customer.id), issuedAt: day(-33), dueAt: day(-19), amountMinor: 7_000 });
    await e.flush();
    const loyalty = async () => (await stack.gql(CustomerScoresDocument, { id: customer.id, historyKind: 'PaymentLoyalty' }, Role.Viewer)).data!.customer!.scores.find((s) => s.kind === 'PaymentLoyalty')!;
    // Both paid five days ago, 15 and 14 days late, each recorded on its own.
    expect((await stack.gql(RecordPaymentDocument, { input: { invoiceId: first.id, amountMinor: 5_000, paidAt: day(-5) } }, Role.Operator)).errors).toBeUndefined();
    expect((await loyalty()).band).toBe('loyal');
    expect((await stack.gql(RecordPaymentDocument, { input: { invoiceId: second.id, amountMinor: 7_000, paidAt: day(-5) } }, Role.Operator)).errors).toBeUndefined();
    const score = await loyalty();
    expect(score).toMatchObject({ band: 'loyal', asOf: utcDay, modelVersion: 'payment-loyalty/12;policy=2' });
    // The record still shows both invoices paid late; the band counts them as the one slip they were.
    expect(score.reasons).toContain('2 late payments in the last 12 months');
    expect(score.reasons.at(-1)).toBe("one lapse (2 invoices overdue together, all paid within 15 days of the first one's due day) in the last 12 months after 12 on time in a row: still loyal");
  });

  it('keeps a loyal payer loyal who pays the three invoices of one missed billing period each with a payment of its own, on days of their own', async () => {
    const utcDay = new Date().toISOString().slice(0, 10);
    const day = (n: number) => new Date(Date.parse(utcDay) + n * 86_400_000).toISOString().slice(0, 10);
    const customer = await newCustomer();
    const e = em();
    // Twelve invoices 30 days apart, each paid on its due day; then three due 30, 20 and 15 days ago, overdue together.
    for (let k = 12; k >= 1; k--) e.create(Invoice, { customer: e.getReference(Customer, customer.id), issuedAt: day(-44 - 30 * k), dueAt: day(-30 - 30 * k), paidAt: day(-30 - 30 * k), amountMinor: 5_000 });
    const missed = [-30, -20, -15].map((due) => e.create(Invoice, { customer: e.getReference(Customer, customer.id), issuedAt: day(due - 14), dueAt: day(due), amountMinor: 5_000 }));
    await e.flush();
    const loyalty = async () => (await stack.gql(CustomerScoresDocument, { id: customer.id, historyKind: 'PaymentLoyalty' }, Role.Viewer)).data!.customer!.scores.find((s) => s.kind === 'PaymentLoyalty')!;
    // One reminder each, one transfer each: paid 8, 5 and 3 days ago (22, 15 and 12 days late; the last 27 days after the
    // first one's due day). Each payment's rescore keeps the band: one lapse, forgiven after 12 on time in a row.
    for (const [invoice, paidAt] of [[missed[0], -8], [missed[1], -5], [missed[2], -3]] as const) {
      expect((await stack.gql(RecordPaymentDocument, { input: { invoiceId: invoice.id, amountMinor: 5_000, paidAt: day(paidAt) } }, Role.Operator)).errors).toBeUndefined();
      expect((await loyalty()).band).toBe('loyal');
    }
    const score = await loyalty();
    expect(score.reasons).toContain('3 late payments in the last 12 months');
    expect(score.reasons.at(-1)).toBe("one lapse (3 invoices overdue together, all paid within 27 days of the first one's due day) in the last 12 months after 12 on time in a row: still loyal");
  });

  it('refuses a non-positive or an oversized amount, a bad date, a future or pre-invoice date and an unknown invoice', async () => {
    const invoice = await newInvoice(await newCustomer());
    const zero = await stack.gql(RecordPaymentDocument, { input: { invoiceId: invoice.id, amountMinor: 0 } }, Role.Operator);
    expect(zero.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'PAYMENT_INVALID', field: 'input.amountMinor' });
    // No more than the payments import takes (13 integer digits): a misplaced decimal point, not a payment.
    for (const amountMinor of [1_000_000_000_000_000, Number.MAX_SAFE_INTEGER]) {
      const huge = await stack.gql(RecordPaymentDocument, { input: { invoiceId: invoice.id, amountMinor } }, Role.Operator);
      expect(huge.errors![0]).toMatchObject({
        message: 'amountMinor must be at most 999999999999999 minor units (13 integer digits, as the import takes)',
        extensions: { code: 'VALIDATION', reason: 'PAYMENT_INVALID', field: 'input.amountMinor' },
      });
    }
    const future = await stack.gql(RecordPaymentDocument, { input: { invoiceId: invoice.id, amountMinor: 5, paidAt: '2030-01-01' } }, Role.Operator);
    expect(future.errors![0]).toMatchObject({ message: 'paidAt must not be in the future', extensions: { code: 'VALIDATION', reason: 'PAYMENT_INVALID', field: 'input.paidAt' } });
    const beforeIssue = await stack.gql(RecordPaymentDocument, { input: { invoiceId: invoice.id, amountMinor: 5, paidAt: '2026-09-30' } }, Role.Operator);
    expect(beforeIssue.errors![0]).toMatchObject({ message: 'paidAt must not be before the invoice was issued (2026-10-01)', extensions: { code: 'VALIDATION', field: 'input.paidAt' } });
    const ancient = await stack.gql(RecordPaymentDocument, { input: { invoiceId: invoice.id, amountMinor: 5, paidAt: '1899-12-31' } }, Role.Operator);
    expect(ancient.errors![0]).toMatchObject({ message: 'paidAt must not be before 1900-01-01', extensions: { code: 'VALIDATION', reason: 'PAYMENT_INVALID', field: 'input.paidAt' } });
    const date = await stack.gql(RecordPaymentDocument, { input: { invoiceId: invoice.id, amountMinor: 5, paidAt: '2026-13-45' } }, Role.Operator);
    // Refused by GraphQL's own coercion of the variable, named as every other refusal names its input.
    expect(date.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_VARIABLE', variable: 'input', field: 'input.paidAt', fields: [{ field: 'input.paidAt', messages: [expect.stringMatching(/paidAt/)] }] });
    const unknown = await stack.gql(RecordPaymentDocument, { input: { invoiceId: '00000000-0000-4000-8000-000000000000', amountMinor: 5 } }, Role.Operator);
    expect(unknown.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'INVOICE_NOT_FOUND' });
    expect(await em().count(Payment, { invoice: invoice.id })).toBe(0);
  });
});

it('reads what a mutation wrote through the same API', async () => {
  const c = await newCustomer();
  await stack.gql(UpdateCustomerDocument, { id: c.id, input: { timeZone: 'Europe/Berlin' } }, Role.Admin);
  const r = await stack.gql(CustomerDocument, { id: c.id }, Role.Viewer);
  expect(r.data!.customer!.timeZone).toBe('Europe/Berlin');
  // India's IANA name, which the runtime lists only as Asia/Calcutta.
  expect((await stack.gql(UpdateCustomerDocument, { id: c.id, input: { timeZone: 'Asia/Kolkata' } }, Role.Admin)).errors).toBeUndefined();
  expect((await stack.gql(CustomerDocument, { id: c.id }, Role.Viewer)).data!.customer!.timeZone).toBe('Asia/Kolkata');
  expect(testKeys[Role.Viewer]).toBeDefined();
});

it('names the argument an unknown ID or a page size came in, so a form can show the error beside it (QA 29 F6)', async () => {
  const nobody = '00000000-0000-4000-8000-000000000000';
  const fieldOf = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => [result.errors?.[0]?.extensions?.code, result.errors?.[0]?.extensions?.field];
  expect(fieldOf(await stack.gql(RecordComplaintDocument, { input: { customerId: nobody, topic: 'x', severity: 'Low' } }, Role.Operator))).toEqual(['NOT_FOUND', 'input.customerId']);
  expect(fieldOf(await stack.gql(RecordPaymentDocument, { input: { invoiceId: nobody, amountMinor: 100 } }, Role.Operator))).toEqual(['NOT_FOUND', 'input.invoiceId']);
  expect(fieldOf(await stack.gql(UpdateSegmentDocument, { id: nobody, input: { name: 'x' } }, Role.Marketer))).toEqual(['NOT_FOUND', 'id']);
  expect(fieldOf(await stack.gql(PauseCampaignDocument, { id: nobody }, Role.Marketer))).toEqual(['NOT_FOUND', 'id']);
  expect(fieldOf(await stack.gql(RetryMessageDocument, { id: nobody }, Role.Operator))).toEqual(['NOT_FOUND', 'id']);
  expect(fieldOf(await stack.gql(CancelPlaybookRunDocument, { workflowId: `fair-reminder/${nobody}/${nobody}`, reason: 'test' }, Role.Operator))).toEqual(['NOT_FOUND', 'workflowId']);
  // Complaints, offers, API keys and rescores name theirs too (QA 62 F4).
  expect(fieldOf(await stack.gql(ResolveComplaintDocument, { id: nobody }, Role.Operator))).toEqual(['NOT_FOUND', 'id']);
  expect(fieldOf(await stack.gql(ReopenComplaintDocument, { id: nobody }, Role.Operator))).toEqual(['NOT_FOUND', 'id']);
  expect(fieldOf(await stack.gql(EndOfferDocument, { id: nobody }, Role.Marketer))).toEqual(['NOT_FOUND', 'id']);
  expect(fieldOf(await stack.gql(RevokeApiKeyDocument, { id: nobody }, Role.Admin))).toEqual(['NOT_FOUND', 'id']);
  expect(fieldOf(await stack.gql(CancelRescoreDocument, { id: `rescore/${nobody}` }, Role.Admin))).toEqual(['NOT_FOUND', 'id']);
  const em = stack.orm.em.fork();
  const someone = em.create(Customer, { name: 'Page Size', email: 'page.size@example.com', acquiredAt: '2025-01-01' });
  await em.flush();
  expect(fieldOf(await stack.gql(CustomerOrdersDocument, { id: someone.id, first: 0 }, Role.Viewer))).toEqual(['VALIDATION', 'first']);
});
