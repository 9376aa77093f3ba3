import { hostname } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { PLATFORM_IDENTITY_PREFIX } from './workflow-calls.js';

export interface TemporalClient {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

/**
 * A Temporal client. `lazy` connects on first use, so the API can start (and
 * report not-ready on /readyz) while Temporal is still coming up.
 */
export async function connectTemporal(address: string, namespace: string, opts: { lazy?: boolean } = {}): Promise<TemporalClient> {
  const connection = opts.lazy ? Connection.lazy({ address }) : await Connection.connect({ address });
  // Signals this platform sends are audited where they are sent; the identity tells them from an operator's in the Temporal UI.
  const identity = `${PLATFORM_IDENTITY_PREFIX}${process.pid}@${hostname()}`;
  return { client: new Client({ connection, namespace, identity }), connection, close: () => connection.close() };
}

/**
 * `connect`, tried again while it fails (Temporal still starting beside this process,
 * restarting after the host did, the network not up yet), each wait told to `onWaiting` and
 * twice the last, up to 10 s: a worker waits for Temporal as it waits for PostgreSQL, instead
 * of exiting into a restart loop.
 */
export async function whenConnected<T>(connect: () => Promise<T>, onWaiting: (error: unknown, retryInMs: number) => void, firstWaitMs = 500): Promise<T> {
  for (let wait = firstWaitMs; ; wait = Math.min(wait * 2, 10_000)) {
    try {
      return await connect();
    } catch (error) {
      onWaiting(error, wait);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
