import { createOrm } from '../../src/db/orm.js';
import { defaultPolicies } from '../../src/domain/policies/index.js';
import { createServices } from '../../src/services/index.js';
import { connectTemporal } from '../../src/temporal/client.js';
import { TemporalCampaignEngine } from '../../src/temporal/temporal-campaign-engine.js';
import { TemporalPlaybookEngine } from '../../src/temporal/temporal-playbook-engine.js';
import { TemporalScoringEngine } from '../../src/temporal/temporal-scoring-engine.js';

/**
 * An API process that dies once Temporal took a person's call (test/engine-call-audit.test.ts): it makes the call as
 * the API does, and once Temporal has taken it tells its parent and waits, to be killed before it hears the answer.
 * Arguments: database URL, Temporal address, namespace, task queue, the call (`confirmWelcome <customerId>` or
 * `cancelRun <workflowId>`), the person.
 */
const [databaseUrl, address, namespace, taskQueue, call, subject, actor] = process.argv.slice(2);
const orm = await createOrm(databaseUrl);
const { client } = await connectTemporal(address, namespace);
const playbooks = new TemporalPlaybookEngine(client, taskQueue);
const took = playbooks[call as 'confirmWelcome' | 'cancelRun'].bind(playbooks) as (...args: unknown[]) => Promise<unknown>;
Object.assign(playbooks, {
  [call]: async (...args: unknown[]) => {
    await took(...args);
    process.send!({ taken: call });
    await new Promise(() => {});
  },
});
const engines = { playbooks, scoring: new TemporalScoringEngine(client, taskQueue), campaigns: new TemporalCampaignEngine(client, taskQueue) };
const services = createServices(orm.em.fork(), engines, defaultPolicies);
await (call === 'confirmWelcome' ? services.playbooks.confirmWelcome(subject, actor) : services.playbooks.cancelRun(subject, 'asked by phone', actor));
