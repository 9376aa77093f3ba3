import { NativeConnection, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { createActivities } from '../activities/index.js';
import { TemporalPlaybookEngine } from './temporal-playbook-engine.js';
import { TemporalCampaignEngine } from './temporal-campaign-engine.js';
import { TemporalScoringEngine } from './temporal-scoring-engine.js';
import type { Orm } from '../db/orm.js';
import type { Policies } from '../domain/policies/index.js';
import type { Logger } from '../logger.js';
import { PinoTemporalLogger } from './temporal-logger.js';
import { hasPrebuiltBundle, prebuiltBundlePath, workflowsPath } from './workflow-bundle.js';
import { isIPv4, isIPv6 } from 'node:net';
import type { TemporalEndpoint } from '../config/config.js';
import { temporalConnectionOptions } from './client.js';
import { UpdateAnswerWaits } from '../services/audit/steering-audit.service.js';

let runtimeInstalled = false;

/**
 * The socket address the worker's metrics listen on, from a HOST setting: Temporal's runtime
 * takes an IP address (an IPv6 one in brackets), not a name; `localhost` is loopback, and any
 * other name all interfaces, as the worker listened before it followed HOST.
 */
export function metricsBindAddress(host: string, port: number): string {
  if (isIPv6(host)) return `[${host}]:${port}`;
  if (isIPv4(host)) return `${host}:${port}`;
  return `${host.toLowerCase() === 'localhost' ? '127.0.0.1' : '0.0.0.0'}:${port}`;
}

/**
 * Installs the process-wide Temporal runtime once: SDK and core logs go to our
 * logger, worker metrics are served for Prometheus on `metricsPort` (0 = off).
 */
export function installTemporalRuntime(logger: Logger, metricsPort: number, opts: { handleSignals?: boolean; metricsHost: string }): void {
  if (runtimeInstalled) return;
  const metricsAddress = metricsPort > 0 ? metricsBindAddress(opts.metricsHost, metricsPort) : null;
  try {
    Runtime.install({
      logger: new PinoTemporalLogger(logger),
      // A process that stops other things too (npm start) orders the shutdown itself.
      shutdownSignals: opts.handleSignals === false ? [] : ['SIGINT', 'SIGTERM', 'SIGQUIT'],
      telemetryOptions: {
        logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
        ...(metricsAddress ? { metrics: { prometheus: { bindAddress: metricsAddress } } } : {}),
      },
    });
  } catch (error) {
    // The runtime says "Failed to start prometheus metrics exporter: Address already in use", naming neither the setting nor the port.
    if (metricsAddress && /prometheus|metrics/i.test((error as Error).message))
      throw new Error(`WORKER_METRICS_PORT ${metricsPort}: the worker's metrics cannot listen on ${metricsAddress} (${(error as Error).message}); another worker on this machine? Set another port, or 0 to turn them off`, { cause: error });
    throw error;
  }
  runtimeInstalled = true;
}

export interface WorkerSettings extends TemporalEndpoint {
  namespace: string;
  taskQueue: string;
}

/**
 * The worker; its activities reach Temporal (to start playbooks) through `client`, and decide by `policies` (the API's).
 * `answerWaits`: the steering audits' waits for an update's answer, which outlive their activity: close it once the worker
 * has stopped, before `client` and the databases close. A wait that fails is logged (the run reconciliation settles its entry).
 */
export async function createWorker(settings: WorkerSettings, orm: Orm, client: Client, policies: Policies, stepsOrm: Orm = orm): Promise<{ worker: Worker; connection: NativeConnection; answerWaits: UpdateAnswerWaits }> {
  const answerWaits = new UpdateAnswerWaits((error) =>
    Runtime.instance().logger.warn('waiting for the answer to an update typed in the Temporal UI failed; the run reconciliation settles its audit entry', { error: String(error) }),
  );
  const connection = await NativeConnection.connect(temporalConnectionOptions(settings));
  const worker = await Worker.create({
    connection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    activities: createActivities(orm, {
      playbooks: new TemporalPlaybookEngine(client, settings.taskQueue),
      scoring: new TemporalScoringEngine(client, settings.taskQueue),
      campaigns: new TemporalCampaignEngine(client, settings.taskQueue),
    }, policies, stepsOrm, answerWaits),
    ...(hasPrebuiltBundle() ? { workflowBundle: { codePath: prebuiltBundlePath } } : { workflowsPath }),
    shutdownGraceTime: '10 seconds',
    // The SDK sends a step's heartbeats on to Temporal at most every 0.8 of its heartbeat timeout unless told otherwise: a
    // rescore page reporting three times per timeout (heartbeating.ts) reached Temporal every 24 s of its 30, and a worker
    // slowed 6 s more by load had the attempt timed out (after a cancel, for good). At most a second apart, each report goes.
    maxHeartbeatThrottleInterval: '1 second',
  });
  return { worker, connection, answerWaits };
}
