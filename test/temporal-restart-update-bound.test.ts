import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Role } from '../src/domain/auth/roles.js';
import { hours } from '../src/domain/policies/duration.js';
import { welcomeCheckWorkflowId } from '../src/domain/playbooks/welcome-check.js';
import { AuditEntry, Customer, PlaybookRun } from '../src/entities/index.js';
import { ensureTemporalCli, startTemporalDevServer, type TemporalDevServer } from '../src/dev/temporal-dev-server.js';
import { freePort } from '../src/dev/ports.js';
import { connectTemporal } from '../src/temporal/client.js';
import { registerSearchAttributes } from '../src/temporal/search-attributes.js';
import { ConfirmWelcomeDocument, StartWelcomeCheckDocument, WelcomeCheckDocument } from './__generated__/graphql.js';
import { eventually } from './support/eventually.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * A person's update mutation while the Temporal server dies and comes back: the mutation's wait
 * for the engine is bounded (the call deadline to take the update, then the wait for the run to
 * act on it), whatever the client's own retries do. This file runs its own Temporal dev server
 * (kept in a file, so a restart keeps the runs), as it kills it.
 */
const binary = ensureTemporalCli(path.resolve('.cache'));
let dir: string;
let port: number;
let temporal: TemporalDevServer | null = null;
let stack: TestStack;

async function startTemporal(): Promise<void> {
  temporal = await startTemporalDevServer({ binary, port, uiPort: null, dbFile: path.join(dir, 'temporal.db') });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'temporal-restart-'));
  port = await freePort();
  await startTemporal();
  const client = await connectTemporal(temporal!.address, 'default');
  try {
    await registerSearchAttributes(client.connection, 'default');
  } finally {
    await client.close();
  }
  stack = await startTestStack({ settings: { TEMPORAL_ADDRESS: temporal!.address }, policies: { welcomeCheck: { version: 7, waitForConfirmationMs: hours(1), newCustomerDays: 90 } } });
}, 180_000);
afterAll(async () => {
  await stack?.stop();
  await temporal?.stop();
  await rm(dir, { recursive: true, force: true });
}, 60_000);

it('F6: a confirmation taken just before Temporal dies answers within the settle wait (plus a second to find Temporal gone) as outcome unknown, not when Temporal is back; the run acts on it once Temporal is back', async () => {
  const em = stack.orm.em.fork();
  const customer = em.create(Customer, { name: 'Vera', email: 'vera@example.com', acquiredAt: new Date().toISOString().slice(0, 10), timeZone: 'UTC' });
  await em.flush();
  const customerId = customer.id;
  const workflowId = welcomeCheckWorkflowId(customerId);
  expect((await stack.gql(StartWelcomeCheckDocument, { customerId }, Role.Marketer)).errors).toBeUndefined();
  await eventually(() => stack.gql(WelcomeCheckDocument, { customerId }, Role.Viewer), (r) => r.data?.welcomeCheck?.step === 'awaiting-confirmation');

  // The run's record held by another transaction: the run takes the confirmation but cannot record it yet (a slow database).
  const holder = new pg.Client({ connectionString: stack.config.databaseUrl });
  await holder.connect();
  await holder.query('begin');
  await holder.query('select 1 from playbook_run where workflow_id = $1 for update', [workflowId]);
  try {
    const sent = Date.now();
    const answered = stack.gql(ConfirmWelcomeDocument, { customerId }, Role.Operator).then((answer) => ({ answer, ms: Date.now() - sent }));
    // Temporal dies once the run has taken the confirmation (the update accepted), while the API waits for the run's answer.
    const history = () => stack.temporal.client.workflow.getHandle(workflowId).fetchHistory();
    await eventually(history, (h) => (h.events ?? []).some((e) => e.workflowExecutionUpdateAcceptedEventAttributes), 10_000, 50);
    process.kill(temporal!.pid!, 'SIGKILL');
    // Back well after the bound: an answer that waited for it came too late.
    const restarted = new Promise<void>((resolve) => setTimeout(resolve, 15_000))
      .then(startTemporal)
      .then(() => holder.query('rollback'));

    const { answer, ms } = await answered;
    // Taken in well under the 5 s call deadline; then 3 s for the run to act, and 1 s to find Temporal out of reach.
    expect(ms).toBeLessThan(5_000 + 3_000 + 1_000 + 1_000);
    // Taken, but the run's answer cannot be read: outcome unknown (never "nothing was done"), the entry kept with its update.
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE', reason: 'PLAYBOOK_OUTCOME_UNKNOWN', workflowId });
    const [entry] = await stack.orm.em.fork().find(AuditEntry, { entityId: workflowId, action: 'playbook.confirm-welcome' });
    expect(entry?.after).toEqual({ customerId, outcome: 'unknown', updateId: answer.errors![0].extensions!.updateId });

    await restarted;
    // Temporal is back (its runs kept): the run records the confirmation it took.
    const done = await eventually(() => stack.orm.em.fork().findOne(PlaybookRun, { workflowId }), (run) => run?.status === 'completed', 60_000);
    expect(done).toMatchObject({ outcome: 'confirmed' });
  } finally {
    await holder.end();
  }
}, 150_000);
