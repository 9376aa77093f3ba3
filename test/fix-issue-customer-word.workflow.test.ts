import { sql } from 'kysely';
import { Readable } from 'node:stream';
import { Role } from '../src/domain/auth/roles.js';
import { fixIssuePolicy, fixIssueWorkflowId, type FixIssuePolicy } from '../src/domain/playbooks/fix-issue.js';
import { seconds } from '../src/domain/policies/duration.js';
import { triggerPolicy } from '../src/domain/playbooks/triggers.js';
import { renderMessage } from '../src/domain/messages/templates.js';
import { AuditEntry, Complaint, ComplaintSeverity, Customer, FixCase, OutboxMessage } from '../src/entities/index.js';
import { CancelPlaybookRunDocument, FixIssueDocument, RecordComplaintDocument, StartFixIssueDocument } from './__generated__/graphql.js';
import { ImportService } from '../src/services/import/import.service.js';
import type { playbookTriggers } from '../workflows/index.js';
import { eventually } from './support/eventually.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * What the customer and the case's owner hear while a fix is under way, beside the run's own steps: a complaint added to
 * the open case, and a fix cancelled after the customer was told they would hear when it is done. Delivery is off: the
 * test says which messages went out.
 */
const policy: FixIssuePolicy = { ...fixIssuePolicy, version: 2, fixDeadlineMs: seconds(120), checkBackAfterMs: seconds(60) };

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ policies: { fixIssue: policy }, workerSettings: { MESSAGE_CHANNEL: 'off' } });
}, 90_000);
afterAll(() => stack?.stop());

const DAY = 86_400_000;

/** A customer with three medium complaints about `topic`, still open, whose fix is started by hand and waits for the fix. */
async function awaitingFix(name: string, topic: string): Promise<{ customerId: string; workflowId: string }> {
  const em = stack.orm.em.fork();
  const c = em.create(Customer, { name, email: `${name.toLowerCase()}@example.com`, acquiredAt: new Date(Date.now() - 700 * DAY).toISOString().slice(0, 10) });
  for (let i = 0; i < 3; i++) em.create(Complaint, { customer: c, topic, severity: ComplaintSeverity.Medium, summary: `late again (${i + 1})`, openedAt: new Date(Date.now() - (10 + i * 7) * DAY) });
  await em.flush();
  expect((await stack.gql(StartFixIssueDocument, { customerId: c.id, topic }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => stack.gql(FixIssueDocument, { customerId: c.id, topic }, Role.Viewer).then((r) => r.data?.fixIssue ?? null), (s) => s?.step === 'awaiting-fix');
  return { customerId: c.id, workflowId: fixIssueWorkflowId(c.id, topic) };
}

/** The run's messages, by step: template, channel, payload, whether held back. */
const messagesOf = async (workflowId: string) =>
  (
    await sql<{ idempotency_key: string; template: string; channel: string; payload: Record<string, unknown>; suppressed_reason: string | null }>`
      select idempotency_key, template, channel, payload, suppressed_reason from outbox_message where idempotency_key like ${`${workflowId}/%`} order by idempotency_key`.execute(stack.orm.em.fork().getKysely())
  ).rows.map((m) => ({ step: m.idempotency_key.slice(workflowId.length + 1), template: m.template, channel: m.channel, payload: m.payload, heldBack: m.suppressed_reason }));

it("adds a complaint that comes while the fix case is open to the case: its owner is told of it, the customer that it was added, once per complaint", async () => {
  const { customerId, workflowId } = await awaitingFix('Kofi', 'delivery-delay');
  const record = (complaintRef: string, topic = 'delivery-delay') =>
    stack.gql(RecordComplaintDocument, { input: { customerId, topic, severity: 'High', summary: 'Fourth time! I am considering leaving', complaintRef } }, Role.Operator);
  const recorded = await record('QA-K-4');
  expect(recorded.errors).toBeUndefined();
  const complaintId = recorded.data!.recordComplaint.id;
  // Sent again (a client's retry): the same complaint, added once.
  expect((await record('QA-K-4')).errors).toBeUndefined();
  // Another topic's complaint is not this case's.
  expect((await record('QA-K-OTHER', 'billing-error')).errors).toBeUndefined();

  const added = (await messagesOf(workflowId)).filter((m) => m.step.startsWith('complaint-'));
  expect(added).toEqual([
    {
      step: `complaint-${complaintId}`,
      template: 'fix-case-complaint-added',
      channel: 'call',
      payload: { topic: 'delivery-delay', owner: 'logistics', customerId, complaints: [{ ref: 'QA-K-4', severity: 'high', summary: 'Fourth time! I am considering leaving', openedOn: expect.any(String), open: true }] },
      heldBack: null,
    },
    { step: `complaint-${complaintId}-acknowledged`, template: 'issue-complaint-added', channel: 'email', payload: { topic: 'delivery-delay' }, heldBack: null },
  ]);
  // The three complaints the case opened with are in its first task, not added again.
  expect(await stack.orm.em.fork().count(OutboxMessage, { customer: customerId, template: 'fix-case-complaint-added' })).toBe(1);
  const task = renderMessage('fix-case-complaint-added', 'Kofi', added[0].payload, 'en', 'EUR');
  expect(task.text).toContain('- QA-K-4, high, ');
  expect(task.text).toContain('"Fourth time! I am considering leaving"');
  expect(renderMessage('issue-complaint-added', 'Kofi', added[1].payload, 'de', 'EUR').text).toContain('dem Fall hinzugefügt');
  // Audited as the run's step, on the case.
  const fixCase = await stack.orm.em.fork().findOneOrFail(FixCase, { workflowId });
  const audit = await stack.orm.em.fork().find(AuditEntry, { action: 'fix-case.complaint-added' });
  expect(audit.map((a) => ({ actor: a.actor, entityId: a.entityId, after: a.after }))).toEqual([
    { actor: `playbook:${workflowId}`, entityId: fixCase.id, after: { workflowId, complaintId, severity: 'high', owner: 'logistics' } },
  ]);
}, 60_000);

it('asks the case owner to tell a customer promised word when it is done what happens now, once the fix is cancelled; a promise still queued is held back and nobody is asked', async () => {
  const told = await awaitingFix('Mateo', 'billing-error');
  // "We are on it ... we will tell you when it is done" went out.
  await stack.orm.em.fork().nativeUpdate(OutboxMessage, { idempotencyKey: `${told.workflowId}/acknowledged` }, { sentAt: new Date() });
  const cancelled = await stack.gql(CancelPlaybookRunDocument, { workflowId: told.workflowId, reason: 'third complaint was mis-filed' }, Role.Operator);
  expect(cancelled.errors).toBeUndefined();
  const task = await eventually(
    () => messagesOf(told.workflowId).then((ms) => ms.find((m) => m.step === 'case-cancelled') ?? null),
    (m) => m !== null,
  );
  expect(task).toEqual({
    step: 'case-cancelled',
    template: 'fix-case-cancelled',
    channel: 'call',
    payload: { topic: 'billing-error', owner: 'billing', customerId: told.customerId, reason: 'third complaint was mis-filed', toldOn: new Date().toISOString().slice(0, 10) },
    heldBack: null,
  });
  expect(renderMessage('fix-case-cancelled', 'Mateo', task!.payload, 'en', 'EUR').text).toContain('was cancelled: third complaint was mis-filed. Mateo was told on ');
  await eventually(() => stack.temporal.client.workflow.getHandle(told.workflowId).describe(), (d) => d.status.name === 'CANCELLED');
  // The run's stop did not hold it back, and it is written once.
  expect((await messagesOf(told.workflowId)).filter((m) => m.template === 'fix-case-cancelled')).toEqual([task]);

  // Cancelled in the Temporal UI: the same, with why it stopped as far as the platform knows.
  const inEngine = await awaitingFix('Lena', 'billing-error');
  await stack.orm.em.fork().nativeUpdate(OutboxMessage, { idempotencyKey: `${inEngine.workflowId}/acknowledged` }, { sentAt: new Date() });
  await stack.temporal.client.workflow.getHandle(inEngine.workflowId).cancel();
  await eventually(() => stack.temporal.client.workflow.getHandle(inEngine.workflowId).describe(), (d) => d.status.name === 'CANCELLED');
  const engineTask = (await messagesOf(inEngine.workflowId)).find((m) => m.step === 'case-cancelled');
  expect(engineTask).toMatchObject({ template: 'fix-case-cancelled', heldBack: null, payload: { owner: 'billing', reason: expect.stringContaining('cancelled in the workflow engine') } });

  // The acknowledgement still queued (quiet hours): held back by the cancel, and the customer was promised nothing.
  const queued = await awaitingFix('Noor', 'billing-error');
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId: queued.workflowId, reason: 'duplicate' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => stack.temporal.client.workflow.getHandle(queued.workflowId).describe(), (d) => d.status.name === 'CANCELLED');
  const left = await messagesOf(queued.workflowId);
  expect(left.find((m) => m.step === 'acknowledged')!.heldBack).toMatch(/^run-cancelled/);
  expect(left.map((m) => m.template)).not.toContain('fix-case-cancelled');
  expect(await stack.orm.em.fork().findOneOrFail(FixCase, { workflowId: queued.workflowId })).toMatchObject({ status: 'cancelled' });
}, 90_000);

it('adds a complaint the command-line import brought in while the fix case is open at the next trigger sweep: owner and customer told once, as for one recorded by the API', async () => {
  const { customerId, workflowId } = await awaitingFix('Mia', 'website');
  await stack.orm.em.fork().nativeUpdate(Customer, { id: customerId }, { externalRef: 'CW-CLI-MIA' });
  // As `npm run import -- complaints` imports: no follow-up (the CLI leaves it to the sweep).
  const imports = new ImportService(stack.config.databaseUrl, {}, null, 'EUR');
  const csv = `complaint_ref,customer_ref,topic,severity,opened_at,summary\nCW-CLI-1,CW-CLI-MIA,website,critical,${new Date(Date.now() - 60_000).toISOString()},I am leaving if checkout fails again\n`;
  expect(await imports.importCsv('complaints', Readable.from([csv]), { mode: 'all-or-nothing', actor: 'cli:test', source: 'c2.csv' })).toMatchObject({ inserted: 1, errors: [] });
  const complaintId = (await stack.orm.em.fork().findOneOrFail(Complaint, { externalRef: 'CW-CLI-1' })).id;
  const addedSteps = async () => (await messagesOf(workflowId)).filter((m) => m.step.startsWith('complaint-'));
  expect(await addedSteps()).toEqual([]);

  const sweep = (id: string) => stack.temporal.client.workflow.execute<typeof playbookTriggers>('playbookTriggers', { workflowId: id, taskQueue: stack.config.temporal.taskQueue, args: [{ policy: triggerPolicy }] });
  await sweep(`playbook-triggers/cli-complaint-${customerId}`);
  expect(await addedSteps()).toEqual([
    {
      step: `complaint-${complaintId}`,
      template: 'fix-case-complaint-added',
      channel: 'call',
      payload: { topic: 'website', owner: expect.any(String), customerId, complaints: [{ ref: 'CW-CLI-1', severity: 'critical', summary: 'I am leaving if checkout fails again', openedOn: expect.any(String), open: true }] },
      heldBack: null,
    },
    { step: `complaint-${complaintId}-acknowledged`, template: 'issue-complaint-added', channel: 'email', payload: { topic: 'website' }, heldBack: null },
  ]);
  const fixCase = await stack.orm.em.fork().findOneOrFail(FixCase, { workflowId });
  const audited = () => stack.orm.em.fork().find(AuditEntry, { action: 'fix-case.complaint-added', entityId: fixCase.id });
  expect((await audited()).map((a) => a.after)).toEqual([{ workflowId, complaintId, severity: 'critical', owner: expect.any(String) }]);

  // The next sweep finds nothing more to add: once per complaint.
  await sweep(`playbook-triggers/cli-complaint-again-${customerId}`);
  expect(await addedSteps()).toHaveLength(2);
  expect(await audited()).toHaveLength(1);
}, 90_000);
