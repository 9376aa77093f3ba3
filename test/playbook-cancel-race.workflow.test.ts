import { defaultPolicies } from '../src/domain/policies/index.js';
import pg from 'pg';
import { sql } from 'kysely';
import { Role } from '../src/domain/auth/roles.js';
import { fairReminderPolicy, fairReminderWorkflowId, type FairReminderPolicy } from '../src/domain/playbooks/fair-reminder.js';
import { fixIssuePolicy, fixIssueWorkflowId, type FixIssuePolicy } from '../src/domain/playbooks/fix-issue.js';
import { seconds } from '../src/domain/policies/duration.js';
import { Complaint, ComplaintSeverity, Customer, FixCase, Invoice, PlaybookRun } from '../src/entities/index.js';
import { createServices } from '../src/services/index.js';
import { TemporalCampaignEngine } from '../src/temporal/temporal-campaign-engine.js';
import { TemporalPlaybookEngine } from '../src/temporal/temporal-playbook-engine.js';
import { TemporalScoringEngine } from '../src/temporal/temporal-scoring-engine.js';
import { CancelPlaybookRunDocument, FairReminderDocument, PromiseToPayDocument, StartFairReminderDocument, StartFixIssueDocument } from './__generated__/graphql.js';
import { eventually } from './support/eventually.js';
import { recordHistory } from './support/histories.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * A playbook run cancelled (through the API or in the Temporal UI) or terminated while one of
 * its steps is under way: that step writes nothing after the run's end is recorded (no message
 * that is not held back, no fee, no open fix case), and a cancelled run ends only once the step
 * has settled, so its winding down sees what the step wrote. README: "A cancelled run sends
 * nothing more". Another database session holds a row for a moment, so the step is still under
 * way when the cancel comes (as behind a payment being recorded, or a slow database).
 */
const policy: FairReminderPolicy = {
  ...fairReminderPolicy,
  standardSchedule: [
    { waitMs: 0, action: 'reminder', template: 'reminder-standard-1' },
    { waitMs: seconds(3), action: 'reminder', template: 'reminder-standard-2' },
    { waitMs: seconds(60), action: 'handover', template: 'collections-handover' },
  ],
};
const fixPolicy: FixIssuePolicy = { ...fixIssuePolicy, fixDeadlineMs: seconds(60), checkBackAfterMs: seconds(60) };

let stack: TestStack;
beforeAll(async () => {
  // No delivery: these tests check what a cancel holds back, which a worker's delivery round (every 2 s; a team's task goes at once) could send first under load.
  stack = await startTestStack({ policies: { fairReminder: policy, fixIssue: fixPolicy }, workerSettings: { MESSAGE_CHANNEL: 'off' } });
}, 90_000);
afterAll(() => stack?.stop());

const DAY = 86_400_000;
const day = (offsetDays: number) => new Date(Date.now() + offsetDays * DAY).toISOString().slice(0, 10);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Another session that holds a row lock until `release()`: a slow statement, as a busy database makes one. */
async function holdLock(statement: string, params: unknown[]): Promise<{ release(end?: 'commit' | 'rollback'): Promise<void> }> {
  const client = new pg.Client({ connectionString: stack.config.databaseUrl });
  await client.connect();
  await client.query('begin');
  await client.query(statement, params);
  return {
    async release(end = 'commit') {
      await client.query(end);
      await client.end();
    },
  };
}

const outbox = async (workflowId: string) =>
  (
    await sql<{ key: string; suppressed_at: Date | null; suppressed_reason: string | null }>`
      select idempotency_key as key, suppressed_at, suppressed_reason from outbox_message where idempotency_key like ${`${workflowId}/%`} order by idempotency_key`.execute(stack.orm.em.fork().getKysely())
  ).rows.map((m) => ({ step: m.key.slice(workflowId.length + 1), heldBack: m.suppressed_at !== null, reason: m.suppressed_reason }));

const engineStatus = (workflowId: string) => stack.temporal.client.workflow.getHandle(workflowId).describe().then((d) => d.status.name);

/** One pass of the run reconciliation, as the worker's schedule runs it. */
function reconcile(): Promise<string[]> {
  const { client } = stack.temporal;
  const { taskQueue } = stack.config.temporal;
  const engines = { playbooks: new TemporalPlaybookEngine(client, taskQueue), scoring: new TemporalScoringEngine(client, taskQueue), campaigns: new TemporalCampaignEngine(client, taskQueue) };
  return createServices(stack.orm.em.fork(), engines, defaultPolicies).runReconciliation.recordRunsEndedInEngine();
}

/** A late payer's open invoice (the standard schedule: a fee on the second reminder), its run started and its first reminder sent. */
async function reminderRunAtFirstReminder(name: string) {
  const em = stack.orm.em.fork();
  const customer = em.create(Customer, { name, email: `${name.toLowerCase()}@example.com`, acquiredAt: day(-730) });
  for (let i = 1; i <= 6; i++) em.create(Invoice, { customer, issuedAt: day(-30 * i - 20), dueAt: day(-30 * i - 5), amountMinor: 5_000, paidAt: day(-30 * i + 5) });
  const open = em.create(Invoice, { customer, issuedAt: day(-20), dueAt: day(-5), amountMinor: 7_500, paidAt: null });
  await em.flush();
  const workflowId = fairReminderWorkflowId(customer.id, open.id);
  const state = () => stack.gql(FairReminderDocument, { invoiceId: open.id }, Role.Viewer).then((r) => r.data?.fairReminder ?? null);
  expect((await stack.gql(StartFairReminderDocument, { invoiceId: open.id }, Role.Operator)).errors).toBeUndefined();
  await eventually(state, (s) => s?.remindersSent === 1 && s.step === 'waiting');
  return { workflowId, invoiceId: open.id, state };
}

/**
 * What the reminder run left: messages other than the first reminder that are not held back, and the invoice's fee and
 * count (this file's worker delivers nothing, and a reminder is booked as it goes out: none is booked here).
 */
async function afterReminderRun(workflowId: string, invoiceId: string) {
  const messages = await outbox(workflowId);
  const invoice = await stack.orm.em.fork().findOneOrFail(Invoice, { id: invoiceId });
  return { unsentNotHeldBack: messages.filter((m) => m.step !== 'reminder-1' && !m.heldBack).map((m) => m.step), feeChargedMinor: invoice.feeChargedMinor, remindersSent: invoice.remindersSent };
}

it('a fair reminder cancelled while its reminder step waits sends no reminder and books no fee after the cancel', async () => {
  const { workflowId, invoiceId, state } = await reminderRunAtFirstReminder('Race');
  // The second reminder's step will wait on the invoice row.
  const lock = await holdLock('select 1 from invoice where id = $1 for update', [invoiceId]);
  await eventually(state, (s) => s?.step === 'reminding');

  // The operator cancels the run while that step is under way: the record says cancelled at once.
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId, reason: 'the customer disputes the invoice' }, Role.Operator)).errors).toBeUndefined();
  expect(await stack.orm.em.fork().findOneOrFail(PlaybookRun, { workflowId })).toMatchObject({ status: 'cancelled', outcome: 'cancelled' });
  // The run winds down only once its step has settled.
  await pause(1_500);
  expect(await engineStatus(workflowId)).toBe('RUNNING');
  await lock.release();
  await eventually(() => engineStatus(workflowId), (s) => s === 'CANCELLED');

  // The step found the run cancelled and wrote nothing: reminder-1 was written before the cancel; no reminder-2, no fee of 500.
  expect(await afterReminderRun(workflowId, invoiceId)).toEqual({ unsentNotHeldBack: [], feeChargedMinor: 0, remindersSent: 0 });
  await recordHistory(workflowId, 'fair-reminder-cancelled-mid-step');
}, 60_000);

it('a promise to pay taken while a reminder step waits holds back the reminder the step then writes', async () => {
  const { workflowId, invoiceId, state } = await reminderRunAtFirstReminder('PromiseRace');
  const lock = await holdLock('select 1 from invoice where id = $1 for update', [invoiceId]);
  await eventually(state, (s) => s?.step === 'reminding');
  // The promise's hold runs while the step waits: it cannot see the reminder the step has not written yet.
  const until = day(5);
  expect((await stack.gql(PromiseToPayDocument, { invoiceId, until }, Role.Operator)).errors).toBeUndefined();
  await lock.release();
  const second = await eventually(
    () => outbox(workflowId).then((messages) => messages.find((m) => m.step === 'reminder-2')),
    (m) => m?.heldBack === true,
  );
  expect(second).toMatchObject({ heldBack: true, reason: `promise-to-pay: the customer promised to pay by ${until}` });
  expect(await state()).toMatchObject({ step: 'promised', promisedUntil: until });
  await recordHistory(workflowId, 'fair-reminder-promise-during-reminder-step');
  await stack.temporal.client.workflow.getHandle(workflowId).terminate('test over');
}, 60_000);

it('a fair reminder terminated in the Temporal UI while its reminder step waits sends no reminder and books no fee once the end is recorded', async () => {
  const { workflowId, invoiceId, state } = await reminderRunAtFirstReminder('Term');
  const lock = await holdLock('select 1 from invoice where id = $1 for update', [invoiceId]);
  await eventually(state, (s) => s?.step === 'reminding');
  // Terminated: none of the run's code runs, but its step goes on in the worker; the reconciliation records the end.
  await stack.temporal.client.workflow.getHandle(workflowId).terminate('sent by mistake');
  await eventually(async () => (await reconcile(), stack.orm.em.fork().findOneOrFail(PlaybookRun, { workflowId })), (r) => r.status === 'terminated');
  await lock.release();
  await pause(2_000);
  expect(await afterReminderRun(workflowId, invoiceId)).toEqual({ unsentNotHeldBack: [], feeChargedMinor: 0, remindersSent: 0 });
}, 60_000);

/** A customer with a persistent issue about `topic`, and another session that holds the fix case's key, so the step that opens the case waits (until `release`). */
async function fixRunWaitingToOpen(name: string, topic: string) {
  const em = stack.orm.em.fork();
  const customer = em.create(Customer, { name, email: `${name.toLowerCase()}@example.com`, acquiredAt: day(-730) });
  for (let i = 0; i < 3; i++) em.create(Complaint, { customer, topic, severity: ComplaintSeverity.Medium, openedAt: new Date(Date.now() - (i + 1) * DAY) });
  await em.flush();
  const workflowId = fixIssueWorkflowId(customer.id, topic);
  // An uncommitted fix case row of the same workflow ID: the step's insert waits on the unique key (rolled back, it goes through).
  const lock = await holdLock(`insert into fix_case (id, workflow_id, customer_id, topic, team, owner, status, escalations, opened_at) values (gen_random_uuid(), $1, $2, $3, 'probe', 'probe', 'open', 0, now())`, [workflowId, customer.id, topic]);
  expect((await stack.gql(StartFixIssueDocument, { customerId: customer.id, topic }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => stack.orm.em.fork().findOne(PlaybookRun, { workflowId }), (r) => r !== null);
  await pause(1_500);
  return { workflowId, release: () => lock.release('rollback') };
}

/** The run's fix cases by status, and its messages that are not held back. */
async function afterFixRun(workflowId: string) {
  const cases = await stack.orm.em.fork().find(FixCase, { workflowId });
  return { cases: cases.map((c) => c.status), openMessages: (await outbox(workflowId)).filter((m) => !m.heldBack).map((m) => m.step) };
}

it('a fix cancelled through the API while its case is being opened ends with that case closed as cancelled and its messages held back', async () => {
  const { workflowId, release } = await fixRunWaitingToOpen('Case', 'delivery-delay');
  // The operator cancels while the step is under way: the cancel waits for the step (it holds the run's record) and follows it.
  const cancelled = stack.gql(CancelPlaybookRunDocument, { workflowId, reason: 'opened by mistake' }, Role.Operator);
  await pause(1_000);
  await release();
  expect((await cancelled).errors).toBeUndefined();
  await eventually(() => engineStatus(workflowId), (s) => s === 'CANCELLED');
  expect(await stack.orm.em.fork().findOneOrFail(PlaybookRun, { workflowId })).toMatchObject({ status: 'cancelled', outcome: 'cancelled' });
  // The cancelled run's case is closed and its messages held back.
  expect(await afterFixRun(workflowId)).toEqual({ cases: ['cancelled'], openMessages: [] });
}, 60_000);

it('a fix cancelled in the Temporal UI while its case is being opened ends once the step settled, with that case closed as cancelled and its messages held back', async () => {
  const { workflowId, release } = await fixRunWaitingToOpen('Ui', 'billing-error');
  await stack.temporal.client.workflow.getHandle(workflowId).cancel();
  await pause(1_500);
  // The run waits for its step before it winds down: still running, its record too.
  expect(await engineStatus(workflowId)).toBe('RUNNING');
  expect((await stack.orm.em.fork().findOneOrFail(PlaybookRun, { workflowId })).status).toBe('running');
  await release();
  await eventually(() => engineStatus(workflowId), (s) => s === 'CANCELLED');
  expect(await stack.orm.em.fork().findOneOrFail(PlaybookRun, { workflowId })).toMatchObject({ status: 'cancelled', outcome: 'cancelled' });
  expect(await afterFixRun(workflowId)).toEqual({ cases: ['cancelled'], openMessages: [] });
  await recordHistory(workflowId, 'fix-issue-cancelled-in-ui-mid-step');
}, 60_000);

/*
 * A step stuck past its attempt's time (30 s) when the cancel comes: Temporal does not retry a step of a run being cancelled,
 * so the step fails after the cancel. The run ends cancelled all the same (QA 72 F1: it ended Failed, its cancel unrecorded,
 * the late attempt free to write a reminder after the run's end).
 */
it('a fair reminder cancelled in the Temporal UI while its reminder step is stuck past its attempt ends cancelled, and the late step writes nothing', async () => {
  const { workflowId, invoiceId, state } = await reminderRunAtFirstReminder('Stuck');
  const lock = await holdLock('select 1 from invoice where id = $1 for update', [invoiceId]);
  await eventually(state, (s) => s?.step === 'reminding');
  await stack.temporal.client.workflow.getHandle(workflowId).cancel();
  // The step's attempt gives up (its time, or the worker's lock wait) while the row is still held; the cancel ends the run.
  await eventually(() => engineStatus(workflowId), (s) => s !== 'RUNNING', 45_000, 500);
  expect(await engineStatus(workflowId)).toBe('CANCELLED');
  expect(await stack.orm.em.fork().findOneOrFail(PlaybookRun, { workflowId })).toMatchObject({ status: 'cancelled', outcome: 'cancelled' });
  // The attempt still waiting in the worker (a timeout does not stop it) gets the row and finds the run cancelled.
  await lock.release();
  await pause(2_000);
  expect(await afterReminderRun(workflowId, invoiceId)).toEqual({ unsentNotHeldBack: [], feeChargedMinor: 0, remindersSent: 0 });
  await recordHistory(workflowId, 'fair-reminder-cancelled-step-stuck');
}, 90_000);

it('a fix cancelled in the Temporal UI while its case step is stuck past its attempt ends cancelled, with no case left open and its messages held back', async () => {
  const { workflowId, release } = await fixRunWaitingToOpen('StuckCase', 'billing-error');
  await stack.temporal.client.workflow.getHandle(workflowId).cancel();
  // Past the step's 30 s: the winding down (its record, the case) waits for the stuck step's hold on the run, so the row goes then.
  await pause(32_000);
  await release();
  await eventually(() => engineStatus(workflowId), (s) => s !== 'RUNNING', 45_000, 500);
  expect(await engineStatus(workflowId)).toBe('CANCELLED');
  expect(await stack.orm.em.fork().findOneOrFail(PlaybookRun, { workflowId })).toMatchObject({ status: 'cancelled', outcome: 'cancelled' });
  const after = await afterFixRun(workflowId);
  expect(after.openMessages).toEqual([]);
  expect(after.cases.filter((c) => c !== 'cancelled')).toEqual([]);
}, 90_000);

/** How many of the worker's statements wait on a lock on the invoice table now (the test's own session holds it, waiting on nothing). */
const waitingOnInvoice = async () =>
  (
    await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity
       where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid() and query ilike '%from "invoice"%for update%'`.execute(stack.orm.em.fork().getKysely())
  ).rows[0].n;

// QA 72 F2: a step attempt stuck behind a row past its 30 s went on waiting beside each retry, one more pool connection per attempt.
it('a reminder step stuck behind a row lock past its attempt gives its attempt up in the database: one attempt waits at a time, and the step goes on once the row is free', async () => {
  const { workflowId, invoiceId, state } = await reminderRunAtFirstReminder('Blocked');
  const lock = await holdLock('select 1 from invoice where id = $1 for update', [invoiceId]);
  await eventually(state, (s) => s?.step === 'reminding');
  let most = 0;
  try {
    for (const until = Date.now() + 42_000; Date.now() < until; await pause(1_000)) most = Math.max(most, await waitingOnInvoice());
  } finally {
    await lock.release();
  }
  expect(most).toBe(1);
  // A later attempt writes the second reminder as it would have.
  await eventually(() => outbox(workflowId), (messages) => messages.some((m) => m.step === 'reminder-2'), 70_000, 500);
  await stack.temporal.client.workflow.getHandle(workflowId).terminate('test over');
}, 150_000);
