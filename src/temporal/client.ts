import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { ConfigError, type TemporalEndpoint } from '../config/config.js';
import { PLATFORM_IDENTITY_PREFIX } from './workflow-calls.js';

export interface TemporalClient {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

/**
 * What every connection to Temporal is opened with (the API's and migrate's client, the worker's
 * NativeConnection): the address, and TLS and the API key when configured. The one place they are
 * built, so no connection speaks plain gRPC to a frontend the others reach over TLS.
 */
export function temporalConnectionOptions(endpoint: string | TemporalEndpoint): { address: string; tls?: TemporalEndpoint['tls'] & object; apiKey?: string } {
  const { address, tls, apiKey } = typeof endpoint === 'string' ? { address: endpoint } : endpoint;
  // The SDK turns TLS on by itself for an API key; the configuration already refuses a key without TLS.
  return { address, ...(tls ? { tls } : {}), ...(apiKey ? { apiKey } : {}) };
}

/**
 * A Temporal client. `lazy` connects on first use, so the API can start (and
 * report not-ready on /readyz) while Temporal is still coming up. Otherwise the namespace
 * is looked up once connected: one Temporal does not have is said naming TEMPORAL_NAMESPACE,
 * not as Temporal's "Namespace ... not found" from whichever call came first.
 */
export async function connectTemporal(endpoint: string | TemporalEndpoint, namespace: string, opts: { lazy?: boolean } = {}): Promise<TemporalClient> {
  const retries = retriesUntilClosed();
  const options = { ...temporalConnectionOptions(endpoint), interceptors: [retries.interceptor] };
  const { address } = options;
  const connection = opts.lazy ? Connection.lazy(options) : await Connection.connect(options);
  if (!opts.lazy) await assertNamespace(connection, address, namespace);
  // Signals this platform sends are audited where they are sent; the identity tells them from an operator's in the Temporal UI.
  const identity = `${PLATFORM_IDENTITY_PREFIX}${process.pid}@${hostname()}`;
  const close = async () => {
    await retries.closing();
    await connection.close();
  };
  return { client: new Client({ connection, namespace, identity }), connection, close };
}

/** The longest pause before a call Temporal answered as unavailable is tried again (by default 5 s: the default ten tries then span ~7 s instead of ~20). */
const MAX_RETRY_PAUSE_MS = 1_000;

/**
 * Temporal's client tries a call Temporal answered as unavailable (restarting) again after a pause, as by default, but
 * pauses at most a second, and tries nothing more once the connection is closing, whose close waits for the pauses under
 * way: a call the platform gave up on (deadline.ts) may still wait for its next try, and that try, on a closed connection,
 * would throw outside any caller (a crash as the process stops).
 */
function retriesUntilClosed(): { interceptor: ReturnType<typeof makeGrpcRetryInterceptor>; closing(): Promise<void> } {
  const defaults = defaultGrpcRetryOptions();
  let closing = false;
  let pauses = 0;
  const interceptor = makeGrpcRetryInterceptor({
    retryableDecider: (attempt, status) => !closing && defaults.retryableDecider(attempt, status),
    delayFunction: (attempt, status) => {
      const pause = Math.min(defaults.delayFunction(attempt, status), MAX_RETRY_PAUSE_MS);
      pauses++;
      // Counted until just after the try it leads to has begun.
      setTimeout(() => pauses--, pause + 1).unref();
      return pause;
    },
  });
  return {
    interceptor,
    async closing() {
      closing = true;
      while (pauses > 0) await sleep(20);
    },
  };
}

const GRPC = { deadlineExceeded: 4, notFound: 5, unavailable: 14 };

async function assertNamespace(connection: Connection, address: string, namespace: string): Promise<void> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
  } catch (error) {
    const { code } = error as { code?: unknown };
    // A caller not allowed to describe namespaces (a key scoped to one namespace) is not refused here: its first real call says what it may do.
    if (code !== GRPC.notFound && code !== GRPC.unavailable && code !== GRPC.deadlineExceeded) return;
    await connection.close();
    if (code === GRPC.notFound)
      throw new ConfigError(`TEMPORAL_NAMESPACE "${namespace}": Temporal at ${address} has no such namespace (create it, e.g. temporal operator namespace create --namespace ${namespace}, or leave TEMPORAL_NAMESPACE unset for "default")`, { cause: error });
    throw error;
  }
}

/**
 * `connect`, tried again while it fails (Temporal still starting beside this process,
 * restarting after the host did, the network not up yet), each wait told to `onWaiting` and
 * twice the last, up to 10 s: a worker waits for Temporal as it waits for PostgreSQL, instead
 * of exiting into a restart loop. A ConfigError is thrown at once.
 */
export async function whenConnected<T>(connect: () => Promise<T>, onWaiting: (error: unknown, retryInMs: number) => void, firstWaitMs = 500): Promise<T> {
  for (let wait = firstWaitMs; ; wait = Math.min(wait * 2, 10_000)) {
    try {
      return await connect();
    } catch (error) {
      // A setting that is wrong (a namespace Temporal does not have) stays wrong: said at once, not waited on.
      if (error instanceof ConfigError) throw error;
      onWaiting(error, wait);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
