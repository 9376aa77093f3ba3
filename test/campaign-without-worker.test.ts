import { Role } from '../src/domain/auth/roles.js';
import { AuditEntry, Customer } from '../src/entities/index.js';
import { welcomeCheckWorkflowId } from '../src/domain/playbooks/welcome-check.js';
import { CampaignDocument, CancelPlaybookRunDocument, ConfirmWelcomeDocument, CreateCampaignDocument, LaunchCampaignDocument, PauseCampaignDocument, ScoringRunDocument, StartRescoreDocument, StartWelcomeCheckDocument, WelcomeCheckDocument } from './__generated__/graphql.js';
import { spawnWorker, startTestStack, workerEnvOf, type TestStack } from './support/stack.js';
import { eventually } from './support/eventually.js';
import { TemporalWorkerPresence } from '../src/temporal/temporal-worker-presence.js';

/** A campaign while no worker polls its task queue (a deploy, a crash): its record shows, what needs the run answers UNAVAILABLE. */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ worker: false });
}, 90_000);
afterAll(() => stack?.stop());

it('shows the campaign and answers UNAVAILABLE for its live progress and steering while no worker polls', async () => {
  const em = stack.orm.em.fork();
  em.create(Customer, { name: 'Nora Noworker', email: 'nora.noworker@example.com', acquiredAt: '2020-01-01', marketingConsent: true });
  await em.flush();
  const created = await stack.gql(CreateCampaignDocument, { input: { name: 'While the worker is away', playbook: 'Appreciation', filter: { search: 'noworker' }, holdoutPercent: 0 } }, Role.Marketer);
  expect(created.errors).toBeUndefined();
  const id = created.data!.createCampaign.id;
  // The launch is taken (its run waits for a worker); only its live progress cannot be read.
  const launched = await stack.gql(LaunchCampaignDocument, { id }, Role.Marketer);
  expect(launched.data!.launchCampaign).toMatchObject({ id, status: 'Running', progress: null });
  expect(launched.errors!.map((e) => [e.path, e.extensions!.code])).toEqual([[['launchCampaign', 'progress'], 'UNAVAILABLE']]);

  const read = await stack.gql(CampaignDocument, { id }, Role.Viewer);
  expect(read.data!.campaign).toMatchObject({ id, name: 'While the worker is away', status: 'Running', progress: null });
  expect(read.errors).toEqual([expect.objectContaining({ path: ['campaign', 'progress'], extensions: expect.objectContaining({ code: 'UNAVAILABLE', reason: 'PLAYBOOK_ENGINE_UNAVAILABLE' }) })]);
  // Temporal is up: the message sends the on-call engineer to the workers, not to Temporal (QA 76 F5).
  expect(read.errors![0].message).toMatch(/^No worker is taking the playbooks' work just now: Temporal is up, but no worker polls its task queue/);

  const paused = await stack.gql(PauseCampaignDocument, { id }, Role.Marketer);
  expect(paused.errors![0].extensions).toMatchObject({ code: 'UNAVAILABLE', reason: 'PLAYBOOK_ENGINE_UNAVAILABLE' });
  expect(paused.errors![0].extensions).not.toHaveProperty('stacktrace');
}, 60_000);

/** Someone new with a welcome check under way, started while no worker polls (the start needs only Temporal). */
async function welcomed(name: string, email: string): Promise<string> {
  const em = stack.orm.em.fork();
  const customer = em.create(Customer, { name, email, acquiredAt: new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10) });
  await em.flush();
  const started = await stack.gql(StartWelcomeCheckDocument, { customerId: customer.id }, Role.Operator);
  expect(started.errors).toBeUndefined();
  return customer.id;
}

it('says no worker is taking the work (Temporal is up), not that Temporal cannot be reached, and shows a rescore as its record says (QA 76 F5)', async () => {
  const customerId = await welcomed('Wendy Waiting', 'wendy.waiting@example.com');
  const noWorker = /^No worker is taking the playbooks' work just now: Temporal is up, but no worker polls its task queue "test-[0-9a-f]+"; try again shortly$/;
  const check = await stack.gql(WelcomeCheckDocument, { customerId }, Role.Viewer);
  expect(check.errors![0].extensions).toMatchObject({ code: 'UNAVAILABLE', reason: 'PLAYBOOK_ENGINE_UNAVAILABLE' });
  expect(check.errors![0].message).toMatch(noWorker);
  const confirmed = await stack.gql(ConfirmWelcomeDocument, { customerId }, Role.Operator);
  expect(confirmed.errors![0].extensions).toMatchObject({ code: 'UNAVAILABLE', reason: 'PLAYBOOK_ENGINE_UNAVAILABLE' });
  expect(confirmed.errors![0].message).toMatch(noWorker);

  // A rescore is recorded as it starts; while no worker takes it, its record shows (not null), its live phase unknown.
  const started = await stack.gql(StartRescoreDocument, { asOf: '2026-10-15' }, Role.Admin);
  expect(started.errors).toBeUndefined();
  const { id } = started.data!.startRescore;
  const run = await stack.gql(ScoringRunDocument, { id }, Role.Viewer);
  expect(run.errors).toBeUndefined();
  expect(run.data!.scoringRun).toMatchObject({ id, asOf: '2026-10-15', phase: 'Running', startedAt: expect.any(String), finishedAt: null, customersScored: 0 });
}, 60_000);

it('answers a cancel Temporal took while no worker can wind the run down with the run as its record says (cancelled), not with an error (QA 79 F2)', async () => {
  const customerId = await welcomed('Carl Cancelled', 'carl.cancelled@example.com');
  const workflowId = welcomeCheckWorkflowId(customerId);
  const cancelled = await stack.gql(CancelPlaybookRunDocument, { workflowId, reason: 'asked by phone' }, Role.Operator);
  expect(cancelled.errors).toBeUndefined();
  expect(cancelled.data!.cancelPlaybookRun).toMatchObject({ workflowId, status: 'Cancelled', step: 'done' });
  expect((await stack.orm.em.fork().find(AuditEntry, { entityId: workflowId, action: 'playbook.cancel' })).map((a) => a.after)).toEqual([{ reason: 'asked by phone' }]);
}, 60_000);

it('says so too right after the worker was killed, while Temporal still lists its polls (QA 76 F5)', async () => {
  const customerId = await welcomed('Kim Killed', 'kim.killed@example.com');
  const worker = await spawnWorker(workerEnvOf(stack, { MESSAGE_CHANNEL: 'off', RUN_RECONCILIATION_SCHEDULE: 'off' }));
  // Killed once Temporal lists its polls (it keeps listing them for minutes after): the first moments of an outage.
  const presence = new TemporalWorkerPresence(stack.temporal.client, stack.config.temporal.taskQueue);
  await eventually(() => presence.workers(), (w) => w.polling > 0);
  const exited = new Promise((resolve) => worker.process.once('exit', resolve));
  worker.process.kill('SIGKILL');
  await exited;
  const check = await stack.gql(WelcomeCheckDocument, { customerId }, Role.Viewer);
  expect(check.errors![0].extensions).toMatchObject({ code: 'UNAVAILABLE', reason: 'PLAYBOOK_ENGINE_UNAVAILABLE' });
  expect(check.errors![0].message).toMatch(/^No worker is taking the playbooks' work just now: Temporal is up, but no worker answered in time \(its task queue "test-[0-9a-f]+" was last polled \d+ s ago\); try again shortly$/);
}, 90_000);
