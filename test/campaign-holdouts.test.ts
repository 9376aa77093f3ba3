import { defaultPolicies } from '../src/domain/policies/index.js';
import { campaignRules } from '../src/services/index.js';
import { sql, type RawBuilder } from 'kysely';
import pg from 'pg';
import { Role } from '../src/domain/auth/roles.js';
import { accountReviewWorkflowId } from '../src/domain/playbooks/account-review.js';
import { appreciationWorkflowId } from '../src/domain/playbooks/appreciation.js';
import { triggerPolicy } from '../src/domain/playbooks/triggers.js';
import { Customer, ScoreSnapshot } from '../src/entities/index.js';
import { CampaignEnrolmentService } from '../src/services/campaigns/campaign-enrolment.service.js';
import { inMeasuringHoldout } from '../src/services/facts/measuring-holdouts.js';
import { PlaybookTriggerService } from '../src/services/playbooks/playbook-triggers.service.js';
import type { LaunchOptions, PlaybookService } from '../src/services/playbooks/playbook.service.js';
import type { playbookTriggers } from '../workflows/index.js';
import { CreateCampaignDocument, StartAppreciationDocument, type Playbook } from './__generated__/graphql.js';
import { eventually } from './support/eventually.js';
import { startTestStack, testKeys, type TestStack } from './support/stack.js';
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

/**
 * A campaign of `playbook` over the customers `search` finds, made a draft through the API, then recorded as `status`
 * (ended `endedDaysAgo` days ago), with `holdout` already in its control group.
 */
async function campaign(name: string, playbook: Playbook, opts: { status: 'running' | 'completed'; holdout?: string[]; endedDaysAgo?: number; search?: string; holdoutPercent?: number }): Promise<string> {
  const input = { name, playbook, filter: { search: opts.search ?? name }, holdoutPercent: opts.holdoutPercent ?? 10 };
  const created = await stack.gql(CreateCampaignDocument, { input }, Role.Marketer);
  expect(created.errors).toBeUndefined();
  const id = created.data!.createCampaign.id;
  const finishedAt = opts.status === 'completed' ? new Date(Date.now() - (opts.endedDaysAgo ?? 0) * DAY) : null;
  await rows(sql`update campaign set status = ${opts.status}::campaign_status, launched_at = now() - interval '100 days', finished_at = ${finishedAt} where id = ${id}::uuid`);
  await rows(sql`insert into campaign_member (campaign_id, customer_id, "group", enrolled_at, pass)
                 select ${id}::uuid, id, 'holdout'::campaign_group, now() - interval '100 days', 1 from customer where id = any(${opts.holdout ?? []}::uuid[])`);
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
  await campaign('Thanks running', 'Appreciation', { status: 'running', holdout: [thank.held.id] });
  await campaign('Thanks ended lately', 'Appreciation', { status: 'completed', endedDaysAgo: 10, holdout: [thank.measuring.id] });
  await campaign('Thanks ended long ago', 'Appreciation', { status: 'completed', endedDaysAgo: 91, holdout: [thank.freed.id] });
  await campaign('Reviews running', 'AccountReview', { status: 'running', holdout: [review.held.id, thank.otherPlaybook.id] });

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

it('starts no thank-you for a customer the sweep found and a campaign drew into its holdout before the start (QA 19 F2)', async () => {
  const em = stack.orm.em.fork();
  const [held, free] = ['Late held', 'Late free'].map((name) => {
    const c = em.create(Customer, { name, email: `${name.toLowerCase().replace(/ /g, '.')}@example.com`, acquiredAt: '2020-01-01', marketingConsent: true, timeZone: zoneAtNoon(new Date()) });
    em.create(ScoreSnapshot, { customer: c, computedAt: new Date(), scores: { 'payment-loyalty': { value: 1, band: 'loyal', modelVersion: 'test', reasons: ['test'] } } });
    return c;
  });
  await em.flush();
  // Found by the sweep's first step; then a thank-you campaign holds one of them back; then the sweep's second step starts.
  await campaign('Thanks drawn late', 'Appreciation', { status: 'running', holdout: [held.id], search: 'Late held' });
  const triggers = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services.triggers;
  expect(await triggers.startAppreciations([held.id, free.id])).toEqual({ started: 1, skipped: 1 });
  expect([await started(appreciationWorkflowId(held.id, year)), await started(appreciationWorkflowId(free.id, year))]).toEqual([false, true]);
}, 90_000);

it('checks each customer of a batch just before their thank-you starts: one a campaign page drew while the batch was starting is held back (review 31 F2)', async () => {
  const em = stack.orm.em.fork();
  const [first, drawn] = ['Batch first', 'Batch drawn'].map((name) => {
    const c = em.create(Customer, { name, email: `${name.toLowerCase().replace(/ /g, '.')}@example.com`, acquiredAt: '2020-01-01', marketingConsent: true, timeZone: zoneAtNoon(new Date()) });
    em.create(ScoreSnapshot, { customer: c, computedAt: new Date(), scores: { 'payment-loyalty': { value: 1, band: 'loyal', modelVersion: 'test', reasons: ['test'] } } });
    return c;
  });
  await em.flush();
  const { playbooks } = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services;
  // While the first thank-you starts, a thank-you campaign's page draws the second customer into its holdout.
  const drawing = Object.assign(Object.create(playbooks) as PlaybookService, {
    launchAppreciation: async (customerId: string, options?: LaunchOptions) => {
      const run = await playbooks.launchAppreciation(customerId, options);
      if (customerId === first.id) await campaign('Thanks drawn mid-batch', 'Appreciation', { status: 'running', holdout: [drawn.id], search: 'Batch drawn' });
      return run;
    },
  });
  expect(await new PlaybookTriggerService(stack.orm.em.fork(), drawing).startAppreciations([first.id, drawn.id])).toEqual({ started: 1, skipped: 1 });
  expect([await started(appreciationWorkflowId(first.id, year)), await started(appreciationWorkflowId(drawn.id, year))]).toEqual([true, false]);
}, 90_000);

it('puts no customer the sweep is starting a thank-you for into a thank-you campaign\'s holdout: a page drawing then waits for the run\'s record (QA 68 F1)', async () => {
  const em = stack.orm.em.fork();
  const c = em.create(Customer, { name: 'Sweep racing', email: 'sweep.racing@example.com', acquiredAt: '2020-01-01', marketingConsent: true, timeZone: zoneAtNoon(new Date()) });
  em.create(ScoreSnapshot, { customer: c, computedAt: new Date(), scores: { 'payment-loyalty': { value: 1, band: 'loyal', modelVersion: 'test', reasons: ['test'] } } });
  await em.flush();
  // A campaign whose holdout would take everyone it enrols.
  const id = await campaign('Thanks racing the sweep', 'Appreciation', { status: 'running', search: 'Sweep racing' });
  await rows(sql`update campaign set holdout_percent = 100 where id = ${id}::uuid`);
  const { services } = await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`);
  const activity = () =>
    rows(sql<{ recording: number; asking: number }>`
      select count(*) filter (where wait_event_type = 'Lock' and query like '%for share%')::int as recording,
             count(*) filter (where query like '%pg_try_advisory_xact_lock%' and state <> 'idle' and wait_event_type is distinct from 'Lock')::int as asking
        from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`);

  // The sweep's start is held just before it records the run (the customer's row, which the record reads for share, held
  // by another transaction that lets the page's member row through), after it checked that no campaign holds them back.
  const blocker = new pg.Client({ connectionString: stack.config.databaseUrl });
  await blocker.connect();
  try {
    await blocker.query('begin');
    await blocker.query('select 1 from customer where id = $1 for no key update', [c.id]);
    const sweep = services.triggers.startAppreciations([c.id]);
    await eventually(activity, ([a]) => a.recording === 1);
    // A page of the campaign draws now: it must not enrol them in the holdout while their thank-you is being started.
    let pageDone = false;
    const page = new CampaignEnrolmentService(stack.orm.em.fork(), services.playbooks, services.audit, campaignRules(defaultPolicies))
      .enrolPage({ campaignId: id, after: null, limit: 100 })
      .finally(() => (pageDone = true));
    await eventually(activity, ([a]) => pageDone || a.asking === 1);
    await blocker.query('commit');
    expect(await sweep).toEqual({ started: 1, skipped: 0 });
    await page;
  } finally {
    await blocker.end();
  }
  expect(await started(appreciationWorkflowId(c.id, year))).toBe(true);
  expect(await rows(sql<{ group: string }>`select "group" from campaign_member where campaign_id = ${id}::uuid`)).toEqual([]);
}, 90_000);

it('holds back the holdout of a repeating campaign for a quarter after the pass that drew it, not for as long as the campaign repeats (review 31 F3)', async () => {
  const em = stack.orm.em.fork();
  const [older, recent] = ['Repeat older', 'Repeat recent'].map((name) => em.create(Customer, { name, email: `${name.toLowerCase().replace(/ /g, '.')}@example.com`, acquiredAt: '2020-01-01' }));
  await em.flush();
  const id = await campaign('Weekly thanks', 'Appreciation', { status: 'running', holdout: [older.id, recent.id], search: 'Repeat ' });
  await rows(sql`update campaign set repeat_every_days = 7 where id = ${id}::uuid`);
  await rows(sql`update campaign_member set enrolled_at = now() - interval '20 days' where campaign_id = ${id}::uuid and customer_id = ${recent.id}::uuid`);
  const held = (customerId: string) => rows(sql<{ held: boolean }>`select ${inMeasuringHoldout('c.id', 'appreciation')} as held from customer c where c.id = ${customerId}::uuid`).then(([r]) => r.held);
  expect([await held(older.id), await held(recent.id)]).toEqual([false, true]);
  // A campaign that runs once holds its whole holdout while it is under way, however long ago it drew it.
  await rows(sql`update campaign set repeat_every_days = null where id = ${id}::uuid`);
  expect([await held(older.id), await held(recent.id)]).toEqual([true, true]);
});

it('holds back no holdout member who was in a run of the playbook when drawn: the campaign never kept it from them', async () => {
  const em = stack.orm.em.fork();
  const names = ['Drawn in a run', 'Drawn after a run', 'Run after drawn', 'Drawn plain'];
  const [inRun, endedBefore, startedAfter, plain] = names.map((name) => em.create(Customer, { name, email: `${name.toLowerCase().replace(/ /g, '.')}@example.com`, acquiredAt: '2020-01-01' }));
  await em.flush();
  // Drawn 100 days ago into an account-review campaign's holdout, under way.
  await campaign('Reviews drawing runs', 'AccountReview', { status: 'running', holdout: [inRun.id, endedBefore.id, startedAfter.id, plain.id], search: 'Drawn ' });
  const run = (customerId: string, startedDaysAgo: number, finishedDaysAgo: number | null) =>
    rows(sql`insert into playbook_run (id, workflow_id, playbook, customer_id, status, started_at, finished_at)
             values (gen_random_uuid(), ${`account-review/${customerId}/${startedDaysAgo}`}, 'account-review', ${customerId}::uuid, ${finishedDaysAgo === null ? 'running' : 'completed'}::playbook_run_status,
                     now() - make_interval(days => ${startedDaysAgo}), ${finishedDaysAgo === null ? null : sql`now() - make_interval(days => ${finishedDaysAgo})`})`);
  // The sweep's review under way when they were drawn (it ended since); one that had ended before; one a person started after.
  await run(inRun.id, 120, 30);
  await run(endedBefore.id, 130, 110);
  await run(startedAfter.id, 50, null);
  const held = (customerId: string) => rows(sql<{ held: boolean }>`select ${inMeasuringHoldout('c.id', 'account-review')} as held from customer c where c.id = ${customerId}::uuid`).then(([r]) => r.held);
  expect(await Promise.all([inRun, endedBefore, startedAfter, plain].map((c) => held(c.id)))).toEqual([false, true, true, true]);
});

it('leaves out whom another thank-you campaign treats while it enrols, but not one it enrolled without a run once it has ended (review 32 F4)', async () => {
  const em = stack.orm.em.fork();
  const refused = em.create(Customer, { name: 'Refused thanks', email: 'refused.thanks@example.com', acquiredAt: '2020-01-01', marketingConsent: true });
  await em.flush();
  const other = await campaign('Thanks that refused one', 'Appreciation', { status: 'running', search: 'Refused thanks' });
  await rows(sql`insert into campaign_member (campaign_id, customer_id, "group", enrolled_at, pass) values (${other}::uuid, ${refused.id}::uuid, 'treated', now(), 1)`);
  const reached = async (name: string) => {
    const created = await stack.gql(CreateCampaignDocument, { input: { name, playbook: 'Appreciation', filter: { search: 'Refused thanks' }, holdoutPercent: 0 } }, Role.Marketer);
    return created.data!.createCampaign.preview!.customers;
  };
  // Its run may be starting: left out.
  expect(await reached('Thanks while the other enrols')).toBe(0);
  // The other campaign ended without a run for them (the playbook refused them then): they never had theirs.
  await rows(sql`update campaign set status = 'completed', finished_at = now() where id = ${other}::uuid`);
  expect(await reached('Thanks after the other ended')).toBe(1);
});

it("enrols the pages of two campaigns of one playbook one at a time: the one enrolling second leaves out the holdout the first drew and those it treats (QA 40 F1)", async () => {
  // Customers of years who take marketing: a thank-you campaign is for them.
  const em = stack.orm.em.fork();
  const customers = Array.from({ length: 24 }, (_, i) => em.create(Customer, { name: `Contested ${i}`, email: `contested${i}@example.com`, acquiredAt: '2020-01-01', marketingConsent: true }));
  await em.flush();
  const ids = customers.map((c) => c.id);
  const [a, b] = await Promise.all(['A', 'B'].map((n) => campaign(`Contested thanks ${n}`, 'Appreciation', { status: 'running', search: 'Contested', holdoutPercent: 50 })));
  const enrolment = async () => {
    const { services } = await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`);
    return new CampaignEnrolmentService(stack.orm.em.fork(), services.playbooks, services.audit, campaignRules(defaultPolicies));
  };

  // Members are recorded only once both pages have got as far as they may (one waiting to record its members, the
  // other asking for the playbook's lock again and again, reporting as it waits): without the lock per playbook both
  // would have read their audience by then, neither seeing the other's holdout.
  const blocker = new pg.Client({ connectionString: stack.config.databaseUrl });
  await blocker.connect();
  try {
    await blocker.query('begin');
    await blocker.query('lock table campaign_member in share mode');
    let reports = 0;
    const pages = Promise.all([a, b].map(async (campaignId) => (await enrolment()).enrolPage({ campaignId, after: null, limit: 100 }, () => reports++)));
    await eventually(
      () =>
        rows(sql<{ blocked: number; asking: number }>`
          select count(*) filter (where wait_event_type = 'Lock' and query like '%campaign_member%')::int as blocked,
                 count(*) filter (where query like '%pg_try_advisory_xact_lock%' and state <> 'idle' and wait_event_type is distinct from 'Lock')::int as asking
            from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`),
      ([{ blocked, asking }]) => blocked === 1 && asking === 1,
    );
    await blocker.query('commit');
    // One report per treated customer, and more from the page that waited for the lock (its heartbeat: not taken as dead).
    const treated = (await pages).reduce((sum, page) => sum + page.treated, 0);
    expect(reports).toBeGreaterThan(treated);
  } finally {
    await blocker.end();
  }

  const members = await rows(sql<{ campaign_id: string; customer_id: string; group: string }>`select campaign_id, customer_id, "group" from campaign_member where campaign_id = any(${[a, b]}::uuid[])`);
  const of = (campaignId: string, group?: string) => members.filter((m) => m.campaign_id === campaignId && (!group || m.group === group)).map((m) => m.customer_id).sort();
  // One campaign enrolled first: all of its customers, half of them held back. The other enrols none: not that holdout,
  // nor those it treats, whose thank-you of the year its runs (started after its page, unlocked) may not have recorded yet.
  const [first, second] = of(a).length === ids.length ? [a, b] : [b, a];
  expect(of(first)).toEqual([...ids].sort());
  expect(of(first, 'holdout').length).toBeGreaterThan(0);
  expect(of(first, 'treated').length).toBeGreaterThan(0);
  expect(of(second)).toEqual([]);
}, 90_000);
