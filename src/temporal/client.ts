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
