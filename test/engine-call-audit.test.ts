import { fork } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { defaultPolicies } from '../src/domain/policies/index.js';
import { Role } from '../src/domain/auth/roles.js';
import { welcomeCheckWorkflowId } from '../src/domain/playbooks/welcome-check.js';
import { AuditEntry, Customer, PlaybookRun } from '../src/entities/index.js';
import { createServices } from '../src/services/index.js';
import { connectTemporal } from '../src/temporal/client.js';
import { TemporalCampaignEngine } from '../src/temporal/temporal-campaign-engine.js';
import { TemporalPlaybookEngine } from '../src/temporal/temporal-playbook-engine.js';
import { TemporalScoringEngine } from '../src/temporal/temporal-scoring-engine.js';
import { CancelPlaybookRunDocument, StartRescoreDocument, StartWelcomeCheckDocument, WelcomeCheckDocument } from './__generated__/graphql.js';
import { eventually } from './support/eventually.js';
import { stallingProxy } from './support/stalling-proxy.js';
import { temporalOperator } from './support/temporal-operator.js';
import { sql } from 'kysely';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * A person's call to a run (a start, an update, a cancel) is audited before it reaches Temporal,
 * pending until Temporal answers: an API process that dies once Temporal took the call (a deploy,
 * an out-of-memory kill), or a database that fails as the start is recorded, leaves the entry
 * pending, and the reconciliation settles it as Temporal tells. Before, the entry was committed
 * only after Temporal's answer, and such a call changed the run with no trace of who did it.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
}, 90_000);
afterAll(() => stack?.stop());

function engines() {
  const { client } = stack.temporal;
  const { taskQueue } = stack.config.temporal;
  return { playbooks: new TemporalPlaybookEngine(client, taskQueue), scoring: new TemporalScoringEngine(client, taskQueue), campaigns: new TemporalCampaignEngine(client, taskQueue) };
}

const services = () => createServices(stack.orm.em.fork(), engines(), defaultPolicies);

/** An API process of its own makes the call and is killed once Temporal took it, before it hears the answer; PostgreSQL rolls back what it had not committed. */
async function apiDyingAfter(call: 'confirmWelcome' | 'cancelRun', subject: string, actor: string): Promise<void> {
  const { config } = stack;
  const api = fork(path.resolve('dist/test/support/dying-api.js'), [config.databaseUrl, config.temporal.address, config.temporal.namespace, config.temporal.taskQueue, call, subject, actor]);
  const exited = once(api, 'exit');
  expect(await Promise.race([once(api, 'message'), exited.then(([code]) => Promise.reject(new Error(`the API process exited (${code})`)))])).toEqual([{ taken: call }]);
  api.kill('SIGKILL');
  await exited;
}

async function newCustomer(name: string): Promise<string> {
  const em = stack.orm.em.fork();
  const customer = em.create(Customer, { name, email: `${name.toLowerCase()}@example.com`, acquiredAt: new Date().toISOString().slice(0, 10), timeZone: 'UTC' });
  await em.flush();
  return customer.id;
}

async function welcomeCheckAwaiting(name: string): Promise<{ customerId: string; workflowId: string }> {
  const customerId = await newCustomer(name);
  expect((await stack.gql(StartWelcomeCheckDocument, { customerId }, Role.Marketer)).errors).toBeUndefined();
  await eventually(() => stack.gql(WelcomeCheckDocument, { customerId }, Role.Viewer), (r) => r.data?.welcomeCheck?.step === 'awaiting-confirmation', 30_000);
  return { customerId, workflowId: welcomeCheckWorkflowId(customerId) };
}

const entries = async (entityId: string, action: string) =>
  (await stack.orm.em.fork().find(AuditEntry, { entityId, action }, { orderBy: { at: 'asc' } })).map((a) => ({ actor: a.actor, after: a.after }));

it('keeps the entry of a confirmation Temporal took when the API died before its answer, and settles it as taken', async () => {
  const { customerId, workflowId } = await welcomeCheckAwaiting('Quentin');
  await apiDyingAfter('confirmWelcome', customerId, 'operator:quentins-call');
  expect(await stack.temporal.client.workflow.getHandle(workflowId).result()).toBe('confirmed');

  const pending = await entries(workflowId, 'playbook.confirm-welcome');
  expect(pending).toEqual([{ actor: 'operator:quentins-call', after: { customerId, outcome: 'pending', updateId: expect.stringMatching(/^playbook\.confirm-welcome\//) } }]);
  expect(await services().runReconciliation.settleUnsettledCalls(0)).toEqual([workflowId]);
  expect(await entries(workflowId, 'playbook.confirm-welcome')).toEqual([{ actor: 'operator:quentins-call', after: { ...pending[0].after, outcome: 'taken' } }]);
});

it('keeps the entry of a cancel Temporal took when the API died before recording it; the run still ends cancelled, and the entry is settled as taken', async () => {
  const { workflowId } = await welcomeCheckAwaiting('Rosa');
  await apiDyingAfter('cancelRun', workflowId, 'operator:rosas-call');
  // The run winds down and records its end (the dead process's hold on its record went with its connection).
  await expect(stack.temporal.client.workflow.getHandle(workflowId).result()).rejects.toMatchObject({ cause: { name: 'CancelledFailure' } });
  expect(await entries(workflowId, 'playbook.cancel')).toEqual([{ actor: 'operator:rosas-call', after: { reason: 'asked by phone', outcome: 'pending' } }]);
  expect((await stack.orm.em.fork().findOneOrFail(PlaybookRun, { workflowId })).status).toBe('cancelled');

  expect(await services().runReconciliation.settleUnsettledCalls(0)).toEqual([workflowId]);
  expect(await entries(workflowId, 'playbook.cancel')).toEqual([{ actor: 'operator:rosas-call', after: { reason: 'asked by phone', outcome: 'taken' } }]);
  // Audited as the person's cancel, not as one made in the Temporal UI.
  expect(await services().runReconciliation.recordRunsEndedInEngine()).not.toContain(workflowId);
  expect(await entries(workflowId, 'playbook.cancel-in-engine')).toEqual([]);
});

it('a cancel under way refuses a second; one the API wrote but never sent (it died first) is settled as not taken by the next cancel, which goes through', async () => {
  const { workflowId } = await welcomeCheckAwaiting('Sami');
  const em = stack.orm.em.fork();
  const lost = em.create(AuditEntry, { actor: 'operator:dead-process', action: 'playbook.cancel', entityType: 'playbook_run', entityId: workflowId, after: { reason: 'never sent', outcome: 'pending' } });
  await em.flush();
  // Pending a moment ago: a cancel under way, which a second is told of.
  const meanwhile = await stack.gql(CancelPlaybookRunDocument, { workflowId, reason: 'second try' }, Role.Operator);
  expect(meanwhile.errors?.[0]?.extensions).toMatchObject({ reason: 'PLAYBOOK_RUN_ALREADY_FINISHED' });

  // Pending for longer than a call takes: its process died. The next cancel asks Temporal about it (never sent), and goes through.
  await stack.orm.em.fork().execute(`update audit_entry set at = at - interval '1 minute' where id = ?`, [lost.id]);
  const cancelled = await stack.gql(CancelPlaybookRunDocument, { workflowId, reason: 'third try' }, Role.Operator);
  expect(cancelled.errors).toBeUndefined();
  expect((await entries(workflowId, 'playbook.cancel')).map((e) => [e.actor, e.after])).toEqual([
    ['operator:dead-process', { reason: 'never sent', outcome: 'not-taken' }],
    [expect.stringMatching(/^operator:/), { reason: 'third try' }],
  ]);
});

/** Temporal reached through a proxy that can stop passing bytes while its connections stay open: a Temporal that does not answer in time. */
async function temporalThatStalls(): Promise<{ engines: ReturnType<typeof engines>; stall(): void; close(): Promise<void> }> {
  const [host, port] = stack.config.temporal.address.split(':');
  const proxy = await stallingProxy(host, Number(port));
  const temporal = await connectTemporal(`127.0.0.1:${proxy.port}`, stack.config.temporal.namespace);
  const { taskQueue } = stack.config.temporal;
  const stalling = { playbooks: new TemporalPlaybookEngine(temporal.client, taskQueue, 1_000), scoring: new TemporalScoringEngine(temporal.client, taskQueue, 1_000), campaigns: new TemporalCampaignEngine(temporal.client, taskQueue, 1_000) };
  return {
    engines: stalling,
    stall: proxy.stall,
    close: async () => {
      proxy.resume();
      await temporal.close();
      await proxy.close();
    },
  };
}

it('a start or a rescore Temporal did not answer in time keeps its entry as of unknown outcome (it may have started), settled as Temporal then tells', async () => {
  const customerId = await newCustomer('Uma');
  const workflowId = welcomeCheckWorkflowId(customerId);
  const slow = await temporalThatStalls();
  let rescoreId: string;
  try {
    const services = createServices(stack.orm.em.fork(), slow.engines, defaultPolicies);
    slow.stall();
    await expect(services.playbooks.startWelcomeCheck(customerId, 'marketer:uma')).rejects.toMatchObject({ code: 'PLAYBOOK_ENGINE_UNAVAILABLE', details: { timedOut: true } });
    const rescore = await services.scoring.startRescore('admin:uma', null).catch((error: { code: string; details: { id: string } }) => error);
    expect(rescore).toMatchObject({ code: 'SCORING_OUTCOME_UNKNOWN', details: { id: expect.stringMatching(/^rescore\//) } });
    rescoreId = (rescore as { details: { id: string } }).details.id;
  } finally {
    await slow.close();
  }
  expect(await entries(workflowId, 'playbook.start')).toEqual([{ actor: 'marketer:uma', after: expect.objectContaining({ outcome: 'unknown' }) }]);
  expect(await entries(rescoreId, 'scoring-run.start')).toEqual([{ actor: 'admin:uma', after: { asOf: null, outcome: 'unknown' } }]);

  // Whether the held requests reached Temporal in the end or not, each entry ends as Temporal tells.
  const started = async () => (await stack.temporal.client.workflow.getHandle(workflowId).describe().catch(() => null)) !== null;
  expect(await services().runReconciliation.settleUnsettledCalls(0)).toEqual([workflowId]);
  expect((await entries(workflowId, 'playbook.start')).map((e) => e.after?.outcome)).toEqual([(await started()) ? 'taken' : 'not-taken']);
  await stack.orm.em.fork().execute(`update audit_entry set at = at - interval '10 minutes' where entity_id = ?`, [rescoreId]);
  await services().scoring.settleUnsettledStarts();
  const rescored = (await stack.temporal.client.workflow.getHandle(rescoreId).describe().catch(() => null)) !== null;
  expect((await entries(rescoreId, 'scoring-run.start')).map((e) => e.after?.outcome)).toEqual([rescored ? 'taken' : 'not-taken']);
  if (rescored) await stack.temporal.client.workflow.getHandle(rescoreId).result();
}, 60_000);

/** PostgreSQL failing as a transaction commits (a restart, a failover): a deferred trigger raising at COMMIT while armed. */
async function failCommitsOf(table: 'playbook_run' | 'scoring_run'): Promise<() => Promise<void>> {
  const em = stack.orm.em.fork();
  await em.execute(`create or replace function fail_at_commit() returns trigger language plpgsql as $$ begin raise exception 'connection lost' using errcode = '08006'; end $$`);
  await em.execute(`create constraint trigger fail_at_commit after insert on ${table} deferrable initially deferred for each row execute function fail_at_commit()`);
  return async () => {
    await stack.orm.em.fork().execute(`drop trigger fail_at_commit on ${table}`);
  };
}

it('a start by hand whose record fails to commit after Temporal started the run answers with the run, keeps its entry, settled as taken; the run records itself', async () => {
  const customerId = await newCustomer('Tomas');
  const workflowId = welcomeCheckWorkflowId(customerId);
  const healed = await failCommitsOf('playbook_run');
  try {
    // The start happened: the person is told so, not that it failed.
    const started = await stack.gql(StartWelcomeCheckDocument, { customerId }, Role.Marketer);
    expect(started.errors).toBeUndefined();
    expect(started.data!.startWelcomeCheck).toMatchObject({ workflowId });
    expect(await stack.temporal.client.workflow.getHandle(workflowId).describe()).toMatchObject({ status: { name: 'RUNNING' } });
  } finally {
    await healed();
  }
  expect(await entries(workflowId, 'playbook.start')).toEqual([{ actor: expect.stringMatching(/^marketer:/), after: expect.objectContaining({ outcome: 'pending' }) }]);
  // The run's first step records it once the database takes writes again.
  await eventually(() => stack.orm.em.fork().findOne(PlaybookRun, { workflowId }), (r) => r !== null, 60_000);
  expect(await services().runReconciliation.settleUnsettledCalls(0)).toEqual([workflowId]);
  expect((await entries(workflowId, 'playbook.start')).map((e) => e.after?.outcome)).toEqual(['taken']);
}, 120_000);

it('a rescore started by hand whose record fails after Temporal took it answers SCORING_OUTCOME_UNKNOWN with its id, stays audited, and is settled as taken as the next rescore begins', async () => {
  const healed = await failCommitsOf('scoring_run');
  let id: string;
  try {
    const started = await stack.gql(StartRescoreDocument, { asOf: null }, Role.Admin);
    expect(started.errors?.[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE', reason: 'SCORING_OUTCOME_UNKNOWN' });
    id = started.errors![0].extensions!.id as string;
  } finally {
    await healed();
  }
  expect(await entries(id, 'scoring-run.start')).toEqual([{ actor: expect.stringMatching(/^admin:/), after: { asOf: null, outcome: 'pending' } }]);
  // Settled as a rescore begins, once the start is older than a request takes.
  await stack.temporal.client.workflow.getHandle(id).result();
  await stack.orm.em.fork().execute(`update audit_entry set at = at - interval '10 minutes' where entity_id = ?`, [id]);
  await services().scoring.settleUnsettledStarts();
  expect((await entries(id, 'scoring-run.start')).map((e) => e.after?.outcome)).toEqual(['taken']);
});

it('a start retried after its process died (its entry left pending) is audited by that entry, not a second one', async () => {
  const customerId = await newCustomer('Vera');
  const workflowId = welcomeCheckWorkflowId(customerId);
  const em = stack.orm.em.fork();
  em.create(AuditEntry, { actor: 'marketer:vera', action: 'playbook.start', entityType: 'playbook_run', entityId: workflowId, after: { playbook: 'welcome-check', customerId, outcome: 'pending' }, at: new Date(Date.now() - 60_000) });
  await em.flush();
  await services().playbooks.startWelcomeCheck(customerId, 'marketer:vera');
  expect(await entries(workflowId, 'playbook.start')).toEqual([{ actor: 'marketer:vera', after: { playbook: 'welcome-check', customerId, outcome: 'taken' } }]);
});

it("a confirmation the run took whose entry cannot be settled (the database failing a moment) answers as taken; the entry stays pending for the reconciliation", async () => {
  const { customerId, workflowId } = await welcomeCheckAwaiting('Wim');
  const db = stack.orm.em.fork();
  await db.execute(`create or replace function fail_settling() returns trigger language plpgsql as $$ begin raise exception 'connection lost' using errcode = '08006'; end $$`);
  await db.execute(`create trigger fail_settling before update on audit_entry for each row execute function fail_settling()`);
  try {
    const confirmed = await services().playbooks.confirmWelcome(customerId, 'operator:wim');
    expect(confirmed.workflowId).toBe(workflowId);
  } finally {
    await stack.orm.em.fork().execute(`drop trigger fail_settling on audit_entry`);
  }
  expect(await stack.temporal.client.workflow.getHandle(workflowId).result()).toBe('confirmed');
  expect((await entries(workflowId, 'playbook.confirm-welcome')).map((e) => e.after?.outcome)).toEqual(['pending']);
  expect(await services().runReconciliation.settleUnsettledCalls(0)).toEqual([workflowId]);
  expect((await entries(workflowId, 'playbook.confirm-welcome')).map((e) => e.after?.outcome)).toEqual(['taken']);
});

it('settles an update typed in the Temporal UI whose answer the worker did not wait for as the worker does: taken, its entry carries no outcome', async () => {
  const { workflowId } = await welcomeCheckAwaiting('Ulla');
  const updateId = `typed-in-ui/${workflowId}`;
  await temporalOperator(stack).workflow.getHandle(workflowId).executeUpdate('confirmWelcome', { updateId });
  const inEngine = () => entries(workflowId, 'playbook.update-in-engine');
  // The steering audit settles it as the run's answer comes.
  const [settled] = await eventually(inEngine, (e) => e.length === 1 && e[0].after?.outcome === undefined, 10_000);
  expect(settled.after).not.toHaveProperty('updateId');
  // As if the worker had stopped before the answer came: pending, left to the run reconciliation, which settles it the same way.
  await sql`update audit_entry set after = after || jsonb_build_object('outcome', 'pending', 'updateId', ${updateId}::text)
    where entity_id = ${workflowId} and action = 'playbook.update-in-engine'`.execute(stack.orm.em.fork().getKysely());
  expect(await services().runReconciliation.settleUnsettledCalls(0)).toContain(workflowId);
  expect(await inEngine()).toEqual([settled]);
});
