import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { Role } from '../src/domain/auth/roles.js';
import { renderMessage } from '../src/domain/messages/templates.js';
import { fairReminderPolicy, fairReminderWorkflowId, type FairReminderPolicy, type FairReminderState } from '../src/domain/playbooks/fair-reminder.js';
import { triggerPolicy } from '../src/domain/playbooks/triggers.js';
import { seconds } from '../src/domain/policies/duration.js';
import { defaultScoringPolicy } from '../src/domain/scoring/scoring-policy.js';
import { INVOICE_CANCELLED, INVOICE_NOT_DUE, INVOICE_PAID } from '../src/domain/messages/catalogue.js';
import { RUN_CANCELLED } from '../src/domain/playbooks/run-status.js';
import { AuditEntry, Customer, Invoice, MessageChannel, MessagePurpose, OutboxMessage, Payment, PlaybookRun, ScoreSnapshot } from '../src/entities/index.js';
import { DeliveryService } from '../src/services/outbox/delivery.service.js';
import { defaultPolicies } from '../src/domain/policies/index.js';
import type { RenderedMessage } from '../src/services/outbox/message-sender.js';
import { OutboxService } from '../src/services/outbox/outbox.service.js';
import { bookSentReminder } from '../src/services/outbox/sent-reminder.js';
import { AuditService } from '../src/services/audit/audit.service.js';
import { FairReminderSteps } from '../src/services/playbooks/steps/fair-reminder-steps.service.js';
import { CustomerRescoreService } from '../src/services/scores/customer-rescore.service.js';
import { ScoringRunService } from '../src/services/scores/scoring-run.service.js';
import { playbookTriggersScheduleId } from '../src/temporal/schedules.js';
import type { fairReminder, playbookTriggers } from '../workflows/index.js';
import { CancelPlaybookRunDocument, CustomerMessagesDocument, CustomerTimelineDocument, DiscardMessageDocument, ExportCustomerDataDocument, FairReminderDocument, FairnessReportDocument, ImportCsvDocument, InvoiceFeesDocument, OperationsStatusDocument, OverdueInvoicesDocument, PromiseToPayDocument, RecordPaymentDocument, RetryMessageDocument, RunningPlaybookRunsDocument, StartFairReminderDocument } from './__generated__/graphql.js';
import { eventually } from './support/eventually.js';
import { recordHistory } from './support/histories.js';
import { zoneAtNoon, zoneAtTwoInTheMorning } from './support/time-zones.js';
import { startTestStack, testKeys, type TestStack } from './support/stack.js';
import { Readable } from 'node:stream';
import { ImportService } from '../src/services/import/import.service.js';
import { beforeSignal, beforeUpdate, resetInEngine, steeringAudited, taskBefore, temporalOperator } from './support/temporal-operator.js';
import { RunStatus } from '../src/domain/playbooks/run-status.js';

/**
 * The fair-reminder playbook on the real Temporal dev server and a worker process, through
 * GraphQL, with the policy's waits shortened to seconds (days in production).
 */
const policy: FairReminderPolicy = {
  ...fairReminderPolicy,
  version: 3,
  loyalSchedule: [
    { waitMs: 0, action: 'reminder', template: 'reminder-friendly' },
    { waitMs: seconds(2), action: 'reminder', template: 'reminder-gentle' },
    { waitMs: seconds(30), action: 'call', template: 'call-personal' },
  ],
  standardSchedule: [
    { waitMs: 0, action: 'reminder', template: 'reminder-standard-1' },
    { waitMs: seconds(1), action: 'reminder', template: 'reminder-standard-2' },
    { waitMs: seconds(1), action: 'reminder', template: 'reminder-standard-3' },
    { waitMs: seconds(1), action: 'handover', template: 'collections-handover' },
  ],
  // A grace of minus one day: a promise holds until its day begins, so one for today has lapsed at once.
  promise: { maxDaysAhead: 30, graceDays: -1 },
};

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ policies: { fairReminder: policy } });
}, 90_000);
afterAll(() => stack?.stop());

const DAY = 86_400_000;
const day = (offsetDays: number) => new Date(Date.now() + offsetDays * DAY).toISOString().slice(0, 10);

/** A customer of two years with `history` settled monthly invoices (paid on time or 10 days late) and one invoice due `overdueDays` ago. */
async function payer(name: string, history: Array<'on-time' | 'late'>, overdueDays = 5): Promise<{ customerId: string; invoiceId: string }> {
  const em = stack.orm.em.fork();
  // Where it is midday now, so the worker's delivery sends their messages at once (a test of quiet hours moves them).
  const customer = em.create(Customer, { name, email: `${name.toLowerCase()}@example.com`, acquiredAt: day(-730), timeZone: zoneAtNoon(new Date()) });
  history.forEach((kind, i) => {
    const due = -30 * (history.length - i) - overdueDays;
    em.create(Invoice, { customer, issuedAt: day(due - 14), dueAt: day(due), amountMinor: 5_000, paidAt: day(kind === 'on-time' ? due - 2 : due + 10) });
  });
  const open = em.create(Invoice, { customer, externalRef: `INV-${name}-${randomUUID().slice(0, 4)}`, issuedAt: day(-overdueDays - 14), dueAt: day(-overdueDays), amountMinor: 7_500, paidAt: null });
  await em.flush();
  return { customerId: customer.id, invoiceId: open.id };
}


const outbox = async (workflowId: string) =>
  (
    await sql<{ idempotency_key: string; channel: string; purpose: string; template: string }>`
      select idempotency_key, channel, purpose, template from outbox_message where idempotency_key like ${`${workflowId}/%`} order by created_at, idempotency_key`.execute(
      stack.orm.em.fork().getKysely(),
    )
  ).rows.map((m) => ({ ...m, step: m.idempotency_key.slice(workflowId.length + 1) }));
const invoice = (id: string) => stack.orm.em.fork().findOneOrFail(Invoice, { id });
const state = (invoiceId: string) => stack.gql(FairReminderDocument, { invoiceId }, Role.Viewer).then((r) => r.data?.fairReminder ?? null);

it('reminds a loyal payer without fees, records the waived fee, and ends with a thank-you when they pay', async () => {
  const { customerId, invoiceId } = await payer('Loyal', Array(8).fill('on-time'));
  const started = await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator);
  expect(started.errors).toBeUndefined();
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  expect(started.data!.startFairReminder).toMatchObject({ workflowId, playbook: 'FairReminder', customerId, invoiceId });

  // Two friendly reminders, then the run waits for the call step.
  const waiting = await eventually(() => state(invoiceId), (s) => s?.remindersSent === 2 && s.step === 'waiting');
  expect(waiting).toMatchObject({ loyaltyBand: 'loyal', feesChargedMinor: 0, feesWaivedMinor: 500, policyVersion: 3 });
  // Listed among the runs under way, it names its invoice and its customer: a list links to both (QA 62 F1).
  const listed = await eventually(() => stack.gql(RunningPlaybookRunsDocument, { filter: { playbook: 'FairReminder', customerId } }, Role.Viewer), (r) => r.data?.runningPlaybookRuns?.edges.length === 1);
  expect(listed.data!.runningPlaybookRuns!.edges.map((e) => e.node)).toEqual([expect.objectContaining({ workflowId, invoiceId, customer: { id: customerId, name: 'Loyal' } })]);
  // Booked on the invoice as they go out (the worker's delivery), before the customer pays.
  await eventually(() => invoice(invoiceId), (i) => i.remindersSent === 2);

  const paid = await stack.gql(RecordPaymentDocument, { input: { invoiceId, amountMinor: 7_500 } }, Role.Operator);
  expect(paid.errors).toBeUndefined();
  const done = await eventually(() => state(invoiceId), (s) => s?.step === 'done');
  expect(done).toMatchObject({ outcome: 'paid', status: 'Completed' });

  expect((await outbox(workflowId)).map((m) => [m.step, m.template, m.purpose])).toEqual([
    ['reminder-1', 'reminder-friendly', 'service'],
    ['reminder-2', 'reminder-gentle', 'service'],
    ['thank-you', 'thank-you-payment', 'service'],
  ]);
  expect(await invoice(invoiceId)).toMatchObject({ remindersSent: 2, feeChargedMinor: 0, feeWaivedMinor: 500, reminderLoyaltyBand: 'loyal' });
  // A reminder names the invoice as the customer knows it: the company's number, what is open, the due day.
  const reminder = await stack.orm.em.fork().findOneOrFail(OutboxMessage, { idempotencyKey: `${workflowId}/reminder-1` });
  const { externalRef, dueAt } = await stack.orm.em.fork().findOneOrFail(Invoice, { id: invoiceId });
  expect(reminder.payload).toMatchObject({ invoiceId, invoiceNumber: externalRef, openMinor: 7_500, dueAt, currency: 'EUR' });
  // The thank-you names the invoice paid and its amount: nothing is open on it any more.
  const thanks = await stack.orm.em.fork().findOneOrFail(OutboxMessage, { idempotencyKey: `${workflowId}/thank-you` });
  expect(thanks.payload).toMatchObject({ invoiceId, invoiceNumber: externalRef, amountMinor: 7_500, openMinor: 0, currency: 'EUR' });
  expect(renderMessage('thank-you-payment', 'Loyal', thanks.payload, 'en', 'EUR').text).toContain(`your payment for invoice ${externalRef} (€75.00): thank you`);
  expect(await stack.orm.em.fork().findOneOrFail(PlaybookRun, { workflowId })).toMatchObject({ outcome: 'paid' });
  // Paid some days late, the one slip after eight on time does not cost the payer the loyal band (the payment rescored them).
  const loyalty = await eventually(
    async () => (await stack.orm.em.fork().findOneOrFail(ScoreSnapshot, { customer: customerId }, { orderBy: { computedAt: 'desc' } })).scores['payment-loyalty'],
    (s) => s?.reasons?.includes('1 late payment in the last 12 months') ?? false,
  );
  expect(loyalty).toMatchObject({ band: 'loyal' });
  expect(loyalty!.reasons.at(-1)).toBe('one late payment in the last 12 months after 8 on time in a row: still loyal');
  // The payment's signal came from the platform (audited as the payment): nothing steered the run from outside.
  expect(await steeringAudited(stack, workflowId)).toEqual([]);
  await recordHistory(workflowId, 'fair-reminder-loyal-paid');
}, 60_000);

it('files a loyal payer\'s reminders and thank-you under the band the run decided them in, after the payment rescored them regular', async () => {
  // One slip a year ago, forgiven among on-time payments: loyal, as the run judges them (this invoice not yet held against them).
  const { customerId, invoiceId } = await payer('BandKept', [...Array<'on-time'>(12).fill('on-time'), 'late', ...Array<'on-time'>(10).fill('on-time')]);
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  expect((await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator)).errors).toBeUndefined();
  expect(await eventually(() => state(invoiceId), (s) => s?.remindersSent === 2 && s.step === 'waiting')).toMatchObject({ loyaltyBand: 'loyal', feesChargedMinor: 0 });

  // Paid days late: a second lapse within two years, which the payment's rescore holds against them.
  expect((await stack.gql(RecordPaymentDocument, { input: { invoiceId, amountMinor: 7_500 } }, Role.Operator)).errors).toBeUndefined();
  expect(await eventually(() => state(invoiceId), (s) => s?.step === 'done')).toMatchObject({ outcome: 'paid', loyaltyBand: 'loyal' });
  const stored = await sql<{ band: string }>`select band from current_score where customer_id = ${customerId} and kind = 'payment-loyalty'`.execute(stack.orm.em.fork().getKysely());
  expect(stored.rows).toEqual([{ band: 'regular' }]);

  // The thank-you, written after that rescore, is the loyal run's: the fairness report counts it, and the reminders, under "loyal".
  const messages = (await stack.gql(CustomerMessagesDocument, { id: customerId, first: 10 }, Role.Viewer)).data!.customer!.messages.edges.map((e) => e.node);
  expect(messages.filter((m) => m.key.startsWith(workflowId)).map((m) => [m.key.slice(workflowId.length + 1), m.loyaltyBand]).sort()).toEqual([
    ['reminder-1', 'loyal'],
    ['reminder-2', 'loyal'],
    ['thank-you', 'loyal'],
  ]);
}, 60_000);

it('charges a loyal payer no fee in a run started in the Temporal UI with a policy that leaves them out of the fee-free bands: the friendly schedule', async () => {
  const { customerId, invoiceId } = await payer('Lotte', Array(8).fill('on-time'));
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  const typedByHand = { ...policy, fees: { ...policy.fees, feesMinor: [700, 500, 1000], feeFreeBands: [] } };
  await stack.temporal.client.workflow.start<typeof fairReminder>('fairReminder', { workflowId, taskQueue: stack.config.temporal.taskQueue, args: [{ customerId, invoiceId, policy: typedByHand }] });
  const waiting = await eventually(() => state(invoiceId), (s) => s?.remindersSent === 2 && s.step === 'waiting');
  expect(waiting).toMatchObject({ loyaltyBand: 'loyal', feesChargedMinor: 0, feesWaivedMinor: 1_200 });
  expect((await outbox(workflowId)).map((m) => m.template)).toEqual(['reminder-friendly', 'reminder-gentle']);
  await recordHistory(workflowId, 'fair-reminder-loyal-never-charged');
  await stack.temporal.client.workflow.getHandle(workflowId).cancel();
}, 60_000);

/** The audit entries of starts from outside the platform of run `workflowId`: who started it and what the entry says. */
const startsInEngine = async (workflowId: string) =>
  (
    await sql<{ actor: string; after: Record<string, unknown> }>`select actor, after from audit_entry where entity_type = 'playbook_run' and entity_id = ${workflowId} and action = 'playbook.start-in-engine' order by at, id`.execute(
      stack.orm.em.fork().getKysely(),
    )
  ).rows;

it('audits a run an operator started in the Temporal UI or CLI, and goes by the deployment\'s policy when the one typed has shorter waits or higher fees', async () => {
  const { customerId, invoiceId } = await payer('Typed', ['late', 'late', 'late', 'late']);
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  // Every wait cut to nothing and a fee of €900 on the second and third reminders: three fees and collections at once.
  const typedByHand: FairReminderPolicy = {
    ...policy,
    standardSchedule: policy.standardSchedule.map((s) => ({ ...s, waitMs: 0 })),
    fees: { ...policy.fees, feesMinor: [0, 90_000, 90_000] },
  };
  await temporalOperator(stack, 'mallory@ops.example.com').workflow.start<typeof fairReminder>('fairReminder', { workflowId, taskQueue: stack.config.temporal.taskQueue, args: [{ customerId, invoiceId, policy: typedByHand }] });
  const done = await eventually(() => state(invoiceId), (s) => s?.step === 'done');
  // The deployment's fees (€0, €5, €10), not the typed ones.
  expect(done).toMatchObject({ outcome: 'handed-over', remindersSent: 3, feesChargedMinor: 1_500 });
  expect(done!.loyaltyBand).not.toBe('loyal');
  await eventually(() => invoice(invoiceId), (i) => i.remindersSent === 3);
  expect(await invoice(invoiceId)).toMatchObject({ feeChargedMinor: 1_500 });
  // And its waits: a timer of the deployment's second before each step after the first (none for a wait of nothing).
  const { events } = await stack.temporal.client.workflow.getHandle(workflowId).fetchHistory();
  const timers = events!.flatMap((e) => (e.timerStartedEventAttributes ? [Number(e.timerStartedEventAttributes.startToFireTimeout!.seconds)] : []));
  expect(timers).toEqual([1, 1, 1]);
  const [entry, ...more] = await startsInEngine(workflowId);
  expect(more).toEqual([]);
  expect(entry.actor).toBe('temporal:mallory@ops.example.com');
  expect(entry.after).toMatchObject({ playbook: 'fair-reminder', policy: JSON.parse(JSON.stringify(typedByHand)), differsFromDeployment: true, policyTaken: false, policyInstead: policy.version });
  expect(entry.after.problems).toEqual(
    expect.arrayContaining([
      "standardSchedule step 2 waits 0 ms, less than the deployment's 1 second",
      "reminder 2's fee 90000 is above the deployment's 500",
      'the fees come to 180000 in all, above the deployment\'s 1500',
    ]),
  );
  await recordHistory(workflowId, 'fair-reminder-engine-start-policy-checked');
}, 60_000);

it("goes by the deployment's policy for a run an operator started in the Temporal CLI with an empty policy, or none: its start is checked and audited, not its first task failing for good", async () => {
  for (const [name, typed] of [['TypedEmpty', {}], ['TypedNone', undefined]] as const) {
    const { customerId, invoiceId } = await payer(name, ['late', 'late', 'late', 'late']);
    const workflowId = fairReminderWorkflowId(customerId, invoiceId);
    await temporalOperator(stack, 'mallory@ops.example.com').workflow.start('fairReminder', { workflowId, taskQueue: stack.config.temporal.taskQueue, args: [{ customerId, invoiceId, ...(typed ? { policy: typed } : {}) }] });
    const [entry] = await eventually(() => startsInEngine(workflowId), (entries) => entries.length === 1);
    expect(entry.after).toMatchObject({ playbook: 'fair-reminder', policyTaken: false, policyInstead: policy.version });
    expect(entry.after.problems).toEqual(expect.arrayContaining([typed ? 'loyalSchedule is not a list of steps' : 'the policy is missing']));
    // The deployment's first reminder went out: the run is under way on its schedule.
    await eventually(() => outbox(workflowId), (messages) => messages.some((m) => m.template === 'reminder-standard-1'));
    await stack.temporal.client.workflow.getHandle(workflowId).terminate('test over');
  }
}, 60_000);

it('audits a run an operator started with the deployment\'s policy as taken, and a run started through the API not as a start in the engine', async () => {
  const typed = await payer('TypedSame', Array(8).fill('on-time'));
  const typedId = fairReminderWorkflowId(typed.customerId, typed.invoiceId);
  await temporalOperator(stack).workflow.start<typeof fairReminder>('fairReminder', { workflowId: typedId, taskQueue: stack.config.temporal.taskQueue, args: [{ ...typed, policy }] });
  await eventually(() => state(typed.invoiceId), (s) => s?.remindersSent === 2 && s.step === 'waiting');
  expect((await startsInEngine(typedId)).map((e) => [e.actor, e.after.differsFromDeployment, e.after.policyTaken])).toEqual([['temporal:ops@example.com', false, true]]);

  const viaApi = await payer('ViaApi', Array(8).fill('on-time'));
  expect((await stack.gql(StartFairReminderDocument, { invoiceId: viaApi.invoiceId }, Role.Operator)).errors).toBeUndefined();
  const apiId = fairReminderWorkflowId(viaApi.customerId, viaApi.invoiceId);
  await eventually(() => state(viaApi.invoiceId), (s) => s?.remindersSent === 2 && s.step === 'waiting');
  expect(await startsInEngine(apiId)).toEqual([]);
  const audited = await stack.orm.em.fork().find(AuditEntry, { entityId: apiId, action: 'playbook.start' });
  expect(audited).toHaveLength(1);
  await stack.temporal.client.workflow.getHandle(typedId).cancel();
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId: apiId, reason: 'test done' }, Role.Operator)).errors).toBeUndefined();
}, 60_000);

it('keeps a loyal payer on the fee-free schedule when the invoice reaches the platform long overdue: the invoice chased is not counted against them', async () => {
  // Imported 45 days after its due day: the payment-loyalty score counts it as late (over 30 days), the reminder about it does not.
  const { customerId, invoiceId } = await payer('Backlog', Array(8).fill('on-time'), 45);
  expect((await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator)).errors).toBeUndefined();
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  const first = await eventually(() => state(invoiceId), (s) => (s?.remindersSent ?? 0) >= 1);
  expect(first).toMatchObject({ loyaltyBand: 'loyal', feesChargedMinor: 0 });
  expect((await outbox(workflowId))[0]).toMatchObject({ step: 'reminder-1', template: 'reminder-friendly' });
  const stored = await stack.orm.em.fork().findOneOrFail(ScoreSnapshot, { customer: customerId }, { orderBy: { computedAt: 'desc' } });
  expect(stored.scores).toMatchObject({ 'payment-loyalty': { band: 'regular' } });
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId, reason: 'test done' }, Role.Operator)).errors).toBeUndefined();
}, 60_000);

it('keeps a loyal payer on the fee-free schedule for two invoices of one lapse: a second one not yet counted late does not count against the first (QA 63 F1)', async () => {
  // Two months unpaid at once (a card that expired): the first reaches the platform long overdue, the second is due since 10 days.
  const { customerId, invoiceId } = await payer('Lapse', Array(8).fill('on-time'), 45);
  const em = stack.orm.em.fork();
  em.create(Invoice, { customer: em.getReference(Customer, customerId), externalRef: `INV-Lapse-${randomUUID().slice(0, 4)}`, issuedAt: day(-24), dueAt: day(-10), amountMinor: 7_500, paidAt: null });
  await em.flush();
  expect((await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator)).errors).toBeUndefined();
  expect(await eventually(() => state(invoiceId), (s) => (s?.remindersSent ?? 0) >= 1)).toMatchObject({ loyaltyBand: 'loyal', feesChargedMinor: 0 });
  expect((await outbox(fairReminderWorkflowId(customerId, invoiceId)))[0]).toMatchObject({ step: 'reminder-1', template: 'reminder-friendly' });
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId: fairReminderWorkflowId(customerId, invoiceId), reason: 'test done' }, Role.Operator)).errors).toBeUndefined();
}, 60_000);

it('judges a payer with another invoice unpaid for months by that late invoice: the standard schedule, not the loyal one', async () => {
  // Ten invoices paid on time, then one unpaid for 100 days (past the policy's 30 days it counts as late) beside the one chased.
  const { customerId, invoiceId } = await payer('Stopped', Array(8).fill('on-time'));
  const em = stack.orm.em.fork();
  em.create(Invoice, { customer: em.getReference(Customer, customerId), externalRef: `INV-Stopped-${randomUUID().slice(0, 4)}`, issuedAt: day(-114), dueAt: day(-100), amountMinor: 7_500, paidAt: null });
  await em.flush();
  expect((await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator)).errors).toBeUndefined();
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  expect(await eventually(() => state(invoiceId), (s) => (s?.remindersSent ?? 0) >= 1)).not.toMatchObject({ loyaltyBand: 'loyal' });
  expect((await outbox(workflowId))[0]).toMatchObject({ step: 'reminder-1', template: 'reminder-standard-1' });
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId, reason: 'test done' }, Role.Operator)).errors).toBeUndefined();
}, 60_000);

it('goes on when an operator signals a payment the invoice does not show (the customer says they paid): it ends as paid only once the invoice is', async () => {
  const { customerId, invoiceId } = await payer('Said', Array(8).fill('on-time'));
  await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator);
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  const waiting = await eventually(() => state(invoiceId), (s) => s?.remindersSent === 2 && s.step === 'waiting');

  // What the Temporal UI shows an operator about to send it says it ends nothing for an invoice the billing data shows unpaid.
  const metadata = await temporalOperator(stack).workflow.getHandle(workflowId).query<{ definition: { signalDefinitions: { name: string; description: string }[] } }>('__temporal_workflow_metadata');
  expect(metadata.definition.signalDefinitions.find((d) => d.name === 'paymentReceived')?.description).toMatch(
    /taken only once the invoice shows paid in the billing data \(record the payment first.*A claim for an invoice still unpaid \(the customer says they paid\) is ignored and audited, and the reminders go on/,
  );
  await temporalOperator(stack).workflow.getHandle(workflowId).signal('paymentReceived');
  await eventually(() => steeringAudited(stack, workflowId), (audited) => audited.length === 1);
  // The run audited the signal, checked the invoice (two activities) and waits on, for the same call step at the same time.
  const history = () => stack.temporal.client.workflow.getHandle(workflowId).fetchHistory();
  await eventually(history, (h) => (h.events ?? []).filter((e) => e.activityTaskCompletedEventAttributes).length >= 6);
  expect(await state(invoiceId)).toMatchObject({ step: 'waiting', status: 'Running', outcome: null, deadline: waiting!.deadline });
  expect((await outbox(workflowId)).map((m) => m.step)).toEqual(['reminder-1', 'reminder-2']);

  expect((await stack.gql(RecordPaymentDocument, { input: { invoiceId, amountMinor: 7_500 } }, Role.Operator)).errors).toBeUndefined();
  expect(await eventually(() => state(invoiceId), (s) => s?.step === 'done')).toMatchObject({ outcome: 'paid', status: 'Completed' });
  // The operator's signal is audited with who sent it; the platform's own, when the payment was recorded, is not again.
  expect(await steeringAudited(stack, workflowId)).toEqual([['temporal:ops@example.com', 'signal paymentReceived', []]]);
  await recordHistory(workflowId, 'fair-reminder-payment-signal-audited');
}, 60_000);

it('gives an unreliable payer the standard schedule with the policy fees, then hands over to collections', async () => {
  const { customerId, invoiceId } = await payer('Late', ['late', 'late', 'late', 'on-time', 'late']);
  await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Admin);
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  const done = await eventually(() => state(invoiceId), (s) => s?.step === 'done');
  expect(done).toMatchObject({ outcome: 'handed-over', loyaltyBand: 'at-risk', remindersSent: 3, feesChargedMinor: 1_500, feesWaivedMinor: 0 });
  expect((await outbox(workflowId)).map((m) => [m.step, m.channel])).toEqual([
    ['reminder-1', 'email'],
    ['reminder-2', 'email'],
    ['reminder-3', 'email'],
    ['handover', 'letter'],
  ]);
  // Booked on the invoice as each went out, audited as the run's.
  await eventually(() => invoice(invoiceId), (i) => i.remindersSent === 3);
  expect(await invoice(invoiceId)).toMatchObject({ remindersSent: 3, feeChargedMinor: 1_500, feeWaivedMinor: 0 });
  // Each reminder keeps the fee's currency with it, so its text shows what was charged whatever the setting is later.
  const payloads = await sql<{ payload: { feeMinor: number; currency: string } }>`
    select payload from outbox_message where idempotency_key like ${`${workflowId}/reminder-%`} order by idempotency_key`.execute(stack.orm.em.fork().getKysely());
  expect(payloads.rows.map((r) => [r.payload.feeMinor, r.payload.currency])).toEqual([
    [0, 'EUR'],
    [500, 'EUR'],
    [1_000, 'EUR'],
  ]);
  // Each went out naming the fees already on the invoice (those of the reminders before it), so the third says what
  // they come to in all, and the hand-over letter says what fees go with the invoice.
  const sent = () =>
    sql<{ fees: number | null; payload: Record<string, unknown> }>`
      select (payload ->> 'feesOnInvoiceMinor')::int as fees, payload from outbox_message
       where idempotency_key like ${`${workflowId}/%`} and sent_at is not null order by created_at`.execute(stack.orm.em.fork().getKysely()).then((r) => r.rows);
  const sentWith = { rows: await eventually(sent, (rows) => rows.length === 4) };
  expect(sentWith.rows.map((r) => r.fees)).toEqual([0, 0, 500, 1_500]);
  expect(renderMessage('reminder-standard-3', 'Late', sentWith.rows[2].payload, 'en', 'EUR').text).toContain('A reminder fee of €10.00 applies (€15.00 in reminder fees on this invoice in all).');
  expect(renderMessage('collections-handover', 'Late', sentWith.rows[3].payload, 'en', 'EUR').text).toContain('has been passed to our collections partner, with €15.00 in reminder fees.');
  const audit = await sql<{ actor: string; after: { feeChargedMinor: number; reminderNumber: number } }>`
    select actor, after from audit_entry where action = 'invoice.reminder' and entity_id = ${invoiceId} order by (after ->> 'reminderNumber')::int`.execute(stack.orm.em.fork().getKysely());
  expect(audit.rows.map((r) => [r.actor, r.after.reminderNumber, r.after.feeChargedMinor])).toEqual([
    [`playbook:${workflowId}`, 1, 0],
    [`playbook:${workflowId}`, 2, 500],
    [`playbook:${workflowId}`, 3, 1_500],
  ]);
  await recordHistory(workflowId, 'fair-reminder-standard-handed-over');
}, 60_000);

it("moves a payer whose record turns loyal during the run (a late payment corrected) to the loyal schedule before the next fee: no fee, no collections, and says so", async () => {
  // Two late payments among ten: a regular payer, whose run starts on the standard schedule.
  const { customerId, invoiceId } = await payer('Corrected', ['late', 'late', ...Array<'on-time'>(8).fill('on-time')]);
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  // Time enough after the first reminder for the billing system's correction to come before the second.
  const standardSchedule: FairReminderPolicy['standardSchedule'] = [
    { waitMs: 0, action: 'reminder', template: 'reminder-standard-1' },
    { waitMs: seconds(6), action: 'reminder', template: 'reminder-standard-2' },
    { waitMs: seconds(1), action: 'reminder', template: 'reminder-standard-3' },
    { waitMs: seconds(1), action: 'handover', template: 'collections-handover' },
  ];
  const loyalSchedule: FairReminderPolicy['loyalSchedule'] = [...policy.loyalSchedule.slice(0, 2), { waitMs: seconds(1), action: 'call', template: 'call-personal' }];
  const run = await stack.temporal.client.workflow.start<typeof fairReminder>('fairReminder', { workflowId, taskQueue: stack.config.temporal.taskQueue, args: [{ customerId, invoiceId, policy: { ...policy, standardSchedule, loyalSchedule } }] });
  expect(await eventually(() => state(invoiceId), (s) => s?.remindersSent === 1 && s.step === 'waiting')).toMatchObject({ loyaltyBand: 'regular', loyaltyBandRaisedFrom: null });

  // The billing system corrects both late payments: paid on time after all (10 of 10), a loyal payer's record.
  await sql`update invoice set paid_at = due_at - 2 where customer_id = ${customerId} and paid_at is not null`.execute(stack.orm.em.fork().getKysely());
  expect(await run.result()).toBe('call-scheduled');

  // The second reminder is the loyal schedule's, fee-free (the standard fee waived and recorded), then a call: no third reminder, no hand-over.
  expect((await outbox(workflowId)).map((m) => [m.step, m.template])).toEqual([
    ['reminder-1', 'reminder-standard-1'],
    ['reminder-2', 'reminder-gentle'],
    ['call', 'call-personal'],
  ]);
  const second = await stack.orm.em.fork().findOneOrFail(OutboxMessage, { idempotencyKey: `${workflowId}/reminder-2` });
  expect(second.payload).toMatchObject({ feeMinor: 0, booking: { band: 'loyal', chargedMinor: 0, waivedMinor: 500 } });
  await eventually(() => invoice(invoiceId), (i) => i.remindersSent === 2);
  expect(await invoice(invoiceId)).toMatchObject({ feeChargedMinor: 0, feeWaivedMinor: 500, reminderLoyaltyBand: 'loyal' });

  // The run shows the band it follows now and the one it started with, tagged so the runs under way are found by it, and audited.
  expect(await state(invoiceId)).toMatchObject({ loyaltyBand: 'loyal', loyaltyBandRaisedFrom: 'regular', remindersSent: 2, feesChargedMinor: 0, feesWaivedMinor: 500 });
  expect((await run.describe()).searchAttributes.LoyaltyBand).toEqual(['loyal']);
  const audited = await stack.orm.em.fork().find(AuditEntry, { entityType: 'playbook_run', entityId: workflowId, action: 'playbook.loyalty-band-raised' });
  expect(audited.map((a) => [a.actor, a.before, a.after])).toEqual([[`playbook:${workflowId}`, { loyaltyBand: 'regular' }, { loyaltyBand: 'loyal', invoiceId, remindersSent: 1 }]]);
  await recordHistory(workflowId, 'fair-reminder-band-raised-mid-run');
}, 60_000);

it("tells the person who calls a payer raised to loyal after standard reminders what went out and the fee charged, not 'no fees'", async () => {
  const { customerId, invoiceId } = await payer('RaisedLate', ['late', 'late', ...Array<'on-time'>(8).fill('on-time')]);
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  // Time enough after the second reminder (the standard schedule's first fee) for the billing system's correction to come before the third.
  const standardSchedule: FairReminderPolicy['standardSchedule'] = [
    { waitMs: 0, action: 'reminder', template: 'reminder-standard-1' },
    { waitMs: seconds(1), action: 'reminder', template: 'reminder-standard-2' },
    { waitMs: seconds(8), action: 'reminder', template: 'reminder-standard-3' },
    { waitMs: seconds(1), action: 'handover', template: 'collections-handover' },
  ];
  const run = await stack.temporal.client.workflow.start<typeof fairReminder>('fairReminder', {
    workflowId,
    taskQueue: stack.config.temporal.taskQueue,
    args: [{ customerId, invoiceId, policy: { ...policy, standardSchedule, loyalSchedule: handedToAPerson(seconds(1)) } }],
  });
  // The second reminder went out with its fee, booked on the invoice.
  await eventually(() => invoice(invoiceId), (i) => i.remindersSent === 2 && i.feeChargedMinor === 500);
  await sql`update invoice set paid_at = due_at - 2 where customer_id = ${customerId} and paid_at is not null`.execute(stack.orm.em.fork().getKysely());
  expect(await run.result()).toBe('follow-up-requested');
  expect((await outbox(workflowId)).map((m) => [m.step, m.template])).toEqual([
    ['reminder-1', 'reminder-standard-1'],
    ['reminder-2', 'reminder-standard-2'],
    ['call', 'call-personal'],
    ['follow-up', 'call-follow-up'],
  ]);
  expect(await state(invoiceId)).toMatchObject({ loyaltyBand: 'loyal', loyaltyBandRaisedFrom: 'regular', feesChargedMinor: 500 });

  // The tasks, as sent: the two standard reminders, the band they went out in, and the fee still charged, to consider waiving.
  const messages = async () => (await stack.gql(CustomerMessagesDocument, { id: customerId, first: 10 }, Role.Viewer)).data!.customer!.messages.edges.map((e) => e.node);
  const sent = await eventually(messages, (m) => m.filter((x) => x.template.startsWith('call-') && x.status === 'Sent').length === 2);
  const call = sent.find((m) => m.key === `${workflowId}/call`)!.text!;
  const followUp = sent.find((m) => m.key === `${workflowId}/follow-up`)!.text!;
  expect(call).toContain(
    'is still open after two reminders: standard reminders 1 and 2, sent while they were in the regular band (their payment record has turned loyal since). €5.00 in reminder fees is charged on the invoice: consider waiving it for a loyal payer.',
  );
  expect(followUp).toContain('Before the call they got two reminders: standard reminders 1 and 2, sent while they were in the regular band');
  expect(followUp).toContain('€5.00 in reminder fees is charged on the invoice (consider waiving it for a loyal payer) and no collections letter has gone out.');
  expect(`${call} ${followUp}`).not.toMatch(/friendly reminders|no fees|nothing has been charged/);
  // Each filed under the band the run went by as it wrote it: the standard reminders under "regular", the tasks after the raise under "loyal".
  expect(sent.filter((m) => m.key.startsWith(workflowId)).map((m) => [m.key.slice(workflowId.length + 1), m.loyaltyBand]).sort()).toEqual([
    ['call', 'loyal'],
    ['follow-up', 'loyal'],
    ['reminder-1', 'regular'],
    ['reminder-2', 'regular'],
  ]);
  expect((await stack.orm.em.fork().findOneOrFail(OutboxMessage, { idempotencyKey: `${workflowId}/follow-up` })).payload).toMatchObject({
    remindersSoFar: { remindersSent: 2, standardReminders: [1, 2], feesChargedMinor: 500, loyaltyBandRaisedFrom: 'regular' },
  });
}, 60_000);

it("tells the person who calls a loyal payer of the billing system's own reminder before the run, whose fee is on the invoice", async () => {
  const { customerId, invoiceId } = await payer('BilledBefore', Array<'on-time'>(8).fill('on-time'));
  // The invoice came with the billing system's reminder and its fee (as an import brings them).
  await stack.orm.em.fork().nativeUpdate(Invoice, { id: invoiceId }, { remindersSent: 1, feeChargedMinor: 250 });
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  const run = await stack.temporal.client.workflow.start<typeof fairReminder>('fairReminder', {
    workflowId,
    taskQueue: stack.config.temporal.taskQueue,
    args: [{ customerId, invoiceId, policy: { ...policy, loyalSchedule: handedToAPerson(seconds(1)) } }],
  });
  expect(await run.result()).toBe('follow-up-requested');
  const call = await eventually(() => stack.orm.em.fork().findOne(OutboxMessage, { idempotencyKey: `${workflowId}/call` }), (m) => m?.sentAt != null);
  expect(call!.payload).toMatchObject({ remindersSoFar: { remindersSent: 2, earlierReminders: 1, feesChargedMinor: 250 } });
  expect(renderMessage('call-personal', 'BilledBefore', call!.payload, 'en', 'EUR').text).toContain(
    "after two friendly reminders (and one reminder before this run: the billing system's or an earlier run's). €2.50 in reminder fees is charged on the invoice: consider waiving it for a loyal payer.",
  );
  // Waived, as the task suggests: this file's fairness report holds that its loyal payers were charged nothing.
  await stack.orm.em.fork().nativeUpdate(Invoice, { id: invoiceId }, { feeChargedMinor: 0 });
}, 60_000);

it('holds the reminders while a promise to pay stands, for any payer, and takes no promise it cannot keep', async () => {
  const { customerId, invoiceId } = await payer('Promiser', ['late', 'late', 'late', 'on-time', 'late']);
  const promise = (until: string, role = Role.Operator) => stack.gql(PromiseToPayDocument, { invoiceId, until }, role);
  expect((await promise(day(3))).errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'PLAYBOOK_RUN_NOT_FOUND' });
  await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator);
  await eventually(() => state(invoiceId), (s) => s?.remindersSent === 1);

  // The standard schedule would send two more reminders and hand over within seconds: the promise holds it.
  expect((await promise(day(3), Role.Viewer)).errors![0].extensions!.code).toBe('FORBIDDEN');
  const promised = await promise(day(3));
  expect(promised.errors).toBeUndefined();
  // The answer shows the hold at once: the run was waiting for its next reminder and now waits for the promised day.
  expect(promised.data!.promiseToPay).toMatchObject({ promisedUntil: day(3), brokenPromises: 0, step: 'promised', outcome: null });
  expect(new Date(promised.data!.promiseToPay.deadline!).toISOString()).toBe(`${day(3)}T00:00:00.000Z`);
  expect(await state(invoiceId)).toMatchObject({ step: 'promised', promisedUntil: day(3) });
  // A later promise moves the hold; one for a day passed or too far ahead is the date picker's error, on `until`, with the bound and the window (QA21 M11).
  const moved = (await promise(day(5))).data!.promiseToPay;
  expect(moved).toMatchObject({ promisedUntil: day(5), step: 'promised' });
  expect(new Date(moved.deadline!).toISOString()).toBe(`${day(5)}T00:00:00.000Z`);
  const audited = await sql<{ after: { until: string } }>`
    select after from audit_entry where action = 'playbook.promise-to-pay' and entity_id = ${fairReminderWorkflowId(customerId, invoiceId)} order by at`.execute(stack.orm.em.fork().getKysely());
  expect(audited.rows.map((r) => r.after.until)).toEqual([day(3), day(5)]);
  const window = { earliestDay: day(0), latestDay: day(30) };
  expect((await promise(day(-1))).errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'PLAYBOOK_INVALID_INPUT', field: 'until', bound: 'past', ...window });
  const tooFar = (await promise(day(31))).errors![0];
  expect(tooFar.message).toMatch(/at most 30 days ahead/);
  expect(tooFar.extensions).toMatchObject({ code: 'VALIDATION', reason: 'PLAYBOOK_INVALID_INPUT', field: 'until', bound: 'too-far', ...window });
  expect((await promise(day(30))).data!.promiseToPay).toMatchObject({ promisedUntil: day(30), step: 'promised' });
  expect((await promise(day(5))).data!.promiseToPay).toMatchObject({ promisedUntil: day(5), step: 'promised' });
  // Typed by hand in the Temporal UI, a day in a list is no day either: the run refuses it and keeps its promise.
  const typedByHand = temporalOperator(stack).workflow.getHandle(fairReminderWorkflowId(customerId, invoiceId)).executeUpdate('promiseToPay', { args: [{ until: [day(4)], recordedBy: 'ops' }] });
  await expect(typedByHand).rejects.toMatchObject({ cause: { message: `["${day(4)}"] is not a day (a string YYYY-MM-DD)` } });
  await new Promise((r) => setTimeout(r, 3_000));
  expect(await state(invoiceId)).toMatchObject({ step: 'promised', remindersSent: 1, promisedUntil: day(5) });

  // They pay as promised: the run ends at once; nothing more was sent, so no fee was charged (the first reminder has none).
  await stack.gql(RecordPaymentDocument, { input: { invoiceId, amountMinor: 7_500 } }, Role.Operator);
  const done = await eventually(() => state(invoiceId), (s) => s?.step === 'done');
  // The promise is kept: it holds nothing any more (QA 49 F4).
  expect(done).toMatchObject({ outcome: 'paid', remindersSent: 1, feesChargedMinor: 0, brokenPromises: 0, promisedUntil: null });
  expect((await outbox(fairReminderWorkflowId(customerId, invoiceId))).map((m) => m.step)).toEqual(['reminder-1']);
  // The invoice is paid: refused as the run would refuse it, before the run is asked.
  expect((await promise(day(3))).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'PLAYBOOK_PROMISE_REFUSED' });
  await recordHistory(fairReminderWorkflowId(customerId, invoiceId), 'fair-reminder-promise-held-at-once');
}, 60_000);

// QA 72 F3, F7: the refusal quoted a pasted day whole (and its stack again), over gRPC's 4 MB: the run's task failed until the sender gave up.
it('refuses a promise typed by hand with a pasted megabyte for its day, or with no input, by a short reason, and the run answers on', async () => {
  const { customerId, invoiceId } = await payer('Paster', ['late', 'late', 'late', 'on-time', 'late']);
  await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator);
  await eventually(() => state(invoiceId), (s) => s?.remindersSent === 1);
  expect((await stack.gql(PromiseToPayDocument, { invoiceId, until: day(5) }, Role.Operator)).errors).toBeUndefined();
  const handle = temporalOperator(stack).workflow.getHandle(fairReminderWorkflowId(customerId, invoiceId));
  const typedByHand = (...args: unknown[]) =>
    Promise.race([handle.executeUpdate('promiseToPay', { args: args as [] }), new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 20 s: the run is stuck')), 20_000))]);
  const pasted = `2026-12-1${'0'.repeat(1_500_000)}`;
  await expect(typedByHand({ until: pasted, recordedBy: 'ops' })).rejects.toMatchObject({ cause: { message: `"2026-12-1${'0'.repeat(51)}… (1500009 characters)" is not a day (YYYY-MM-DD)` } });
  const expected = 'a promise to pay needs its day: { "until": "YYYY-MM-DD", "recordedBy": "who took the promise" }';
  await expect(typedByHand(null)).rejects.toMatchObject({ cause: { message: expected } });
  await expect(typedByHand()).rejects.toMatchObject({ cause: { message: expected } });
  // The run answers at once and keeps its promise.
  expect(await state(invoiceId)).toMatchObject({ step: 'promised', remindersSent: 1, promisedUntil: day(5) });
  await handle.terminate('test over');
}, 90_000);

it('lets the schedule go on when a promise lapses unpaid, and counts it as broken', async () => {
  const { customerId, invoiceId } = await payer('Forgetful', ['late', 'late', 'late', 'on-time', 'late']);
  // Time enough before the second reminder for the first to go out (the worker's delivery books it) before the promise: nothing for the promise to hold back.
  await stack.temporal.client.workflow.start<typeof fairReminder>('fairReminder', {
    workflowId: fairReminderWorkflowId(customerId, invoiceId),
    taskQueue: stack.config.temporal.taskQueue,
    args: [{ customerId, invoiceId, policy: { ...policy, standardSchedule: policy.standardSchedule.map((step, i) => (i === 1 ? { ...step, waitMs: seconds(10) } : step)) } }],
  });
  await eventually(() => invoice(invoiceId), (i) => i.remindersSent === 1);
  // Today's promise has lapsed at once under this file's policy: the next step comes on time.
  expect((await stack.gql(PromiseToPayDocument, { invoiceId, until: day(0) }, Role.Operator)).errors).toBeUndefined();
  const done = await eventually(() => state(invoiceId), (s) => s?.step === 'done');
  expect(done).toMatchObject({ outcome: 'handed-over', remindersSent: 3, brokenPromises: 1, promisedUntil: null });

  // The lapse is kept where people look, not only in the run's state: audited by the run, with the invoice and the day promised.
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  const entries = await stack.orm.em.fork().find(AuditEntry, { entityId: workflowId, action: { $in: ['playbook.promise-to-pay', 'playbook.promise-lapsed'] } }, { orderBy: { at: 'asc', id: 'asc' } });
  expect(entries.map((a) => [a.action, a.actor, a.after])).toEqual([
    ['playbook.promise-to-pay', expect.stringMatching(/^operator:/), expect.objectContaining({ invoiceId, until: day(0) })],
    ['playbook.promise-lapsed', `playbook:${workflowId}`, { invoiceId, until: day(0), brokenPromises: 1 }],
  ]);
  // The customer's history says the promise was not kept, after it was made; the data export says when it lapsed.
  const { externalRef } = await invoice(invoiceId);
  const timeline = await stack.gql(CustomerTimelineDocument, { id: customerId, first: 10, kinds: ['PaymentPromised', 'PaymentPromiseLapsed'] }, Role.Viewer);
  expect(timeline.data!.customer!.timeline.edges.map((e) => [e.node.kind, e.node.summary])).toEqual([
    ['PaymentPromiseLapsed', `Promise to pay invoice ${externalRef} by ${day(0)} not kept`],
    ['PaymentPromised', `Promised to pay invoice ${externalRef} by ${day(0)}`],
  ]);
  const exported = await stack.gql(ExportCustomerDataDocument, { id: customerId, reason: 'Access request' }, Role.Operator);
  expect((exported.data!.exportCustomerData as { paymentPromises: unknown[] }).paymentPromises).toEqual([
    { recordedAt: entries[0].at.toISOString(), invoiceId, invoiceReference: externalRef, until: day(0), keptOn: null, lapsedAt: entries[1].at.toISOString(), supersededAt: null },
  ]);
  await recordHistory(workflowId, 'fair-reminder-promise-lapse-recorded');

  // The bank's booking comes in later, dated the day before the promised day (this file's promise policy gives -1 grace days:
  // the promise ends as its day begins): the customer kept their word, only the booking was late.
  // The promise reads as kept (the export names the payment's day), and the timeline no longer says it was not.
  expect((await stack.gql(RecordPaymentDocument, { input: { invoiceId, amountMinor: (await invoice(invoiceId)).amountMinor, paidAt: day(-1), externalRef: `BANK-${invoiceId.slice(0, 8)}` } }, Role.Operator)).errors).toBeUndefined();
  const kept = await stack.gql(CustomerTimelineDocument, { id: customerId, first: 10, kinds: ['PaymentPromised', 'PaymentPromiseLapsed'] }, Role.Viewer);
  expect(kept.data!.customer!.timeline.edges.map((e) => [e.node.kind, e.node.summary])).toEqual([['PaymentPromised', `Promised to pay invoice ${externalRef} by ${day(0)}`]]);
  const keptExport = await stack.gql(ExportCustomerDataDocument, { id: customerId, reason: 'Access request' }, Role.Operator);
  expect((keptExport.data!.exportCustomerData as { paymentPromises: unknown[] }).paymentPromises).toEqual([
    { recordedAt: entries[0].at.toISOString(), invoiceId, invoiceReference: externalRef, until: day(0), keptOn: day(-1), lapsedAt: null, supersededAt: null },
  ]);
}, 60_000);

it('takes the promise again when an operator resets the run to its start in the Temporal UI: the reset run holds the reminders as promised', async () => {
  const { customerId, invoiceId } = await payer('Rewound', ['late', 'late', 'late', 'on-time', 'late']);
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator);
  await eventually(() => state(invoiceId), (s) => s?.remindersSent === 1);
  expect((await stack.gql(PromiseToPayDocument, { invoiceId, until: day(3) }, Role.Operator)).errors).toBeUndefined();

  // The reset reapplies the promise (an update) before the run's code has started: the run takes it as it sets its handler.
  const runId = await resetInEngine(stack, workflowId, 'replay the run', { finishEventId: 'first' });
  const reset = stack.temporal.client.workflow.getHandle(workflowId, runId);
  const held = await eventually(() => reset.query<FairReminderState>('state').catch((e: Error) => e.message), (s) => typeof s !== 'string' && s.step === 'promised');
  expect(held).toMatchObject({ promisedUntil: day(3), deadline: `${day(3)}T00:00:00.000Z`, outcome: null });
  expect(await state(invoiceId)).toMatchObject({ status: 'Running', step: 'promised', promisedUntil: day(3) });
  expect((await outbox(workflowId)).map((m) => m.step)).toEqual(['reminder-1']);
  await recordHistory(workflowId, 'fair-reminder-promise-reset');
}, 60_000);

it('keeps the promise when a reset reapplies it with a payment an operator signalled for the unpaid invoice: the payment is checked, the promise held', async () => {
  const { customerId, invoiceId } = await payer('Claimant', ['late', 'late', 'late', 'on-time', 'late']);
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  const run = (runId?: string) => stack.temporal.client.workflow.getHandle(workflowId, runId);
  await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator);
  await eventually(() => state(invoiceId), (s) => s?.remindersSent === 1);
  expect((await stack.gql(PromiseToPayDocument, { invoiceId, until: day(3) }, Role.Operator)).errors).toBeUndefined();
  // The customer says they paid: the run checks the invoice, finds it unpaid and holds on as promised.
  await temporalOperator(stack).workflow.getHandle(workflowId).signal('paymentReceived');
  await eventually(() => steeringAudited(stack, workflowId), (audited) => audited.length === 1);
  await eventually(() => run().query<FairReminderState>('state'), (s) => !s.paid && s.step === 'promised');

  // The reset run takes the signal first (a payment claimed, not checked yet), then the promise: it takes both, as the run did.
  const runId = await resetInEngine(stack, workflowId, 'replay the run', { finishEventId: 'first' });
  const held = await eventually(() => run(runId).query<FairReminderState>('state').catch((e: Error) => e.message), (s) => typeof s !== 'string' && s.step === 'promised');
  expect(held).toMatchObject({ paid: false, promisedUntil: day(3), deadline: `${day(3)}T00:00:00.000Z`, outcome: null });
  expect((await outbox(workflowId)).map((m) => m.step)).toEqual(['reminder-1']);
  await recordHistory(workflowId, 'fair-reminder-promise-reset-with-payment-claim');
}, 60_000);

it("keeps a promise sent in the Temporal UI in the customer's timeline and data export, as one made through the API, and none the run refused", async () => {
  const { customerId, invoiceId } = await payer('Dialled', ['late', 'late', 'late', 'on-time', 'late']);
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator);
  await eventually(() => state(invoiceId), (s) => s?.remindersSent === 1);
  expect((await stack.gql(PromiseToPayDocument, { invoiceId, until: day(3) }, Role.Operator)).errors).toBeUndefined();
  const inUi = temporalOperator(stack).workflow.getHandle(workflowId);
  await inUi.executeUpdate('promiseToPay', { args: [{ until: day(5), recordedBy: 'ops-cli' }] });
  await expect(inUi.executeUpdate('promiseToPay', { args: [{ until: day(-1), recordedBy: 'ops-cli' }] })).rejects.toMatchObject({ cause: { message: `${day(-1)} has passed` } });
  expect(await steeringAudited(stack, workflowId)).toEqual([['temporal:ops@example.com', 'update promiseToPay', [{ until: day(5), recordedBy: 'ops-cli' }]]]);

  // Named by its number in the billing system, as the customer knows it.
  const { externalRef } = await invoice(invoiceId);
  const promised = (until: string) => `Promised to pay invoice ${externalRef} by ${until}`;
  // The promise typed there is audited as its handler asks, before it answers: it is a promise once the run has answered (a moment later).
  const timeline = await eventually(
    () => stack.gql(CustomerTimelineDocument, { id: customerId, first: 10, kinds: ['PaymentPromised'] }, Role.Viewer),
    (t) => t.data!.customer!.timeline.edges.length === 2,
  );
  expect(timeline.data!.customer!.timeline.edges.map((e) => e.node.summary)).toEqual([promised(day(5)), promised(day(3))]);
  const exported = await stack.gql(ExportCustomerDataDocument, { id: customerId, reason: 'Access request' }, Role.Operator);
  expect((exported.data!.exportCustomerData as { paymentPromises: unknown[] }).paymentPromises).toEqual([
    { recordedAt: expect.any(String), invoiceId, invoiceReference: expect.stringMatching(/^INV-Dialled-/), until: day(3), keptOn: null, lapsedAt: null, supersededAt: null },
    { recordedAt: expect.any(String), invoiceId, invoiceReference: expect.stringMatching(/^INV-Dialled-/), until: day(5), keptOn: null, lapsedAt: null, supersededAt: null },
  ]);

  // A reset takes both again (Temporal reapplies them, an update without its request: not audited again): still two promises.
  const runId = await resetInEngine(stack, workflowId, 'replay the run', { finishEventId: 'first' });
  await eventually(() => stack.temporal.client.workflow.getHandle(workflowId, runId).query<FairReminderState>('state').catch((e: Error) => e.message), (s) => typeof s !== 'string' && s.promisedUntil === day(5) && s.step === 'promised');
  const again = await stack.gql(CustomerTimelineDocument, { id: customerId, first: 10, kinds: ['PaymentPromised'] }, Role.Viewer);
  expect(again.data!.customer!.timeline.edges.map((e) => e.node.summary)).toEqual([promised(day(5)), promised(day(3))]);
}, 60_000);

it("audits a promise typed in the Temporal UI under who Temporal says sent it, never under its recordedBy, which the run keeps as typed and says it does not check", async () => {
  const { customerId, invoiceId } = await payer('Noted', ['late', 'late', 'late', 'on-time', 'late']);
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator);
  await eventually(() => state(invoiceId), (s) => s?.remindersSent === 1);
  const inUi = temporalOperator(stack).workflow.getHandle(workflowId);
  // Without recordedBy, and with a name in the form of an API caller's: both taken (the validator stays as runs under way know it).
  await inUi.executeUpdate('promiseToPay', { args: [{ until: day(4) }] });
  await inUi.executeUpdate('promiseToPay', { args: [{ until: day(5), recordedBy: 'admin:1a2b3c4d' }] });
  expect(await state(invoiceId)).toMatchObject({ step: 'promised', promisedUntil: day(5) });
  // Who made them is the sender Temporal names; recordedBy is only part of the input as typed, never an actor.
  expect(await steeringAudited(stack, workflowId)).toEqual([
    ['temporal:ops@example.com', 'update promiseToPay', [{ until: day(4) }]],
    ['temporal:ops@example.com', 'update promiseToPay', [{ until: day(5), recordedBy: 'admin:1a2b3c4d' }]],
  ]);
  const asAdmin = await sql<{ n: number }>`select count(*)::int as n from audit_entry where entity_id = ${workflowId} and actor = 'admin:1a2b3c4d'`.execute(stack.orm.em.fork().getKysely());
  expect(asAdmin.rows[0].n).toBe(0);
  // What the Temporal UI shows an operator about to type one says so.
  const metadata = await inUi.query<{ definition: { updateDefinitions: { name: string; description: string }[] } }>('__temporal_workflow_metadata');
  expect(metadata.definition.updateDefinitions.find((u) => u.name === 'promiseToPay')?.description).toMatch(/recordedBy is a note kept as typed, not checked: the audit log records who sent the update/);
}, 60_000);

it('runs once per invoice however often it is triggered, and only for overdue, unpaid invoices of the right roles', async () => {
  const { invoiceId } = await payer('Twice', Array(8).fill('on-time'));
  const [a, b] = await Promise.all([stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator), stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator)]);
  expect(a.data!.startFairReminder.workflowId).toBe(b.data!.startFairReminder.workflowId);
  await eventually(() => state(invoiceId), (s) => (s?.remindersSent ?? 0) >= 1);
  expect(await stack.orm.em.fork().count(PlaybookRun, { workflowId: a.data!.startFairReminder.workflowId })).toBe(1);

  const notDue = await payer('Early', ['on-time'], -3);
  expect((await stack.gql(StartFairReminderDocument, { invoiceId: notDue.invoiceId }, Role.Operator)).errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'INVOICE_NOT_OVERDUE' });
  const settled = await payer('Settled', ['on-time']);
  await stack.gql(RecordPaymentDocument, { input: { invoiceId: settled.invoiceId, amountMinor: 7_500 } }, Role.Operator);
  expect((await stack.gql(StartFairReminderDocument, { invoiceId: settled.invoiceId }, Role.Operator)).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'INVOICE_ALREADY_PAID' });
  for (const role of [Role.Viewer, Role.Marketer]) {
    expect((await stack.gql(StartFairReminderDocument, { invoiceId }, role)).errors![0].extensions!.code).toBe('FORBIDDEN');
  }
  expect((await stack.gql(StartFairReminderDocument, { invoiceId: '00000000-0000-4000-8000-000000000000' }, Role.Operator)).errors![0].extensions).toMatchObject({ code: 'NOT_FOUND' });
}, 60_000);

it('starts the next run of an invoice whose run ended as paid before the billing system opened it again, and tells that run of the payment', async () => {
  const { customerId, invoiceId } = await payer('Reopened', Array(8).fill('on-time'));
  const first = fairReminderWorkflowId(customerId, invoiceId);
  expect((await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator)).data!.startFairReminder.workflowId).toBe(first);
  await eventually(() => state(invoiceId), (s) => s?.remindersSent === 2 && s.step === 'waiting');
  await eventually(() => invoice(invoiceId), (i) => i.remindersSent === 2);
  expect((await stack.gql(RecordPaymentDocument, { input: { invoiceId, amountMinor: 7_500 } }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => state(invoiceId), (s) => s?.outcome === 'paid');
  // The bank took the payment back: the billing system opens the invoice again. Nothing chases it: it is left to people.
  const em = stack.orm.em.fork();
  await em.nativeDelete(Payment, { invoice: invoiceId });
  await em.nativeUpdate(Invoice, { id: invoiceId }, { paidAt: null });
  const leftToPeople = async () => (await stack.gql(OverdueInvoicesDocument, { first: 100, leftToPeople: true }, Role.Operator)).data!.overdueInvoices.edges.some((e) => e.node.id === invoiceId);
  expect(await leftToPeople()).toBe(true);

  // A person starts its reminders again: a run of its own, once, however often asked.
  const [a, b] = await Promise.all([stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator), stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator)]);
  const again = `${first}/2`;
  expect([a.data!.startFairReminder.workflowId, b.data!.startFairReminder.workflowId]).toEqual([again, again]);
  const second = await eventually(() => state(invoiceId), (s) => s?.workflowId === again && s.remindersSent === 2 && s.step === 'waiting');
  expect(second).toMatchObject({ status: 'Running', loyaltyBand: 'loyal', feesChargedMinor: 0 });
  expect(await leftToPeople()).toBe(false);
  const mine = (messages: Array<{ step: string }>) => messages.filter((m) => !m.step.includes('/')).map((m) => m.step);
  expect(mine(await outbox(first))).toEqual(['reminder-1', 'reminder-2', 'thank-you']);
  expect(mine(await outbox(again))).toEqual(['reminder-1', 'reminder-2']);
  await eventually(() => invoice(invoiceId), (i) => i.remindersSent === 4);

  // Paid again: the payment tells the run under way, which ends at once (its call is 30 s away).
  expect((await stack.gql(RecordPaymentDocument, { input: { invoiceId, amountMinor: 7_500 } }, Role.Operator)).errors).toBeUndefined();
  expect(await eventually(() => state(invoiceId), (s) => s?.workflowId === again && s.step === 'done', 10_000)).toMatchObject({ outcome: 'paid', status: 'Completed' });
  expect(await stack.orm.em.fork().findOneOrFail(PlaybookRun, { workflowId: first })).toMatchObject({ status: 'completed', outcome: 'paid' });
}, 60_000);

it("holds a reminder written before the due day has ended where the customer lives (far west of UTC) until it has: it calls the invoice overdue", async () => {
  const em = stack.orm.em.fork();
  // Due in three days; the step writes at 06:00 UTC the day after (the trigger sweep's hour), 20:00 of the due day in Honolulu.
  const dueAt = day(3);
  const at = new Date(`${day(4)}T06:00:00Z`);
  const reminderFor = async (name: string, timeZone: string) => {
    const customer = em.create(Customer, { name, email: `${name.toLowerCase()}@example.com`, acquiredAt: day(-730), timeZone });
    const open = em.create(Invoice, { customer, externalRef: `INV-${name}-${randomUUID().slice(0, 4)}`, issuedAt: day(-11), dueAt, amountMinor: 7_500, paidAt: null });
    const workflowId = `fair-reminder/due-day-test-${name}-${randomUUID().slice(0, 4)}`;
    em.create(PlaybookRun, { workflowId, playbook: 'fair-reminder', customer });
    await em.flush();
    const steps = new FairReminderSteps(em, new CustomerRescoreService(em, defaultScoringPolicy, new ScoringRunService(em, defaultScoringPolicy)), new OutboxService(), 'EUR', defaultPolicies.delivery.maxAttempts);
    const fee = { band: 'new' as const, chargedMinor: 0, waivedMinor: 0, reason: 'reminder 1 is free for everyone' };
    expect(await steps.sendReminder({ workflowId, invoiceId: open.id, reminderNumber: 1, template: 'reminder-standard-1', fee }, at)).toEqual({ sent: true, paid: false });
    return (await stack.orm.em.fork().findOneOrFail(OutboxMessage, { idempotencyKey: `${workflowId}/reminder-1` })).sendAfter ?? null;
  };
  // In Honolulu (UTC-10) the due day ends at 10:00 UTC: the reminder waits until then (delivery applies quiet hours from there).
  expect(await reminderFor('Honolulu', 'Pacific/Honolulu')).toEqual(new Date(`${day(4)}T10:00:00Z`));
  // In Berlin it ended hours ago: written to go at once.
  expect(await reminderFor('Berlin', 'Europe/Berlin')).toBeNull();
});

it('writes a reminder and its fee once when the step is retried (booked once as it goes out), and writes none for an invoice paid meanwhile or once its run has ended', async () => {
  const { customerId, invoiceId } = await payer('Retry', ['late', 'late', 'late']);
  const em = stack.orm.em.fork();
  // The step belongs to a run under way (its record, as the run's first step writes it).
  const run = em.create(PlaybookRun, { workflowId: 'fair-reminder/retry-test', playbook: 'fair-reminder', customer: customerId });
  await em.flush();
  const reminders = new FairReminderSteps(em, new CustomerRescoreService(em, defaultScoringPolicy, new ScoringRunService(em, defaultScoringPolicy)), new OutboxService(), 'EUR', defaultPolicies.delivery.maxAttempts);
  const step = { workflowId: 'fair-reminder/retry-test', invoiceId, reminderNumber: 2, template: 'reminder-standard-2', fee: { band: 'at-risk' as const, chargedMinor: 500, waivedMinor: 0, reason: 'standard fee for reminder 2' } };
  expect(await reminders.sendReminder(step)).toEqual({ sent: true, paid: false });
  expect(await reminders.sendReminder(step)).toEqual({ sent: false, paid: false });
  expect(await outbox('fair-reminder/retry-test')).toHaveLength(1);
  // The worker's delivery sends it and books it, once.
  await eventually(() => invoice(invoiceId), (i) => i.remindersSent > 0);
  expect(await invoice(invoiceId)).toMatchObject({ remindersSent: 1, feeChargedMinor: 500, reminderLoyaltyBand: 'at-risk' });

  // A run that has ended (cancelled while the step was under way) sends and books nothing more.
  await em.nativeUpdate(PlaybookRun, { id: run.id }, { status: RunStatus.Cancelled });
  expect(await reminders.sendReminder({ ...step, reminderNumber: 3 })).toEqual({ sent: false, paid: false });
  expect(await reminders.sendMessage({ workflowId: step.workflowId, step: 'handover', invoiceId, customerId, channel: MessageChannel.Letter, template: 'collections-handover' })).toBe(false);
  expect(await invoice(invoiceId)).toMatchObject({ remindersSent: 1, feeChargedMinor: 500 });
  expect(await outbox('fair-reminder/retry-test')).toHaveLength(1);
  await em.nativeUpdate(PlaybookRun, { id: run.id }, { status: RunStatus.Running });

  await stack.gql(RecordPaymentDocument, { input: { invoiceId, amountMinor: 7_500 } }, Role.Operator);
  expect(await reminders.sendReminder({ ...step, reminderNumber: 3 })).toEqual({ sent: false, paid: true });
  expect(await outbox('fair-reminder/retry-test')).toHaveLength(1);
});

it('starts fair reminders by itself for overdue invoices, once each, from the scheduled trigger sweep', async () => {
  const a = await payer('SweepA', Array(8).fill('on-time'), 3);
  const b = await payer('SweepB', ['late', 'late', 'late'], 10);
  const notYet = await payer('SweepC', ['on-time'], -2);
  // Past the policy's 90 days: an old ledger's open invoice, imported, is nobody's to dun out of the blue.
  const longAgo = await payer('SweepD', ['on-time'], triggerPolicy.maxDaysOverdue! + 1);
  // Cancelled in the billing system (a credit note): never owed, so nobody chases it, by sweep or by hand, and it takes no payment.
  const cancelled = await payer('SweepE', ['on-time'], 4);
  await stack.orm.em.fork().nativeUpdate(Invoice, { id: cancelled.invoiceId }, { cancelledAt: day(-1) });
  const sweep = (id: string) =>
    stack.temporal.client.workflow.execute<typeof playbookTriggers>('playbookTriggers', { workflowId: id, taskQueue: stack.config.temporal.taskQueue, args: [{ policy: { ...triggerPolicy, pageSize: 2 } }] });
  const first = await sweep('playbook-triggers/test-1');
  expect(first['overdue-invoice']).toBeGreaterThanOrEqual(2);
  const runs = (customerId: string, invoiceId: string) => stack.orm.em.fork().count(PlaybookRun, { workflowId: fairReminderWorkflowId(customerId, invoiceId) });
  // Each run writes its record in its first step, soon after the sweep started it.
  await eventually(() => runs(a.customerId, a.invoiceId), (n) => n === 1);
  await eventually(() => runs(b.customerId, b.invoiceId), (n) => n === 1);
  expect(await runs(notYet.customerId, notYet.invoiceId)).toBe(0);
  expect(await runs(longAgo.customerId, longAgo.invoiceId)).toBe(0);
  expect(await runs(cancelled.customerId, cancelled.invoiceId)).toBe(0);
  expect((await stack.gql(StartFairReminderDocument, { invoiceId: cancelled.invoiceId }, Role.Operator)).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'INVOICE_CANCELLED', cancelledAt: day(-1) });
  expect((await stack.gql(RecordPaymentDocument, { input: { invoiceId: cancelled.invoiceId, amountMinor: 7_500 } }, Role.Operator)).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'INVOICE_CANCELLED' });
  expect(await sweep('playbook-triggers/test-2')).toMatchObject({ 'overdue-invoice': 0, 'persistent-issue': 0 });
  // An operator's queue: the invoices left to a person, as the operations status counts them; all overdue ones, oldest due first.
  const queue = async (leftToPeople: boolean | null) => {
    const page = (await stack.gql(OverdueInvoicesDocument, { first: 100, leftToPeople }, Role.Operator)).data!.overdueInvoices;
    return { ids: page.edges.map((e) => e.node.id), dues: page.edges.map((e) => e.node.dueAt), totalCount: page.totalCount, page };
  };
  const leftToPeople = await queue(true);
  expect(leftToPeople.ids).toContain(longAgo.invoiceId);
  expect(leftToPeople.ids).not.toContain(a.invoiceId);
  expect(leftToPeople.page.edges.find((e) => e.node.id === longAgo.invoiceId)!.node.customer).toMatchObject({ id: longAgo.customerId, name: 'SweepD' });
  expect(leftToPeople.totalCount).toBe((await stack.gql(OperationsStatusDocument, {}, Role.Operator)).data!.operationsStatus!.overdueInvoicesLeftToPeople);
  const overdue = await queue(null);
  expect(overdue.ids).toEqual(expect.arrayContaining([a.invoiceId, b.invoiceId, longAgo.invoiceId]));
  for (const left of [notYet.invoiceId, cancelled.invoiceId]) expect(overdue.ids).not.toContain(left);
  expect(overdue.dues).toEqual([...overdue.dues].sort());
  expect((await stack.gql(OverdueInvoicesDocument, { first: 5 }, Role.Viewer)).errors![0].extensions!.code).toBe('FORBIDDEN');
  // A person may still chase it.
  expect((await stack.gql(StartFairReminderDocument, { invoiceId: longAgo.invoiceId }, Role.Operator)).errors).toBeUndefined();

  const schedule = await stack.temporal.client.schedule.getHandle(playbookTriggersScheduleId(stack.config.temporal.taskQueue)).describe();
  expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'playbookTriggers' });
}, 60_000);

it('reports per loyalty band what was charged, waived and sent: loyal payers pay no fees', async () => {
  const since = new Date(Date.now() - 365 * DAY).toISOString().slice(0, 10);
  const report = (await stack.gql(FairnessReportDocument, { since }, Role.Viewer)).data!.fairnessReport;
  const band = (name: string) => report!.find((b) => b.band === name)!;
  // Fees count under the band they were decided for (a payer's band may have moved since; the fee spared stays with "loyal").
  expect(band('loyal')).toMatchObject({ feesChargedMinor: 0 });
  expect(band('loyal').feesWaivedMinor).toBeGreaterThanOrEqual(500);
  // (A regular payer is on the standard schedule, fees and all: whether one was charged here depends on how far an earlier
  // test's run got before it was cancelled, so nothing is said of that band.)
  expect(band('at-risk').feesChargedMinor).toBeGreaterThanOrEqual(1_500);
  expect(band('at-risk').feesWaivedMinor).toBe(0);
  expect(report!.reduce((s, b) => s + b.customers, 0)).toBe(await stack.orm.em.fork().count(Customer, {}));
  // Every band in its order, an empty one too, before any a message was written for that is no band now.
  expect(report!.map((b) => b.band).slice(0, 5)).toEqual(['loyal', 'regular', 'at-risk', 'new', 'unscored']);
  expect((await stack.gql(FairnessReportDocument, { since: 'last year' }, Role.Viewer)).errors![0].extensions!.code).toBe('BAD_USER_INPUT');
});

it("counts each fair reminder and its fee under the band it was booked for, not the invoice's latest: a regular run's fee never shows as a loyal payer's", async () => {
  const em = stack.orm.em.fork();
  // Due after every other test's invoice, so a report since today counts no other test's reminders (those chase invoices overdue).
  const customer = em.create(Customer, { name: 'Two Bands', email: 'two-bands@example.com', acquiredAt: day(-730) });
  const invoice = em.create(Invoice, { customer, externalRef: `INV-TWO-BANDS-${randomUUID().slice(0, 4)}`, issuedAt: day(386), dueAt: day(400), amountMinor: 7_500, paidAt: null });
  await em.flush();
  const since = new Date().toISOString().slice(0, 10);
  const report = async () => new Map((await stack.gql(FairnessReportDocument, { since }, Role.Viewer)).data!.fairnessReport!.map((b) => [b.band, b]));
  const before = await report();
  // The billing system's reminder and fee, as an import brings them: no band was recorded for them, so today's (unscored).
  await em.nativeUpdate(Invoice, { id: invoice.id }, { remindersSent: 1, feeChargedMinor: 300 });
  const book = (key: string, band: string, chargedMinor: number, waivedMinor: number) =>
    stack.orm.em.fork().transactional((tx) =>
      bookSentReminder(tx, new AuditService(), { invoiceId: invoice.id, idempotencyKey: key, payload: { booking: { reminderNumber: 1, band, chargedMinor, waivedMinor, reason: 'test' } } }),
    );
  const run = fairReminderWorkflowId(customer.id, invoice.id);
  // A regular run charged its fee; the next run on the invoice, after the record turned loyal, spared it.
  await book(`${run}/reminder-1`, 'regular', 500, 0);
  await book(`${run}/2/reminder-1`, 'loyal', 0, 500);
  const after = await report();
  const added = (band: string) => {
    const [a, b] = [after.get(band), before.get(band)];
    return { remindersSent: (a?.remindersSent ?? 0) - (b?.remindersSent ?? 0), feesChargedMinor: (a?.feesChargedMinor ?? 0) - (b?.feesChargedMinor ?? 0), feesWaivedMinor: (a?.feesWaivedMinor ?? 0) - (b?.feesWaivedMinor ?? 0) };
  };
  expect(added('loyal')).toEqual({ remindersSent: 1, feesChargedMinor: 0, feesWaivedMinor: 500 });
  expect(added('regular')).toEqual({ remindersSent: 1, feesChargedMinor: 500, feesWaivedMinor: 0 });
  expect(added('unscored')).toEqual({ remindersSent: 1, feesChargedMinor: 300, feesWaivedMinor: 0 });
  // The invoice's own totals take every reminder, the imported one too.
  expect(await stack.orm.em.fork().findOneOrFail(Invoice, { id: invoice.id })).toMatchObject({ remindersSent: 3, feeChargedMinor: 800, feeWaivedMinor: 500, reminderLoyaltyBand: 'loyal' });
});

it('reverses the reminder fees of an invoice the billing system cancelled, in the import that cancels it, audited once with the amount; the fairness report shows them reversed under the band they were charged to', async () => {
  const em = stack.orm.em.fork();
  const tag = randomUUID().slice(0, 4);
  const customerRef = `CUST-VOIDED-${tag}`;
  // Due after the other tests' invoices, so a report since today counts none of their runs' reminders (those chase invoices
  // overdue); issued before today, as an import takes an invoice.
  const customer = em.create(Customer, { name: 'Voided Fees', email: 'voided-fees@example.com', acquiredAt: day(-730), externalRef: customerRef });
  const charged = em.create(Invoice, { customer, externalRef: `INV-VOIDED-${tag}`, issuedAt: day(-20), dueAt: day(420), amountMinor: 30_000, paidAt: null });
  const feeFree = em.create(Invoice, { customer, externalRef: `INV-VOIDED-FREE-${tag}`, issuedAt: day(-20), dueAt: day(420), amountMinor: 5_000, paidAt: null });
  await em.flush();
  const since = new Date().toISOString().slice(0, 10);
  const report = async () => new Map((await stack.gql(FairnessReportDocument, { since }, Role.Viewer)).data!.fairnessReport!.map((b) => [b.band, b]));
  const before = await report();
  type Counts = { remindersSent: number; feesChargedMinor: number; feesWaivedMinor: number; feesReversedMinor: number };
  const metrics = ['remindersSent', 'feesChargedMinor', 'feesWaivedMinor', 'feesReversedMinor'] as const;
  /** What the report gained since `before`, per band that gained anything. */
  const added = async () => {
    const after = await report();
    const gained: Record<string, Counts> = {};
    for (const [band, a] of after) {
      const b = before.get(band);
      const d = Object.fromEntries(metrics.map((k) => [k, a[k] - (b?.[k] ?? 0)])) as Counts;
      if (metrics.some((k) => d[k] !== 0)) gained[band] = d;
    }
    return gained;
  };
  // The reminders and fees an import brought count under the customer's band today (an import rescores them).
  const bandToday = async () =>
    (await sql<{ band: string }>`select band from current_score where customer_id = ${customer.id} and kind = 'payment-loyalty'`.execute(stack.orm.em.fork().getKysely())).rows[0]?.band ?? 'unscored';
  const expected = async (booked: Record<string, Counts>, imported: Counts) => {
    const all: Record<string, Counts> = Object.fromEntries(Object.entries(booked).map(([band, c]) => [band, { ...c }]));
    const today = await bandToday();
    const into = (all[today] ??= { remindersSent: 0, feesChargedMinor: 0, feesWaivedMinor: 0, feesReversedMinor: 0 });
    for (const k of metrics) into[k] += imported[k];
    return all;
  };
  // The billing system's own reminder and fee, as an import brings them (no band recorded: the customer's today, unscored),
  // then two standard reminders with their fees and, on the other invoice, a loyal one whose fee was spared.
  await em.nativeUpdate(Invoice, { id: charged.id }, { remindersSent: 1, feeChargedMinor: 300 });
  const book = (invoiceId: string, key: string, band: string, chargedMinor: number, waivedMinor: number) =>
    stack.orm.em.fork().transactional((tx) => bookSentReminder(tx, new AuditService(), { invoiceId, idempotencyKey: key, payload: { booking: { reminderNumber: 1, band, chargedMinor, waivedMinor, reason: 'test' } } }));
  const run = fairReminderWorkflowId(customer.id, charged.id);
  await book(charged.id, `${run}/reminder-2`, 'at-risk', 500, 0);
  await book(charged.id, `${run}/reminder-3`, 'at-risk', 1_000, 0);
  await book(feeFree.id, `${fairReminderWorkflowId(customer.id, feeFree.id)}/reminder-1`, 'loyal', 0, 500);
  expect(await added()).toEqual(
    await expected(
      { 'at-risk': { remindersSent: 2, feesChargedMinor: 1_500, feesWaivedMinor: 0, feesReversedMinor: 0 }, loyal: { remindersSent: 1, feesChargedMinor: 0, feesWaivedMinor: 500, feesReversedMinor: 0 } },
      { remindersSent: 1, feesChargedMinor: 300, feesWaivedMinor: 0, feesReversedMinor: 0 },
    ),
  );

  // The billing system voids both invoices.
  const csv = (cancelledAt: string) =>
    `invoice_ref,customer_ref,issued_at,due_at,amount,cancelled_at\n${charged.externalRef},${customerRef},${day(-20)},${day(420)},300.00,${cancelledAt}\n${feeFree.externalRef},${customerRef},${day(-20)},${day(420)},50.00,${cancelledAt}\n`;
  const importInvoices = async (text: string) => (await stack.gql(ImportCsvDocument, { input: { kind: 'Invoices', csv: text, mode: 'AllOrNothing' } }, Role.Admin)).data!.importCsv;
  expect(await importInvoices(csv(day(0)))).toMatchObject({ updated: 2, written: true, errorCount: 0 });
  const fees = async (id: string) => (await stack.gql(InvoiceFeesDocument, { id }, Role.Viewer)).data!.invoice;
  // What was charged stays as history; all of it is reversed. The fee-free invoice has nothing to reverse.
  expect(await fees(charged.id)).toEqual({ id: charged.id, paidAt: null, cancelledAt: day(0), remindersSent: 3, feeChargedMinor: 1_800, feeWaivedMinor: 0, feeReversedMinor: 1_800 });
  expect(await fees(feeFree.id)).toEqual({ id: feeFree.id, paidAt: null, cancelledAt: day(0), remindersSent: 1, feeChargedMinor: 0, feeWaivedMinor: 500, feeReversedMinor: 0 });
  const reversals = async () =>
    (
      await sql<{ entity_id: string; actor: string; before: unknown; after: Record<string, unknown> }>`
        select entity_id, actor, before, after from audit_entry where action = 'invoice.fees-reversed' and entity_id in (${charged.id}, ${feeFree.id}) order by at, id`.execute(stack.orm.em.fork().getKysely())
    ).rows;
  const [importer] = (await sql<{ actor: string }>`select actor from audit_entry where action = 'import.invoices' order by at desc, id desc limit 1`.execute(stack.orm.em.fork().getKysely())).rows;
  expect(importer.actor).toMatch(/^admin:/);
  // One entry, for the invoice that had fees, by who imported the cancellation, saying how much to reverse.
  expect(await reversals()).toEqual([
    {
      entity_id: charged.id,
      actor: importer.actor,
      before: { feeChargedMinor: 1_800, feeReversedMinor: 0 },
      after: { feeChargedMinor: 1_800, feeReversedMinor: 1_800, reversedMinor: 1_800, cancelledAt: day(0), invoiceNumber: charged.externalRef },
    },
  ]);
  // Reversed under the band each fee was charged to, and no longer counted as charged; the reminders still went out.
  const reversedReport = () =>
    expected(
      { 'at-risk': { remindersSent: 2, feesChargedMinor: 0, feesWaivedMinor: 0, feesReversedMinor: 1_500 }, loyal: { remindersSent: 1, feesChargedMinor: 0, feesWaivedMinor: 500, feesReversedMinor: 0 } },
      { remindersSent: 1, feesChargedMinor: 0, feesWaivedMinor: 0, feesReversedMinor: 300 },
    );
  expect(await added()).toEqual(await reversedReport());

  // The same export again reverses nothing twice.
  expect(await importInvoices(csv(day(0)))).toMatchObject({ errorCount: 0, written: true });
  expect((await fees(charged.id))!.feeReversedMinor).toBe(1_800);
  expect(await reversals()).toHaveLength(1);
  expect(await added()).toEqual(await reversedReport());

  // Stood again, charged a fee once more, and cancelled again: only the new fee is reversed.
  expect(await importInvoices(csv(''))).toMatchObject({ updated: 2, errorCount: 0 });
  await book(charged.id, `${run}/2/reminder-1`, 'at-risk', 500, 0);
  expect(await fees(charged.id)).toMatchObject({ cancelledAt: null, feeChargedMinor: 2_300, feeReversedMinor: 1_800 });
  expect(await importInvoices(csv(day(0)))).toMatchObject({ updated: 2, errorCount: 0 });
  expect(await fees(charged.id)).toMatchObject({ feeChargedMinor: 2_300, feeReversedMinor: 2_300 });
  expect((await reversals()).map((r) => [r.entity_id, r.after.reversedMinor])).toEqual([
    [charged.id, 1_800],
    [charged.id, 500],
  ]);
  expect(await added()).toEqual(
    await expected(
      { 'at-risk': { remindersSent: 3, feesChargedMinor: 0, feesWaivedMinor: 0, feesReversedMinor: 2_000 }, loyal: { remindersSent: 1, feesChargedMinor: 0, feesWaivedMinor: 500, feesReversedMinor: 0 } },
      { remindersSent: 1, feesChargedMinor: 0, feesWaivedMinor: 0, feesReversedMinor: 300 },
    ),
  );
}, 60_000);

it('counts as offers only those sent with an offer (a cheaper tier proposed and notices that the contract ends apart), as messages only those to the customer, and as held back only what the contact guard held back', async () => {
  const em = stack.orm.em.fork();
  const customer = em.create(Customer, { name: 'Fair Counted', email: 'fair-counted@example.com', acquiredAt: day(-730) });
  // A band of its own, so the worker's deliveries for other tests do not move these counts.
  em.create(ScoreSnapshot, { customer, computedAt: new Date(), scores: { 'payment-loyalty': { value: 1, band: 'fairness-test', modelVersion: 'test', reasons: ['test'] } } });
  await em.flush();
  const write = async (key: string, template: string, purpose: MessagePurpose, payload: Record<string, unknown>, settle: string) => {
    await new OutboxService().enqueue(em, { idempotencyKey: `fairness-test/${key}`, customerId: customer.id, channel: MessageChannel.Email, purpose, template, payload });
    await sql`update outbox_message set ${sql.raw(settle)} where idempotency_key = ${`fairness-test/${key}`}`.execute(em.getKysely());
  };
  await write('offer-sent', 'appreciation', MessagePurpose.Marketing, { offerCode: 'LOYAL', discountPercent: 10 }, 'sent_at = now()');
  await write('thanks-sent', 'appreciation', MessagePurpose.Marketing, { offerCode: null, discountPercent: null }, 'sent_at = now()');
  await write('offer-held', 'appreciation', MessagePurpose.Marketing, { offerCode: 'LOYAL', discountPercent: 10 }, "suppressed_at = now(), suppressed_reason = 'no-consent: the customer opted out'");
  await write('proposal-queued', 'account-proposal', MessagePurpose.Service, { proposal: { kind: 'tier-change' } }, "send_after = now() + interval '30 days'");
  // An account review's offer is an offer; its cheaper tier for a loss-making account is not, and counts apart.
  await write('proposal-offer-sent', 'account-proposal', MessagePurpose.Marketing, { proposal: { kind: 'offer', offerCode: 'LOYAL' } }, 'sent_at = now()');
  await write('proposal-tier-sent', 'account-proposal', MessagePurpose.Service, { proposal: { kind: 'tier-change', tier: 'basic' } }, 'sent_at = now()');
  // A notice that the contract ends, sent, is counted apart too; one held back before it went is not.
  await write('notice-sent', 'offboarding-notice', MessagePurpose.Service, { noticeEndsOn: '2027-01-31' }, 'sent_at = now()');
  await write('notice-held', 'offboarding-notice', MessagePurpose.Service, { noticeEndsOn: '2027-01-31' }, "suppressed_at = now(), suppressed_reason = 'run-cancelled: the run was cancelled'");
  await write('call-task', 'call-personal', MessagePurpose.Service, {}, 'sent_at = now()');
  await write('reminder-cancelled', 'reminder-friendly', MessagePurpose.Service, {}, "suppressed_at = now(), suppressed_reason = 'run-cancelled: the run was cancelled'");
  const since = new Date(Date.now() - DAY).toISOString().slice(0, 10);
  const report = (await stack.gql(FairnessReportDocument, { since }, Role.Viewer)).data!.fairnessReport;
  expect(report!.find((b) => b.band === 'fairness-test')).toMatchObject({ customers: 1, offers: 2, tierChangeProposals: 1, offboardingNotices: 1, messagesSent: 5, marketingMessagesSent: 3, messagesSuppressed: 1 });
});

it('counts a message under the loyalty band it was written for, not the one its customer has today', async () => {
  const since = new Date(Date.now() - DAY).toISOString().slice(0, 10);
  const sentByBand = async () => new Map((await stack.gql(FairnessReportDocument, { since }, Role.Viewer)).data!.fairnessReport!.map((b) => [b.band, b.messagesSent]));
  const sentSince = async () => Number((await sql<{ n: string }>`select count(*) as n from outbox_message where sent_at >= ${since}::date`.execute(stack.orm.em.fork().getKysely())).rows[0].n);
  // The worker delivers the other tests' messages meanwhile: measured again until only this test's two were sent in between.
  for (let attempt = 1; ; attempt++) {
    const [totalBefore, before] = [await sentSince(), await sentByBand()];
    const em = stack.orm.em.fork();
    const customer = em.create(Customer, { name: 'Band Keeper', email: `band-keeper-${attempt}@example.com`, acquiredAt: day(-730) });
    const loyalty = (band: string, at: Date) => em.create(ScoreSnapshot, { customer, computedAt: at, scores: { 'payment-loyalty': { value: 1, band, modelVersion: 'test', reasons: ['test'] } } });
    const send = async (key: string) => {
      await new OutboxService().enqueue(em, { idempotencyKey: key, customerId: customer.id, channel: MessageChannel.Email, purpose: MessagePurpose.Service, template: 'test', payload: {} });
      await sql`update outbox_message set sent_at = now() where idempotency_key = ${key}`.execute(em.getKysely());
    };
    loyalty('loyal', new Date(Date.now() - 60_000));
    await em.flush();
    await send(`band-keeper/${attempt}/1`);
    loyalty('at-risk', new Date());
    await em.flush();
    await send(`band-keeper/${attempt}/2`);
    const [after, totalAfter] = [await sentByBand(), await sentSince()];
    if (totalAfter - totalBefore !== 2 && attempt < 5) continue;
    expect(totalAfter - totalBefore).toBe(2);
    const added = (band: string) => (after.get(band) ?? 0) - (before.get(band) ?? 0);
    expect([added('loyal'), added('at-risk')]).toEqual([1, 1]);
    return;
  }
});

/** A loyal payer's schedule, shortened, that ends handing the invoice to a person (follow-up-requested) `followUpAfter` the call. */
function handedToAPerson(followUpAfter = seconds(0.5)): FairReminderPolicy['loyalSchedule'] {
  return [
    { waitMs: 0, action: 'reminder', template: 'reminder-friendly' },
    { waitMs: seconds(0.5), action: 'reminder', template: 'reminder-gentle' },
    { waitMs: seconds(0.5), action: 'call', template: 'call-personal' },
    { waitMs: followUpAfter, action: 'follow-up', template: 'call-follow-up' },
  ];
}

it('after the call, waits for a loyal payer\'s payment, takes a promise made on the call, and else asks a person to decide', async () => {
  const start = (customerId: string, invoiceId: string, followUpAfter: number) =>
    stack.temporal.client.workflow.start<typeof fairReminder>('fairReminder', {
      workflowId: fairReminderWorkflowId(customerId, invoiceId),
      taskQueue: stack.config.temporal.taskQueue,
      args: [{ customerId, invoiceId, policy: { ...policy, loyalSchedule: handedToAPerson(followUpAfter) } }],
    });

  // Nobody pays: after the time given, a person decides how to go on; no fee, no collections letter.
  const silent = await payer('Silent', Array(8).fill('on-time'));
  expect(await (await start(silent.customerId, silent.invoiceId, seconds(0.5))).result()).toBe('follow-up-requested');
  const silentId = fairReminderWorkflowId(silent.customerId, silent.invoiceId);
  expect((await outbox(silentId)).map((m) => [m.step, m.channel, m.template])).toEqual([
    ['reminder-1', 'email', 'reminder-friendly'],
    ['reminder-2', 'email', 'reminder-gentle'],
    ['call', 'call', 'call-personal'],
    ['follow-up', 'call', 'call-follow-up'],
  ]);
  expect(await invoice(silent.invoiceId)).toMatchObject({ feeChargedMinor: 0 });
  expect(await state(silent.invoiceId)).toMatchObject({ outcome: 'follow-up-requested', step: 'done', feesChargedMinor: 0 });
  await recordHistory(silentId, 'fair-reminder-loyal-follow-up');

  // On the call they promise to pay: the run takes it and holds the follow-up; they pay and are thanked.
  const caller = await payer('Caller', Array(8).fill('on-time'));
  const run = await start(caller.customerId, caller.invoiceId, seconds(60));
  const callerId = fairReminderWorkflowId(caller.customerId, caller.invoiceId);
  await eventually(() => outbox(callerId), (messages) => messages.some((m) => m.step === 'call'));
  const promised = await stack.gql(PromiseToPayDocument, { invoiceId: caller.invoiceId, until: day(4) }, Role.Operator);
  expect(promised.errors).toBeUndefined();
  // The follow-up waits for the promised day (and its grace) as well as for its own time: the answer shows the hold.
  expect(promised.data!.promiseToPay).toMatchObject({ promisedUntil: day(4), remindersSent: 2, step: 'promised', outcome: null });
  expect(new Date(promised.data!.promiseToPay.deadline!).toISOString()).toBe(`${day(4)}T00:00:00.000Z`);
  await stack.gql(RecordPaymentDocument, { input: { invoiceId: caller.invoiceId, amountMinor: 7_500 } }, Role.Operator);
  expect(await run.result()).toBe('paid');
  expect((await outbox(callerId)).map((m) => m.step)).toEqual(['reminder-1', 'reminder-2', 'call', 'thank-you']);
}, 60_000);


/** A loyal payer's invoice whose reminder run called them and handed it to a person (follow-up-requested), unpaid. */
async function unpaidAfterTheCall(name: string): Promise<{ customerId: string; invoiceId: string; workflowId: string }> {
  const { customerId, invoiceId } = await payer(name, Array(8).fill('on-time'));
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  const run = await stack.temporal.client.workflow.start<typeof fairReminder>('fairReminder', { workflowId, taskQueue: stack.config.temporal.taskQueue, args: [{ customerId, invoiceId, policy: { ...policy, loyalSchedule: handedToAPerson() } }] });
  expect(await run.result()).toBe('follow-up-requested');
  await eventually(() => stack.orm.em.fork().findOneOrFail(PlaybookRun, { workflowId }), (r) => r.status === RunStatus.Completed);
  return { customerId, invoiceId, workflowId };
}

it("leaves the invoice to the person a loyal payer's run handed it to: listed as left to people, a promise made on the call starts the next run holding it, a start by hand starts it; never the sweep (QA 63 F4)", async () => {
  const queue = async (leftToPeople: boolean) => {
    const page = (await stack.gql(OverdueInvoicesDocument, { first: 100, leftToPeople }, Role.Operator)).data!.overdueInvoices;
    return { ids: page.edges.map((e) => e.node.id), totalCount: page.totalCount };
  };
  const leftToPeopleCount = async () => (await stack.gql(OperationsStatusDocument, {}, Role.Operator)).data!.operationsStatus!.overdueInvoicesLeftToPeople;
  const services = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services;

  // Nothing chases it now, and the team's task asks a person to decide: it is in their queue, and counted so.
  const called = await unpaidAfterTheCall('Decide');
  const left = await queue(true);
  expect(left.ids).toContain(called.invoiceId);
  expect((await queue(false)).ids).not.toContain(called.invoiceId);
  expect(left.totalCount).toBe(await leftToPeopleCount());
  // The sweep leaves it to that person: no next run.
  await services.triggers.startFairReminders([called.invoiceId]);
  expect(await stack.orm.em.fork().count(PlaybookRun, { workflowId: `${called.workflowId}/2` })).toBe(0);

  // On the call the customer promises to pay: the next run starts holding the promise, and sends nothing before it lapses.
  const promised = await stack.gql(PromiseToPayDocument, { invoiceId: called.invoiceId, until: day(4) }, Role.Operator);
  expect(promised.errors).toBeUndefined();
  const again = `${called.workflowId}/2`;
  expect(promised.data!.promiseToPay).toMatchObject({ workflowId: again, step: 'promised', promisedUntil: day(4), remindersSent: 0, outcome: null });
  expect(new Date(promised.data!.promiseToPay.deadline!).toISOString()).toBe(`${day(4)}T00:00:00.000Z`);
  expect(await eventually(() => state(called.invoiceId), (s) => s?.loyaltyBand != null)).toMatchObject({ workflowId: again, step: 'promised', loyaltyBand: 'loyal', status: 'Running' });
  // The same promise again is taken by that run (not a third one).
  expect((await stack.gql(PromiseToPayDocument, { invoiceId: called.invoiceId, until: day(5) }, Role.Operator)).data!.promiseToPay).toMatchObject({ workflowId: again, promisedUntil: day(5) });
  expect(await outbox(again)).toEqual([]);
  // Audited as a start by hand and as the promise (the customer's timeline shows it); the invoice is chased again.
  const audited = await stack.orm.em.fork().find(AuditEntry, { entityId: again }, { orderBy: { at: 'asc' } });
  expect(audited.map((a) => [a.action, a.after])).toEqual([
    ['playbook.start', { playbook: 'fair-reminder', customerId: called.customerId, invoiceId: called.invoiceId, promisedUntil: day(4) }],
    ['playbook.promise-to-pay', { invoiceId: called.invoiceId, until: day(4) }],
    ['playbook.promise-to-pay', { invoiceId: called.invoiceId, until: day(5) }],
  ]);
  expect(new Set(audited.map((a) => a.actor)).size).toBe(1);
  const { externalRef } = await invoice(called.invoiceId);
  const timeline = await stack.gql(CustomerTimelineDocument, { id: called.customerId, first: 10, kinds: ['PaymentPromised'] }, Role.Viewer);
  expect(timeline.data!.customer!.timeline.edges.map((e) => e.node.summary)).toEqual([`Promised to pay invoice ${externalRef} by ${day(5)}`, `Promised to pay invoice ${externalRef} by ${day(4)}`]);
  expect((await queue(true)).ids).not.toContain(called.invoiceId);
  // They pay: the run ends and thanks them.
  await stack.gql(RecordPaymentDocument, { input: { invoiceId: called.invoiceId, amountMinor: 7_500 } }, Role.Operator);
  expect(await eventually(() => state(called.invoiceId), (s) => s?.step === 'done')).toMatchObject({ workflowId: again, outcome: 'paid' });
  expect((await outbox(again)).map((m) => m.step)).toEqual(['thank-you']);
  await recordHistory(again, 'fair-reminder-started-holding-promise');

  // Another course instead: a person starts the next run by hand, which reminds the customer again.
  const restarted = await unpaidAfterTheCall('Restart');
  const byHand = await stack.gql(StartFairReminderDocument, { invoiceId: restarted.invoiceId }, Role.Operator);
  expect(byHand.errors).toBeUndefined();
  expect(byHand.data!.startFairReminder.workflowId).toBe(`${restarted.workflowId}/2`);
  const next = await eventually(() => outbox(`${restarted.workflowId}/2`), (m) => m.some((x) => x.step === 'reminder-1'));
  // After two reminders and a call, its first reminder says they have heard from us about it, not that it slipped through.
  expect(next.find((m) => m.step === 'reminder-1')!.template).toBe('reminder-follow-on');
  const written = (await stack.gql(CustomerMessagesDocument, { id: restarted.customerId, first: 20 }, Role.Viewer)).data!.customer!.messages.edges.map((e) => e.node);
  expect(written.find((m) => m.key === `${restarted.workflowId}/2/reminder-1`)?.text).toMatch(/^Hello Restart,\n\nwe have been in touch about invoice INV-Restart-\w+ \(.*\) before, and it is still open\./);
  // The first course opened as a first reminder does.
  expect(written.find((m) => m.key === `${restarted.workflowId}/reminder-1`)).toMatchObject({ template: 'reminder-friendly', text: expect.stringContaining('slipped through') });
  expect((await queue(true)).ids).not.toContain(restarted.invoiceId);
  await stack.gql(RecordPaymentDocument, { input: { invoiceId: restarted.invoiceId, amountMinor: 7_500 } }, Role.Operator);
  await eventually(() => state(restarted.invoiceId), (s) => s?.step === 'done');
}, 90_000);

it("tells the person who calls in a next course that a colleague called in the earlier run and the promise made on it lapsed, at writing and again as delivery sends it", async () => {
  const longDay = (iso: string) => new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(`${iso.slice(0, 10)}T00:00:00Z`));
  const called = await unpaidAfterTheCall('PickUp');
  const firstCall = (await eventually(() => stack.orm.em.fork().findOne(OutboxMessage, { idempotencyKey: `${called.workflowId}/call` }), (m) => m?.sentAt != null))!;
  // The promise made on that call starts the next course holding it; it lapses unpaid at once under this file's policy,
  // and that course reminds the customer, then asks for a call again and, unpaid, for a person to decide.
  const nextId = `${called.workflowId}/2`;
  const next = await stack.temporal.client.workflow.start<typeof fairReminder>('fairReminder', {
    workflowId: nextId,
    taskQueue: stack.config.temporal.taskQueue,
    args: [{ customerId: called.customerId, invoiceId: called.invoiceId, policy: { ...policy, loyalSchedule: handedToAPerson() }, promise: { until: day(0), recordedBy: 'caller-7' } }],
  });
  expect(await next.result()).toBe('follow-up-requested');
  expect(await stack.orm.em.fork().count(AuditEntry, { entityId: nextId, action: 'playbook.promise-lapsed' })).toBe(1);
  const tasks = await eventually(
    () => stack.orm.em.fork().find(OutboxMessage, { idempotencyKey: { $in: [`${nextId}/call`, `${nextId}/follow-up`] } }),
    (m) => m.length === 2 && m.every((x) => x.sentAt != null),
  );
  const pickUp = { earlierCalls: 1, lastEarlierCallAt: firstCall.sentAt!.toISOString(), lapsedPromises: [day(0)] };
  for (const task of tasks) expect(task.payload).toMatchObject({ remindersSoFar: { remindersSent: 2, ...pickUp } });
  // As the agent reads them: the earlier call, when it was, and the day promised and not kept.
  const told = `A colleague called them about it in an earlier run (the call task went out on ${longDay(firstCall.sentAt!.toISOString())}). They promised to pay by ${longDay(day(0))} and did not.`;
  const written = (await stack.gql(CustomerMessagesDocument, { id: called.customerId, first: 20 }, Role.Viewer)).data!.customer!.messages.edges.map((e) => e.node);
  expect(written.find((m) => m.key === `${nextId}/call`)?.text).toContain(`${told} Please call personally, pick up from that conversation and ask how we can help; no fees, no pressure.`);
  expect(written.find((m) => m.key === `${nextId}/follow-up`)?.text).toContain(`${told} Please decide with them how to go on`);
  // The first course's call had nothing before it to tell.
  expect(written.find((m) => m.key === `${called.workflowId}/call`)?.text).not.toMatch(/earlier run|promised/);

  // A call task written before these facts were known (a third course's, due in the morning) is told them as delivery sends it.
  const em = stack.orm.em.fork();
  const thirdId = `${called.workflowId}/3`;
  em.create(PlaybookRun, { workflowId: thirdId, playbook: 'fair-reminder', customer: called.customerId });
  const stale = { ...(tasks[0].payload as Record<string, unknown>), remindersSoFar: { remindersSent: 0, standardReminders: [], feesChargedMinor: 0, loyaltyBandRaisedFrom: null } };
  em.create(OutboxMessage, {
    idempotencyKey: `${thirdId}/call`,
    customer: called.customerId,
    invoice: called.invoiceId,
    channel: MessageChannel.Call,
    purpose: MessagePurpose.Service,
    template: 'call-personal',
    payload: stale,
    sendAfter: new Date(Date.now() + 3 * 3_600_000),
  });
  await em.flush();
  // Before it goes, the agent's history (and the customer's export) shows it as delivery will write it.
  const queued = (await stack.gql(CustomerMessagesDocument, { id: called.customerId, first: 20 }, Role.Viewer)).data!.customer!.messages.edges.map((e) => e.node).find((m) => m.key === `${thirdId}/call`);
  expect(queued?.text).toContain('Colleagues called them about it in earlier runs: two call tasks');
  const sent = (await deliverInTheMorning()).find((m) => m.idempotencyKey === `${thirdId}/call`);
  expect(sent?.text).toContain(
    `Colleagues called them about it in earlier runs: two call tasks, the last on ${longDay(tasks.find((t) => t.idempotencyKey === `${nextId}/call`)!.sentAt!.toISOString())}. They promised to pay by ${longDay(day(0))} and did not.`,
  );
  expect((await stack.orm.em.fork().findOneOrFail(OutboxMessage, { idempotencyKey: `${thirdId}/call` })).payload).toMatchObject({ remindersSoFar: { earlierCalls: 2, lapsedPromises: [day(0)] } });
  // (That course was only a record for its task: it ends here, so nothing takes it for a run under way.)
  await stack.orm.em.fork().nativeUpdate(PlaybookRun, { workflowId: thirdId }, { status: RunStatus.Cancelled, finishedAt: new Date() });
}, 90_000);

it("a promise that starts the next run, retried after the API died as it started it, is audited by the first try's start and promise, not a second pair", async () => {
  const called = await unpaidAfterTheCall('Retry');
  const again = `${called.workflowId}/2`;
  const services = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services;
  const actor = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).caller!.id;
  // What the first try left: its entries, pending for a minute (the process died before Temporal's answer, or before it asked).
  const em = stack.orm.em.fork();
  const at = new Date(Date.now() - 60_000);
  em.create(AuditEntry, { actor, action: 'playbook.start', entityType: 'playbook_run', entityId: again, after: { playbook: 'fair-reminder', customerId: called.customerId, invoiceId: called.invoiceId, promisedUntil: day(4), outcome: 'pending' }, at });
  em.create(AuditEntry, { actor, action: 'playbook.promise-to-pay', entityType: 'playbook_run', entityId: again, after: { invoiceId: called.invoiceId, until: day(4), outcome: 'pending' }, at });
  await em.flush();
  expect(await services.playbooks.promiseToPay(called.invoiceId, day(4), actor)).toMatchObject({ workflowId: again });
  // In the order written (the first try's two share a time; their IDs are time-ordered).
  const audited = await stack.orm.em.fork().find(AuditEntry, { entityId: again }, { orderBy: { at: 'asc', id: 'asc' } });
  expect(audited.map((a) => [a.action, a.after?.outcome])).toEqual([
    ['playbook.start', 'taken'],
    ['playbook.promise-to-pay', 'taken'],
  ]);
  await stack.gql(RecordPaymentDocument, { input: { invoiceId: called.invoiceId, amountMinor: 7_500 } }, Role.Operator);
  await eventually(() => state(called.invoiceId), (s) => s?.step === 'done');
}, 60_000);

it('leaves an invoice handed over to collections with them: a start by hand returns that run, a promise is refused as its run has ended, and it is not left to people', async () => {
  const { customerId, invoiceId } = await payer('Collected', ['late', 'late', 'late']);
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator);
  await eventually(() => state(invoiceId), (s) => s?.outcome === 'handed-over' && s.status === 'Completed');
  expect((await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator)).data!.startFairReminder).toMatchObject({ workflowId, outcome: 'handed-over' });
  expect((await stack.gql(PromiseToPayDocument, { invoiceId, until: day(4) }, Role.Operator)).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'PLAYBOOK_RUN_ALREADY_FINISHED' });
  expect((await stack.gql(OverdueInvoicesDocument, { first: 100, leftToPeople: true }, Role.Operator)).data!.overdueInvoices.edges.map((e) => e.node.id)).not.toContain(invoiceId);
}, 60_000);

/** Delivery after quiet hours, round after round as the worker does: what it sent. */
async function deliverInTheMorning(): Promise<RenderedMessage[]> {
  const sent: RenderedMessage[] = [];
  const delivery = new DeliveryService(stack.orm.em.fork(), { send: async (m) => void sent.push(m) }, defaultPolicies);
  const morning = new Date(Date.now() + 7 * 3_600_000);
  // The worker's own delivery may hold a customer for a moment (deferring a message just written to the morning): a message
  // of theirs is then left to a later round. Rounds go on until two in a row, a moment apart, find nothing left to do.
  for (let idle = 0; idle < 2; ) {
    const round = await delivery.deliverDue(morning);
    if (round.sent + round.deferred + round.suppressed + round.failed > 0) idle = 0;
    else {
      idle++;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  return sent;
}

/** A loyal payer's reminder run started at 02:00 in their time zone: the worker's delivery holds its reminders until 08:00 there. */
async function reminderHeldForTheNight(name: string) {
  const { customerId, invoiceId } = await payer(name, Array(8).fill('on-time'));
  await stack.orm.em.fork().nativeUpdate(Customer, { id: customerId }, { timeZone: zoneAtTwoInTheMorning(new Date()) });
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  const messages = async () => (await stack.gql(CustomerMessagesDocument, { id: customerId, first: 10 }, Role.Viewer)).data!.customer!.messages.edges.map((e) => e.node);
  await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator);
  await eventually(messages, (m) => m.some((x) => x.key === `${workflowId}/reminder-1` && x.status === 'Held'));
  // Both friendly reminders written, the run waits for its call: a promise now comes during a wait, not a step.
  await eventually(() => state(invoiceId), (s) => s?.remindersSent === 2 && s.step === 'waiting');
  return { invoiceId, workflowId, messages };
}

it('holds back a reminder waiting for the end of quiet hours once the invoice is paid, and still thanks the loyal payer', async () => {
  const { invoiceId, workflowId, messages } = await reminderHeldForTheNight('Night');

  expect((await stack.gql(RecordPaymentDocument, { input: { invoiceId, amountMinor: 7_500 } }, Role.Operator)).errors).toBeUndefined();
  expect(await eventually(() => state(invoiceId), (s) => s?.step === 'done')).toMatchObject({ outcome: 'paid' });
  // The thank-you waits for the morning too.
  await eventually(messages, (m) => m.some((x) => x.template === 'thank-you-payment' && x.status === 'Held'));

  // Delivery after quiet hours sends the thank-you, and no reminder.
  const sent = await deliverInTheMorning();
  expect(sent.filter((m) => m.idempotencyKey.startsWith(workflowId)).map((m) => m.idempotencyKey)).toEqual([`${workflowId}/thank-you`]);
  const history = await messages();
  const reminders = history.filter((m) => m.template.startsWith('reminder-'));
  expect(reminders.length).toBeGreaterThanOrEqual(1);
  for (const reminder of reminders) expect(reminder).toMatchObject({ status: 'Suppressed', sentAt: null, suppressedReason: INVOICE_PAID });
  expect(history.find((m) => m.template === 'thank-you-payment')).toMatchObject({ status: 'Sent', suppressedReason: null });
}, 60_000);

it('charges no fee for reminders held back before they went out: a standard payer paying before the morning', async () => {
  const { customerId, invoiceId } = await payer('NightFees', ['late', 'late', 'late']);
  await stack.orm.em.fork().nativeUpdate(Customer, { id: customerId }, { timeZone: zoneAtTwoInTheMorning(new Date()) });
  expect((await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator)).errors).toBeUndefined();
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  // The run wrote three reminders with their fees and handed over; all wait for the morning.
  expect(await eventually(() => state(invoiceId), (s) => s?.step === 'done')).toMatchObject({ outcome: 'handed-over', remindersSent: 3, feesChargedMinor: 1_500 });
  expect(await invoice(invoiceId)).toMatchObject({ remindersSent: 0, feeChargedMinor: 0, feeWaivedMinor: 0 });

  expect((await stack.gql(RecordPaymentDocument, { input: { invoiceId, amountMinor: 7_500 } }, Role.Operator)).errors).toBeUndefined();
  expect((await deliverInTheMorning()).filter((m) => m.idempotencyKey.startsWith(workflowId))).toEqual([]);
  // None went out: none is counted, charged or audited.
  expect(await invoice(invoiceId)).toMatchObject({ remindersSent: 0, feeChargedMinor: 0, feeWaivedMinor: 0 });
  const audit = await sql<{ n: number }>`select count(*)::int as n from audit_entry where action = 'invoice.reminder' and entity_id = ${invoiceId}`.execute(stack.orm.em.fork().getKysely());
  expect(audit.rows[0].n).toBe(0);
}, 60_000);

it('sends the reminders a promise held back before they went out once the promise lapses, in order, before the hand-over: the second reminder, with its fee, never comes first', async () => {
  const { customerId, invoiceId } = await payer('HeldByPromise', ['late', 'late', 'late', 'on-time', 'late']);
  await stack.orm.em.fork().nativeUpdate(Customer, { id: customerId }, { timeZone: zoneAtTwoInTheMorning(new Date()) });
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  // Time enough before the hand-over for the promise to be taken once all three reminders wait for the morning.
  const standardSchedule: FairReminderPolicy['standardSchedule'] = [
    { waitMs: 0, action: 'reminder', template: 'reminder-standard-1' },
    { waitMs: seconds(1), action: 'reminder', template: 'reminder-standard-2' },
    { waitMs: seconds(1), action: 'reminder', template: 'reminder-standard-3' },
    { waitMs: seconds(8), action: 'handover', template: 'collections-handover' },
  ];
  const run = await stack.temporal.client.workflow.start<typeof fairReminder>('fairReminder', { workflowId, taskQueue: stack.config.temporal.taskQueue, args: [{ customerId, invoiceId, policy: { ...policy, standardSchedule } }] });
  const messages = async () => (await stack.gql(CustomerMessagesDocument, { id: customerId, first: 10 }, Role.Viewer)).data!.customer!.messages.edges.map((e) => e.node);
  await eventually(messages, (m) => m.some((x) => x.key === `${workflowId}/reminder-3` && x.status === 'Held'));
  // The customer promises to pay today, and does not (the promise lapses at once under this file's policy): it held back all three.
  expect((await stack.gql(PromiseToPayDocument, { invoiceId, until: day(0) }, Role.Operator)).errors).toBeUndefined();
  expect(await run.result()).toBe('handed-over');

  // The hand-over's step sent the first again, and the schedule went on from it: each reminder with its own text and fee, then the hand-over.
  expect(await state(invoiceId)).toMatchObject({ remindersSent: 3, feesChargedMinor: 1_500, brokenPromises: 1 });
  expect((await outbox(workflowId)).map((m) => [m.step, m.template])).toEqual([
    ['reminder-1', 'reminder-standard-1'],
    ['reminder-2', 'reminder-standard-2'],
    ['reminder-3', 'reminder-standard-3'],
    ['handover', 'collections-handover'],
  ]);
  const sent = (await deliverInTheMorning()).filter((m) => m.idempotencyKey.startsWith(workflowId)).map((m) => m.idempotencyKey);
  expect(sent).toEqual(['reminder-1', 'reminder-2', 'reminder-3', 'handover'].map((step) => `${workflowId}/${step}`));
  expect(await invoice(invoiceId)).toMatchObject({ remindersSent: 3, feeChargedMinor: 1_500 });
  await recordHistory(workflowId, 'fair-reminder-promise-held-reminder-sent-again');
}, 90_000);

it('names what is open when a reminder goes: a part payment made while it waited for the morning', async () => {
  const { invoiceId, workflowId, messages } = await reminderHeldForTheNight('PartPayer');
  expect((await messages()).find((m) => m.key === `${workflowId}/reminder-1`)!.text).toContain('(€75.00, due');
  expect((await stack.gql(RecordPaymentDocument, { input: { invoiceId, amountMinor: 2_500 } }, Role.Operator)).errors).toBeUndefined();
  // While it waits, the customer's messages show it as it will go: what a person reads out is what the customer gets (QA 50 F1).
  // It names the invoice's amount with the part received and what is still open, as the customer's own invoice says €75.00.
  expect((await messages()).find((m) => m.key === `${workflowId}/reminder-1`)!.text).toContain('(€75.00, of which €25.00 has been received and €50.00 is still open, due');
  const sent = await deliverInTheMorning();
  const reminder = sent.find((m) => m.idempotencyKey === `${workflowId}/reminder-1`)!;
  expect(reminder.text).toContain('(€75.00, of which €25.00 has been received and €50.00 is still open, due');
  // Its record says what went, and the invoice counts it as it went.
  expect((await stack.orm.em.fork().findOneOrFail(OutboxMessage, { idempotencyKey: `${workflowId}/reminder-1` })).payload).toMatchObject({ openMinor: 5_000 });
  const remindersSent = sent.filter((m) => m.idempotencyKey.startsWith(`${workflowId}/reminder-`)).length;
  expect(await invoice(invoiceId)).toMatchObject({ remindersSent, feeChargedMinor: 0 });
}, 60_000);

it('names the due day the billing system moved the invoice to when a reminder queued before goes, as the run\'s later messages do', async () => {
  const { invoiceId, workflowId, messages } = await reminderHeldForTheNight('DueMoved');
  const held = await invoice(invoiceId);
  const written = (d: string) => new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(`${d}T00:00:00Z`));
  const reminderText = async () => (await messages()).find((m) => m.key === `${workflowId}/reminder-1`)!.text!;
  expect(await reminderText()).toContain(`due ${written(held.dueAt)})`);

  // The billing system moves the due day three days later: still past, so the run goes on.
  const customerRef = `CUST-DueMoved-${randomUUID().slice(0, 4)}`;
  await stack.orm.em.fork().nativeUpdate(Customer, { id: held.customer.id }, { externalRef: customerRef });
  const moved = day(-2);
  const csv = `invoice_ref,customer_ref,issued_at,due_at,amount\n${held.externalRef},${customerRef},${held.issuedAt},${moved},75.00\n`;
  expect((await stack.gql(ImportCsvDocument, { input: { kind: 'Invoices', csv, mode: 'AllOrNothing' } }, Role.Admin)).data!.importCsv).toMatchObject({ updated: 1, written: true });
  expect(await state(invoiceId)).toMatchObject({ status: 'Running' });

  // While they wait, the messages show the due day as it is now; they go out naming it, and their records say so.
  const now = `due ${written(moved)})`;
  expect(await reminderText()).toContain(now);
  // The customer's data export reads them as they will go, as their message history does: one message, one text.
  const exported = await stack.gql(ExportCustomerDataDocument, { id: held.customer.id, reason: 'Access request' }, Role.Operator);
  const queued = (exported.data!.exportCustomerData as { messages: Array<{ text: string | null; sentAt: string | null }> }).messages.filter((m) => m.sentAt === null && m.text?.includes(held.externalRef!));
  expect(queued.length).toBeGreaterThanOrEqual(1);
  for (const message of queued) expect(message.text).toContain(now);
  expect(queued.map((m) => m.text).join(' ')).not.toContain(written(held.dueAt));
  const sent = (await deliverInTheMorning()).filter((m) => m.idempotencyKey.startsWith(`${workflowId}/reminder-`));
  expect(sent.map((m) => m.idempotencyKey)).toEqual([`${workflowId}/reminder-1`, `${workflowId}/reminder-2`]);
  for (const reminder of sent) expect(reminder.text).toContain(now);
  expect(sent.map((m) => m.text).join(' ')).not.toContain(written(held.dueAt));
  expect((await stack.orm.em.fork().findOneOrFail(OutboxMessage, { idempotencyKey: `${workflowId}/reminder-1` })).payload).toMatchObject({ dueAt: moved });
}, 60_000);

it('holds back a reminder waiting for the end of quiet hours once the customer promises to pay', async () => {
  const { invoiceId, messages } = await reminderHeldForTheNight('Promiser');
  const until = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
  expect((await stack.gql(PromiseToPayDocument, { invoiceId, until }, Role.Operator)).errors).toBeUndefined();
  const reminders = (await messages()).filter((m) => m.template.startsWith('reminder-'));
  expect(reminders.length).toBeGreaterThanOrEqual(1);
  // Held while the run goes on: it sends them again if the promise lapses unpaid (QA 53 F1).
  for (const reminder of reminders) expect(reminder).toMatchObject({ status: 'Held', sentAt: null, sendAfter: null, suppressedReason: `promise-to-pay: the customer promised to pay by ${until}` });
  const retried = await stack.gql(RetryMessageDocument, { id: reminders[0].id }, Role.Operator);
  expect(retried.errors![0]).toMatchObject({ message: expect.stringMatching(/a promise to pay holds it back/), extensions: { code: 'CONFLICT', reason: 'MESSAGE_NOT_REFUSED' } });
  // They show what is open now, as they would go (QA 53 F7).
  expect((await stack.gql(RecordPaymentDocument, { input: { invoiceId, amountMinor: 2_500 } }, Role.Operator)).errors).toBeUndefined();
  for (const reminder of (await messages()).filter((m) => m.template.startsWith('reminder-'))) expect(reminder.text).toMatch(/€50\.00/);
  // Paid as promised: what the promise held back is held back for good, and says so (QA 53 F2).
  const paid = await stack.gql(RecordPaymentDocument, { input: { invoiceId, amountMinor: 5_000 } }, Role.Operator);
  expect(paid.errors).toBeUndefined();
  for (const reminder of (await messages()).filter((m) => m.template.startsWith('reminder-'))) expect(reminder).toMatchObject({ status: 'Suppressed', suppressedReason: INVOICE_PAID });
}, 60_000);

it('holds back a reminder waiting for the end of quiet hours when an operator types the promise in the Temporal UI, audited with who sent it', async () => {
  const { workflowId, messages } = await reminderHeldForTheNight('UiPromiser');
  const until = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
  const taken = await temporalOperator(stack).workflow.getHandle(workflowId).executeUpdate<FairReminderState, [{ until: string; recordedBy: string }]>('promiseToPay', { args: [{ until, recordedBy: 'ops' }] });
  expect(taken).toMatchObject({ step: 'promised', promisedUntil: until });
  // The run answers once it has held the reminder back: nothing is left to wait for.
  const reminders = (await messages()).filter((m) => m.template.startsWith('reminder-'));
  expect(reminders.length).toBeGreaterThanOrEqual(1);
  for (const reminder of reminders) expect(reminder).toMatchObject({ status: 'Held', sentAt: null, suppressedReason: `promise-to-pay: the customer promised to pay by ${until}` });
  expect((await deliverInTheMorning()).filter((m) => m.idempotencyKey.startsWith(workflowId))).toEqual([]);
  // The customer disputes the invoice: a person gives the held reminder up, and the run will not send it again (QA 53 F1).
  const discarded = await stack.gql(DiscardMessageDocument, { id: reminders[0].id, reason: 'customer disputes the invoice' }, Role.Operator);
  expect(discarded.data!.discardMessage).toMatchObject({ status: 'Suppressed', suppressedReason: 'discarded: customer disputes the invoice' });
  expect(await stack.orm.em.fork().count(OutboxMessage, { idempotencyKey: { $like: `${workflowId}/reminder-%` }, suppressedReason: { $like: 'promise-to-pay:%' } })).toBe(reminders.length - 1);
  expect(await eventually(() => steeringAudited(stack, workflowId), (audited) => audited.length === 1)).toEqual([['temporal:ops@example.com', 'update promiseToPay', [{ until, recordedBy: 'ops' }]]]);
  await recordHistory(workflowId, 'fair-reminder-promise-in-engine-holds-queued');
}, 60_000);

it('sends the reminder a promise held back when an operator resets the run to before the promise (made for the wrong invoice)', async () => {
  const { invoiceId, workflowId, messages } = await reminderHeldForTheNight('WrongInvoice');
  const until = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
  expect((await stack.gql(PromiseToPayDocument, { invoiceId, until }, Role.Operator)).errors).toBeUndefined();
  const reminder = async () => (await messages()).find((m) => m.key === `${workflowId}/reminder-1`)!;
  expect(await reminder()).toMatchObject({ status: 'Held', suppressedReason: expect.stringMatching(/^promise-to-pay: /) });

  // Reset to the workflow task before the promise was taken, leaving the promise out.
  const handle = stack.temporal.client.workflow.getHandle(workflowId);
  const runId = await resetInEngine(stack, workflowId, 'promise recorded for the wrong invoice', { finishEventId: await taskBefore(stack, workflowId, beforeUpdate), excludeUpdates: true });
  await eventually(() => state(invoiceId), (s) => s?.promisedUntil === null && s.step === 'waiting');
  const reconciliation = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services.runReconciliation;
  await eventually(async () => (await reconciliation.recordRunsEndedInEngine(), reminder()), (m) => m.suppressedReason === null);
  // Queued again, for the morning; the reset's entry names it.
  expect(await reminder()).toMatchObject({ sentAt: null, suppressedReason: null });
  const [entry] = (await sql<{ after: Record<string, unknown> }>`select after from audit_entry where action = 'playbook.reset-in-engine' and entity_id = ${workflowId}`.execute(stack.orm.em.fork().getKysely())).rows;
  // (The second reminder too, when it was written before the promise: a slow machine gets past its two seconds.)
  expect(entry.after).toEqual({ runId, reason: 'promise recorded for the wrong invoice', resetAt: expect.any(String), status: 'running', promiseHoldsReleased: expect.arrayContaining(['reminder-1']) });
  for (const step of entry.after.promiseHoldsReleased as string[]) expect(step).toMatch(/^reminder-\d$/);
  expect((await deliverInTheMorning()).map((m) => m.idempotencyKey)).toContain(`${workflowId}/reminder-1`);
  await handle.terminate('test over');
}, 90_000);

it('audits steering from the Temporal UI once, also after a reset that carries it over or applies it again: a promise shows once in the timeline', async () => {
  const { customerId, invoiceId } = await payer('ResetTwice', ['late', 'late', 'late']);
  expect((await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator)).errors).toBeUndefined();
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  await eventually(() => state(invoiceId), (s) => s?.step === 'waiting');
  const until = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
  const handle = temporalOperator(stack).workflow.getHandle(workflowId);
  await handle.executeUpdate('promiseToPay', { args: [{ until, recordedBy: 'ops' }] });
  await handle.signal('paymentReceived');
  const promised = ['temporal:ops@example.com', 'update promiseToPay', [{ until, recordedBy: 'ops' }]];
  const signalled = ['temporal:ops@example.com', 'signal paymentReceived', []];
  await eventually(() => steeringAudited(stack, workflowId), (audited) => audited.length === 2);
  // Reset to the task before the signal: the promise is carried over, the signal applied again, and the run takes it again.
  await resetInEngine(stack, workflowId, 'replay the signal', { finishEventId: await taskBefore(stack, workflowId, beforeSignal) });
  // The reset run has taken the signal again once it has asked for its steering to be audited.
  const auditedByResetRun = (h: Awaited<ReturnType<typeof handle.fetchHistory>>) => {
    const marker = h.events!.findIndex((e) => e.workflowTaskFailedEventAttributes?.newRunId);
    const asked = h.events!.slice(marker).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'auditSteeringFromOutside').map((e) => String(e.eventId));
    return h.events!.some((e) => asked.includes(String(e.activityTaskCompletedEventAttributes?.scheduledEventId)));
  };
  await eventually(() => handle.fetchHistory(), auditedByResetRun);
  // A new signal to the reset run: audited alone, nothing of before again.
  await handle.signal('paymentReceived');
  const audited = await eventually(() => steeringAudited(stack, workflowId), (a) => a.length >= 3);
  expect(audited).toEqual([promised, signalled, signalled]);
  const promises = (await stack.gql(CustomerTimelineDocument, { id: customerId, first: 10, kinds: ['PaymentPromised'] }, Role.Viewer)).data!.customer!.timeline;
  expect(promises.totalCount).toBe(1);
  await handle.terminate('test over');
}, 90_000);

it('audits a signal a reset applies again when the run reset from never audited it (its tasks failing, say)', async () => {
  const { customerId, invoiceId } = await payer('NeverAudited', ['late', 'late', 'late']);
  expect((await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator)).errors).toBeUndefined();
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  await eventually(() => state(invoiceId), (s) => s?.step === 'waiting');
  const handle = temporalOperator(stack).workflow.getHandle(workflowId);
  await handle.signal('paymentReceived');
  // Audited, and marked ignored once the run found the invoice unpaid (that run's last word on it: later, it would audit it again).
  await eventually(
    () => sql<{ ignored: string | null }>`select after->>'ignored' as ignored from audit_entry where entity_id = ${workflowId} and action = 'playbook.signal-in-engine'`.execute(stack.orm.em.fork().getKysely()),
    (r) => r.rows.length === 1 && r.rows[0].ignored !== null,
  );
  // As if that run had never got to audit it.
  await sql`delete from audit_entry where entity_id = ${workflowId} and action = 'playbook.signal-in-engine'`.execute(stack.orm.em.fork().getKysely());
  const runId = await resetInEngine(stack, workflowId, 'replay the signal', { finishEventId: await taskBefore(stack, workflowId, beforeSignal) });
  const audited = await eventually(
    () => sql<{ run_id: string }>`select after->>'runId' as run_id from audit_entry where entity_id = ${workflowId} and action = 'playbook.signal-in-engine'`.execute(stack.orm.em.fork().getKysely()),
    (r) => r.rows.length > 0,
  );
  expect(audited.rows).toEqual([{ run_id: runId }]);
  await handle.terminate('test over');
}, 90_000);

it('audits a signal once through a chain of resets: reset, then reset again to before the copy the first reset applied again', async () => {
  const { customerId, invoiceId } = await payer('ResetChain', ['late', 'late', 'late']);
  expect((await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator)).errors).toBeUndefined();
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  await eventually(() => state(invoiceId), (s) => s?.step === 'waiting');
  const handle = temporalOperator(stack, 'frank@ops').workflow.getHandle(workflowId);
  await handle.signal('paymentReceived');
  const signalled = () =>
    sql<{ actor: string; run_id: string }>`select actor, after->>'runId' as run_id from audit_entry where entity_id = ${workflowId} and action = 'playbook.signal-in-engine'`
      .execute(stack.orm.em.fork().getKysely())
      .then((r) => r.rows);
  const [original] = await eventually(signalled, (rows) => rows.length === 1);
  // The execution under way has asked for its steering to be audited since its reset (it took the signal applied again).
  const auditedSinceReset = (h: Awaited<ReturnType<typeof handle.fetchHistory>>) => {
    const marker = h.events!.findIndex((e) => e.workflowTaskFailedEventAttributes?.newRunId);
    const asked = h.events!.slice(marker).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'auditSteeringFromOutside').map((e) => String(e.eventId));
    return marker >= 0 && h.events!.some((e) => asked.includes(String(e.activityTaskCompletedEventAttributes?.scheduledEventId)));
  };
  // Reset to before the signal (applied again), then again to before the copy of it the first reset applied.
  await resetInEngine(stack, workflowId, 'reset 1', { finishEventId: await taskBefore(stack, workflowId, beforeSignal) });
  await eventually(() => handle.fetchHistory(), auditedSinceReset);
  await resetInEngine(stack, workflowId, 'reset 2', { finishEventId: await taskBefore(stack, workflowId, beforeSignal) });
  await eventually(() => handle.fetchHistory(), auditedSinceReset);
  // Frank signalled once: one entry, the first execution's, not a second one under his name at the second reset's time.
  expect(await signalled()).toEqual([original]);
  expect(original.actor).toBe('temporal:frank@ops');
  await handle.terminate('test over');
}, 90_000);

it('sends nothing more once an operator cancels it: a reminder waiting for the end of quiet hours is held back', async () => {
  const { invoiceId, workflowId, messages } = await reminderHeldForTheNight('Dispute');
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId, reason: 'The customer disputes the invoice' }, Role.Operator)).errors).toBeUndefined();
  // Stopped mid-wait: it waits for nothing any more (QA 53 F4), and its step says it has ended (QA 69 F4).
  expect(await eventually(() => state(invoiceId), (s) => s?.status === 'Cancelled')).toMatchObject({ outcome: 'cancelled', step: 'done', deadline: null });
  const held = await eventually(messages, (m) => m.some((x) => x.key === `${workflowId}/reminder-1` && x.status === 'Suppressed'));
  expect(held.find((x) => x.key === `${workflowId}/reminder-1`)).toMatchObject({ sentAt: null, suppressedReason: RUN_CANCELLED });
}, 60_000);

it('settles a reminder a promise held back once its run is cancelled: shown held back, neither discarded nor retried (review 35 F2)', async () => {
  const { invoiceId, workflowId, messages } = await reminderHeldForTheNight('Dropped');
  expect((await stack.gql(PromiseToPayDocument, { invoiceId, until: day(5) }, Role.Operator)).errors).toBeUndefined();
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId, reason: 'The customer disputes the invoice' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => state(invoiceId), (s) => s?.status === 'Cancelled');
  const reminder = (await messages()).find((m) => m.key === `${workflowId}/reminder-1`)!;
  expect(reminder).toMatchObject({ status: 'Suppressed', suppressedReason: expect.stringMatching(/^promise-to-pay: /) });
  expect((await stack.gql(DiscardMessageDocument, { id: reminder.id, reason: 'disputed' }, Role.Operator)).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'MESSAGE_SETTLED' });
  expect((await stack.gql(RetryMessageDocument, { id: reminder.id }, Role.Operator)).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'MESSAGE_SETTLED' });
}, 60_000);

it('ends at once when an import pays its invoice: told after an import through GraphQL, or by the run reconciliation after one from the command line', async () => {
  const importedPayment = async (name: string) => {
    const { customerId, invoiceId } = await payer(name, Array(8).fill('on-time'));
    await stack.orm.em.fork().nativeUpdate(Invoice, { id: invoiceId }, { externalRef: `BILL-${name}` });
    await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator);
    await eventually(() => state(invoiceId), (s) => s?.remindersSent === 2 && s.step === 'waiting');
    return { workflowId: fairReminderWorkflowId(customerId, invoiceId), invoiceId, csv: `invoice_ref,paid_at,amount\nBILL-${name},${day(0)},75.00\n` };
  };
  // The loyal schedule's call is 30 s away: only being told ends the run sooner.
  const viaApi = await importedPayment('Imported');
  const imported = await stack.gql(ImportCsvDocument, { input: { kind: 'Payments', csv: viaApi.csv, mode: 'AllOrNothing' } }, Role.Admin);
  expect(imported.data!.importCsv).toMatchObject({ inserted: 1, written: true });
  expect(await eventually(() => state(viaApi.invoiceId), (s) => s?.step === 'done', 10_000)).toMatchObject({ outcome: 'paid', status: 'Completed' });

  const viaCli = await importedPayment('Batch');
  expect(await new ImportService(stack.config.databaseUrl, {}, null, 'EUR').importCsv('payments', Readable.from([viaCli.csv]), { mode: 'all-or-nothing', actor: 'cli:test', source: 'test' })).toMatchObject({ inserted: 1 });
  // Not told yet, the run would take a promise; the invoice is paid, so none is taken, and none audited (QA 53 F3).
  const lateVow = await stack.gql(PromiseToPayDocument, { invoiceId: viaCli.invoiceId, until: day(3) }, Role.Operator);
  expect(lateVow.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'PLAYBOOK_PROMISE_REFUSED', paidAt: day(0) });
  expect(await stack.orm.em.fork().count(AuditEntry, { action: 'playbook.promise-to-pay', entityId: viaCli.workflowId })).toBe(0);
  expect(await state(viaCli.invoiceId)).toMatchObject({ step: 'waiting', promisedUntil: null });
  const reconciliation = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services.runReconciliation;
  expect(await reconciliation.recordRunsEndedInEngine()).toContain(viaCli.workflowId);
  expect(await eventually(() => state(viaCli.invoiceId), (s) => s?.step === 'done', 10_000)).toMatchObject({ outcome: 'paid', status: 'Completed' });
  // Told once: a finished run is not told again.
  expect(await reconciliation.recordRunsEndedInEngine()).not.toContain(viaCli.workflowId);
}, 60_000);

it('is cancelled when an import says the billing system cancelled its invoice (told at once through GraphQL, by the run reconciliation from the command line), and sends nothing queued', async () => {
  const cancelledInBilling = async (name: string) => {
    const { invoiceId, workflowId, messages } = await reminderHeldForTheNight(name);
    const customerRef = `CUST-${name}`;
    const held = await invoice(invoiceId);
    await stack.orm.em.fork().nativeUpdate(Customer, { id: held.customer.id }, { externalRef: customerRef });
    const csv = `invoice_ref,customer_ref,issued_at,due_at,amount,cancelled_at\n${held.externalRef},${customerRef},${held.issuedAt},${held.dueAt},75.00,${day(0)}\n`;
    return { invoiceId, workflowId, messages, csv };
  };
  const cancelledNow = (invoiceId: string) => eventually(() => state(invoiceId), (s) => s?.status === 'Cancelled', 10_000);

  const viaApi = await cancelledInBilling('Credited');
  // A promise held the reminder back first: cancelled, it is held back for good (QA 53 F2).
  expect((await stack.gql(PromiseToPayDocument, { invoiceId: viaApi.invoiceId, until: day(5) }, Role.Operator)).errors).toBeUndefined();
  const imported = await stack.gql(ImportCsvDocument, { input: { kind: 'Invoices', csv: viaApi.csv, mode: 'AllOrNothing' } }, Role.Admin);
  expect(imported.data!.importCsv).toMatchObject({ updated: 1, written: true });
  expect(await cancelledNow(viaApi.invoiceId)).toMatchObject({ outcome: 'cancelled' });
  // The reminder waiting for the morning is held back, in the import's own transaction, saying why.
  const reminder = (await viaApi.messages()).find((m) => m.key === `${viaApi.workflowId}/reminder-1`);
  expect(reminder).toMatchObject({ status: 'Suppressed', sentAt: null, suppressedReason: INVOICE_CANCELLED });
  expect((await deliverInTheMorning()).filter((m) => m.idempotencyKey.startsWith(viaApi.workflowId))).toEqual([]);
  // Cancelled as the billing system's word, in the audit log; nothing is owed, and the timeline says so.
  const [entry] = (await sql<{ actor: string; after: { reason: string } }>`select actor, after from audit_entry where action = 'playbook.cancel' and entity_id = ${viaApi.workflowId}`.execute(stack.orm.em.fork().getKysely())).rows;
  expect(entry).toEqual({ actor: 'system:invoice-cancelled', after: { reason: 'The invoice was cancelled in the billing system' } });
  const customerId = (await invoice(viaApi.invoiceId)).customer.id;
  const timeline = (await stack.gql(CustomerTimelineDocument, { id: customerId, first: 10, kinds: ['InvoiceCancelled'] }, Role.Viewer)).data!.customer!.timeline;
  expect(timeline.edges.map((e) => e.node.summary)).toEqual([`Cancelled invoice ${(await invoice(viaApi.invoiceId)).externalRef} (€75.00): nothing owed`]);

  // Stood again by the next export: nothing chases it any more (its run was cancelled), so it is left to a person.
  const stood = viaApi.csv.replace(/,[^,]*\n$/, ',\n');
  expect((await stack.gql(ImportCsvDocument, { input: { kind: 'Invoices', csv: stood, mode: 'AllOrNothing' } }, Role.Admin)).data!.importCsv).toMatchObject({ updated: 1 });
  const left = async (leftToPeople: boolean) => (await stack.gql(OverdueInvoicesDocument, { first: 100, leftToPeople }, Role.Operator)).data!.overdueInvoices.edges.map((e) => e.node.id);
  expect(await left(true)).toContain(viaApi.invoiceId);
  expect(await left(false)).not.toContain(viaApi.invoiceId);

  const viaCli = await cancelledInBilling('Voided');
  expect(await new ImportService(stack.config.databaseUrl, {}, null, 'EUR').importCsv('invoices', Readable.from([viaCli.csv]), { mode: 'all-or-nothing', actor: 'cli:test', source: 'test' })).toMatchObject({ updated: 1 });
  // Before the reconciliation cancels its run: no promise is taken for it.
  const until = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
  expect((await stack.gql(PromiseToPayDocument, { invoiceId: viaCli.invoiceId, until }, Role.Operator)).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'INVOICE_CANCELLED' });
  const reconciliation = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services.runReconciliation;
  expect(await reconciliation.recordRunsEndedInEngine()).toContain(viaCli.workflowId);
  expect(await cancelledNow(viaCli.invoiceId)).toMatchObject({ outcome: 'cancelled' });
  expect(await reconciliation.recordRunsEndedInEngine()).not.toContain(viaCli.workflowId);
}, 90_000);

it('is cancelled when an import moves its invoice\'s due day later (a payment extension): nothing queued or still to come calls it overdue or charges a fee before the new due day', async () => {
  const extended = async (name: string) => {
    const { invoiceId, workflowId, messages } = await reminderHeldForTheNight(name);
    const customerRef = `CUST-${name}`;
    const held = await invoice(invoiceId);
    await stack.orm.em.fork().nativeUpdate(Customer, { id: held.customer.id }, { externalRef: customerRef });
    const csv = `invoice_ref,customer_ref,issued_at,due_at,amount\n${held.externalRef},${customerRef},${held.issuedAt},${day(20)},75.00\n`;
    return { invoiceId, workflowId, messages, csv };
  };
  const cancelledNow = (invoiceId: string) => eventually(() => state(invoiceId), (s) => s?.status === 'Cancelled', 10_000);

  const viaApi = await extended('Extended');
  const imported = await stack.gql(ImportCsvDocument, { input: { kind: 'Invoices', csv: viaApi.csv, mode: 'AllOrNothing' } }, Role.Admin);
  expect(imported.data!.importCsv).toMatchObject({ updated: 1, written: true });
  expect(await cancelledNow(viaApi.invoiceId)).toMatchObject({ outcome: 'cancelled' });
  // The reminders waiting for the morning are held back in the import's own transaction, saying why; none goes out.
  const reminders = (await viaApi.messages()).filter((m) => m.key.startsWith(`${viaApi.workflowId}/reminder-`));
  expect(reminders.map((m) => [m.status, m.suppressedReason])).toEqual([
    ['Suppressed', INVOICE_NOT_DUE],
    ['Suppressed', INVOICE_NOT_DUE],
  ]);
  expect((await deliverInTheMorning()).filter((m) => m.idempotencyKey.startsWith(viaApi.workflowId))).toEqual([]);
  const [entry] = (await sql<{ actor: string }>`select actor from audit_entry where action = 'playbook.cancel' and entity_id = ${viaApi.workflowId}`.execute(stack.orm.em.fork().getKysely())).rows;
  expect(entry).toEqual({ actor: 'system:invoice-not-due' });
  // A promise made now, before the new due day: its run was cancelled by the platform, and no next run may start yet to hold
  // the promise; the answer says why (as promiseToPay's description does).
  const promised = await stack.gql(PromiseToPayDocument, { invoiceId: viaApi.invoiceId, until: day(5) }, Role.Operator);
  expect(promised.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'INVOICE_NOT_OVERDUE', field: 'invoiceId', dueAt: day(20) });

  // From the command line: the run reconciliation cancels it; a reminder step before that writes nothing for an invoice not due.
  const viaCli = await extended('Postponed');
  expect(await new ImportService(stack.config.databaseUrl, {}, null, 'EUR').importCsv('invoices', Readable.from([viaCli.csv]), { mode: 'all-or-nothing', actor: 'cli:test', source: 'test' })).toMatchObject({ updated: 1 });
  const em = stack.orm.em.fork();
  const steps = new FairReminderSteps(em, new CustomerRescoreService(em, defaultScoringPolicy, new ScoringRunService(em, defaultScoringPolicy)), new OutboxService(), 'EUR', defaultPolicies.delivery.maxAttempts);
  const fee = { band: 'regular' as const, chargedMinor: 500, waivedMinor: 0, reason: 'standard fee for reminder 3' };
  expect(await steps.sendReminder({ workflowId: viaCli.workflowId, invoiceId: viaCli.invoiceId, reminderNumber: 3, template: 'reminder-standard-2', fee })).toEqual({ sent: false, paid: false });
  expect((await outbox(viaCli.workflowId)).map((m) => m.step)).toEqual(['reminder-1', 'reminder-2']);
  // Nor does the hand-over to collections: an invoice not overdue is handed to nobody.
  expect(await steps.sendMessage({ workflowId: viaCli.workflowId, step: 'handover', invoiceId: viaCli.invoiceId, customerId: (await invoice(viaCli.invoiceId)).customer.id, channel: MessageChannel.Letter, template: 'collections-handover' })).toBe(false);
  expect((await outbox(viaCli.workflowId)).map((m) => m.step)).toEqual(['reminder-1', 'reminder-2']);
  expect((await deliverInTheMorning()).filter((m) => m.idempotencyKey.startsWith(viaCli.workflowId))).toEqual([]);
  // The run reconciliation cancels it, unless the run's own next step, finding the invoice not due, had it cancelled first
  // (the same cancel, by the same actor).
  const reconciliation = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services.runReconciliation;
  await reconciliation.recordRunsEndedInEngine();
  expect(await cancelledNow(viaCli.invoiceId)).toMatchObject({ outcome: 'cancelled' });
  const cancels = (await sql<{ actor: string }>`select actor from audit_entry where action = 'playbook.cancel' and entity_id = ${viaCli.workflowId}`.execute(stack.orm.em.fork().getKysely())).rows;
  expect(cancels).toEqual([{ actor: 'system:invoice-not-due' }]);
}, 90_000);

it('hands nothing over to collections, and asks nobody to call, for an invoice an import from the command line cancelled or made not due between two steps: the run is cancelled as the billing system\'s word, not ended handed over', async () => {
  // Reminders a second apart, then the last step 5 s later: the import lands in between, and nothing tells the run.
  const start = (customerId: string, invoiceId: string, schedule: Partial<Pick<FairReminderPolicy, 'standardSchedule' | 'loyalSchedule'>>) =>
    stack.temporal.client.workflow.start<typeof fairReminder>('fairReminder', {
      workflowId: fairReminderWorkflowId(customerId, invoiceId),
      taskQueue: stack.config.temporal.taskQueue,
      args: [{ customerId, invoiceId, policy: { ...policy, ...schedule } }],
    });
  const lastStepLater = (schedule: FairReminderPolicy['standardSchedule']) => schedule.map((step, i) => (i === schedule.length - 1 ? { ...step, waitMs: seconds(5) } : step));
  const importedFromTheCommandLine = async (invoiceId: string, change: { dueAt?: string; cancelledAt?: string }) => {
    const held = await invoice(invoiceId);
    const customerRef = `CUST-${randomUUID().slice(0, 8)}`;
    await stack.orm.em.fork().nativeUpdate(Customer, { id: held.customer.id }, { externalRef: customerRef });
    const csv = `invoice_ref,customer_ref,issued_at,due_at,amount,cancelled_at\n${held.externalRef},${customerRef},${held.issuedAt},${change.dueAt ?? held.dueAt},75.00,${change.cancelledAt ?? ''}\n`;
    expect(await new ImportService(stack.config.databaseUrl, {}, null, 'EUR').importCsv('invoices', Readable.from([csv]), { mode: 'all-or-nothing', actor: 'cli:test', source: 'test' })).toMatchObject({ updated: 1 });
  };
  const cancelAudited = async (workflowId: string) =>
    (await sql<{ actor: string }>`select actor from audit_entry where action = 'playbook.cancel' and entity_id = ${workflowId}`.execute(stack.orm.em.fork().getKysely())).rows.map((r) => r.actor);

  // A standard payer's invoice cancelled by the billing system after its third reminder: no hand-over letter.
  const voided = await payer('Handed', ['late', 'late', 'late', 'on-time', 'late']);
  const voidedId = fairReminderWorkflowId(voided.customerId, voided.invoiceId);
  await start(voided.customerId, voided.invoiceId, { standardSchedule: lastStepLater(policy.standardSchedule) });
  await eventually(() => state(voided.invoiceId), (s) => s?.remindersSent === 3 && s.step === 'waiting', 20_000);
  await importedFromTheCommandLine(voided.invoiceId, { cancelledAt: day(0) });
  const cancelled = await eventually(() => state(voided.invoiceId), (s) => s?.status !== 'Running', 20_000);
  expect(cancelled).toMatchObject({ status: 'Cancelled', outcome: 'cancelled', remindersSent: 3 });
  expect((await outbox(voidedId)).map((m) => m.step)).toEqual(['reminder-1', 'reminder-2', 'reminder-3']);
  expect(await cancelAudited(voidedId)).toEqual(['system:invoice-cancelled']);
  const timeline = (await stack.gql(CustomerTimelineDocument, { id: voided.customerId, first: 10, kinds: ['PlaybookFinished'] }, Role.Viewer)).data!.customer!.timeline;
  expect(timeline.edges.map((e) => e.node.summary).join()).not.toContain('handed over');

  // A loyal payer's invoice whose due day the billing system moved later after their second reminder: no call task.
  const extended = await payer('Unrung', Array(8).fill('on-time'));
  const extendedId = fairReminderWorkflowId(extended.customerId, extended.invoiceId);
  await start(extended.customerId, extended.invoiceId, { loyalSchedule: lastStepLater(handedToAPerson().slice(0, 3)) });
  await eventually(() => state(extended.invoiceId), (s) => s?.remindersSent === 2 && s.step === 'waiting', 20_000);
  await importedFromTheCommandLine(extended.invoiceId, { dueAt: day(20) });
  expect(await eventually(() => state(extended.invoiceId), (s) => s?.status !== 'Running', 20_000)).toMatchObject({ status: 'Cancelled', outcome: 'cancelled' });
  expect((await outbox(extendedId)).map((m) => m.step)).toEqual(['reminder-1', 'reminder-2']);
  expect(await cancelAudited(extendedId)).toEqual(['system:invoice-not-due']);
}, 90_000);

it('does not hold an invoice the billing system cancelled against a loyal payer: its run starts fee-free', async () => {
  const { customerId, invoiceId } = await payer('Credited', Array(8).fill('on-time'));
  // Issued in error and credited, never paid: as an unpaid invoice 40 days past due it would end their on-time streak.
  const em = stack.orm.em.fork();
  em.create(Invoice, { customer: customerId, issuedAt: day(-54), dueAt: day(-40), amountMinor: 5_000, paidAt: null, cancelledAt: day(-30) });
  await em.flush();
  expect((await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator)).errors).toBeUndefined();
  expect(await eventually(() => state(invoiceId), (s) => s?.loyaltyBand != null)).toMatchObject({ loyaltyBand: 'loyal' });
  await stack.gql(RecordPaymentDocument, { input: { invoiceId, amountMinor: 7_500 } }, Role.Operator);
}, 60_000);

it('ends at once for an invoice already paid', async () => {
  const paid = await payer('Prompt', Array(8).fill('on-time'));
  await stack.gql(RecordPaymentDocument, { input: { invoiceId: paid.invoiceId, amountMinor: 7_500 } }, Role.Operator);
  const outcome = await stack.temporal.client.workflow.execute<typeof fairReminder>('fairReminder', {
    workflowId: fairReminderWorkflowId(paid.customerId, paid.invoiceId),
    taskQueue: stack.config.temporal.taskQueue,
    args: [{ customerId: paid.customerId, invoiceId: paid.invoiceId, policy }],
  });
  expect(outcome).toBe('already-paid');
  expect(await outbox(fairReminderWorkflowId(paid.customerId, paid.invoiceId))).toEqual([]);
});

it("sees this deployment's worker polling its task queue (operations status)", async () => {
  const status = await eventually(
    async () => (await stack.gql(OperationsStatusDocument, {}, Role.Operator)).data!.operationsStatus!.workers,
    (w) => (w?.polling ?? 0) >= 1,
  );
  expect(status!.lastPollSecondsAgo).toBeLessThan(120);
});

/** Another session that holds a row lock until `release()`: a slow statement, as a busy database makes one. */
async function holdLock(statement: string, params: unknown[]): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: stack.config.databaseUrl });
  await client.connect();
  await client.query('begin');
  await client.query(statement, params);
  return {
    async release() {
      await client.query('commit');
      await client.end();
    },
  };
}

it('refuses a promise that comes while the run records its end with a person (one typed in the Temporal UI audited as refused), and one made through the API then starts the next run holding it (QA 72 F6)', async () => {
  const { customerId, invoiceId } = await payer('Ending', Array(8).fill('on-time'));
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  const run = await stack.temporal.client.workflow.start<typeof fairReminder>('fairReminder', { workflowId, taskQueue: stack.config.temporal.taskQueue, args: [{ customerId, invoiceId, policy: { ...policy, loyalSchedule: handedToAPerson() } }] });
  await eventually(() => stack.orm.em.fork().findOne(PlaybookRun, { workflowId }), (r) => r !== null);
  // Another session reads the run's record for share: its steps (which read it so too) go on, its end waits to be recorded.
  const lock = await holdLock('select 1 from playbook_run where workflow_id = $1 for share', [workflowId]);
  const promiseThroughApi = () => stack.gql(PromiseToPayDocument, { invoiceId, until: day(4) }, Role.Operator);
  let promised: ReturnType<typeof promiseThroughApi> | undefined;
  try {
    await eventually(() => run.fetchHistory(), (h) => (h.events ?? []).some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'recordRunOutcome'), 20_000);
    // Typed in the Temporal UI now: refused as after the end, not taken and dropped.
    const inUi = temporalOperator(stack).workflow.getHandle(workflowId);
    await expect(inUi.executeUpdate('promiseToPay', { args: [{ until: day(6), recordedBy: 'ops-cli' }] })).rejects.toMatchObject({ cause: { message: 'the reminder run has ended' } });
    // Made through the API now: it waits for the end to be recorded, then starts the next run holding it.
    promised = promiseThroughApi();
    await new Promise((r) => setTimeout(r, 1_000));
  } finally {
    await lock.release();
  }
  expect(await run.result()).toBe('follow-up-requested');
  const answer = await promised!;
  expect(answer.errors).toBeUndefined();
  expect(answer.data!.promiseToPay).toMatchObject({ workflowId: `${workflowId}/2`, step: 'promised', promisedUntil: day(4), outcome: null });
  // The promise typed in the Temporal UI is audited all the same, under who sent it, and marked refused once the run has answered.
  const typedInUi = () =>
    sql<{ actor: string; after: Record<string, unknown> }>`select actor, after from audit_entry where entity_id = ${workflowId} and action = 'playbook.update-in-engine'`
      .execute(stack.orm.em.fork().getKysely())
      .then((r) => r.rows);
  expect(await eventually(typedInUi, (rows) => rows.length === 1 && rows[0].after.outcome !== 'pending')).toEqual([
    {
      actor: 'temporal:ops@example.com',
      after: expect.objectContaining({ update: 'promiseToPay', input: [{ until: day(6), recordedBy: 'ops-cli' }], outcome: 'not-taken', refused: 'the reminder run has ended' }),
    },
  ]);
  // It is no promise: the timeline and the data export show only the one made through the API.
  const timeline = await stack.gql(CustomerTimelineDocument, { id: customerId, first: 10, kinds: ['PaymentPromised'] }, Role.Viewer);
  expect(timeline.data!.customer!.timeline.edges.map((e) => e.node.summary)).toEqual([expect.stringMatching(new RegExp(`by ${day(4)}$`))]);
  const exported = await stack.gql(ExportCustomerDataDocument, { id: customerId, reason: 'Access request' }, Role.Operator);
  expect((exported.data!.exportCustomerData as { paymentPromises: Array<{ until: string }> }).paymentPromises.map((p) => p.until)).toEqual([day(4)]);
  await recordHistory(workflowId, 'fair-reminder-refused-promise-audited');
  await stack.gql(RecordPaymentDocument, { input: { invoiceId, amountMinor: 7_500 } }, Role.Operator);
  await eventually(() => state(invoiceId), (s) => s?.step === 'done');
}, 60_000);

it('shows the promise standing while a payment signalled by hand for the unpaid invoice is not checked yet, as the run holds it (QA 72 F5)', async () => {
  const { customerId, invoiceId } = await payer('Claimed', ['late', 'late', 'late']);
  const workflowId = fairReminderWorkflowId(customerId, invoiceId);
  const handle = temporalOperator(stack).workflow.getHandle(workflowId);
  // The first reminder step waits for the invoice's row another session holds: the run cannot check the invoice meanwhile.
  const lock = await holdLock('select 1 from invoice where id = $1 for update', [invoiceId]);
  try {
    expect((await stack.gql(StartFairReminderDocument, { invoiceId }, Role.Operator)).errors).toBeUndefined();
    await eventually(() => state(invoiceId), (s) => s?.step === 'reminding');
    expect((await stack.gql(PromiseToPayDocument, { invoiceId, until: day(4) }, Role.Operator)).data?.promiseToPay).toMatchObject({ promisedUntil: day(4) });
    await handle.signal('paymentReceived');
    await eventually(() => handle.query<FairReminderState>('state'), (s) => s.paid);
    expect(await state(invoiceId)).toMatchObject({ step: 'reminding', promisedUntil: day(4) });
  } finally {
    await lock.release();
  }
  // Checked: the invoice is unpaid, the run holds the promise on.
  expect(await eventually(() => state(invoiceId), (s) => s?.step === 'promised')).toMatchObject({ promisedUntil: day(4), status: 'Running' });
  await handle.terminate('test over');
}, 60_000);

it("puts an invoice whose run has just ended in the queue left to people at once, while Temporal's list of executions may still show the run running: not taken for a reset", async () => {
  const { invoiceId, workflowId } = await reminderHeldForTheNight('Just ended');
  const queue = async () => (await stack.gql(OverdueInvoicesDocument, { first: 100, leftToPeople: true }, Role.Operator)).data!.overdueInvoices.edges.map((e) => e.node.id);
  const leftCount = async () => (await stack.gql(OperationsStatusDocument, {}, Role.Operator)).data!.operationsStatus!.overdueInvoicesLeftToPeople;
  const before = await leftCount();
  // Its record says terminated now; the execution the engine lists as running started before that end (as the list
  // shows a run that has just closed for a moment): the same execution, not one a reset started since.
  await stack.orm.em.fork().nativeUpdate(PlaybookRun, { workflowId }, { status: RunStatus.Terminated, outcome: 'terminated', finishedAt: new Date() });
  expect(await queue()).toContain(invoiceId);
  expect(await leftCount()).toBe(before + 1);
  await stack.temporal.client.workflow.getHandle(workflowId).terminate('test over');
}, 60_000);

it('shows a terminated run an operator reset in the Temporal UI as running without its old end, and leaves its invoice out of the queue left to people, before the reconciliation records it (QA 72 F9)', async () => {
  const { invoiceId, workflowId } = await reminderHeldForTheNight('Undone');
  const queue = async () => (await stack.gql(OverdueInvoicesDocument, { first: 100, leftToPeople: true }, Role.Operator)).data!.overdueInvoices.edges.map((e) => e.node.id);
  const handle = stack.temporal.client.workflow.getHandle(workflowId);
  await handle.terminate('terminated by mistake');
  const reconciliation = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services.runReconciliation;
  await eventually(async () => (await reconciliation.recordRunsEndedInEngine(), stack.orm.em.fork().findOneOrFail(PlaybookRun, { workflowId })), (r) => r.status === RunStatus.Terminated);
  expect(await queue()).toContain(invoiceId);

  // Reset: the run chases the invoice again at once, as the engine says, while its record still says terminated.
  await resetInEngine(stack, workflowId, 'undo the termination');
  expect(await eventually(() => state(invoiceId), (s) => s?.status === 'Running')).toMatchObject({ status: 'Running', outcome: null, finishedAt: null });
  await eventually(queue, (ids) => !ids.includes(invoiceId), 10_000);
  expect(await stack.orm.em.fork().findOneOrFail(PlaybookRun, { workflowId })).toMatchObject({ status: RunStatus.Terminated });
  await handle.terminate('test over');
}, 90_000);
