import type { Client } from '@temporalio/client';
import { defaultPolicies } from '../src/domain/policies/index.js';
import { Role } from '../src/domain/auth/roles.js';
import { WELCOME_CHECK } from '../src/domain/playbooks/welcome-check.js';
import { Customer } from '../src/entities/index.js';
import { Turns } from '../src/services/common/turns.js';
import { createServices } from '../src/services/index.js';
import { PlaybookExceptionCode } from '../src/services/playbooks/playbook.exception.js';
import { TemporalCampaignEngine } from '../src/temporal/temporal-campaign-engine.js';
import { TemporalPlaybookEngine } from '../src/temporal/temporal-playbook-engine.js';
import { TemporalScoringEngine } from '../src/temporal/temporal-scoring-engine.js';
import { workflowQueriesBusy } from '../src/temporal/workflow-query-turns.js';
import { RunningPlaybookRunsDocument, StartWelcomeCheckDocument } from './__generated__/graphql.js';
import { eventually } from './support/eventually.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * Queries of runs' live state take turns in a process: a page of runs' state asks Temporal a few at a time (the real
 * Temporal server and worker, the client only counted), still answering every run, and a flood past the waiting line
 * is refused as busy instead of queued without end.
 */
let stack: TestStack;
const RUNS = 12;

beforeAll(async () => {
  stack = await startTestStack();
  const em = stack.orm.em.fork();
  const customers = Array.from({ length: RUNS }, (_, i) => em.create(Customer, { name: `Newcomer ${i}`, email: `newcomer-${i}@example.com`, acquiredAt: '2026-11-01', timeZone: 'UTC' }));
  await em.flush();
  // Welcome checks wait 14 days for the customer's confirmation: under way for the whole test.
  for (const customer of customers) expect((await stack.gql(StartWelcomeCheckDocument, { customerId: customer.id }, Role.Marketer)).errors).toBeUndefined();
  // The search for runs under way is eventually consistent: every run listed, and at its step, before the tests read them.
  await eventually(
    () => stack.gql(RunningPlaybookRunsDocument, { filter: { playbook: 'WelcomeCheck' }, first: 100 }, Role.Viewer),
    (r) => r.data?.runningPlaybookRuns?.edges.length === RUNS && r.data.runningPlaybookRuns.edges.every((e) => e.node.step === 'awaiting-confirmation'),
    45_000,
  );
}, 120_000);
afterAll(() => stack?.stop());

/** The stack's Temporal client, its runs' queries counted as they go out and come back (everything else as it is). */
function countingQueries(client: Client) {
  const counts = { inFlight: 0, most: 0, sent: 0 };
  const bound = (target: object, prop: string | symbol) => {
    const value = Reflect.get(target, prop, target);
    return typeof value === 'function' ? value.bind(target) : value;
  };
  const handleOf = (handle: object) =>
    new Proxy(handle, {
      get: (target, prop) =>
        prop !== 'query'
          ? bound(target, prop)
          : async (...args: unknown[]) => {
              counts.sent++;
              counts.most = Math.max(counts.most, ++counts.inFlight);
              try {
                return await (target as { query: (...a: unknown[]) => Promise<unknown> }).query(...args);
              } finally {
                counts.inFlight--;
              }
            },
    });
  const workflow = new Proxy(client.workflow, {
    get: (target, prop) => (prop === 'getHandle' ? (...args: Parameters<typeof target.getHandle>) => handleOf(target.getHandle(...args)) : bound(target, prop)),
  });
  const counted = new Proxy(client, { get: (target, prop) => (prop === 'workflow' ? workflow : bound(target, prop)) });
  return { client: counted, counts };
}

function servicesWith(client: Client, turns: Turns) {
  const { taskQueue } = stack.config.temporal;
  const engines = { playbooks: new TemporalPlaybookEngine(client, taskQueue, 5_000, 3_000, turns), scoring: new TemporalScoringEngine(client, taskQueue), campaigns: new TemporalCampaignEngine(client, taskQueue, 5_000, turns) };
  return createServices(stack.orm.em.fork(), engines, defaultPolicies);
}

it("asks Temporal a page of runs' live state a few at a time, and still answers every run", async () => {
  const { client, counts } = countingQueries(stack.temporal.client);
  const turns = new Turns(3, 100, workflowQueriesBusy);
  const page = await servicesWith(client, turns).playbooks.running({ playbook: WELCOME_CHECK }, { first: 100 }, { live: true });
  expect(page.edges).toHaveLength(RUNS);
  expect(page.edges.map((edge) => edge.node.state?.step)).toEqual(Array(RUNS).fill('awaiting-confirmation'));
  // One query per run, never more than the places at once (and the page did wait its turns).
  expect(counts.sent).toBe(RUNS);
  expect(counts.most).toBe(3);
  expect(turns.runningCount).toBe(0);
  expect(turns.waitingCount).toBe(0);
}, 60_000);

it('refuses a flood past the waiting line as busy (UNAVAILABLE), asking the runs nothing more', async () => {
  const { client, counts } = countingQueries(stack.temporal.client);
  // One place, two may wait: a page of twelve runs' state is more than the line holds.
  const turns = new Turns(1, 2, workflowQueriesBusy);
  const refused = await servicesWith(client, turns)
    .playbooks.running({ playbook: WELCOME_CHECK }, { first: 100 }, { live: true })
    .then(() => null, (error: unknown) => error);
  expect(refused).toMatchObject({ code: PlaybookExceptionCode.EngineBusy, kind: 'UNAVAILABLE', details: { refused: 'too-many-waiting' } });
  expect(counts.sent).toBeLessThanOrEqual(3);
  // The places free again once what was let in has answered: the next read is served.
  await eventually(async () => turns.runningCount + turns.waitingCount, (n) => n === 0, 10_000);
  const run = (await servicesWith(client, turns).playbooks.running({ playbook: WELCOME_CHECK }, { first: 1 }, { live: true })).edges[0].node;
  expect(run.state?.step).toBe('awaiting-confirmation');
}, 60_000);
