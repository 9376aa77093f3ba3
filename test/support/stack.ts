import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { GraphQLFormattedError } from 'graphql';
import { loadConfig, type AppConfig } from '../../src/config/config.js';
import { createOrm, migrateUp, type Orm } from '../../src/db/orm.js';
import { Role } from '../../src/domain/auth/roles.js';
import { createApi, type Api } from '../../src/http/api-server.js';
import { createLogger } from '../../src/logger.js';
import { policiesWith, type Policies } from '../../src/domain/policies/index.js';
import { connectTemporal, type TemporalClient } from '../../src/temporal/client.js';
import { freePort } from '../../src/dev/ports.js';
import { createTestDatabase } from './database.js';
import { POLICY_OVERRIDES_ENV } from './policy-overrides.js';

export const testKeys: Record<Role, string> = {
  [Role.Viewer]: 'test-viewer-key-0123456789',
  [Role.Marketer]: 'test-marketer-key-0123456789',
  [Role.Operator]: 'test-operator-key-0123456789',
  [Role.Admin]: 'test-admin-key-0123456789',
};
const apiKeys = Object.entries(testKeys)
  .map(([role, key]) => `${role}:${key}`)
  .join(',');

export interface GraphQLResult<T> {
  data?: T | null;
  errors?: readonly GraphQLFormattedError[];
}

export interface TestStack {
  config: AppConfig;
  orm: Orm;
  temporal: TemporalClient;
  api: Api;
  /** Prometheus endpoint of the worker process (null without a worker). */
  workerMetricsUrl: string | null;
  /** What the worker process wrote so far (its log lines); empty without a worker. */
  workerOutput(): string;
  /** Runs a typed document through Apollo as a caller with `role` (null: no credentials). */
  gql<TData, TVars extends Record<string, unknown>>(doc: TypedDocumentNode<TData, TVars>, variables: TVars, role: Role | null): Promise<GraphQLResult<TData>>;
  stop(): Promise<void>;
}

/**
 * One test file's own world on the shared servers: a fresh, migrated database,
 * its own task queue, a real worker process and the API in process, both given the
 * default policies with `options.policies` in place of some, and the worker `options.workerSettings`
 * over its environment (e.g. `MESSAGE_CHANNEL: 'off'`, for a file that checks what is held back
 * before delivery could send it), and both `options.settings` (e.g. `CURRENCY`).
 */
export async function startTestStack(options: { worker?: boolean; policies?: Partial<Policies>; workerSettings?: Record<string, string>; settings?: Record<string, string> } = {}): Promise<TestStack> {
  const db = await createTestDatabase();
  const taskQueue = `test-${randomBytes(4).toString('hex')}`;
  const env = {
    ...process.env,
    DATABASE_URL: db.url,
    TEMPORAL_TASK_QUEUE: taskQueue,
    API_KEYS: apiKeys,
    NODE_ENV: 'test',
    WORKER_METRICS_PORT: '0',
    PORT: '0',
    // The worker's deliveries go to a file of this test's own, not the project's .data.
    MESSAGE_LOG_FILE: path.join(os.tmpdir(), `retention-messages-${taskQueue}.log`),
    ...options.settings,
  };
  const config = loadConfig(env);
  const orm = await createOrm(config.databaseUrl);
  await migrateUp(orm);
  const temporal = await connectTemporal(config.temporal.address, config.temporal.namespace);
  const { worker, metricsPort } = options.worker === false ? { worker: null, metricsPort: 0 } : await spawnWorkerOnFreePort({ ...env, ...options.workerSettings }, options.policies);
  const api = await createApi({ config, orm, temporal, logger: createLogger('silent', 'api'), policies: policiesWith(options.policies) });

  return {
    config,
    orm,
    temporal,
    api,
    workerMetricsUrl: worker ? `http://127.0.0.1:${metricsPort}/metrics` : null,
    workerOutput: () => worker?.output() ?? '',
    async gql(doc, variables, role) {
      const contextValue = await api.contextFor(role ? `Bearer ${testKeys[role]}` : undefined);
      const response = await api.apollo.executeOperation({ query: doc, variables }, { contextValue });
      if (response.body.kind !== 'single') throw new Error('expected a single GraphQL result');
      return response.body.singleResult as GraphQLResult<never>;
    },
    async stop() {
      await api.stop();
      await worker?.stop();
      await temporal.close();
      await orm.close();
      await db.drop();
    },
  };
}

/** The environment of a worker process of its own for this stack (its database, Temporal and task queue), with `settings` over it. */
export function workerEnvOf(stack: TestStack, settings: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: stack.config.databaseUrl,
    TEMPORAL_ADDRESS: stack.config.temporal.address,
    TEMPORAL_TASK_QUEUE: stack.config.temporal.taskQueue,
    WORKER_METRICS_PORT: '0',
    NODE_ENV: 'test',
    ...settings,
  };
}

/**
 * The worker with its metrics on a free port. Another process may take the port between its
 * choice and the worker's bind (CI saw it once: "Address already in use"), so a taken one is chosen again.
 */
async function spawnWorkerOnFreePort(env: NodeJS.ProcessEnv, policies?: Partial<Policies>): Promise<{ worker: Awaited<ReturnType<typeof spawnWorker>>; metricsPort: number }> {
  for (let attempt = 1; ; attempt++) {
    const metricsPort = await freePort();
    try {
      return { worker: await spawnWorker({ ...env, WORKER_METRICS_PORT: String(metricsPort) }, policies), metricsPort };
    } catch (error) {
      if (attempt >= 3 || !(error as Error).message.includes('Address already in use')) throw error;
    }
  }
}

/**
 * The production worker entry point as a child process, ready once it polls its task queue;
 * with `policies`, the same worker given those in place of the defaults (worker-with-policies.ts).
 */
export async function spawnWorker(env: NodeJS.ProcessEnv, policies?: Partial<Policies>): Promise<{ process: ChildProcess; stop(): Promise<void>; output(): string }> {
  const entry = policies ? 'dist/test/support/worker-with-policies.js' : 'dist/src/bin/worker.js';
  const child = spawn(process.execPath, [path.resolve(entry)], {
    env: { ...env, LOG_LEVEL: 'info', ...(policies ? { [POLICY_OVERRIDES_ENV]: JSON.stringify(policies) } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output.join('')}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output.push(chunk.toString());
      // (In all it wrote: a pipe may hand the line over in two chunks.)
      if (output.join('').includes('"worker polling"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}:\n${output.join('')}`));
    });
  });
  return {
    process: child,
    /** What the worker wrote so far (its log lines, stdout and stderr). */
    output: () => output.join(''),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
