import { defaultPolicies } from '../src/domain/policies/index.js';
import { defaultPayloadConverter } from '@temporalio/common';
import { sql } from 'kysely';
import { Role } from '../src/domain/auth/roles.js';
import { appreciationPolicy, appreciationWorkflowId } from '../src/domain/playbooks/appreciation.js';
import { seconds } from '../src/domain/policies/duration.js';
import { triggerPolicy } from '../src/domain/playbooks/triggers.js';
import { Complaint, ComplaintSeverity, CostEntry, CostKind, Customer, CustomerStatus, Invoice, MessageChannel, MessagePurpose, Offer, OfferAudience, OutboxMessage, PlaybookRun, ScoreSnapshot, ServiceTier } from '../src/entities/index.js';
import { createServices } from '../src/services/index.js';
import { TemporalCampaignEngine } from '../src/temporal/temporal-campaign-engine.js';
import { TemporalPlaybookEngine } from '../src/temporal/temporal-playbook-engine.js';
import { TemporalScoringEngine } from '../src/temporal/temporal-scoring-engine.js';
import type { playbookTriggers } from '../workflows/index.js';
import { Readable } from 'node:stream';
import { welcomeCheckWorkflowId } from '../src/domain/playbooks/welcome-check.js';
import { ImportService } from '../src/services/import/import.service.js';
import { AppreciationDocument, AuditEntriesDocument, CancelPlaybookRunDocument, CreateCampaignDocument, CustomerPlaybookRunsDocument, CustomerTimelineDocument, DisputeInvoiceDocument, EraseCustomerDocument, FairnessReportDocument, ImportCsvDocument, OptOutDocument, RecordComplaintDocument, RecordPaymentDocument, ResolveComplaintDocument, ResolveDisputeDocument, SetOfferTranslatedNamesDocument, StartAccountReviewDocument, StartAppreciationDocument, StartFairReminderDocument, StartWelcomeCheckDocument, UpdateCustomerDocument } from './__generated__/graphql.js';
import { eventually, passesUntilHandled } from './support/eventually.js';
import { renderMessage } from '../src/domain/messages/templates.js';
import { recordHistory } from './support/histories.js';
import { startTestStack, testKeys, type TestStack } from './support/stack.js';
import { deleteAsRetentionDoes, resetInEngine } from './support/temporal-operator.js';
import { zoneAtNoon, zoneAtTwoInTheMorning } from './support/time-zones.js';

/** Thanking silent loyal customers, on the real Temporal dev server. */
let stack: TestStack;
// A thank-you held back for a while asks the guard again every second, for up to a minute.
const policy = { ...appreciationPolicy, waitWhileHeldMs: seconds(60), recheckMs: seconds(1) };
beforeAll(async () => {
  // The API and the worker (its sweeps) are both given it.
  stack = await startTestStack({ policies: { appreciation: policy } });
  const em = stack.orm.em.fork();
  em.create(Offer, { code: 'WELCOME20', name: 'Welcome', description: '20% off your first three months', audience: OfferAudience.NewCustomers, discountPercent: 20, validFrom: '2020-01-01' });
  em.create(Offer, { code: 'THANKS10', name: 'Thanks', audience: OfferAudience.ExistingCustomers, discountPercent: 10, validFrom: '2020-01-01' });
  // The biggest discount, for moving to the basic tier: no thank-you for a standard customer.
  em.create(Offer, { code: 'BASIC-SELF-SERVICE', name: 'Self-service', audience: OfferAudience.Everyone, discountPercent: 35, serviceTier: ServiceTier.Basic, validFrom: '2020-01-01' });
  await em.flush();
}, 90_000);
afterAll(() => stack?.stop());

const DAY = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
async function customer(name: string, opts: { tenureDays: number; band: string; contactedDaysAgo?: number; lossMaking?: boolean; marketingConsent?: boolean }): Promise<string> {
  const em = stack.orm.em.fork();
  // At midday where they live, so a thank-you goes at once, whenever the test runs.
  const c = em.create(Customer, {
    name,
    email: `${name.toLowerCase()}@example.com`,
    acquiredAt: new Date(Date.now() - opts.tenureDays * DAY).toISOString().slice(0, 10),
    marketingConsent: opts.marketingConsent ?? true,
    timeZone: zoneAtNoon(new Date()),
  });
  const profitability = opts.lossMaking ? { profitability: { value: -28_000, band: 'loss-making', modelVersion: 'test', reasons: ['test'] } } : {};
  // (What the account review rescores it from: support costs over the standard tier's fee margin.)
  if (opts.lossMaking) em.create(CostEntry, { customer: c, occurredAt: new Date(Date.now() - 30 * DAY).toISOString().slice(0, 10), kind: CostKind.SupportMinutes, amountMinor: 30_000 });
  em.create(ScoreSnapshot, { customer: c, computedAt: new Date(), scores: { 'payment-loyalty': { value: 1, band: opts.band, modelVersion: 'test', reasons: ['test'] }, ...profitability } });
  // A loyal payer's record, which the thank-you step rescores: a monthly invoice paid two days early, for up to two years.
  if (opts.band === 'loyal') {
    for (let month = 1; month <= Math.min(24, Math.floor((opts.tenureDays - 20) / 30)); month++) {
      const due = Date.now() - month * 30 * DAY;
      em.create(Invoice, { customer: c, issuedAt: isoDay(due - 14 * DAY), dueAt: isoDay(due), amountMinor: 4_000, paidAt: isoDay(due - 2 * DAY) });
    }
  }
  if (opts.contactedDaysAgo !== undefined) {
    em.create(OutboxMessage, { idempotencyKey: `old/${name}`, customer: c, channel: MessageChannel.Email, purpose: MessagePurpose.Service, template: 'reminder-friendly', payload: {}, createdAt: new Date(Date.now() - opts.contactedDaysAgo * DAY) });
  }
  await em.flush();
  return c.id;
}

const year = new Date().getUTCFullYear();
/** The arguments the run was started with (its first event's input). */
async function startedWith(workflowId: string): Promise<unknown[]> {
  const { events } = await stack.temporal.client.workflow.getHandle(workflowId).fetchHistory();
  return (events![0].workflowExecutionStartedEventAttributes!.input!.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p));
}
const runs = (customerId: string) => stack.orm.em.fork().count(PlaybookRun, { workflowId: appreciationWorkflowId(customerId, year) });

/**
 * A loyal customer whose thank-you, started by hand, waits for their open complaint while they withdraw
 * their consent (the complaint is then resolved): the run asks again, finds no consent, a hold that does
 * not pass, and ends not thanked. (A start by hand refuses a customer without consent.)
 */
async function consentWithdrawnWhileWaiting(name: string): Promise<string> {
  const id = await customer(name, { tenureDays: 1200, band: 'loyal' });
  const complaint = stack.orm.em.fork().create(Complaint, { customer: id, topic: 'delivery-delay', severity: ComplaintSeverity.Low, openedAt: new Date(Date.now() - DAY) });
  await stack.orm.em.fork().persist(complaint).flush();
  expect((await stack.gql(StartAppreciationDocument, { customerId: id }, Role.Marketer)).errors).toBeUndefined();
  await eventually(() => stack.gql(AppreciationDocument, { customerId: id }, Role.Viewer).then((r) => r.data!.appreciation), (v) => v?.step === 'waiting');
  await stack.orm.em.fork().nativeUpdate(Customer, { id }, { marketingConsent: false });
  await stack.orm.em.fork().nativeUpdate(Complaint, { id: complaint.id }, { resolvedAt: new Date() });
  return id;
}

it('thanks silent loyal customers from the sweep, once a year, with at least the best new-customer offer', async () => {
  const silent = await customer('Quiet', { tenureDays: 1200, band: 'loyal', contactedDaysAgo: 200 });
  const recent = await customer('Recent', { tenureDays: 1200, band: 'loyal', contactedDaysAgo: 10 });
  const young = await customer('Young', { tenureDays: 300, band: 'loyal' });
  const late = await customer('Late', { tenureDays: 1200, band: 'at-risk' });
  // Loyal and silent, but the account loses money: the sweep starts its account review, and no thank-you meets the proposal.
  const costly = await customer('Costly', { tenureDays: 1200, band: 'loyal', contactedDaysAgo: 200, lossMaking: true });
  const sweep = (id: string) => stack.temporal.client.workflow.execute<typeof playbookTriggers>('playbookTriggers', { workflowId: id, taskQueue: stack.config.temporal.taskQueue, args: [{ policy: triggerPolicy }] });
  expect(await sweep('playbook-triggers/thanks-1')).toMatchObject({ 'silent-loyal': 1, 'loss-making': 1 });
  expect([await runs(silent), await runs(recent), await runs(young), await runs(late), await runs(costly)]).toEqual([1, 0, 0, 0, 0]);
  // Its pages that start runs heartbeat: a page whose worker died is taken up elsewhere after 30 s of silence, not after its 5 minutes.
  const { events } = await stack.temporal.client.workflow.getHandle('playbook-triggers/thanks-1').fetchHistory();
  const startPages = (events ?? []).map((e) => e.activityTaskScheduledEventAttributes).filter((a) => a?.activityType?.name?.startsWith('start'));
  expect(startPages.map((a) => [a!.activityType!.name, Number(a!.heartbeatTimeout?.seconds)])).toEqual([
    ['startAccountReviews', 30],
    ['startAppreciations', 30],
  ]);

  // The worker's sweep started it with the policy the worker was given, as a start by hand gets the API's.
  expect(await startedWith(appreciationWorkflowId(silent, year))).toEqual([{ customerId: silent, policy }]);
  const run = await stack.temporal.client.workflow.getHandle(appreciationWorkflowId(silent, year)).result();
  expect(run).toBe('thanked');
  const messages = await sql<{ template: string; purpose: string; payload: Record<string, unknown> }>`
    select template, purpose, payload from outbox_message where customer_id = ${silent} and template = 'appreciation'`.execute(stack.orm.em.fork().getKysely());
  // The new-customer offer (20%) beats the existing-customer one (10%): the loyal customer gets it too; the 35% one
  // would move them from standard to basic, which is no thank-you.
  // The offer as the customer reads it (this one has no end), by its code and discount: the name of an offer for new
  // customers ("Welcome", "your first three months") does not speak to one of many years.
  // Its terms as new customers read them come with it: what it applies to and for how long. Without an end of its own, it
  // is promised for the days the policy gives to use it (endOffer refuses to end it before).
  const usableUntil = new Date(Date.now() + policy.offerUsableDays! * 86_400_000).toISOString().slice(0, 10);
  expect(messages.rows).toEqual([
    {
      template: 'appreciation',
      purpose: 'marketing',
      payload: { offerCode: 'WELCOME20', offerName: null, discountPercent: 20, offerValidUntil: null, offerPromisedUntil: usableUntil, matchedNewCustomerOffer: true, newCustomerTerms: { name: 'Welcome', description: '20% off your first three months' } },
    },
  ]);
  expect(renderMessage('appreciation', 'Sam', messages.rows[0].payload, 'en', 'EUR').text).toContain(
    'As a thank-you, offer WELCOME20 (20% off) is yours: the best offer new customers get, on the same terms for you as for them ("Welcome: 20% off your first three months"), any period it names counted from when you first use it.',
  );
  expect(await sweep('playbook-triggers/thanks-2')).toMatchObject({ 'silent-loyal': 0 });
  await recordHistory(appreciationWorkflowId(silent, year), 'appreciation-thanked');
}, 60_000);

it('can be started by a marketer, and shows the offer', async () => {
  const id = await customer('Hand', { tenureDays: 900, band: 'loyal' });
  expect((await stack.gql(StartAppreciationDocument, { customerId: id }, Role.Viewer)).errors![0].extensions!.code).toBe('FORBIDDEN');
  expect((await stack.gql(StartAppreciationDocument, { customerId: id }, Role.Marketer)).errors).toBeUndefined();
  await stack.temporal.client.workflow.getHandle(appreciationWorkflowId(id, year)).result();
  expect((await stack.gql(AppreciationDocument, { customerId: id }, Role.Viewer)).data!.appreciation).toMatchObject({ step: 'done', outcome: 'thanked', offerCode: 'WELCOME20' });
}, 60_000);

it('thanks a customer on the basic tier with the offer for it, named in their language when the thank-you is written out', async () => {
  const id = await customer('Greta', { tenureDays: 900, band: 'loyal' });
  await stack.orm.em.fork().nativeUpdate(Customer, { id }, { serviceTier: ServiceTier.Basic, locale: 'de-DE' });
  const offer = await stack.orm.em.fork().findOneOrFail(Offer, { code: 'BASIC-SELF-SERVICE' });
  expect((await stack.gql(SetOfferTranslatedNamesDocument, { id: offer.id, translatedNames: [{ language: 'de', name: 'Selbstbedienung' }] }, Role.Marketer)).errors).toBeUndefined();
  expect((await stack.gql(StartAppreciationDocument, { customerId: id }, Role.Marketer)).errors).toBeUndefined();
  expect(await stack.temporal.client.workflow.getHandle(appreciationWorkflowId(id, year)).result()).toBe('thanked');
  // The basic tier's offer keeps the tier and beats the new customers' 20%: named by its own name and its German one.
  const [thankYou] = await stack.orm.em.fork().find(OutboxMessage, { customer: id, template: 'appreciation' });
  expect(thankYou.payload).toMatchObject({ offerCode: 'BASIC-SELF-SERVICE', offerName: 'Self-service', offerNames: { de: 'Selbstbedienung' }, discountPercent: 35, matchedNewCustomerOffer: false });
  expect(renderMessage('appreciation', 'Greta', thankYou.payload, 'de-DE', 'EUR').text).toContain('Als Dankeschön gehört Ihnen „Selbstbedienung“ (35 % Rabatt), Angebot BASIC-SELF-SERVICE');
  expect(renderMessage('appreciation', 'Greta', thankYou.payload, 'en', 'EUR').text).toContain('As a thank-you, Self-service (35% off), offer BASIC-SELF-SERVICE is yours');
}, 60_000);

it('thanks with an offer the customer can still use a while, not a flash sale that ends before they read it: one ending within the policy\'s days is left out', async () => {
  const em = stack.orm.em.fork();
  const today = new Date().toISOString().slice(0, 10);
  // The biggest discount of all, open for everyone today only.
  em.create(Offer, { code: 'FLASH60', name: 'Flash sale', audience: OfferAudience.Everyone, discountPercent: 60, validFrom: '2020-01-01', validUntil: today });
  await em.flush();
  try {
    const id = await customer('Nora', { tenureDays: 900, band: 'loyal' });
    expect((await stack.gql(StartAppreciationDocument, { customerId: id }, Role.Marketer)).errors).toBeUndefined();
    expect(await stack.temporal.client.workflow.getHandle(appreciationWorkflowId(id, year)).result()).toBe('thanked');
    // The best of those open in 14 days: the new customers' 20%, matched.
    expect((await stack.gql(AppreciationDocument, { customerId: id }, Role.Viewer)).data!.appreciation).toMatchObject({ outcome: 'thanked', offerCode: 'WELCOME20' });
  } finally {
    await stack.orm.em.fork().nativeDelete(Offer, { code: 'FLASH60' });
  }
}, 60_000);

it("shows a finished thank-you's offer, why it was not thanked, and its step once Temporal has deleted the closed execution after its retention (QA 69 F2)", async () => {
  // The fairness report counts them under the loyal band: one thank-you sent, one not given (read once earlier tests' thank-yous have settled).
  const pending = () => sql<{ n: number }>`select count(*)::int as n from outbox_message where template = 'appreciation' and sent_at is null and suppressed_at is null`.execute(stack.orm.em.fork().getKysely());
  await eventually(pending, (r) => r.rows[0].n === 0, 20_000);
  const loyalBand = async () => (await stack.gql(FairnessReportDocument, { since: new Date(Date.now() - DAY).toISOString().slice(0, 10) }, Role.Viewer)).data!.fairnessReport!.find((b) => b.band === 'loyal')!;
  const reportBefore = await loyalBand();
  const thanked = await customer('Kept', { tenureDays: 900, band: 'loyal' });
  expect((await stack.gql(StartAppreciationDocument, { customerId: thanked }, Role.Marketer)).errors).toBeUndefined();
  expect(await stack.temporal.client.workflow.getHandle(appreciationWorkflowId(thanked, year)).result()).toBe('thanked');
  const notThanked = await consentWithdrawnWhileWaiting('KeptBack');
  expect(await stack.temporal.client.workflow.getHandle(appreciationWorkflowId(notThanked, year)).result()).toBe('not-thanked');

  const view = (customerId: string) => stack.gql(AppreciationDocument, { customerId }, Role.Viewer).then((r) => r.data!.appreciation);
  const listed = (customerId: string) => stack.gql(CustomerPlaybookRunsDocument, { customerId }, Role.Viewer).then((r) => r.data!.customer!.playbookRuns.edges.map((e) => e.node));
  const before = { thanked: await view(thanked), notThanked: await view(notThanked), listed: await listed(thanked) };
  expect(before.thanked).toMatchObject({ status: 'Completed', step: 'done', outcome: 'thanked', offerCode: 'WELCOME20', heldBack: null, policyVersion: policy.version });
  expect(before.notThanked).toMatchObject({ status: 'Completed', step: 'done', outcome: 'not-thanked', offerCode: null, heldBack: expect.stringMatching(/^no-consent: /) });
  expect(before.listed).toEqual([expect.objectContaining({ status: 'Completed', step: 'done', outcome: 'thanked' })]);
  // The customer's story says why there was no thank-you (a support agent answering "you never thanked me").
  const ended = async (customerId: string) =>
    (await stack.gql(CustomerTimelineDocument, { id: customerId, first: 5, kinds: ['PlaybookFinished'] }, Role.Viewer)).data!.customer!.timeline.edges.map((e) => e.node.summary);
  expect(await ended(notThanked)).toEqual(['Appreciation ended: not thanked (held back: no consent)']);
  expect(await ended(thanked)).toEqual(['Appreciation ended: thanked']);
  await eventually(pending, (r) => r.rows[0].n === 0, 20_000);
  const reportAfter = await loyalBand();
  expect([reportAfter.thankYousSent - reportBefore.thankYousSent, reportAfter.thankYousNotGiven - reportBefore.thankYousNotGiven]).toEqual([1, 1]);

  await deleteAsRetentionDoes(stack, appreciationWorkflowId(thanked, year), appreciationWorkflowId(notThanked, year));
  // What the run's state held is kept with its record as it ended: the API shows the same as before.
  expect(await view(thanked)).toEqual(before.thanked);
  expect(await view(notThanked)).toEqual(before.notThanked);
  expect(await listed(thanked)).toEqual(before.listed);
}, 150_000);

it('thanks, welcomes and reviews only customers who have not left; an overdue invoice of one who has still gets its reminders', async () => {
  const id = await customer('Gone', { tenureDays: 900, band: 'loyal' });
  const em = stack.orm.em.fork();
  await em.nativeUpdate(Customer, { id }, { status: CustomerStatus.Offboarded });
  const invoice = em.create(Invoice, { customer: id, issuedAt: new Date(Date.now() - 40 * DAY).toISOString().slice(0, 10), dueAt: new Date(Date.now() - 10 * DAY).toISOString().slice(0, 10), amountMinor: 9_900 });
  await em.flush();
  const refused = [
    await stack.gql(StartAppreciationDocument, { customerId: id }, Role.Admin),
    await stack.gql(StartWelcomeCheckDocument, { customerId: id }, Role.Admin),
    await stack.gql(StartAccountReviewDocument, { customerId: id }, Role.Admin),
  ];
  for (const { errors } of refused) expect(errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'PLAYBOOK_CUSTOMER_OFFBOARDED' });
  expect(await stack.orm.em.fork().count(PlaybookRun, { customer: id })).toBe(0);
  expect((await stack.gql(StartFairReminderDocument, { invoiceId: invoice.id }, Role.Operator)).errors).toBeUndefined();

  // Given notice (offboarding), a customer is neither thanked with an offer nor welcomed, and no marketing reaches them.
  const leaving = await customer('Leaving', { tenureDays: 900, band: 'loyal' });
  await em.nativeUpdate(Customer, { id: leaving }, { status: CustomerStatus.Offboarding });
  for (const { errors } of [await stack.gql(StartAppreciationDocument, { customerId: leaving }, Role.Marketer), await stack.gql(StartWelcomeCheckDocument, { customerId: leaving }, Role.Admin)]) {
    expect(errors![0]).toMatchObject({ message: expect.stringMatching(/is under offboarding notice/), extensions: { code: 'CONFLICT', reason: 'PLAYBOOK_CUSTOMER_OFFBOARDED' } });
  }
  const { marketing, service } = (await (await stack.api.contextFor(`Bearer ${testKeys[Role.Viewer]}`)).services.contactStatus.forCustomer(leaving))!;
  expect([marketing.allowed, marketing.reason, service.allowed]).toEqual([false, 'offboarded', true]);
}, 60_000);

it('refuses to thank by hand a customer of two months, one not in the loyal band, or one without marketing consent, and audits who thanked', async () => {
  const newcomer = await customer('Fresh', { tenureDays: 61, band: 'new' });
  const since = new Date(Date.now() - 61 * DAY).toISOString().slice(0, 10);
  expect((await stack.gql(StartAppreciationDocument, { customerId: newcomer }, Role.Marketer)).errors![0]).toMatchObject({
    message: `No appreciation for customer ${newcomer}: customer for 61 days (since ${since}); appreciation needs 730 (2 years)`,
    extensions: { code: 'CONFLICT', reason: 'PLAYBOOK_NOT_ELIGIBLE', customerId: newcomer, playbook: 'Appreciation' },
  });
  const late = await customer('Tardy', { tenureDays: 1200, band: 'at-risk' });
  expect((await stack.gql(StartAppreciationDocument, { customerId: late }, Role.Marketer)).errors![0]).toMatchObject({
    message: `No appreciation for customer ${late}: payment-loyalty band is "at-risk"; appreciation is for "loyal"`,
    extensions: { code: 'CONFLICT', reason: 'PLAYBOOK_NOT_ELIGIBLE' },
  });
  // A thank-you is marketing: without consent the run would end at once, not thanked, and the sweep and campaigns would leave that year as it is (QA 52 F1).
  const unwilling = await customer('Unwilling', { tenureDays: 1200, band: 'loyal', marketingConsent: false });
  expect((await stack.gql(StartAppreciationDocument, { customerId: unwilling }, Role.Marketer)).errors![0]).toMatchObject({
    message: expect.stringMatching(new RegExp(`^No appreciation for customer ${unwilling}: no-consent: the customer has not agreed to marketing contact or opted out; a thank-you is marketing`)),
    extensions: { code: 'CONFLICT', reason: 'PLAYBOOK_NOT_ELIGIBLE', customerId: unwilling, playbook: 'Appreciation' },
  });
  expect([await runs(newcomer), await runs(late), await runs(unwilling)]).toEqual([0, 0, 0]);
  expect(await stack.orm.em.fork().count(OutboxMessage, { customer: { $in: [newcomer, late, unwilling] } })).toBe(0);
  // Once they consent, they are thanked: the refusal used nothing up.
  await stack.orm.em.fork().nativeUpdate(Customer, { id: unwilling }, { marketingConsent: true });
  expect((await stack.gql(StartAppreciationDocument, { customerId: unwilling }, Role.Marketer)).errors).toBeUndefined();
  expect(await stack.temporal.client.workflow.getHandle(appreciationWorkflowId(unwilling, year)).result()).toBe('thanked');

  const fond = await customer('Fond', { tenureDays: 800, band: 'loyal' });
  const workflowId = appreciationWorkflowId(fond, year);
  expect((await stack.gql(StartAppreciationDocument, { customerId: fond }, Role.Marketer)).data!.startAppreciation.workflowId).toBe(workflowId);
  const audit = await stack.gql(AuditEntriesDocument, { entityType: 'playbook_run', entityId: workflowId }, Role.Admin);
  expect(audit.data!.auditEntries.edges.map((e) => e.node)).toEqual([
    expect.objectContaining({ actor: expect.stringMatching(/^marketer:/), action: 'playbook.start', after: { playbook: 'appreciation', customerId: fond, year } }),
  ]);
  expect((await stack.gql(AuditEntriesDocument, { action: 'playbook.start', entityId: appreciationWorkflowId(newcomer, year) }, Role.Admin)).data!.auditEntries.totalCount).toBe(0);
  await stack.temporal.client.workflow.getHandle(workflowId).result();
}, 60_000);

it('waits to thank a customer whose complaint is open until it is resolved (fix first, thank later), and thanks nobody the guard holds back for good', async () => {
  const complaining = await customer('Waiting', { tenureDays: 1200, band: 'loyal' });
  const complaint = stack.orm.em.fork().create(Complaint, { customer: complaining, topic: 'delivery-delay', severity: ComplaintSeverity.Low, openedAt: new Date(Date.now() - DAY) });
  await stack.orm.em.fork().persist(complaint).flush();
  const thankYous = async (customerId: string) =>
    (await sql<{ n: number }>`select count(*)::int as n from outbox_message where customer_id = ${customerId} and idempotency_key like 'appreciation/%'`.execute(stack.orm.em.fork().getKysely())).rows[0].n;
  const view = (customerId: string) => stack.gql(AppreciationDocument, { customerId }, Role.Viewer).then((r) => r.data!.appreciation);

  expect((await stack.gql(StartAppreciationDocument, { customerId: complaining }, Role.Marketer)).errors).toBeUndefined();
  expect(await eventually(() => view(complaining), (v) => v?.step === 'waiting')).toMatchObject({
    status: 'Running',
    outcome: null,
    heldBack: expect.stringMatching(/^open-complaint: a complaint or the fix of an issue is open/),
    deadline: expect.any(String),
  });
  expect(await thankYous(complaining)).toBe(0);

  await stack.orm.em.fork().nativeUpdate(Complaint, { id: complaint.id }, { resolvedAt: new Date() });
  expect(await stack.temporal.client.workflow.getHandle(appreciationWorkflowId(complaining, year)).result()).toBe('thanked');
  expect(await view(complaining)).toMatchObject({ outcome: 'thanked', offerCode: 'WELCOME20', heldBack: null });
  expect(await thankYous(complaining)).toBe(1);
  await recordHistory(appreciationWorkflowId(complaining, year), 'appreciation-waited-for-fix');

  // No consent does not pass by itself: consent withdrawn while the run waits ends it, not thanked, and it writes nothing.
  const noConsent = await consentWithdrawnWhileWaiting('Unreachable');
  expect(await stack.temporal.client.workflow.getHandle(appreciationWorkflowId(noConsent, year)).result()).toBe('not-thanked');
  expect(await view(noConsent)).toMatchObject({ status: 'Completed', outcome: 'not-thanked', offerCode: null, heldBack: expect.stringMatching(/^no-consent: /) });
  expect(await thankYous(noConsent)).toBe(0);
}, 60_000);

it('waits to thank a customer with an overdue, unpaid invoice until it is paid: nobody is thanked and reminded to pay at once; paid late, they are no longer thanked as a loyal payer', async () => {
  const owing = await customer('Owing', { tenureDays: 1200, band: 'loyal' });
  const em = stack.orm.em.fork();
  // A loyal payer's record, as the rescore after a payment reads it: six invoices paid on their due days.
  for (let month = 1; month <= 6; month++) {
    const due = new Date(Date.now() - month * 30 * DAY).toISOString().slice(0, 10);
    em.create(Invoice, { customer: owing, issuedAt: new Date(Date.now() - (month * 30 + 14) * DAY).toISOString().slice(0, 10), dueAt: due, paidAt: due, amountMinor: 4_000 });
  }
  const invoice = em.create(Invoice, { customer: owing, externalRef: 'INV-OWING-1', issuedAt: new Date(Date.now() - 20 * DAY).toISOString().slice(0, 10), dueAt: new Date(Date.now() - 6 * DAY).toISOString().slice(0, 10), amountMinor: 4_000 });
  await em.flush();
  const view = (customerId: string) => stack.gql(AppreciationDocument, { customerId }, Role.Viewer).then((r) => r.data!.appreciation);
  // A thank-you campaign's preview counts them held back for it.
  const created = await stack.gql(CreateCampaignDocument, { input: { name: 'Thank the owing', playbook: 'Appreciation', filter: { search: 'owing@example.com' }, holdoutPercent: 0 } }, Role.Marketer);
  expect(created.data!.createCampaign.preview).toMatchObject({ customers: 1, messages: 0, heldBack: [{ reason: 'invoice-overdue', customers: 1 }] });

  expect((await stack.gql(StartAppreciationDocument, { customerId: owing }, Role.Marketer)).errors).toBeUndefined();
  expect(await eventually(() => view(owing), (v) => v?.step === 'waiting')).toMatchObject({ status: 'Running', heldBack: `invoice-overdue: invoice INV-OWING-1 was due on ${invoice.dueAt} and is unpaid` });
  // The money had come on the due day (the bank's booking was late): paid on time, still loyal, thanked.
  expect((await stack.gql(RecordPaymentDocument, { input: { invoiceId: invoice.id, amountMinor: 4_000, paidAt: invoice.dueAt } }, Role.Operator)).errors).toBeUndefined();
  expect(await stack.temporal.client.workflow.getHandle(appreciationWorkflowId(owing, year)).result()).toBe('thanked');

  // A payer already late once this year (forgiven after their loyal record: still loyal) pays late again and leaves the
  // loyal band: the thank-you ("for paying on time") is not written.
  const slippedOnce = (customerId: string) =>
    em.create(Invoice, { customer: customerId, issuedAt: isoDay(Date.now() - 89 * DAY), dueAt: isoDay(Date.now() - 75 * DAY), amountMinor: 4_000, paidAt: isoDay(Date.now() - 65 * DAY) });
  const late = await customer('LatePayer', { tenureDays: 1200, band: 'loyal' });
  slippedOnce(late);
  const lateInvoice = em.create(Invoice, { customer: late, externalRef: 'INV-LATE-1', issuedAt: new Date(Date.now() - 20 * DAY).toISOString().slice(0, 10), dueAt: new Date(Date.now() - 6 * DAY).toISOString().slice(0, 10), amountMinor: 4_000 });
  await em.flush();
  expect((await stack.gql(StartAppreciationDocument, { customerId: late }, Role.Marketer)).errors).toBeUndefined();
  expect(await eventually(() => view(late), (v) => v?.step === 'waiting')).toMatchObject({ heldBack: expect.stringMatching(/^invoice-overdue: /) });
  expect((await stack.gql(RecordPaymentDocument, { input: { invoiceId: lateInvoice.id, amountMinor: 4_000 } }, Role.Operator)).errors).toBeUndefined();
  expect(await stack.temporal.client.workflow.getHandle(appreciationWorkflowId(late, year)).result()).toBe('not-thanked');
  expect(await view(late)).toMatchObject({ outcome: 'not-thanked', offerCode: null, heldBack: expect.stringMatching(/^not-loyal: the customer's payment-loyalty band is "\w[\w-]*" now; a thank-you is for "loyal"$/) });

  // Paid late (a second time this year) by an import too big to rescore each customer at once (the nightly run would): the stored band still says loyal, the thank-you step rescores.
  const imported = await customer('Imported', { tenureDays: 1200, band: 'loyal' });
  slippedOnce(imported);
  em.create(Invoice, { customer: imported, issuedAt: isoDay(Date.now() - 40 * DAY), dueAt: isoDay(Date.now() - 20 * DAY), amountMinor: 4_000, paidAt: isoDay(Date.now() - 3 * DAY) });
  await em.flush();
  expect((await stack.gql(StartAppreciationDocument, { customerId: imported }, Role.Marketer)).errors).toBeUndefined();
  expect(await stack.temporal.client.workflow.getHandle(appreciationWorkflowId(imported, year)).result()).toBe('not-thanked');
  expect(await view(imported)).toMatchObject({ heldBack: `not-loyal: the customer's payment-loyalty band is "regular" now; a thank-you is for "loyal"` });

  // An invoice past the trigger sweep's 90 days, with no reminder under way (left to a person, written off), is owed all the
  // same: it holds the thank-you back, in a campaign's preview and in the run alike (before, neither counted it, and a
  // campaign thanked the customer with an offer while the debt stood on a person's list).
  const oldDebt = await customer('OldDebt', { tenureDays: 1200, band: 'loyal' });
  const debt = em.create(Invoice, { customer: oldDebt, externalRef: 'INV-OLD-DEBT', issuedAt: isoDay(Date.now() - 420 * DAY), dueAt: isoDay(Date.now() - 400 * DAY), amountMinor: 4_000 });
  await em.flush();
  const oldDebtCampaign = await stack.gql(CreateCampaignDocument, { input: { name: 'Thank the old debt', playbook: 'Appreciation', filter: { search: 'olddebt@example.com' }, holdoutPercent: 0 } }, Role.Marketer);
  expect(oldDebtCampaign.data!.createCampaign.preview).toMatchObject({ customers: 1, messages: 0, heldBack: [{ reason: 'invoice-overdue', customers: 1 }] });
  expect((await stack.gql(StartAppreciationDocument, { customerId: oldDebt }, Role.Marketer)).errors).toBeUndefined();
  expect(await eventually(() => view(oldDebt), (v) => v?.status !== 'Running' || v.step === 'waiting')).toMatchObject({
    status: 'Running',
    heldBack: `invoice-overdue: invoice INV-OLD-DEBT was due on ${debt.dueAt} and is unpaid`,
  });
  // Cancelled by the billing system (never owed), it holds nothing back: the thank-you goes on to what the step checks next.
  await em.nativeUpdate(Invoice, { id: debt.id }, { cancelledAt: isoDay(Date.now()) });
  expect(await stack.temporal.client.workflow.getHandle(appreciationWorkflowId(oldDebt, year)).result()).toBe('thanked');
}, 60_000);

it('thanks a loyal customer whose dispute of an overdue invoice was upheld while billing corrects it: they do not owe it as billed (QA 137 F9)', async () => {
  const righted = await customer('Righted', { tenureDays: 1200, band: 'loyal' });
  const em = stack.orm.em.fork();
  for (let month = 1; month <= 6; month++) {
    const due = isoDay(Date.now() - month * 30 * DAY);
    em.create(Invoice, { customer: righted, issuedAt: isoDay(Date.now() - (month * 30 + 14) * DAY), dueAt: due, paidAt: due, amountMinor: 4_000 });
  }
  const charged = em.create(Invoice, { customer: righted, externalRef: 'INV-CHARGED-TWICE', issuedAt: isoDay(Date.now() - 20 * DAY), dueAt: isoDay(Date.now() - 6 * DAY), amountMinor: 4_000 });
  await em.flush();
  expect((await stack.gql(DisputeInvoiceDocument, { invoiceId: charged.id, reason: 'charged twice' }, Role.Operator)).errors).toBeUndefined();
  // Open, the dispute is undecided: the invoice may be owed, and the thank-you waits for it as for any overdue one.
  const preview = async () =>
    (await stack.gql(CreateCampaignDocument, { input: { name: `Thank the righted ${Date.now()}`, playbook: 'Appreciation', filter: { search: 'righted@example.com' }, holdoutPercent: 0 } }, Role.Marketer)).data!.createCampaign.preview;
  expect(await preview()).toMatchObject({ customers: 1, messages: 0, heldBack: [{ reason: 'invoice-overdue', customers: 1 }] });
  expect((await stack.gql(ResolveDisputeDocument, { invoiceId: charged.id, outcome: 'Upheld' }, Role.Operator)).errors).toBeUndefined();
  expect(await preview()).toMatchObject({ customers: 1, messages: 1, heldBack: [] });
  expect((await stack.gql(StartAppreciationDocument, { customerId: righted }, Role.Marketer)).errors).toBeUndefined();
  expect(await stack.temporal.client.workflow.getHandle(appreciationWorkflowId(righted, year)).result()).toBe('thanked');
}, 60_000);

it("counts as silent a customer who was written only tasks for our teams and messages the guard held back, and leaves to the sweep only those who take marketing", async () => {
  const silent = await customer('Unheard', { tenureDays: 1200, band: 'loyal' });
  const em = stack.orm.em.fork();
  em.create(OutboxMessage, { idempotencyKey: `task/${silent}`, customer: silent, channel: MessageChannel.Email, purpose: MessagePurpose.Service, template: 'call-personal', payload: {}, createdAt: new Date(Date.now() - 5 * DAY) });
  em.create(OutboxMessage, { idempotencyKey: `held/${silent}`, customer: silent, channel: MessageChannel.Email, purpose: MessagePurpose.Marketing, template: 'appreciation', payload: {}, createdAt: new Date(Date.now() - 5 * DAY), suppressedAt: new Date(Date.now() - 5 * DAY), suppressedReason: 'budget-exhausted: test' });
  await em.flush();
  const noConsent = await customer('Declined', { tenureDays: 1200, band: 'loyal', marketingConsent: false });
  const sweep = (id: string) => stack.temporal.client.workflow.execute<typeof playbookTriggers>('playbookTriggers', { workflowId: id, taskQueue: stack.config.temporal.taskQueue, args: [{ policy: triggerPolicy }] });
  expect(await sweep('playbook-triggers/thanks-unheard')).toMatchObject({ 'silent-loyal': 1 });
  expect([await runs(silent), await runs(noConsent)]).toEqual([1, 0]);
  expect(await stack.temporal.client.workflow.getHandle(appreciationWorkflowId(silent, year)).result()).toBe('thanked');
}, 60_000);

it("re-checks at the thank-you what the start checked: an account that became loss-making while the thank-you waited is not thanked, nor is one another thank-you reached lately; last year's waiting one is the customer's", async () => {
  const thankYous = async (customerId: string) =>
    (await sql<{ n: number }>`select count(*)::int as n from outbox_message where customer_id = ${customerId} and template = 'appreciation'`.execute(stack.orm.em.fork().getKysely())).rows[0].n;
  const complain = async (customerId: string) => {
    const complaint = stack.orm.em.fork().create(Complaint, { customer: customerId, topic: 'delivery-delay', severity: ComplaintSeverity.Low, openedAt: new Date(Date.now() - DAY) });
    await stack.orm.em.fork().persist(complaint).flush();
    return () => stack.orm.em.fork().nativeUpdate(Complaint, { id: complaint.id }, { resolvedAt: new Date() });
  };
  const policy = { ...appreciationPolicy, waitWhileHeldMs: seconds(60), recheckMs: seconds(1) };
  const startRun = (customerId: string, forYear: number) =>
    stack.temporal.client.workflow.start('appreciation', { workflowId: appreciationWorkflowId(customerId, forYear), taskQueue: stack.config.temporal.taskQueue, args: [{ customerId, policy }] });
  const waiting = (workflowId: string) => eventually(() => stack.temporal.client.workflow.getHandle(workflowId).query<{ step: string }>('state'), (s) => s.step === 'waiting');

  // Waits for a complaint to be resolved; meanwhile the account turns loss-making (a later rescore).
  const turned = await customer('Turned', { tenureDays: 1200, band: 'loyal' });
  const resolveTurned = await complain(turned);
  expect((await stack.gql(StartAppreciationDocument, { customerId: turned }, Role.Marketer)).errors).toBeUndefined();
  await waiting(appreciationWorkflowId(turned, year));
  const em = stack.orm.em.fork();
  em.create(ScoreSnapshot, { customer: turned, computedAt: new Date(), scores: { profitability: { value: -28_000, band: 'loss-making', modelVersion: 'test', reasons: ['test'] } } });
  await em.flush();
  await resolveTurned();
  expect(await stack.temporal.client.workflow.getHandle(appreciationWorkflowId(turned, year)).result()).toBe('not-thanked');
  expect((await stack.gql(AppreciationDocument, { customerId: turned }, Role.Viewer)).data!.appreciation).toMatchObject({ outcome: 'not-thanked', heldBack: expect.stringMatching(/^loss-making: /) });
  expect(await thankYous(turned)).toBe(0);

  // Last year's thank-you still waits: it is the customer's (shown, and a start joins it; the sweep leaves them be) ...
  const patient = await customer('Patient', { tenureDays: 1200, band: 'loyal' });
  const resolvePatient = await complain(patient);
  await startRun(patient, year - 1);
  await waiting(appreciationWorkflowId(patient, year - 1));
  expect((await stack.gql(AppreciationDocument, { customerId: patient }, Role.Viewer)).data!.appreciation).toMatchObject({ workflowId: appreciationWorkflowId(patient, year - 1), step: 'waiting' });
  expect((await stack.gql(StartAppreciationDocument, { customerId: patient }, Role.Marketer)).data!.startAppreciation.workflowId).toBe(appreciationWorkflowId(patient, year - 1));
  await stack.temporal.client.workflow.execute<typeof playbookTriggers>('playbookTriggers', { workflowId: 'playbook-triggers/thanks-patient', taskQueue: stack.config.temporal.taskQueue, args: [{ policy: triggerPolicy }] });
  expect(await runs(patient)).toBe(0);
  // ... and one of this year's all the same (a campaign's by its ID, say) waits beside it: of the two, one thanks.
  await startRun(patient, year);
  await waiting(appreciationWorkflowId(patient, year));
  await resolvePatient();
  const outcomes = await Promise.all([year - 1, year].map((y) => stack.temporal.client.workflow.getHandle(appreciationWorkflowId(patient, y)).result()));
  expect(outcomes.sort()).toEqual(['not-thanked', 'thanked']);
  expect(await thankYous(patient)).toBe(1);
}, 90_000);

it("starts the year's next thank-you by hand once the year's run ended without one reaching the customer (cancelled before it wrote one, held back at delivery); one that went is the year's (QA 69 F5)", async () => {
  const id = await customer('Cancelled Thanks', { tenureDays: 1200, band: 'loyal' });
  const complaint = stack.orm.em.fork().create(Complaint, { customer: id, topic: 'delivery-delay', severity: ComplaintSeverity.Low, openedAt: new Date(Date.now() - DAY) });
  await stack.orm.em.fork().persist(complaint).flush();
  const first = appreciationWorkflowId(id, year);
  const start = async () => {
    const started = await stack.gql(StartAppreciationDocument, { customerId: id }, Role.Marketer);
    expect(started.errors).toBeUndefined();
    return started.data!.startAppreciation.workflowId;
  };
  expect(await start()).toBe(first);
  await eventually(() => stack.gql(AppreciationDocument, { customerId: id }, Role.Viewer).then((r) => r.data!.appreciation), (v) => v?.step === 'waiting');
  // The customer complained that day: the operator stops the thank-you, which wrote nothing.
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId: first, reason: 'complained today: not now' }, Role.Operator)).errors).toBeUndefined();
  // Before, this answered the cancelled run: the customer's thank-you of the year was spent.
  expect(await start()).toBe(`${first}/2`);
  await stack.orm.em.fork().nativeUpdate(Complaint, { id: complaint.id }, { resolvedAt: new Date() });
  expect(await stack.temporal.client.workflow.getHandle(`${first}/2`).result()).toBe('thanked');
  expect((await stack.gql(AppreciationDocument, { customerId: id }, Role.Viewer)).data!.appreciation).toMatchObject({ workflowId: `${first}/2`, outcome: 'thanked' });
  // One that went (or may still go) is the year's: a start answers it.
  expect(await start()).toBe(`${first}/2`);
  // Held back at delivery (an opt-out in the minute before it went, say), it reached nobody: the year's next.
  await stack.orm.em.fork().nativeUpdate(OutboxMessage, { idempotencyKey: `${first}/2/thank-you` }, { sentAt: null, suppressedAt: new Date(), suppressedReason: 'no-consent: opted out' });
  expect(await start()).toBe(`${first}/3`);
  expect(await stack.temporal.client.workflow.getHandle(`${first}/3`).result()).toBe('thanked');
}, 90_000);

it("shows last year's thank-you, which waited into January, once it has thanked the customer, while this year has none; a start then is refused as too soon (QA 69 F6, F1)", async () => {
  const id = await customer('January Thanks', { tenureDays: 1200, band: 'loyal' });
  const lastYears = appreciationWorkflowId(id, year - 1);
  await stack.temporal.client.workflow.execute('appreciation', { workflowId: lastYears, taskQueue: stack.config.temporal.taskQueue, args: [{ customerId: id, policy }] });
  // Before, the query switched to this year's ID the moment last year's completed, and answered null.
  expect((await stack.gql(AppreciationDocument, { customerId: id }, Role.Viewer)).data!.appreciation).toMatchObject({ workflowId: lastYears, status: 'Completed', outcome: 'thanked' });
  const refused = await stack.gql(StartAppreciationDocument, { customerId: id }, Role.Marketer);
  expect(refused.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'PLAYBOOK_NOT_ELIGIBLE', lastThankYouOn: isoDay(Date.now()) });
  expect(await runs(id)).toBe(0);
}, 60_000);

it("writes a thank-you when it goes at once: in the customer's quiet hours the run waits for them to end, so no thank-you sits queued through the night for a complaint to stop", async () => {
  const sleeper = await customer('Sleeper', { tenureDays: 1200, band: 'loyal' });
  const timeZone = zoneAtTwoInTheMorning(new Date());
  await stack.orm.em.fork().nativeUpdate(Customer, { id: sleeper }, { timeZone });
  expect((await stack.gql(StartAppreciationDocument, { customerId: sleeper }, Role.Marketer)).errors).toBeUndefined();
  const view = await eventually(() => stack.gql(AppreciationDocument, { customerId: sleeper }, Role.Viewer).then((r) => r.data!.appreciation), (v) => v?.step === 'waiting');
  // Quiet hours end at 08:00 local, some six hours from now (02:xx there).
  const deadline = new Date(view!.deadline!);
  expect(new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(deadline)).toBe('08:00');
  expect(deadline.getTime() - Date.now()).toBeLessThan(6 * 3_600_000);
  expect(deadline.getTime() - Date.now()).toBeGreaterThan(4.9 * 3_600_000);
  expect(view).toMatchObject({ status: 'Running', heldBack: null, outcome: null });
  expect(await stack.orm.em.fork().count(OutboxMessage, { customer: sleeper, template: 'appreciation' })).toBe(0);
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId: appreciationWorkflowId(sleeper, year), reason: 'test over' }, Role.Operator)).errors).toBeUndefined();
}, 60_000);

it("shows a thank-you started in the customer's quiet hours held back by what holds it back at any hour (an overdue invoice, a payer no longer loyal), as the campaign preview does, not as on its way until the morning", async () => {
  const em = stack.orm.em.fork();
  const view = (customerId: string) => stack.gql(AppreciationDocument, { customerId }, Role.Viewer).then((r) => r.data!.appreciation);
  const atNight = async (customerId: string) => em.nativeUpdate(Customer, { id: customerId }, { timeZone: zoneAtTwoInTheMorning(new Date()) });

  // An invoice overdue and unpaid: the run waits for it to be paid, asking again at its recheck (daily; a second here),
  // where it showed a thank-you due at 08:00 local (heldBack null), to find the invoice only then.
  const owing = await customer('NightOwing', { tenureDays: 1200, band: 'loyal' });
  await atNight(owing);
  const invoice = em.create(Invoice, { customer: owing, externalRef: 'INV-NIGHT-1', issuedAt: isoDay(Date.now() - 20 * DAY), dueAt: isoDay(Date.now() - 6 * DAY), amountMinor: 4_000 });
  await em.flush();
  const created = await stack.gql(CreateCampaignDocument, { input: { name: 'Thank the night owing', playbook: 'Appreciation', filter: { search: 'nightowing@example.com' }, holdoutPercent: 0 } }, Role.Marketer);
  expect(created.data!.createCampaign.preview).toMatchObject({ customers: 1, messages: 0, heldBack: [{ reason: 'invoice-overdue', customers: 1 }] });
  expect((await stack.gql(StartAppreciationDocument, { customerId: owing }, Role.Marketer)).errors).toBeUndefined();
  const held = await eventually(() => view(owing), (v) => v?.step === 'waiting');
  expect(held).toMatchObject({ status: 'Running', outcome: null, heldBack: `invoice-overdue: invoice INV-NIGHT-1 was due on ${invoice.dueAt} and is unpaid` });
  expect(Date.parse(held!.deadline!) - Date.now()).toBeLessThan(60_000);
  // Paid: nothing holds it back any more, and the quiet hours do: it waits for them to end.
  expect((await stack.gql(RecordPaymentDocument, { input: { invoiceId: invoice.id, amountMinor: 4_000, paidAt: invoice.dueAt } }, Role.Operator)).errors).toBeUndefined();
  const morning = await eventually(() => view(owing), (v) => v?.step === 'waiting' && v.heldBack === null, 10_000);
  expect(Date.parse(morning!.deadline!) - Date.now()).toBeGreaterThan(4.9 * 3_600_000);
  expect(await em.count(OutboxMessage, { customer: owing, template: 'appreciation' })).toBe(0);
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId: appreciationWorkflowId(owing, year), reason: 'test over' }, Role.Operator)).errors).toBeUndefined();

  // Paid late twice this year (the stored band still says loyal, the thank-you step rescores): it ends not thanked at once,
  // where it waited for the morning to end so.
  const late = await customer('NightLate', { tenureDays: 1200, band: 'loyal' });
  await atNight(late);
  em.create(Invoice, { customer: late, issuedAt: isoDay(Date.now() - 89 * DAY), dueAt: isoDay(Date.now() - 75 * DAY), amountMinor: 4_000, paidAt: isoDay(Date.now() - 65 * DAY) });
  em.create(Invoice, { customer: late, issuedAt: isoDay(Date.now() - 40 * DAY), dueAt: isoDay(Date.now() - 20 * DAY), amountMinor: 4_000, paidAt: isoDay(Date.now() - 3 * DAY) });
  await em.flush();
  expect((await stack.gql(StartAppreciationDocument, { customerId: late }, Role.Marketer)).errors).toBeUndefined();
  expect(await eventually(() => view(late), (v) => v?.status !== 'Running' || (v.step === 'waiting' && v.heldBack === null), 10_000)).toMatchObject({
    status: 'Completed',
    outcome: 'not-thanked',
    heldBack: expect.stringMatching(/^not-loyal: /),
  });
}, 60_000);

/** A loyal customer in their quiet hours (02:xx where they live), whose thank-you, started by hand, waits for them to end (some six hours). */
async function thankYouWaitingForQuietHours(name: string, externalRef?: string): Promise<{ id: string; workflowId: string }> {
  const id = await customer(name, { tenureDays: 1200, band: 'loyal' });
  await stack.orm.em.fork().nativeUpdate(Customer, { id }, { timeZone: zoneAtTwoInTheMorning(new Date()), ...(externalRef ? { externalRef } : {}) });
  expect((await stack.gql(StartAppreciationDocument, { customerId: id }, Role.Marketer)).errors).toBeUndefined();
  const waiting = await eventually(() => stack.gql(AppreciationDocument, { customerId: id }, Role.Viewer).then((r) => r.data!.appreciation), (v) => v?.step === 'waiting');
  expect(waiting).toMatchObject({ status: 'Running', heldBack: null, outcome: null });
  expect(Date.parse(waiting!.deadline!) - Date.now()).toBeGreaterThan(4.9 * 3_600_000);
  return { id, workflowId: appreciationWorkflowId(id, year) };
}

it("ends a thank-you waiting out the customer's quiet hours not thanked as soon as they opt out or an operator withdraws their consent, so their erasure is not held up for hours", async () => {
  const optedOut = await thankYouWaitingForQuietHours('Night Owl');
  expect((await stack.gql(OptOutDocument, { customerId: optedOut.id }, Role.Operator)).errors).toBeUndefined();
  // Told at once: it asks the guard again, which finds no consent (before, it slept until the quiet hours ended, heldBack null).
  const ended = await eventually(() => stack.gql(AppreciationDocument, { customerId: optedOut.id }, Role.Viewer).then((r) => r.data!.appreciation), (v) => v?.status === 'Completed', 10_000);
  expect(ended).toMatchObject({ status: 'Completed', step: 'done', outcome: 'not-thanked', offerCode: null, deadline: null, heldBack: expect.stringMatching(/^no-consent: /) });
  expect(await stack.temporal.client.workflow.getHandle(optedOut.workflowId).result()).toBe('not-thanked');
  expect(await stack.orm.em.fork().count(OutboxMessage, { customer: optedOut.id, template: 'appreciation' })).toBe(0);
  // Nothing under way any more: the erasure goes ahead (before: CUSTOMER_PLAYBOOKS_RUNNING until 08:00 their time).
  expect((await stack.gql(EraseCustomerDocument, { id: optedOut.id, reason: 'Art. 17 request: unsubscribe me and delete my data' }, Role.Admin)).errors).toBeUndefined();
  await recordHistory(optedOut.workflowId, 'appreciation-woken-by-opt-out');

  const updated = await thankYouWaitingForQuietHours('Late Sleeper');
  expect((await stack.gql(UpdateCustomerDocument, { id: updated.id, input: { marketingConsent: false } }, Role.Operator)).errors).toBeUndefined();
  expect(await eventually(() => stack.gql(AppreciationDocument, { customerId: updated.id }, Role.Viewer).then((r) => r.data!.appreciation), (v) => v?.status === 'Completed', 10_000)).toMatchObject({
    outcome: 'not-thanked',
    heldBack: expect.stringMatching(/^no-consent: /),
  });
}, 90_000);

it("shows a thank-you waiting out the customer's quiet hours held back by a complaint as soon as it is recorded (fix first, thank later), and waits for the morning again once it is resolved", async () => {
  const night = await thankYouWaitingForQuietHours('Night Complainer');
  const view = () => stack.gql(AppreciationDocument, { customerId: night.id }, Role.Viewer).then((r) => r.data!.appreciation);
  const recorded = await stack.gql(RecordComplaintDocument, { input: { customerId: night.id, topic: 'billing-error', severity: 'High', summary: 'charged twice' } }, Role.Operator);
  expect(recorded.errors).toBeUndefined();
  // Told at once: it asks the guard again and waits for the fix (before, it showed a thank-you on its way until 08:00).
  expect(await eventually(view, (v) => v?.heldBack?.startsWith('open-complaint') === true, 10_000)).toMatchObject({ status: 'Running', step: 'waiting', outcome: null });
  expect(await stack.orm.em.fork().count(OutboxMessage, { customer: night.id, template: 'appreciation' })).toBe(0);
  // Resolved: the quiet hours still hold it until the morning.
  expect((await stack.gql(ResolveComplaintDocument, { id: recorded.data!.recordComplaint.id }, Role.Operator)).errors).toBeUndefined();
  const morning = await eventually(view, (v) => v?.step === 'waiting' && v.heldBack === null, 10_000);
  expect(Date.parse(morning!.deadline!) - Date.now()).toBeGreaterThan(4.9 * 3_600_000);
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId: night.workflowId, reason: 'test over' }, Role.Operator)).errors).toBeUndefined();
  await stack.temporal.client.workflow.getHandle(night.workflowId).result().catch(() => undefined);
  await recordHistory(night.workflowId, 'appreciation-woken-by-complaint');
}, 90_000);

it("ends a thank-you waiting out the customer's quiet hours not thanked once the run reconciliation tells it that an import withdrew their consent, and tells it only while that is recent", async () => {
  const imported = await thankYouWaitingForQuietHours('Dozer', 'CRM-Dozer');
  const csv = 'customer_ref,name,email,marketing_consent\nCRM-Dozer,Dozer,dozer@example.com,false\n';
  expect(await new ImportService(stack.config.databaseUrl, {}, null, 'EUR').importCsv('customers', Readable.from([csv]), { mode: 'all-or-nothing', actor: 'cli:test', source: 'test' })).toMatchObject({ updated: 1 });
  // The import tells no run (the CLI has no engine): the reconciliation, every few minutes, does.
  expect((await stack.gql(AppreciationDocument, { customerId: imported.id }, Role.Viewer)).data!.appreciation).toMatchObject({ status: 'Running', step: 'waiting' });
  const reconciliation = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services.runReconciliation;
  expect(await reconciliation.recordRunsEndedInEngine()).toContain(imported.workflowId);
  expect(await stack.temporal.client.workflow.getHandle(imported.workflowId).result()).toBe('not-thanked');
  expect(await eventually(() => stack.gql(AppreciationDocument, { customerId: imported.id }, Role.Viewer).then((r) => r.data!.appreciation), (v) => v?.status === 'Completed', 10_000)).toMatchObject({
    outcome: 'not-thanked',
    heldBack: expect.stringMatching(/^no-consent: /),
  });
  expect(await reconciliation.recordRunsEndedInEngine()).not.toContain(imported.workflowId);
  // A withdrawal older than the reconciliation's window is not told again pass after pass.
  const stale = await thankYouWaitingForQuietHours('Old Sleeper');
  await stack.orm.em.fork().nativeUpdate(Customer, { id: stale.id }, { marketingConsent: false });
  await sql`insert into audit_entry (id, at, actor, action, entity_type, entity_id, before, after)
            values (gen_random_uuid(), now() - interval '2 hours', 'cli:test', 'customer.update', 'customer', ${stale.id}, '{"marketingConsent": true}', '{"marketingConsent": false}')`.execute(stack.orm.em.fork().getKysely());
  expect(await reconciliation.recordRunsEndedInEngine()).not.toContain(stale.workflowId);
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId: stale.workflowId, reason: 'test over' }, Role.Operator)).errors).toBeUndefined();
}, 90_000);

it('thanks after all a customer whose thank-you ended not thanked, once an operator reset it and the run reconciliation recorded it running again', async () => {
  const late = await consentWithdrawnWhileWaiting('Late Consent');
  const workflowId = appreciationWorkflowId(late, year);
  expect(await stack.temporal.client.workflow.getHandle(workflowId).result()).toBe('not-thanked');
  // The customer gives consent again; an operator resets the run to thank them after all.
  await stack.orm.em.fork().nativeUpdate(Customer, { id: late }, { marketingConsent: true });
  await resetInEngine(stack, workflowId, 'consent given: thank them after all', { finishEventId: 'first' });
  // Its record still says completed: the thank-you waits (retried) instead of claiming an offer nobody was sent.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  expect(await stack.orm.em.fork().count(OutboxMessage, { customer: late, template: 'appreciation' })).toBe(0);
  // (The reset run replays to its thanking step as a loaded machine lets it: read as it gets there.)
  const thanking = await eventually(async () => (await stack.gql(AppreciationDocument, { customerId: late }, Role.Viewer)).data!.appreciation, (a) => a?.step === 'thanking', 20_000);
  expect(thanking).toMatchObject({ step: 'thanking', offerCode: null });
  expect(await stack.orm.em.fork().count(OutboxMessage, { customer: late, template: 'appreciation' })).toBe(0);
  const { client } = stack.temporal;
  const engines = { playbooks: new TemporalPlaybookEngine(client, stack.config.temporal.taskQueue), scoring: new TemporalScoringEngine(client, stack.config.temporal.taskQueue), campaigns: new TemporalCampaignEngine(client, stack.config.temporal.taskQueue) };
  await passesUntilHandled(() => createServices(stack.orm.em.fork(), engines, defaultPolicies).runReconciliation.recordRunsEndedInEngine(), workflowId);
  expect(await stack.temporal.client.workflow.getHandle(workflowId).result()).toBe('thanked');
  expect(await stack.orm.em.fork().count(OutboxMessage, { customer: late, template: 'appreciation' })).toBe(1);
  expect((await stack.gql(AppreciationDocument, { customerId: late }, Role.Viewer)).data!.appreciation).toMatchObject({ status: 'Completed', outcome: 'thanked', offerCode: 'WELCOME20' });
}, 90_000);

it("cancels the welcome check of a customer the CRM offboarded meanwhile (at once through GraphQL, by the run reconciliation from the command line), audited as the CRM's word (QA 42 F1, F7)", async () => {
  const newcomer = async (name: string) => {
    const em = stack.orm.em.fork();
    const c = em.create(Customer, { name, email: `${name.toLowerCase()}@example.com`, acquiredAt: new Date(Date.now() - 5 * DAY).toISOString().slice(0, 10), externalRef: `CRM-${name}` });
    await em.flush();
    expect((await stack.gql(StartWelcomeCheckDocument, { customerId: c.id }, Role.Admin)).errors).toBeUndefined();
    const workflowId = welcomeCheckWorkflowId(c.id);
    await eventually(() => stack.orm.em.fork().findOne(PlaybookRun, { workflowId }), (r) => r !== null);
    return { workflowId, csv: `customer_ref,name,email,status\nCRM-${name},${name},${name.toLowerCase()}@example.com,offboarded\n` };
  };
  const status = async (workflowId: string) => (await stack.temporal.client.workflow.getHandle(workflowId).describe()).status.name;

  const viaApi = await newcomer('Departed');
  expect((await stack.gql(ImportCsvDocument, { input: { kind: 'Customers', csv: viaApi.csv, mode: 'AllOrNothing' } }, Role.Admin)).data!.importCsv).toMatchObject({ updated: 1, written: true });
  expect(await eventually(() => status(viaApi.workflowId), (s) => s === 'CANCELLED', 10_000)).toBe('CANCELLED');
  const [entry] = (await sql<{ actor: string; after: unknown }>`select actor, after from audit_entry where action = 'playbook.cancel' and entity_id = ${viaApi.workflowId}`.execute(stack.orm.em.fork().getKysely())).rows;
  expect(entry).toEqual({ actor: 'system:customer-left', after: { reason: 'The customer has left (offboarded)' } });

  const viaCli = await newcomer('Moved');
  expect(await new ImportService(stack.config.databaseUrl, {}, null, 'EUR').importCsv('customers', Readable.from([viaCli.csv]), { mode: 'all-or-nothing', actor: 'cli:test', source: 'test' })).toMatchObject({ updated: 1 });
  expect(await status(viaCli.workflowId)).toBe('RUNNING');
  const reconciliation = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services.runReconciliation;
  expect(await reconciliation.recordRunsEndedInEngine()).toContain(viaCli.workflowId);
  expect(await eventually(() => status(viaCli.workflowId), (s) => s === 'CANCELLED', 10_000)).toBe('CANCELLED');
  expect(await reconciliation.recordRunsEndedInEngine()).not.toContain(viaCli.workflowId);
}, 60_000);
