import { defaultPolicies } from '../src/domain/policies/index.js';
import { promisePolicyOf } from '../src/domain/playbooks/fair-reminder.js';
import type proto from '@temporalio/proto';
import { sql } from 'kysely';
import { Role } from '../src/domain/auth/roles.js';
import { fixIssueWorkflowId } from '../src/domain/playbooks/fix-issue.js';
import { AuditEntry, Complaint, ComplaintSeverity, Customer, FixCase, MessageChannel, MessagePurpose, OutboxMessage, PlaybookRun } from '../src/entities/index.js';
import { RESET_UNDONE, RunStatus } from '../src/domain/playbooks/run-status.js';
import { createServices } from '../src/services/index.js';
import { OutboxService } from '../src/services/outbox/outbox.service.js';
import { PlaybookRunService } from '../src/services/playbooks/playbook-run.service.js';
import { AuditService } from '../src/services/audit/audit.service.js';
import { TemporalCampaignEngine } from '../src/temporal/temporal-campaign-engine.js';
import { TemporalPlaybookEngine } from '../src/temporal/temporal-playbook-engine.js';
import { TemporalScoringEngine } from '../src/temporal/temporal-scoring-engine.js';
import { runReconciliationScheduleId } from '../src/temporal/schedules.js';
import { howReset } from '../src/temporal/workflow-calls.js';
import { CancelPlaybookRunDocument, CustomerPlaybookRunsDocument, EraseCustomerDocument, FixCasesDocument, FixIssueDocument, OperationsStatusDocument, ResolveIssueDocument, StartFixIssueDocument } from './__generated__/graphql.js';
import { eventually } from './support/eventually.js';
import { recordHistory } from './support/histories.js';
import { startTestStack, type TestStack } from './support/stack.js';
import { beforeSignal, beforeUpdate, resetInEngine, taskBefore, temporalOperator } from './support/temporal-operator.js';
import { zoneAtTwoInTheMorning } from './support/time-zones.js';

/** Runs that end in Temporal without running their code (terminated in the UI) get their end recorded, on the real dev server. */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
}, 90_000);
afterAll(() => stack?.stop());

const DAY = 86_400_000;

/** A customer who complained three times about `topic` (a persistent issue), with a fix run started by an operator; its workflow ID once its case is open. */
async function customerWithFixRun(name: string, topic: string, timeZone = 'UTC'): Promise<{ customerId: string; workflowId: string }> {
  const em = stack.orm.em.fork();
  const customer = em.create(Customer, { name, email: `${name.toLowerCase()}@example.com`, acquiredAt: new Date(Date.now() - 700 * DAY).toISOString().slice(0, 10), timeZone });
  for (let i = 0; i < 3; i++) em.create(Complaint, { customer, topic, severity: ComplaintSeverity.Medium, openedAt: new Date(Date.now() - (10 + i * 7) * DAY) });
  await em.flush();
  const started = await stack.gql(StartFixIssueDocument, { customerId: customer.id, topic }, Role.Operator);
  expect(started.errors).toBeUndefined();
  const workflowId = fixIssueWorkflowId(customer.id, topic);
  await eventually(() => stack.orm.em.fork().findOne(FixCase, { workflowId }), (c) => c?.status === 'open');
  // The run has taken its case's opening into its history too (what a reset goes back to): it waits for the fix.
  await eventually(() => stack.gql(FixIssueDocument, { customerId: customer.id, topic }, Role.Viewer), (r) => r.data?.fixIssue?.step === 'awaiting-fix');
  return { customerId: customer.id, workflowId };
}

const record = (workflowId: string) => stack.orm.em.fork().findOneOrFail(PlaybookRun, { workflowId });
const runsOf = (customerId: string) => stack.gql(CustomerPlaybookRunsDocument, { customerId }, Role.Viewer).then((r) => r.data!.customer!.playbookRuns.edges.map((e) => e.node));
/** One pass of the reconciliation, as the worker's schedule runs it (the test calls the service directly, so it knows when it ran). */
function reconcile(): Promise<string[]> {
  return services().runReconciliation.recordRunsEndedInEngine();
}
function services() {
  const { client } = stack.temporal;
  const { taskQueue } = stack.config.temporal;
  const engines = { playbooks: new TemporalPlaybookEngine(client, taskQueue), scoring: new TemporalScoringEngine(client, taskQueue), campaigns: new TemporalCampaignEngine(client, taskQueue) };
  return createServices(stack.orm.em.fork(), engines, defaultPolicies);
}
const runningFixes = () => stack.gql(OperationsStatusDocument, {}, Role.Operator).then((r) => r.data!.operationsStatus!.runningPlaybookRuns.find((p) => p.playbook === 'FixIssue')?.runs ?? 0);

it('records a run terminated in the Temporal UI: it sends nothing more, closes its fix case, stops counting as under way, and is audited with the reason', async () => {
  const { customerId, workflowId } = await customerWithFixRun('Tara', 'late-delivery');
  const other = await customerWithFixRun('Uwe', 'late-delivery');
  // A message the run queued for later, e.g. held for the customer's quiet hours.
  const em = stack.orm.em.fork();
  em.create(OutboxMessage, {
    idempotencyKey: `${workflowId}/update`,
    customer: customerId,
    channel: MessageChannel.Email,
    purpose: MessagePurpose.Service,
    template: 'issue-acknowledged',
    payload: { topic: 'late-delivery' },
    sendAfter: new Date(Date.now() + DAY),
  });
  await em.flush();
  const erase = () => stack.gql(EraseCustomerDocument, { id: customerId, reason: 'request by e-mail' }, Role.Admin);
  expect((await erase()).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'CUSTOMER_PLAYBOOKS_RUNNING' });
  expect(await runningFixes()).toBe(2);

  // An operator terminates it in the Temporal UI: none of the run's code runs.
  await stack.temporal.client.workflow.getHandle(workflowId).terminate('duplicate of a case in the CRM');
  // The run's own view asks Temporal and says so at once; its record says running until recorded.
  expect((await stack.gql(FixIssueDocument, { customerId, topic: 'late-delivery' }, Role.Viewer)).data!.fixIssue).toMatchObject({ status: 'Terminated' });
  expect((await record(workflowId)).status).toBe('running');

  // Temporal's search index learns of the termination a moment later (the worker's schedule may record it first).
  await eventually(async () => (await reconcile(), record(workflowId)), (r) => r.status !== 'running');

  const { closeTime } = await stack.temporal.client.workflow.getHandle(workflowId).describe();
  expect(await record(workflowId)).toMatchObject({ status: 'terminated', outcome: 'terminated', finishedAt: closeTime });
  expect(await runsOf(customerId)).toEqual([{ id: workflowId, workflowId, playbook: 'FixIssue', invoiceId: null, status: 'Terminated', step: 'done', outcome: 'terminated' }]);
  expect(await stack.orm.em.fork().findOneOrFail(FixCase, { workflowId })).toMatchObject({ status: 'cancelled', resolvedAt: null });
  expect(await stack.orm.em.fork().findOneOrFail(OutboxMessage, { idempotencyKey: `${workflowId}/update` })).toMatchObject({
    sentAt: null,
    suppressedReason: 'run-terminated: its playbook run was terminated in the workflow engine; it sends nothing more',
  });
  const audit = await stack.orm.em.fork().find(AuditEntry, { action: 'playbook.ended-in-engine', entityId: workflowId });
  const { runId: terminatedRunId } = await stack.temporal.client.workflow.getHandle(workflowId).describe();
  expect(audit.map((a) => [a.actor, a.after])).toEqual([
    [`temporal:${stack.temporal.client.options.identity}`, { status: 'terminated', reason: 'duplicate of a case in the CRM', closedAt: closeTime!.toISOString(), runId: terminatedRunId }],
  ]);
  expect(await runningFixes()).toBe(1);
  expect((await erase()).errors).toBeUndefined();

  // The other customer's run goes on untouched; a second pass records nothing twice.
  expect(await reconcile()).toEqual([]);
  expect(await stack.orm.em.fork().count(AuditEntry, { action: 'playbook.ended-in-engine' })).toBe(1);
  expect(await record(other.workflowId)).toMatchObject({ status: 'running', finishedAt: null });
  expect(await stack.orm.em.fork().findOneOrFail(FixCase, { workflowId: other.workflowId })).toMatchObject({ status: 'open' });
});

it('is done by a schedule the worker keeps, every 5 minutes, and at once when an operator triggers it', async () => {
  const { workflowId } = await customerWithFixRun('Vera', 'wrong-size');
  const schedule = stack.temporal.client.schedule.getHandle(runReconciliationScheduleId(stack.config.temporal.taskQueue));
  const description = await schedule.describe();
  // Temporal keeps "*/5 * * * *" as a calendar: every fifth minute of every hour.
  expect(description.spec.calendars).toEqual([expect.objectContaining({ minute: [{ start: 0, end: 59, step: 5 }] })]);
  expect(description.action).toMatchObject({ type: 'startWorkflow', workflowType: 'reconcilePlaybookRuns' });

  await stack.temporal.client.workflow.getHandle(workflowId).terminate('customer asked us to stop');
  await eventually(() => new TemporalPlaybookEngine(stack.temporal.client, stack.config.temporal.taskQueue).findEndedInEngine(new Date(Date.now() - DAY)), (ended) => ended.some((r) => r.workflowId === workflowId));
  await schedule.trigger();
  expect(await eventually(() => record(workflowId), (r) => r.status !== 'running')).toMatchObject({ status: 'terminated' });
  const runs = await sql<{ workflow_id: string }>`select entity_id as workflow_id from audit_entry where action = 'playbook.ended-in-engine'`.execute(stack.orm.em.fork().getKysely());
  expect(runs.rows.map((r) => r.workflow_id)).toContain(workflowId);

  // The reconciliation run that recorded it, kept for the replay test.
  const recorder = await eventually(
    async () => {
      for await (const run of stack.temporal.client.workflow.list({ query: `WorkflowType = "reconcilePlaybookRuns" AND TaskQueue = "${stack.config.temporal.taskQueue}"` }))
        if ((await stack.temporal.client.workflow.getHandle<() => Promise<string[]>>(run.workflowId).result()).includes(workflowId)) return run.workflowId;
      return null;
    },
    (id) => id !== null,
  );
  await recordHistory(recorder!, 'run-reconciliation-recorded');
});

it('audits a run cancelled in the Temporal UI, naming who cancelled it (the run records the cancel itself, not who made it)', async () => {
  const { workflowId } = await customerWithFixRun('Wim', 'noisy-fan');
  await stack.temporal.client.workflow.getHandle(workflowId).cancel();
  await eventually(() => record(workflowId), (r) => r.status === 'cancelled');
  // The run records its cancel a moment before it closes: a pass in between leaves it to the next one, which names who cancelled it.
  const audit = () => stack.orm.em.fork().find(AuditEntry, { entityId: workflowId, action: { $like: 'playbook.cancel%' } });
  await eventually(async () => { await reconcile(); return audit(); }, (entries) => entries.length > 0);
  expect((await audit()).map((a) => [a.action, a.actor])).toEqual([['playbook.cancel-in-engine', `temporal:${stack.temporal.client.options.identity}`]]);
  // Once is enough; a cancel through the API is audited by the API alone.
  expect(await reconcile()).not.toContain(workflowId);
  expect(await audit()).toHaveLength(1);
});

it('records a run that timed out or failed in the engine under its own status, read back as such', async () => {
  const em = stack.orm.em.fork();
  const customer = em.create(Customer, { name: 'Xan', email: 'xan@example.com', acquiredAt: '2024-01-01' });
  const [timedOut, failed] = ['welcome-check/timed-out-run', 'welcome-check/failed-run'].map((workflowId) => em.create(PlaybookRun, { workflowId, playbook: 'welcome-check', customer }));
  await em.flush();
  const runs = new PlaybookRunService(stack.orm.em.fork(), new AuditService(), defaultPolicies.delivery.maxAttempts, promisePolicyOf(defaultPolicies.fairReminder));
  const closedAt = new Date('2026-12-01T10:00:00Z');
  expect(await runs.recordEndedInEngine({ workflowId: timedOut.workflowId, status: RunStatus.TimedOut, closedAt, reason: 'it ran longer than its execution timeout', by: null })).toBe(true);
  expect(await runs.recordEndedInEngine({ workflowId: failed.workflowId, status: RunStatus.Failed, closedAt, reason: 'boom', by: null })).toBe(true);
  expect(await record(timedOut.workflowId)).toMatchObject({ status: 'timed_out', outcome: 'timed_out', finishedAt: closedAt });
  const listed = await stack.gql(CustomerPlaybookRunsDocument, { customerId: customer.id }, Role.Viewer);
  expect(listed.errors).toBeUndefined();
  expect((await runsOf(customer.id)).map((r) => [r.workflowId, r.status, r.outcome]).sort()).toEqual([
    [failed.workflowId, 'Failed', 'failed'],
    [timedOut.workflowId, 'TimedOut', 'timed_out'],
  ]);
});

const resetAudit = (workflowId: string) => stack.orm.em.fork().find(AuditEntry, { action: 'playbook.reset-in-engine', entityId: workflowId });
/** The run's ends audited from the engine (cancelled or terminated in the Temporal UI or CLI), in the order they happened. */
const endAudit = (workflowId: string) =>
  stack.orm.em.fork().find(AuditEntry, { action: { $in: ['playbook.cancel-in-engine', 'playbook.ended-in-engine'] }, entityId: workflowId }, { orderBy: { at: 'asc', id: 'asc' } });
const fixCase = (workflowId: string) => stack.orm.em.fork().findOneOrFail(FixCase, { workflowId });

it('records a terminated run that an operator reset in the Temporal UI as running again: audited, its case open again, its steps write and it can be cancelled', async () => {
  // In their quiet hours, so the acknowledgement is still queued when the run is terminated (the team's task may have gone).
  const { customerId, workflowId } = await customerWithFixRun('Yann', 'broken-hinge', zoneAtTwoInTheMorning(new Date()));
  await temporalOperator(stack, 'alice@ops.example.com').workflow.getHandle(workflowId).terminate('terminated by mistake');
  await eventually(async () => (await reconcile(), record(workflowId)), (r) => r.status === 'terminated');
  expect(await fixCase(workflowId)).toMatchObject({ status: 'cancelled' });
  const heldByTermination = (
    await stack.orm.em.fork().find(OutboxMessage, { idempotencyKey: { $like: `${workflowId}/%` }, suppressedReason: { $like: 'run-terminated:%' } }, { orderBy: { idempotencyKey: 'asc' } })
  ).map((m) => m.idempotencyKey.slice(workflowId.length + 1));
  expect(heldByTermination).toContain('acknowledged');

  // The operator undoes it: the run runs again in Temporal, from its last workflow task (waiting for the fix).
  const runId = await resetInEngine(stack, workflowId, 'undo the termination');
  expect((await stack.gql(FixIssueDocument, { customerId, topic: 'broken-hinge' }, Role.Viewer)).data!.fixIssue).toMatchObject({ status: 'Running', step: 'awaiting-fix' });
  // The fix is reported before the reconciliation came by: the run's step waits (retried) instead of writing nothing.
  const resolving = stack.gql(ResolveIssueDocument, { customerId, topic: 'broken-hinge' }, Role.Operator);

  const recorded = await eventually(async () => (await reconcile(), record(workflowId)), (r) => r.status === 'running');
  expect(recorded).toMatchObject({ status: 'running', outcome: null, finishedAt: null });
  const audit = await resetAudit(workflowId);
  expect(audit.map((a) => [a.actor, a.after])).toEqual([
    // Temporal keeps its own name on a reset, not the caller's: who reset it is unknown, the reason is kept.
    ['temporal:unknown', { runId, reason: 'undo the termination', resetAt: expect.any(String), status: 'running', endUndone: 'terminated', messagesReleased: heldByTermination }],
  ]);
  // The fix reported meanwhile is taken and written: the case is resolved, not left cancelled.
  expect((await resolving).errors).toBeUndefined();
  expect(await eventually(() => fixCase(workflowId), (c) => c.status === 'resolved')).toMatchObject({ status: 'resolved', resolvedAt: expect.any(Date) });
  expect((await stack.gql(FixIssueDocument, { customerId, topic: 'broken-hinge' }, Role.Viewer)).data!.fixIssue).toMatchObject({ status: 'Running', step: 'awaiting-check-back' });

  // The termination was audited by the pass before the reset: the reset's pass does not audit it again.
  expect((await endAudit(workflowId)).map((a) => [a.action, a.actor, a.after?.reason])).toEqual([['playbook.ended-in-engine', 'temporal:alice@ops.example.com', 'terminated by mistake']]);

  // Once: a second pass records nothing; and the run can be cancelled through the API again.
  expect(await reconcile()).not.toContain(workflowId);
  expect(await resetAudit(workflowId)).toHaveLength(1);
  const cancelled = await stack.gql(CancelPlaybookRunDocument, { workflowId, reason: 'the customer moved to another provider' }, Role.Operator);
  expect(cancelled.errors).toBeUndefined();
  expect(await record(workflowId)).toMatchObject({ status: 'cancelled', outcome: 'cancelled' });
  expect(await eventually(() => stack.temporal.client.workflow.getHandle(workflowId).describe(), (d) => d.status.name !== 'RUNNING')).toMatchObject({ status: { name: 'CANCELLED' } });
});

it('audits a reset whose run ended again before the reconciliation came by, once, and leaves its record as the run ended', async () => {
  const { workflowId } = await customerWithFixRun('Olga', 'bent-frame');
  const runId = await resetInEngine(stack, workflowId, 'replay the case');
  // Ended again at once (as a thank-you done again in a second): no pass saw the reset execution under way.
  await stack.temporal.client.workflow.getHandle(workflowId).terminate('reset the wrong run');
  const engine = new TemporalPlaybookEngine(stack.temporal.client, stack.config.temporal.taskQueue);
  await eventually(() => engine.findStartedSince(new Date(Date.now() - DAY)), (runs) => runs.some((r) => r.runId === runId && !r.running));
  await eventually(async () => (await reconcile(), resetAudit(workflowId)), (entries) => entries.length > 0);
  expect((await resetAudit(workflowId)).map((a) => [a.actor, a.after])).toEqual([['temporal:unknown', { runId, reason: 'replay the case', resetAt: expect.any(String), status: 'terminated' }]]);
  expect(await record(workflowId)).toMatchObject({ status: 'terminated', outcome: 'terminated' });
  // The execution under way that the reset replaced was terminated by the reset itself: only the operator's termination is an end.
  expect((await endAudit(workflowId)).map((a) => [a.action, a.after?.reason, a.after?.runId])).toEqual([['playbook.ended-in-engine', 'reset the wrong run', runId]]);
  expect(await reconcile()).not.toContain(workflowId);
  expect(await resetAudit(workflowId)).toHaveLength(1);
});

it("audits a reset execution that ended with how it ended, though another reset has the run under way again", async () => {
  const { workflowId } = await customerWithFixRun('Pia', 'torn-seam');
  const first = await resetInEngine(stack, workflowId, 'replay the case');
  await stack.temporal.client.workflow.getHandle(workflowId).terminate('reset the wrong run');
  // Reset again, from the terminated execution: the run is under way in a third one.
  const second = await resetInEngine(stack, workflowId, 'undo the termination');
  await eventually(async () => (await reconcile(), resetAudit(workflowId)), (entries) => entries.length === 2);
  const byRun = new Map((await resetAudit(workflowId)).map((a) => [(a.after as { runId: string }).runId, a.after]));
  expect(byRun.get(first)).toMatchObject({ reason: 'replay the case', status: 'terminated' });
  expect(byRun.get(second)).toMatchObject({ reason: 'undo the termination', status: 'running' });
  await stack.temporal.client.workflow.getHandle(workflowId).terminate('test over');
});

/** The event of the run's current execution that `matches`, and that execution. */
async function eventOf(workflowId: string, matches: (e: proto.temporal.api.history.v1.IHistoryEvent) => unknown): Promise<{ runId: string; at: Date }> {
  const handle = stack.temporal.client.workflow.getHandle(workflowId);
  const { runId } = await handle.describe();
  const event = (await handle.fetchHistory()).events!.find(matches)!;
  return { runId, at: new Date(Number(event.eventTime!.seconds) * 1000 + Math.floor((event.eventTime!.nanos ?? 0) / 1e6)) };
}

/** With the worker's 5-minute sweep paused: what it checks must happen with no pass between the end and its reset. */
async function withoutScheduledSweep(test: () => Promise<void>): Promise<void> {
  const schedule = stack.temporal.client.schedule.getHandle(runReconciliationScheduleId(stack.config.temporal.taskQueue));
  await schedule.pause('a test needs no pass between an end and its reset');
  try {
    await test();
  } finally {
    await schedule.unpause();
  }
}

it('audits a cancel made in the Temporal CLI that a reset undid before any pass: who cancelled, why and when, once', () =>
  withoutScheduledSweep(async () => {
    const { customerId, workflowId } = await customerWithFixRun('Ines', 'cracked-lid');
    const operator = temporalOperator(stack, 'carol@ops.example.com');
    await operator.workflowService.requestCancelWorkflowExecution({
      namespace: stack.config.temporal.namespace,
      workflowExecution: { workflowId },
      identity: 'carol@ops.example.com',
      reason: 'cancelled by mistake, meant the other case',
      requestId: `cancel-${Date.now()}`,
    });
    // The run records its cancel and closes: it had effects (its case left the queue) before the operator undid it.
    await eventually(() => stack.temporal.client.workflow.getHandle(workflowId).describe(), (d) => d.status.name === 'CANCELLED');
    expect(await record(workflowId)).toMatchObject({ status: 'cancelled' });
    const cancel = await eventOf(workflowId, (e) => e.workflowExecutionCancelRequestedEventAttributes);
    const runId = await resetInEngine(stack, workflowId, 'undo the cancel', { finishEventId: await taskBefore(stack, workflowId, (e) => e.workflowExecutionCancelRequestedEventAttributes) });
    expect((await stack.gql(FixIssueDocument, { customerId, topic: 'cracked-lid' }, Role.Viewer)).data!.fixIssue).toMatchObject({ status: 'Running' });

    await eventually(async () => (await reconcile(), record(workflowId)), (r) => r.status === 'running');
    expect((await resetAudit(workflowId)).map((a) => a.after)).toEqual([expect.objectContaining({ runId, status: 'running', endUndone: 'cancelled' })]);
    // The cancel is in the log as a pass would have written it, dated when it was asked for, naming the execution it ended and the reset that undid it.
    const audited = await endAudit(workflowId);
    expect(audited.map((a) => [a.action, a.actor, a.at, a.after])).toEqual([
      ['playbook.cancel-in-engine', 'temporal:carol@ops.example.com', cancel.at, { reason: 'cancelled by mistake, meant the other case', runId: cancel.runId, undoneByReset: runId }],
    ]);

    // Once: the next pass audits nothing more.
    expect(await reconcile()).not.toContain(workflowId);
    expect(await endAudit(workflowId)).toHaveLength(1);
    await stack.temporal.client.workflow.getHandle(workflowId).terminate('test over');
  }), 60_000);

it('audits a termination made in the Temporal CLI that a reset undid before any pass: who terminated it, why and when, once', () =>
  withoutScheduledSweep(async () => {
    const { workflowId } = await customerWithFixRun('Jonas', 'slow-refund');
    await temporalOperator(stack, 'dave@ops.example.com').workflow.getHandle(workflowId).terminate('terminated by operator X for reason Y');
    const terminated = await eventOf(workflowId, (e) => e.workflowExecutionTerminatedEventAttributes);
    // Undone a second later, as the run's record still says running: no pass ever sees it ended.
    const runId = await resetInEngine(stack, workflowId, 'oops');

    await eventually(async () => (await reconcile(), resetAudit(workflowId)), (entries) => entries.length > 0);
    expect((await resetAudit(workflowId)).map((a) => a.after)).toEqual([{ runId, reason: 'oops', resetAt: expect.any(String), status: 'running' }]);
    expect(await record(workflowId)).toMatchObject({ status: 'running' });
    const audited = await endAudit(workflowId);
    expect(audited.map((a) => [a.action, a.actor, a.at, a.after])).toEqual([
      [
        'playbook.ended-in-engine',
        'temporal:dave@ops.example.com',
        terminated.at,
        { status: 'terminated', reason: 'terminated by operator X for reason Y', closedAt: terminated.at.toISOString(), runId: terminated.runId, undoneByReset: runId },
      ],
    ]);
    // Its case stays open (the run waits for its fix again): only the audit learns of the termination.
    expect(await fixCase(workflowId)).toMatchObject({ status: 'open' });

    expect(await reconcile()).not.toContain(workflowId);
    expect(await endAudit(workflowId)).toHaveLength(1);
    await stack.temporal.client.workflow.getHandle(workflowId).terminate('test over');
  }), 60_000);

it('tells a run never reset from one an operator reset, with the reason given', async () => {
  const { workflowId } = await customerWithFixRun('Nora', 'stuck-zip');
  const { runId } = await stack.temporal.client.workflow.getHandle(workflowId).describe();
  expect(await howReset(stack.temporal.client, workflowId, runId)).toBeNull();
  const resetRunId = await resetInEngine(stack, workflowId, 'replay the case');
  expect(await howReset(stack.temporal.client, workflowId, resetRunId)).toEqual({ at: expect.any(Date), from: expect.any(Date), reason: 'replay the case', by: null, replacedRunId: runId });
  expect(await howReset(stack.temporal.client, workflowId, runId)).toBeNull();
  await stack.temporal.client.workflow.getHandle(workflowId).terminate('test over');
});

/** The run's messages by step: template, when sent and why held back. */
const messagesOf = async (workflowId: string) =>
  new Map(
    (await stack.orm.em.fork().find(OutboxMessage, { idempotencyKey: { $like: `${workflowId}/%` } }, { orderBy: { idempotencyKey: 'asc' } })).map((m) => [m.idempotencyKey.slice(workflowId.length + 1), { template: m.template, sentAt: m.sentAt ?? null, suppressedReason: m.suppressedReason ?? null }]),
  );

it('reopens the fix case of a run reset to before a resolution reported by mistake, holds back its queued word that it is fixed, and the real fix dates the case and says so once', async () => {
  // In their quiet hours, so the word that it is fixed is still queued when the run is reset.
  const { customerId, workflowId } = await customerWithFixRun('Zoe', 'loose-cable', zoneAtTwoInTheMorning(new Date()));
  expect((await stack.gql(ResolveIssueDocument, { customerId, topic: 'loose-cable' }, Role.Operator)).errors).toBeUndefined();
  const mistaken = await eventually(() => fixCase(workflowId), (c) => c.status === 'resolved');
  expect((await messagesOf(workflowId)).get('fixed-1')).toEqual({ template: 'issue-fixed', sentAt: null, suppressedReason: null });

  // Reset to the workflow task that took the report, leaving the report out: the run waits for the fix again.
  const runId = await resetInEngine(stack, workflowId, 'the fix was reported by mistake', { finishEventId: await taskBefore(stack, workflowId, beforeUpdate), excludeUpdates: true });
  expect((await stack.gql(FixIssueDocument, { customerId, topic: 'loose-cable' }, Role.Viewer)).data!.fixIssue).toMatchObject({ status: 'Running', step: 'awaiting-fix' });

  // The case follows the run back: open again, on the team's queue, with no resolution date.
  await eventually(async () => (await reconcile(), fixCase(workflowId)), (c) => c.status === 'open');
  expect(await fixCase(workflowId)).toMatchObject({ status: 'open', resolvedAt: null, confirmedAt: null });
  const queue = await stack.gql(FixCasesDocument, { filter: { customerId, status: 'Open' } }, Role.Viewer);
  expect(queue.data!.fixCases.edges.map((e) => e.node.workflowId)).toEqual([workflowId]);
  expect(await record(workflowId)).toMatchObject({ status: 'running' });
  expect((await resetAudit(workflowId)).map((a) => a.after)).toEqual([
    { runId, reason: 'the fix was reported by mistake', resetAt: expect.any(String), status: 'running', fixReopened: true, messagesHeldBack: ['fixed-1'] },
  ]);
  // The word that it is fixed, which the reset undid, does not go out while the case is open again; what came before the
  // point reset to (the word that the team is on it, still held for the night) is untouched.
  const held = await messagesOf(workflowId);
  expect(held.get('fixed-1')).toEqual({ template: 'issue-fixed', sentAt: null, suppressedReason: RESET_UNDONE });
  expect(held.get('acknowledged')).toMatchObject({ suppressedReason: null });
  // Each step's message carries when the engine scheduled the step, which the hold-back goes by.
  const scheduled = await stack.orm.em.fork().find(OutboxMessage, { idempotencyKey: { $in: [`${workflowId}/acknowledged`, `${workflowId}/fixed-1`] } }, { orderBy: { idempotencyKey: 'asc' } });
  expect(scheduled.map((m) => m.stepScheduledAt instanceof Date)).toEqual([true, true]);
  expect(await reconcile()).not.toContain(workflowId);

  // The real fix, reported later, is the one the case keeps, and the customer hears of it once.
  expect((await stack.gql(ResolveIssueDocument, { customerId, topic: 'loose-cable' }, Role.Operator)).errors).toBeUndefined();
  const fixed = await eventually(() => fixCase(workflowId), (c) => c.status === 'resolved');
  expect(fixed.resolvedAt!.getTime()).toBeGreaterThan(mistaken.resolvedAt!.getTime());
  expect(await reconcile()).not.toContain(workflowId);
  expect(await fixCase(workflowId)).toMatchObject({ status: 'resolved' });
  const words = [...(await messagesOf(workflowId))].filter(([, m]) => m.template === 'issue-fixed');
  expect(words).toEqual([
    ['fixed-1', expect.objectContaining({ suppressedReason: RESET_UNDONE })],
    ['fixed-2', expect.objectContaining({ suppressedReason: null })],
  ]);
  await stack.temporal.client.workflow.getHandle(workflowId).terminate('test over');
}, 60_000);

it('leaves the word that it is fixed to go when the run reset to before the fix is given it again: the reset run means it', async () => {
  const { customerId, workflowId } = await customerWithFixRun('Zeno', 'loose-screw', zoneAtTwoInTheMorning(new Date()));
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  expect((await stack.gql(ResolveIssueDocument, { customerId, topic: 'loose-screw' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => fixCase(workflowId), (c) => c.status === 'resolved');

  // Reset to before the report, which is given again (the default): the reset run takes the fix again before any pass.
  const runId = await resetInEngine(stack, workflowId, 'replay the fix', { finishEventId: await taskBefore(stack, workflowId, beforeUpdate) });
  await eventually(() => stack.orm.em.fork().findOneOrFail(OutboxMessage, { idempotencyKey: `${workflowId}/fixed-1` }), (m) => m.takenAgainAt != null);
  await eventually(async () => (await reconcile(), resetAudit(workflowId)), (entries) => entries.length > 0);
  expect((await resetAudit(workflowId)).map((a) => a.after)).toEqual([{ runId, reason: 'replay the fix', resetAt: expect.any(String), status: 'running' }]);
  expect((await messagesOf(workflowId)).get('fixed-1')).toEqual({ template: 'issue-fixed', sentAt: null, suppressedReason: null });
  expect(await fixCase(workflowId)).toMatchObject({ status: 'resolved' });
  await stack.temporal.client.workflow.getHandle(workflowId).terminate('test over');
}, 60_000);

it('holds back, as a reset of any run under way is recorded, the queued messages of the steps after the point reset to, not those before it nor those the reset run took again', async () => {
  const em = stack.orm.em.fork();
  const customer = em.create(Customer, { name: 'Rhea', email: 'rhea@example.com', acquiredAt: '2025-01-01', timeZone: 'UTC' });
  const workflowId = `fair-reminder/reset-holds-back-${customer.id}`;
  em.create(PlaybookRun, { workflowId, playbook: 'fair-reminder', customer });
  await em.flush();
  const write = async (step: string, template: string, extra: Partial<OutboxMessage> = {}) => {
    const e = stack.orm.em.fork();
    e.create(OutboxMessage, { idempotencyKey: `${workflowId}/${step}`, customer: customer.id, channel: MessageChannel.Email, purpose: MessagePurpose.Service, template, payload: {}, sendAfter: new Date(Date.now() + DAY), ...extra });
    await e.flush();
  };
  const pause = () => new Promise((resolve) => setTimeout(resolve, 1_100));
  // The first reminder before the point reset to; the second after it, and a call task after it that the reset run takes again.
  await write('reminder-1', 'reminder-friendly-1');
  const from = new Date();
  // Steps are placed by when the engine scheduled them, not by the worker's clock: one scheduled before the point, written
  // by a worker whose clock runs ahead of the engine's, stays; one scheduled after it by a worker behind is undone.
  await write('worker-ahead', 'issue-acknowledged', { createdAt: new Date(from.getTime() + 600), stepScheduledAt: new Date(from.getTime() - 5) });
  await write('worker-behind', 'reminder-standard-2', { createdAt: new Date(from.getTime() - 600), stepScheduledAt: new Date(from.getTime() + 5) });
  await pause();
  await write('reminder-2', 'reminder-standard-2');
  await write('call', 'call-personal');
  await write('sent-already', 'reminder-standard-2', { sentAt: new Date() });
  const at = new Date();
  await pause();
  await stack.orm.em.fork().nativeUpdate(OutboxMessage, { idempotencyKey: `${workflowId}/call` }, { takenAgainAt: new Date() });
  // Written by the reset run itself, after the reset.
  await write('reminder-3', 'reminder-standard-3');

  const { runs } = services();
  expect(await runs.recordResetInEngine({ workflowId, runId: 'reset-run', running: true, endedAs: null, reset: { at, from, reason: 'reminder sent by mistake', by: null }, fixCase: null, promiseHeld: null })).toBe(true);
  const after = await messagesOf(workflowId);
  expect([...after].map(([step, m]) => [step, m.suppressedReason]).sort()).toEqual([
    ['call', null],
    ['reminder-1', null],
    ['reminder-2', RESET_UNDONE],
    ['reminder-3', null],
    ['sent-already', null],
    ['worker-ahead', null],
    ['worker-behind', RESET_UNDONE],
  ]);
  expect((await resetAudit(workflowId)).map((a) => a.after)).toEqual([{ runId: 'reset-run', reason: 'reminder sent by mistake', resetAt: at.toISOString(), status: 'running', messagesHeldBack: ['reminder-2', 'worker-behind'] }]);

  // The reset run reaches the step again: its message is released, to go as it means it.
  await new OutboxService().enqueueStep(stack.orm.em.fork(), { workflowId, customerId: customer.id }, 'reminder-2', { channel: MessageChannel.Email, template: 'reminder-standard-2', payload: {} });
  expect((await messagesOf(workflowId)).get('reminder-2')).toMatchObject({ suppressedReason: null });
  // So does a step that goes on with what it wrote instead of writing it (a proposal, a thank-you, a gesture): the run goes
  // on as if it went, so it goes.
  await write('proposal', 'account-proposal', { payload: { proposal: { kind: 'tier-change' } } });
  const later = new Date(Date.now() + 1);
  await pause();
  expect(await runs.recordResetInEngine({ workflowId, runId: 'reset-run-2', running: true, endedAs: null, reset: { at: new Date(), from: new Date(later.getTime() - 1_000), reason: 'proposal again', by: null }, fixCase: null, promiseHeld: null })).toBe(true);
  expect((await messagesOf(workflowId)).get('proposal')).toMatchObject({ suppressedReason: RESET_UNDONE });
  const found = await stack.orm.em.fork().transactional((tx) => new OutboxService().stepPayload(tx, { workflowId }, 'proposal'));
  expect(found).toEqual({ proposal: { kind: 'tier-change' } });
  expect((await messagesOf(workflowId)).get('proposal')).toMatchObject({ suppressedReason: null });
});

it('resolves the fix case again when a run is reset to before a recurrence signalled by mistake: owner and escalations follow the run back', async () => {
  const { customerId, workflowId } = await customerWithFixRun('Ravi', 'dead-pixel');
  expect((await stack.gql(ResolveIssueDocument, { customerId, topic: 'dead-pixel' }, Role.Operator)).errors).toBeUndefined();
  const fixed = await eventually(() => fixCase(workflowId), (c) => c.status === 'resolved');
  // A recurrence sent for the wrong customer: the case opens again one level up.
  const handle = temporalOperator(stack).workflow.getHandle(workflowId);
  await handle.signal('issueRecurred');
  await eventually(() => fixCase(workflowId), (c) => c.status === 'open' && c.escalations === 1);

  // Reset to the workflow task before the signal, leaving it out: the run checks back on its fix again.
  const runId = await resetInEngine(stack, workflowId, 'recurrence signalled by mistake', { finishEventId: await taskBefore(stack, workflowId, beforeSignal), excludeSignals: true });
  expect((await stack.gql(FixIssueDocument, { customerId, topic: 'dead-pixel' }, Role.Viewer)).data!.fixIssue).toMatchObject({ step: 'awaiting-check-back', escalations: 0 });
  const resolved = await eventually(async () => (await reconcile(), fixCase(workflowId)), (c) => c.status === 'resolved');
  expect(resolved).toMatchObject({ owner: fixed.owner, escalations: 0 });
  expect(resolved.resolvedAt!.getTime()).toBeLessThanOrEqual(Date.now());
  const [{ messagesHeldBack, ...entry }] = (await resetAudit(workflowId)).map((a) => a.after as { messagesHeldBack?: string[] });
  expect(entry).toEqual({ runId, reason: 'recurrence signalled by mistake', resetAt: expect.any(String), status: 'running', fixResolvedAgain: true });
  // What the mistaken recurrence queued (the team's task, the customer's word that it is worked on again) and delivery has not sent yet is held back.
  const recurrence = [...(await messagesOf(workflowId))].filter(([step]) => step.startsWith('recurrence-'));
  expect(recurrence.length).toBe(2);
  expect(messagesHeldBack ?? []).toEqual(recurrence.filter(([, m]) => !m.sentAt).map(([step]) => step).sort());
  for (const [step, m] of recurrence) expect([step, m.suppressedReason]).toEqual([step, m.sentAt ? null : RESET_UNDONE]);
  // Off every queue: the customer's marketing is no longer held back for it.
  expect((await stack.gql(FixCasesDocument, { filter: { customerId, status: 'Open' } }, Role.Viewer)).data!.fixCases.totalCount).toBe(0);
  await handle.terminate('test over');
}, 60_000);
