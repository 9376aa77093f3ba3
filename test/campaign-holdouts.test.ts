import { sql, type RawBuilder } from 'kysely';
import { Role } from '../src/domain/auth/roles.js';
import { accountReviewWorkflowId } from '../src/domain/playbooks/account-review.js';
import { appreciationWorkflowId } from '../src/domain/playbooks/appreciation.js';
import { triggerPolicy } from '../src/domain/playbooks/triggers.js';
import { Customer, ScoreSnapshot } from '../src/entities/index.js';
import type { playbookTriggers } from '../workflows/index.js';
import { CreateCampaignDocument, StartAppreciationDocument, type Playbook } from './__generated__/graphql.js';
import { startTestStack, type TestStack } from './support/stack.js';
import { zoneAtNoon } from './support/time-zones.js';

/**
 * A campaign's holdout (its control group) stays clean while the campaign measures: the daily
 * trigger sweep starts no run of the playbook for it, and another campaign of the playbook
 * enrolling at the same moment leaves it out. On the real Temporal dev server and a worker.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
}, 90_000);
afterAll(() => stack?.stop());

const DAY = 86_400_000;
const year = new Date().getUTCFullYear();
const rows = async <T>(q: RawBuilder<T>) => (await q.execute(stack.orm.em.fork().getKysely())).rows;

/** A campaign of `playbook`, made a draft through the API, then recorded as `status` (ended `endedDaysAgo` days ago), with `holdout` in its control group. */
async function campaign(name: string, playbook: Playbook, holdout: string[], status: 'running' | 'completed', endedDaysAgo = 0): Promise<string> {
  const created = await stack.gql(CreateCampaignDocument, { input: { name, playbook, filter: { search: name }, holdoutPercent: 10 } }, Role.Marketer);
  expect(created.errors).toBeUndefined();
  const id = created.data!.createCampaign.id;
  const finishedAt = status === 'completed' ? new Date(Date.now() - endedDaysAgo * DAY) : null;
  await rows(sql`update campaign set status = ${status}::campaign_status, launched_at = now() - interval '100 days', finished_at = ${finishedAt} where id = ${id}::uuid`);
  await rows(sql`insert into campaign_member (campaign_id, customer_id, "group", enrolled_at, pass)
                 select ${id}::uuid, id, 'holdout'::campaign_group, now() - interval '100 days', 1 from customer where id = any(${holdout}::uuid[])`);
  return id;
}

/** Whether the engine has a run of that ID (started, whatever became of it since). */
const started = (workflowId: string) =>
  stack.temporal.client.workflow
    .getHandle(workflowId)
    .describe()
    .then(
      () => true,
      () => false,
    );

it("starts no account review or thank-you from the sweep for the holdout of a campaign of the playbook that still measures; a start by hand stays allowed", async () => {
  const em = stack.orm.em.fork();
  // Silent loyal customers of years (the sweep thanks them), and loss-making accounts (it reviews them), alike but for the campaigns they are held back by.
  const loyal = (name: string) => {
    const c = em.create(Customer, { name, email: `${name.toLowerCase().replace(/ /g, '.')}@example.com`, acquiredAt: new Date(Date.now() - 1200 * DAY).toISOString().slice(0, 10), marketingConsent: true, timeZone: zoneAtNoon(new Date()) });
    em.create(ScoreSnapshot, { customer: c, computedAt: new Date(), scores: { 'payment-loyalty': { value: 1, band: 'loyal', modelVersion: 'test', reasons: ['test'] } } });
    return c;
  };
  const losing = (name: string) => {
    const c = em.create(Customer, { name, email: `${name.toLowerCase().replace(/ /g, '.')}@example.com`, acquiredAt: '2024-01-01' });
    em.create(ScoreSnapshot, { customer: c, computedAt: new Date(), scores: { profitability: { value: -14_000, band: 'loss-making', modelVersion: 'test', reasons: ['test'] } } });
    return c;
  };
  const thank = { held: loyal('Thank held'), measuring: loyal('Thank measuring'), freed: loyal('Thank freed'), otherPlaybook: loyal('Thank other playbook'), plain: loyal('Thank plain') };
  const review = { held: losing('Review held'), plain: losing('Review plain') };
  await em.flush();

  // A thank-you campaign under way, one ended 10 days ago (still measuring) and one ended 91 days ago (its holdout free again); an account-review campaign under way.
  await campaign('Thanks running', 'Appreciation', [thank.held.id], 'running');
  await campaign('Thanks ended lately', 'Appreciation', [thank.measuring.id], 'completed', 10);
  await campaign('Thanks ended long ago', 'Appreciation', [thank.freed.id], 'completed', 91);
  await campaign('Reviews running', 'AccountReview', [review.held.id, thank.otherPlaybook.id], 'running');

  const result = await stack.temporal.client.workflow.execute<typeof playbookTriggers>('playbookTriggers', { workflowId: 'playbook-triggers/holdouts', taskQueue: stack.config.temporal.taskQueue, args: [{ policy: triggerPolicy }] });
  expect(result).toMatchObject({ 'silent-loyal': 3, 'loss-making': 1 });
  const thanked = Object.fromEntries(await Promise.all(Object.entries(thank).map(async ([k, c]) => [k, await started(appreciationWorkflowId(c.id, year))])));
  // Only a thank-you campaign's holdout is kept from thank-yous: an account-review campaign's is not this playbook's to protect.
  expect(thanked).toEqual({ held: false, measuring: false, freed: true, otherPlaybook: true, plain: true });
  expect([await started(accountReviewWorkflowId(review.held.id)), await started(accountReviewWorkflowId(review.plain.id))]).toEqual([false, true]);

  // A marketer thanking a held back customer by hand decides so deliberately (the campaign's outcome counts it).
  expect((await stack.gql(StartAppreciationDocument, { customerId: thank.held.id }, Role.Marketer)).errors).toBeUndefined();
  expect(await started(appreciationWorkflowId(thank.held.id, year))).toBe(true);
}, 90_000);
