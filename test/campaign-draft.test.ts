import { defaultPolicies } from '../src/domain/policies/index.js';
import { campaignRules } from '../src/services/index.js';
import { randomUUID } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import { Role } from '../src/domain/auth/roles.js';
import { campaignWorkflowId, type CampaignProgress } from '../src/domain/campaigns/campaign.js';
import { CampaignStatus, Customer, Offer, OfferAudience, ScoreSnapshot, ServiceTier } from '../src/entities/index.js';
import { CHEAPER_TIER_REASON } from '../src/domain/scoring/profitability.js';
import type { CampaignEngine } from '../src/services/engines/campaign-engine.js';
import { CampaignEnrolmentService } from '../src/services/campaigns/campaign-enrolment.service.js';
import { CampaignService } from '../src/services/campaigns/campaign.service.js';
import { CampaignDocument, CampaignPreviewDocument, CancelCampaignDocument, CreateCampaignDocument, LaunchCampaignDocument, PauseCampaignDocument, UpdateCampaignDocument, type Playbook, type UpdateCampaignInput } from './__generated__/graphql.js';
import { startTestStack, testKeys, type TestStack } from './support/stack.js';
import { REPORTS_AT_ONCE, REPORTS_WAITING, ReportTurn } from '../src/graphql/limits.js';
import type { ResolverData } from 'type-graphql';
import { zoneAtNoon } from './support/time-zones.js';

/**
 * Campaign drafts and what a marketer reads of them before and after a launch, on data set up
 * directly (runs under way, other campaigns' members): no worker needed.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ worker: false });
}, 90_000);
afterAll(() => stack?.stop());

const rows = async <T>(q: RawBuilder<T>) => (await q.execute(stack.orm.em.fork().getKysely())).rows;
const campaign = (id: string) => stack.gql(CampaignDocument, { id }, Role.Viewer).then((r) => r.data!.campaign!);
const preview = (id: string) => stack.gql(CampaignPreviewDocument, { id }, Role.Viewer).then((r) => r.data!.campaign!.preview);
const create = async (name: string, playbook: Playbook, search: string, holdoutPercent: number | null = null) => {
  const created = await stack.gql(CreateCampaignDocument, { input: { name, playbook, filter: { search }, holdoutPercent } }, Role.Marketer);
  expect(created.errors).toBeUndefined();
  return created.data!.createCampaign;
};
/** Customers named `<prefix> <n>`, customers since `acquiredAt`. */
async function namedCustomers(prefix: string, n: number, fields: Partial<Customer> = {}): Promise<string[]> {
  const em = stack.orm.em.fork();
  const created = Array.from({ length: n }, (_, i) => em.create(Customer, { name: `${prefix} ${i}`, email: `${prefix.toLowerCase()}${i}@example.com`, acquiredAt: '2023-06-01', ...fields }));
  await em.flush();
  return created.map((c) => c.id);
}

/** Loss-making by their scores, with a cheaper tier suggested: an account review proposes it (a service message). */
async function lossMaking(ids: string[], reason = `${CHEAPER_TIER_REASON}basic (test)`) {
  const em = stack.orm.em.fork();
  for (const id of ids) em.create(ScoreSnapshot, { customer: id, computedAt: new Date(), scores: { profitability: { value: -9_000, band: 'loss-making', modelVersion: 'test', reasons: ['test', reason] } } });
  await em.flush();
}
/** A run of the playbook under way for each customer, as the sweep or a start by hand records it. */
const underWay = (playbook: string, ids: string[]) =>
  rows(sql`insert into playbook_run (id, workflow_id, playbook, customer_id, status, started_at) select gen_random_uuid(), ${playbook} || '/' || id, ${playbook}, id, 'running', now() from customer where id = any(${ids}::uuid[])`);
/** Of `ids`, those the campaign's holdout draw puts in the holdout (the enrolment's own rule). */
const drawnToHoldout = async (campaignId: string, ids: string[]) =>
  (await rows(sql<{ id: string }>`select c.id from campaign cmp cross join customer c where cmp.id = ${campaignId}::uuid and c.id = any(${ids}::uuid[]) and abs(hashtext(${campaignId} || c.id::text)) % 100 < cmp.holdout_percent`)).map((r) => r.id);

it('previews the customers already in a run under way, which the launch joins, and counts messages only of the runs it would start (QA 14, F1)', async () => {
  const ids = await namedCustomers('Inrun', 12);
  await lossMaking(ids);
  // Half of them are in an account review already (the daily sweep's).
  const inRun = ids.slice(0, 6);
  await underWay('account-review', inRun);
  const draft = await create('Review the inruns', 'AccountReview', 'Inrun', 50);
  const holdout = await drawnToHoldout(draft.id, ids);
  const inRunHoldout = inRun.filter((id) => holdout.includes(id)).length;
  expect(draft.preview).toMatchObject({
    customers: 12,
    holdout: holdout.length,
    treated: 12 - holdout.length,
    alreadyInRun: { treated: 6 - inRunHoldout, holdout: inRunHoldout },
    // One proposal (a cheaper tier, a service message) per treated customer not in a review already.
    messages: 12 - holdout.length - (6 - inRunHoldout),
    heldBack: [],
  });
  // Everyone in a review: the launch would start nothing and send nothing.
  await underWay('account-review', ids.slice(6));
  const all = await create('Review the inruns again', 'AccountReview', 'Inrun', 0);
  expect(all.preview).toMatchObject({ customers: 12, treated: 12, alreadyInRun: { treated: 12, holdout: 0 }, messages: 0 });
});

it('counts a fix per persistent topic without its own fix under way: a fix under way for another topic, persistent or not, takes none off', async () => {
  const [both, other, same] = await namedCustomers('Topical', 3);
  const complaints = (id: string, topic: string, n = 3) =>
    rows(sql`insert into complaint (id, customer_id, topic, severity, opened_at, created_at) select gen_random_uuid(), ${id}::uuid, ${topic}, 'low', now() - interval '1 day', now() from generate_series(1, ${n}::int)`);
  const fixUnderWay = (id: string, topic: string) =>
    rows(sql`insert into playbook_run (id, workflow_id, playbook, customer_id, status, started_at) values (gen_random_uuid(), ${`fix-issue/${id}/${topic}`}, 'fix-issue', ${id}::uuid, 'running', now())`);
  const em = stack.orm.em.fork();
  for (const [id, topics] of [[both, 2], [other, 1], [same, 1]] as const) {
    em.create(ScoreSnapshot, { customer: id, computedAt: new Date(), scores: { 'persistent-issue': { value: topics, band: 'persistent', modelVersion: 'test', reasons: ['test'] } } });
  }
  await em.flush();
  // Persistent: late-delivery and billing-error, a fix under way for billing-error and for app-login (one complaint: not persistent).
  await complaints(both, 'late-delivery');
  await complaints(both, 'billing-error');
  await complaints(both, 'app-login', 1);
  await fixUnderWay(both, 'billing-error');
  await fixUnderWay(both, 'app-login');
  // Persistent: late-delivery, a fix under way for app-login only (persistent no more).
  await complaints(other, 'late-delivery');
  await fixUnderWay(other, 'app-login');
  // Persistent: late-delivery, its fix under way: the launch joins it.
  await complaints(same, 'late-delivery');
  await fixUnderWay(same, 'late-delivery');
  const draft = await create('Fix the topicals', 'FixIssue', 'Topical');
  // One acknowledgement each for late-delivery of the first two; none for the third.
  expect(draft.preview).toMatchObject({ customers: 3, treated: 3, holdout: 0, alreadyInRun: { treated: 3, holdout: 0 }, messages: 2 });
  expect(await preview(draft.id)).toMatchObject({ messages: 2 });
});

it('shows the campaign when its reports are refused as busy: only the report fields answer null', async () => {
  const draft = await create('Busy reports', 'Appreciation', 'Nobody matches this');
  // Every report place taken and every waiting place too, as a burst of reports would.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const taken = Array.from({ length: REPORTS_AT_ONCE + REPORTS_WAITING }, () => ReportTurn({} as ResolverData, () => held));
  try {
    const busy = await stack.gql(CampaignDocument, { id: draft.id }, Role.Viewer);
    expect(busy.data!.campaign).toMatchObject({ id: draft.id, name: 'Busy reports', status: 'Draft', outcome: null, comparison: null });
    expect(busy.errors!.map((e) => [e.path!.join('.'), e.extensions!.reason])).toEqual(
      expect.arrayContaining([
        ['campaign.outcome', 'REPORTS_BUSY'],
        ['campaign.comparison', 'REPORTS_BUSY'],
      ]),
    );
  } finally {
    release();
    await Promise.all(taken);
  }
  expect((await campaign(draft.id)).outcome).toHaveLength(2);
});

it("judges members' invoices paid on time as payment loyalty does: one due today or overdue a few days is not late yet, a cancelled one or one paid before enrolment not at all", async () => {
  const [member] = await namedCustomers('OnTimer', 1);
  const draft = await create('Thank the on-timers', 'Appreciation', 'OnTimer', 0);
  await rows(sql`insert into campaign_member (campaign_id, customer_id, "group", enrolled_at, pass) values (${draft.id}::uuid, ${member}::uuid, 'treated', now() - interval '40 days', 1)`);
  // [days ago due, days ago paid (null: open), cancelled]
  const invoices: Array<[number, number | null, boolean]> = [
    [20, 20, false], // paid on its due day: on time
    [25, 20, false], // paid 5 days late
    [35, null, false], // open 35 days past due: late (the policy counts an open one after 30)
    [10, null, false], // open 10 days: not judged yet
    [0, null, false], // due today: not judged yet
    [15, null, true], // cancelled: never owed
    [-5, 41, false], // due in 5 days, paid the day before enrolment: nothing the campaign did (QA 40 F2)
  ];
  for (const [due, paid, cancelled] of invoices) {
    await rows(sql`insert into invoice (id, customer_id, issued_at, due_at, amount_minor, paid_at, cancelled_at, created_at)
      values (gen_random_uuid(), ${member}::uuid, current_date - ${due + 14}::int, current_date - ${due}::int, 5000,
              ${paid === null ? null : sql`current_date - ${paid}::int`}, ${cancelled ? sql`current_date - 1` : null}, now())`);
  }
  const { outcome } = await campaign(draft.id);
  expect(outcome![0]).toMatchObject({ group: 'Treated', members: 1, invoicesDue: 3, onTimePaymentRate: 1 / 3, membersWithInvoicesDue: 1, membersPaidAllOnTime: 0 });
  // Enrolled 40 days ago: how long the outcome has had to show.
  expect(outcome![0].medianDaysSinceEnrolment).toBeCloseTo(40, 1);
});

it('compares on-time payment by member, as the holdout is drawn: twelve invoices of one member are not twelve draws', async () => {
  const [steady, struggling] = await namedCustomers('Clustered', 2);
  const draft = await create('Thank the clustered', 'Appreciation', 'Clustered', 50);
  await rows(sql`insert into campaign_member (campaign_id, customer_id, "group", enrolled_at, pass) values
    (${draft.id}::uuid, ${steady}::uuid, 'treated', now() - interval '400 days', 1), (${draft.id}::uuid, ${struggling}::uuid, 'holdout', now() - interval '400 days', 1)`);
  // A year of monthly invoices each: one paid all on its due day, the other all ten days late.
  for (const [member, late] of [[steady, 0], [struggling, 10]] as const) {
    await rows(sql`insert into invoice (id, customer_id, issued_at, due_at, amount_minor, paid_at, created_at)
      select gen_random_uuid(), ${member}::uuid, current_date - (30 * n + 14), current_date - 30 * n, 5000, current_date - 30 * n + ${late}::int, now() from generate_series(1, 12) n`);
  }
  const { outcome, comparison } = await campaign(draft.id);
  expect(outcome!.map((o) => [o.group, o.invoicesDue, o.onTimePaymentRate, o.membersWithInvoicesDue, o.membersPaidAllOnTime])).toEqual([
    ['Treated', 12, 1, 1, 1],
    ['Holdout', 12, 0, 1, 0],
  ]);
  // One member against one: no evidence either way (by invoice, 12 of 12 against 0 of 12 would read as p < 0.0001).
  expect(comparison!.find((c) => c.metric === 'OnTimePayment')).toMatchObject({ treatedRate: 1, holdoutRate: 0, difference: 1, pValue: null, smallSample: true });
});

it("previews a repeating campaign's next pass without its members, and an ended campaign as enrolling nobody", async () => {
  const [first, second] = await namedCustomers('Passer', 2, { marketingConsent: true });
  const draft = await create('Thank the passers', 'Appreciation', 'Passer', 0);
  expect(await preview(draft.id)).toMatchObject({ customers: 2, treated: 2 });
  // The first pass enrolled one of them; the next takes only the other (each customer once).
  await rows(sql`insert into campaign_member (campaign_id, customer_id, "group", enrolled_at, pass) values (${draft.id}::uuid, ${first}::uuid, 'treated', now(), 1)`);
  await rows(sql`update campaign set status = 'running', repeat_every_days = 7 where id = ${draft.id}::uuid`);
  const next = await preview(draft.id);
  expect(next).toMatchObject({ customers: 1, treated: 1 });
  expect(next!.sample.map((c) => c.id)).toEqual([second]);
  await rows(sql`update campaign set status = 'completed' where id = ${draft.id}::uuid`);
  expect(await preview(draft.id)).toMatchObject({ customers: 0, treated: 0, holdout: 0, messages: 0, heldBack: [], sample: [] });
});

it('warns before the launch when its groups will compare little: a draw that held nobody back, groups too small for a p-value, a holdout in the playbook already', async () => {
  const few = await namedCustomers('Fewcomparer', 3, { marketingConsent: true });
  const small = await create('Thank the few', 'Appreciation', 'Fewcomparer', 10);
  const drawn = await drawnToHoldout(small.id, few);
  expect(await preview(small.id)).toMatchObject({ customers: 3, holdout: drawn.length, comparisonWarning: drawn.length ? 'groups-too-small' : 'no-holdout' });
  // No holdout asked for: nothing to warn of.
  expect((await preview((await create('Thank the few, all', 'Appreciation', 'Fewcomparer', 0)).id))!.comparisonWarning).toBeNull();

  // Account reviews of loss-making accounts, some of the holdout in a review already (the daily sweep's).
  const many = await namedCustomers('Manycomparer', 60);
  await lossMaking(many);
  const halved = await create('Review the many', 'AccountReview', 'Manycomparer', 50);
  const held = await drawnToHoldout(halved.id, many);
  expect(held.length).toBeGreaterThanOrEqual(10);
  expect(held.length).toBeLessThanOrEqual(50);
  expect(await preview(halved.id)).toMatchObject({ customers: 60, holdout: held.length, comparisonWarning: null });
  await underWay('account-review', held.slice(0, Math.floor(held.length / 2) - 1));
  expect(await preview(halved.id)).toMatchObject({ alreadyInRun: { holdout: Math.floor(held.length / 2) - 1 }, comparisonWarning: null });
  await underWay('account-review', held.slice(Math.floor(held.length / 2) - 1, Math.ceil(held.length / 2)));
  expect(await preview(halved.id)).toMatchObject({ alreadyInRun: { holdout: Math.ceil(held.length / 2) }, comparisonWarning: 'holdout-in-playbook' });
  // Launched, the outcome shows the comparison: a next pass's preview says nothing.
  await rows(sql`update campaign set status = 'running' where id = ${halved.id}::uuid`);
  expect((await preview(halved.id))!.comparisonWarning).toBeNull();
});

it('shows the outcome of both groups, one without members with zeros and null rates', async () => {
  await namedCustomers('Outcomer', 2);
  const draft = await create('Thank the outcomers', 'Appreciation', 'Outcomer', 0);
  // A holdout of 0: all are treated, none held back.
  await rows(sql`insert into campaign_member (campaign_id, customer_id, "group", enrolled_at, pass) select ${draft.id}::uuid, id, 'treated', now(), 1 from customer where name like 'Outcomer %'`);
  const { outcome, comparison } = await campaign(draft.id);
  expect(outcome!.map((o) => [o.group, o.members])).toEqual([
    ['Treated', 2],
    ['Holdout', 0],
  ]);
  expect(outcome![1]).toMatchObject({ retained: 0, retentionRate: null, revenueMinor: 0, invoicesDue: 0, onTimePaymentRate: null, complainedAgain: 0, meanProfitabilityMinor: null, profitabilityJudged: 0, inPlaybookElsewhere: 0 });
  expect(comparison!.find((c) => c.metric === 'Retention')).toMatchObject({ treatedRate: 0, holdoutRate: null, difference: null, pValue: null, smallSample: true, holdoutGotPlaybook: null });
  // Nobody at all (an empty segment): still both groups.
  const empty = await create('Thank nobody', 'Appreciation', 'Nobody by this name');
  expect((await campaign(empty.id)).outcome!.map((o) => [o.group, o.members, o.retentionRate])).toEqual([
    ['Treated', 0, null],
    ['Holdout', 0, null],
  ]);
});

it("says with each comparison how much of the holdout got the playbook anyway (a holdout all in runs compares the playbook with itself), and over how many members its mean profitability is", async () => {
  // The fourth gets no review.
  const [before, after, alsoBefore] = await namedCustomers('Withheld', 4);
  const draft = await create('Review the withheld', 'AccountReview', 'Withheld', 50);
  await rows(sql`update campaign set status = 'running', launched_at = now() - interval '1 hour' where id = ${draft.id}::uuid`);
  await rows(sql`insert into campaign_member (campaign_id, customer_id, "group", enrolled_at, pass) select ${draft.id}::uuid, id, 'holdout', now() - interval '1 hour', 1 from customer where name like 'Withheld %'`);
  // The sweep's reviews under way when they were drawn, one started by hand since.
  await underWay('account-review', [before, alsoBefore]);
  await rows(sql`update playbook_run set started_at = now() - interval '2 hours' where customer_id = any(${[before, alsoBefore]}::uuid[])`);
  await rows(sql`insert into playbook_run (id, workflow_id, playbook, customer_id, status, started_at) values (gen_random_uuid(), ${`account-review/${after}`}, 'account-review', ${after}::uuid, 'running', now())`);
  // Profitability judged for one of them, not judged (never bought) for another, not scored for the rest: the mean is the one's.
  const em = stack.orm.em.fork();
  em.create(ScoreSnapshot, { customer: before, computedAt: new Date(), scores: { profitability: { value: -9_000, band: 'loss-making', modelVersion: 'test', reasons: ['test'] } } });
  em.create(ScoreSnapshot, { customer: after, computedAt: new Date(), scores: { profitability: { value: null, band: null, modelVersion: 'test', reasons: ['not judged: nothing in the window'] } } });
  await em.flush();
  const { outcome, comparison } = await campaign(draft.id);
  expect(outcome!.find((o) => o.group === 'Holdout')).toMatchObject({ members: 4, inPlaybookElsewhere: 3, meanProfitabilityMinor: -9_000, profitabilityJudged: 1 });
  expect(comparison!.map((c) => [c.metric, c.holdoutGotPlaybook])).toEqual([
    ['Retention', 0.75],
    ['OnTimePayment', 0.75],
    ['ComplainedAgain', 0.75],
  ]);
});

it("counts a treated member's run the campaign did not start as in the playbook elsewhere, a sweep's started after enrolment too; records from before the installation's upgrade by when they started (QA 68 F2)", async () => {
  const [own, sweptLater, sweptBefore, none] = await namedCustomers('Tallied', 4, { marketingConsent: true });
  const draft = await create('Thank the tallied', 'Appreciation', 'Tallied', 0);
  await rows(sql`update campaign set status = 'running', launched_at = now() - interval '1 hour' where id = ${draft.id}::uuid`);
  await rows(sql`insert into campaign_member (campaign_id, customer_id, "group", enrolled_at, pass) select ${draft.id}::uuid, id, 'treated', now() - interval '1 hour', 1 from customer where name like 'Tallied %'`);
  const run = (customerId: string, startedAt: RawBuilder<unknown>, campaignId: string | null) =>
    rows(sql`insert into playbook_run (id, workflow_id, playbook, customer_id, status, started_at, campaign_id)
             values (gen_random_uuid(), ${`appreciation/${customerId}/${new Date().getUTCFullYear()}`}, 'appreciation', ${customerId}::uuid, 'running', ${startedAt}, ${campaignId}::uuid)`);
  // Its own run; the sweep's, started as the page enrolled the customer (the page joined it); the sweep's, under way before.
  await run(own, sql`now() - interval '59 minutes'`, draft.id);
  await run(sweptLater, sql`now() - interval '59 minutes'`, null);
  await run(sweptBefore, sql`now() - interval '2 hours'`, null);
  await rows(sql`update campaign_member set workflow_id = ${'appreciation/'}||customer_id||'/'||${String(new Date().getUTCFullYear())} where campaign_id = ${draft.id}::uuid and customer_id <> ${none}::uuid`);
  const treated = (await campaign(draft.id)).outcome!.find((o) => o.group === 'Treated')!;
  // 4 treated = 1 run the campaign started + 2 in the playbook elsewhere + 1 without a run.
  expect(treated).toMatchObject({ members: 4, inPlaybookElsewhere: 2 });

  // Records from before this installation's runs named their campaign (its upgrade, recorded by a migration; this database was
  // fresh, so all its runs name theirs): one started after enrolment was the campaign's (the old rule). Upgraded a day after
  // the runs, later than the release that made runs name their campaign (3 December 2026): the runs by the old rule still.
  const [oldOwn, oldBefore] = await namedCustomers('Old tallied', 2, { marketingConsent: true });
  const old = await create('Thank the old tallied', 'Appreciation', 'Old tallied', 0);
  await rows(sql`update campaign set status = 'completed', launched_at = now() - interval '2 days', finished_at = now() - interval '47 hours' where id = ${old.id}::uuid`);
  await rows(sql`insert into campaign_member (campaign_id, customer_id, "group", enrolled_at, pass) select ${old.id}::uuid, id, 'treated', now() - interval '2 days', 1 from customer where name like 'Old tallied %'`);
  await run(oldOwn, sql`now() - interval '2 days' + interval '1 second'`, null);
  await run(oldBefore, sql`now() - interval '3 days'`, null);
  const oldTreated = async () => (await campaign(old.id)).outcome!.find((o) => o.group === 'Treated');
  expect(await rows(sql`select value from deployment_setting where name = 'runs-name-campaign-since'`)).toEqual([{ value: '-infinity' }]);
  // Fresh: both are runs without a campaign, in the playbook elsewhere.
  expect(await oldTreated()).toMatchObject({ members: 2, inPlaybookElsewhere: 2 });
  await rows(sql`update deployment_setting set value = to_char((now() - interval '1 day') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') where name = 'runs-name-campaign-since'`);
  try {
    expect(await oldTreated()).toMatchObject({ members: 2, inPlaybookElsewhere: 1 });
    // A value that is no time, typed while the API runs (it refuses to start with one), is read as -infinity: the outcome still answers (review 40).
    for (const bad of ['last week', 'now']) {
      await rows(sql`update deployment_setting set value = ${bad} where name = 'runs-name-campaign-since'`);
      expect(await oldTreated()).toMatchObject({ members: 2, inPlaybookElsewhere: 2 });
    }
  } finally {
    await rows(sql`update deployment_setting set value = '-infinity' where name = 'runs-name-campaign-since'`);
  }
});

it("records the campaign on its run's record as its start creates the run, before a worker runs its first step (QA 68 F2)", async () => {
  const [id] = await namedCustomers('Started now', 1, { marketingConsent: true, acquiredAt: '2020-01-01' });
  const em = stack.orm.em.fork();
  em.create(ScoreSnapshot, { customer: id, computedAt: new Date(), scores: { 'payment-loyalty': { value: 1, band: 'loyal', modelVersion: 'test', reasons: ['test'] } } });
  await em.flush();
  const draft = await create('Thank the started', 'Appreciation', 'Started now', 0);
  await rows(sql`update campaign set status = 'running', launched_at = now() where id = ${draft.id}::uuid`);
  const { services } = await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`);
  // No worker here: the run's first step, which records its campaign too, does not run.
  const page = await new CampaignEnrolmentService(stack.orm.em.fork(), services.playbooks, services.audit, campaignRules(defaultPolicies)).enrolPage({ campaignId: draft.id, after: null, limit: 10 });
  expect(page).toMatchObject({ treated: 1, runsStarted: 1 });
  expect(await rows(sql`select campaign_id from playbook_run where customer_id = ${id}::uuid`)).toEqual([{ campaign_id: draft.id }]);
  expect((await campaign(draft.id)).outcome!.find((o) => o.group === 'Treated')).toMatchObject({ members: 1, inPlaybookElsewhere: 0 });
});

it('reports no next pass for a repeating campaign that ended while it waited for one (QA 14, F6)', async () => {
  const id = randomUUID();
  // The run's state as a cancel signal leaves it: status cancelled, the wait's time still set.
  const waited: CampaignProgress = { campaignId: id, status: 'cancelled', enrolled: 3, treated: 3, holdout: 0, runsStarted: 3, pages: 1, after: null, pass: 1, nextPassAt: new Date(Date.now() + 86_400_000).toISOString() };
  const engine = { progress: async () => waited, endedInEngine: async () => null } as unknown as CampaignEngine;
  const service = new CampaignService(stack.orm.em.fork(), engine, undefined as never, undefined as never, campaignRules(defaultPolicies));
  expect(await service.progressOf({ id, status: CampaignStatus.Cancelled })).toMatchObject({ status: 'cancelled', nextPassAt: null });
  // Recorded as cancelled before the run took the signal (ended in the engine): the record's end stands, with no next pass.
  engine.progress = async () => ({ ...waited, status: 'running' });
  expect(await service.progressOf({ id, status: CampaignStatus.Cancelled })).toMatchObject({ status: 'cancelled', nextPassAt: null });
  // While it runs, it waits for its next pass.
  expect(await service.progressOf({ id, status: CampaignStatus.Running })).toMatchObject({ status: 'running', nextPassAt: waited.nextPassAt });
});

it("asks the engine once whether a campaign's run ended there when its view and its progress are read together", async () => {
  const draft = await create('Looked at once', 'Appreciation', 'Looked at', 0);
  await rows(sql`update campaign set status = 'running', launched_at = now() where id = ${draft.id}::uuid`);
  let looks = 0;
  const running: CampaignProgress = { campaignId: draft.id, status: 'running', enrolled: 0, treated: 0, holdout: 0, runsStarted: 0, pages: 0, after: null, pass: 1, nextPassAt: null };
  const engine = { progress: async () => running, endedInEngine: async () => (looks++, null) } as unknown as CampaignEngine;
  const service = new CampaignService(stack.orm.em.fork(), engine, undefined as never, undefined as never, campaignRules(defaultPolicies));
  // A campaign's own view (campaign(id) { progress }): the view looks, its progress goes by that look.
  const view = (await service.find(draft.id))!;
  expect(await service.progressOf({ ...view.campaign, endLookedFor: view.endLookedFor })).toMatchObject({ status: 'running' });
  expect(looks).toBe(1);
  // A list's row was read without a look: its progress looks.
  expect(await service.progressOf({ id: draft.id, status: CampaignStatus.Running })).toMatchObject({ status: 'running' });
  expect(looks).toBe(2);
});

it("gives a draft whose playbook changes the new playbook's default holdout, unless one is given with it (QA 14, F5)", async () => {
  const draft = await create('Switching playbooks', 'FixIssue', 'Switcher');
  expect(draft.holdoutPercent).toBe(0);
  const update = async (input: UpdateCampaignInput) => {
    const changed = await stack.gql(UpdateCampaignDocument, { id: draft.id, input }, Role.Marketer);
    expect(changed.errors).toBeUndefined();
    return changed.data!.updateCampaign.holdoutPercent;
  };
  // A fix holds nobody back; a thank-you keeps its tenth as a control group.
  expect(await update({ playbook: 'Appreciation' })).toBe(10);
  // Back to a fix: no holdout, instead of a refusal of a share the marketer never set.
  expect(await update({ playbook: 'FixIssue' })).toBe(0);
  // A share given with the new playbook is taken; it stays through other changes, and with the same playbook named again.
  expect(await update({ playbook: 'AccountReview', holdoutPercent: 25 })).toBe(25);
  expect(await update({ name: 'Reviews' })).toBe(25);
  expect(await update({ playbook: 'AccountReview' })).toBe(25);
  expect(await update({ playbook: 'WelcomeCheck' })).toBe(10);
  const audited = await rows(sql<{ after: { playbook?: string; holdoutPercent?: number } }>`select after from audit_entry where entity_id = ${draft.id} and action = 'campaign.update' order by at`);
  expect(audited.map((a) => [a.after.playbook, a.after.holdoutPercent])).toEqual([
    ['appreciation', 10],
    ['fix-issue', 0],
    ['account-review', 25],
    [undefined, undefined],
    ['welcome-check', 10],
  ]);
});

it("leaves out another campaign's holdout of the playbook while it measures, and its preview says how many (QA 14, F3)", async () => {
  const ids = await namedCustomers('Measured', 10, { acquiredAt: new Date(Date.now() - 20 * 86_400_000).toISOString().slice(0, 10) });
  // A welcome campaign over them launched: 4 held back, 6 welcomed (their runs under way).
  const first = await create('Welcome the measured', 'WelcomeCheck', 'Measured', 40);
  const [held, welcomed] = [ids.slice(0, 4), ids.slice(4)];
  await rows(sql`insert into campaign_member (campaign_id, customer_id, "group", enrolled_at, pass)
                 select ${first.id}::uuid, id, (case when id = any(${held}::uuid[]) then 'holdout' else 'treated' end)::campaign_group, now(), 1 from customer where id = any(${ids}::uuid[])`);
  await rows(sql`update campaign set status = 'running', launched_at = now() where id = ${first.id}::uuid`);
  await underWay('welcome-check', welcomed);

  // The same segment again: the welcomed had theirs, the held back are the first campaign's control group.
  const second = await create('Welcome the measured again', 'WelcomeCheck', 'Measured', 0);
  expect(second.preview).toMatchObject({ customers: 0, treated: 0, messages: 0, inOtherHoldout: 4 });
  const services = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services;
  const enrol = () => new CampaignEnrolmentService(stack.orm.em.fork(), services.playbooks, services.audit, campaignRules(defaultPolicies)).enrolPage({ campaignId: second.id, after: null, limit: 10 });
  expect(await enrol()).toMatchObject({ enrolled: 0, runsStarted: 0 });
  // The holdout of another playbook's campaign is not this one's to protect.
  await rows(sql`update campaign set playbook = 'appreciation' where id = ${first.id}::uuid`);
  expect(await preview(second.id)).toMatchObject({ customers: 4, inOtherHoldout: 0 });
  await rows(sql`update campaign set playbook = 'welcome-check' where id = ${first.id}::uuid`);

  // Ended, it still measures for a while; long ago, its holdout is free again.
  await rows(sql`update campaign set status = 'completed', finished_at = now() - interval '10 days' where id = ${first.id}::uuid`);
  expect(await preview(second.id)).toMatchObject({ customers: 0, inOtherHoldout: 4 });
  await rows(sql`update campaign set finished_at = now() - interval '91 days' where id = ${first.id}::uuid`);
  expect(await preview(second.id)).toMatchObject({ customers: 4, treated: 4, messages: 4, inOtherHoldout: 0 });
});

it("counts an account review's offer as marketing: the contact guard holds it back where no cheaper tier is suggested (QA 14, F2)", async () => {
  const midday = zoneAtNoon(new Date());
  const [tierChange, noConsent, complained, reachable] = await Promise.all([
    namedCustomers('Proposee tier', 1, { marketingConsent: false, timeZone: midday }),
    namedCustomers('Proposee noconsent', 1, { marketingConsent: false, timeZone: midday }),
    namedCustomers('Proposee complained', 1, { marketingConsent: true, timeZone: midday }),
    namedCustomers('Proposee reachable', 1, { marketingConsent: true, timeZone: midday }),
  ]).then((ids) => ids.map(([id]) => id));
  await lossMaking([tierChange]);
  await lossMaking([noConsent, complained, reachable], 'no cheaper service concept turns this around: an offer that moves the account to a richer one may (on premium it is projected at -50.00; an account review weighs them)');
  await rows(sql`insert into complaint (id, customer_id, topic, severity, opened_at, created_at) values (gen_random_uuid(), ${complained}::uuid, 'late-delivery', 'medium', now(), now())`);
  const draft = await create('Review the proposees', 'AccountReview', 'Proposee', 0);
  // No offer for existing customers today: only the tier change is proposed; an offer the guard would hold back is not there to hold.
  expect(draft.preview).toMatchObject({ customers: 4, treated: 4, messages: 1, heldBack: [] });
  const em = stack.orm.em.fork();
  // A price cut on their own (standard) service is no offer a review makes a loss-making account: still only the tier change.
  em.create(Offer, { code: 'TEN-OFF', name: 'Ten off', audience: OfferAudience.ExistingCustomers, discountPercent: 10, validFrom: '2020-01-01' });
  await em.flush();
  expect(await preview(draft.id)).toMatchObject({ messages: 1, heldBack: [] });
  // One that moves them to the premium service may be (the run weighs whether it helps the account): the tier change (a
  // service message, whatever the consent) and the offer to the customer the guard lets it reach.
  em.create(Offer, { code: 'PREMIUM-UP', name: 'Premium for less', audience: OfferAudience.ExistingCustomers, discountPercent: 10, serviceTier: ServiceTier.Premium, validFrom: '2020-01-01' });
  await em.flush();
  expect(await preview(draft.id)).toMatchObject({
    messages: 2,
    heldBack: expect.arrayContaining([
      { reason: 'no-consent', customers: 1 },
      { reason: 'open-complaint', customers: 1 },
    ]),
  });
  expect((await preview(draft.id))!.heldBack).toHaveLength(2);
});

it('refuses to launch an ended campaign again, saying that it has completed or been cancelled (QA 52 F3)', async () => {
  for (const [status, says] of [['completed', 'has already completed'], ['cancelled', 'has been cancelled']] as const) {
    const ended = await create(`Launched and ${status}`, 'Appreciation', `Nobody ${status}`);
    await rows(sql`update campaign set status = ${status}::campaign_status where id = ${ended.id}::uuid`);
    const refused = await stack.gql(LaunchCampaignDocument, { id: ended.id }, Role.Marketer);
    expect(refused.errors![0]).toMatchObject({
      message: `Campaign ${ended.id} ${says}: it cannot be launched again (to run it again, create a campaign with its settings under a name of its own with createCampaign, and launch that)`,
      extensions: { code: 'CONFLICT', reason: 'CAMPAIGN_WRONG_STATE', id: ended.id, status: status === 'completed' ? 'Completed' : 'Cancelled' },
    });
  }
});

it('refuses to launch now a campaign that runs once and would enrol nobody, with who was left out and why, writing nothing; one launched for later or repeating may start empty', async () => {
  const launch = (id: string, at?: string) => stack.gql(LaunchCampaignDocument, { id, at }, Role.Marketer);
  const audited = async (id: string) => (await rows(sql<{ action: string }>`select action from audit_entry where entity_id = ${id} order by at, id`)).map((a) => a.action);
  // Its filter matches nobody.
  const nobody = await create('Thank the absent', 'Appreciation', 'Nobody goes by this name');
  const refused = await launch(nobody.id);
  expect(refused.data).toBeNull();
  expect(refused.errors![0].message).toMatch(new RegExp(`^Campaign ${nobody.id} would enrol nobody now: its filter matches no customer; a campaign that runs once would complete at once`));
  expect(refused.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'CAMPAIGN_EMPTY_AUDIENCE', id: nobody.id, status: 'Draft', leftOut: [], inOtherHoldout: 0 });
  // Its filter matches customers, all of whom the playbook's rules leave out: too new to be thanked for years with us.
  const joined = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
  await namedCustomers('Toonew', 3, { acquiredAt: joined, marketingConsent: true });
  const tooNew = await create('Thank the too new', 'Appreciation', 'Toonew');
  expect(tooNew.preview).toMatchObject({ customers: 0, leftOut: [{ reason: 'short-tenure', customers: 3 }] });
  const leftOut = (await launch(tooNew.id)).errors![0];
  expect(leftOut.message).toMatch(/would enrol nobody now: its playbook's rules leave out all 3 customers its filter matches \(short-tenure 3\)/);
  expect(leftOut.extensions).toMatchObject({ code: 'CONFLICT', reason: 'CAMPAIGN_EMPTY_AUDIENCE', leftOut: [{ reason: 'short-tenure', customers: 3 }], inOtherHoldout: 0 });
  // Nothing written: still a draft to change, no launch audited, no run in the engine.
  for (const { id } of [nobody, tooNew]) {
    expect(await campaign(id)).toMatchObject({ status: 'Draft', launchedAt: null, scheduledFor: null });
    expect(await audited(id)).toEqual(['campaign.create']);
    await expect(stack.temporal.client.workflow.getHandle(campaignWorkflowId(id)).describe()).rejects.toThrow();
  }
  // Launched for later, or repeating, it may start empty: customers may enter it by then.
  const at = new Date(Date.now() + 3_600_000).toISOString();
  expect((await launch(nobody.id, at)).data!.launchCampaign).toMatchObject({ status: 'Scheduled', scheduledFor: at });
  expect((await stack.gql(UpdateCampaignDocument, { id: tooNew.id, input: { repeatEveryDays: 7 } }, Role.Marketer)).errors).toBeUndefined();
  expect((await launch(tooNew.id)).data!.launchCampaign).toMatchObject({ status: 'Running' });
});

it('points a marketer who cancels, pauses or resumes a draft to the mutation that does what they mean, and one who would start a scheduled campaign earlier to those that exist', async () => {
  const draft = await create('Never launched', 'Appreciation', 'Nobody by that name either');
  const cancel = await stack.gql(CancelCampaignDocument, { id: draft.id }, Role.Marketer);
  expect(cancel.errors![0]).toMatchObject({
    message: `Campaign ${draft.id} cannot cancel: it is a draft, never launched (to throw it away, discard it with discardCampaign)`,
    extensions: { code: 'CONFLICT', reason: 'CAMPAIGN_WRONG_STATE', id: draft.id, status: 'Draft' },
  });
  expect((await stack.gql(PauseCampaignDocument, { id: draft.id }, Role.Marketer)).errors![0].message).toBe(`Campaign ${draft.id} cannot pause: it is a draft, never launched (launch it first with launchCampaign)`);
  const at = new Date(Date.now() + 3_600_000).toISOString();
  expect((await stack.gql(LaunchCampaignDocument, { id: draft.id, at }, Role.Marketer)).data!.launchCampaign.status).toBe('Scheduled');
  const now = await stack.gql(LaunchCampaignDocument, { id: draft.id }, Role.Marketer);
  expect(now.errors![0]).toMatchObject({
    message: `Campaign ${draft.id} is scheduled for ${at}: it starts then, not now (to start it earlier, cancel it with cancelCampaign, create a campaign with its settings under a name of its own with createCampaign, and launch that)`,
    extensions: { code: 'CONFLICT', reason: 'CAMPAIGN_WRONG_STATE', status: 'Scheduled', scheduledFor: at },
  });
});
