import './require-node.js';
import 'reflect-metadata';
import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { startApiProcess } from '../app/api-process.js';
import { onStopSignal } from '../app/stop-signals.js';
import { startWorkerProcess } from '../app/worker-process.js';
import { ConfigError, loadConfig, localAddress, localServerPorts } from '../config/config.js';
import { createOrm, migrateUp } from '../db/orm.js';
import { demoDayRescore, type RecordedRun } from '../dev/demo-first-day.js';
import { loadDemoDataIfEmpty } from '../dev/demo-loader.js';
import { startBanner } from '../dev/start-banner.js';
import { Customer } from '../entities/index.js';
import { apiKeysSpec, devApiKeys } from '../dev/dev-api-keys.js';
import { startEmbeddedPostgres } from '../dev/embedded-postgres.js';
import { isPortOpen } from '../dev/ports.js';
import { ensureTemporalCli, startTemporalDevServer } from '../dev/temporal-dev-server.js';
import { pino } from 'pino';
import { createLogger } from '../logger.js';
import { parseApiKeys } from '../services/auth/api-keys.js';
import { connectTemporal } from '../temporal/client.js';
import { sweepPlaybookTriggersNow } from '../temporal/schedules.js';
import { registerSearchAttributes } from '../temporal/search-attributes.js';
import { TemporalScoringEngine } from '../temporal/temporal-scoring-engine.js';
import { defaultRescorePolicy } from '../domain/scoring/scoring-policy.js';

/**
 * `npm start`: the whole system on one machine. PostgreSQL and Temporal are
 * started here unless DATABASE_URL / TEMPORAL_ADDRESS point elsewhere; then
 * migrations, demo data (scored by a first rescore, then a first playbook trigger
 * sweep), one worker and the API.
 * Ctrl-C stops what it started.
 */

/** An address of this machine (a name that resolves to one): what the API listens on; tried on a port the system picks, at once closed. */
async function canListenOn(host: string): Promise<void> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, resolve);
    });
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new ConfigError(`HOST must be an address of this machine for the API to listen on, got "${host}" (${code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'no such name' : message})`);
  } finally {
    server.close();
  }
}

const env = process.env;
// The settings are checked before anything starts: a mistyped one is said at once, as a line, not after PostgreSQL and Temporal came up.
// API_KEYS (read by the API) and HOST (first used when the API listens) too: the API starts last, after migrations and the worker.
let ports: ReturnType<typeof localServerPorts>;
let logLevel: string;
// DEMO_DATA=off: an empty database stays empty, for a team loading its own data (e.g. CDNOW with the import) into npm start's system.
let demoData = true;
try {
  const demo = env.DEMO_DATA?.trim().toLowerCase() || 'on';
  if (demo !== 'on' && demo !== 'off') throw new ConfigError(`DEMO_DATA must be on or off, got "${env.DEMO_DATA}"`);
  demoData = demo === 'on';
  const checked = loadConfig({ ...env, DATABASE_URL: env.DATABASE_URL || 'postgres://not-started-yet' });
  ports = localServerPorts(env);
  // As the API and the worker read it: an empty LOG_LEVEL= (a blank line of an env file) is unset, not a level pino refuses.
  logLevel = checked.logLevel;
  try {
    parseApiKeys(env.API_KEYS ?? '');
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  if (env.HOST) await canListenOn(checked.api.host);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`npm start: ${error.message}\n`);
  process.exit(1);
}
const dataDir = path.resolve(env.DATA_DIR || '.data');
// Written at once: the first start blocks for minutes building the Temporal CLI, and an asynchronous write would show the line saying so only after it.
const log = createLogger(logLevel, 'start', pino.destination({ dest: 1, sync: true }));
const stops: Array<[string, () => Promise<void>]> = [];

let stopping: Promise<never> | null = null;
/** Stops what was started here, last started first, once (a signal may come while a failed start stops), and exits. */
function shutdown(code: number): Promise<never> {
  stopping ??= stopAll(code);
  return stopping;
}

async function stopAll(code: number): Promise<never> {
  for (const [name, stop] of stops.reverse()) {
    try {
      await stop();
      log.info(`${name} stopped`);
    } catch (error) {
      log.error({ err: error }, `${name} did not stop cleanly`);
    }
  }
  process.exit(code);
}
const leftRunning = (server: string) => `reusing the ${server} an earlier npm start left running when it was killed; it stops with this one`;
onStopSignal(() => shutdown(0), () => log.info('already stopping: the worker drains, then the servers stop'));

try {
  let temporalUi: string | null = null;
  // Temporal is the dev server started (or reused) here: `npm run migrate` needs its address as TEMPORAL_ADDRESS.
  let embeddedTemporal = false;
  // The embedded PostgreSQL's URL (a development password): the command-line tools (import, demo-data, migrate) need it as DATABASE_URL.
  let embeddedDatabase: string | null = null;
  if (!env.DATABASE_URL) {
    const pg = await startEmbeddedPostgres({
      dataDir: path.join(dataDir, 'postgres'),
      port: ports.postgres,
      database: 'retention',
      log: (m) => log.warn(m),
      // Stopped last, below: the worker still writes while it drains (and out of the terminal's process group, so Ctrl-C does not stop it first).
      handleSignals: false,
      ownerFile: path.join(dataDir, 'postgres.owner.json'),
      logFile: path.join(dataDir, 'postgres.log'),
    });
    if (pg.startedHere || pg.takenOver) stops.push(['PostgreSQL', pg.stop]);
    log.info({ url: pg.url.replace(/:[^:@]+@/, ':***@') }, pg.startedHere ? 'embedded PostgreSQL started' : pg.takenOver ? leftRunning('PostgreSQL') : 'reusing running PostgreSQL');
    env.DATABASE_URL = pg.url;
    embeddedDatabase = pg.url;
  }
  if (!env.TEMPORAL_ADDRESS) {
    const binary = ensureTemporalCli(path.resolve('.cache'), (m) => log.info(m));
    const temporal = await startTemporalDevServer({
      binary,
      port: ports.temporal,
      uiPort: ports.temporalUi,
      dbFile: path.join(dataDir, 'temporal.sqlite'),
      logFile: path.join(dataDir, 'temporal.log'),
      ownerFile: path.join(dataDir, 'temporal.owner.json'),
      // Stopped after the worker drains, not by the terminal's Ctrl-C (as PostgreSQL, started with handleSignals false).
      ownProcessGroup: true,
    });
    if (temporal.startedHere || temporal.takenOver) stops.push(['Temporal dev server', temporal.stop]);
    log.info(
      { address: temporal.address },
      temporal.startedHere ? 'Temporal dev server started' : temporal.takenOver ? leftRunning('Temporal dev server') : 'reusing running Temporal server',
    );
    env.TEMPORAL_ADDRESS = temporal.address;
    temporalUi = temporal.uiUrl;
    embeddedTemporal = true;
  }
  const devKeys = env.API_KEYS ? null : await devApiKeys(dataDir);
  if (devKeys) env.API_KEYS = apiKeysSpec(devKeys);
  // What the playbooks send is written beside the rest of this machine's data, to read instead of an inbox.
  env.MESSAGE_LOG_FILE ||= path.join(dataDir, 'messages.log');

  const config = loadConfig();
  if (await isPortOpen(config.api.port, localAddress(config.api.host))) {
    throw new Error(`Port ${config.api.port} (GraphQL API) is already in use (another npm start?). Stop it or set PORT.`);
  }
  if (config.workerMetricsPort && (await isPortOpen(config.workerMetricsPort))) {
    throw new Error(`Port ${config.workerMetricsPort} (worker metrics) is already in use (another npm start?). Stop it or set WORKER_METRICS_PORT (0 turns the metrics off).`);
  }

  const orm = await createOrm(config.databaseUrl);
  let loaded = 0;
  // The demo's history ends today, so recent purchases, overdue invoices and open issues are recent now; with
  // about 20 purchases each, customers have a rhythm, so the churn model sees the drifting ones' silence as risk.
  const today = new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
  // Until the demo's first day is done (scored twice, swept once), a marker names its database: a start stopped
  // midway finishes it at the next one, instead of leaving week-old scores (or none) and no runs until the nightly schedules.
  const firstDayPending = path.join(dataDir, 'demo-first-day.pending');
  const weekAgo = new Date(today.getTime() - 7 * 86_400_000).toISOString().slice(0, 10);
  const firstDays = [weekAgo, today.toISOString().slice(0, 10)];
  let firstDayRuns: RecordedRun[] = [];
  try {
    const applied = await migrateUp(orm);
    // Written before the load: a start stopped right after it (or in it, before its commit) leaves the marker too.
    const empty = (await orm.em.fork().count(Customer)) === 0;
    if (empty && demoData) await writeFile(firstDayPending, config.databaseUrl);
    loaded = demoData ? await loadDemoDataIfEmpty(orm.em.fork(), 250, { asOf: today, ordersPerCustomer: 20 }) : 0;
    log.info({ migrations: applied, demoCustomers: loaded }, 'database ready');
    if (empty && !demoData) log.info('DEMO_DATA=off: no demo data loaded; import your own (npm run import), then rescore (startRescore)');
    // The first day's rescores an earlier start began (stopped midway) as they recorded themselves: Temporal finishes those still running.
    firstDayRuns = await orm.em
      .fork()
      .execute<RecordedRun[]>(`select id, to_char(as_of, 'YYYY-MM-DD') as "asOf", status from scoring_run where as_of in (?, ?) order by started_at`, firstDays);
  } finally {
    await orm.close();
  }
  const temporal = await connectTemporal(config.temporal, config.temporal.namespace);
  await registerSearchAttributes(temporal.connection, config.temporal.namespace);

  const worker = await startWorkerProcess(config, createLogger(config.logLevel, 'worker'), { handleSignals: false });
  stops.push(['worker', worker.stop]);
  let firstDay: Promise<void> = Promise.resolve();
  // The marker names the database on its first line, then each rescore started for the first day (`<day> <run ID>`): one
  // started by a start stopped before the run recorded itself (its first step) is found there, still running in Temporal.
  const [markedDatabase, ...marked] = (await readFile(firstDayPending, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  // (DEMO_DATA=off: an earlier start's unfinished demo is left as it is, and an empty database is not scored.)
  const pending = demoData && markedDatabase === config.databaseUrl;
  if (pending) {
    for (const line of marked) {
      const [asOf, id] = line.split(' ');
      if (id && !firstDayRuns.some((run) => run.id === id)) firstDayRuns.push({ id, asOf, status: 'running' });
    }
    // Fresh demo data is scored at once, so scores, segments and risk bands show from the start (the nightly schedule
    // keeps them current): first as of a week ago, then as of today, so the week's band moves show too (scoreBandChanges,
    // the customer timeline, the saved "moved this week" segment), as they would after a week of nightly runs.
    const scoring = new TemporalScoringEngine(temporal.client, config.temporal.taskQueue);
    firstDay = (async () => {
      for (const asOf of firstDays) {
        const rescore = await demoDayRescore(asOf, firstDayRuns, {
          isRunning: (runId) => scoring.isRescoreRunning(runId),
          start: async () => {
            const { runId } = await scoring.startRescore({ trigger: 'npm start (new demo data)', asOf, policy: defaultRescorePolicy });
            await appendFile(firstDayPending, `\n${asOf} ${runId}`);
            return runId;
          },
        });
        if (!rescore) {
          log.info({ asOf }, 'the demo data is scored as of this day already');
          continue;
        }
        log.info({ runId: rescore.runId, asOf }, rescore.how === 'resumed' ? 'scoring the demo data (the rescore an earlier start began)' : 'scoring the demo data');
        await temporal.client.workflow.getHandle(rescore.runId).result();
      }
      // Once scored, the trigger sweep runs once, so the playbooks the demo calls for run today, not after the next morning's sweep.
      if (config.triggersSchedule) {
        await sweepPlaybookTriggersNow(temporal.client, config.temporal.taskQueue);
        log.info('demo data scored; the playbook trigger sweep is starting its runs');
      }
      await rm(firstDayPending, { force: true });
    })().catch((error: unknown) => log.warn({ err: error }, 'scoring the demo data or its first trigger sweep did not finish; the next npm start finishes it (the schedules run them at their time meanwhile)'));
  }
  void firstDay.finally(() => temporal.close());
  const api = await startApiProcess(config, createLogger(config.logLevel, 'api'), devKeys ? { Authorization: `Bearer ${devKeys.admin}` } : undefined);
  stops.push(['API', api.stop]);

  const lines = startBanner({
    apiUrl: api.url,
    ide: config.api.ide,
    temporalUi,
    temporalAddress: config.temporal.address,
    embeddedTemporal,
    workerMetricsPort: config.workerMetricsPort,
    embeddedDatabase,
    messagesFile: config.delivery.channel === 'log' ? config.delivery.file : null,
    devKeys,
    devKeysFile: path.join(dataDir, 'dev-api-keys.json'),
  });
  process.stdout.write(lines.join('\n') + '\n');
} catch (error) {
  log.error({ err: error }, error instanceof Error ? error.message : 'start failed');
  await shutdown(1);
}
