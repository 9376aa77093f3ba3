import { sql } from 'kysely';
import { Readable } from 'node:stream';
import { Role } from '../src/domain/auth/roles.js';
import { fixIssuePolicy, fixIssueWorkflowId, type FixIssuePolicy } from '../src/domain/playbooks/fix-issue.js';
import { seconds } from '../src/domain/policies/duration.js';
import { renderMessage } from '../src/domain/messages/templates.js';
import { AuditEntry, Complaint, ComplaintSeverity, Customer, FixCase } from '../src/entities/index.js';
import {
  ComplaintTopicsDocument,
  CustomersDocument,
  CustomerContactStatusDocument,
  CustomerScoresDocument,
  CustomerTimelineDocument,
  ConfirmFixHoldsDocument,
  EraseCustomerDocument,
  ExportCustomerDataDocument,
  FixCaseReportDocument,
  FixIssueDocument,
  RecordComplaintDocument,
  ReopenComplaintDocument,
  ResolveComplaintDocument,
  ResolveIssueDocument,
  StartFixIssueDocument,
  WithdrawComplaintDocument,
} from './__generated__/graphql.js';
import { ImportService } from '../src/services/import/import.service.js';
import { eventually } from './support/eventually.js';
import { startTestStack, type TestStack } from './support/stack.js';
import { zoneAtTwoInTheMorning } from './support/time-zones.js';
import { COMPLAINT_WITHDRAWN_HOLD, RUN_ONLY_FOR_WITHDRAWN_HOLD } from '../src/services/playbooks/fix-case-complaints.js';

/**
 * A complaint filed by mistake (on the wrong customer, twice) is withdrawn: it counts nowhere a complaint counts, the
 * customer is rescored, and a fix it was behind that is no longer needed is put to its owner, not left running unseen.
 * Delivery is off: the test reads the tasks written.
 */
const policy: FixIssuePolicy = { ...fixIssuePolicy, version: 2, fixDeadlineMs: seconds(300), checkBackAfterMs: seconds(60) };

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ policies: { fixIssue: policy }, workerSettings: { MESSAGE_CHANNEL: 'off' } });
}, 90_000);
afterAll(() => stack?.stop());

const DAY = 86_400_000;
const today = () => new Date().toISOString().slice(0, 10);

async function newCustomer(name: string): Promise<string> {
  const em = stack.orm.em.fork();
  const c = em.create(Customer, { name, email: `${name.toLowerCase()}@example.com`, marketingConsent: true, acquiredAt: new Date(Date.now() - 700 * DAY).toISOString().slice(0, 10) });
  await em.flush();
  return c.id;
}

/** Records a low complaint through the API (no fix starts for a customer without scores at low severity); its ID. */
async function record(customerId: string, topic: string, complaintRef: string): Promise<string> {
  const r = await stack.gql(RecordComplaintDocument, { input: { customerId, topic, severity: 'Low', summary: `about ${topic}`, complaintRef } }, Role.Operator);
  expect(r.errors).toBeUndefined();
  return r.data!.recordComplaint.id;
}

const persistentIssue = async (customerId: string) =>
  (await stack.gql(CustomerScoresDocument, { id: customerId, historyKind: 'PersistentIssue' }, Role.Viewer)).data!.customer!.scores.find((s) => s.kind === 'PersistentIssue') ?? null;

const withdraw = (id: string, reason: string, role: Role = Role.Operator) => stack.gql(WithdrawComplaintDocument, { id, reason }, role);

it('withdraws a complaint filed by mistake: the persistent issue is rescored away, it is no open complaint nor in the topics report, and it is audited and shown', async () => {
  const customerId = await newCustomer('Mateo');
  await record(customerId, 'billing-error', 'WD-M-1');
  await record(customerId, 'billing-error', 'WD-M-2');
  const misFiled = await record(customerId, 'billing-error', 'WD-M-3');
  expect(await persistentIssue(customerId)).toMatchObject({ band: 'persistent' });
  // Resolving it is no way out: a resolved complaint still counts toward the persistent issue.
  expect((await stack.gql(ResolveComplaintDocument, { id: misFiled }, Role.Operator)).errors).toBeUndefined();
  expect(await persistentIssue(customerId)).toMatchObject({ band: 'persistent' });

  const r = await withdraw(misFiled, '  filed on the wrong customer  ');
  expect(r.errors).toBeUndefined();
  expect(r.data!.withdrawComplaint).toMatchObject({ id: misFiled, topic: 'billing-error', withdrawnAt: expect.any(String), withdrawnBy: expect.stringMatching(/^operator:/), withdrawnReason: 'filed on the wrong customer' });
  // Rescored at once: two complaints about it are no persistent issue.
  const score = await persistentIssue(customerId);
  expect(score).toMatchObject({ band: 'none', value: 0 });
  // Not counted for a fix either: the persistent issue a fix needs is gone.
  const start = await stack.gql(StartFixIssueDocument, { customerId, topic: 'billing-error' }, Role.Operator);
  expect(start.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'PLAYBOOK_NOT_ELIGIBLE' });
  expect(start.errors![0].message).toMatch(/2 complaints and 0 reopens/);
  // The topics report counts the two that stand.
  const topics = (await stack.gql(ComplaintTopicsDocument, { since: today() }, Role.Viewer)).data!.complaintTopics!.find((t) => t.topic === 'billing-error');
  expect(topics).toMatchObject({ complaints: 2, customers: 1 });

  // A withdrawn complaint open is no open complaint: marketing is not held back for it.
  const other = await newCustomer('Ines');
  const duplicate = await record(other, 'app-login', 'WD-I-1');
  const held = async () => (await stack.gql(CustomerContactStatusDocument, { id: other }, Role.Viewer)).data!.customer!.contactStatus!.marketing.reason;
  expect(await held()).toBe('open-complaint');
  expect((await withdraw(duplicate, 'a duplicate of WD-I-0')).data!.withdrawComplaint.customer.contactStatus!.marketing).toMatchObject({ allowed: true, reason: null });
  const open = await stack.gql(CustomersDocument, { first: 50, filter: { hasOpenComplaint: true } }, Role.Viewer);
  expect(open.data!.customers.edges.map((e) => e.node.id)).not.toContain(other);

  // Audited with before and after; the timeline shows it with the topic it had.
  const [entry] = await stack.orm.em.fork().find(AuditEntry, { action: 'complaint.withdraw', entityId: misFiled });
  expect(entry).toMatchObject({
    actor: expect.stringMatching(/^operator:/),
    entityType: 'complaint',
    before: { withdrawnAt: null, customerId, topic: 'billing-error', resolvedAt: expect.any(String) },
    after: { withdrawnAt: expect.any(String), reason: 'filed on the wrong customer', topic: 'billing-error' },
  });
  const timeline = (await stack.gql(CustomerTimelineDocument, { id: customerId, first: 20, kinds: ['ComplaintOpened', 'ComplaintWithdrawn'] }, Role.Viewer)).data!.customer!.timeline.edges.map((e) => e.node);
  expect(timeline.filter((e) => e.kind === 'ComplaintWithdrawn')).toEqual([
    expect.objectContaining({ ref: misFiled, summary: 'Complaint about billing error withdrawn as filed by mistake: filed on the wrong customer' }),
  ]);
  expect(timeline.filter((e) => e.kind === 'ComplaintOpened' && e.ref === misFiled)).toHaveLength(1);

  // The data export keeps it, marked withdrawn, without words that may be another customer's (its summary, the reason).
  const document = (await stack.gql(ExportCustomerDataDocument, { id: customerId, reason: 'Request' }, Role.Operator)).data!.exportCustomerData as { complaints: { reference: string; summary: string | null; withdrawnAt: string | null }[] };
  expect(document.complaints.map((k) => [k.reference, k.summary, k.withdrawnAt === null])).toEqual([
    ['WD-M-1', 'about billing-error', true],
    ['WD-M-2', 'about billing-error', true],
    ['WD-M-3', null, false],
  ]);
  expect(JSON.stringify(document)).not.toContain('filed on the wrong customer');
}, 60_000);

it("takes the customer's name and address out of a withdrawal's reason when they are erased, on the complaint and in its audit entry (QA 140 F6)", async () => {
  const customerId = await newCustomer('Hankmiller');
  const id = await record(customerId, 'billing', 'CRM-W-ERASE');
  expect((await withdraw(id, 'Duplicate of CRM-W-1: Hankmiller (hankmiller@example.com) called twice')).errors).toBeUndefined();
  expect((await stack.gql(EraseCustomerDocument, { id: customerId, reason: 'Art. 17 request' }, Role.Admin)).errors).toBeUndefined();
  const complaint = await stack.orm.em.fork().findOneOrFail(Complaint, id);
  const [entry] = await stack.orm.em.fork().find(AuditEntry, { entityId: id, action: 'complaint.withdraw' });
  for (const reason of [complaint.withdrawnReason, (entry.after as { reason: string }).reason]) {
    expect(reason).toMatch(/^Duplicate of CRM-W-1: /);
    expect(reason).not.toMatch(/hankmiller/i);
  }
});

it('refuses a second withdrawal, one without a reason or with too long a reason, an unknown complaint, and callers who may not record complaints', async () => {
  const customerId = await newCustomer('Refusals');
  const id = await record(customerId, 'app-login', 'WD-R-1');
  expect((await withdraw(id, '   ')).errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'COMPLAINT_INVALID_INPUT', field: 'reason' });
  expect((await withdraw(id, 'x'.repeat(1001))).errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'COMPLAINT_INVALID_INPUT', field: 'reason' });
  expect((await withdraw('5d2e8f1a-3c4b-4e6d-9a7b-1c2d3e4f5a6b', 'duplicate')).errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'COMPLAINT_NOT_FOUND' });
  for (const role of [Role.Viewer, Role.Marketer]) {
    expect((await withdraw(id, 'duplicate', role)).errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'AUTH_ROLE_NOT_ALLOWED', required: ['Operator', 'Admin'] });
  }
  // None of those withdrew it.
  expect(await stack.orm.em.fork().findOneOrFail(Complaint, id)).toMatchObject({ withdrawnAt: null, withdrawnBy: null, withdrawnReason: null });

  expect((await withdraw(id, 'duplicate', Role.Admin)).errors).toBeUndefined();
  const again = await withdraw(id, 'duplicate');
  expect(again.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'COMPLAINT_ALREADY_WITHDRAWN', id });
  // Withdrawn, it is nobody's to resolve or reopen.
  expect((await stack.gql(ResolveComplaintDocument, { id }, Role.Operator)).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'COMPLAINT_ALREADY_WITHDRAWN' });
  expect((await stack.gql(ReopenComplaintDocument, { id }, Role.Operator)).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'COMPLAINT_ALREADY_WITHDRAWN' });
  expect(await stack.orm.em.fork().count(AuditEntry, { action: 'complaint.withdraw', entityId: id })).toBe(1);
}, 60_000);

/** A customer with `count` medium complaints about `topic`, still open, whose fix is started by hand and waits for the fix; the complaints' IDs. */
async function awaitingFix(name: string, topic: string, count: number): Promise<{ customerId: string; workflowId: string; complaints: string[] }> {
  const em = stack.orm.em.fork();
  const c = em.create(Customer, { name, email: `${name.toLowerCase()}@example.com`, acquiredAt: new Date(Date.now() - 700 * DAY).toISOString().slice(0, 10) });
  const complaints = Array.from({ length: count }, (_, i) =>
    em.create(Complaint, { customer: c, externalRef: `${name}-${i + 1}`, topic, severity: ComplaintSeverity.Medium, summary: `wrong again (${i + 1})`, openedAt: new Date(Date.now() - (10 + i * 7) * DAY) }),
  );
  await em.flush();
  expect((await stack.gql(StartFixIssueDocument, { customerId: c.id, topic }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => stack.gql(FixIssueDocument, { customerId: c.id, topic }, Role.Viewer).then((r) => r.data?.fixIssue ?? null), (s) => s?.step === 'awaiting-fix');
  return { customerId: c.id, workflowId: fixIssueWorkflowId(c.id, topic), complaints: complaints.map((k) => k.id) };
}

const tasksOf = async (workflowId: string) =>
  (
    await sql<{ idempotency_key: string; template: string; channel: string; payload: Record<string, unknown> }>`
      select idempotency_key, template, channel, payload from outbox_message where idempotency_key like ${`${workflowId}/%`} and template = 'fix-case-complaint-withdrawn'`.execute(
      stack.orm.em.fork().getKysely(),
    )
  ).rows.map((m) => ({ step: m.idempotency_key.slice(workflowId.length + 1), channel: m.channel, payload: m.payload }));

it("tells the case's owner that a fix may no longer be needed when a complaint behind it is withdrawn and the topic is no longer persistent; the run goes on until they decide", async () => {
  const { customerId, workflowId, complaints } = await awaitingFix('Noor', 'billing-error', 3);
  const r = await withdraw(complaints[2], 'filed on the wrong customer');
  expect(r.errors).toBeUndefined();
  expect(await tasksOf(workflowId)).toEqual([
    {
      step: `complaint-${complaints[2]}-withdrawn`,
      channel: 'call',
      payload: {
        topic: 'billing-error',
        owner: 'billing',
        customerId,
        workflowId,
        reason: 'filed on the wrong customer',
        complaints: [{ ref: 'Noor-3', severity: 'medium', summary: 'wrong again (3)', openedOn: expect.any(String), open: true }],
        acknowledgementHeld: true,
      },
    },
  ]);
  // The run exists only because of it: its word to her that a team works on it, still queued (delivery is off), is held back.
  const acknowledged = (await messagesOf(customerId)).find((m) => m.idempotency_key === `${workflowId}/acknowledged`);
  expect(acknowledged).toMatchObject({ template: 'issue-acknowledged', sent_at: null, suppressed_reason: RUN_ONLY_FOR_WITHDRAWN_HOLD });
  const [held] = await stack.orm.em.fork().find(AuditEntry, { action: 'message.held-back', after: { complaintId: complaints[2] } });
  expect(held).toMatchObject({ actor: expect.stringMatching(/^operator:/), entityType: 'outbox_message', after: { reason: RUN_ONLY_FOR_WITHDRAWN_HOLD, template: 'issue-acknowledged', customerId } });
  const text = renderMessage('fix-case-complaint-withdrawn', 'Noor', (await tasksOf(workflowId))[0].payload, 'en', 'EUR').text;
  expect(text).toContain('withdrawn as filed by mistake: filed on the wrong customer');
  expect(text).toContain(`cancelPlaybookRun(workflowId: "${workflowId}"`);
  expect(text).toContain('Noor was not told of the case');
  const fixCase = await stack.orm.em.fork().findOneOrFail(FixCase, { workflowId });
  const audit = await stack.orm.em.fork().find(AuditEntry, { action: 'fix-case.complaint-withdrawn', entityId: fixCase.id });
  expect(audit.map((a) => ({ actor: a.actor.split(':')[0], entityId: a.entityId, after: a.after }))).toEqual([
    { actor: 'operator', entityId: fixCase.id, after: { workflowId, complaintId: complaints[2], owner: 'billing', reason: 'filed on the wrong customer', acknowledgementHeld: true } },
  ]);
  // Not cancelled behind the owner's back: the run still waits for the fix, its case open.
  expect(fixCase.status).toBe('open');
  expect((await stack.temporal.client.workflow.getHandle(workflowId).describe()).status.name).toBe('RUNNING');
  expect(await persistentIssue(customerId)).toMatchObject({ band: 'none' });

  // Seven complaints, the oldest withdrawn: still persistent, the case is still needed, and its owner never read that one
  // (the case's first task shows the five latest): nobody is bothered.
  const still = await awaitingFix('Omar', 'billing-error', 7);
  expect((await withdraw(still.complaints[6], 'a duplicate of Omar-6')).errors).toBeUndefined();
  expect(await tasksOf(still.workflowId)).toEqual([]);
  expect(await persistentIssue(still.customerId)).toMatchObject({ band: 'persistent' });
}, 120_000);

it("tells the owner who read a withdrawn complaint only in the case's first task that it was not the customer's, though the case still stands", async () => {
  const { customerId, workflowId, complaints } = await awaitingFix('Aylin', 'billing-error', 4);
  expect((await withdraw(complaints[3], 'a duplicate of Aylin-3')).errors).toBeUndefined();
  // Shown among the four the case opened on, as the case's own listing (not a complaint added later) had it.
  expect(await tasksOf(workflowId)).toEqual([
    {
      step: `complaint-${complaints[3]}-withdrawn`,
      channel: 'call',
      payload: expect.objectContaining({ owner: 'billing', reason: 'a duplicate of Aylin-3', stillNeeded: true, complaints: [expect.objectContaining({ ref: 'Aylin-4' })] }),
    },
  ]);
  const text = renderMessage('fix-case-complaint-withdrawn', 'Aylin', (await tasksOf(workflowId))[0].payload, 'en', 'EUR').text;
  expect(text).toContain('do not take it up with Aylin');
  // Still standing on her three others: her word that a team works on it stays as it was.
  expect((await messagesOf(customerId)).find((m) => m.idempotency_key === `${workflowId}/acknowledged`)).toMatchObject({ suppressed_reason: null });
  expect(await persistentIssue(customerId)).toMatchObject({ band: 'persistent' });
  await stack.temporal.client.workflow.getHandle(workflowId).cancel();
}, 120_000);

/** Every message of the customer's fix runs, oldest first. */
const messagesOf = async (customerId: string) =>
  (
    await sql<{ idempotency_key: string; template: string; payload: Record<string, unknown>; sent_at: Date | null; suppressed_reason: string | null }>`
      select idempotency_key, template, payload, sent_at, suppressed_reason from outbox_message where customer_id = ${customerId}::uuid order by created_at, id`.execute(stack.orm.em.fork().getKysely())
  ).rows;

const recordVia = async (customerId: string, topic: string, severity: 'Low' | 'Medium' | 'High', summary: string, complaintRef: string): Promise<string> => {
  const r = await stack.gql(RecordComplaintDocument, { input: { customerId, topic, severity, summary, complaintRef } }, Role.Operator);
  expect(r.errors).toBeUndefined();
  return r.data!.recordComplaint.id;
};

it("holds back the customer's queued 'added to your case' word of a withdrawn complaint and tells the owner told of it, though the case still stands; the export leaves its words and the reason out of the tasks", async () => {
  const { customerId, workflowId } = await awaitingFix('Grace', 'billing-error', 3);
  // Her quiet hours: the word to her waits for the morning.
  await stack.orm.em.fork().nativeUpdate(Customer, { id: customerId }, { timeZone: zoneAtTwoInTheMorning(new Date()) });
  const misFiled = await recordVia(customerId, 'billing-error', 'Medium', 'charged twice for order 9931 (Mr. X, other account)', 'Grace-4');
  const added = await eventually(
    () => messagesOf(customerId),
    (ms) => ms.some((m) => m.idempotency_key === `${workflowId}/complaint-${misFiled}-acknowledged`),
  );
  expect(added.find((m) => m.idempotency_key === `${workflowId}/complaint-${misFiled}-acknowledged`)).toMatchObject({ template: 'issue-complaint-added', sent_at: null, suppressed_reason: null });

  expect((await withdraw(misFiled, 'a duplicate of CRM-77')).errors).toBeUndefined();
  const after = await messagesOf(customerId);
  // Not thanked for a complaint that was never hers.
  const word = after.find((m) => m.idempotency_key === `${workflowId}/complaint-${misFiled}-acknowledged`)!;
  expect(word).toMatchObject({ sent_at: null, suppressed_reason: COMPLAINT_WITHDRAWN_HOLD });
  const [held] = await stack.orm.em.fork().find(AuditEntry, { action: 'message.held-back', after: { complaintId: misFiled } });
  expect(held).toMatchObject({ actor: expect.stringMatching(/^operator:/), entityType: 'outbox_message', after: { reason: COMPLAINT_WITHDRAWN_HOLD, template: 'issue-complaint-added' } });
  // The owner read it on its own: told it was withdrawn, though the case stands on her three others.
  expect(await tasksOf(workflowId)).toEqual([
    {
      step: `complaint-${misFiled}-withdrawn`,
      channel: 'call',
      payload: expect.objectContaining({ owner: 'billing', reason: 'a duplicate of CRM-77', stillNeeded: true, complaints: [expect.objectContaining({ ref: 'Grace-4' })] }),
    },
  ]);
  const text = renderMessage('fix-case-complaint-withdrawn', 'Grace', (await tasksOf(workflowId))[0].payload, 'en', 'EUR').text;
  expect(text).toContain('still stands on');
  expect(text).toContain('do not take it up with Grace');
  expect(text).not.toContain('cancelPlaybookRun');
  expect(await persistentIssue(customerId)).toMatchObject({ band: 'persistent' });

  // Her data export: the tasks quoting the withdrawn complaint keep its reference, not its words, nor the staff's reason.
  const document = (await stack.gql(ExportCustomerDataDocument, { id: customerId, reason: 'Request' }, Role.Operator)).data!.exportCustomerData as { messages: { text: string | null; heldBack: string | null }[] };
  const texts = JSON.stringify(document.messages);
  expect(texts).toContain('Grace-4');
  expect(texts).toContain('wrong again (1)');
  expect(texts).not.toContain('charged twice');
  expect(texts).not.toContain('CRM-77');
  await stack.temporal.client.workflow.getHandle(workflowId).cancel();
}, 120_000);

/** The topic's team in the fix case report since today. */
const reportOf = async (team: string) => (await stack.gql(FixCaseReportDocument, { since: today() }, Role.Viewer)).data!.fixCaseReport!.find((r) => r.team === team);

it("tells the owner that the topic's next run exists only because of a withdrawn complaint after a confirmed fix, and the report counts the fix as held", async () => {
  const { customerId, workflowId } = await awaitingFix('Jonas', 'delivery-delay', 3);
  expect((await stack.gql(ResolveIssueDocument, { customerId, topic: 'delivery-delay' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => stack.gql(FixIssueDocument, { customerId, topic: 'delivery-delay' }, Role.Viewer).then((r) => r.data?.fixIssue ?? null), (s) => s?.step === 'awaiting-check-back');
  expect((await stack.gql(ConfirmFixHoldsDocument, { customerId, topic: 'delivery-delay' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => stack.temporal.client.workflow.getHandle(workflowId).describe().then((d) => d.status.name), (s) => s === 'COMPLETED');
  // Filed on him by mistake, called serious: it starts the topic's next run, one level up.
  const misFiled = await recordVia(customerId, 'delivery-delay', 'High', 'Vierte Verspätung, ich kündige', 'Jonas-4');
  const next = `${workflowId}/2`;
  await eventually(() => stack.gql(FixIssueDocument, { customerId, topic: 'delivery-delay' }, Role.Viewer).then((r) => r.data?.fixIssue ?? null), (s) => s?.workflowId === next && s.step === 'awaiting-fix');

  expect((await withdraw(misFiled, 'filed on the wrong customer')).errors).toBeUndefined();
  // The 90-day count still calls the topic persistent (the three the fix resolved): the run stands on nothing since the fix.
  expect(await tasksOf(next)).toEqual([
    { step: `complaint-${misFiled}-withdrawn`, channel: 'call', payload: expect.objectContaining({ owner: 'team-lead', onlyCause: 'run', workflowId: next }) },
  ]);
  // Nor is he told a team works on it: the run's word, still queued (delivery is off), is held back.
  expect((await messagesOf(customerId)).find((m) => m.idempotency_key === `${next}/acknowledged`)).toMatchObject({ sent_at: null, suppressed_reason: RUN_ONLY_FOR_WITHDRAWN_HOLD });
  expect((await tasksOf(next))[0].payload).toMatchObject({ acknowledgementHeld: true });
  const text = renderMessage('fix-case-complaint-withdrawn', 'Jonas', (await tasksOf(next))[0].payload, 'en', 'EUR').text;
  expect(text).toContain('This fix run started only because of it');
  expect(text).toContain('Jonas was not told of the case');
  expect(text).toContain(`cancelPlaybookRun(workflowId: "${next}"`);
  // Not cancelled behind the owner's back.
  expect((await stack.temporal.client.workflow.getHandle(next).describe()).status.name).toBe('RUNNING');
  // The fix held as far as anyone knows: the withdrawn complaint is no sign it did not.
  expect(await reportOf('logistics')).toMatchObject({ resolved: 1, fixesNotHeld: 0, escalated: 0, confirmedByCustomer: 1 });
  await stack.temporal.client.workflow.getHandle(next).cancel();
}, 120_000);

it('tells the owner that a case was reopened only because of a withdrawn complaint, and the report counts the fix as held', async () => {
  const { customerId, workflowId } = await awaitingFix('Mila', 'app-login', 3);
  expect((await stack.gql(ResolveIssueDocument, { customerId, topic: 'app-login' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => stack.gql(FixIssueDocument, { customerId, topic: 'app-login' }, Role.Viewer).then((r) => r.data?.fixIssue ?? null), (s) => s?.step === 'awaiting-check-back');
  const misFiled = await recordVia(customerId, 'app-login', 'Medium', "wrong customer's login", 'Mila-4');
  await eventually(() => stack.gql(FixIssueDocument, { customerId, topic: 'app-login' }, Role.Viewer).then((r) => r.data?.fixIssue ?? null), (s) => s?.recurrences === 1 && s.step === 'awaiting-fix');

  expect((await withdraw(misFiled, 'filed on the wrong customer')).errors).toBeUndefined();
  expect(await tasksOf(workflowId)).toEqual([
    { step: `complaint-${misFiled}-withdrawn`, channel: 'call', payload: expect.objectContaining({ onlyCause: 'reopening', workflowId }) },
  ]);
  const text = renderMessage('fix-case-complaint-withdrawn', 'Mila', (await tasksOf(workflowId))[0].payload, 'en', 'EUR').text;
  expect(text).toContain('The case was reopened only because of it');
  expect(text).toContain('report it again with resolveIssue(');
  // Her word that the team is back on it stays queued: she had the case and its fix, and the owner tells her what happens now.
  expect((await messagesOf(customerId)).find((m) => m.idempotency_key === `${workflowId}/recurrence-1-acknowledged`)).toMatchObject({ template: 'issue-reopened', suppressed_reason: null });
  expect(await reportOf('it-support')).toMatchObject({ resolved: 1, fixesNotHeld: 0, escalated: 0 });
  await stack.temporal.client.workflow.getHandle(workflowId).cancel();
}, 120_000);

it('releases the CRM reference of a complaint withdrawn as filed on the wrong customer: the right customer takes it by recordComplaint and by the corrected import; the wrong one sent again stays withdrawn', async () => {
  const imports = new ImportService(stack.config.databaseUrl, {}, null, 'EUR');
  const run = (csv: string) => imports.importCsv('complaints', Readable.from([csv]), { mode: 'all-or-nothing', actor: 'cli:test', source: 'test' });
  const em = () => stack.orm.em.fork();
  const wrong = await newCustomer('Jonas');
  const right = await newCustomer('Lena');
  const other = await newCustomer('Pia');
  await em().nativeUpdate(Customer, { id: wrong }, { externalRef: 'WD-REF-WRONG' });
  await em().nativeUpdate(Customer, { id: right }, { externalRef: 'WD-REF-RIGHT' });
  await em().nativeUpdate(Customer, { id: other }, { externalRef: 'WD-REF-OTHER' });
  const header = 'complaint_ref,customer_ref,topic,severity,opened_at,summary\n';

  // By the API: recorded on the wrong customer, withdrawn, recorded on the right one under the same reference.
  const misFiled = await record(wrong, 'delivery-delay', 'WD-X-1');
  expect((await withdraw(misFiled, 'filed on the wrong customer')).errors).toBeUndefined();
  // The wrong customer's complaint sent again is the withdrawn one, still withdrawn; other facts under it are refused, naming the withdrawal.
  const again = await stack.gql(RecordComplaintDocument, { input: { customerId: wrong, topic: 'delivery-delay', severity: 'Low', summary: 'about delivery-delay', complaintRef: 'WD-X-1' } }, Role.Operator);
  expect(again.errors).toBeUndefined();
  expect(again.data!.recordComplaint).toMatchObject({ id: misFiled });
  expect(await em().count(Complaint, { externalRef: 'WD-X-1' })).toBe(1);
  const changed = await stack.gql(RecordComplaintDocument, { input: { customerId: wrong, topic: 'delivery-delay', severity: 'High', complaintRef: 'WD-X-1' } }, Role.Operator);
  expect(changed.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'COMPLAINT_REF_TAKEN', id: misFiled });
  expect(changed.errors![0].message).toMatch(/withdrawn at .*it stays withdrawn/);

  const onRight = await stack.gql(RecordComplaintDocument, { input: { customerId: right, topic: 'delivery-delay', severity: 'Critical', summary: 'Vierte Verspätung', complaintRef: 'WD-X-1' } }, Role.Operator);
  expect(onRight.errors).toBeUndefined();
  expect(onRight.data!.recordComplaint).toMatchObject({ externalRef: 'WD-X-1', customerId: right });
  expect(onRight.data!.recordComplaint.id).not.toBe(misFiled);
  // Now the right customer's: a third customer is refused, and the withdrawn one keeps its reference on its row.
  const third = await stack.gql(RecordComplaintDocument, { input: { customerId: other, topic: 'delivery-delay', severity: 'Low', complaintRef: 'WD-X-1' } }, Role.Operator);
  expect(third.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'COMPLAINT_REF_TAKEN', id: onRight.data!.recordComplaint.id });
  expect(await em().findOneOrFail(Complaint, misFiled)).toMatchObject({ externalRef: 'WD-X-1', withdrawnAt: expect.any(Date) });
  expect(await em().count(Complaint, { externalRef: 'WD-X-1', withdrawnAt: null })).toBe(1);
  // The wrong customer's call sent again once the right one holds the reference: the right customer's now.
  expect((await stack.gql(RecordComplaintDocument, { input: { customerId: wrong, topic: 'delivery-delay', severity: 'Low', summary: 'about delivery-delay', complaintRef: 'WD-X-1' } }, Role.Operator)).errors![0].extensions).toMatchObject({
    reason: 'COMPLAINT_REF_TAKEN',
    id: onRight.data!.recordComplaint.id,
  });

  // By the import (as the command line runs it): recorded on the wrong customer, withdrawn, the CRM's corrected export.
  expect(await run(`${header}WD-C-1,WD-REF-WRONG,delivery-delay,critical,2026-12-01T10:00:00Z,ich kündige\n`)).toMatchObject({ inserted: 1, errors: [] });
  const imported = await em().findOneOrFail(Complaint, { externalRef: 'WD-C-1' });
  expect((await withdraw(imported.id, 'filed on the wrong customer (belongs to WD-REF-RIGHT)')).errors).toBeUndefined();
  const corrected = await run(`${header}WD-C-1,WD-REF-RIGHT,delivery-delay,critical,2026-12-01T10:00:00Z,ich kündige\n`);
  expect(corrected).toMatchObject({ written: true, inserted: 1, updated: 0, rejected: 0, errors: [], kept: [] });
  const stored = await em().find(Complaint, { externalRef: 'WD-C-1' }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  expect(stored.map((k) => [k.customer.id, k.withdrawnAt === null])).toEqual([
    [wrong, false],
    [right, true],
  ]);
  // The nightly re-import of the corrected export changes nothing.
  expect(await run(`${header}WD-C-1,WD-REF-RIGHT,delivery-delay,critical,2026-12-01T10:00:00Z,ich kündige\n`)).toMatchObject({ inserted: 0, updated: 0, unchanged: 1, kept: [] });
  // An old export that still carries the line on the wrong customer: the reference is the right customer's now.
  expect((await run(`${header}WD-C-1,WD-REF-WRONG,delivery-delay,critical,2026-12-01T10:00:00Z,ich kündige\n`)).errors).toEqual([
    expect.objectContaining({ field: 'customer_ref', code: 'OTHER_CUSTOMER' }),
  ]);

  // A complaint withdrawn as a duplicate and imported again on its customer: it stays withdrawn, none is added, the report says so.
  expect(await run(`${header}WD-C-2,WD-REF-OTHER,app-login,low,2026-12-02T10:00:00Z,twice\n`)).toMatchObject({ inserted: 1 });
  const duplicate = await em().findOneOrFail(Complaint, { externalRef: 'WD-C-2' });
  expect((await withdraw(duplicate.id, 'a duplicate of WD-C-0')).errors).toBeUndefined();
  const reimported = await run(`${header}WD-C-2,WD-REF-OTHER,app-login,low,2026-12-02T10:00:00Z,twice\nWD-C-3,WD-REF-OTHER,app-login,low,2026-12-03T10:00:00Z,new\n`);
  expect(reimported).toMatchObject({ written: true, inserted: 1, updated: 0, unchanged: 1, errors: [], kept: [{ field: 'complaint_ref', rows: 1, why: expect.stringContaining('stays withdrawn') }] });
  expect((await em().find(Complaint, { externalRef: 'WD-C-2' })).map((k) => [k.id, k.withdrawnAt !== null])).toEqual([[duplicate.id, true]]);
}, 90_000);
