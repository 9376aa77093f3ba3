import { Client, Connection } from '@temporalio/client';

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
  return { client: new Client({ connection, namespace }), connection, close: () => connection.close() };
}
