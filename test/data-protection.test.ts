import { defaultPolicies } from '../src/domain/policies/index.js';
import { sql } from 'kysely';
import { Role } from '../src/domain/auth/roles.js';
import { dataRetentionPolicy } from '../src/domain/customers/data-retention.js';
import { welcomeCheckWorkflowId } from '../src/domain/playbooks/welcome-check.js';
import { AuditEntry, Campaign, CampaignGroup, CampaignMember, Complaint, ComplaintSeverity, CostEntry, CostKind, Customer, CustomerExport, CustomerStatus, FixCase, Invoice, MessageChannel, MessagePurpose, Order, OutboxMessage, PlaybookRun, ScoreSnapshot, ServiceTier, ServiceTierChange, TierChangeSource } from '../src/entities/index.js';
import { createServices } from '../src/services/index.js';
import { CONSENT_WITHDRAWN_BY_ERASURE, ERASURE_KEPT, EXPORT_AUDIT_SECTIONS, EXPORT_SECTIONS, REFERRAL_AMOUNTS_LEFT_OUT } from '../src/services/customers/customer-data-export.service.js';
import { ABOUT_THEM, CONTACT_DATA_ENTRIES, PERSONAL_FIELD_NAMES, TYPED_DECISION, TYPED_INPUTS } from '../src/services/customers/customer-erasure.service.js';
import { typedTexts, type TypedMessage } from '../src/domain/customers/typed-input.js';
import { fairReminderWorkflowId } from '../src/domain/playbooks/fair-reminder.js';
import { steeringAudited, temporalOperator } from './support/temporal-operator.js';
import { ERASED_MENTION } from '../src/domain/customers/personal-mentions.js';
import { DeliveryService } from '../src/services/outbox/delivery.service.js';
import type { MessageSender, RenderedMessage } from '../src/services/outbox/message-sender.js';
import { TemporalCampaignEngine } from '../src/temporal/temporal-campaign-engine.js';
import { TemporalPlaybookEngine } from '../src/temporal/temporal-playbook-engine.js';
import { TemporalScoringEngine } from '../src/temporal/temporal-scoring-engine.js';
import { dataRetentionScheduleId } from '../src/temporal/schedules.js';
import type { eraseExpiredCustomerData } from '../workflows/index.js';
import {
  CancelPlaybookRunDocument,
  CreateSegmentDocument,
  CustomerTimelineDocument,
  DiscardMessageDocument,
  DisputeInvoiceDocument,
  EraseCustomerDocument,
  ExportCustomerDataDocument,
  OperationsStatusDocument,
  OptOutDocument,
  PromiseToPayDocument,
  RecordComplaintDocument,
  RecordPaymentDocument,
  ReopenComplaintDocument,
  ResolveComplaintDocument,
  ResolveDisputeDocument,
  StartFairReminderDocument,
  StartFixIssueDocument,
  StartWelcomeCheckDocument,
  UpdateCustomerDocument,
} from './__generated__/graphql.js';
import { eventually } from './support/eventually.js';
import { startTestStack, type TestStack } from './support/stack.js';
import { RunStatus } from '../src/domain/playbooks/run-status.js';

/** The customer's rights through GraphQL: access to everything stored about them, and erasure (what goes, what stays, what nobody may do afterwards). */
/** A customer who joined a month ago: a welcome check (the playbook these tests start) is for newcomers. */
const joinedLately = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);

let stack: TestStack;
const em = () => stack.orm.em.fork();

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

/** A customer with personal data in every place the erasure must reach. */
async function customerWithHistory(): Promise<{ customer: Customer; invoice: Invoice }> {
  const e = em();
  const tag = Math.random().toString(36).slice(2, 8);
  const customer = e.create(Customer, {
    name: 'Ada Lovelace',
    email: `ada.${tag}@example.com`,
    phone: '+44 20 7946 0000',
    timeZone: 'Europe/London',
    externalRef: `crm-${tag}`,
    marketingConsent: true,
    acquiredAt: joinedLately,
  });
  e.create(Complaint, { customer, topic: 'delivery-delay', severity: ComplaintSeverity.Medium, summary: 'Parcel left outside 12 Baker Street again', openedAt: new Date('2026-11-20T10:00:00Z') });
  e.create(CustomerExport, { workflowId: `account-review/${customer.id}`, customer, document: { name: 'Ada Lovelace', email: customer.email }, createdAt: new Date() });
  e.create(OutboxMessage, { idempotencyKey: `test/${customer.id}/offer`, customer, channel: MessageChannel.Email, purpose: MessagePurpose.Marketing, template: 'appreciation-thanks', payload: {}, sendAfter: new Date(Date.now() + 3_600_000) });
  // A message that went out, kept as she read it.
  e.create(OutboxMessage, { idempotencyKey: `test/${customer.id}/welcome`, customer, channel: MessageChannel.Email, purpose: MessagePurpose.Service, template: 'welcome', payload: {}, sentAt: new Date(), sentName: 'Ada Lovelace', sentLocale: 'en' });
  const invoice = e.create(Invoice, { customer, issuedAt: '2026-10-01', dueAt: '2026-10-15', amountMinor: 12_000 });
  await e.flush();
  // An earlier change of contact data: the audit log holds the old and new values.
  const updated = await stack.gql(UpdateCustomerDocument, { id: customer.id, input: { name: 'Ada King', phone: '+44 20 7946 0001' } }, Role.Operator);
  expect(updated.errors).toBeUndefined();
  return { customer, invoice };
}

const runStatus = async (workflowId: string) => (await em().findOne(PlaybookRun, { workflowId }))?.status ?? null;

it('exports everything stored about a customer on request, with the reasons behind their scores, and audits who asked', async () => {
  const e = em();
  const referrer = e.create(Customer, { name: 'William Somerville', email: `william.${Math.random()}@example.com`, acquiredAt: '2023-01-01' });
  const crmRef = `CRM-${Math.random()}`;
  const customer = e.create(Customer, { externalRef: crmRef, name: 'Mary Somerville', email: `mary.${Math.random()}@example.com`, phone: '+44 131 496 0000', acquiredAt: joinedLately, referrer });
  e.create(Order, { customer, orderedAt: new Date('2026-09-01T10:00:00Z'), amountMinor: 4_500, externalRef: 'ORD-1' });
  e.create(CostEntry, { customer, occurredAt: '2026-10-20', kind: CostKind.SupportMinutes, amountMinor: 1_800, quantity: 12 });
  e.create(ServiceTierChange, { customer, changedOn: '2026-10-25', fromTier: ServiceTier.Premium, toTier: ServiceTier.Standard, source: TierChangeSource.AccountReview });
  const campaign = e.create(Campaign, { name: 'Autumn thanks', playbook: 'appreciation', segment: {}, createdBy: 'marketer:test' });
  e.create(CampaignMember, { campaign, customer, group: CampaignGroup.Holdout, enrolledAt: new Date('2026-11-01T09:00:00Z') });
  const invoiceRef = `INV-${Math.random()}`;
  const invoice = e.create(Invoice, { customer, externalRef: invoiceRef, issuedAt: '2026-10-01', dueAt: '2026-10-15', amountMinor: 4_500, remindersSent: 2, feeChargedMinor: 500, feeWaivedMinor: 0 });
  await e.flush();
  expect((await stack.gql(RecordPaymentDocument, { input: { invoiceId: invoice.id, amountMinor: 2_000, paidAt: '2026-10-10' } }, Role.Operator)).errors).toBeUndefined();
  const complaint = await stack.gql(RecordComplaintDocument, { input: { customerId: customer.id, topic: 'billing-error', severity: 'Medium', summary: 'Charged twice in October' } }, Role.Operator);
  // Closed too early, and reopened: a persistent issue, so its fix may start.
  expect((await stack.gql(ResolveComplaintDocument, { id: complaint.data!.recordComplaint.id }, Role.Operator)).errors).toBeUndefined();
  expect((await stack.gql(ReopenComplaintDocument, { id: complaint.data!.recordComplaint.id }, Role.Operator)).errors).toBeUndefined();
  expect((await stack.gql(StartWelcomeCheckDocument, { customerId: customer.id }, Role.Marketer)).errors).toBeUndefined();
  expect((await stack.gql(StartFixIssueDocument, { customerId: customer.id, topic: 'billing-error' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => runStatus(welcomeCheckWorkflowId(customer.id)), (s) => s === RunStatus.Running, 20_000);
  await eventually(() => em().count(FixCase, { customer: customer.id }), (n) => n === 1, 20_000);
  // The fix case handed to the billing team: a task about her, not a message to her.
  await eventually(() => em().count(OutboxMessage, { customer: customer.id, template: 'fix-case-opened' }), (n) => n === 1, 20_000);
  // She agreed to marketing, then opted out: both belong to what is stored about her.
  expect((await stack.gql(UpdateCustomerDocument, { id: customer.id, input: { marketingConsent: true, consentReason: 'ticked the box on the order form of 2 November' } }, Role.Operator)).errors).toBeUndefined();
  expect((await stack.gql(OptOutDocument, { customerId: customer.id }, Role.Operator)).errors).toBeUndefined();
  // Reminded of the rest of the invoice, she promised to pay it.
  const until = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
  expect((await stack.gql(StartFairReminderDocument, { invoiceId: invoice.id }, Role.Operator)).errors).toBeUndefined();
  expect((await stack.gql(PromiseToPayDocument, { invoiceId: invoice.id, until }, Role.Operator)).errors).toBeUndefined();

  // Her churn risk moved from low to high between two nightly scorings.
  for (const [computedAt, band] of [['2026-11-20T02:00:00Z', 'low'], ['2026-11-21T02:00:00Z', 'high']] as const) {
    const nightly = em();
    nightly.create(ScoreSnapshot, { customer: nightly.getReference(Customer, customer.id), computedAt: new Date(computedAt), scores: { 'churn-risk': { value: null, band, modelVersion: 'test/1', reasons: [] } } });
    await nightly.flush();
  }

  for (const role of [Role.Viewer, Role.Marketer]) {
    const forbidden = await stack.gql(ExportCustomerDataDocument, { id: customer.id, reason: 'Request' }, role);
    expect(forbidden.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'AUTH_ROLE_NOT_ALLOWED' });
  }
  const noReason = await stack.gql(ExportCustomerDataDocument, { id: customer.id, reason: '' }, Role.Operator);
  expect(noReason.errors![0].extensions).toMatchObject({ code: 'VALIDATION', field: 'reason' });
  const essay = await stack.gql(ExportCustomerDataDocument, { id: customer.id, reason: 'x'.repeat(1001) }, Role.Operator);
  expect(essay.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'CUSTOMER_INVALID_INPUT', field: 'reason' });

  const exported = await stack.gql(ExportCustomerDataDocument, { id: customer.id, reason: 'Access request, letter of 1 December' }, Role.Operator);
  expect(exported.errors).toBeUndefined();
  const document = exported.data!.exportCustomerData as Record<string, unknown>;
  expect(document).toMatchObject({
    // F4: which currency the amounts are in, and how to read them.
    currency: { code: 'EUR', minorUnitDigits: 2 },
    about: { amounts: expect.stringContaining('minor units'), spellings: expect.stringContaining('fix-issue') },
    customer: { id: customer.id, reference: crmRef, name: 'Mary Somerville', email: customer.email, phone: '+44 131 496 0000', status: 'active', offboardedAt: null },
    erasure: null,
    orders: [{ orderedAt: '2026-09-01T10:00:00.000Z', amountMinor: 4_500, reference: 'ORD-1' }],
    invoices: [
      { id: invoice.id, reference: invoiceRef, dueAt: '2026-10-15', amountMinor: 4_500, paidAt: null, payments: [{ paidAt: '2026-10-10', amountMinor: 2_000 }], remindersSent: 2, feeChargedMinor: 500, feeWaivedMinor: 0 },
    ],
    costs: [{ occurredAt: '2026-10-20', kind: 'support_minutes', amountMinor: 1_800, quantity: 12, reference: null }],
    tierChanges: [{ changedOn: '2026-10-25', fromTier: 'premium', toTier: 'standard', source: 'account-review' }],
    // F3: how the company judged it, and how often it was reopened.
    complaints: [{ reference: null, topic: 'billing-error', severity: 'medium', productDefect: false, reopenedCount: 1, reopenedAt: expect.any(String), summary: 'Charged twice in October', resolvedAt: null }],
    fixCases: [{ topic: 'billing-error', owner: 'billing', status: 'open', resolvedAt: null }],
    campaigns: [{ campaign: 'Autumn thanks', playbook: 'appreciation', group: 'holdout', enrolledAt: '2026-11-01T09:00:00.000Z' }],
    referredBy: referrer.id,
    consentHistory: [
      { marketingConsent: true, how: 'ticked the box on the order form of 2 November' },
      { marketingConsent: false, how: 'opted out' },
    ],
    paymentPromises: [{ invoiceId: invoice.id, invoiceReference: invoiceRef, until }],
    scoreBandChanges: [
      { kind: 'churn-risk', changedAt: '2026-11-21T02:00:00.000Z', from: 'low', to: 'high' },
      { kind: 'persistent-issue', changedAt: expect.any(String), from: 'none', to: 'persistent' },
    ],
    playbookRuns: expect.arrayContaining([expect.objectContaining({ playbook: 'welcome-check', finishedAt: null }), expect.objectContaining({ playbook: 'fix-issue', finishedAt: null })]),
  });
  // The profiling a customer may ask about: each current score with the facts behind it.
  const scores = document.scores as { kind: string; reasons: string[]; modelVersion: string }[];
  expect(scores.find((s) => s.kind === 'persistent-issue')).toMatchObject({ reasons: [expect.stringMatching(/^"billing-error": complained about once in the last 90 days \(.*\), reopened once, 1 still open$/)], modelVersion: expect.any(String) });
  // And every score stored before, oldest first, with what each said of her then: the nights before today's scores too.
  const history = document.scoreHistory as { kind: string; asOf: string; computedAt: string; modelVersion: string }[];
  expect(history.filter((h) => h.modelVersion === 'test/1')).toEqual([
    { kind: 'churn-risk', asOf: '2026-11-20', computedAt: '2026-11-20T02:00:00.000Z', value: null, band: 'low', reasons: [], modelVersion: 'test/1' },
    { kind: 'churn-risk', asOf: '2026-11-21', computedAt: '2026-11-21T02:00:00.000Z', value: null, band: 'high', reasons: [], modelVersion: 'test/1' },
  ]);
  expect(history.map((h) => `${h.asOf} ${h.computedAt} ${h.kind}`)).toEqual(history.map((h) => `${h.asOf} ${h.computedAt} ${h.kind}`).sort());
  expect(history.filter((h) => h.kind === 'persistent-issue').length).toBeGreaterThanOrEqual(1);
  expect(await em().find(AuditEntry, { entityId: customer.id, action: 'customer.export' })).toEqual([
    expect.objectContaining({ actor: expect.stringMatching(/^operator:/), after: { reason: 'Access request, letter of 1 December' } }),
  ]);
  // F9: the fix case went to the billing team, the welcome to her.
  const messages = document.messages as { subject: string | null; to: string }[];
  expect(messages.filter((m) => m.subject?.startsWith('Fix case for')).map((m) => m.to)).toEqual(['team:billing']);
  expect(messages.filter((m) => !m.subject?.startsWith('Fix case for')).map((m) => m.to)).toEqual(messages.filter((m) => !m.subject?.startsWith('Fix case for')).map(() => 'you'));
  // Nothing of it is kept.
  expect(await em().count(CustomerExport, { customer: customer.id })).toBe(0);
  expect(document.dataExports).toEqual([]);

  // Every kind of record that belongs to a customer has its section: a new one is not left out of the document.
  const belongToCustomer = [...stack.orm.getMetadata()]
    .filter((meta) => meta.relations.some((r) => r.type === 'Customer'))
    .map((meta) => meta.className);
  expect(belongToCustomer.length).toBeGreaterThan(10);
  expect(belongToCustomer.filter((name) => !(name in EXPORT_SECTIONS))).toEqual([]);
  expect(Object.values(EXPORT_SECTIONS).filter((section) => !(section in document))).toEqual([]);
}, 60_000);

it("leaves out of a referrer's export what the customers they brought in are worth: the referral value's band only, and why", async () => {
  const e = em();
  const referrer = e.create(Customer, { name: 'Caroline Herschel', email: `caroline.${Math.random()}@example.com`, acquiredAt: '2023-01-01' });
  e.create(Customer, { name: 'Friend of Caroline', email: `friend.${Math.random()}@example.com`, acquiredAt: '2024-01-01', referrer });
  // One referral: the score's value and reasons are that one customer's margin.
  e.create(ScoreSnapshot, {
    customer: referrer,
    computedAt: new Date(),
    scores: {
      'referral-value': { value: 4_728, band: 'referrer', modelVersion: 'test/1', reasons: ['brought in 1 customer worth €47.28 in margin'] },
      'churn-risk': { value: 0.1, band: 'low', modelVersion: 'test/1', reasons: ['bought 3 times'] },
    },
  });
  await e.flush();
  const exported = await stack.gql(ExportCustomerDataDocument, { id: referrer.id, reason: 'Access request' }, Role.Operator);
  expect(exported.errors).toBeUndefined();
  const scores = (exported.data!.exportCustomerData as { scores: { kind: string; value: number | null; band: string | null; reasons: string[] }[] }).scores;
  expect(scores.find((x) => x.kind === 'referral-value')).toMatchObject({ value: null, band: 'referrer', reasons: [REFERRAL_AMOUNTS_LEFT_OUT] });
  expect(JSON.stringify(exported.data!.exportCustomerData)).not.toContain('47.28');
  // Her own scores stay whole.
  expect(scores.find((x) => x.kind === 'churn-risk')).toMatchObject({ value: 0.1, band: 'low', reasons: ['bought 3 times'] });
  // So does her score history, which holds the same snapshot.
  const history = (exported.data!.exportCustomerData as { scoreHistory: { kind: string; value: number | null; band: string | null; reasons: string[] }[] }).scoreHistory;
  expect(history.map(({ kind, value, band, reasons }) => ({ kind, value, band, reasons }))).toEqual([
    { kind: 'churn-risk', value: 0.1, band: 'low', reasons: ['bought 3 times'] },
    { kind: 'referral-value', value: null, band: 'referrer', reasons: [REFERRAL_AMOUNTS_LEFT_OUT] },
  ]);
});

it('F2: exports the contact data the customer had before and the reasons people typed about them: all the audit log keeps of theirs, as the erasure counts it', async () => {
  const { customer } = await customerWithHistory();
  const formerEmail = customer.email;
  const newEmail = `ada.king.${Math.random()}@example.org`;
  expect((await stack.gql(UpdateCustomerDocument, { id: customer.id, input: { email: newEmail } }, Role.Operator)).errors).toBeUndefined();
  // Reasons typed about her: an earlier export, a discarded offer, a cancelled run.
  expect((await stack.gql(ExportCustomerDataDocument, { id: customer.id, reason: 'Art. 15 request from Ada Lovelace' }, Role.Operator)).errors).toBeUndefined();
  const offer = await em().findOneOrFail(OutboxMessage, { idempotencyKey: `test/${customer.id}/offer` });
  expect((await stack.gql(DiscardMessageDocument, { id: offer.id, reason: 'she asked by phone not to be mailed' }, Role.Operator)).errors).toBeUndefined();
  const workflowId = welcomeCheckWorkflowId(customer.id);
  expect((await stack.gql(StartWelcomeCheckDocument, { customerId: customer.id }, Role.Marketer)).errors).toBeUndefined();
  await eventually(() => runStatus(workflowId), (s) => s === RunStatus.Running, 20_000);
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId, reason: 'Ada King wants no contact' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => runStatus(workflowId), (s) => s !== RunStatus.Running, 20_000);

  const exported = await stack.gql(ExportCustomerDataDocument, { id: customer.id, reason: 'Second request' }, Role.Operator);
  expect(exported.errors).toBeUndefined();
  const document = exported.data!.exportCustomerData as { contactHistory: { changedAt: string; by: string; field: string; from: unknown; to: unknown }[]; notes: { at: string; about: string; reason: string }[] };
  // Who changed it is said as "staff", never which employee.
  expect(document.contactHistory).toEqual([
    { changedAt: expect.any(String), by: 'staff', field: 'name', from: 'Ada Lovelace', to: 'Ada King' },
    { changedAt: expect.any(String), by: 'staff', field: 'phone', from: '+44 20 7946 0000', to: '+44 20 7946 0001' },
    { changedAt: expect.any(String), by: 'staff', field: 'email', from: formerEmail, to: newEmail },
  ]);
  expect(JSON.stringify(document.contactHistory)).not.toMatch(/operator/);
  expect(document.notes).toEqual(
    expect.arrayContaining([
      { at: expect.any(String), about: 'data export', reason: 'Art. 15 request from Ada Lovelace' },
      { at: expect.any(String), about: 'message', reason: 'she asked by phone not to be mailed' },
      { at: expect.any(String), about: 'playbook run', reason: 'Ada King wants no contact' },
    ]),
  );

  // Every audit entry the erasure treats as hers (contact data it scrubs, reasons it takes her name out of) is in the document.
  const db = em();
  const contactEntries = await db.execute<{ before: Record<string, unknown> | null; after: Record<string, unknown> | null }[]>(
    `select a.before, a.after from audit_entry a where ${CONTACT_DATA_ENTRIES}`,
    [customer.id],
  );
  const changedFields = contactEntries.flatMap((a) => Object.keys({ ...a.before, ...a.after }).filter((f) => (PERSONAL_FIELD_NAMES as readonly string[]).includes(f)));
  expect(changedFields.length).toBeGreaterThanOrEqual(3);
  expect(document.contactHistory.map((c) => c.field).sort()).toEqual(changedFields.sort());
  const reasons = await db.execute<{ reason: string }[]>(
    `select coalesce(a.after ->> 'reason', case when ${TYPED_DECISION} then a.after #>> '{input,0,reason}' end) as reason from audit_entry a
      where ${ABOUT_THEM} and (a.after ->> 'reason' is not null or ${TYPED_DECISION}) and a.at < now()`,
    [customer.id, customer.id, customer.id],
  );
  // (The export just made audits its own reason after the document was written.)
  const earlier = reasons.map((r) => r.reason).filter((r) => r !== 'Second request');
  expect(earlier.length).toBeGreaterThanOrEqual(3);
  expect(document.notes.map((n) => n.reason).sort()).toEqual(earlier.sort());
  expect(await typedNotesExpected(customer.id)).toEqual([]);
  expect(EXPORT_AUDIT_SECTIONS).toEqual({ contactData: 'contactHistory', reasons: 'notes', typedInputs: 'notes', disputes: 'invoices' });
  for (const section of Object.values(EXPORT_AUDIT_SECTIONS)) expect(document).toHaveProperty(section);
}, 60_000);

/** The free text of each signal or update typed into the customer's runs in the Temporal UI (TYPED_INPUTS), one list per audit entry that has any: what their export must show as notes. */
async function typedNotesExpected(customerId: string): Promise<string[][]> {
  const typed = await em().execute<{ after: TypedMessage & { input: unknown } }[]>(`select a.after from audit_entry a where ${TYPED_INPUTS} order by a.at, a.id`, [customerId]);
  return typed.map((t) => typedTexts(t.after, t.after.input).map((x) => x.text)).filter((texts) => texts.length > 0);
}

it("takes out what operators typed into the customer's runs in the Temporal UI (a promise's recordedBy, a signal's input, a signal the run ignored), which their export shows first", async () => {
  const { customer, invoice } = await customerWithHistory();
  const reminderId = fairReminderWorkflowId(customer.id, invoice.id);
  const welcomeId = welcomeCheckWorkflowId(customer.id);
  expect((await stack.gql(StartFairReminderDocument, { invoiceId: invoice.id }, Role.Operator)).errors).toBeUndefined();
  expect((await stack.gql(StartWelcomeCheckDocument, { customerId: customer.id }, Role.Marketer)).errors).toBeUndefined();
  for (const workflowId of [reminderId, welcomeId]) await eventually(() => runStatus(workflowId), (s) => s === RunStatus.Running, 20_000);

  // As an operator types them in the Temporal UI: her name, a nickname no search for her names finds, her address and phone.
  const until = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
  const recordedBy = `spoke with Ada King ("Adders"), ${customer.email}, 020 7946 0001`;
  const inUi = temporalOperator(stack, 'ops-desk');
  await inUi.workflow.getHandle(reminderId).executeUpdate('promiseToPay', { args: [{ until, recordedBy }] });
  await inUi.workflow.getHandle(welcomeId).signal('welcomeConfirmd', 'Adders says hi');
  await eventually(() => steeringAudited(stack, welcomeId), (audited) => audited.length === 1, 20_000);
  await inUi.workflow.getHandle(welcomeId).signal('welcomeConfirmed', { note: 'Adders confirmed by phone', calls: 2 });
  await eventually(() => steeringAudited(stack, welcomeId), (audited) => audited.length === 2, 20_000);
  await eventually(() => steeringAudited(stack, reminderId), (audited) => audited.length === 1, 20_000);

  // Her access request shows what was typed about her, as the erasure will count it.
  const exported = await stack.gql(ExportCustomerDataDocument, { id: customer.id, reason: 'Access request' }, Role.Operator);
  expect(exported.errors).toBeUndefined();
  const { notes } = exported.data!.exportCustomerData as { notes: { at: string; about: string; reason: string }[] };
  expect(notes).toEqual(
    expect.arrayContaining([
      { at: expect.any(String), about: 'playbook run', reason: `promiseToPay, recordedBy: ${recordedBy}` },
      { at: expect.any(String), about: 'playbook run', reason: 'welcomeConfirmd, Adders says hi' },
      { at: expect.any(String), about: 'playbook run', reason: 'welcomeConfirmed, note: Adders confirmed by phone; calls: 2' },
    ]),
  );
  const expected = await typedNotesExpected(customer.id);
  expect(expected).toHaveLength(3);
  for (const texts of expected) expect(notes.some((n) => n.about === 'playbook run' && texts.every((t) => n.reason.includes(t)))).toBe(true);

  for (const workflowId of [reminderId, welcomeId]) {
    if ((await runStatus(workflowId)) === RunStatus.Running) expect((await stack.gql(CancelPlaybookRunDocument, { workflowId, reason: 'erasure request' }, Role.Operator)).errors).toBeUndefined();
    await eventually(() => runStatus(workflowId), (s) => s !== RunStatus.Running, 20_000);
  }
  const erased = await stack.gql(EraseCustomerDocument, { id: customer.id, reason: 'Art. 17 request' }, Role.Admin);
  expect(erased.errors).toBeUndefined();
  // Her change of contact data, the promise and the two signals.
  expect(erased.data!.eraseCustomer.auditEntriesScrubbed).toBe(4);

  // Which message was sent, by whom, and the day promised stay; the free text goes whole.
  expect(await steeringAudited(stack, reminderId)).toEqual([['temporal:ops-desk', 'update promiseToPay', [{ until, recordedBy: ERASED_MENTION }]]]);
  expect(await steeringAudited(stack, welcomeId)).toEqual([
    ['temporal:ops-desk', 'signal welcomeConfirmd', [ERASED_MENTION]],
    ['temporal:ops-desk', 'signal welcomeConfirmed', [{ note: ERASED_MENTION, calls: ERASED_MENTION }]],
  ]);
  const entries = await em().find(AuditEntry, { entityId: { $in: [reminderId, welcomeId] } });
  expect(JSON.stringify(entries)).not.toMatch(/Ada|King|Adders|7946|example\.com/);
  expect(await typedNotesExpected(customer.id)).toEqual([]);
  // Erasing again changes nothing.
  expect((await stack.gql(EraseCustomerDocument, { id: customer.id, reason: 'again' }, Role.Admin)).data!.eraseCustomer.auditEntriesScrubbed).toBe(0);
}, 90_000);

it('F6: after an erasure, the change of contact data in the audit log keeps which fields changed, their values erased (a null stays null)', async () => {
  const e = em();
  const customer = e.create(Customer, { name: 'Emmy Noether', email: `emmy.${Math.random()}@example.com`, acquiredAt: joinedLately });
  await e.flush();
  expect((await stack.gql(UpdateCustomerDocument, { id: customer.id, input: { name: 'Emmy N.', phone: '+49 30 5550 1234' } }, Role.Operator)).errors).toBeUndefined();
  const erased = await stack.gql(EraseCustomerDocument, { id: customer.id, reason: 'Request 17' }, Role.Admin);
  expect(erased.errors).toBeUndefined();
  expect(erased.data!.eraseCustomer.auditEntriesScrubbed).toBe(1);
  const [update] = await em().find(AuditEntry, { entityId: customer.id, action: 'customer.update' });
  expect(update).toMatchObject({ actor: expect.stringMatching(/^operator:/), before: { name: ERASED_MENTION, phone: null }, after: { name: ERASED_MENTION, phone: ERASED_MENTION } });
  expect(Object.keys(update.before!).sort()).toEqual(['name', 'phone']);
}, 60_000);

it('refuses while a playbook runs, then erases personal data in every place and keeps the business records', async () => {
  const { customer, invoice } = await customerWithHistory();
  const workflowId = welcomeCheckWorkflowId(customer.id);
  expect((await stack.gql(StartWelcomeCheckDocument, { customerId: customer.id }, Role.Marketer)).errors).toBeUndefined();
  await eventually(() => runStatus(workflowId), (s) => s === RunStatus.Running, 20_000);

  const refused = await stack.gql(EraseCustomerDocument, { id: customer.id, reason: 'Request by Ada King by e-mail, ticket 4711' }, Role.Admin);
  expect(refused.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'CUSTOMER_PLAYBOOKS_RUNNING', workflowIds: [workflowId] });
  expect(await em().findOneOrFail(Customer, customer.id)).toMatchObject({ name: 'Ada King', status: 'active' });
  // The refused request is on record, with why it was refused; nothing else of the erasure is.
  expect(await em().find(AuditEntry, { entityId: customer.id, action: { $like: 'customer.erase%' } })).toEqual([
    expect.objectContaining({ action: 'customer.erase-refused', actor: expect.stringMatching(/^admin:/), after: { reason: 'Request by Ada King by e-mail, ticket 4711', code: 'CUSTOMER_PLAYBOOKS_RUNNING', workflowIds: [workflowId] } }),
  ]);
  expect(await em().count(CustomerExport, { customer: customer.id })).toBe(1);

  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId, reason: 'Customer asked to be erased' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => runStatus(workflowId), (s) => s !== RunStatus.Running, 20_000);

  for (const role of [Role.Viewer, Role.Marketer, Role.Operator]) {
    const forbidden = await stack.gql(EraseCustomerDocument, { id: customer.id, reason: 'Request' }, role);
    expect(forbidden.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'AUTH_ROLE_NOT_ALLOWED' });
  }
  const noReason = await stack.gql(EraseCustomerDocument, { id: customer.id, reason: '  ' }, Role.Admin);
  expect(noReason.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'CUSTOMER_INVALID_INPUT', field: 'reason' });
  expect((await em().findOneOrFail(Customer, customer.id)).name).toBe('Ada King');

  // A fix case's task quoting the complaint behind it, in the customer's words.
  const quoted = { ref: 'CRM-4711', severity: 'medium', openedOn: '2026-11-02' };
  const fixTask = em().create(OutboxMessage, { idempotencyKey: `test/${customer.id}/fix-case-opened`, customer: customer.id, channel: MessageChannel.Call, purpose: MessagePurpose.Service, template: 'fix-case-opened', payload: { topic: 'delivery-delay', owner: 'logistics', complaints: [{ ...quoted, summary: 'Ada King: the parcel came late again' }] }, sentAt: new Date() });
  await em().persist(fixTask).flush();
  // The help to switch, quoting the customer's CRM reference.
  const switchHelp = em().create(OutboxMessage, { idempotencyKey: `test/${customer.id}/switch-help`, customer: customer.id, channel: MessageChannel.Email, purpose: MessagePurpose.Service, template: 'offboarding-switch-help', payload: { noticeEndsOn: '2027-01-31', customerRef: 'CRM-AK-77' }, sentAt: new Date() });
  await em().persist(switchHelp).flush();

  const erased = await stack.gql(EraseCustomerDocument, { id: customer.id, reason: 'Request by e-mail, ticket 4711' }, Role.Admin);
  expect(erased.errors).toBeUndefined();
  // The complaint's words go from the task as from the complaint; which complaint it was stays.
  expect((await em().findOneOrFail(OutboxMessage, { idempotencyKey: fixTask.idempotencyKey })).payload).toEqual({ topic: 'delivery-delay', owner: 'logistics', complaints: [quoted] });
  expect((await em().findOneOrFail(OutboxMessage, { idempotencyKey: switchHelp.idempotencyKey })).payload).toEqual({ noticeEndsOn: '2027-01-31' });
  expect(erased.data!.eraseCustomer).toMatchObject({
    customer: { id: customer.id, name: 'Erased customer', email: `erased-${customer.id}@erased.invalid`, phone: null, timeZone: 'UTC', externalRef: null, status: 'Erased', marketingConsent: false },
    complaintTextsCleared: 1,
    exportsDeleted: 1,
    // The contact data change, and the refused request's reason that named her.
    auditEntriesScrubbed: 2,
  });
  // The marketing offer queued above, and whatever the welcome check had queued.
  expect(erased.data!.eraseCustomer.queuedMessagesHeldBack).toBeGreaterThanOrEqual(1);

  const e = em();
  expect(await e.count(CustomerExport, { customer: customer.id })).toBe(0);
  const [complaint] = await e.find(Complaint, { customer: customer.id });
  expect(complaint).toMatchObject({ topic: 'delivery-delay', summary: null });
  const unsent = await e.find(OutboxMessage, { customer: customer.id, sentAt: null });
  // (The welcome check's own welcome, if still unsent, was held back when its run was cancelled.)
  expect(unsent.map((m) => m.suppressedReason)).toEqual(unsent.map(() => expect.stringMatching(/^(erased|no-consent|run-cancelled)/)));
  expect(unsent.find((m) => m.idempotencyKey === `test/${customer.id}/offer`)!.suppressedReason).toMatch(/^erased: /);
  // The name and language a message went out with go too.
  expect(await e.findOneOrFail(OutboxMessage, { idempotencyKey: `test/${customer.id}/welcome` })).toMatchObject({ sentName: null, sentLocale: null });
  // The business records stay under the ID.
  expect(await e.count(Invoice, { customer: customer.id })).toBe(1);
  expect(await e.findOne(PlaybookRun, { workflowId })).not.toBeNull();

  // Nothing in the audit log still names or reaches the person; the erasure itself is recorded, with its reason.
  const entries = await e.find(AuditEntry, { entityId: customer.id }, { orderBy: { at: 'asc', id: 'asc' } });
  expect(JSON.stringify(entries)).not.toMatch(/Ada|Lovelace|King|7946|example\.com|London|crm-/);
  expect(entries.map((a) => a.action)).toEqual(['customer.update', 'customer.erase-refused', 'customer.erase']);
  // The refused request's reason loses her name as any reason about her does.
  expect(entries[1]).toMatchObject({ after: { reason: 'Request by [erased] [erased] by e-mail, ticket 4711', code: 'CUSTOMER_PLAYBOOKS_RUNNING' } });
  expect(entries[2]).toMatchObject({ actor: expect.stringMatching(/^admin:/), before: { status: 'active' }, after: { status: 'erased', reason: 'Request by e-mail, ticket 4711', exportsDeleted: 1 } });

  // Erasing again changes nothing, and is on record as a request that changed nothing.
  const again = await stack.gql(EraseCustomerDocument, { id: customer.id, reason: 'Second request, ticket 4712' }, Role.Admin);
  expect(again.data!.eraseCustomer).toMatchObject({ complaintTextsCleared: 0, exportsDeleted: 0, queuedMessagesHeldBack: 0, auditEntriesScrubbed: 0 });
  expect(await em().find(AuditEntry, { entityId: customer.id, action: 'customer.erase' }, { orderBy: { at: 'asc', id: 'asc' } })).toEqual([
    expect.objectContaining({ after: expect.objectContaining({ reason: 'Request by e-mail, ticket 4711' }) }),
    expect.objectContaining({ actor: expect.stringMatching(/^admin:/), before: { status: 'erased' }, after: { status: 'erased', reason: 'Second request, ticket 4712', alreadyErased: true } }),
  ]);

  // Nobody enters personal data again, and no playbook starts for them: by hand or by the nightly sweep.
  const update = await stack.gql(UpdateCustomerDocument, { id: customer.id, input: { name: 'Ada Lovelace' } }, Role.Operator);
  expect(update.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'CUSTOMER_ERASED' });
  const complaintAfter = await stack.gql(RecordComplaintDocument, { input: { customerId: customer.id, topic: 'delivery-delay', severity: 'Low', summary: 'Ada called again' } }, Role.Operator);
  expect(complaintAfter.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'CUSTOMER_ERASED' });
  expect(await em().count(Complaint, { customer: customer.id })).toBe(1);
  // Their open complaint may still be closed, but nobody can say for them that it is not resolved.
  const [stored] = await em().find(Complaint, { customer: customer.id });
  expect((await stack.gql(ResolveComplaintDocument, { id: stored.id }, Role.Operator)).errors).toBeUndefined();
  const reopenedAfter = await stack.gql(ReopenComplaintDocument, { id: stored.id }, Role.Operator);
  expect(reopenedAfter.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'CUSTOMER_ERASED' });
  expect(await em().findOneOrFail(Complaint, stored.id)).toMatchObject({ reopenedCount: 0, resolvedAt: expect.any(Date) });
  const welcome = await stack.gql(StartWelcomeCheckDocument, { customerId: customer.id }, Role.Marketer);
  expect(welcome.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'PLAYBOOK_CUSTOMER_ERASED' });
  // What is still held of them answers their request for access: their contact data reads as erased, the document says when and what stays.
  const exported = await stack.gql(ExportCustomerDataDocument, { id: customer.id, reason: 'Request after the erasure' }, Role.Operator);
  expect(exported.errors).toBeUndefined();
  const remains = exported.data!.exportCustomerData as Record<string, unknown>;
  const erasure = await em().findOneOrFail(AuditEntry, { entityId: customer.id, action: 'customer.erase' }, { orderBy: { at: 'asc', id: 'asc' } });
  expect(remains).toMatchObject({
    customer: { id: customer.id, reference: null, name: 'Erased customer', email: `erased-${customer.id}@erased.invalid`, phone: null, status: 'erased' },
    erasure: { erasedAt: erasure.at.toISOString(), note: ERASURE_KEPT },
    invoices: [{ id: invoice.id, amountMinor: 12_000 }],
    complaints: [{ topic: 'delivery-delay', summary: null }],
    dataExports: [],
  });
  expect(JSON.stringify(remains)).not.toMatch(/Ada|Lovelace|King|7946|example\.com|London|crm-/);
  expect(await em().find(AuditEntry, { entityId: customer.id, action: 'customer.export' })).toEqual([expect.objectContaining({ after: { reason: 'Request after the erasure' } })]);
  const reminder = await stack.gql(StartFairReminderDocument, { invoiceId: invoice.id }, Role.Operator);
  expect(reminder.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'PLAYBOOK_CUSTOMER_ERASED' });
  const client = stack.temporal.client;
  const taskQueue = stack.config.temporal.taskQueue;
  const services = createServices(em(), { playbooks: new TemporalPlaybookEngine(client, taskQueue), scoring: new TemporalScoringEngine(client, taskQueue), campaigns: new TemporalCampaignEngine(client, taskQueue) }, defaultPolicies);
  expect(await services.triggers.overdueInvoices({ after: null, limit: 100, minDaysOverdue: 1 })).not.toContain(invoice.id);
}, 90_000);

it("exports each dispute of the customer's invoices (when, why in their words, how it was resolved), and the erasure takes their words out of it", async () => {
  const { customer, invoice } = await customerWithHistory();
  const invoiceId = invoice.id;
  const dispute = async (reason: string) => (await stack.gql(DisputeInvoiceDocument, { invoiceId, reason }, Role.Operator)).data!.disputeInvoice.dispute!;
  const first = await dispute('The parcel never reached 12 Baker Street');
  const resolved = await stack.gql(ResolveDisputeDocument, { invoiceId, outcome: 'Rejected', reason: 'carrier confirms delivery, signed by Ada King' }, Role.Operator);
  expect(resolved.errors).toBeUndefined();
  const second = await dispute('Charged for two parcels, Ada ordered one');
  const exportOf = async (reason: string) => {
    const exported = await stack.gql(ExportCustomerDataDocument, { id: customer.id, reason }, Role.Operator);
    expect(exported.errors).toBeUndefined();
    return (exported.data!.exportCustomerData as { invoices: { id: string; disputes: unknown[] }[] }).invoices.find((i) => i.id === invoiceId)!.disputes;
  };
  // Each one, oldest first: the invoice keeps only the latest, the audit log each.
  expect(await exportOf('Art. 15 request')).toEqual([
    { disputedAt: first.disputedAt, reason: 'The parcel never reached 12 Baker Street', resolvedAt: resolved.data!.resolveDispute.dispute!.resolvedAt, outcome: 'rejected', resolutionReason: 'carrier confirms delivery, signed by Ada King' },
    { disputedAt: second.disputedAt, reason: 'Charged for two parcels, Ada ordered one', resolvedAt: null, outcome: null, resolutionReason: null },
  ]);

  const erased = await stack.gql(EraseCustomerDocument, { id: customer.id, reason: 'Request by e-mail' }, Role.Admin);
  expect(erased.errors).toBeUndefined();
  expect(erased.data!.eraseCustomer).toMatchObject({ complaintTextsCleared: 1, disputeReasonsCleared: 1 });
  // Their words go, as a complaint's text does, from the invoice and from the audit log's copies (the keys stay); when it was
  // disputed and how it was resolved stay, and the staff's note loses her name as any reason about her does.
  expect(await em().findOneOrFail(Invoice, invoiceId)).toMatchObject({ disputedAt: new Date(second.disputedAt), disputeReason: null, disputeResolvedAt: null });
  const entries = await em().find(AuditEntry, { entityType: 'invoice', entityId: invoiceId, action: { $like: 'invoice.dispute%' } }, { orderBy: { at: 'asc', id: 'asc' } });
  expect(entries.map((a) => a.action)).toEqual(['invoice.dispute', 'invoice.dispute-resolved', 'invoice.dispute']);
  expect(JSON.stringify(entries)).not.toMatch(/Baker|parcels|Ada|King/);
  expect(entries.map((a) => [a.before, a.after])).toEqual([
    [null, { customerId: customer.id, disputedAt: first.disputedAt, reason: null }],
    [{ disputedAt: first.disputedAt, reason: null }, { customerId: customer.id, resolvedAt: expect.any(String), outcome: 'rejected', reason: 'carrier confirms delivery, signed by [erased] [erased]' }],
    [{ disputedAt: first.disputedAt, reason: null, resolvedAt: expect.any(String), outcome: 'rejected', disputedDaysBefore: 0 }, { customerId: customer.id, disputedAt: second.disputedAt, reason: null }],
  ]);
  expect(await exportOf('Request after the erasure')).toEqual([
    { disputedAt: first.disputedAt, reason: null, resolvedAt: expect.any(String), outcome: 'rejected', resolutionReason: 'carrier confirms delivery, signed by [erased] [erased]' },
    { disputedAt: second.disputedAt, reason: null, resolvedAt: null, outcome: null, resolutionReason: null },
  ]);
  // Erasing again finds nothing more.
  expect((await stack.gql(EraseCustomerDocument, { id: customer.id, reason: 'Second request' }, Role.Admin)).data!.eraseCustomer).toMatchObject({ disputeReasonsCleared: 0, auditEntriesScrubbed: 0 });
  // No words of theirs are entered again: the open dispute may be resolved (the company's own record), a new one is refused.
  expect((await stack.gql(ResolveDisputeDocument, { invoiceId, outcome: 'Rejected' }, Role.Operator)).errors).toBeUndefined();
  expect((await stack.gql(DisputeInvoiceDocument, { invoiceId, reason: 'I am Jane Doe, I never ordered this' }, Role.Operator)).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'CUSTOMER_ERASED' });
  expect((await em().findOneOrFail(Invoice, invoiceId)).disputeReason).toBeNull();
}, 60_000);

it("ends an erased customer's consent history with the erasure's withdrawal, in their data export and on their timeline", async () => {
  const e = em();
  const tag = Math.random().toString(36).slice(2, 8);
  // Consent given on the phone (recorded by a person), consent that came with the company's data (no entry of its own), and none.
  const grace = e.create(Customer, { name: 'Grace Hopper', email: `grace.${tag}@example.com`, acquiredAt: '2024-01-01' });
  const emmy = e.create(Customer, { name: 'Emmy Noether', email: `emmy.${tag}@example.com`, acquiredAt: '2024-01-01', marketingConsent: true });
  const lise = e.create(Customer, { name: 'Lise Meitner', email: `lise.${tag}@example.com`, acquiredAt: '2024-01-01' });
  await e.flush();
  const given = await stack.gql(UpdateCustomerDocument, { id: grace.id, input: { marketingConsent: true, consentReason: 'asked for offers on the phone' } }, Role.Operator);
  expect(given.errors).toBeUndefined();

  const exportOf = async (id: string) => {
    const r = await stack.gql(ExportCustomerDataDocument, { id, reason: 'Access request after the erasure' }, Role.Operator);
    expect(r.errors).toBeUndefined();
    return r.data!.exportCustomerData as { customer: { marketingConsent: boolean }; erasure: { erasedAt: string }; consentHistory: { at: string; marketingConsent: boolean; how: string }[] };
  };
  const consentEvents = async (id: string) => {
    const r = await stack.gql(CustomerTimelineDocument, { id, first: 10, kinds: ['ConsentChanged'] }, Role.Viewer);
    expect(r.errors).toBeUndefined();
    return r.data!.customer!.timeline.edges.map((edge) => [edge.node.at, edge.node.summary]);
  };
  const erase = async (id: string, reason: string) => {
    const r = await stack.gql(EraseCustomerDocument, { id, reason }, Role.Admin);
    expect(r.errors).toBeUndefined();
    expect(r.data!.eraseCustomer.customer.marketingConsent).toBe(false);
  };
  const entriesOf = (id: string) => em().find(AuditEntry, { entityId: id, action: 'customer.erase' }, { orderBy: { at: 'asc', id: 'asc' } });

  await erase(grace.id, 'Art 17 request of Grace Hopper');
  const [graceErased] = await entriesOf(grace.id);
  const erasedAt = graceErased.at.toISOString();
  // The withdrawal is recorded with the erasure: what consent was and is, nothing that names her.
  expect(graceErased).toMatchObject({ before: { status: 'active', marketingConsent: true }, after: { status: 'erased', marketingConsent: false, reason: 'Art 17 request of [erased] [erased]' } });
  const graceExport = await exportOf(grace.id);
  expect(graceExport.erasure.erasedAt).toBe(erasedAt);
  expect(graceExport.customer.marketingConsent).toBe(false);
  expect(graceExport.consentHistory).toEqual([
    { at: expect.any(String), marketingConsent: true, how: 'asked for offers on the phone' },
    { at: erasedAt, marketingConsent: false, how: CONSENT_WITHDRAWN_BY_ERASURE },
  ]);
  expect(await consentEvents(grace.id)).toEqual([
    [erasedAt, 'Consent to marketing withdrawn: the personal data was erased'],
    [graceExport.consentHistory[0].at, 'Agreed to marketing'],
  ]);
  // A repeated request withdraws nothing more.
  await erase(grace.id, 'Reminder of the request');
  expect((await exportOf(grace.id)).consentHistory).toHaveLength(2);

  // Consent that came with the company's data: the withdrawal is the only item.
  await erase(emmy.id, 'Art 17 request');
  const [emmyErased] = await entriesOf(emmy.id);
  expect((await exportOf(emmy.id)).consentHistory).toEqual([{ at: emmyErased.at.toISOString(), marketingConsent: false, how: CONSENT_WITHDRAWN_BY_ERASURE }]);
  expect(await consentEvents(emmy.id)).toEqual([[emmyErased.at.toISOString(), 'Consent to marketing withdrawn: the personal data was erased']]);

  // Without consent, the erasure withdraws none: no consent change recorded, none shown.
  await erase(lise.id, 'Art 17 request');
  const [liseErased] = await entriesOf(lise.id);
  expect(liseErased.before).toEqual({ status: 'active' });
  expect(liseErased.after).not.toHaveProperty('marketingConsent');
  expect((await exportOf(lise.id)).consentHistory).toEqual([]);
  expect(await consentEvents(lise.id)).toEqual([]);
}, 60_000);

it('takes every name, address and number the customer had out of the reasons people typed about them and out of saved searches', async () => {
  const { customer } = await customerWithHistory();
  const formerEmail = customer.email;
  // A marketer saved a search for her address; she then gave a new one.
  const segment = await stack.gql(CreateSegmentDocument, { input: { name: `Ada ${Math.random()}`, filter: { search: formerEmail } } }, Role.Marketer);
  expect(segment.errors).toBeUndefined();
  const newEmail = `ada.king.${Math.random()}@example.org`;
  expect((await stack.gql(UpdateCustomerDocument, { id: customer.id, input: { email: newEmail } }, Role.Operator)).errors).toBeUndefined();
  // Reasons an operator typed about her: an export, a discarded offer, a cancelled run.
  expect((await stack.gql(ExportCustomerDataDocument, { id: customer.id, reason: 'Art. 15 request from Ada Lovelace' }, Role.Operator)).errors).toBeUndefined();
  const offer = await em().findOneOrFail(OutboxMessage, { idempotencyKey: `test/${customer.id}/offer` });
  expect((await stack.gql(DiscardMessageDocument, { id: offer.id, reason: 'she asked by phone (020 7946 0001) not to be mailed' }, Role.Operator)).errors).toBeUndefined();
  const workflowId = welcomeCheckWorkflowId(customer.id);
  expect((await stack.gql(StartWelcomeCheckDocument, { customerId: customer.id }, Role.Marketer)).errors).toBeUndefined();
  await eventually(() => runStatus(workflowId), (s) => s === RunStatus.Running, 20_000);
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId, reason: `erasure request of Ada King, ${newEmail}` }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => runStatus(workflowId), (s) => s !== RunStatus.Running, 20_000);

  // The erasure's own reason, which stays, loses her name too.
  expect((await stack.gql(EraseCustomerDocument, { id: customer.id, reason: 'Art. 17 request 4712 of Mrs King' }, Role.Admin)).errors).toBeUndefined();

  // Who did what, when and why stays; only the words that name her go.
  const reasons = async (entityType: string, entityId: string, action: string) =>
    (await em().find(AuditEntry, { entityType, entityId, action })).map((a) => (a.after as { reason?: string }).reason);
  expect(await reasons('customer', customer.id, 'customer.export')).toEqual(['Art. 15 request from [erased] [erased]']);
  expect(await reasons('outbox_message', offer.id, 'message.discard')).toEqual(['she asked by phone ([erased]) not to be mailed']);
  expect(await reasons('playbook_run', workflowId, 'playbook.cancel')).toEqual(['erasure request of [erased] [erased], [erased]']);
  expect((await em().findOneOrFail(OutboxMessage, offer.id)).suppressedReason).toBe('discarded: she asked by phone ([erased]) not to be mailed');
  expect(await reasons('customer', customer.id, 'customer.erase')).toEqual(['Art. 17 request 4712 of Mrs [erased]']);
  const { rows } = await sql<{ search: string }>`select filter ->> 'search' as search from segment where id = ${segment.data!.createSegment.id}::uuid`.execute(em().getKysely());
  expect(rows).toEqual([{ search: '[erased]' }]);
  const segmentAudit = await em().find(AuditEntry, { entityType: 'segment', entityId: segment.data!.createSegment.id });
  expect(JSON.stringify(segmentAudit)).not.toContain(formerEmail);
}, 60_000);

it('sends nothing, not even a service message, that reaches the outbox after the erasure', async () => {
  const e = em();
  const customer = e.create(Customer, { name: 'Grace Hopper', email: `grace.${Math.random()}@example.com`, acquiredAt: joinedLately });
  await e.flush();
  expect((await stack.gql(EraseCustomerDocument, { id: customer.id, reason: 'Request' }, Role.Admin)).errors).toBeUndefined();
  const late = e.create(OutboxMessage, { idempotencyKey: `test/${customer.id}/reminder`, customer: e.getReference(Customer, customer.id), channel: MessageChannel.Email, purpose: MessagePurpose.Service, template: 'reminder-friendly', payload: { invoiceRef: 'INV-1', amountMinor: 1000 } });
  await e.flush();

  const sent: RenderedMessage[] = [];
  const gateway: MessageSender = { send: async (message) => void sent.push(message) };
  await new DeliveryService(em(), gateway, defaultPolicies).deliverDue();
  expect(sent.filter((m) => m.idempotencyKey === late.idempotencyKey)).toEqual([]);
  expect((await em().findOneOrFail(OutboxMessage, late.id)).suppressedReason).toMatch(/^erased: /);
});

it("waits for the billing team's tasks about the customer to go out before erasing: a queued final invoice would be held back and never issued", async () => {
  const e = em();
  const customer = e.create(Customer, { name: 'Grace Hopper', email: `grace.${Math.random()}@example.com`, acquiredAt: joinedLately, status: CustomerStatus.Offboarded });
  // Queued for the morning, as a task may be: delivery has not taken it yet.
  const task = e.create(OutboxMessage, {
    idempotencyKey: `test/${customer.id}/final-invoice`,
    customer,
    channel: MessageChannel.Call,
    purpose: MessagePurpose.Service,
    template: 'offboarding-final-invoice',
    payload: {},
    sendAfter: new Date(Date.now() + 3_600_000),
  });
  await e.flush();
  const refused = await stack.gql(EraseCustomerDocument, { id: customer.id, reason: 'GDPR Art. 17 request' }, Role.Admin);
  expect(refused.errors![0]).toMatchObject({
    message: expect.stringContaining('has tasks for the billing team not delivered yet (offboarding-final-invoice)'),
    extensions: { code: 'CONFLICT', reason: 'CUSTOMER_BILLING_TASKS_PENDING', messageIds: [task.id] },
  });
  expect(await em().findOneOrFail(OutboxMessage, task.id)).toMatchObject({ suppressedAt: null, sentAt: null });
  expect(await em().findOneOrFail(Customer, customer.id)).toMatchObject({ status: CustomerStatus.Offboarded, name: 'Grace Hopper' });
  expect(await em().find(AuditEntry, { entityId: customer.id, action: 'customer.erase-refused' })).toEqual([
    expect.objectContaining({ after: { reason: 'GDPR Art. 17 request', code: 'CUSTOMER_BILLING_TASKS_PENDING', messageIds: [task.id] } }),
  ]);
  // Once it has gone out, the erasure goes ahead.
  await em().nativeUpdate(OutboxMessage, { id: task.id }, { sentAt: new Date() });
  expect((await stack.gql(EraseCustomerDocument, { id: customer.id, reason: 'GDPR Art. 17 request' }, Role.Admin)).errors).toBeUndefined();
  expect(await em().findOneOrFail(Customer, customer.id)).toMatchObject({ status: CustomerStatus.Erased });
});

it('reports NOT_FOUND for an unknown customer and VALIDATION for a malformed ID', async () => {
  const unknown = await stack.gql(EraseCustomerDocument, { id: '00000000-0000-4000-8000-000000000000', reason: 'Request' }, Role.Admin);
  expect(unknown.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'CUSTOMER_NOT_FOUND' });
  const malformed = await stack.gql(EraseCustomerDocument, { id: 'ada', reason: 'Request' }, Role.Admin);
  expect(malformed.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_ARGUMENT', field: 'id' });
});

it('erases, nightly, the customers who left more than the retention period ago, and only them', async () => {
  const e = em();
  const tag = Math.random().toString(36).slice(2, 8);
  // (The first one's name shares a word with the sweep's own reason, which stays as it is.)
  const [longGone, recentlyGone, stillHere, busy] = ['long', 'recent', 'here', 'busy'].map((name) =>
    e.create(Customer, { name: name === 'long' ? 'Thomas More' : `Customer ${name}`, email: `${name}.${tag}@example.com`, acquiredAt: '2020-01-01' }),
  );
  // The busy one's complaint, reopened: the persistent issue whose fix is owed after leaving.
  e.create(Complaint, { customer: busy, topic: 'billing-error', severity: ComplaintSeverity.Medium, openedAt: new Date(), reopenedCount: 1, reopenedAt: new Date() });
  await e.flush();
  const db = stack.orm.em.fork().getKysely();
  const offboardedAt = async (c: Customer) => (await sql<{ at: string | null }>`select offboarded_at::text as at from customer where id = ${c.id}::uuid`.execute(db)).rows[0].at;
  // When they left is kept by the database, whoever sets the status (here: as an import would).
  await sql`update customer set status = 'offboarded' where id in (${longGone.id}::uuid, ${recentlyGone.id}::uuid, ${busy.id}::uuid)`.execute(db);
  expect(await offboardedAt(recentlyGone)).toEqual(expect.any(String));
  expect(await offboardedAt(stillHere)).toBeNull();
  await sql`update customer set status = 'active' where id = ${recentlyGone.id}::uuid`.execute(db);
  expect(await offboardedAt(recentlyGone)).toBeNull();
  await sql`update customer set status = 'offboarded' where id = ${recentlyGone.id}::uuid`.execute(db);
  // Two of them left three and a half years ago; for one of those a fix (owed after leaving) still runs.
  await sql`update customer set offboarded_at = now() - interval '1300 days' where id in (${longGone.id}::uuid, ${busy.id}::uuid)`.execute(db);
  // A third's leaving day says as much, but they ordered last month (a year typed wrong, imported before their orders): kept.
  const orderedSince = e.create(Customer, { name: 'Customer ordered since', email: `ordered-since.${tag}@example.com`, acquiredAt: '2020-01-01' });
  e.create(Order, { customer: orderedSince, orderedAt: new Date(Date.now() - 30 * 86_400_000), amountMinor: 1_000 });
  await e.flush();
  await sql`update customer set status = 'offboarded' where id = ${orderedSince.id}::uuid`.execute(db);
  await sql`update customer set offboarded_at = now() - interval '1300 days' where id = ${orderedSince.id}::uuid`.execute(db);
  expect((await stack.gql(StartFixIssueDocument, { customerId: busy.id, topic: 'billing-error' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => runStatus(`fix-issue/${busy.id}/billing-error`), (s) => s === RunStatus.Running, 20_000);
  const pastRetention = async () => (await stack.gql(OperationsStatusDocument, {}, Role.Operator)).data!.operationsStatus!.customersPastRetention;
  expect(await pastRetention()).toBe(2);

  const totals = await stack.temporal.client.workflow.execute<typeof eraseExpiredCustomerData>('eraseExpiredCustomerData', {
    workflowId: `data-retention/test-${tag}`,
    taskQueue: stack.config.temporal.taskQueue,
    args: [{ policy: dataRetentionPolicy }],
  });
  expect(totals).toEqual({ erased: 1, skipped: 1 });
  // The one kept past the retention period is seen: counted, and named in the worker's log with the run holding it.
  expect(await pastRetention()).toBe(1);
  const warned = await eventually(async () => stack.workerOutput().split('\n').find((line) => line.includes('past the retention period') && line.includes(busy.id)), (line) => line !== undefined, 10_000);
  expect(warned).toContain(`fix-issue/${busy.id}/billing-error`);
  expect(warned).toMatch(/"level":\s*(40|"warn")/);
  const status = async (c: Customer) => (await em().findOneOrFail(Customer, c.id)).status;
  expect([await status(longGone), await status(busy), await status(recentlyGone), await status(stillHere), await status(orderedSince)]).toEqual(['erased', 'offboarded', 'offboarded', 'active', 'offboarded']);
  expect((await em().findOneOrFail(Customer, longGone.id)).name).toBe('Erased customer');
  expect(await em().findOne(AuditEntry, { entityId: longGone.id, action: 'customer.erase' })).toMatchObject({ actor: 'retention:v1', after: { reason: expect.stringMatching(/^retention period: offboarded more than 1095 days ago/) } });

  // The worker keeps the nightly schedule.
  const schedule = await stack.temporal.client.schedule.getHandle(dataRetentionScheduleId(stack.config.temporal.taskQueue)).describe();
  expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'eraseExpiredCustomerData', taskQueue: stack.config.temporal.taskQueue });
}, 60_000);

it("keeps the customer's name, address and phone out of the playbooks' workflow histories, which operators read in the Temporal UI", async () => {
  const e = em();
  const tag = Math.random().toString(36).slice(2, 8);
  const customer = e.create(Customer, { name: `Hypatia Alexandrina ${tag}`, email: `hypatia.${tag}@example.org`, phone: `+30 21 0000 ${tag.length}${tag.length}`, acquiredAt: joinedLately });
  e.create(Complaint, { customer, topic: 'app-login', severity: ComplaintSeverity.High, summary: `Hypatia ${tag} cannot log in`, openedAt: new Date(), reopenedCount: 1, reopenedAt: new Date() });
  await e.flush();
  expect((await stack.gql(StartWelcomeCheckDocument, { customerId: customer.id }, Role.Marketer)).errors).toBeUndefined();
  expect((await stack.gql(StartFixIssueDocument, { customerId: customer.id, topic: 'app-login' }, Role.Operator)).errors).toBeUndefined();
  const runs = [welcomeCheckWorkflowId(customer.id), `fix-issue/${customer.id}/app-login`];
  // Past their first steps: both recorded themselves, and the fix opened its case and wrote to the customer.
  for (const workflowId of runs) await eventually(() => runStatus(workflowId), (status) => status === RunStatus.Running, 20_000);
  await eventually(() => em().count(OutboxMessage, { idempotencyKey: { $like: `${runs[1]}/%` } }), (n) => n > 0, 20_000);

  for (const workflowId of runs) {
    const history = await stack.temporal.client.workflow.getHandle(workflowId).fetchHistory();
    const texts: string[] = [];
    // Every string and every payload (JSON bytes) anywhere in the history: inputs, results, summaries, search attributes.
    const walk = (value: unknown): void => {
      if (typeof value === 'string') texts.push(value);
      else if (value instanceof Uint8Array) texts.push(Buffer.from(value).toString('utf8'));
      else if (value && typeof value === 'object') for (const v of Object.values(value)) walk(v);
    };
    walk(history);
    const all = texts.join('\n');
    expect(all).toContain(customer.id);
    for (const personal of [customer.name, 'Hypatia', customer.email, customer.phone!]) expect(all).not.toContain(personal);
  }
}, 60_000);
