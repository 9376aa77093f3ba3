import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { Role } from '../src/domain/auth/roles.js';
import { fairReminderPolicy, fairReminderWorkflowId, type FairReminderPolicy } from '../src/domain/playbooks/fair-reminder.js';
import { seconds } from '../src/domain/policies/duration.js';
import { defaultPolicies } from '../src/domain/policies/index.js';
import { Customer, Invoice } from '../src/entities/index.js';
import { createServices } from '../src/services/index.js';
import { TemporalCampaignEngine } from '../src/temporal/temporal-campaign-engine.js';
import { TemporalPlaybookEngine } from '../src/temporal/temporal-playbook-engine.js';
import { TemporalScoringEngine } from '../src/temporal/temporal-scoring-engine.js';
import { CancelPlaybookRunDocument, CustomerScoresDocument, CustomerTimelineDocument, DisputeInvoiceDocument, ExportCustomerDataDocument, FairReminderDocument, FairReminderPromiseSupersededDocument, OverdueInvoicesDocument, PromiseToPayDocument, RecordPaymentDocument, ResolveDisputeDocument, RetryMessageDocument, StartFairReminderDocument } from './__generated__/graphql.js';
import { eventually } from './support/eventually.js';
import { recordHistory } from './support/histories.js';
import { completedRescore } from './support/rescores.js';
import { temporalOperator } from './support/temporal-operator.js';
import { zoneAtNoon, zoneAtTwoInTheMorning } from './support/time-zones.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * A customer disputes an invoice (wrong amount, goods not received): its reminders hold until the dispute is resolved, the
 * operators' queue says so, and a loyal payer stays loyal however long billing takes to look into it.
 */
const policy: FairReminderPolicy = {
  ...fairReminderPolicy,
  loyalSchedule: [
    { waitMs: 0, action: 'reminder', template: 'reminder-friendly' },
    { waitMs: seconds(3), action: 'reminder', template: 'reminder-gentle' },
    { waitMs: seconds(60), action: 'call', template: 'call-personal' },
  ],
  // A short course for a payer outside the loyal band, up to the collections letter.
  standardSchedule: [
    { waitMs: 0, action: 'reminder', template: 'reminder-standard-1' },
    { waitMs: seconds(1), action: 'handover', template: 'collections-handover' },
  ],
  // No grace days after a promise (or a dispute): the step's own wait is what the run waits again.
  promise: { maxDaysAhead: 30, graceDays: -1 },
};

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ policies: { fairReminder: policy } });
}, 90_000);
afterAll(() => stack?.stop());

const DAY = 86_400_000;
const day = (offsetDays: number) => new Date(Date.now() + offsetDays * DAY).toISOString().slice(0, 10);
const state = (invoiceId: string) => stack.gql(FairReminderDocument, { invoiceId }, Role.Viewer).then((r) => r.data?.fairReminder ?? null);
const db = () => stack.orm.em.fork().getKysely();
const written = async (workflowId: string) =>
  (await sql<{ idempotency_key: string }>`select idempotency_key from outbox_message where idempotency_key like ${`${workflowId}/%`} order by idempotency_key`.execute(db())).rows.map((r) =>
    r.idempotency_key.slice(workflowId.length + 1),
  );
const overdue = async (leftToPeople?: boolean) => (await stack.gql(OverdueInvoicesDocument, { first: 100, leftToPeople }, Role.Operator)).data!.overdueInvoices.edges.map((e) => e.node);

/** A customer of two years with `onTime` monthly invoices paid on time, and one invoice due `overdueDays` ago, open. */
async function loyalPayer(name: string, onTime: number, overdueDays = 5, timeZone = zoneAtNoon(new Date()), acquiredDaysAgo = 800): Promise<{ customerId: string; invoiceId: string }> {
  const em = stack.orm.em.fork();
  const customer = em.create(Customer, { name, email: `${name.toLowerCase()}.${randomUUID().slice(0, 6)}@example.com`, acquiredAt: day(-acquiredDaysAgo), timeZone });
  for (let i = 0; i < onTime; i++) {
    const due = -30 * (onTime - i) - overdueDays;
    em.create(Invoice, { customer, issuedAt: day(due - 14), dueAt: day(due), amountMinor: 5_000, paidAt: day(due - 2) });
  }
  const open = em.create(Invoice, { customer, externalRef: `INV-${name}-${randomUUID().slice(0, 4)}`, issuedAt: day(-overdueDays - 14), dueAt: day(-overdueDays), amountMinor: 7_500, paidAt: null });
  await em.flush();
  return { customerId: customer.id, invoiceId: open.id };
}

it("holds the run's reminders while the invoice is disputed, shows the dispute in the overdue list, and goes on once it is rejected", async () => {
  const { customerId, invoiceId } = await loyalPayer('Disputer', 8);
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  expect((await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => state(invoiceId), (s) => s?.remindersSent === 1 && s.step === 'waiting');

  const disputed = await stack.gql(DisputeInvoiceDocument, { invoiceId, reason: 'goods not received' }, Role.Operator);
  expect(disputed.errors).toBeUndefined();
  expect(disputed.data!.disputeInvoice.dispute).toMatchObject({ reason: 'goods not received', resolvedAt: null, outcome: null });
  expect(await eventually(() => state(invoiceId), (s) => s?.step === 'disputed')).toMatchObject({ remindersSent: 1, status: 'Running' });
  // Past the second reminder's wait: nothing more was written for the customer.
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  expect(await state(invoiceId)).toMatchObject({ step: 'disputed', remindersSent: 1 });
  expect(await written(workflowId)).toEqual(['reminder-1']);
  // The queue says why it is open, and a person resolves it.
  expect((await overdue()).find((i) => i.id === invoiceId)?.dispute).toMatchObject({ reason: 'goods not received', resolvedAt: null });
  expect((await overdue(true)).map((i) => i.id)).toContain(invoiceId);
  // Audited under who recorded it.
  const audited = await sql<{ action: string; actor: string }>`select action, actor from audit_entry where entity_id = ${invoiceId} and action like 'invoice.dispute%'`.execute(db());
  expect(audited.rows).toEqual([{ action: 'invoice.dispute', actor: expect.stringMatching(/^operator:/) }]);

  const resolved = await stack.gql(ResolveDisputeDocument, { invoiceId, outcome: 'Rejected', reason: 'delivery confirmed by the carrier' }, Role.Operator);
  expect(resolved.errors).toBeUndefined();
  expect(resolved.data!.resolveDispute.dispute).toMatchObject({ outcome: 'Rejected', resolvedAt: expect.any(String) });
  // The reminders go on: the second one after its wait again.
  await eventually(() => state(invoiceId), (s) => s?.remindersSent === 2, 20_000);
  expect(await written(workflowId)).toEqual(['reminder-1', 'reminder-2']);
  expect((await overdue(true)).map((i) => i.id)).not.toContain(invoiceId);
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId, reason: 'test done' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => state(invoiceId), (s) => s?.status === 'Cancelled');
  await recordHistory(workflowId, 'fair-reminder-dispute-held');
}, 90_000);

it('ends a promise to pay standing as the customer disputes the invoice as given way to the dispute, not broken, and holds for the dispute at once (QA 137 F10)', async () => {
  const { customerId, invoiceId } = await loyalPayer('Promiser', 8);
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  const promiseState = () => stack.gql(FairReminderPromiseSupersededDocument, { invoiceId }, Role.Viewer).then((r) => r.data?.fairReminder ?? null);
  expect((await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => state(invoiceId), (s) => s?.remindersSent === 1 && s.step === 'waiting');
  // Promised by tomorrow (held until the day begins, under this file's policy: hours away).
  expect((await stack.gql(PromiseToPayDocument, { invoiceId, until: day(1) }, Role.Operator)).data!.promiseToPay).toMatchObject({ step: 'promised', promisedUntil: day(1) });

  // Then the customer disputes the invoice: the dispute holds the run at once, the promise given way to it (it cannot lapse
  // during the dispute, counted broken and told to the customer's timeline as not kept).
  const since = (await stack.gql(DisputeInvoiceDocument, { invoiceId, reason: 'goods not received' }, Role.Operator)).data!.disputeInvoice.dispute!.disputedAt;
  expect(await eventually(promiseState, (s) => s?.step === 'disputed', 15_000)).toEqual({ id: workflowId, step: 'disputed', promisedUntil: null, brokenPromises: 0, promiseSupersededUntil: day(1) });
  const entries = async () =>
    (await sql<{ action: string; actor: string; after: unknown; at: Date | string }>`select action, actor, after, at from audit_entry where entity_id = ${workflowId} and action in ('playbook.promise-superseded', 'playbook.promise-lapsed') order by at`.execute(db())).rows;
  expect(await entries()).toEqual([{ action: 'playbook.promise-superseded', actor: `playbook:${workflowId}`, after: { invoiceId, until: day(1), disputedSince: new Date(since).toISOString() }, at: expect.anything() }]);

  // Rejected: the reminders go on after the step's wait again, the promise not holding them (it ended with the dispute).
  expect((await stack.gql(ResolveDisputeDocument, { invoiceId, outcome: 'Rejected' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => state(invoiceId), (s) => s?.remindersSent === 2, 20_000);
  expect(await promiseState()).toMatchObject({ promisedUntil: null, brokenPromises: 0, promiseSupersededUntil: day(1) });
  expect(await written(workflowId)).toEqual(['reminder-1', 'reminder-2']);
  expect((await entries()).map((e) => e.action)).toEqual(['playbook.promise-superseded']);
  // The customer's timeline says the promise gave way to the dispute, not that it was not kept.
  const ref = (await stack.orm.em.fork().findOneOrFail(Invoice, { id: invoiceId })).externalRef;
  const timeline = await stack.gql(CustomerTimelineDocument, { id: customerId, first: 10, kinds: ['PaymentPromised', 'PaymentPromiseLapsed', 'PaymentPromiseSuperseded'] }, Role.Viewer);
  expect(timeline.data!.customer!.timeline.edges.map((e) => [e.node.kind, e.node.summary])).toEqual([
    ['PaymentPromiseSuperseded', `Promise to pay invoice ${ref} by ${day(1)} set aside: the customer disputes the invoice (not a broken promise)`],
    ['PaymentPromised', `Promised to pay invoice ${ref} by ${day(1)}`],
  ]);
  // So does their data export (QA 139 F7): not kept, not lapsed, given way to the dispute.
  const [supersededAt] = (await entries()).map((e) => new Date(e.at).toISOString());
  const exported = await stack.gql(ExportCustomerDataDocument, { id: customerId, reason: 'Access request' }, Role.Operator);
  expect((exported.data!.exportCustomerData as { paymentPromises: unknown[] }).paymentPromises).toEqual([
    { recordedAt: expect.any(String), invoiceId, invoiceReference: ref, until: day(1), keptOn: null, lapsedAt: null, supersededAt },
  ]);
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId, reason: 'test done' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => state(invoiceId), (s) => s?.status === 'Cancelled');
  await recordHistory(workflowId, 'fair-reminder-promise-superseded-by-dispute');
}, 90_000);

it('refuses a promise to pay typed in the Temporal UI while the run holds for a dispute, as the API does, audited as refused: its day is no broken promise (QA 139 F1)', async () => {
  const { customerId, invoiceId } = await loyalPayer('UiPromiser', 8);
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  expect((await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => state(invoiceId), (s) => s?.remindersSent === 1 && s.step === 'waiting');
  expect((await stack.gql(DisputeInvoiceDocument, { invoiceId, reason: 'goods not received' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => state(invoiceId), (s) => s?.step === 'disputed');
  const typed = temporalOperator(stack, 'ops@example.com').workflow.getHandle(workflowId).executeUpdate('promiseToPay', { args: [{ until: day(0), recordedBy: 'ops-ui' }] });
  await expect(typed).rejects.toMatchObject({ cause: { message: expect.stringMatching(/^the customer disputes the invoice \(since .*\): resolve the dispute first/) } });
  expect(await state(invoiceId)).toMatchObject({ step: 'disputed', promisedUntil: null, brokenPromises: 0 });
  const entries = await sql<{ actor: string; after: Record<string, unknown> }>`
    select actor, after from audit_entry where entity_id = ${workflowId} and action = 'playbook.update-in-engine'`.execute(db());
  expect(entries.rows).toEqual([{ actor: 'temporal:ops@example.com', after: expect.objectContaining({ update: 'promiseToPay' }) }]);
  expect((await stack.gql(ResolveDisputeDocument, { invoiceId, outcome: 'Rejected' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => state(invoiceId), (s) => s?.remindersSent === 2, 20_000);
  expect(await state(invoiceId)).toMatchObject({ brokenPromises: 0 });
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId, reason: 'test done' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => state(invoiceId), (s) => s?.status === 'Cancelled');
  await recordHistory(workflowId, 'fair-reminder-promise-refused-while-disputed');
}, 90_000);

it('cancels the run when the dispute is upheld, and the sweep starts none for a disputed invoice', async () => {
  const { customerId, invoiceId } = await loyalPayer('Upheld', 8);
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  expect((await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => state(invoiceId), (s) => s?.remindersSent === 1 && s.step === 'waiting');
  expect((await stack.gql(DisputeInvoiceDocument, { invoiceId, reason: 'wrong amount' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => state(invoiceId), (s) => s?.step === 'disputed');
  expect((await stack.gql(ResolveDisputeDocument, { invoiceId, outcome: 'Upheld' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => state(invoiceId), (s) => s?.status === 'Cancelled');
  expect(await written(workflowId)).toEqual(['reminder-1']);

  // An invoice disputed before any reminder: the sweep leaves it to the person who resolves the dispute.
  const { invoiceId: unchased } = await loyalPayer('Unchased', 8);
  expect((await stack.gql(DisputeInvoiceDocument, { invoiceId: unchased, reason: 'goods not received' }, Role.Operator)).errors).toBeUndefined();
  const client = stack.temporal.client;
  const taskQueue = stack.config.temporal.taskQueue;
  const services = createServices(stack.orm.em.fork(), { playbooks: new TemporalPlaybookEngine(client, taskQueue), scoring: new TemporalScoringEngine(client, taskQueue), campaigns: new TemporalCampaignEngine(client, taskQueue) }, defaultPolicies);
  const swept = () => services.triggers.overdueInvoices({ after: null, limit: 100_000, minDaysOverdue: 1 });
  expect(await swept()).not.toContain(unchased);
  expect((await stack.gql(ResolveDisputeDocument, { invoiceId: unchased, outcome: 'Rejected' }, Role.Operator)).errors).toBeUndefined();
  expect(await swept()).toContain(unchased);

  // Disputed 20 days ago, ten days before it fell due, and rejected today: the customer has the ten days of their payment
  // term the dispute took, as payment loyalty judges it, before the sweep chases it (QA 137 F8).
  const { invoiceId: early } = await loyalPayer('Early', 8, 10);
  expect((await stack.gql(DisputeInvoiceDocument, { invoiceId: early, reason: 'price not as agreed' }, Role.Operator)).errors).toBeUndefined();
  await sql`update invoice set disputed_at = now() - interval '20 days' where id = ${early}::uuid`.execute(db());
  expect((await stack.gql(ResolveDisputeDocument, { invoiceId: early, outcome: 'Rejected' }, Role.Operator)).errors).toBeUndefined();
  expect(await swept()).not.toContain(early);
  // Nor is it in the operators' queue, and a person starting its reminders is told why (QA 139 F6).
  expect((await overdue()).map((i) => i.id)).not.toContain(early);
  const refused = await stack.gql(StartFairReminderDocument, { invoiceId: early }, Role.Operator);
  expect(refused.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'INVOICE_NOT_OVERDUE', judgedDueAt: day(10) });
  expect(refused.errors![0].message).toMatch(/moved later by the days it was disputed/);
  // Ten days on, it is due by that judgement, and chased.
  await sql`update invoice set due_at = due_at - 11, disputed_at = disputed_at - interval '11 days', dispute_resolved_at = dispute_resolved_at - interval '11 days' where id = ${early}::uuid`.execute(db());
  expect(await swept()).toContain(early);
  expect((await overdue()).map((i) => i.id)).toContain(early);
}, 90_000);

it('refuses to start reminders or take a promise to pay for an invoice the customer disputes, by hand or by the sweep, until the dispute is resolved', async () => {
  const { customerId, invoiceId } = await loyalPayer('Contested', 8);
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  const start = () => stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator);
  const promise = () => stack.gql(PromiseToPayDocument, { invoiceId, until: day(5) }, Role.Operator);
  const refusal = (disputedAt: string) => ({ code: 'CONFLICT', reason: 'INVOICE_DISPUTED', invoiceId, disputedAt });
  const disputed = await stack.gql(DisputeInvoiceDocument, { invoiceId, reason: 'goods not received' }, Role.Operator);
  const since = disputed.data!.disputeInvoice.dispute!.disputedAt;

  // Disputed before any reminder: a person's start and a promise are refused, saying what to do.
  const refused = await start();
  expect(refused.errors![0].extensions).toMatchObject(refusal(since));
  expect(refused.errors![0].message).toMatch(/resolve the dispute first \(resolveDispute\)/);
  expect((await promise()).errors![0].extensions).toMatchObject(refusal(since));
  // The sweep that found the invoice before it was disputed skips it when it starts its run.
  const client = stack.temporal.client;
  const taskQueue = stack.config.temporal.taskQueue;
  const services = createServices(stack.orm.em.fork(), { playbooks: new TemporalPlaybookEngine(client, taskQueue), scoring: new TemporalScoringEngine(client, taskQueue), campaigns: new TemporalCampaignEngine(client, taskQueue) }, defaultPolicies);
  expect(await services.triggers.startFairReminders([invoiceId])).toEqual({ started: 0, skipped: 1 });
  expect(await state(invoiceId)).toBeNull();

  // Rejected: the invoice stands and is chased.
  expect((await stack.gql(ResolveDisputeDocument, { invoiceId, outcome: 'Rejected' }, Role.Operator)).errors).toBeUndefined();
  expect((await start()).errors).toBeUndefined();
  await eventually(() => state(invoiceId), (s) => s?.remindersSent === 1 && s.step === 'waiting');

  // Disputed again while its run is under way (the run holds): no promise is taken over the dispute, nor a start asked for.
  const again = (await stack.gql(DisputeInvoiceDocument, { invoiceId, reason: 'amount does not match the order' }, Role.Operator)).data!.disputeInvoice.dispute!.disputedAt;
  await eventually(() => state(invoiceId), (s) => s?.step === 'disputed');
  expect((await promise()).errors![0].extensions).toMatchObject(refusal(again));
  expect((await start()).errors![0].extensions).toMatchObject(refusal(again));
  const promised = await sql`select 1 from audit_entry where entity_id = ${workflowId} and action = 'playbook.promise-to-pay'`.execute(db());
  expect(promised.rows).toEqual([]);
  // Resolved, the promise is taken.
  expect((await stack.gql(ResolveDisputeDocument, { invoiceId, outcome: 'Rejected' }, Role.Operator)).errors).toBeUndefined();
  expect((await promise()).errors).toBeUndefined();
  expect(await eventually(() => state(invoiceId), (s) => s?.step === 'promised')).toMatchObject({ remindersSent: 1 });
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId, reason: 'test done' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => state(invoiceId), (s) => s?.status === 'Cancelled');
}, 90_000);

it('keeps a loyal payer loyal through a dispute longer than 30 days, and once they pay after it', async () => {
  const { customerId, invoiceId } = await loyalPayer('Patient', 24, 40);
  const band = async () => {
    const scores = (await stack.gql(CustomerScoresDocument, { id: customerId, historyKind: 'PaymentLoyalty' }, Role.Viewer)).data!.customer!.scores;
    return scores.find((s) => s.kind === 'PaymentLoyalty')!;
  };
  expect((await stack.gql(DisputeInvoiceDocument, { invoiceId, reason: 'amount does not match the order' }, Role.Operator)).errors).toBeUndefined();
  // Disputed 38 days ago (two days after it fell due), resolved today: 38 days left out, so it is 2 days late, not 40.
  await sql`update invoice set disputed_at = now() - interval '38 days' where id = ${invoiceId}::uuid`.execute(db());
  expect((await stack.gql(ResolveDisputeDocument, { invoiceId, outcome: 'Rejected' }, Role.Operator)).errors).toBeUndefined();
  const resolved = await band();
  expect(resolved).toMatchObject({ band: 'loyal', modelVersion: expect.stringMatching(/^payment-loyalty\/12/) });
  expect(resolved.reasons).toContainEqual(expect.stringMatching(/^invoice due \S+ was disputed: its 38 disputed days left out/));
  // Paid today: 2 days after the due day the dispute's days moved it to, a slip a loyal record forgives.
  expect((await stack.gql(RecordPaymentDocument, { input: { invoiceId, amountMinor: 7_500 } }, Role.Operator)).errors).toBeUndefined();
  expect(await band()).toMatchObject({ band: 'loyal' });
}, 60_000);

it('keeps a customer whose dispute was upheld loyal while billing corrects the invoice, in the nightly rescore too', async () => {
  const { customerId, invoiceId } = await loyalPayer('Righted', 24, 80);
  expect((await stack.gql(DisputeInvoiceDocument, { invoiceId, reason: 'charged twice' }, Role.Operator)).errors).toBeUndefined();
  expect((await stack.gql(ResolveDisputeDocument, { invoiceId, outcome: 'Upheld' }, Role.Operator)).errors).toBeUndefined();
  // Disputed two days after it fell due, upheld 40 days ago; billing's credit note has not come in yet.
  await sql`update invoice set disputed_at = now() - interval '78 days', dispute_resolved_at = now() - interval '40 days' where id = ${invoiceId}::uuid`.execute(db());
  await completedRescore(stack, day(0));
  const scores = (await stack.gql(CustomerScoresDocument, { id: customerId, historyKind: 'PaymentLoyalty' }, Role.Viewer)).data!.customer!.scores;
  const loyalty = scores.find((s) => s.kind === 'PaymentLoyalty')!;
  expect(loyalty).toMatchObject({ band: 'loyal', modelVersion: expect.stringMatching(/^payment-loyalty\/12/) });
  expect(loyalty.reasons).toContainEqual(expect.stringMatching(/^invoice due \S+ was disputed and the dispute upheld, billing to correct it: its 78 disputed days left out/));
}, 150_000);

it('refuses what a dispute cannot be, with codes, and to callers who may not record payments', async () => {
  const { invoiceId } = await loyalPayer('Refused', 3);
  const dispute = (id: string, reason: string, role = Role.Operator) => stack.gql(DisputeInvoiceDocument, { invoiceId: id, reason }, role).then((r) => r.errors?.[0]?.extensions);
  const resolve = (id: string, role = Role.Operator, reason?: string) => stack.gql(ResolveDisputeDocument, { invoiceId: id, outcome: 'Rejected', reason }, role).then((r) => r.errors?.[0]?.extensions);
  expect(await dispute(invoiceId, 'wrong amount', Role.Viewer)).toMatchObject({ code: 'FORBIDDEN' });
  expect(await resolve(invoiceId, Role.Viewer)).toMatchObject({ code: 'FORBIDDEN' });
  expect(await dispute(randomUUID(), 'wrong amount')).toMatchObject({ code: 'NOT_FOUND', reason: 'INVOICE_NOT_FOUND' });
  expect(await dispute(invoiceId, '   ')).toMatchObject({ code: 'VALIDATION', reason: 'DISPUTE_REASON_REQUIRED', field: 'reason' });
  // A reason given but too long is told apart from one missing (the resolution's is optional: "required" would mislead).
  expect(await dispute(invoiceId, 'x'.repeat(1001))).toMatchObject({ code: 'VALIDATION', reason: 'DISPUTE_REASON_TOO_LONG', field: 'reason' });
  expect(await resolve(invoiceId)).toMatchObject({ code: 'CONFLICT', reason: 'INVOICE_NOT_DISPUTED' });
  expect(await dispute(invoiceId, 'wrong amount')).toBeUndefined();
  expect(await dispute(invoiceId, 'wrong amount again')).toMatchObject({ code: 'CONFLICT', reason: 'INVOICE_ALREADY_DISPUTED' });
  expect(await resolve(invoiceId, Role.Operator, 'x'.repeat(1001))).toMatchObject({ code: 'VALIDATION', reason: 'DISPUTE_REASON_TOO_LONG', field: 'reason' });
  expect(await resolve(invoiceId)).toBeUndefined();
  expect(await resolve(invoiceId)).toMatchObject({ code: 'CONFLICT', reason: 'INVOICE_NOT_DISPUTED' });
  const em = stack.orm.em.fork();
  const inv = await em.findOneOrFail(Invoice, { id: invoiceId }, { populate: ['customer'] });
  const paid = em.create(Invoice, { customer: inv.customer, issuedAt: day(-20), dueAt: day(-6), amountMinor: 100, paidAt: day(-7) });
  const cancelled = em.create(Invoice, { customer: inv.customer, issuedAt: day(-20), dueAt: day(-6), amountMinor: 100, cancelledAt: day(-7) });
  await em.flush();
  expect(await dispute(paid.id, 'wrong amount')).toMatchObject({ code: 'CONFLICT', reason: 'INVOICE_ALREADY_PAID' });
  expect(await dispute(cancelled.id, 'wrong amount')).toMatchObject({ code: 'CONFLICT', reason: 'INVOICE_CANCELLED' });
}, 60_000);

/** The outbox rows of run `workflowId`, by step: sent or not, and why held back. */
const rows = async (workflowId: string) =>
  Object.fromEntries(
    (
      await sql<{ idempotency_key: string; sent_at: Date | null; suppressed_reason: string | null }>`
        select idempotency_key, sent_at, suppressed_reason from outbox_message where idempotency_key like ${`${workflowId}/%`}`.execute(db())
    ).rows.map((r) => [r.idempotency_key.slice(workflowId.length + 1), { sent: r.sent_at !== null, heldBack: r.suppressed_reason }]),
  );
/** Morning comes for the customer: their time zone at noon, and what delivery held for their quiet hours due now. */
const morningComes = async (customerId: string) => {
  await sql`update customer set time_zone = ${zoneAtNoon(new Date())} where id = ${customerId}::uuid`.execute(db());
  await sql`update outbox_message set send_after = now() - interval '1 minute' where customer_id = ${customerId}::uuid and sent_at is null and send_after is not null`.execute(db());
};
const heldBackEntries = async (customerId: string) =>
  (await sql<{ step: string; reason: string }>`select after ->> 'step' as step, after ->> 'reason' as reason from audit_entry
     where action = 'message.held-back' and after ->> 'customerId' = ${customerId} order by after ->> 'step', at`.execute(db())).rows;

it("holds back a reminder queued for the customer's quiet hours when they dispute the invoice, and the run sends it again once the dispute is rejected", async () => {
  const { customerId, invoiceId } = await loyalPayer('Sleeper', 8, 5, zoneAtTwoInTheMorning(new Date()));
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  expect((await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator)).errors).toBeUndefined();
  // Written, and held by delivery for the customer's night.
  await eventually(() => rows(workflowId), (r) => r['reminder-1'] !== undefined);
  expect((await stack.gql(DisputeInvoiceDocument, { invoiceId, reason: 'goods not received' }, Role.Operator)).errors).toBeUndefined();
  expect((await rows(workflowId))['reminder-1']).toEqual({ sent: false, heldBack: expect.stringMatching(/^invoice-disputed: the customer disputed the invoice on \d{4}-\d{2}-\d{2}/) });
  expect(await heldBackEntries(customerId)).toEqual([{ step: 'reminder-1', reason: expect.stringMatching(/^invoice-disputed: /) }]);
  await eventually(() => state(invoiceId), (s) => s?.step === 'disputed');
  // The morning comes while the dispute is open: nothing reaches the customer.
  await morningComes(customerId);
  await new Promise((resolve) => setTimeout(resolve, 6_000));
  expect((await rows(workflowId))['reminder-1']).toMatchObject({ sent: false });
  expect(await state(invoiceId)).toMatchObject({ step: 'disputed', status: 'Running' });

  // Rejected: the run waits its step's time again, then sends the held reminder in that step's place, and goes on from it.
  expect((await stack.gql(ResolveDisputeDocument, { invoiceId, outcome: 'Rejected', reason: 'carrier confirms delivery' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => rows(workflowId), (r) => r['reminder-1']?.sent === true, 20_000);
  expect((await rows(workflowId))['reminder-1']).toEqual({ sent: true, heldBack: null });
  await eventually(() => state(invoiceId), (s) => s?.remindersSent === 2, 20_000);
  expect(await written(workflowId)).toEqual(['reminder-1', 'reminder-2']);
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId, reason: 'test done' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => state(invoiceId), (s) => s?.status === 'Cancelled');
}, 120_000);

it('keeps a queued reminder held back for good when the dispute is upheld', async () => {
  const { customerId, invoiceId } = await loyalPayer('Rightful', 8, 5, zoneAtTwoInTheMorning(new Date()));
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  expect((await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => rows(workflowId), (r) => r['reminder-1'] !== undefined);
  expect((await stack.gql(DisputeInvoiceDocument, { invoiceId, reason: 'charged twice' }, Role.Operator)).errors).toBeUndefined();
  expect((await stack.gql(ResolveDisputeDocument, { invoiceId, outcome: 'Upheld' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => state(invoiceId), (s) => s?.status === 'Cancelled');
  await morningComes(customerId);
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  expect(await rows(workflowId)).toEqual({ 'reminder-1': { sent: false, heldBack: expect.stringMatching(/^dispute-upheld: /) } });
}, 90_000);

it('lets no collections letter go out for a disputed invoice; rejected, the letter and the reminder before it go as they were written', async () => {
  // A new customer: the standard schedule, whose course ends with the collections letter (the run completes as it writes it).
  const { customerId, invoiceId } = await loyalPayer('Newcomer', 0, 5, zoneAtTwoInTheMorning(new Date()), 20);
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  expect((await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => state(invoiceId), (s) => s?.status === 'Completed', 20_000);
  expect(await rows(workflowId)).toEqual({ 'reminder-1': { sent: false, heldBack: null }, handover: { sent: false, heldBack: null } });
  expect((await stack.gql(DisputeInvoiceDocument, { invoiceId, reason: 'amount is wrong: 3 items delivered, 4 billed' }, Role.Operator)).errors).toBeUndefined();
  expect(await heldBackEntries(customerId)).toEqual([
    { step: 'handover', reason: expect.stringMatching(/^invoice-disputed: /) },
    { step: 'reminder-1', reason: expect.stringMatching(/^invoice-disputed: /) },
  ]);
  await morningComes(customerId);
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  expect(await rows(workflowId)).toEqual({
    'reminder-1': { sent: false, heldBack: expect.stringMatching(/^invoice-disputed: /) },
    handover: { sent: false, heldBack: expect.stringMatching(/^invoice-disputed: /) },
  });
  // Rejected: the invoice stands; what its ended run wrote goes after the grace days (none in this test's policy), in order.
  expect((await stack.gql(ResolveDisputeDocument, { invoiceId, outcome: 'Rejected' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => rows(workflowId), (r) => r.handover?.sent === true, 20_000);
  expect(await rows(workflowId)).toEqual({ 'reminder-1': { sent: true, heldBack: null }, handover: { sent: true, heldBack: null } });
}, 90_000);

it('counts the days of an earlier dispute of the invoice as left out when it is disputed again', async () => {
  const { customerId, invoiceId } = await loyalPayer('Twice', 24, 40);
  const band = async () => {
    const scores = (await stack.gql(CustomerScoresDocument, { id: customerId, historyKind: 'PaymentLoyalty' }, Role.Viewer)).data!.customer!.scores;
    return scores.find((s) => s.kind === 'PaymentLoyalty')!;
  };
  // Disputed 38 days ago (two days after it fell due), rejected 3 days ago: 35 days left out, 5 days overdue.
  expect((await stack.gql(DisputeInvoiceDocument, { invoiceId, reason: 'goods not received' }, Role.Operator)).errors).toBeUndefined();
  expect((await stack.gql(ResolveDisputeDocument, { invoiceId, outcome: 'Rejected' }, Role.Operator)).errors).toBeUndefined();
  await sql`update invoice set disputed_at = now() - interval '38 days', dispute_resolved_at = now() - interval '3 days' where id = ${invoiceId}::uuid`.execute(db());
  // Disputed again today (the delivery note shows 3 items, not 4): the first dispute's 35 days stay left out.
  expect((await stack.gql(DisputeInvoiceDocument, { invoiceId, reason: 'amount is wrong: 3 items delivered, 4 billed' }, Role.Operator)).errors).toBeUndefined();
  const again = await band();
  expect(again).toMatchObject({ band: 'loyal', modelVersion: expect.stringMatching(/^payment-loyalty\/12/) });
  expect(again.reasons).toContainEqual(expect.stringMatching(/^invoice due \S+ is disputed: its 35 disputed days left out/));
  const [kept] = (await sql<{ before: number }>`select disputed_days_before as before from invoice where id = ${invoiceId}::uuid`.execute(db())).rows;
  expect(kept.before).toBe(35);
  // Ten days into the second dispute, the nightly rescore leaves out both: 45 days.
  await sql`update invoice set disputed_at = now() - interval '10 days' where id = ${invoiceId}::uuid`.execute(db());
  await completedRescore(stack, day(0));
  const nightly = await band();
  expect(nightly).toMatchObject({ band: 'loyal' });
  expect(nightly.reasons).toContainEqual(expect.stringMatching(/^invoice due \S+ is disputed: its 45 disputed days left out/));
}, 150_000);

it('holds back at delivery what chases a disputed invoice though the dispute did not (a reminder a person retries while it is open)', async () => {
  const { customerId, invoiceId } = await loyalPayer('Retried', 8, 5, zoneAtTwoInTheMorning(new Date()));
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  expect((await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => rows(workflowId), (r) => r['reminder-1'] !== undefined);
  // The channel refused it for good: it waits for a person, and the dispute leaves it there.
  await sql`update outbox_message set refused_at = now(), attempts = 1, last_error = 'mailbox full' where idempotency_key = ${`${workflowId}/reminder-1`}`.execute(db());
  expect((await stack.gql(DisputeInvoiceDocument, { invoiceId, reason: 'goods not received' }, Role.Operator)).errors).toBeUndefined();
  expect((await rows(workflowId))['reminder-1']).toEqual({ sent: false, heldBack: null });
  // A person retries it in the morning, while the dispute is open: delivery holds it back as the dispute would have.
  await morningComes(customerId);
  const [{ id }] = (await sql<{ id: string }>`select id from outbox_message where idempotency_key = ${`${workflowId}/reminder-1`}`.execute(db())).rows;
  expect((await stack.gql(RetryMessageDocument, { id }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => rows(workflowId), (r) => r['reminder-1']?.heldBack !== null, 15_000);
  expect((await rows(workflowId))['reminder-1']).toEqual({ sent: false, heldBack: expect.stringMatching(/^invoice-disputed: /) });
  // Rejected: the run sends it again.
  expect((await stack.gql(ResolveDisputeDocument, { invoiceId, outcome: 'Rejected' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => rows(workflowId), (r) => r['reminder-1']?.sent === true, 20_000);
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId, reason: 'test done' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => state(invoiceId), (s) => s?.status === 'Cancelled');
}, 90_000);
