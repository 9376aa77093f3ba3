import { connectTemporal } from '../../src/temporal/client.js';
import { TemporalPlaybookEngine } from '../../src/temporal/temporal-playbook-engine.js';

/**
 * A process that gives up on a call to a Temporal it cannot reach (test/temporal-client-close.test.ts), closes its
 * connection while the client would still try the call again, and lives on a moment: it exits 0 unless that try crashed it.
 */
const temporal = await connectTemporal('127.0.0.1:1', 'default', { lazy: true });
const engine = new TemporalPlaybookEngine(temporal.client, 'nowhere', 300);
await engine.isRunning('welcome-check/anyone').catch(() => undefined);
await temporal.close();
await new Promise((resolve) => setTimeout(resolve, 3_000));
process.stdout.write('lived on\n');
