import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgresOnFreePort } from '../../src/dev/embedded-postgres.js';
import { ensureTemporalCli, startTemporalDevServerOnFreePorts } from '../../src/dev/temporal-dev-server.js';
import { connectTemporal } from '../../src/temporal/client.js';
import { registerSearchAttributes } from '../../src/temporal/search-attributes.js';

/**
 * Starts the real servers once for the whole run: an embedded PostgreSQL in a
 * fresh temporary folder (removed after the run) and a Temporal dev server (in memory, no UI). Given
 * DATABASE_URL / TEMPORAL_ADDRESS, those are used instead. Test files then
 * isolate themselves with their own database and task queue (test/support/stack.ts).
 */
export default async function globalSetup(): Promise<void> {
  const stops: Array<() => Promise<void>> = [];
  (globalThis as { __testServers?: typeof stops }).__testServers = stops;

  if (!process.env.DATABASE_URL) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'retention-test-pg-'));
    const pg = await startEmbeddedPostgresOnFreePort({ dataDir: path.join(dir, 'data'), database: 'postgres' });
    // The run's database is thrown away with its folder: each run would otherwise leave ~200 MB in the temp folder.
    stops.push(async () => {
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    });
    process.env.DATABASE_URL = pg.url;
  }
  if (!process.env.TEMPORAL_ADDRESS) {
    const binary = ensureTemporalCli(path.resolve('.cache'), (m) => console.log(m));
    const temporal = await startTemporalDevServerOnFreePorts({ binary, ui: false, log: (m) => console.log(m) });
    stops.push(temporal.stop);
    process.env.TEMPORAL_ADDRESS = temporal.address;
  }
  const temporal = await connectTemporal(process.env.TEMPORAL_ADDRESS!, process.env.TEMPORAL_NAMESPACE ?? 'default');
  try {
    await registerSearchAttributes(temporal.connection, process.env.TEMPORAL_NAMESPACE ?? 'default');
  } finally {
    await temporal.close();
  }
}
