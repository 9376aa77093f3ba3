import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { defaultPolicies } from '../src/domain/policies/index.js';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { createOrm, migrateUp, type Orm } from '../src/db/orm.js';
import { startEmbeddedPostgresOnFreePort, type LocalPostgres } from '../src/dev/embedded-postgres.js';
import { createApi, type Api } from '../src/http/api-server.js';
import { OPERATION_LABELS } from '../src/http/metrics.js';
import { OperationsStatusService } from '../src/services/operations/operations-status.service.js';
import { createLogger } from '../src/logger.js';
import { Customer, CustomerStatus, FixCase, Invoice, MessageChannel, MessagePurpose, OutboxMessage, PlaybookRun, ScoringRun, ScoringRunStatus } from '../src/entities/index.js';
import { connectTemporal, type TemporalClient } from '../src/temporal/client.js';
import { createTestDatabase } from './support/database.js';
import { eventually } from './support/eventually.js';
import { OperationsStatusDocument } from './__generated__/graphql.js';
import { print } from 'graphql';
import { RunStatus } from '../src/domain/playbooks/run-status.js';
import { putSchedulesInPlace } from '../src/app/worker-process.js';
import { platformSchedules, rescoreScheduleId, runReconciliationScheduleId } from '../src/temporal/schedules.js';

/** The API's task queue, which no worker polls: its own per run, so schedules a run before left on a held Temporal server (a PID used again) are not its. */
const NO_WORKER_QUEUE = `no-worker-${process.pid}-${Date.now()}`;

/**
 * Health, readiness, metrics and the offline IDE, on a PostgreSQL of this file's
 * own so the test can stop it and watch /readyz turn red.
 */
let pg: LocalPostgres;
let orm: Orm;
let temporal: TemporalClient;
let api: Api;
let base: string;
/** A metric's value in Prometheus' text format (`name{labels}` as written there). */
const metric = (text: string, name: string) => Number(new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
interface Ask {
  key?: string;
  query?: string;
  operationName?: string;
  variables?: Record<string, unknown>;
  headers?: Record<string, string>;
}
/** What a client sends: a GraphQL document (`{ me { role } }` unless given), with an API key when given. */
const askGraphql = (url: string, { key, query = '{ me { role } }', operationName, variables, headers = {} }: Ask = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: JSON.stringify({ query, operationName, variables }),
  });
/** What the API logged, line by line. */
const logLines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'retention-readyz-'));
  pg = await startEmbeddedPostgresOnFreePort({ dataDir: path.join(dir, 'data'), database: 'readyz' });
  // A task queue no worker polls: the operations status must say so.
  const config = loadConfig({ ...process.env, DATABASE_URL: pg.url, PORT: '0', NODE_ENV: 'test', GRAPHQL_IDE: 'true', TEMPORAL_TASK_QUEUE: NO_WORKER_QUEUE, API_KEYS: 'viewer:test-viewer-key-0123456789,operator:test-operator-key-0123456789' });
  orm = await createOrm(config.databaseUrl, { pool: { min: 0, max: 2, idleTimeoutMillis: 100 } });
  await migrateUp(orm);
  temporal = await connectTemporal(config.temporal.address, config.temporal.namespace);
  api = await createApi({ config, orm, temporal, logger: createLogger('info', 'api', { write: (line: string) => void logLines.push(JSON.parse(line)) }) });
  base = (await api.listen()).url.replace(/\/graphql$/, '');
});
afterAll(async () => {
  await api?.stop();
  await temporal?.close();
  await orm?.close(true);
  await pg?.stop();
});

/** An API of its own over this file's database, with `settings` over the test defaults; its URL once it listens. */
async function startApi(settings: Record<string, string>, lines?: Array<Record<string, unknown>>): Promise<{ api: Api; url: string }> {
  const config = loadConfig({ ...process.env, DATABASE_URL: pg.url, PORT: '0', NODE_ENV: 'test', API_KEYS: 'viewer:test-viewer-key-0123456789', ...settings });
  const logger = lines ? createLogger('info', 'api', { write: (line: string) => void lines.push(JSON.parse(line)) }) : createLogger('silent', 'api');
  const started = await createApi({ config, orm, temporal, logger });
  try {
    return { api: started, url: (await started.listen()).url };
  } catch (error) {
    await started.stop();
    throw error;
  }
}

it('names HOST and PORT when it cannot listen on the address they give (QA 43 F7)', async () => {
  await expect(startApi({ HOST: 'no-such-host.invalid' })).rejects.toThrow('The API cannot listen on HOST=no-such-host.invalid PORT=0: no-such-host.invalid is no address of this machine');
});

it('is alive', async () => {
  const response = await fetch(`${base}/healthz`);
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ status: 'ok' });
});

it('gives each request an ID, in its answer and in every line logged while serving it, and logs one line per request', async () => {
  const probe = (requestId?: string) =>
    askGraphql(`${base}/graphql`, {
      key: 'test-viewer-key-0123456789',
      query: 'query WhoAsks($x: String) { customers(first: 1, filter: { search: $x }) { totalCount } }',
      operationName: 'WhoAsks',
      variables: { x: 'not for the log' },
      headers: requestId ? { 'x-request-id': requestId } : {},
    });
  // The front end's own ID is kept; one that is not plain is replaced by a new one.
  expect((await probe('front-end-42.a')).headers.get('x-request-id')).toBe('front-end-42.a');
  const replaced = (await probe('two words\n')).headers.get('x-request-id');
  expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
  const wrongKey = await askGraphql(`${base}/graphql`, { key: 'not-a-key-anybody-issued' });
  // A named operation is named in the log whether or not the client sends operationName.
  const unnamedInBody = await askGraphql(`${base}/graphql`, { key: 'test-viewer-key-0123456789', query: 'query MyRole { me { role } }' });
  // A parsed document that fails validation is named too: a front end's query that no longer matches the schema (QA 58 F6).
  const invalid = await askGraphql(`${base}/graphql`, { key: 'test-viewer-key-0123456789', query: 'query Outdated { me { role removedField } }' });
  expect(invalid.status).toBe(400);
  const lines = () => logLines.filter((l) => l.msg === 'request');
  await eventually(async () => lines(), (ls) => ls.length >= 5);
  expect(lines().find((l) => l.requestId === invalid.headers.get('x-request-id'))).toEqual(expect.objectContaining({ operation: 'Outdated', status: 400, level: 40 }));
  expect(lines().find((l) => l.requestId === unnamedInBody.headers.get('x-request-id'))).toEqual(expect.objectContaining({ operation: 'MyRole', status: 200 }));
  expect(lines().find((l) => l.requestId === 'front-end-42.a')).toEqual(
    expect.objectContaining({ level: 30, method: 'POST', path: '/graphql', operation: 'WhoAsks', caller: expect.stringMatching(/^viewer:[0-9a-f]{8}$/), status: 200, ms: expect.any(Number), service: 'api' }),
  );
  expect(lines().find((l) => l.requestId === replaced)).toEqual(expect.objectContaining({ status: 200 }));
  // A refused request is a warning; nothing logged carries the variables or the key.
  const refused = lines().find((l) => l.requestId === wrongKey.headers.get('x-request-id'));
  expect(refused).toEqual(expect.objectContaining({ level: 40, status: 401 }));
  expect(refused).not.toHaveProperty('caller');
  expect(JSON.stringify(logLines)).not.toMatch(/not for the log|not-a-key-anybody-issued|test-viewer-key/);
});

it('serves Prometheus metrics, counting GraphQL operations', async () => {
  await askGraphql(`${base}/graphql`, { key: 'test-viewer-key-0123456789', query: 'query Probe { customers(first: 1) { totalCount } }', operationName: 'Probe' });
  const text = await (await fetch(`${base}/metrics`)).text();
  expect(text).toMatch(/graphql_operations_total\{operation="Probe",type="query",result="ok"\} 1/);
  expect(text).toContain('process_cpu_user_seconds_total');
});

it('keeps the number of metric series bounded whatever operation names clients invent', async () => {
  const { api: own, url } = await startApi({});
  const ownBase = url.replace(/\/graphql$/, '');
  for (let i = 0; i < OPERATION_LABELS + 30; i++) {
    const response = await askGraphql(`${ownBase}/graphql`, { key: 'test-viewer-key-0123456789', query: `query probe${i}x${Math.random().toString(36).slice(2)} { me { role } }` });
    expect(response.status).toBe(200);
  }
  const text = await (await fetch(`${ownBase}/metrics`)).text();
  await own.stop();
  const series = text.split('\n').filter((line) => line.startsWith('graphql_operations_total{'));
  expect(series.length).toBeLessThanOrEqual(OPERATION_LABELS + 3);
  expect(text).toMatch(/^graphql_operations_total\{operation="other",type="query",result="ok"\} \d+/m);
}, 60_000);

it('serves /metrics only to a scraper with the METRICS_TOKEN, when one is set', async () => {
  const { api: guarded, url } = await startApi({ METRICS_TOKEN: 'scrape-token-0123456789' });
  const metricsUrl = url.replace(/\/graphql$/, '/metrics');
  try {
    const open = await fetch(metricsUrl);
    expect(open.status).toBe(401);
    expect(open.headers.get('www-authenticate')).toBe('Bearer');
    expect((await fetch(metricsUrl, { headers: { authorization: 'Bearer test-viewer-key-0123456789' } })).status).toBe(401);
    const scraped = await fetch(metricsUrl, { headers: { authorization: 'Bearer scrape-token-0123456789' } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('process_cpu_user_seconds_total');
    // The scheme in any case, as a proxy may send it; the token exactly.
    expect((await fetch(metricsUrl, { headers: { authorization: 'bearer scrape-token-0123456789' } })).status).toBe(200);
    expect((await fetch(metricsUrl, { headers: { authorization: 'Bearer SCRAPE-TOKEN-0123456789' } })).status).toBe(401);
    expect((await fetch(metricsUrl, { headers: { authorization: 'scrape-token-0123456789' } })).status).toBe(401);
  } finally {
    await guarded.stop();
  }
});

it('tells operators, in its metrics and through GraphQL, whether delivery keeps up, when the last rescore finished and how much work is open', async () => {
  const scrape = async () => (await fetch(`${base}/metrics`)).text();
  const empty = await scrape();
  expect(metric(empty, 'retention_outbox_messages{state="due"}')).toBe(0);
  expect(metric(empty, 'retention_rescore_last_completed_timestamp_seconds')).toBe(0);

  const em = orm.em.fork();
  const customer = em.create(Customer, { name: 'Ops Check', email: 'ops@example.com', acquiredAt: '2026-01-01' });
  const message = (key: string, over: Partial<OutboxMessage>) =>
    em.create(OutboxMessage, { idempotencyKey: key, customer, channel: MessageChannel.Email, purpose: MessagePurpose.Service, template: 'reminder-friendly', payload: {}, ...over });
  const tenMinutesAgo = new Date(Date.now() - 600_000);
  message('due-old', { createdAt: tenMinutesAgo });
  message('due-new', {});
  message('quiet-hours', { sendAfter: new Date(Date.now() + 3_600_000) });
  // Failed twice (the channel cannot be reached), in its back-off: retrying, and waiting since it first became due 20 minutes ago.
  message('retrying', { attempts: 2, lastError: 'connect ECONNREFUSED', createdAt: new Date(Date.now() - 1_500_000), dueSince: new Date(Date.now() - 1_200_000), sendAfter: new Date(Date.now() + 120_000) });
  message('refused', { attempts: 8, lastError: 'mailbox unavailable' });
  // Refused for good at its first attempt: given up on as well, whatever its attempts.
  message('refused-for-good', { attempts: 1, lastError: '550 user unknown', refusedAt: new Date(), sendAfter: null });
  // Its hand-over interrupted (it may have gone out): given up on too, until a person decides.
  message('interrupted', { attempts: 1, lastError: 'The worker stopped while handing this message to the channel', interruptedAt: new Date(), sendAfter: null });
  message('sent', { sentAt: new Date() });
  const finishedAt = new Date('2026-12-01T02:10:00Z');
  em.create(ScoringRun, { id: '00000000-0000-4000-8000-00000000a001', asOf: '2026-12-01', trigger: 'schedule', status: ScoringRunStatus.Completed, startedAt: new Date('2026-12-01T02:00:00Z'), finishedAt });
  // A backfill of an earlier day, finished later, does not hide a missed night.
  em.create(ScoringRun, { id: '00000000-0000-4000-8000-00000000a002', asOf: '1998-06-30', trigger: 'api', status: ScoringRunStatus.Completed, startedAt: new Date('2026-12-01T09:00:00Z'), finishedAt: new Date('2026-12-01T09:01:00Z') });
  em.create(PlaybookRun, { workflowId: `fair-reminder/${customer.id}/x`, playbook: 'fair-reminder', customer });
  em.create(PlaybookRun, { workflowId: `welcome-check/${customer.id}`, playbook: 'welcome-check', customer });
  // Unpaid past the sweep's 90 days: one without a reminder run is left to a person, and counted; one whose run a person started (ended since) is not.
  const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
  em.create(Invoice, { customer, issuedAt: daysAgo(140), dueAt: daysAgo(120), amountMinor: 1_000 });
  const chased = em.create(Invoice, { customer, issuedAt: daysAgo(140), dueAt: daysAgo(120), amountMinor: 1_000 });
  em.create(PlaybookRun, { workflowId: `fair-reminder/${customer.id}/${chased.id}`, playbook: 'fair-reminder', customer, status: RunStatus.Completed, finishedAt: new Date() });
  em.create(FixCase, { workflowId: `fix-issue/${customer.id}/billing`, customer, topic: 'billing', team: 'billing-team', owner: 'billing-team', openedAt: new Date() });
  // Offboarded 1200 and 400 days ago, not erased: the first is past the retention period (1095 days) and counted.
  const [longGone, goneLately] = ['long', 'lately'].map((name) => em.create(Customer, { name: `Gone ${name}`, email: `gone.${name}@example.com`, acquiredAt: '2020-01-01', status: CustomerStatus.Offboarded }));
  await em.flush();
  await em.execute(`update customer set offboarded_at = now() - make_interval(days => ?) where id = ?`, [1200, longGone.id]);
  await em.execute(`update customer set offboarded_at = now() - make_interval(days => ?) where id = ?`, [400, goneLately.id]);
  // Past the one-second reuse of a scrape's reading.
  await new Promise((r) => setTimeout(r, 1_100));

  const text = await scrape();
  expect(metric(text, 'retention_operations_status_up')).toBe(1);
  expect(metric(text, 'retention_outbox_messages{state="due"}')).toBe(2);
  expect(metric(text, 'retention_outbox_messages{state="retrying"}')).toBe(1);
  expect(metric(text, 'retention_outbox_messages{state="deferred"}')).toBe(1);
  expect(metric(text, 'retention_outbox_messages{state="undeliverable"}')).toBe(3);
  expect(metric(text, 'retention_outbox_oldest_due_message_seconds')).toBeGreaterThanOrEqual(1_200);
  expect(metric(text, 'retention_outbox_oldest_due_message_seconds')).toBeLessThan(1_500);
  expect(metric(text, 'retention_rescore_last_completed_timestamp_seconds')).toBe(finishedAt.getTime() / 1000);
  expect(metric(text, 'retention_fix_cases_open')).toBe(1);
  expect(metric(text, 'retention_invoices_overdue_left_to_people')).toBe(1);
  expect(metric(text, 'retention_customers_past_retention')).toBe(1);
  // By the retention period the deployment is given.
  expect((await new OperationsStatusService(orm.em.fork(), { ...defaultPolicies, dataRetention: { ...defaultPolicies.dataRetention, eraseOffboardedAfterDays: 300 } }, null).status()).customersPastRetention).toBe(2);
  expect(metric(text, 'retention_playbook_runs_running{playbook="fair-reminder"}')).toBe(1);
  expect(metric(text, 'retention_playbook_runs_running{playbook="welcome-check"}')).toBe(1);
  expect(metric(text, 'retention_playbook_runs_running{playbook="fix-issue"}')).toBe(0);

  // The same figures for an operator's dashboard, through GraphQL.
  const ask = (key: string) => askGraphql(`${base}/graphql`, { key, query: print(OperationsStatusDocument) }).then((r) => r.json() as Promise<any>);
  const { data } = await ask('test-operator-key-0123456789');
  expect(data.operationsStatus).toMatchObject({
    dueMessages: 2,
    retryingMessages: 1,
    deferredMessages: 1,
    undeliverableMessages: 3,
    lastRescoreCompletedAt: finishedAt.toISOString(),
    openFixCases: 1,
    overdueInvoicesLeftToPeople: 1,
    customersPastRetention: 1,
    // Every playbook, in one order, none running too.
    runningPlaybookRuns: [
      { playbook: 'WelcomeCheck', runs: 1 },
      { playbook: 'FairReminder', runs: 1 },
      { playbook: 'FixIssue', runs: 0 },
      { playbook: 'AccountReview', runs: 0 },
      { playbook: 'Appreciation', runs: 0 },
    ],
  });
  expect(data.operationsStatus.oldestDueMessageSeconds).toBeGreaterThanOrEqual(1_200);
  // Temporal answers, and no worker polls this API's task queue.
  expect(data.operationsStatus.workers).toEqual({ polling: 0, lastPollSecondsAgo: null });
  expect(data.operationsStatus.engineReachable).toBe(true);
  expect(metric(text, 'retention_workers_polling')).toBe(0);
  expect(metric(text, 'retention_temporal_up')).toBe(1);
  expect((await ask('test-viewer-key-0123456789')).errors[0].extensions.code).toBe('FORBIDDEN');
});

it("shows the platform's schedules an operator paused or deleted in Temporal: in operationsStatus, in the metrics, and in the worker's log as it starts (QA 81 F2)", async () => {
  const taskQueue = NO_WORKER_QUEUE;
  const config = loadConfig({ ...process.env, DATABASE_URL: pg.url, PORT: '0', NODE_ENV: 'test', TEMPORAL_TASK_QUEUE: taskQueue });
  const lines: Array<Record<string, unknown>> = [];
  const workerLog = createLogger('info', 'worker', { write: (line: string) => void lines.push(JSON.parse(line)) });
  const schedule = (id: string) => temporal.client.schedule.getHandle(id);
  await putSchedulesInPlace(temporal.client, config, workerLog, defaultPolicies);
  try {
    // A pause sent a moment after the schedule was created can be lost to its scheduler starting up: sent until Temporal shows it.
    const paused = async () => {
      const handle = schedule(runReconciliationScheduleId(taskQueue));
      if (!(await handle.describe()).state.paused) await handle.pause('qa pause: looking into a stuck run');
      return (await handle.describe()).state.paused;
    };
    await eventually(paused, (held) => held);
    await schedule(rescoreScheduleId(taskQueue)).delete();
    // Started by hand while paused: it ran, the schedule says when.
    await schedule(runReconciliationScheduleId(taskQueue)).trigger();
    const lastRun = await eventually(async () => (await schedule(runReconciliationScheduleId(taskQueue)).describe()).info.recentActions, (a) => a.length > 0);

    // (Each read gives up on Temporal after 2 s, null: a loaded machine may need another.)
    const { data } = await eventually(
      async () => (await (await askGraphql(`${base}/graphql`, { key: 'test-operator-key-0123456789', query: print(OperationsStatusDocument) })).json()) as any,
      (answer) => answer.data?.operationsStatus?.schedules != null,
    );
    const byName = new Map<string, any>(data.operationsStatus.schedules.map((s: any) => [s.name, s]));
    expect([...byName.keys()].sort()).toEqual(['data-retention', 'playbook-triggers', 'rescore', 'run-reconciliation', 'score-history']);
    expect(byName.get('run-reconciliation')).toEqual({
      id: runReconciliationScheduleId(taskQueue),
      name: 'run-reconciliation',
      exists: true,
      paused: true,
      note: 'qa pause: looking into a stuck run',
      lastRunAt: lastRun[0].takenAt.toISOString(),
      nextRunAt: null,
    });
    expect(byName.get('rescore')).toEqual({ id: rescoreScheduleId(taskQueue), name: 'rescore', exists: false, paused: null, note: null, lastRunAt: null, nextRunAt: null });
    expect(byName.get('playbook-triggers')).toMatchObject({ exists: true, paused: false, note: null, lastRunAt: null });
    expect(new Date(byName.get('playbook-triggers').nextRunAt).getTime()).toBeGreaterThan(Date.now());

    // Past the one-second reuse of a scrape's reading (the series are left out of a scrape that gave up on Temporal).
    await new Promise((r) => setTimeout(r, 1_100));
    const text = await eventually(
      async () => (await fetch(`${base}/metrics`)).text(),
      (scraped) => /^retention_schedule_paused\{/m.test(scraped),
      30_000,
      1_100,
    );
    expect(metric(text, 'retention_schedule_paused{schedule="run-reconciliation"}')).toBe(1);
    expect(metric(text, 'retention_schedule_paused{schedule="playbook-triggers"}')).toBe(0);
    expect(metric(text, 'retention_schedule_exists{schedule="rescore"}')).toBe(0);
    expect(metric(text, 'retention_schedule_exists{schedule="run-reconciliation"}')).toBe(1);
    expect(metric(text, 'retention_schedule_last_run_timestamp_seconds{schedule="run-reconciliation"}')).toBe(lastRun[0].takenAt.getTime() / 1000);
    expect(text).not.toMatch(/^retention_schedule_last_run_timestamp_seconds\{schedule="playbook-triggers"\}/m);
    expect(text).not.toMatch(/^retention_schedule_next_run_timestamp_seconds\{schedule="run-reconciliation"\}/m);
    expect(metric(text, 'retention_schedule_next_run_timestamp_seconds{schedule="playbook-triggers"}')).toBeGreaterThan(Date.now() / 1000);

    // A worker starting puts the deleted one back, leaves the paused one paused, and says so, naming the note.
    lines.length = 0;
    await putSchedulesInPlace(temporal.client, config, workerLog, defaultPolicies);
    expect((await schedule(rescoreScheduleId(taskQueue)).describe()).state.paused).toBe(false);
    expect((await schedule(runReconciliationScheduleId(taskQueue)).describe()).state.paused).toBe(true);
    const warned = lines.filter((l) => l.level === 40);
    expect(warned).toEqual([expect.objectContaining({ scheduleId: runReconciliationScheduleId(taskQueue), note: 'qa pause: looking into a stuck run' })]);
    expect(warned[0].msg).toMatch(/PAUSED.*"qa pause: looking into a stuck run".*keep their old status/);
  } finally {
    for (const { id } of platformSchedules(taskQueue)) await schedule(id).delete().catch(() => undefined);
    for await (const run of temporal.client.workflow.list({ query: `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"` })) await temporal.client.workflow.getHandle(run.workflowId).terminate('test ends').catch(() => undefined);
  }
}, 60_000);

it('says when Temporal cannot be asked: retention_temporal_up 0, the worker gauges left out, and a warning for each request it fails', async () => {
  const lines: Array<Record<string, unknown>> = [];
  const config = loadConfig({ ...process.env, DATABASE_URL: pg.url, PORT: '0', NODE_ENV: 'test', API_KEYS: 'operator:test-operator-key-0123456789' });
  // Nothing listens on port 1.
  const unreachable = await connectTemporal('127.0.0.1:1', config.temporal.namespace, { lazy: true });
  const cut = await createApi({ config, orm, temporal: unreachable, logger: createLogger('info', 'api', { write: (line: string) => void lines.push(JSON.parse(line)) }) });
  try {
    const url = (await cut.listen()).url;
    const text = await (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();
    expect(metric(text, 'retention_operations_status_up')).toBe(1);
    expect(metric(text, 'retention_temporal_up')).toBe(0);
    expect(text).not.toMatch(/^retention_workers_polling /m);
    const { data } = (await (await askGraphql(url, { key: 'test-operator-key-0123456789', query: print(OperationsStatusDocument) })).json()) as any;
    expect(data.operationsStatus).toMatchObject({ workers: null, engineReachable: false, schedules: null });
    expect(text).not.toMatch(/^retention_schedule_/m);
    // Two fields Temporal's absence fails: one warning for the request.
    const running = (await (await askGraphql(url, { key: 'test-operator-key-0123456789', query: '{ a: runningPlaybookRuns(first: 1) { totalCount } b: runningPlaybookRuns(first: 2) { totalCount } }' })).json()) as any;
    expect(running.errors).toHaveLength(2);
    expect(running.errors[0].extensions).toMatchObject({ code: 'UNAVAILABLE', reason: 'PLAYBOOK_ENGINE_UNAVAILABLE' });
    expect(lines.filter((l) => l.level === 40 && l.reason === 'PLAYBOOK_ENGINE_UNAVAILABLE')).toHaveLength(1);
  } finally {
    // The connection is left open: the client's own retries of the calls given up on run on for a while, and throw on a closed one.
    await cut.stop();
  }
}, 60_000);

// The limits count in PostgreSQL, shared by API processes: each test of a limit starts from no counts,
// once the other APIs of this file have shared what they counted last (every 200 ms).
const forgetCounts = async () => {
  await new Promise((resolve) => setTimeout(resolve, 300));
  await orm.em.getConnection().execute('delete from rate_limit_hit');
};

it('limits the requests of one API key per minute, with a GraphQL-shaped 429 that says when to try again', async () => {
  await forgetCounts();
  const lines: Array<Record<string, unknown>> = [];
  const { api: limited, url } = await startApi({ RATE_LIMIT_PER_MINUTE: '3', API_KEYS: 'viewer:test-viewer-key-0123456789,operator:test-operator-key-0123456789' }, lines);
  const ask = (key: string) => askGraphql(url, { key });
  try {
    for (let i = 0; i < 3; i++) expect((await ask('test-viewer-key-0123456789')).status).toBe(200);
    const refused = await ask('test-viewer-key-0123456789');
    expect(refused.status).toBe(429);
    // Its log line names the key by its fingerprint, as the served ones name it with its role (QA 43 F5): an alert on 429s can say whose.
    const served = lines.find((l) => l.msg === 'request' && l.status === 200)!.caller as string;
    const limitedLine = await eventually(async () => lines.find((l) => l.msg === 'request' && l.status === 429), (l) => l !== undefined);
    expect(limitedLine!.caller).toBe(`key:${served.split(':')[1]}`);
    expect(refused.headers.get('ratelimit-policy')).toMatch(/^3;w=60/);
    expect(((await refused.json()) as any).errors[0].extensions).toEqual({ code: 'RATE_LIMITED', limitPerMinute: 3 });
    // The same key spelt otherwise (as authentication takes it) is the same key, not a fresh allowance.
    for (const authorization of ['bearer test-viewer-key-0123456789', 'BEARER test-viewer-key-0123456789', 'Bearer  test-viewer-key-0123456789', 'Bearer\ttest-viewer-key-0123456789 ']) {
      expect((await askGraphql(url, { headers: { authorization } })).status).toBe(429);
    }
    // Another key has its own allowance.
    expect((await ask('test-operator-key-0123456789')).status).toBe(200);
  } finally {
    await limited.stop();
  }
});

it('holds one limit across API processes, counted in PostgreSQL; with RATE_LIMIT_STORE=memory each process counts alone', async () => {
  // A key of its own: the other APIs of this file share their counts of theirs every 200 ms.
  await forgetCounts();
  const start = (store: string) => startApi({ RATE_LIMIT_PER_MINUTE: '4', RATE_LIMIT_STORE: store, API_KEYS: 'viewer:shared-limit-key-0123456789' });
  const ask = (url: string) => askGraphql(url, { key: 'shared-limit-key-0123456789' }).then((r) => r.status);
  const shared = [await start('postgres'), await start('postgres')];
  const alone = [await start('memory'), await start('memory')];
  // The limit counts per clock minute: the requests below take about 4 s, so they start where no minute ends among them.
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 50_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 100));
  try {
    // The processes share their counts every 200 ms: these requests come slower than that.
    const askShared = async (i: number) => {
      const status = await ask(shared[i].url);
      await new Promise((resolve) => setTimeout(resolve, 500));
      return status;
    };
    expect([await askShared(0), await askShared(1), await askShared(0), await askShared(1)]).toEqual([200, 200, 200, 200]);
    expect([await askShared(0), await askShared(1)]).toEqual([429, 429]);
    // Each memory-counting process allows the 4 on its own.
    for (let i = 0; i < 4; i++) expect([await ask(alone[0].url), await ask(alone[1].url)]).toEqual([200, 200]);
    expect(await ask(alone[0].url)).toBe(429);
  } finally {
    for (const { api: started } of [...shared, ...alone]) await started.stop();
  }
});

it('answers a wrong API key with HTTP 401 and WWW-Authenticate, not a server error', async () => {
  const response = await askGraphql(`${base}/graphql`, { key: 'not-a-key-anybody-issued' });
  expect(response.status).toBe(401);
  expect(response.headers.get('www-authenticate')).toBe('Bearer');
  const body = (await response.json()) as any;
  expect(body.errors).toEqual([{ message: 'The API key is not valid', extensions: { code: 'UNAUTHENTICATED', reason: 'AUTH_UNKNOWN_KEY' } }]);
  // Operators see refused requests in the metrics, beside the answered ones (an alert on a wave of wrong keys).
  const text = await (await fetch(`${base}/metrics`)).text();
  expect(metric(text, 'retention_api_responses_total{status="401"}')).toBeGreaterThanOrEqual(1);
  expect(metric(text, 'retention_api_responses_total{status="200"}')).toBeGreaterThanOrEqual(1);
});

it('answers a request without an API key with HTTP 401 as a whole, as a wrong key, but does not count it as a guess', async () => {
  const ask = () => askGraphql(`${base}/graphql`, { query: '{ me { role } customers(first: 1) { totalCount } }' });
  const response = await ask();
  expect(response.status).toBe(401);
  expect(response.headers.get('www-authenticate')).toBe('Bearer');
  expect(((await response.json()) as any).errors).toEqual([{ message: 'Send an API key: Authorization: Bearer <key>', extensions: { code: 'UNAUTHENTICATED', reason: 'AUTH_MISSING_CREDENTIALS' } }]);
  // More than the limit of wrong keys a minute (AUTH_FAILURES_PER_MINUTE, 30 here): none of them is refused with 429.
  for (let i = 0; i < 31; i++) expect((await ask()).status).toBe(401);
});

it('refuses a POST without a key, or with a header that is no bearer key, before reading its body (QA 66 F4)', async () => {
  const post = (body: string, headers: Record<string, string> = {}) => fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  // Broken JSON without a key: 401, not INVALID_JSON (which only parsing it tells); so with a 12 MB nested body, parsed for ~1 s before.
  const n = 6_000_000;
  for (const body of ['{"query": ', `{"query":"{me{id}}","variables":{"a":${'['.repeat(n)}${']'.repeat(n)}}}`]) {
    const anonymous = await post(body);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect(await anonymous.json()).toEqual({ errors: [{ message: 'Send an API key: Authorization: Bearer <key>', extensions: { code: 'UNAUTHENTICATED', reason: 'AUTH_MISSING_CREDENTIALS' } }] });
  }
  const basic = await post('{"query": ', { authorization: 'Basic dXNlcjpwdw==' });
  expect(basic.status).toBe(401);
  expect(await basic.json()).toEqual({ errors: [{ message: 'Authorization must be "Bearer <api key>"', extensions: { code: 'UNAUTHENTICATED', reason: 'AUTH_MALFORMED_CREDENTIALS' } }] });
  // With a key, the body is read as before.
  expect(((await (await post('{"query": ', { authorization: 'Bearer test-viewer-key-0123456789' })).json()) as any).errors[0].extensions.reason).toBe('INVALID_JSON');
  // The public endpoints need no key.
  expect((await fetch(`${base}/healthz`)).status).toBe(200);
  expect((await fetch(`${base}/metrics`)).status).toBe(200);
});

it('answers a malformed ID with HTTP 200 and a VALIDATION error, as every broken argument rule, so front ends read it as a GraphQL error', async () => {
  const response = await askGraphql(`${base}/graphql`, { key: 'test-viewer-key-0123456789', query: 'query ($id: ID!) { customer(id: $id) { id } }', variables: { id: 'nope' } });
  expect(response.status).toBe(200);
  expect(((await response.json()) as any).errors[0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_ARGUMENT', field: 'id' });
});

/**
 * A typo in a document is answered with its code and message, not the server's stack trace: Apollo adds one with absolute
 * server paths outside NODE_ENV=production unless told not to; the server's log has what a stack would tell.
 */
it('sends no stack trace with a document it cannot run, in any NODE_ENV', async () => {
  const key = 'test-viewer-key-0123456789';
  const answers = await Promise.all(
    [
      askGraphql(`${base}/graphql`, { key, query: '{ scoreDistribution { scores { mean } } }' }),
      askGraphql(`${base}/graphql`, { key, query: '{ me { role }' }),
      fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }),
      }),
    ].map(async (response) => (await response).json() as Promise<{ errors: { extensions: Record<string, unknown> }[] }>),
  );
  expect(answers.map((a) => a.errors[0].extensions.code)).toEqual(['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'PERSISTED_QUERY_NOT_SUPPORTED']);
  for (const answer of answers) expect(answer.errors[0].extensions).not.toHaveProperty('stacktrace');
});

it('answers a body it cannot read in the shape of GraphQL errors with a code, not an HTML page with a stack trace', async () => {
  const post = (body: string, contentType = 'application/json') =>
    fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': contentType, authorization: 'Bearer test-viewer-key-0123456789' }, body });
  const broken = await post('{"query": ');
  expect(broken.status).toBe(400);
  expect(broken.headers.get('content-type')).toMatch(/^application\/json/);
  expect(await broken.json()).toEqual({ errors: [{ message: 'The request body is not valid JSON', extensions: { code: 'BAD_REQUEST', reason: 'INVALID_JSON' } }] });

  // JSON, but no operation (QA 55 F3): said so, not "not valid JSON" nor Apollo's answer without a reason.
  for (const body of ['null', '"{ me { role } }"', '[]', '42']) {
    const notOperation = await post(body);
    expect(notOperation.status).toBe(400);
    expect(((await notOperation.json()) as any).errors[0].extensions).toEqual({ code: 'BAD_REQUEST', reason: 'NOT_AN_OPERATION' });
  }
  for (const body of ['{}', '{"query": 5}', '{"variables": {}}']) {
    const noQuery = await post(body);
    expect(noQuery.status).toBe(400);
    expect(((await noQuery.json()) as any).errors[0].extensions).toEqual({ code: 'BAD_REQUEST', reason: 'MISSING_QUERY' });
  }
  // Automatic persisted queries are off (QA 66 F7): a hash alone, or a wrong one beside its query (an internal error and an
  // error log line before), is answered PERSISTED_QUERY_NOT_SUPPORTED, which tells an APQ client to send the query itself; nothing is logged as unexpected.
  const errorsLogged = logLines.filter((l) => l.level === 50).length;
  for (const body of [{ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }, { query: '{ me { role } }', extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } } }]) {
    const persisted = await post(JSON.stringify(body));
    expect(persisted.status).toBe(200);
    expect(((await persisted.json()) as any).errors).toEqual([{ message: 'PersistedQueryNotSupported', extensions: expect.objectContaining({ code: 'PERSISTED_QUERY_NOT_SUPPORTED' }) }]);
  }
  expect(logLines.filter((l) => l.level === 50).length).toBe(errorsLogged);

  const tooLarge = await post(JSON.stringify({ query: `{ me { role } } # ${'x'.repeat(12 * 1024 * 1024)}` }));
  expect(tooLarge.status).toBe(413);
  expect(((await tooLarge.json()) as any).errors[0].extensions).toEqual({ code: 'BAD_REQUEST', reason: 'REQUEST_TOO_LARGE', limitBytes: 12 * 1024 * 1024 });

  // What `curl -d` sends (a form), or text: said to want JSON, not refused as a possible cross-site request forgery (QA 43 F6).
  for (const contentType of ['application/x-www-form-urlencoded', 'text/plain']) {
    const form = await post('{"query": "{ me { role } }"}', contentType);
    expect(form.status).toBe(415);
    expect(await form.json()).toEqual({ errors: [{ message: 'POST /graphql takes a JSON body: send the header Content-Type: application/json', extensions: { code: 'BAD_REQUEST', reason: 'UNSUPPORTED_CONTENT_TYPE' } }] });
  }

  const wrongCharset = await post('{"query": "{ me { role } }"}', 'application/json; charset=latin-9');
  expect(wrongCharset.status).toBe(415);
  expect(((await wrongCharset.json()) as any).errors[0].extensions).toEqual({ code: 'BAD_REQUEST', reason: 'UNREADABLE_REQUEST' });
});

it("gives Apollo's own refusals of a request a reason, as every malformed body's: variables that are no object, a GET query its CSRF guard refuses, a mutation by GET", async () => {
  const key = 'test-viewer-key-0123456789';
  const post = (body: Record<string, unknown>) =>
    fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ query: '{ me { role } }', ...body }) });
  const answer = async (response: Response) => ({ status: response.status, extensions: ((await response.json()) as any).errors[0].extensions });
  for (const variables of ['x', '{"n": 1}', [1], 5]) expect(await answer(await post({ variables }))).toEqual({ status: 400, extensions: { code: 'BAD_REQUEST', reason: 'INVALID_VARIABLES' } });
  expect(await answer(await post({ extensions: 'x' }))).toEqual({ status: 400, extensions: { code: 'BAD_REQUEST', reason: 'INVALID_EXTENSIONS' } });
  expect(await answer(await post({ operationName: 5 }))).toEqual({ status: 400, extensions: { code: 'BAD_REQUEST', reason: 'INVALID_OPERATION_NAME' } });
  expect(await answer(await post({ query: '' }))).toEqual({ status: 400, extensions: { code: 'BAD_REQUEST', reason: 'MISSING_QUERY' } });
  const get = (query: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/graphql?query=${encodeURIComponent(query)}`, { headers: { accept: 'application/json', authorization: `Bearer ${key}`, ...headers } });
  expect(await answer(await get('{ me { role } }'))).toEqual({ status: 400, extensions: { code: 'BAD_REQUEST', reason: 'CSRF_PREVENTED' } });
  // With the header a browser cannot send across origins without asking first, a GET query is answered.
  const preflighted = await get('{ me { role } }', { 'apollo-require-preflight': 'true' });
  expect(preflighted.status).toBe(200);
  expect(await preflighted.json()).toEqual({ data: { me: { role: 'Viewer' } } });
  expect(await answer(await get('mutation { optOut(customerId: "11111111-2222-4333-8444-555555555555") { id } }', { 'apollo-require-preflight': 'true' }))).toEqual({
    status: 405,
    extensions: { code: 'BAD_REQUEST', reason: 'MUTATION_OVER_GET' },
  });
});

it('refuses a huge document before lexing it whole: a query text over 100,000 characters, a document of over 10,000 tokens (QA 66 F1)', async () => {
  const viewer = 'test-viewer-key-0123456789';
  // 11.7 MB of `id id id ...` (under the 12 MB body limit) held the API's thread for 6 s and answered QUERY_TOO_COMPLEX.
  const started = Date.now();
  const huge = await askGraphql(`${base}/graphql`, { key: viewer, query: `{ me { ${'id '.repeat(3_900_000)}} }` });
  expect(huge.status).toBe(400);
  expect(((await huge.json()) as any).errors).toEqual([{ message: 'The query is longer than 100000 characters: send large values as variables', extensions: { code: 'BAD_REQUEST', reason: 'QUERY_TOO_LONG', limitChars: 100_000 } }]);
  const elapsedMs = Date.now() - started;
  expect(elapsedMs).toBeLessThan(3_000);
  // Under the length, over the tokens: graphql-js stops lexing at the limit.
  const many = await askGraphql(`${base}/graphql`, { key: viewer, query: `{ me { ${'id '.repeat(30_000)}} }` });
  expect(many.status).toBe(400);
  expect(((await many.json()) as any).errors[0]).toMatchObject({ message: 'The query has more than 10000 tokens; ask for less in one operation', extensions: { code: 'GRAPHQL_PARSE_FAILED', reason: 'QUERY_TOO_MANY_TOKENS', maxTokens: 10_000 } });
  // Up to the length, a document of few tokens is answered (comments are no tokens).
  const commented = await askGraphql(`${base}/graphql`, { key: viewer, query: `{ me { role } } # ${'x'.repeat(99_000)}` });
  expect(commented.status).toBe(200);
});

it('refuses a body whose JSON nests deeper than any input, with a code, not as a server error (QA 82 F3)', async () => {
  const n = 10_000;
  const answer = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer test-viewer-key-0123456789' },
    body: `{"query":"{ me { role } }","variables":{"x":${'['.repeat(n)}1${']'.repeat(n)}}}`,
  });
  expect(answer.status).toBe(400);
  expect(((await answer.json()) as any).errors).toEqual([
    { message: 'The request body nests values deeper than 64 levels; no input of this API nests that deep', extensions: { code: 'BAD_REQUEST', reason: 'REQUEST_TOO_DEEP', maxDepth: 64 } },
  ]);
});

it("keeps no request's variables once answered: a cost is remembered by a digest of the variables the operation declares (QA 82 F2)", async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const heapUsed = () => {
    gc();
    return process.memoryUsage().heapUsed;
  };
  const before = heapUsed();
  // Twenty requests of one operation, each with 2 MB of a variable it does not declare (each kept before: 40 MB).
  for (let i = 0; i < 20; i++) {
    const answer = await askGraphql(`${base}/graphql`, { key: 'test-viewer-key-0123456789', query: 'query Padded { me { role } }', variables: { pad: String(i).padEnd(2_000_000, 'x') } });
    expect(answer.status).toBe(200);
  }
  expect(heapUsed() - before).toBeLessThan(15_000_000);
});

it('refuses an address for the rest of the minute after too many wrong keys; keys that work are not counted', async () => {
  await forgetCounts();
  const { api: limited, url } = await startApi({ AUTH_FAILURES_PER_MINUTE: '3', TRUST_PROXY: 'loopback' });
  // Behind a trusted proxy (here: loopback), the client is the address the proxy names.
  const ask = (key: string, client: string) => askGraphql(url, { key, headers: { 'x-forwarded-for': client } });
  try {
    for (let i = 0; i < 5; i++) expect((await ask('test-viewer-key-0123456789', '203.0.113.7')).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await ask(`guessed-key-number-${i}-000000`, '203.0.113.7')).status).toBe(401);
    const refused = await ask('guessed-key-number-3-000000', '203.0.113.7');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refused.json()) as any).errors[0].extensions).toEqual({ code: 'RATE_LIMITED', reason: 'TOO_MANY_FAILED_AUTHENTICATIONS', limitPerMinute: 3 });
    // A key that works still opens the API from that address (whoever shares it cannot lock its client out);
    // any other key is refused without being looked up; another client behind the same proxy is not counted with it.
    expect((await ask('test-viewer-key-0123456789', '203.0.113.7')).status).toBe(200);
    expect((await ask('guessed-key-number-4-000000', '203.0.113.7')).status).toBe(429);
    expect((await ask('guessed-key-number-5-000000', '198.51.100.4')).status).toBe(401);
  } finally {
    await limited.stop();
  }
});

it('holds the limit of wrong keys for requests sent at once: each is counted before its lookup (QA 66 F3)', async () => {
  await forgetCounts();
  const { api: limited, url } = await startApi({ AUTH_FAILURES_PER_MINUTE: '3' });
  try {
    // Before, every request of a burst passed the check before the first failures were counted: 40 at once, 40 lookups and 401s.
    const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => askGraphql(url, { key: `burst-key-${i}-${'0'.repeat(20)}` }).then((r) => r.status)));
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(37);
    // A configured key still works from that address, and its requests (even at once) are not counted as attempts.
    const known = await Promise.all(Array.from({ length: 5 }, () => askGraphql(url, { key: 'test-viewer-key-0123456789' }).then((r) => r.status)));
    expect(known).toEqual([200, 200, 200, 200, 200]);
  } finally {
    await limited.stop();
  }
});

it('does not let a client name its own address unless a proxy is trusted', async () => {
  await forgetCounts();
  const { api: limited, url } = await startApi({ AUTH_FAILURES_PER_MINUTE: '2' });
  const ask = (client: string) => askGraphql(url, { key: 'guessed-key-0000000000', headers: { 'x-forwarded-for': client } });
  try {
    expect((await ask('192.0.2.1')).status).toBe(401);
    expect((await ask('192.0.2.2')).status).toBe(401);
    // A made-up X-Forwarded-For does not buy a fresh allowance: all three came from this connection's address.
    expect((await ask('192.0.2.3')).status).toBe(429);
  } finally {
    await limited.stop();
  }
});

it("keeps the database pool's connections under TCP keepalive, so one the database end dropped without a word does not hold a query for good", async () => {
  const pool = (await orm.em.getConnection().getNativeClient()) as { options: { keepAlive?: boolean; keepAliveInitialDelayMillis?: number } };
  expect(pool.options).toMatchObject({ keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
});

it('bounds the operations status read in the database: a table locked by a migration fails it within seconds instead of leaving it to hold a connection', async () => {
  const locker = orm.em.fork();
  await locker.begin();
  try {
    await locker.execute('lock table fix_case in access exclusive mode');
    const started = Date.now();
    await expect(new OperationsStatusService(orm.em.fork(), defaultPolicies, null).status()).rejects.toThrow(/(statement|lock) timeout/);
    expect(Date.now() - started).toBeLessThan(8_000);
  } finally {
    await locker.rollback();
  }
  await expect(new OperationsStatusService(orm.em.fork(), defaultPolicies, null).status()).resolves.toMatchObject({ openFixCases: expect.any(Number) });
});

it('serves GraphiQL with its assets from the project itself, not a CDN', async () => {
  const page = await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } });
  expect(page.status).toBe(200);
  // It may carry the admin dev key: no other site frames it.
  expect(page.headers.get('x-frame-options')).toBe('DENY');
  expect(page.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
  const html = await page.text();
  expect(html).not.toMatch(/https?:\/\//);
  const assets = [...html.matchAll(/(?:src|href)="(\/graphiql\/[^"]+)"/g)].map((m) => m[1]);
  expect(assets.length).toBe(4);
  for (const asset of assets) expect((await fetch(base + asset)).status).toBe(200);
  // The page may carry a development key: another origin's script may not read it (no CORS headers on it).
  const fromElsewhere = await fetch(`${base}/graphql`, { headers: { accept: 'text/html', origin: 'https://evil.example.net' } });
  expect(fromElsewhere.status).toBe(200);
  expect(fromElsewhere.headers.get('access-control-allow-origin')).toBeNull();
});

it('is ready while PostgreSQL and Temporal answer, and not ready once PostgreSQL is down', async () => {
  const up = await fetch(`${base}/readyz`);
  expect(up.status).toBe(200);
  expect(await up.json()).toEqual({ ready: true, checks: { database: { ok: true }, temporal: { ok: true } } });

  // This process hears API key revocations at once while its listening connection stands.
  const revocationsHeard = async () => /^retention_api_key_revocations_listening (\d)$/m.exec(await (await fetch(`${base}/metrics`)).text())?.[1];
  expect(await eventually(revocationsHeard, (v) => v === '1')).toBe('1');
  // The operations status is read at each scrape.
  await new Promise((r) => setTimeout(r, 1_100));
  const read = await (await fetch(`${base}/metrics`)).text();
  expect(metric(read, 'retention_operations_status_up')).toBe(1);
  expect(metric(read, 'retention_outbox_oldest_due_message_seconds')).toBeGreaterThanOrEqual(0);

  await pg.stop();
  const down = await fetch(`${base}/readyz`);
  expect(down.status).toBe(503);
  const body = (await down.json()) as any;
  expect(body.ready).toBe(false);
  expect(body.checks.database.ok).toBe(false);
  // Anyone who reaches the port may ask: the reason names no address or server message.
  expect(body.checks.database).toEqual({ ok: false, reason: 'unreachable' });
  expect(body.checks.temporal).toEqual({ ok: true });
  // No database: UNAVAILABLE to retry, without the database's address; logged with the ID its answer names.
  const failed = await askGraphql(`${base}/graphql`, { key: 'test-viewer-key-0123456789', query: '{ customers(first: 1) { totalCount } }' });
  const failure = ((await failed.json()) as any).errors[0];
  expect(failure).toMatchObject({ message: 'The database cannot be reached just now; try again shortly', extensions: { code: 'UNAVAILABLE', reason: 'DATABASE_UNAVAILABLE' } });
  expect(JSON.stringify(failure)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|stacktrace/);
  const failedId = failed.headers.get('x-request-id');
  expect(logLines.find((l) => l.msg === 'the database could not be reached in a GraphQL operation' && l.requestId === failedId)).toEqual(expect.objectContaining({ level: 40 }));
  // A key issued at run time cannot be looked up now: the whole request is unavailable, not unauthenticated.
  const unknownKey = await askGraphql(`${base}/graphql`, { key: 'an-issued-key-not-in-config-0123' });
  expect(unknownKey.status).toBe(503);
  expect(unknownKey.headers.get('retry-after')).toBe('5');
  expect(((await unknownKey.json()) as any).errors[0]).toMatchObject({ extensions: { code: 'UNAVAILABLE', reason: 'DATABASE_UNAVAILABLE' } });
  // Metrics still answer without the database: the database's figures could not be read, so their gauges are left out rather than
  // stale (an alert on them could not fire), and revocations are not heard now; Temporal's, read apart, stand (is it down too?
  // is a schedule paused?).
  await new Promise((r) => setTimeout(r, 1_100));
  const scraped = await fetch(`${base}/metrics`);
  expect(scraped.status).toBe(200);
  const unread = await scraped.text();
  expect(metric(unread, 'retention_operations_status_up')).toBe(0);
  expect(unread.match(/^retention_(outbox|rescore|fix_cases|invoices|customers|playbook_runs)\w*(\{.*\})? .*$/gm)).toBeNull();
  expect(metric(unread, 'retention_temporal_up')).toBe(1);
  expect(metric(unread, 'retention_workers_polling')).toBe(0);
  expect(unread.match(/^retention_schedule_exists\{schedule="[a-z-]+"\} \d$/gm)).toHaveLength(5);
  expect(await eventually(revocationsHeard, (v) => v === '0')).toBe('0');
});

it('answers UNAVAILABLE, not an internal error, when Temporal cannot be reached', async () => {
  const db = await createTestDatabase('offline');
  const config = loadConfig({ ...process.env, DATABASE_URL: db.url, TEMPORAL_ADDRESS: '127.0.0.1:1', NODE_ENV: 'production', API_KEYS: 'admin:test-admin-key-0123456789' });
  const offline = await connectTemporal(config.temporal.address, config.temporal.namespace, { lazy: true });
  const ormUp = await createOrm(db.url);
  await migrateUp(ormUp);
  try {
    const offlineApi = await createApi({ config, orm: ormUp, temporal: offline, logger: createLogger('silent', 'api') });
    const em = ormUp.em.fork();
    const customer = em.create(Customer, { name: 'Off Line', email: 'off@example.com', acquiredAt: new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10) });
    await em.flush();
    const response = await offlineApi.apollo.executeOperation(
      { query: 'mutation($id: ID!) { startWelcomeCheck(customerId: $id) { workflowId } }', variables: { id: customer.id } },
      { contextValue: await offlineApi.contextFor('Bearer test-admin-key-0123456789') },
    );
    const body = response.body.kind === 'single' ? response.body.singleResult : null;
    expect(body?.errors?.[0].extensions).toMatchObject({ code: 'UNAVAILABLE', reason: 'PLAYBOOK_ENGINE_UNAVAILABLE' });
    await offlineApi.stop();
  } finally {
    await ormUp.close();
    // The client tries a refused call again after a pause of up to 5 s (jittered, up to 6 s), past the API's own deadline:
    // closed before that try, its timer throws "Channel has been shut down" into whatever test runs then.
    await new Promise((resolve) => setTimeout(resolve, 6_500));
    await offline.close();
    await db.drop();
  }
}, 30_000);

it('answers introspection and serves the IDE only where configured (both off in production)', async () => {
  const introspect = (url: string) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer test-viewer-key-0123456789' },
      body: JSON.stringify({ query: '{ __schema { queryType { name } } }' }),
    }).then((r) => r.json() as Promise<{ data?: unknown; errors?: { extensions: { code: string } }[] }>);
  expect(await introspect(`${base}/graphql`)).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });

  const config = loadConfig({ ...process.env, DATABASE_URL: pg.url, PORT: '0', NODE_ENV: 'production', API_KEYS: 'viewer:test-viewer-key-0123456789' });
  expect(config.api).toMatchObject({ introspection: false, ide: false });
  const closed = await createApi({ config, orm, temporal, logger: createLogger('silent', 'api') });
  try {
    const url = (await closed.listen()).url;
    const refused = await introspect(url);
    expect(refused.data).toBeUndefined();
    expect(refused.errors![0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    // Nor does it suggest field names in its errors.
    const misspelt = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer test-viewer-key-0123456789' }, body: JSON.stringify({ query: '{ customerz { totalCount } }' }) }).then((r) => r.json() as Promise<{ errors: { message: string }[] }>);
    expect(misspelt.errors[0].message).toMatch(/Cannot query field "customerz"/);
    expect(misspelt.errors[0].message).not.toMatch(/Did you mean/);
    const page = await fetch(url, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toMatch(/graphiql/i);
  } finally {
    await closed.stop();
  }
});

it('lets browser front ends on the configured origins call it (CORS), and no other origin', async () => {
  const preflight = (url: string, origin: string) =>
    fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
  // Development: any origin (a key is still needed).
  const open = await preflight(`${base}/graphql`, 'http://localhost:5173');
  expect(open.status).toBe(204);
  expect(open.headers.get('access-control-allow-origin')).toBe('*');
  expect(open.headers.get('access-control-allow-headers')).toMatch(/authorization/);

  const env = { ...process.env, DATABASE_URL: pg.url, PORT: '0', NODE_ENV: 'production', API_KEYS: 'viewer:test-viewer-key-0123456789' };
  expect(loadConfig(env).api.corsOrigins).toEqual([]);
  expect(() => loadConfig({ ...env, CORS_ORIGINS: 'https://app.example.com/dashboard' })).toThrow(/CORS_ORIGINS must list origins/);
  const listed = await createApi({ config: loadConfig({ ...env, CORS_ORIGINS: 'https://app.example.com, https://admin.example.com' }), orm, temporal, logger: createLogger('silent', 'api') });
  try {
    const url = (await listed.listen()).url;
    expect((await preflight(url, 'https://admin.example.com')).headers.get('access-control-allow-origin')).toBe('https://admin.example.com');
    expect((await preflight(url, 'https://evil.example.net')).headers.get('access-control-allow-origin')).toBeNull();
    const answered = await fetch(url, {
      method: 'POST',
      headers: { origin: 'https://app.example.com', 'content-type': 'application/json', authorization: 'Bearer test-viewer-key-0123456789' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(answered.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    // The page may read the request's ID and, when limited, when to try again.
    expect(answered.headers.get('access-control-expose-headers')).toBe('x-request-id,ratelimit,ratelimit-policy,retry-after');
    expect(await answered.json()).toEqual({ data: { __typename: 'Query' } });
  } finally {
    await listed.stop();
  }
});
