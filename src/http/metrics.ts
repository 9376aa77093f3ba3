import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { bearerToken } from '../services/auth/api-keys.js';
import { withinTime } from '../services/common/within-time.js';
import type { DatabaseOperationsStatus, EngineOperationsStatus } from '../services/operations/operations-status.service.js';

/** Where a part of the operations status comes from: each is read apart, so one down hides nothing of the other. */
export type StatusSource = 'database' | 'temporal';

/**
 * Prometheus metrics of the API process, served at GET /metrics: its own operations, and the
 * operations status of the whole deployment, its figures read from the database (`status.database`)
 * and from Temporal (`status.engine`) apart, so operators can alert on stalled delivery, a missed
 * nightly rescore or piling-up work, and on workers or schedules standing still, whichever is down.
 */
export function createApiMetrics(
  options: {
    status?: { database: () => Promise<DatabaseOperationsStatus>; engine?: () => Promise<EngineOperationsStatus> };
    onStatusFailed?: (error: unknown, source: StatusSource) => void;
    /** Whether revocations are heard now, and how long a key is trusted without hearing of one. */
    revocations?: { heard: () => boolean; cacheMs: number };
  } = {},
) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  if (options.status) operationsGauges(registry, options.status, options.onStatusFailed ?? (() => undefined));
  const { revocations } = options;
  if (revocations) {
    new Gauge({
      name: 'retention_api_key_revocations_listening',
      help: `1 while this API process hears API key revocations at once; 0 while its listening connection is down (a revoked key may work here for up to ${revocations.cacheMs / 1000} s)`,
      registers: [registry],
      collect() {
        this.set(revocations.heard() ? 1 : 0);
      },
    });
  }
  const operations = new Counter({
    name: 'graphql_operations_total',
    help: 'GraphQL operations by name, type and result',
    labelNames: ['operation', 'type', 'result'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'GraphQL operation duration',
    labelNames: ['operation', 'type'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  // Every answer of /graphql by status, those refused before GraphQL runs too (401 wrong key, 429 limits, 4xx bodies).
  const responses = new Counter({
    name: 'retention_api_responses_total',
    help: 'Answers of /graphql by HTTP status, including requests refused before any GraphQL ran (401: wrong API key, 429: rate limits)',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const countResponses: RequestHandler = (_req, res, next) => {
    res.once('finish', () => responses.inc({ status: String(res.statusCode) }));
    next();
  };

  // Clients name their operations: the first OPERATION_LABELS names get series of their own, later ones count as "other", so no client can grow the series without bound.
  const named = new Set<string>();
  const operationLabel = (name: string | null | undefined) => {
    if (!name) return 'anonymous';
    if (named.has(name)) return name;
    if (named.size >= OPERATION_LABELS) return 'other';
    named.add(name);
    return name;
  };

  const plugin: ApolloServerPlugin = {
    async requestDidStart() {
      const end = duration.startTimer();
      return {
        async willSendResponse({ operationName, operation, errors }) {
          const labels = { operation: operationLabel(operationName), type: operation?.operation ?? 'unknown' };
          end(labels);
          operations.inc({ ...labels, result: errors?.length ? 'error' : 'ok' });
        },
      };
    },
  };
  return { registry, plugin, countResponses };
}

/** How many operation names get series of their own: a front end's documents, with room to spare. */
export const OPERATION_LABELS = 300;

/** How long a scrape waits for a part of the operations status before it reports it unread (`retention_operations_status_up 0`, `retention_temporal_up 0`). */
const STATUS_READ_LIMIT_MS = 3_000;

/**
 * One source's part of the status, read once per scrape (its gauges share it), within the limit.
 * A source that does not answer (a locked or overloaded database, a Temporal that takes the connection
 * and says nothing) is a failed read within the limit, below any scrape timeout; while such a read is
 * still pending (the database ends it within seconds), scrapes do not start more of them, so giving up
 * on reads never piles them up on the pool's connections. Null: this scrape could not read it.
 */
function scrapeReader<T>(source: StatusSource, read: () => Promise<T>, onFailed: (error: unknown, source: StatusSource) => void): () => Promise<T | null> {
  let current: { at: number; read: Promise<T | null> } | null = null;
  let pending: Promise<T> | null = null;
  return () => {
    if (!current || Date.now() - current.at > 1_000) {
      const reading =
        pending ??
        read().finally(() => {
          pending = null;
        });
      pending = reading;
      const attempt = withinTime(reading, STATUS_READ_LIMIT_MS).catch((error: unknown) => {
        onFailed(error, source);
        return null;
      });
      current = { at: Date.now(), read: attempt };
      return attempt;
    }
    return current.read;
  };
}

/**
 * The operations gauges, in two groups by where their figures come from: the database's (delivery, rescores,
 * open work, runs under way) and Temporal's (workers, schedules). A failed read leaves out the gauges of its
 * own source for that scrape, so no stale or zero figure reads as "all well", and its `up` gauge says 0:
 * `retention_operations_status_up` for the database (the name alerts were set on), `retention_temporal_up`
 * for Temporal. The other source's gauges stand: during a database incident an operator still sees whether
 * Temporal is down too, or a schedule paused.
 */
function operationsGauges(
  registry: Registry,
  status: { database: () => Promise<DatabaseOperationsStatus>; engine?: () => Promise<EngineOperationsStatus> },
  onFailed: (error: unknown, source: StatusSource) => void,
): void {
  const readDatabase = scrapeReader('database', status.database, onFailed);
  const readEngine = status.engine ? scrapeReader('temporal', status.engine, onFailed) : null;
  const gauge = <S, L extends string>(read: () => Promise<S | null>, name: string, help: string, labelNames: readonly L[], set: (g: Gauge<L>, s: S) => void) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        // Only what this scrape read: every series is dropped first (`reset` would set a gauge without labels to 0).
        if (labelNames.length) this.reset();
        else this.remove();
        const s = await read();
        if (s) set(this, s);
      },
    });
  const fromDatabase = <L extends string>(name: string, help: string, labelNames: readonly L[], set: (g: Gauge<L>, s: DatabaseOperationsStatus) => void) =>
    gauge(readDatabase, name, help, labelNames, set);
  new Gauge({
    name: 'retention_operations_status_up',
    help: "Whether this scrape could read the operations status's figures from the database: 1, or 0 and the gauges read from it (outbox, rescore, fix cases, invoices, customers, playbook runs) are left out (not stale); Temporal's (retention_temporal_up, workers, schedules) stand on their own",
    registers: [registry],
    async collect() {
      this.set((await readDatabase()) ? 1 : 0);
    },
  });
  fromDatabase('retention_outbox_messages', 'Unsent messages: due now for their first attempt, retrying (an attempt failed: the channel refused it for now or could not be reached; tried again after a back-off), deferred (held with no failed attempt: quiet hours, an earlier reminder of its run not gone out), undeliverable (delivery gave up: waiting for a person); one over the contact budget is held back for good, not counted here', ['state'], (g, s) => {
    g.set({ state: 'due' }, s.dueMessages);
    g.set({ state: 'retrying' }, s.retryingMessages);
    g.set({ state: 'deferred' }, s.deferredMessages);
    g.set({ state: 'undeliverable' }, s.undeliverableMessages);
  });
  fromDatabase('retention_outbox_oldest_due_message_seconds', 'How long the oldest message due now or being retried has waited (0 without one): growing means delivery stalls or the channel fails; one being retried has waited since it first became due, its back-offs included', [], (g, s) => g.set(s.oldestDueMessageSeconds));
  fromDatabase('retention_rescore_last_completed_timestamp_seconds', 'When the completed rescore of the newest day scored finished, backfills of earlier days not counted (Unix time; 0 before the first)', [], (g, s) => g.set((s.lastRescoreCompletedAt?.getTime() ?? 0) / 1000));
  // That rescore's model fits: one that did not converge leaves the run scoring with an earlier rescore's fit, or with uncertain parameters.
  fromDatabase('retention_rescore_fit_converged', "Whether the model's fit by the completed rescore of the newest day scored (the one of retention_rescore_last_completed_timestamp_seconds) converged: 1, or 0 (the run scored with an earlier rescore's converged fit, retention_rescore_fit_scored_with_earlier 1, or without one with the parameters where the optimiser stopped: uncertain churn risks or CLVs); absent before the first rescore, and for a model the base gave nothing to fit", ['model'], (g, s) => {
    for (const fit of s.latestRescoreFits) g.set({ model: fit.kind }, fit.converged ? 1 : 0);
  });
  fromDatabase('retention_rescore_fit_scored_with_earlier', "Whether the completed rescore of the newest day scored used an earlier rescore's converged fit of the model because its own did not converge: 1, or 0 (with its own fit; uncertain values when retention_rescore_fit_converged is 0 too)", ['model'], (g, s) => {
    for (const fit of s.latestRescoreFits) g.set({ model: fit.kind }, fit.scoredWithAsOf ? 1 : 0);
  });
  fromDatabase('retention_fix_cases_open', 'Fix cases open (persistent issues someone owns)', [], (g, s) => g.set(s.openFixCases));
  fromDatabase('retention_invoices_overdue_left_to_people', 'Open invoices past due that nothing chases, left to a person: further past due than the trigger sweep chases with no reminder run (startFairReminder), or whose newest reminder run ended without completing (cancelled, terminated, failed), as paid before the invoice opened again, or by handing it to a person (call-scheduled, follow-up-requested); as overdueInvoices(leftToPeople: true) lists them', [], (g, s) => g.set(s.overdueInvoicesLeftToPeople));
  fromDatabase('retention_customers_past_retention', "Offboarded customers past the retention period (ERASE_OFFBOARDED_AFTER_DAYS) whose personal data is still kept: left for later by the retention sweep as a playbook run of theirs is under way (the worker's log names them and the runs), or past it since the last sweep; as operationsStatus.customersPastRetention", [], (g, s) => g.set(s.customersPastRetention));
  fromDatabase('retention_playbook_runs_running', 'Playbook runs under way, by playbook', ['playbook'], (g, s) => {
    for (const { playbook, runs } of s.runningPlaybookRuns) g.set({ playbook }, runs);
  });
  if (!readEngine) return;
  const fromTemporal = <L extends string>(name: string, help: string, labelNames: readonly L[], set: (g: Gauge<L>, s: EngineOperationsStatus) => void) =>
    gauge(readEngine, name, help, labelNames, set);
  new Gauge({
    name: 'retention_temporal_up',
    help: "Whether Temporal answered this scrape in time: 1, or 0 (playbooks, delivery and rescores stand still; the worker and schedule gauges are then left out); read apart from the database, so it stands while the database is down (retention_operations_status_up 0)",
    registers: [registry],
    async collect() {
      const s = await readEngine();
      // A read given up on is Temporal not answering in time; absent only where this process does not ask Temporal.
      if (s === null) this.set(0);
      else if (s.engineReachable === null) this.remove();
      else this.set(s.engineReachable ? 1 : 0);
    },
  });
  fromTemporal('retention_workers_polling', "Workers polling the deployment's task queue (Temporal keeps a poller for a few minutes after its last poll)", [], (g, s) => {
    if (s.workers) g.set(s.workers.polling);
  });
  fromTemporal('retention_worker_last_poll_seconds', 'Seconds since a worker last polled the task queue, as this process has seen (growing: no worker takes the work; absent until one was seen, when retention_workers_polling is 0)', [], (g, s) => {
    if (s.workers?.lastPollSecondsAgo != null) g.set(s.workers.lastPollSecondsAgo);
  });
  // The platform's schedules: one an operator paused or deleted in Temporal starts nothing, and nothing else says so.
  // Left out while Temporal cannot be asked, as the workers' gauges are.
  fromTemporal('retention_schedule_exists', "Whether the deployment's schedule exists in Temporal: 1, or 0 (deleted there: the worker puts it back as it starts; or switched off in the configuration)", ['schedule'], (g, s) => {
    for (const schedule of s.schedules ?? []) g.set({ schedule: schedule.name }, schedule.exists ? 1 : 0);
  });
  fromTemporal('retention_schedule_paused', 'Whether the schedule is paused in Temporal: 1 (it starts nothing until unpaused; the run reconciliation paused leaves runs and campaigns ended in Temporal shown as they were), or 0; absent when it does not exist', ['schedule'], (g, s) => {
    for (const schedule of s.schedules ?? []) if (schedule.exists) g.set({ schedule: schedule.name }, schedule.paused ? 1 : 0);
  });
  fromTemporal('retention_schedule_last_run_timestamp_seconds', 'When the schedule last started its workflow (Unix time); absent when it has not since it was created, or does not exist', ['schedule'], (g, s) => {
    for (const schedule of s.schedules ?? []) if (schedule.lastRunAt) g.set({ schedule: schedule.name }, schedule.lastRunAt.getTime() / 1000);
  });
  fromTemporal('retention_schedule_next_run_timestamp_seconds', 'When the schedule starts its workflow next (Unix time); absent while it is paused, or does not exist', ['schedule'], (g, s) => {
    for (const schedule of s.schedules ?? []) if (schedule.nextRunAt) g.set({ schedule: schedule.name }, schedule.nextRunAt.getTime() / 1000);
  });
}

/**
 * Who may read GET /metrics: with a token, only a scraper that sends it as a bearer token
 * (the scheme in any case, as the API reads a key; the token compared in constant time; 401
 * otherwise); without one, anyone who reaches the port, so the port stays internal.
 */
export function metricsAccess(token: string | null): RequestHandler {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  const expected = token ? digest(token) : null;
  return (req, res, next) => {
    if (!expected || timingSafeEqual(digest(bearerToken(req.get('authorization') ?? '') ?? ''), expected)) return next();
    res.status(401).setHeader('www-authenticate', 'Bearer').type('text/plain').send('GET /metrics needs the METRICS_TOKEN as a bearer token\n');
  };
}
