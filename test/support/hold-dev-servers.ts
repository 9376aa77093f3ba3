import path from 'node:path';
import { startEmbeddedPostgres } from '../../src/dev/embedded-postgres.js';
import { ensureTemporalCli, startTemporalDevServer } from '../../src/dev/temporal-dev-server.js';

/**
 * Stands in for `npm start` in test/left-running.test.ts: starts PostgreSQL and a Temporal dev
 * server as it does (owner files in `dir`), says so on stdout, and then only waits, to be killed.
 */
const [dir, pgPort, temporalPort, uiPort] = process.argv.slice(2);
await startEmbeddedPostgres({
  dataDir: path.join(dir, 'postgres'),
  port: Number(pgPort),
  database: 'retention',
  handleSignals: false,
  ownerFile: path.join(dir, 'postgres.owner.json'),
});
await startTemporalDevServer({
  binary: ensureTemporalCli(path.resolve('.cache')),
  port: Number(temporalPort),
  uiPort: Number(uiPort),
  dbFile: path.join(dir, 'temporal.sqlite'),
  logFile: path.join(dir, 'temporal.log'),
  ownerFile: path.join(dir, 'temporal.owner.json'),
  ownProcessGroup: true,
});
process.stdout.write('ready\n');
setInterval(() => undefined, 60_000);
