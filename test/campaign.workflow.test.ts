import { defaultPolicies } from '../src/domain/policies/index.js';
import { campaignRules } from '../src/services/index.js';
import { sql, type RawBuilder } from 'kysely';
import pg from 'pg';
import { defaultPayloadConverter } from '@temporalio/common';
import { Role } from '../src/domain/auth/roles.js';
import { campaignPolicy, campaignWorkflowId, type CampaignPolicy } from '../src/domain/campaigns/campaign.js';
import { appreciationPolicy } from '../src/domain/playbooks/appreciation.js';
import { loadDemoDataIfEmpty } from '../src/dev/demo-loader.js';
import { CostEntry, CostKind, Customer, Order, ScoreSnapshot, ServiceTier } from '../src/entities/index.js';
import { CampaignEnrolmentService, holdoutDraw } from '../src/services/campaigns/campaign-enrolment.service.js';
import { TemporalCampaignEngine } from '../src/temporal/temporal-campaign-engine.js';
import {
  CampaignDocument,
  CampaignMembersDocument,
  CampaignsDocument,
  CampaignsRunsByOutcomeDocument,
  CancelCampaignDocument,
  CancelPlaybookRunDocument,
  CreateCampaignDocument,
  DiscardCampaignDocument,
  LaunchCampaignDocument,
  PauseCampaignDocument,
  ResumeCampaignDocument,
  RunningPlaybookRunsDocument,
  ScoringRunDocument,
  StartAccountReviewDocument,
  StartFixIssueDocument,
  StartRescoreDocument,
  StartWelcomeCheckDocument,
  UpdateCampaignDocument,
  type CampaignMembersQuery,
  type CampaignMembersQueryVariables,
  type Playbook,
  type RunningPlaybookRunsFilterInput,
} from './__generated__/graphql.js';
import { recordHistory } from './support/histories.js';
import { countStatements } from './support/statement-counter.js';
import { eventually as eventuallyWithin } from './support/eventually.js';
import { spawnWorker, startTestStack, testKeys, workerEnvOf, type TestStack } from './support/stack.js';
import { zoneAtNoon } from './support/time-zones.js';
import { steeringAudited, temporalOperator } from './support/temporal-operator.js';

const eventually = <T>(fn: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 90_000) => eventuallyWithin(fn, ok, timeoutMs);

/**
 * Campaigns on the real Temporal dev server and worker processes over 300 demo customers:
 * preview, launch (twice), pause, resume, cancel, the holdout, and a worker killed mid-run.
 */
// Five pages per workflow execution: every campaign here continues as new several times.
// A killed worker's page is retried once its heartbeat has been silent for 2 s.
// A repeating campaign's day lasts a second here.
const policy: CampaignPolicy = { ...campaignPolicy, pageSize: 15, pageIntervalMs: 200, heartbeatSeconds: 2, pagesPerExecution: 3, repeatDayMs: 1_000 };

let stack: TestStack;
let worker: Awaited<ReturnType<typeof spawnWorker>> | null = null;
// The tests record campaigns that ended in the engine themselves, when they mean to.
const workerEnv = () => workerEnvOf(stack, { MESSAGE_CHANNEL: 'off', RUN_RECONCILIATION_SCHEDULE: 'off' });

beforeAll(async () => {
  stack = await startTestStack({ worker: false, policies: { campaign: policy } });
  await loadDemoDataIfEmpty(stack.orm.em.fork(), 300);
  // Newcomers of every tier beside the demo base: a welcome campaign reaches customers of 90 days or less only.
  const em = stack.orm.em.fork();
  const tiers = [ServiceTier.Basic, ServiceTier.Standard, ServiceTier.Premium];
  for (let i = 0; i < 90; i++) em.create(Customer, { name: `Newcomer ${i}`, email: `newcomer${i}@example.com`, acquiredAt: joinedDaysAgo(5 + (i % 60)), serviceTier: tiers[i % 3] });
  await em.flush();
  worker = await spawnWorker(workerEnv());
}, 90_000);
afterAll(async () => {
  await worker?.stop();
  await stack?.stop();
});


/** The day `days` days ago: a customer who joined then. */
function joinedDaysAgo(days: number): string {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}

const rows = async <T>(q: RawBuilder<T>) => (await q.execute(stack.orm.em.fork().getKysely())).rows;
/** Customers a thank-you for years with us is true of. */
const twoYears = sql<boolean>`c.acquired_at <= current_date - ${appreciationPolicy.minTenureDays}::int`;
/** Those of them a thank-you campaign enrols: who take marketing (the thank-you is marketing), not a loss-making account (it gets an account review instead). */
const thankable = sql<boolean>`${twoYears} and c.marketing_consent and not exists (select 1 from current_score x where x.customer_id = c.id and x.kind = 'profitability' and x.band = 'loss-making')`;
const members = (id: string, page: Omit<CampaignMembersQueryVariables, 'id'>) => stack.gql(CampaignMembersDocument, { id, ...page }, Role.Viewer);
const campaign = (id: string) => stack.gql(CampaignDocument, { id }, Role.Viewer).then((r) => r.data!.campaign!);
/** While no worker runs, the progress query has nobody to answer it (UNAVAILABLE): null then. */
const campaignOrNull = (id: string) => stack.gql(CampaignDocument, { id }, Role.Viewer).then((r) => r.data?.campaign ?? null);
const create = async (name: string, playbook: Playbook, serviceTier: Array<'Basic' | 'Standard' | 'Premium'>, holdoutPercent: number | null = 20) => {
  const created = await stack.gql(CreateCampaignDocument, { input: { name, playbook, filter: { serviceTier }, holdoutPercent } }, Role.Marketer);
  expect(created.errors).toBeUndefined();
  return created.data!.createCampaign;
};

/**
 * Every treated member got one run, and one thank-you unless the contact guard held it back
 * (no consent: not thanked; an issue open: the run waits); the holdout got nothing. A run
 * records itself in its first activity, a moment after it starts: waited for (a second
 * message or run would never pass the wait, and fails it).
 */
async function expectExactlyOnce(campaignId: string) {
  const members = await eventually(
    () =>
      rows(sql<{ group: string; messages: number; runs: number; thanked: number }>`
        select m."group",
               (select count(*) from outbox_message o where o.customer_id = m.customer_id and o.template = 'appreciation')::int as messages,
               (select count(*) from playbook_run r where r.customer_id = m.customer_id and r.playbook = 'appreciation')::int as runs,
               (select count(*) from playbook_run r where r.customer_id = m.customer_id and r.playbook = 'appreciation' and r.outcome = 'thanked')::int as thanked
          from campaign_member m where m.campaign_id = ${campaignId}::uuid`),
    (ms) => ms.every((m) => (m.group === 'treated' ? m.runs === 1 && m.messages === m.thanked : true)),
    30_000,
  );
  const treated = members.filter((m) => m.group === 'treated');
  const holdout = members.filter((m) => m.group === 'holdout');
  expect(treated.length).toBeGreaterThan(0);
  expect(holdout.length).toBeGreaterThan(0);
  expect(treated.filter((m) => m.thanked).length).toBeGreaterThan(0);
  expect(treated.filter((m) => m.messages !== m.thanked || m.runs !== 1)).toEqual([]);
  expect(holdout.filter((m) => m.messages !== 0 || m.runs !== 0)).toEqual([]);
  return { treated: treated.length, holdout: holdout.length };
}

/** Every thank-you under way waits for the contact guard (an issue open: fix first, thank later); the rest have ended. */
async function onlyWaitingThankYous(timeoutMs?: number) {
  const waitingAgree = async () => {
    const [running] = await rows(sql<{ n: number }>`select count(*)::int as n from playbook_run where playbook = 'appreciation' and status = 'running'`);
    // This file's runs only (its task queue): other test files share the Temporal server, and their thank-yous may wait too.
    const waiting = await stack.temporal.client.workflow.count(`Playbook = "appreciation" AND ExecutionStatus = "Running" AND PlaybookStep = "waiting" AND TaskQueue = "${stack.config.temporal.taskQueue}"`);
    return running.n === waiting.count;
  };
  await eventually(waitingAgree, (agree) => agree, timeoutMs);
}

it('previews a segment, enrols each customer once when launched twice, and keeps the holdout free of messages', async () => {
  const draft = await create('Thank standard customers', 'Appreciation', ['Standard']);
  // A thank-you for years with us reaches the segment's customers of two years and more, none younger.
  const [segment] = await rows(
    sql<{ n: number; withoutConsent: number; younger: number }>`select count(*) filter (where ${thankable})::int as n, count(*) filter (where not marketing_consent and ${twoYears})::int as "withoutConsent",
                                                                   count(*) filter (where not ${twoYears})::int as younger
                                                              from customer c where service_tier = 'standard' and status = 'active'`,
  );
  expect(segment.younger).toBeGreaterThan(0);
  expect(segment.withoutConsent).toBeGreaterThan(0);
  expect(draft.status).toBe('Draft');
  expect(draft.preview!.customers).toBe(segment.n);
  expect(draft.preview!.treated + draft.preview!.holdout).toBe(segment.n);
  // The holdout is the stable draw's: exactly the segment's customers it puts aside; and the draw
  // puts about the campaign's 20% aside, seen over 20,000 IDs (a segment of ~50 is too small to bound).
  const [drawn] = await rows(
    sql<{ segment: number }>`select count(*)::int as segment from customer c cross join campaign cmp
                              where cmp.id = ${draft.id}::uuid and ${thankable} and c.service_tier = 'standard' and c.status = 'active' and ${holdoutDraw(draft.id)}`,
  );
  expect(draft.preview!.holdout).toBe(drawn.segment);
  const [share] = await rows(
    sql<{ share: number }>`select avg((${holdoutDraw(draft.id)})::int)::float as share
                             from (select gen_random_uuid() as id from generate_series(1, 20000)) c cross join campaign cmp where cmp.id = ${draft.id}::uuid`,
  );
  expect(share.share).toBeGreaterThan(0.17);
  expect(share.share).toBeLessThan(0.23);
  expect(draft.preview!.messages).toBeLessThanOrEqual(draft.preview!.treated);
  expect(draft.preview!.sample.length).toBeGreaterThan(0);

  const [a, b] = await Promise.all([stack.gql(LaunchCampaignDocument, { id: draft.id }, Role.Marketer), stack.gql(LaunchCampaignDocument, { id: draft.id }, Role.Marketer)]);
  expect([a.errors, b.errors]).toEqual([undefined, undefined]);
  // The launch shows at once, not as a draft until the run's first step records it.
  for (const launched of [a, b]) expect(['Running', 'Completed']).toContain(launched.data!.launchCampaign.status);
  const done = await eventually(() => campaign(draft.id), (c) => c.status === 'Completed');
  expect(done.progress).toMatchObject({ status: 'Completed', enrolled: segment.n, treated: draft.preview!.treated, holdout: draft.preview!.holdout });
  // Several executions of one campaign run: it continued as new along the way.
  const executions = await eventually(() => stack.temporal.client.workflow.count(`WorkflowId = "${campaignWorkflowId(draft.id)}"`), (c) => c.count > 1, 30_000);
  expect(executions.count).toBeGreaterThan(1);
  await onlyWaitingThankYous();
  expect(await expectExactlyOnce(draft.id)).toEqual({ treated: draft.preview!.treated, holdout: draft.preview!.holdout });
  expect(done.outcome!.map((o) => o.group).sort()).toEqual(['Holdout', 'Treated']);
  expect(done.outcome!.find((o) => o.group === 'Treated')!.members).toBe(draft.preview!.treated);
  // Did it work: each rate of the two groups, their difference with its interval and p-value.
  const group = (name: string) => done.outcome!.find((o) => o.group === name)!;
  const retention = done.comparison!.find((c) => c.metric === 'Retention')!;
  expect(retention).toMatchObject({ treatedRate: group('Treated').retentionRate, holdoutRate: group('Holdout').retentionRate });
  expect(retention.difference).toBeCloseTo(group('Treated').retentionRate! - group('Holdout').retentionRate!, 12);
  expect(retention.low!).toBeLessThanOrEqual(retention.difference!);
  expect(retention.high!).toBeGreaterThanOrEqual(retention.difference!);
  // A p-value only where the z-test holds (5 expected either way in each group), none otherwise.
  const pooled = (group('Treated').retained + group('Holdout').retained) / (group('Treated').members + group('Holdout').members);
  expect(retention.smallSample).toBe(Math.min(group('Treated').members, group('Holdout').members) * Math.min(pooled, 1 - pooled) < 5);
  if (retention.smallSample) expect(retention.pValue).toBeNull();
  else expect(retention.pValue!).toBeGreaterThanOrEqual(0);
  expect(retention.pValue ?? 0).toBeLessThanOrEqual(1);
  expect(done.comparison!.map((c) => c.metric)).toEqual(['Retention', 'OnTimePayment', 'ComplainedAgain']);
  // The outcome and the comparison in one request read the groups' aggregate once.
  const { statements } = await countStatements(() => campaign(draft.id));
  expect(statements.filter((s) => s.includes('from campaign_member m join campaign cmp'))).toHaveLength(1);
  expect((await stack.gql(LaunchCampaignDocument, { id: draft.id }, Role.Marketer)).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'CAMPAIGN_WRONG_STATE' });
  // Operators find the campaign's runs in the Temporal UI by its ID.
  const tagged = await eventually(() => stack.temporal.client.workflow.count(`CampaignId = "${draft.id}" AND WorkflowType != "campaign"`), (c) => c.count === done.progress!.runsStarted, 30_000);
  expect(tagged.count).toBe(draft.preview!.treated);
  // And the campaign's own workflow by the same search (QA 81 F7), each of its executions: those it continued as new keep the tag.
  const campaignTagged = await eventually(() => stack.temporal.client.workflow.count(`CampaignId = "${draft.id}" AND WorkflowType = "campaign"`), (c) => c.count === executions.count, 30_000);
  expect(campaignTagged.count).toBe(executions.count);
  await recordHistory(campaignWorkflowId(draft.id), 'campaign-completed');
}, 150_000);

it('pauses, resumes and cancels', async () => {
  const draft = await create('Welcome again', 'WelcomeCheck', ['Basic', 'Premium', 'Standard']);
  await stack.gql(LaunchCampaignDocument, { id: draft.id }, Role.Marketer);
  await eventually(() => campaign(draft.id), (c) => (c.progress?.enrolled ?? 0) >= 30);
  expect((await stack.gql(PauseCampaignDocument, { id: draft.id }, Role.Marketer)).errors).toBeUndefined();
  const paused = await eventually(() => campaign(draft.id), (c) => c.status === 'Paused');
  await new Promise((r) => setTimeout(r, 1_000));
  expect((await campaign(draft.id)).progress!.enrolled).toBe(paused.progress!.enrolled);
  expect((await stack.gql(PauseCampaignDocument, { id: draft.id }, Role.Marketer)).errors![0].extensions).toMatchObject({ code: 'CONFLICT' });

  await stack.gql(ResumeCampaignDocument, { id: draft.id }, Role.Marketer);
  await eventually(() => campaign(draft.id), (c) => c.progress!.enrolled > paused.progress!.enrolled);
  await stack.gql(CancelCampaignDocument, { id: draft.id }, Role.Marketer);
  const cancelled = await eventually(() => campaign(draft.id), (c) => c.status === 'Cancelled');
  expect(cancelled.progress!.enrolled).toBeLessThan(300);
  expect(cancelled.finishedAt).not.toBeNull();
  expect((await stack.gql(ResumeCampaignDocument, { id: draft.id }, Role.Marketer)).errors![0].extensions).toMatchObject({ code: 'CONFLICT' });
  for (const role of [Role.Viewer, Role.Operator]) {
    expect((await stack.gql(LaunchCampaignDocument, { id: draft.id }, role)).errors![0].extensions!.code).toBe('FORBIDDEN');
  }
  // Fair reminders follow an overdue invoice, not a segment.
  const bad = await stack.gql(CreateCampaignDocument, { input: { name: 'x', playbook: 'FairReminder', filter: {}, holdoutPercent: 10 } }, Role.Marketer);
  expect(bad.errors![0].extensions).toMatchObject({ code: 'VALIDATION', field: 'input.playbook', playbook: 'FairReminder' });
  // The message names no stored playbook name the API would refuse (QA 40 F3).
  expect(bad.errors![0].message).not.toMatch(/fair-reminder|welcome-check|account-review|fix-issue/);
  const before = (await stack.gql(CampaignsDocument, { first: 10 }, Role.Viewer)).data!.campaigns.totalCount;
  expect(before).toBeGreaterThanOrEqual(2);
  // A misspelt segment would reach nobody: refused, and no draft is left behind.
  const typo = await stack.gql(CreateCampaignDocument, { input: { name: 'x', playbook: 'Appreciation', filter: { segment: ['Champion'] }, holdoutPercent: 10 } }, Role.Marketer);
  expect(typo.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'CUSTOMER_INVALID_INPUT', field: 'input.filter.segment' });
  expect((await stack.gql(CampaignsDocument, { first: 10 }, Role.Viewer)).data!.campaigns.totalCount).toBe(before);
  // Newest first, one page at a time, as the whole list; each with its run's progress.
  const listed = (await stack.gql(CampaignsDocument, { first: 10 }, Role.Viewer)).data!.campaigns.edges.map((e) => e.node);
  expect(listed.find((c) => c.id === draft.id)!.progress).toMatchObject({ status: 'Cancelled', enrolled: cancelled.progress!.enrolled });
  const all = listed.map((c) => c.id);
  const first = (await stack.gql(CampaignsDocument, { first: 1 }, Role.Viewer)).data!.campaigns;
  const second = (await stack.gql(CampaignsDocument, { first: 1, after: first.pageInfo.endCursor }, Role.Viewer)).data!.campaigns;
  expect([first.edges[0].node.id, second.edges[0].node.id]).toEqual(all.slice(0, 2));
  expect(first.pageInfo.hasNextPage).toBe(true);
}, 120_000);

it('launches for later: scheduled until its time, then enrols; cancelled before it, enrols nobody', async () => {
  const launch = (id: string, at: number) => stack.gql(LaunchCampaignDocument, { id, at: new Date(at).toISOString() }, Role.Marketer);
  // (Welcome checks: the exactly-once checks below count the appreciation runs of their own segments.)
  const later = await create('Welcome on Monday', 'WelcomeCheck', ['Premium']);
  expect((await launch(later.id, Date.now() - 60_000)).errors![0].extensions).toMatchObject({ code: 'VALIDATION', field: 'at' });
  expect((await launch(later.id, Date.now() + 400 * 86_400_000)).errors![0].extensions).toMatchObject({ code: 'VALIDATION', field: 'at' });
  const at = Date.now() + 4_000;
  const scheduled = await launch(later.id, at);
  expect(scheduled.errors).toBeUndefined();
  expect(scheduled.data!.launchCampaign).toMatchObject({ status: 'Scheduled', scheduledFor: new Date(at).toISOString(), launchedAt: null });
  expect((await eventually(() => campaign(later.id), (c) => c.progress?.status === 'Scheduled')).progress).toMatchObject({ enrolled: 0 });
  // Nothing to pause yet, and its start does not move.
  expect((await stack.gql(PauseCampaignDocument, { id: later.id }, Role.Marketer)).errors![0].extensions).toMatchObject({ code: 'CONFLICT' });
  expect((await launch(later.id, Date.now() + 3_600_000)).errors![0].extensions).toMatchObject({ code: 'CONFLICT' });
  const done = await eventually(() => campaign(later.id), (c) => c.status === 'Completed');
  expect(new Date(done.launchedAt!).getTime()).toBeGreaterThanOrEqual(at);
  expect(done.progress!.enrolled).toBeGreaterThan(0);

  const never = await create('Welcome next year', 'WelcomeCheck', ['Premium']);
  const neverAt = new Date(Date.now() + 3_600_000).toISOString();
  expect((await launch(never.id, Date.parse(neverAt))).data!.launchCampaign.status).toBe('Scheduled');
  await eventually(() => campaign(never.id), (c) => c.progress?.status === 'Scheduled');
  // "Launch now" does not start it early, and says so instead of answering as if it had (QA21 L5).
  const now = await stack.gql(LaunchCampaignDocument, { id: never.id }, Role.Marketer);
  expect(now.errors![0]).toMatchObject({
    message: expect.stringContaining(`is scheduled for ${neverAt}`),
    extensions: { code: 'CONFLICT', reason: 'CAMPAIGN_WRONG_STATE', status: 'Scheduled', scheduledFor: neverAt },
  });
  expect((await campaign(never.id))).toMatchObject({ status: 'Scheduled', scheduledFor: neverAt, launchedAt: null, progress: { status: 'Scheduled', enrolled: 0 } });
  // Two marketers cancel at the same moment: one cancel, one audit entry; the other is told.
  const both = await Promise.all([0, 1].map(() => stack.gql(CancelCampaignDocument, { id: never.id }, Role.Marketer)));
  expect(both.filter((r) => r.errors === undefined)).toHaveLength(1);
  // The cancel's answer shows the campaign as the next view does: cancelled, with its finish time (QA 83 F5).
  expect(both.find((r) => r.errors === undefined)!.data!.cancelCampaign).toMatchObject({ status: 'Cancelled', finishedAt: expect.any(String), launchedAt: null, progress: { status: 'Cancelled' } });
  expect(both.find((r) => r.errors)!.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'CAMPAIGN_WRONG_STATE' });
  expect(await rows(sql<{ n: number }>`select count(*)::int as n from audit_entry where entity_id = ${never.id} and action = 'campaign.cancel'`)).toEqual([{ n: 1 }]);
  const cancelled = await eventually(() => campaign(never.id), (c) => c.status === 'Cancelled');
  expect(cancelled).toMatchObject({ launchedAt: null, finishedAt: expect.any(String), progress: { status: 'Cancelled', enrolled: 0 } });
  expect(await rows(sql<{ n: number }>`select count(*)::int as n from campaign_member where campaign_id = ${never.id}::uuid`)).toEqual([{ n: 0 }]);
  await recordHistory(campaignWorkflowId(never.id), 'campaign-scheduled-cancelled');
}, 120_000);

it("records a launch whose own transaction never committed (the API stopped right after starting the run), audited once as the marketer's", async () => {
  const at = new Date(Date.now() + 3_600_000);
  const launches = (id: string) => rows(sql<{ actor: string; after: unknown }>`select actor, after from audit_entry where entity_id = ${id} and action = 'campaign.launch'`);
  // The API started the run, then stopped before its transaction committed: the campaign is still a draft, unaudited.
  const fell = await create('Launched as the API fell', 'WelcomeCheck', ['Premium']);
  await new TemporalCampaignEngine(stack.temporal.client, stack.config.temporal.taskQueue).start({ id: fell.id, name: fell.name, playbook: 'welcome-check', holdoutPercent: 20 }, policy, at, 'marketer:fell');
  // The run records the launch as the API would have.
  expect(await eventually(() => campaign(fell.id), (c) => c.status === 'Scheduled')).toMatchObject({ scheduledFor: at.toISOString(), progress: { status: 'Scheduled' } });
  expect(await launches(fell.id)).toEqual([{ actor: 'marketer:fell', after: { status: 'scheduled', scheduledFor: at.toISOString() } }]);

  // A launch that committed is audited once: its run finds the campaign launched already.
  const kept = await create('Launched as usual', 'WelcomeCheck', ['Premium']);
  expect((await stack.gql(LaunchCampaignDocument, { id: kept.id, at: at.toISOString() }, Role.Marketer)).errors).toBeUndefined();
  await eventually(() => campaign(kept.id), (c) => c.progress?.status === 'Scheduled');
  expect(await launches(kept.id)).toEqual([{ actor: expect.stringMatching(/^marketer:/), after: { status: 'scheduled', scheduledFor: at.toISOString() } }]);
  for (const { id } of [fell, kept]) expect((await stack.gql(CancelCampaignDocument, { id }, Role.Marketer)).errors).toBeUndefined();
}, 120_000);

it("judges a launch or a cancel that waited for another marketer's launch by what that launch did (a second time is refused; the cancel is taken)", async () => {
  const tuesday = new Date(Date.now() + 3_600_000);
  /** Sends `steer` while another launch holds the draft's row, as the API does while it starts the run; answers once both are done. */
  const whileLaunching = async <T,>(id: string, steer: () => Promise<T>): Promise<T> => {
    const launching = new pg.Client(stack.config.databaseUrl);
    await launching.connect();
    try {
      await launching.query('begin');
      await launching.query('select 1 from campaign where id = $1 for update', [id]);
      const steered = steer();
      await eventually(() => rows(sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%campaign%' and pid <> ${(launching as unknown as { processID: number }).processID}`), ([r]) => r.n > 0, 20_000);
      await new TemporalCampaignEngine(stack.temporal.client, stack.config.temporal.taskQueue).start({ id, name: 'first', playbook: 'welcome-check', holdoutPercent: 20 }, policy, tuesday, 'marketer:first');
      await launching.query(`update campaign set status = 'scheduled', scheduled_for = $2 where id = $1`, [id, tuesday]);
      await launching.query('commit');
      return await steered;
    } finally {
      await launching.end();
    }
  };
  const relaunched = await create('Launched twice at once', 'WelcomeCheck', ['Premium']);
  const second = await whileLaunching(relaunched.id, () => stack.gql(LaunchCampaignDocument, { id: relaunched.id, at: new Date(tuesday.getTime() + 86_400_000).toISOString() }, Role.Marketer));
  expect(second.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'CAMPAIGN_WRONG_STATE', status: 'Scheduled' });
  expect(await campaign(relaunched.id)).toMatchObject({ status: 'Scheduled', scheduledFor: tuesday.toISOString() });

  const cancelled = await create('Cancelled as it launched', 'WelcomeCheck', ['Premium']);
  expect((await whileLaunching(cancelled.id, () => stack.gql(CancelCampaignDocument, { id: cancelled.id }, Role.Marketer))).errors).toBeUndefined();
  await eventually(() => campaign(cancelled.id), (c) => c.status === 'Cancelled');
  await stack.gql(CancelCampaignDocument, { id: relaunched.id }, Role.Marketer);
}, 120_000);

it('counts on a retried enrolment page the runs its timed-out first attempt started, and starts none twice', async () => {
  // Newcomers of its own: the other welcome campaigns of this file have welcomed some of the shared ones (a welcome is once ever).
  await namedCustomers('Retried', 12, joinedDaysAgo(15));
  const created = await stack.gql(CreateCampaignDocument, { input: { name: 'Welcome the retried', playbook: 'WelcomeCheck', filter: { search: 'Retried' }, holdoutPercent: 20 } }, Role.Marketer);
  expect(created.errors).toBeUndefined();
  const draft = created.data!.createCampaign;
  const services = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services;
  const enrolment = new CampaignEnrolmentService(stack.orm.em.fork(), services.playbooks, services.audit, campaignRules(defaultPolicies));
  const page = { campaignId: draft.id, after: null, limit: 10 };
  // The activity's result is lost when it times out; Temporal runs the same page again.
  const first = await enrolment.enrolPage(page);
  const again = await new CampaignEnrolmentService(stack.orm.em.fork(), services.playbooks, services.audit, campaignRules(defaultPolicies)).enrolPage(page);
  expect(first.treated).toBeGreaterThan(0);
  expect(again).toEqual(first);
  expect(again.runsStarted).toBe(again.treated);
  const [runs] = await rows(sql<{ n: number }>`select count(*)::int as n from campaign_member where campaign_id = ${draft.id}::uuid and workflow_id is not null`);
  expect(runs.n).toBe(first.treated);
});

it('launches on a retried page the members its first attempt enrolled who no longer match the segment (none is left treated without a run)', async () => {
  // The first attempt committed its members, then the worker died before their runs started; by the retry one has left the segment, and another page's all have.
  const stayed = await namedCustomers('Strayed', 3, joinedDaysAgo(15));
  const allGone = await namedCustomers('Vanished', 2, joinedDaysAgo(15));
  const services = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services;
  for (const [search, customers, renamed] of [['Strayed', stayed, stayed.slice(0, 1)], ['Vanished', allGone, allGone]] as const) {
    const created = await stack.gql(CreateCampaignDocument, { input: { name: `Welcome the ${search}`, playbook: 'WelcomeCheck', filter: { search }, holdoutPercent: 0 } }, Role.Marketer);
    const id = created.data!.createCampaign.id;
    await stack.orm.em.getKysely().transaction().execute(async (tx) => {
      for (const customerId of customers) await sql`insert into campaign_member (campaign_id, customer_id, "group", enrolled_at, pass) values (${id}::uuid, ${customerId}::uuid, 'treated', now(), 1)`.execute(tx);
      for (const customerId of renamed) await sql`update customer set name = ${`Left ${customerId.slice(0, 8)}`}, email = ${`left-${customerId}@example.com`} where id = ${customerId}::uuid`.execute(tx);
    });
    const page = await new CampaignEnrolmentService(stack.orm.em.fork(), services.playbooks, services.audit, campaignRules(defaultPolicies)).enrolPage({ campaignId: id, after: null, limit: 10 });
    expect(page).toEqual({ enrolled: customers.length, treated: customers.length, holdout: 0, runsStarted: customers.length, last: null });
    expect(await rows(sql<{ n: number }>`select count(*)::int as n from campaign_member where campaign_id = ${id}::uuid and workflow_id is null`)).toEqual([{ n: 0 }]);
  }
});

it("shows a page's members in its progress while the page is still enrolling, before the run adds the page's counts", async () => {
  await namedCustomers('Midpage', 6, joinedDaysAgo(10));
  const created = await stack.gql(CreateCampaignDocument, { input: { name: 'Welcome mid-page', playbook: 'WelcomeCheck', filter: { search: 'Midpage' }, holdoutPercent: 20 } }, Role.Marketer);
  const id = created.data!.createCampaign.id;
  // Launched for later, its run counts nothing yet; a page enrolled meanwhile stands for one under way.
  await stack.gql(LaunchCampaignDocument, { id, at: new Date(Date.now() + 3_600_000).toISOString() }, Role.Marketer);
  await eventually(() => campaign(id), (c) => c.progress?.status === 'Scheduled');
  const services = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services;
  const page = await new CampaignEnrolmentService(stack.orm.em.fork(), services.playbooks, services.audit, campaignRules(defaultPolicies)).enrolPage({ campaignId: id, after: null, limit: 10 });
  expect(page.enrolled).toBe(6);
  const shown = await eventually(() => campaign(id), (c) => c.progress!.runsStarted === page.runsStarted);
  expect(shown.progress).toMatchObject({ status: 'Scheduled', enrolled: 6, treated: page.treated, holdout: page.holdout, runsStarted: page.treated });
  expect(page.treated).toBeGreaterThan(0);
  await stack.gql(CancelCampaignDocument, { id }, Role.Marketer);
});

/** Customers named `<prefix> <n>` (of three years, unless they joined at `acquiredAt`), found by a segment that searches the prefix. */
async function namedCustomers(prefix: string, n: number, acquiredAt = '2023-06-01'): Promise<string[]> {
  const em = stack.orm.em.fork();
  const created = Array.from({ length: n }, (_, i) => em.create(Customer, { name: `${prefix} ${i}`, email: `${prefix.toLowerCase()}${i}@example.com`, acquiredAt }));
  await em.flush();
  return created.map((c) => c.id);
}

it('leaves out of a welcome campaign who had their welcome check (one per customer ever): its preview and its runs count only those it can start', async () => {
  const [first, welcomed, third] = await namedCustomers('Oncely', 3, joinedDaysAgo(20));
  expect((await stack.gql(StartWelcomeCheckDocument, { customerId: welcomed }, Role.Operator)).errors).toBeUndefined();
  const created = await stack.gql(CreateCampaignDocument, { input: { name: 'Welcome the Oncelys', playbook: 'WelcomeCheck', filter: { search: 'Oncely' }, holdoutPercent: 0 } }, Role.Marketer);
  expect(created.data!.createCampaign.preview).toMatchObject({ customers: 2, treated: 2 });
  await stack.gql(LaunchCampaignDocument, { id: created.data!.createCampaign.id }, Role.Marketer);
  const done = await eventually(() => campaign(created.data!.createCampaign.id), (c) => c.status === 'Completed');
  expect(done.progress).toMatchObject({ enrolled: 2, treated: 2, runsStarted: 2 });
  const enrolled = await rows(sql<{ customer_id: string }>`select customer_id from campaign_member where campaign_id = ${created.data!.createCampaign.id}::uuid order by customer_id`);
  expect(enrolled.map((m) => m.customer_id)).toEqual([first, third].sort());
});

it('thanks no loss-making account: an appreciation campaign leaves it to the account review', async () => {
  const [lossMaking, fine] = await namedCustomers('Thankworthy', 2);
  await rows(sql`update customer set marketing_consent = true where id = any(${[lossMaking, fine]}::uuid[])`);
  const em = stack.orm.em.fork();
  em.create(ScoreSnapshot, { customer: lossMaking, computedAt: new Date(), scores: { profitability: { value: -9_000, band: 'loss-making', modelVersion: 'test', reasons: ['test'] } } });
  await em.flush();
  const created = await stack.gql(CreateCampaignDocument, { input: { name: 'Thank the thankworthy', playbook: 'Appreciation', filter: { search: 'Thankworthy' }, holdoutPercent: 0 } }, Role.Marketer);
  expect(created.data!.createCampaign.preview).toMatchObject({ customers: 1, treated: 1 });
  await stack.gql(LaunchCampaignDocument, { id: created.data!.createCampaign.id }, Role.Marketer);
  await eventually(() => campaign(created.data!.createCampaign.id), (c) => c.status === 'Completed');
  const enrolled = await rows(sql<{ customer_id: string }>`select customer_id from campaign_member where campaign_id = ${created.data!.createCampaign.id}::uuid`);
  expect(enrolled.map((m) => m.customer_id)).toEqual([fine]);
});

it('tallies the runs each campaign started by status and outcome from their records, for a page of campaigns in one statement', async () => {
  const [{ id, workflowId }] = await rows(sql<{ id: string; workflowId: string }>`
    select campaign_id::text as id, workflow_id as "workflowId" from playbook_run where campaign_id is not null and status = 'running' order by started_at, workflow_id limit 1`);
  expect((await stack.gql(CancelPlaybookRunDocument, { workflowId, reason: 'the customer asked us to stop' }, Role.Operator)).errors).toBeUndefined();
  const tallies = async () => {
    const r = await stack.gql(CampaignsRunsByOutcomeDocument, { first: 100 }, Role.Viewer);
    expect(r.errors).toBeUndefined();
    return r.data!.campaigns.edges.map((e) => e.node);
  };
  const listed = await eventually(tallies, (all) => all.find((c) => c.id === id)!.runsByOutcome.some((t) => t.status === 'Cancelled'));
  expect(listed.find((c) => c.id === id)!.runsByOutcome).toContainEqual({ status: 'Cancelled', outcome: 'cancelled', runs: 1 });
  // Every run the campaign started, each counted once: the tallies add up to its runsStarted.
  const { progress, runsByOutcome } = listed.find((c) => c.id === id)!;
  expect(runsByOutcome.reduce((n, t) => n + t.runs, 0)).toBe(progress!.runsStarted);
  // Most first, for every campaign listed.
  for (const { runsByOutcome: tally } of listed) expect(tally.map((t) => t.runs)).toEqual([...tally.map((t) => t.runs)].sort((a, b) => b - a));
  expect(listed.filter((c) => c.runsByOutcome.length > 0).length).toBeGreaterThan(1);
  const { statements } = await countStatements(tallies);
  expect(statements.filter((s) => s.includes('from playbook_run where campaign_id in'))).toHaveLength(1);
});

it('counts as started only the runs a campaign started: a review under way that it joins is its member\'s run, not one it started', async () => {
  const [underWay] = await namedCustomers('Joiner', 1);
  const em = stack.orm.em.fork();
  // Where it is midday: a proposal goes at once (an offer in quiet hours would wait for them to end).
  await em.nativeUpdate(Customer, { id: underWay }, { timeZone: zoneAtNoon(new Date()) });
  // Loss-making by its scores and by its figures, so its review waits for the customer's answer to a proposal.
  em.create(ScoreSnapshot, { customer: underWay, computedAt: new Date(), scores: { profitability: { value: -14_000, band: 'loss-making', modelVersion: 'test', reasons: ['test'] } } });
  em.create(Order, { customer: underWay, orderedAt: new Date(Date.now() - 60 * 86_400_000), amountMinor: 10_000, marginMinor: 2_500 });
  em.create(CostEntry, { customer: underWay, occurredAt: new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10), kind: CostKind.SupportMinutes, amountMinor: 30_000 });
  await em.flush();
  const started = await stack.gql(StartAccountReviewDocument, { customerId: underWay }, Role.Operator);
  expect(started.errors).toBeUndefined();
  const workflowId = started.data!.startAccountReview.workflowId;
  await eventually(() => stack.temporal.client.workflow.getHandle(workflowId).query<{ step: string }>('state'), (s) => s.step === 'awaiting-answer', 30_000);
  const created = await stack.gql(CreateCampaignDocument, { input: { name: 'Review the joiner', playbook: 'AccountReview', filter: { search: 'Joiner' }, holdoutPercent: 0 } }, Role.Marketer);
  const services = (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services;
  try {
    const page = await new CampaignEnrolmentService(stack.orm.em.fork(), services.playbooks, services.audit, campaignRules(defaultPolicies)).enrolPage({ campaignId: created.data!.createCampaign.id, after: null, limit: 10 });
    expect(page).toMatchObject({ enrolled: 1, treated: 1, runsStarted: 0 });
    const [member] = await rows(sql<{ workflow_id: string }>`select workflow_id from campaign_member where campaign_id = ${created.data!.createCampaign.id}::uuid`);
    expect(member.workflow_id).toBe(workflowId);
  } finally {
    // Out of the way of the later tests' segments of active customers: its review stopped (audited), the customer gone.
    expect((await stack.gql(CancelPlaybookRunDocument, { workflowId, reason: 'test over' }, Role.Operator)).errors).toBeUndefined();
    await rows(sql`update customer set status = 'offboarded', offboarded_at = now() where id = ${underWay}::uuid`);
  }
});

it('sends every treated customer exactly one message while the worker is killed again and again', async () => {
  const draft = await create('Thank basic and premium customers', 'Appreciation', ['Basic', 'Premium']);
  await stack.gql(LaunchCampaignDocument, { id: draft.id }, Role.Marketer);
  for (const atLeast of [20, 60, 100]) {
    await eventually(() => campaignOrNull(draft.id), (c) => (c?.progress?.enrolled ?? 0) >= Math.min(atLeast, draft.preview!.customers - 10));
    worker!.process.kill('SIGKILL');
    await new Promise((r) => worker!.process.once('exit', r));
    worker = await spawnWorker(workerEnv());
  }
  const done = await eventually(() => campaignOrNull(draft.id), (c) => c?.status === 'Completed', 150_000);
  expect(done!.progress!.enrolled).toBe(draft.preview!.customers);
  await onlyWaitingThankYous(120_000);
  expect(await expectExactlyOnce(draft.id)).toEqual({ treated: draft.preview!.treated, holdout: draft.preview!.holdout });
}, 300_000);

it('enrols only the loss-making accounts of a segment into account reviews (listed by member and found by their tags), and its persistent issues into one fix per topic', async () => {
  // Ten more customers with the same complaint three times this month, the first four with two such topics.
  await rows(sql`
    insert into complaint (id, customer_id, topic, severity, opened_at, created_at)
    select gen_random_uuid(), c.id, t.topic, 'medium', now() - make_interval(days => 3 * k), now()
      from (select id, row_number() over (order by id) as n from customer where status = 'active' order by id limit 10) c
      cross join (values ('late-delivery'), ('billing-error')) t(topic) cross join generate_series(1, 3) k
     where t.topic = 'late-delivery' or c.n <= 4`);
  // The two playbooks' own conditions are on current scores: score the demo base as of today first.
  const today = new Date().toISOString().slice(0, 10);
  const rescore = await stack.gql(StartRescoreDocument, { asOf: today }, Role.Admin);
  expect(rescore.errors).toBeUndefined();
  await eventually(() => stack.gql(ScoringRunDocument, { id: rescore.data!.startRescore.id }, Role.Viewer), (r) => r.data?.scoringRun?.phase === 'Completed');
  const band = (kind: string, value: string) => sql<boolean>`exists (select 1 from current_score s where s.customer_id = c.id and s.kind = ${kind} and s.band = ${value})`;
  const [base] = await rows(sql<{ loss_making: number; persistent: number }>`
    select count(*) filter (where ${band('profitability', 'loss-making')})::int as loss_making, count(*) filter (where ${band('persistent-issue', 'persistent')})::int as persistent
      from customer c where c.status = 'active'`);
  expect(base.loss_making).toBeGreaterThan(2);
  expect(base.persistent).toBeGreaterThanOrEqual(10);
  const tiers: Array<'Basic' | 'Standard' | 'Premium'> = ['Basic', 'Standard', 'Premium'];
  // One loss-making account had its review ten days ago: no second proposal within the cooldown.
  const [reviewed10DaysAgo] = await rows(sql<{ id: string }>`select c.id from customer c where c.status = 'active' and ${band('profitability', 'loss-making')} order by c.id limit 1`);
  await rows(sql`insert into playbook_run (id, workflow_id, playbook, customer_id, status, outcome, started_at, finished_at)
                 values (gen_random_uuid(), ${`account-review/${reviewed10DaysAgo.id}`}, 'account-review', ${reviewed10DaysAgo.id}::uuid, 'completed', 'accepted', now() - interval '40 days', now() - interval '10 days')`);

  const review = await create('Review loss-making accounts', 'AccountReview', tiers);
  expect(review).toMatchObject({ playbook: 'AccountReview', preview: { customers: base.loss_making - 1, alreadyInRun: { treated: 0, holdout: 0 } } });
  // A proposal each, but for an offer the contact guard holds back (marketing) and none where neither a cheaper tier nor an offer fits.
  const offersHeldBack = review.preview!.heldBack.reduce((n, h) => n + h.customers, 0);
  expect(review.preview!.messages).toBeGreaterThan(0);
  expect(review.preview!.messages + offersHeldBack).toBeLessThanOrEqual(review.preview!.treated);
  await stack.gql(LaunchCampaignDocument, { id: review.id }, Role.Marketer);
  const reviewed = await eventually(() => campaign(review.id), (c) => c.status === 'Completed');
  expect(reviewed.progress).toMatchObject({ status: 'Completed', enrolled: base.loss_making - 1, treated: review.preview!.treated, runsStarted: review.preview!.treated });
  // Operators see in the Temporal UI which campaign and playbook a run is.
  const described = await stack.temporal.client.workflow.getHandle(campaignWorkflowId(review.id)).describe();
  expect(await described.staticSummary()).toBe('Campaign "Review loss-making accounts": account-review for a segment');
  // Nobody profitable entered; each treated member has its review, tagged with the campaign, the holdout none. (A review
  // scores the account again as of the customer's own day, which late in the UTC day is tomorrow where they live: one
  // found profitable then ends turned around, its band profitable now.)
  const reviewMemberRows = () =>
    rows(sql<{ customer_id: string; group: string; loss_making: boolean; runs: number; turned_around: boolean }>`
    select m.customer_id, m."group", ${band('profitability', 'loss-making')} as loss_making,
           (select count(*) from playbook_run r where r.customer_id = m.customer_id and r.playbook = 'account-review')::int as runs,
           exists (select 1 from playbook_run r where r.customer_id = m.customer_id and r.playbook = 'account-review' and r.outcome = 'turned-around') as turned_around
      from campaign_member m join customer c on c.id = m.customer_id where m.campaign_id = ${review.id}::uuid`);
  const reviewMembers = await eventually(reviewMemberRows, (all) => all.every((m) => m.loss_making || m.turned_around));
  expect(reviewMembers.filter((m) => !m.loss_making && !m.turned_around)).toEqual([]);
  expect(reviewMembers.map((m) => m.customer_id)).not.toContain(reviewed10DaysAgo.id);
  await eventually(
    () => rows(sql<{ n: number }>`select count(*)::int as n from playbook_run r join campaign_member m on m.customer_id = r.customer_id where m.campaign_id = ${review.id}::uuid and r.playbook = 'account-review'`),
    (r) => r[0].n === review.preview!.treated,
  );
  // Temporal's search index has the runs' tags a moment after their records are written: counted as it catches up.
  const reviewsTagged = await eventually(() => stack.temporal.client.workflow.count(`CampaignId = "${review.id}" AND Playbook = "account-review"`), (c) => c.count >= review.preview!.treated, 30_000);
  expect(reviewsTagged.count).toBe(review.preview!.treated);
  expect(reviewMembers.filter((m) => m.group === 'holdout' && m.runs > 0)).toEqual([]);

  // The members list, two at a time: everyone once, in enrolment order; each treated member's review waiting for their answer, the holdout without a run.
  const listAll = async () => {
    const nodes: NonNullable<CampaignMembersQuery['campaign']>['members']['edges'][number]['node'][] = [];
    let after: string | null = null;
    for (;;) {
      const result: Awaited<ReturnType<typeof members>> = await members(review.id, { first: 2, after });
      expect(result.errors).toBeUndefined();
      const page = result.data!.campaign!.members;
      expect(page.totalCount).toBe(base.loss_making - 1);
      nodes.push(...page.edges.map((e) => e.node));
      if (!page.pageInfo.hasNextPage) return nodes;
      after = page.pageInfo.endCursor;
    }
  };
  // Each review waits: for the customer's answer, for its next look, (an offer in the customer's quiet hours) to propose in the
  // morning, or, having proposed nothing (nothing helps the account, or no consent for an offer), for a person's decision.
  const waiting = /^(proposing|awaiting-answer|awaiting-review|awaiting-approval)$/;
  const settled = (run: { step?: string | null; deadline?: unknown } | null | undefined) => waiting.test(run?.step ?? '') && run?.deadline != null;
  // Or it ended at once: scored again as of the customer's own day (tomorrow where they live, late in the UTC day), the account turned around.
  const turnedAround = (run: { outcome?: string | null } | null | undefined) => run?.outcome === 'turned-around';
  const listed = await eventually(listAll, (nodes) => nodes.every((m) => m.group === 'Holdout' || settled(m.run) || turnedAround(m.run)));
  expect(listed.map((m) => m.customer.id)).toEqual(reviewMembers.map((m) => m.customer_id).sort());
  // A membership's identity is its campaign's and customer's, for a client's cache.
  expect(listed.map((m) => m.id)).toEqual(listed.map((m) => `${review.id}/${m.customer.id}`));
  const treatedRuns = listed.filter((m) => m.group === 'Treated').map((m) => m.run);
  expect(treatedRuns).toHaveLength(review.preview!.treated);
  const underWay = treatedRuns.filter((run) => !turnedAround(run));
  for (const run of underWay) expect(run).toMatchObject({ playbook: 'AccountReview', status: 'Running', step: expect.stringMatching(waiting), deadline: expect.any(String) });
  // What each waiting review proposed, from its workflow's live state.
  for (const run of underWay.filter((r) => r!.step === 'awaiting-answer')) expect(run!.proposal).toMatch(/^(tier-change|offer): /);
  expect(listed.filter((m) => m.group === 'Holdout').map((m) => m.run)).toEqual(Array(review.preview!.holdout).fill(null));
  // Runs under way, found by their tags as in the Temporal UI: this campaign's reviews, two at a time, then those waiting for an answer.
  const search = (filter: RunningPlaybookRunsFilterInput, page: { first: number; after?: string | null } = { first: 100 }) =>
    stack.gql(RunningPlaybookRunsDocument, { filter, ...page }, Role.Viewer).then((r) => {
      expect(r.errors).toBeUndefined();
      return r.data!.runningPlaybookRuns!;
    });
  const ofCampaign = { playbook: 'AccountReview', campaignId: review.id } as const;
  await eventually(() => search(ofCampaign), (found) => found.totalCount === underWay.length && found.edges.every((e) => settled(e.node)));
  const searched: string[] = [];
  for (let after: string | null = null; ; ) {
    const page: Awaited<ReturnType<typeof search>> = await search(ofCampaign, { first: 2, after });
    for (const { node } of page.edges) expect(node).toMatchObject({ playbook: 'AccountReview', status: 'Running', step: expect.stringMatching(waiting), deadline: expect.any(String) });
    searched.push(...page.edges.map((e) => e.node.workflowId));
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  expect(searched.sort()).toEqual(underWay.map((r) => r!.workflowId).sort());
  const answering = underWay.filter((r) => r!.step === 'awaiting-answer').length;
  expect((await search({ ...ofCampaign, step: 'awaiting-answer' })).totalCount).toBe(answering);
  const refused = await stack.gql(RunningPlaybookRunsDocument, { filter: { step: 'x" OR Playbook != "' } }, Role.Viewer);
  expect(refused.errors![0].extensions).toMatchObject({ code: 'VALIDATION', field: 'filter.step' });

  const holdout = await members(review.id, { group: 'Holdout', first: 50 });
  expect(holdout.data!.campaign!.members.totalCount).toBe(review.preview!.holdout);
  expect((await members(review.id, { first: 2, after: 'bm90IGEgY3Vyc29y' })).errors![0].extensions).toMatchObject({ code: 'VALIDATION' });

  // A fix is owed to everyone with a persistent issue: nobody is held back to measure it.
  const withHoldout = await stack.gql(CreateCampaignDocument, { input: { name: 'x', playbook: 'FixIssue', filter: {}, holdoutPercent: 10 } }, Role.Marketer);
  expect(withHoldout.errors![0].extensions).toMatchObject({ code: 'VALIDATION', field: 'input.holdoutPercent' });
  const fix = await create('Fix persistent issues', 'FixIssue', tiers, null);
  expect(fix).toMatchObject({ holdoutPercent: 0, preview: { customers: base.persistent, holdout: 0, treated: base.persistent } });
  // One of them already has a fix under way, started by hand: the campaign joins it.
  const [handled] = await rows(sql<{ id: string }>`
    select c.id from customer c where c.status = 'active' and ${band('persistent-issue', 'persistent')}
       and exists (select 1 from complaint k where k.customer_id = c.id and k.topic = 'late-delivery') order by c.id limit 1`);
  expect((await stack.gql(StartFixIssueDocument, { customerId: handled.id, topic: 'late-delivery' }, Role.Operator)).errors).toBeUndefined();
  await eventually(() => rows(sql<{ n: number }>`select count(*)::int as n from playbook_run where customer_id = ${handled.id}::uuid and playbook = 'fix-issue'`), (r) => r[0].n === 1);
  // One acknowledgement per persistent topic of each treated customer.
  expect(fix.preview!.treated).toBeGreaterThan(0);
  expect(fix.preview!.messages).toBeGreaterThanOrEqual(fix.preview!.treated);
  await stack.gql(LaunchCampaignDocument, { id: fix.id }, Role.Marketer);
  const fixed = await eventually(() => campaign(fix.id), (c) => c.status === 'Completed');
  // Runs started: all its fixes but the one it joined.
  expect(fixed.progress).toMatchObject({ enrolled: base.persistent, treated: fix.preview!.treated, runsStarted: fix.preview!.messages - 1 });
  const runs = await eventually(
    () => rows(sql<{ group: string; runs: number; topics: number }>`
      select m."group", (select count(*) from playbook_run r where r.customer_id = m.customer_id and r.playbook = 'fix-issue')::int as runs,
             (select s.value from current_score s where s.customer_id = m.customer_id and s.kind = 'persistent-issue')::int as topics
        from campaign_member m where m.campaign_id = ${fix.id}::uuid`),
    (members) => members.every((m) => m.group === 'treated' && m.runs === m.topics),
  );
  expect(runs).toHaveLength(base.persistent);
  // Tagged with the campaign: all its fixes but the one it joined.
  // (Counted as Temporal's search index catches up with the runs just started.)
  const fixesTagged = await eventually(() => stack.temporal.client.workflow.count(`CampaignId = "${fix.id}" AND Playbook = "fix-issue"`), (c) => c.count >= fix.preview!.messages - 1, 30_000);
  expect(fixesTagged.count).toBe(fix.preview!.messages - 1);

  // The groups compared on what these playbooks should move: profitability (all enrolled reviews were loss-making), complaints since enrolment.
  for (const group of (await campaign(review.id)).outcome!) expect(group.meanProfitabilityMinor).toBeLessThan(0);
  const [again] = await rows(sql<{ customer_id: string }>`select customer_id from campaign_member where campaign_id = ${fix.id}::uuid and "group" = 'treated' order by customer_id limit 1`);
  await rows(sql`insert into complaint (id, customer_id, topic, severity, opened_at, created_at) values (gen_random_uuid(), ${again.customer_id}::uuid, 'late-delivery', 'low', now(), now())`);
  const fixOutcome = (await campaign(fix.id)).outcome;
  // Both groups: the holdout a fix campaign has none of, with zeros.
  expect(fixOutcome).toEqual([
    expect.objectContaining({ group: 'Treated', complainedAgain: 1, inPlaybookElsewhere: 1 }),
    expect.objectContaining({ group: 'Holdout', members: 0, retentionRate: null, complainedAgain: 0, inPlaybookElsewhere: 0 }),
  ]);
  // Without a holdout there is nothing to compare against.
  expect((await campaign(fix.id)).comparison!.find((c) => c.metric === 'ComplainedAgain')).toMatchObject({ treatedRate: 1 / base.persistent, holdoutRate: null, difference: null, pValue: null });
  // The reviews' groups: none of the treated joined a review under way; the holdout members that get a review by hand after all are counted.
  const heldBack = (await members(review.id, { group: 'Holdout', first: 50 })).data!.campaign!.members.edges.map((e) => e.node.customer.id);
  expect(heldBack).toHaveLength(review.preview!.holdout);
  // One whose persistent issue the fix campaign just took up is refused (fix first); which ones are in the holdout is drawn at random.
  const fixing = new Set(
    (await rows(sql<{ customer_id: string }>`select customer_id from fix_case where status = 'open'`)).map((r) => r.customer_id),
  );
  let reviewedByHand = 0;
  for (const customerId of heldBack) {
    const started = await stack.gql(StartAccountReviewDocument, { customerId }, Role.Operator);
    if (fixing.has(customerId)) expect(started.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'PLAYBOOK_NOT_ELIGIBLE' });
    else expect(started.errors).toBeUndefined();
    if (!started.errors) reviewedByHand++;
  }
  const reviewOutcome = await eventually(
    async () => (await campaign(review.id)).outcome,
    (groups) => (groups!.find((o) => o.group === 'Holdout')?.inPlaybookElsewhere ?? 0) === reviewedByHand,
  );
  expect(reviewOutcome!.find((o) => o.group === 'Treated')!.inPlaybookElsewhere).toBe(0);
}, 180_000);

it('lets a marketer change and discard a draft until it is launched, audited', async () => {
  const draft = await create('Thank standard customers again', 'Appreciation', ['Standard']);
  // A thank-you is once a year: who had this year's (the earlier tests' campaigns, the sweep) or another campaign treats is left out,
  // and so is the holdout of the earlier thank-you campaigns, which still measure. Those holdouts are drawn by a hash of the
  // campaigns' random IDs: one basic customer is put into one, so there always is one to leave out.
  await rows(sql`insert into campaign_member (campaign_id, customer_id, "group", enrolled_at, pass)
                 select (select k.id from campaign k where k.playbook = 'appreciation' and k.status in ('running', 'completed') order by k.created_at desc limit 1), c.id, 'holdout', now(), 1
                   from customer c where c.service_tier = 'basic' and c.status = 'active' and ${thankable}
                    and not exists (select 1 from playbook_run r where r.customer_id = c.id and r.playbook = 'appreciation')
                    and not exists (select 1 from campaign_member m where m.customer_id = c.id)
                  order by c.id limit 1`);
  const [basic] = await rows(
    sql<{ n: number; measured: number }>`
      select count(*) filter (where not measured)::int as n, count(*) filter (where measured)::int as measured
        from (select exists (select 1 from campaign_member m join campaign k on k.id = m.campaign_id where m.customer_id = c.id and m."group" = 'holdout' and k.playbook = 'appreciation') as measured
                from customer c where service_tier = 'basic' and status = 'active' and ${thankable}
                 and not exists (select 1 from playbook_run r where r.customer_id = c.id and r.playbook = 'appreciation' and r.started_at >= date_trunc('year', now() at time zone 'UTC') at time zone 'UTC')
                 and not exists (select 1 from campaign_member m join campaign k on k.id = m.campaign_id where m.customer_id = c.id and m."group" = 'treated' and k.playbook = 'appreciation')) t`,
  );
  expect(basic.measured).toBeGreaterThan(0);
  const changed = await stack.gql(UpdateCampaignDocument, { id: draft.id, input: { name: ' Thank basic customers ', filter: { serviceTier: ['Basic'] }, holdoutPercent: 30 } }, Role.Marketer);
  expect(changed.errors).toBeUndefined();
  expect(changed.data!.updateCampaign).toMatchObject({ name: 'Thank basic customers', playbook: 'Appreciation', holdoutPercent: 30, status: 'Draft', preview: { customers: basic.n, inOtherHoldout: basic.measured } });
  // Refused changes leave the draft as it was.
  const bad = await stack.gql(UpdateCampaignDocument, { id: draft.id, input: { holdoutPercent: 80 } }, Role.Marketer);
  expect(bad.errors![0].extensions).toMatchObject({ code: 'VALIDATION', field: 'input.holdoutPercent' });
  // Turned into a fix campaign, it cannot keep a holdout.
  const toFix = await stack.gql(UpdateCampaignDocument, { id: draft.id, input: { playbook: 'FixIssue', holdoutPercent: 30 } }, Role.Marketer);
  expect(toFix.errors![0].extensions).toMatchObject({ code: 'VALIDATION', field: 'input.holdoutPercent' });
  expect((await stack.gql(UpdateCampaignDocument, { id: draft.id, input: { playbook: 'FairReminder' } }, Role.Marketer)).errors![0].extensions).toMatchObject({ code: 'VALIDATION', field: 'input.playbook' });
  for (const role of [Role.Viewer, Role.Operator]) {
    expect((await stack.gql(UpdateCampaignDocument, { id: draft.id, input: { name: 'x' } }, role)).errors![0].extensions!.code).toBe('FORBIDDEN');
    expect((await stack.gql(DiscardCampaignDocument, { id: draft.id }, role)).errors![0].extensions!.code).toBe('FORBIDDEN');
  }
  expect(await campaign(draft.id)).toMatchObject({ name: 'Thank basic customers', holdoutPercent: 30 });
  const actions = async (id: string) => (await rows(sql<{ action: string; before: unknown; after: unknown }>`select action, before, after from audit_entry where entity_id = ${id} order by at`)).map((a) => [a.action, a.before, a.after]);
  expect((await actions(draft.id)).slice(1)).toEqual([['campaign.update', { name: 'Thank standard customers again', segment: { serviceTier: ['standard'] }, holdoutPercent: 20 }, { name: 'Thank basic customers', segment: { serviceTier: ['basic'] }, holdoutPercent: 30 }]]);

  expect((await stack.gql(DiscardCampaignDocument, { id: draft.id }, Role.Marketer)).data!.discardCampaign).toBe(draft.id);
  expect((await stack.gql(CampaignDocument, { id: draft.id }, Role.Viewer)).data!.campaign).toBeNull();
  expect((await actions(draft.id)).at(-1)![0]).toBe('campaign.discard');
  expect((await stack.gql(DiscardCampaignDocument, { id: draft.id }, Role.Marketer)).errors![0].extensions).toMatchObject({ code: 'NOT_FOUND' });

  // Once launched, a campaign has members and runs to account for: neither changed nor discarded.
  const launched = await create('Welcome standard', 'WelcomeCheck', ['Standard']);
  await stack.gql(LaunchCampaignDocument, { id: launched.id }, Role.Marketer);
  expect((await stack.gql(UpdateCampaignDocument, { id: launched.id, input: { holdoutPercent: 5 } }, Role.Marketer)).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'CAMPAIGN_WRONG_STATE' });
  expect((await stack.gql(DiscardCampaignDocument, { id: launched.id }, Role.Marketer)).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'CAMPAIGN_WRONG_STATE' });
  await eventually(() => campaign(launched.id), (c) => c.status === 'Completed');
});

it('repeats: each pass enrols only the customers new to the segment, each once; a pause holds it between passes, a cancel ends it', async () => {
  const tag = `repeat${Math.random().toString(36).slice(2, 8)}`;
  const newcomers = async (names: string[]) => {
    const em = stack.orm.em.fork();
    // At midday where they live: a thank-you goes at once, whenever the test runs.
    for (const name of names) em.create(Customer, { name, email: `${name.toLowerCase()}.${tag}@example.com`, acquiredAt: '2024-01-01', marketingConsent: true, timeZone: zoneAtNoon(new Date()) });
    await em.flush();
  };
  await newcomers(['Ann', 'Bob', 'Cid']);
  const tooOften = await stack.gql(CreateCampaignDocument, { input: { name: 'x', playbook: 'Appreciation', filter: { search: tag }, repeatEveryDays: 91 } }, Role.Marketer);
  expect(tooOften.errors![0].extensions).toMatchObject({ code: 'VALIDATION', field: 'input.repeatEveryDays' });
  const created = await stack.gql(CreateCampaignDocument, { input: { name: 'Thank newcomers every other day', playbook: 'Appreciation', filter: { search: tag }, holdoutPercent: 0, repeatEveryDays: 3 } }, Role.Marketer);
  expect(created.errors).toBeUndefined();
  const { id } = created.data!.createCampaign;
  expect(created.data!.createCampaign.repeatEveryDays).toBe(3);
  await stack.gql(LaunchCampaignDocument, { id }, Role.Marketer);
  const details = await (await stack.temporal.client.workflow.getHandle(campaignWorkflowId(id)).describe()).staticDetails();
  expect(details).toMatch(/ s, holding nobody back; goes over the segment again every 3 days, enrolling newcomers, until cancelled; signals pause/);

  // The first pass enrols the three, then waits for the next one; the campaign runs on.
  const first = await eventually(() => campaign(id), (c) => c.progress?.enrolled === 3 && c.progress.nextPassAt !== null);
  expect(first).toMatchObject({ status: 'Running', finishedAt: null, progress: { status: 'Running', pass: 1 } });
  await newcomers(['Dee', 'Eve']);
  const second = await eventually(() => campaign(id), (c) => (c.progress?.pass ?? 0) >= 2 && c.progress!.enrolled === 5);
  expect(second.progress).toMatchObject({ treated: 5, holdout: 0 });
  const byName = async () =>
    Object.fromEntries(
      (await rows(sql<{ name: string; pass: number }>`select c.name, m.pass from campaign_member m join customer c on c.id = m.customer_id where m.campaign_id = ${id}::uuid`)).map((m) => [m.name, m.pass]),
    );
  const passes = await byName();
  expect(Object.keys(passes).sort()).toEqual(['Ann', 'Bob', 'Cid', 'Dee', 'Eve']);
  expect([passes.Ann, passes.Bob, passes.Cid]).toEqual([1, 1, 1]);
  expect(passes.Dee).toBeGreaterThan(1);
  // One thank-you and one run each, whichever pass enrolled them.
  await eventually(
    () =>
      rows(sql<{ messages: number; runs: number }>`
        select (select count(*) from outbox_message o where o.customer_id = m.customer_id and o.template = 'appreciation')::int as messages,
               (select count(*) from playbook_run r where r.customer_id = m.customer_id and r.playbook = 'appreciation')::int as runs
          from campaign_member m where m.campaign_id = ${id}::uuid`),
    (ms) => ms.length === 5 && ms.every((m) => m.messages === 1 && m.runs === 1),
  );

  // Paused while it waits: the answer and the record say so at once (no next pass is promised while paused: QA 83 F5),
  // and no pass runs until resumed.
  const pausedNow = await stack.gql(PauseCampaignDocument, { id }, Role.Marketer);
  expect(pausedNow.errors).toBeUndefined();
  expect(pausedNow.data!.pauseCampaign).toMatchObject({ status: 'Paused', progress: { status: 'Paused', nextPassAt: null } });
  // (The run shows the pause before its activity records it on the campaign.)
  expect(await eventually(() => campaign(id), (c) => c.status === 'Paused', 10_000)).toMatchObject({ status: 'Paused', progress: { status: 'Paused', nextPassAt: null } });
  const pausedRun = (await stack.temporal.client.workflow.getHandle(campaignWorkflowId(id)).describe()).runId;
  await newcomers(['Fox']);
  await new Promise((r) => setTimeout(r, 4_000));
  expect(Object.keys(await byName())).not.toContain('Fox');
  // The next pass came due while paused: it has not run, and the progress does not count it as if it had.
  expect((await campaign(id)).progress).toMatchObject({ status: 'Paused', pass: pausedNow.data!.pauseCampaign.progress!.pass, nextPassAt: null });
  const resumed = await stack.gql(ResumeCampaignDocument, { id }, Role.Marketer);
  expect(resumed.data!.resumeCampaign).toMatchObject({ status: 'Running', progress: { status: 'Running' } });
  await eventually(() => byName(), (m) => m.Fox !== undefined);
  await recordHistory(campaignWorkflowId(id), 'campaign-pass-waits-for-resume', pausedRun);

  const cancelledNow = await stack.gql(CancelCampaignDocument, { id }, Role.Marketer);
  expect(cancelledNow.errors).toBeUndefined();
  expect(cancelledNow.data!.cancelCampaign).toMatchObject({ status: 'Cancelled', finishedAt: expect.any(String), progress: { status: 'Cancelled', nextPassAt: null } });
  const cancelled = await eventually(() => campaign(id), (c) => c.status === 'Cancelled');
  // The run's own record of the cancel may move the end a moment later (when the run ended), never earlier.
  expect(new Date(cancelled.finishedAt!).getTime()).toBeGreaterThanOrEqual(new Date(cancelledNow.data!.cancelCampaign.finishedAt!).getTime());
  // Each steering's audit entry says what it changed the campaign from and to.
  expect((await auditOf(id)).filter(([action]) => ['campaign.pause', 'campaign.resume', 'campaign.cancel'].includes(action as string)).map(([action, , before, after]) => [action, before, after])).toEqual([
    ['campaign.pause', { status: 'running' }, { status: 'paused' }],
    ['campaign.resume', { status: 'paused' }, { status: 'running' }],
    ['campaign.cancel', { status: 'running' }, { status: 'cancelled' }],
  ]);
  // Cancelled while it waited for its next pass: it waits for none now.
  expect(cancelled.progress).toMatchObject({ status: 'Cancelled', enrolled: 6, nextPassAt: null });
  // In the Temporal UI too: the run's own progress and result announce no next pass.
  const handle = stack.temporal.client.workflow.getHandle(campaignWorkflowId(id));
  expect(await handle.query('progress')).toMatchObject({ status: 'cancelled', nextPassAt: null });
  expect(await handle.result()).toMatchObject({ status: 'cancelled', nextPassAt: null });
  await recordHistory(campaignWorkflowId(id), 'campaign-repeating-cancelled');
}, 120_000);

it('completes when a pause comes while its last page is being enrolled (the segment is done: nothing is left to resume)', async () => {
  const tag = `lastpage${Math.random().toString(36).slice(2, 8)}`;
  const em = stack.orm.em.fork();
  const customers = ['Gil', 'Hana'].map((name) => em.create(Customer, { name, email: `${name.toLowerCase()}.${tag}@example.com`, acquiredAt: joinedDaysAgo(10) }));
  await em.flush();
  const created = await stack.gql(CreateCampaignDocument, { input: { name: 'Two customers', playbook: 'WelcomeCheck', filter: { search: tag } } }, Role.Marketer);
  const { id } = created.data!.createCampaign;
  // Holding one customer's row keeps the page's member insert (its foreign-key check) waiting: the page is under way.
  const blocker = new pg.Client(stack.config.databaseUrl);
  await blocker.connect();
  try {
    await blocker.query('begin');
    await blocker.query('select 1 from customer where id = $1 for update', [customers[0].id]);
    await stack.gql(LaunchCampaignDocument, { id }, Role.Marketer);
    await eventually(() => rows(sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%campaign_member%'`), ([r]) => r.n > 0, 20_000);
    expect((await stack.gql(PauseCampaignDocument, { id }, Role.Marketer)).errors).toBeUndefined();
    await eventually(() => campaign(id), (c) => c.progress?.status === 'Paused', 20_000);
  } finally {
    await blocker.query('rollback');
    await blocker.end();
  }
  const done = await eventually(() => campaign(id), (c) => c.status === 'Completed', 30_000);
  expect(done.progress).toMatchObject({ status: 'Completed', enrolled: 2 });
  expect(done.finishedAt).not.toBeNull();
});

/** A repeating campaign of two new customers of its own, launched, with both enrolled. */
async function launchedRepeating(name: string, repeatEveryDays = 1): Promise<string> {
  const tag = `ended${Math.random().toString(36).slice(2, 8)}`;
  const em = stack.orm.em.fork();
  for (const customer of ['Ivo', 'Jan']) em.create(Customer, { name: customer, email: `${customer.toLowerCase()}.${tag}@example.com`, acquiredAt: joinedDaysAgo(10) });
  await em.flush();
  const created = await stack.gql(CreateCampaignDocument, { input: { name, playbook: 'WelcomeCheck', filter: { search: tag }, repeatEveryDays } }, Role.Marketer);
  expect(created.errors).toBeUndefined();
  const { id } = created.data!.createCampaign;
  await stack.gql(LaunchCampaignDocument, { id }, Role.Marketer);
  await eventually(() => campaign(id), (c) => c.status === 'Running' && c.progress?.enrolled === 2);
  return id;
}

it('enrols a member the playbook refuses to start for without a run, instead of failing its page (and the campaign) for ever', async () => {
  const tag = `refused${Math.random().toString(36).slice(2, 8)}`;
  const em = stack.orm.em.fork();
  const customer = em.create(Customer, { name: 'Old Import', email: `old.${tag}@example.com`, acquiredAt: '2024-01-01' });
  em.create(ScoreSnapshot, { customer, computedAt: new Date(), scores: { 'persistent-issue': { value: 1, band: 'persistent', modelVersion: 'test', reasons: ['test'] } } });
  await em.flush();
  // Complaints written around the application under a topic that is no key (the database's check set aside for it, as it
  // was before it held topics to keys): the fix playbook refuses to start for it. (This file's stack has its own database.)
  await rows(sql`alter table complaint drop constraint complaint_topic_is_key`);
  for (let i = 0; i < 3; i++) await rows(sql`insert into complaint (id, customer_id, topic, severity, opened_at, created_at) values (gen_random_uuid(), ${customer.id}::uuid, 'app login', 'low', now() - interval '1 day', now())`);
  await rows(sql`alter table complaint add constraint complaint_topic_is_key check (topic ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and char_length(topic) <= 100) not valid`);
  const created = await stack.gql(CreateCampaignDocument, { input: { name: 'Fix, one refused', playbook: 'FixIssue', filter: { search: tag } } }, Role.Marketer);
  expect(created.errors).toBeUndefined();
  const { id } = created.data!.createCampaign;
  await stack.gql(LaunchCampaignDocument, { id }, Role.Marketer);
  const done = await eventually(() => campaign(id), (c) => c.status === 'Completed', 30_000);
  expect(done.progress).toMatchObject({ enrolled: 1, treated: 1, runsStarted: 0 });
  expect(await rows(sql<{ workflow_id: string | null }>`select workflow_id from campaign_member where campaign_id = ${id}::uuid`)).toEqual([{ workflow_id: null }]);
}, 60_000);

/** The error a marketer's pause, resume or cancel of the campaign is refused with. */
const refusal = async (action: 'pause' | 'resume' | 'cancel', id: string) => {
  const { errors } = await (action === 'pause' ? stack.gql(PauseCampaignDocument, { id }, Role.Marketer) : action === 'resume' ? stack.gql(ResumeCampaignDocument, { id }, Role.Marketer) : stack.gql(CancelCampaignDocument, { id }, Role.Marketer));
  return errors![0];
};
const reconcile = async () => (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services.runReconciliation.recordRunsEndedInEngine();
const auditOf = async (id: string) => (await rows(sql<{ actor: string; action: string; before: unknown; after: unknown }>`select actor, action, before, after from audit_entry where entity_id = ${id} order by at`)).map((a) => [a.action, a.actor, a.before, a.after]);

it('records a campaign\'s end as the time its run ended, however late the record lands, within half a minute an attempt; a cancel meanwhile is refused, the campaign being complete', async () => {
  const tag = `lateend${Math.random().toString(36).slice(2, 8)}`;
  const em = stack.orm.em.fork();
  const customers = ['Kai', 'Lea'].map((name) => em.create(Customer, { name, email: `${name.toLowerCase()}.${tag}@example.com`, acquiredAt: joinedDaysAgo(10) }));
  await em.flush();
  const created = await stack.gql(CreateCampaignDocument, { input: { name: 'Two customers, end recorded late', playbook: 'WelcomeCheck', filter: { search: tag } } }, Role.Marketer);
  const { id } = created.data!.createCampaign;
  const waitingFor = (text: string) => rows(sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like ${`%${text}%`}`);
  // The page waits on a customer's row (its member insert's foreign-key check) until the campaign's row is held too.
  const pageBlocker = new pg.Client(stack.config.databaseUrl);
  // Held for key share: the run's status record (select ... for update) waits for it; a steering (for no key update) does not.
  const recordBlocker = new pg.Client(stack.config.databaseUrl);
  await Promise.all([pageBlocker.connect(), recordBlocker.connect()]);
  let releasedAt: number;
  try {
    await pageBlocker.query('begin');
    await pageBlocker.query('select 1 from customer where id = $1 for update', [customers[0].id]);
    await stack.gql(LaunchCampaignDocument, { id }, Role.Marketer);
    await eventually(() => waitingFor('campaign_member'), ([r]) => r.n > 0, 20_000);
    await recordBlocker.query('begin');
    await recordBlocker.query('select 1 from campaign where id = $1 for key share', [id]);
    await pageBlocker.query('rollback');
    // The run has ended (its enrolment is done); its record of it waits.
    const ended = await eventually(() => campaign(id), (c) => c.progress?.status === 'Completed', 20_000);
    expect(ended).toMatchObject({ status: 'Running', finishedAt: null });
    await eventually(() => waitingFor('with was as'), ([r]) => r.n > 0, 20_000);
    // A cancel now finds the campaign complete: refused, and nothing recorded as cancelled.
    expect((await refusal('cancel', id)).extensions).toMatchObject({ code: 'CONFLICT', reason: 'CAMPAIGN_WRONG_STATE' });
    await new Promise((r) => setTimeout(r, 3_000));
    releasedAt = Date.now();
    // The record's attempt fails (as a lost one times out): its retry lands after the release, in a transaction of its own.
    await rows(sql`select pg_cancel_backend(pid) from pg_stat_activity where wait_event_type = 'Lock' and query like '%with was as%'`);
  } finally {
    await recordBlocker.query('rollback');
    await Promise.all([pageBlocker.end(), recordBlocker.end()]);
  }
  const done = await eventually(() => campaign(id), (c) => c.status === 'Completed', 30_000);
  expect(done.progress).toMatchObject({ status: 'Completed', enrolled: 2 });
  // The end is the run's, decided before the record could land, not the time the record landed.
  const { events } = await stack.temporal.client.workflow.getHandle(campaignWorkflowId(id)).fetchHistory();
  const records = (events ?? []).map((e) => e.activityTaskScheduledEventAttributes).filter((a) => a?.activityType?.name === 'recordCampaignStatus');
  const completed = records.find((a) => defaultPayloadConverter.fromPayload<{ status: string }>(a!.input!.payloads![0]).status === 'completed')!;
  const { at } = defaultPayloadConverter.fromPayload<{ at: string }>(completed.input!.payloads![0]);
  expect(new Date(done.finishedAt!).getTime()).toBe(new Date(at).getTime());
  expect(new Date(done.finishedAt!).getTime()).toBeLessThan(releasedAt - 2_000);
  // A lost attempt of the record is retried within half a minute, not after a page's timeout.
  for (const record of records) expect(Number(record!.startToCloseTimeout!.seconds)).toBe(30);
  expect((await auditOf(id)).map(([action]) => action)).not.toContain('campaign.cancel');
}, 90_000);

/**
 * A pause and a resume sent close together (two marketers, a double click; QA 138 F2): the run took the pause, and its
 * record of it lands after the resume was recorded (held here, as a loaded machine delays it). That record took the
 * campaign back to Paused while its run enrolled again (and a marketer's resume of it was refused: "cannot resume while
 * running"), until the run recorded the resume too.
 */
it('keeps the status of a resume sent while the run records the pause before it: the campaign does not go back to Paused as its run enrols again (QA 138 F2)', async () => {
  const tag = `steered${Math.random().toString(36).slice(2, 8)}`;
  const em = stack.orm.em.fork();
  // Two pages (of 15): the pause holds the campaign after the first.
  const customers = Array.from({ length: 20 }, (_, i) => em.create(Customer, { name: `Steered ${i}`, email: `steered${i}.${tag}@example.com`, acquiredAt: joinedDaysAgo(10) }));
  await em.flush();
  const created = await stack.gql(CreateCampaignDocument, { input: { name: 'Paused and resumed at once', playbook: 'WelcomeCheck', filter: { search: tag } } }, Role.Marketer);
  const { id } = created.data!.createCampaign;
  const waitingFor = (text: string) => rows(sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like ${`%${text}%`}`);
  // Holding the first page's first customer (customer ID order) keeps the page enrolling until the pause is sent.
  const pageBlocker = new pg.Client(stack.config.databaseUrl);
  // Held for key share: the run's status record (select ... for update) waits for it; a steering (for no key update) does not.
  const recordBlocker = new pg.Client(stack.config.databaseUrl);
  await Promise.all([pageBlocker.connect(), recordBlocker.connect()]);
  const statuses = async () => (await rows(sql<{ status: string }>`select status from steered_status order by n`)).map((r) => r.status);
  try {
    await pageBlocker.query('begin');
    await pageBlocker.query('select 1 from customer where id = $1 for update', [customers.map((c) => c.id).sort()[0]]);
    await stack.gql(LaunchCampaignDocument, { id }, Role.Marketer);
    await eventually(() => waitingFor('campaign_member'), ([r]) => r.n > 0, 20_000);
    // Every status the campaign's record takes from here on, in order (its launch recorded Running).
    await rows(sql`create table steered_status (n serial primary key, status text not null)`);
    await rows(sql.raw(`create function steered_status() returns trigger language plpgsql as $$ begin insert into steered_status (status) values (new.status); return new; end $$`));
    await rows(sql.raw(`create trigger steered_status after update of status on campaign for each row when (new.id = '${id}' and old.status is distinct from new.status) execute function steered_status()`));
    await recordBlocker.query('begin');
    await recordBlocker.query('select 1 from campaign where id = $1 for key share', [id]);
    const paused = await stack.gql(PauseCampaignDocument, { id }, Role.Marketer);
    expect(paused.data?.pauseCampaign).toMatchObject({ status: 'Paused' });
    await pageBlocker.query('rollback');
    // The first page done, the run records the pause it took: that record waits.
    await eventually(() => waitingFor('with was as'), ([r]) => r.n > 0, 20_000);
    expect(await campaign(id)).toMatchObject({ status: 'Paused', progress: { status: 'Paused', enrolled: 15 } });
    const { result: resumed, statements } = await countStatements(() => stack.gql(ResumeCampaignDocument, { id }, Role.Marketer));
    expect(resumed.errors).toBeUndefined();
    expect(resumed.data!.resumeCampaign).toMatchObject({ status: 'Running' });
    // The answer is the campaign as the resume's own transaction wrote it: not read again once that committed (a steering
    // or a record of the run's may have landed since).
    const written = statements.findIndex((s) => s.startsWith('update campaign set status'));
    const committed = statements.findIndex((s, i) => i > written && /^commit/i.test(s));
    expect({ written: written >= 0, committed: committed > written }).toEqual({ written: true, committed: true });
    expect(statements.slice(committed).filter((s) => /from "?campaign"? /.test(s))).toEqual([]);
    expect(await campaign(id)).toMatchObject({ status: 'Running', progress: { status: 'Running' } });
  } finally {
    await Promise.all([pageBlocker.query('rollback'), recordBlocker.query('rollback')]);
    await Promise.all([pageBlocker.end(), recordBlocker.end()]);
  }
  try {
    // The run's record of the pause lands now, then it enrols the last page.
    const done = await eventually(() => campaign(id), (c) => c.status === 'Completed', 30_000);
    expect(done.progress).toMatchObject({ status: 'Completed', enrolled: 20 });
    // The pause, the resume and the end: never Paused again after the resume (before, the run's late record of the pause came between).
    expect(await statuses()).toEqual(['paused', 'running', 'completed']);
    expect((await auditOf(id)).map(([action, , before, after]) => [action, before, after]).filter(([action]) => action === 'campaign.pause' || action === 'campaign.resume')).toEqual([
      ['campaign.pause', { status: 'running' }, { status: 'paused' }],
      ['campaign.resume', { status: 'paused' }, { status: 'running' }],
    ]);
  } finally {
    await rows(sql`drop trigger if exists steered_status on campaign`);
    await rows(sql`drop function if exists steered_status()`);
    await rows(sql`drop table if exists steered_status`);
  }
  await recordHistory(campaignWorkflowId(id), 'campaign-status-record-after-steering');
}, 90_000);

it('records a campaign cancelled in the Temporal UI as cancelled, as cancelCampaign does', async () => {
  const id = await launchedRepeating('Welcome newcomers daily');
  const handle = stack.temporal.client.workflow.getHandle(campaignWorkflowId(id));
  await handle.cancel();
  const cancelled = await eventually(() => campaign(id), (c) => c.status === 'Cancelled', 30_000);
  expect(cancelled).toMatchObject({ finishedAt: expect.any(String), progress: { status: 'Cancelled', enrolled: 2, nextPassAt: null } });
  // The run ends as cancelled in Temporal too, once it has recorded it.
  await expect(handle.result()).rejects.toThrow();
  const { status, closeTime } = await handle.describe();
  expect(status.name).toBe('CANCELLED');
  expect(new Date(cancelled.finishedAt!).getTime()).toBeLessThanOrEqual(closeTime!.getTime());
  // Nothing left to cancel or pause: said as it is.
  for (const action of ['cancel', 'pause'] as const) expect((await refusal(action, id)).extensions).toMatchObject({ code: 'CONFLICT', reason: 'CAMPAIGN_WRONG_STATE', status: 'Cancelled' });
  await recordHistory(campaignWorkflowId(id), 'campaign-cancelled-in-engine');
  // Who cancelled it is audited by the run reconciliation, as a marketer's cancelCampaign is (QA 61 F1), once.
  expect(await reconcile()).toEqual([campaignWorkflowId(id)]);
  const [action, actor, , after] = (await auditOf(id)).at(-1)!;
  expect([action, actor, after]).toEqual(['campaign.cancel-in-engine', `temporal:${stack.temporal.client.options.identity}`, { reason: null, closedAt: closeTime!.toISOString() }]);
  expect(await reconcile()).toEqual([]);

  // A run cancelled so before runs recorded it left its campaign running: the run reconciliation records it, naming who cancelled it.
  await rows(sql`update campaign set status = 'running', finished_at = null where id = ${id}::uuid`);
  expect(await reconcile()).toEqual([campaignWorkflowId(id)]);
  expect(await campaign(id)).toMatchObject({ status: 'Cancelled', finishedAt: closeTime!.toISOString() });
  expect((await auditOf(id)).at(-1)).toEqual(['campaign.ended-in-engine', `temporal:${stack.temporal.client.options.identity}`, { status: 'running' }, { status: 'cancelled', endedInEngine: 'cancelled', reason: null, closedAt: closeTime!.toISOString() }]);
}, 120_000);

it('lets a page under way when the campaign is cancelled in the Temporal UI finish first: the cancel is recorded after its last run is started, with its counts', async () => {
  const tag = `midcancel${Math.random().toString(36).slice(2, 8)}`;
  const em = stack.orm.em.fork();
  for (let i = 0; i < 18; i++) em.create(Customer, { name: `Mid ${i}`, email: `mid${i}.${tag}@example.com`, acquiredAt: joinedDaysAgo(10) });
  await em.flush();
  const created = await stack.gql(CreateCampaignDocument, { input: { name: 'Welcome, cancelled in Temporal mid-page', playbook: 'WelcomeCheck', filter: { search: tag }, holdoutPercent: 20 } }, Role.Marketer);
  expect(created.errors).toBeUndefined();
  const { id } = created.data!.createCampaign;
  const handle = stack.temporal.client.workflow.getHandle(campaignWorkflowId(id));
  // Pages of 15 in customer ID order. Holding the row of the second page's last treated customer (no key update: their
  // member insert's foreign-key check passes) keeps the start of their run (which reads them for share) waiting, after
  // the page recorded its members: the cancel comes while the page starts its runs.
  const [{ last }] = await rows(sql<{ last: string }>`select max(c.id::text) as last from customer c cross join campaign cmp where cmp.id = ${id}::uuid and c.email like ${`%.${tag}@example.com`} and not ${holdoutDraw(id)}`);
  let enrolled = 0;
  const blocker = new pg.Client(stack.config.databaseUrl);
  await blocker.connect();
  try {
    await blocker.query('begin');
    await blocker.query('select 1 from customer where id = $1 for no key update', [last]);
    await stack.gql(LaunchCampaignDocument, { id }, Role.Marketer);
    await eventually(() => rows(sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%from customer where id%for share%'`), ([r]) => r.n > 0, 20_000);
    // (All 18, unless the last three customers by ID were all drawn into the holdout: then the first page's 15.)
    [{ n: enrolled }] = await rows(sql<{ n: number }>`select count(*)::int as n from campaign_member where campaign_id = ${id}::uuid`);
    expect([15, 18]).toContain(enrolled);
    await handle.cancel();
    // The run waits for its page; nothing records the campaign as ended meanwhile.
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect(await rows(sql<{ status: string; finished_at: Date | null }>`select status, finished_at from campaign where id = ${id}::uuid`)).toEqual([{ status: 'running', finished_at: null }]);
  } finally {
    await blocker.query('rollback');
    await blocker.end();
  }
  await expect(handle.result()).rejects.toThrow();
  expect((await handle.describe()).status.name).toBe('CANCELLED');
  // As the run closed: the page had started every treated member's run, and the end recorded comes after the last.
  const [members] = await rows(
    sql<{ treated: number; holdout: number; withoutRun: number; startedAfterEnd: number }>`
      select count(*) filter (where m."group" = 'treated')::int as treated, count(*) filter (where m."group" = 'holdout')::int as holdout,
             count(*) filter (where m."group" = 'treated' and m.workflow_id is null)::int as "withoutRun",
             count(*) filter (where c.finished_at is null or r.started_at > c.finished_at)::int as "startedAfterEnd"
        from campaign_member m join campaign c on c.id = m.campaign_id left join playbook_run r on r.workflow_id = m.workflow_id
       where m.campaign_id = ${id}::uuid`,
  );
  expect(members).toMatchObject({ withoutRun: 0, startedAfterEnd: 0 });
  expect(members.treated + members.holdout).toBe(enrolled);
  const cancelled = await campaign(id);
  expect(cancelled).toMatchObject({ status: 'Cancelled', progress: { status: 'Cancelled', enrolled, treated: members.treated, holdout: members.holdout, runsStarted: members.treated, nextPassAt: null } });
  await recordHistory(campaignWorkflowId(id), 'campaign-cancelled-in-engine-mid-page');
  // Audited by the run reconciliation as any cancel in the Temporal UI is (and not left to the next test's pass).
  expect(await reconcile()).toEqual([campaignWorkflowId(id)]);
  expect((await auditOf(id)).at(-1)!.slice(0, 2)).toEqual(['campaign.cancel-in-engine', `temporal:${stack.temporal.client.options.identity}`]);
}, 120_000);

it("moves a marketer's cancel's end after the last run the page under way starts, as the run records the cancel", async () => {
  const tag = `apicancel${Math.random().toString(36).slice(2, 8)}`;
  const em = stack.orm.em.fork();
  for (let i = 0; i < 18; i++) em.create(Customer, { name: `Mid ${i}`, email: `mid${i}.${tag}@example.com`, acquiredAt: joinedDaysAgo(10) });
  await em.flush();
  const created = await stack.gql(CreateCampaignDocument, { input: { name: 'Welcome, cancelled by its marketer mid-page', playbook: 'WelcomeCheck', filter: { search: tag }, holdoutPercent: 20 } }, Role.Marketer);
  expect(created.errors).toBeUndefined();
  const { id } = created.data!.createCampaign;
  // As above: the start of the second page's last treated customer's run waits on their row while the cancel is taken.
  const [{ last }] = await rows(sql<{ last: string }>`select max(c.id::text) as last from customer c cross join campaign cmp where cmp.id = ${id}::uuid and c.email like ${`%.${tag}@example.com`} and not ${holdoutDraw(id)}`);
  const blocker = new pg.Client(stack.config.databaseUrl);
  await blocker.connect();
  let answered: string;
  try {
    await blocker.query('begin');
    await blocker.query('select 1 from customer where id = $1 for no key update', [last]);
    await stack.gql(LaunchCampaignDocument, { id }, Role.Marketer);
    await eventually(() => rows(sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%from customer where id%for share%'`), ([r]) => r.n > 0, 20_000);
    const cancelled = await stack.gql(CancelCampaignDocument, { id }, Role.Marketer);
    expect(cancelled.errors).toBeUndefined();
    expect(cancelled.data!.cancelCampaign).toMatchObject({ status: 'Cancelled', finishedAt: expect.any(String) });
    answered = cancelled.data!.cancelCampaign.finishedAt!;
    await new Promise((r) => setTimeout(r, 1_000));
  } finally {
    await blocker.query('rollback');
    await blocker.end();
  }
  await stack.temporal.client.workflow.getHandle(campaignWorkflowId(id)).result();
  // Every run the page started began before the campaign's recorded end, which moved on from the cancel's answer.
  const [members] = await rows(
    sql<{ treated: number; startedAfterEnd: number }>`
      select count(*) filter (where m."group" = 'treated')::int as treated, count(*) filter (where r.started_at > c.finished_at)::int as "startedAfterEnd"
        from campaign_member m join campaign c on c.id = m.campaign_id left join playbook_run r on r.workflow_id = m.workflow_id
       where m.campaign_id = ${id}::uuid`,
  );
  expect(members.treated).toBeGreaterThan(0);
  expect(members.startedAfterEnd).toBe(0);
  const ended = await campaign(id);
  expect(new Date(ended.finishedAt!).getTime()).toBeGreaterThan(new Date(answered).getTime());
  expect(ended.progress).toMatchObject({ status: 'Cancelled', runsStarted: members.treated });
}, 120_000);

it('audits a pause and resume an operator sends in the Temporal UI with who sent them, and a marketer\'s through GraphQL once, as the marketer\'s', async () => {
  const id = await launchedRepeating('Welcome daily, steered in Temporal');
  const inUi = temporalOperator(stack, 'ops@example.com').workflow.getHandle(campaignWorkflowId(id));
  await inUi.signal('pause');
  await eventually(() => campaign(id), (c) => c.status === 'Paused');
  await inUi.signal('resume');
  await eventually(() => campaign(id), (c) => c.status === 'Running');
  expect((await stack.gql(PauseCampaignDocument, { id }, Role.Marketer)).errors).toBeUndefined();
  await eventually(() => campaign(id), (c) => c.status === 'Paused');
  await eventually(() => steeringAudited(stack, id), (audited) => audited.length === 2);
  expect((await stack.gql(CancelCampaignDocument, { id }, Role.Marketer)).errors).toBeUndefined();
  await eventually(() => campaign(id), (c) => c.status === 'Cancelled');
  expect(await steeringAudited(stack, id)).toEqual([
    ['temporal:ops@example.com', 'signal pause', []],
    ['temporal:ops@example.com', 'signal resume', []],
  ]);
  expect((await auditOf(id)).filter(([action]) => action === 'campaign.pause' || action === 'campaign.cancel').map(([action, actor]) => [action, actor])).toEqual([
    ['campaign.pause', expect.stringMatching(/^marketer:/)],
    ['campaign.cancel', expect.stringMatching(/^marketer:/)],
  ]);
  await recordHistory(campaignWorkflowId(id), 'campaign-steered-in-ui-audited');
}, 120_000);

it('audits a resume an operator sends in the Temporal UI to a campaign already running as changing nothing (QA 68 F4)', async () => {
  const id = await launchedRepeating('Welcome daily, resumed twice in Temporal');
  const inUi = temporalOperator(stack, 'ops@example.com').workflow.getHandle(campaignWorkflowId(id));
  await inUi.signal('pause');
  await eventually(() => campaign(id), (c) => c.status === 'Paused');
  await inUi.signal('resume');
  await eventually(() => campaign(id), (c) => c.status === 'Running');
  await inUi.signal('resume');
  const entries = async () => (await auditOf(id)).filter(([action]) => action === 'campaign.signal-in-engine').map(([, actor, , after]) => [actor, (after as { signal: string }).signal, (after as { changed?: boolean }).changed]);
  await eventually(entries, (audited) => audited.length === 3);
  expect(await entries()).toEqual([
    ['temporal:ops@example.com', 'pause', true],
    ['temporal:ops@example.com', 'resume', true],
    ['temporal:ops@example.com', 'resume', false],
  ]);
  expect(await campaign(id)).toMatchObject({ status: 'Running' });
  expect((await stack.gql(CancelCampaignDocument, { id }, Role.Marketer)).errors).toBeUndefined();
  await eventually(() => campaign(id), (c) => c.status === 'Cancelled');
  await recordHistory(campaignWorkflowId(id), 'campaign-resume-unchanged-in-ui-audited');
}, 120_000);

it('announces no next pass in the Temporal UI while paused between passes: its current details and progress query say so, as the API does, and the planned pass again once resumed', async () => {
  // A minute between passes (a day lasts a second here): the campaign waits for its next pass throughout.
  const id = await launchedRepeating('Welcome monthly, paused between passes', 60);
  const handle = temporalOperator(stack, 'ops@example.com').workflow.getHandle(campaignWorkflowId(id));
  const seen = async () => ({
    details: (await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails,
    progress: await handle.query<{ status: string; nextPassAt?: string | null }>('progress'),
  });
  const waiting = await eventually(seen, (v) => !!v.progress.nextPassAt);
  const planned = waiting.progress.nextPassAt!;
  expect(waiting.details).toBe(`Pass 1 done, 2 enrolled in all; the next pass starts at ${planned}`);

  await handle.signal('pause');
  const paused = await eventually(seen, (v) => v.progress.status === 'paused' && v.details !== waiting.details, 10_000);
  expect(paused).toEqual({ details: 'Paused between passes: pass 1 done, 2 enrolled in all; no next pass until resumed', progress: expect.objectContaining({ status: 'paused', nextPassAt: null }) });
  // (The run shows the pause before its activity records it on the campaign.)
  expect(await eventually(() => campaign(id), (c) => c.status === 'Paused', 10_000)).toMatchObject({ status: 'Paused', progress: { status: 'Paused', nextPassAt: null } });

  await handle.signal('resume');
  const resumed = await eventually(seen, (v) => v.progress.status === 'running' && !!v.progress.nextPassAt, 10_000);
  expect(resumed).toEqual({ details: waiting.details, progress: expect.objectContaining({ status: 'running', nextPassAt: planned }) });
  expect((await stack.gql(CancelCampaignDocument, { id }, Role.Marketer)).errors).toBeUndefined();
  await eventually(() => campaign(id), (c) => c.status === 'Cancelled');
  await recordHistory(campaignWorkflowId(id), 'campaign-paused-between-passes');
}, 120_000);

/*
 * The run's task sees the resume and the pass's time at once when its worker was slowed (a loaded machine) or away:
 * the resume must still reach the record. (The campaign went on to its next pass with its record saying Paused, for
 * as long as it ran: the API showed Paused, and its list of paused campaigns held it, while it enrolled.)
 */
it('records a resume sent in the Temporal UI as its next pass comes due as running, also when the run sees both at once', async () => {
  // Ten seconds between passes (a day lasts a second here).
  const id = await launchedRepeating('Welcome every ten days, resumed as its pass came due', 10);
  const handle = temporalOperator(stack, 'ops@example.com').workflow.getHandle(campaignWorkflowId(id));
  const planned = (await eventually(() => handle.query<{ nextPassAt?: string | null }>('progress'), (p) => !!p.nextPassAt)).nextPassAt!;
  await handle.signal('pause');
  await eventually(() => campaign(id), (c) => c.status === 'Paused');
  // The worker away while the pass comes due and the resume is sent: its next task holds both. (Paused before the pass's time.)
  await worker!.stop();
  expect({ stoppedBeforePassDue: Date.now() < Date.parse(planned), planned }).toMatchObject({ stoppedBeforePassDue: true });
  // (The execution that takes the resume, kept for the replay test: the campaign continues as new after it.)
  const pausedRun = (await handle.describe()).runId;
  await handle.signal('resume');
  await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(planned) - Date.now()) + 1_000));
  worker = await spawnWorker(workerEnv());
  expect(await eventually(() => campaign(id), (c) => c.status === 'Running', 60_000)).toMatchObject({ status: 'Running', progress: { status: 'Running' } });
  expect((await stack.gql(CancelCampaignDocument, { id }, Role.Marketer)).errors).toBeUndefined();
  await eventually(() => campaign(id), (c) => c.status === 'Cancelled');
  await recordHistory(campaignWorkflowId(id), 'campaign-resume-at-pass-time-recorded', pausedRun);
}, 180_000);

it('ignores a signal under a name it does not take (typed wrongly in the Temporal UI): the worker warns naming its signals, and the audit marks it ignored at once', async () => {
  const id = await launchedRepeating('Welcome monthly, mistyped in Temporal', 60);
  const inUi = temporalOperator(stack, 'ops@example.com').workflow.getHandle(campaignWorkflowId(id));
  await inUi.signal('pasue');
  const entries = async () => (await auditOf(id)).filter(([action]) => action === 'campaign.signal-in-engine').map(([, actor, , after]) => [actor, (after as { signal: string }).signal, (after as { ignored?: string }).ignored]);
  expect(await eventually(entries, (audited) => audited.length === 1, 10_000)).toEqual([['temporal:ops@example.com', 'pasue', 'no such signal']]);
  // (The worker's output comes through a pipe: read until it has arrived.)
  await eventually(async () => worker!.output(), (out) => /signal \\?"pasue\\?" ignored: no such signal \(this run takes \\?"pause\\?", \\?"resume\\?", \\?"cancel\\?"\)/.test(out), 10_000);
  // Not taken for a pause: the campaign runs on.
  expect(await campaign(id)).toMatchObject({ status: 'Running' });
  expect((await stack.gql(CancelCampaignDocument, { id }, Role.Marketer)).errors).toBeUndefined();
  await eventually(() => campaign(id), (c) => c.status === 'Cancelled');
  await recordHistory(campaignWorkflowId(id), 'campaign-unknown-signal-ignored');
}, 120_000);

it('leaves a resume sent right after a mistyped signal to its own audit, which says it changed nothing: the audit of the typo is told what the handlers did so far', async () => {
  const id = await launchedRepeating('Welcome monthly, mistyped then resumed in Temporal', 60);
  const inUi = temporalOperator(stack, 'ops@example.com').workflow.getHandle(campaignWorkflowId(id));
  await inUi.signal('pasue');
  // A resume of a campaign running: it changes nothing, and its entry says so, whichever audit comes first.
  await inUi.signal('resume');
  const entries = async () =>
    (await auditOf(id)).filter(([action]) => action === 'campaign.signal-in-engine').map(([, , , after]) => {
      const { signal, ignored, changed } = after as { signal: string; ignored?: string; changed?: boolean };
      return [signal, ignored ?? null, changed ?? null];
    });
  expect(await eventually(entries, (audited) => audited.length === 2, 10_000)).toEqual([
    ['pasue', 'no such signal', null],
    ['resume', null, false],
  ]);
  // The typo's audit was told that no pause, resume or cancel had been handled yet (a resume already in the history is not its own to audit).
  const { events } = await inUi.fetchHistory();
  const audits = (events ?? []).map((e) => e.activityTaskScheduledEventAttributes).filter((a) => a?.activityType?.name === 'auditCampaignSteeringFromOutside');
  const typos = defaultPayloadConverter.fromPayload<{ effects?: unknown }>(audits[0]!.input!.payloads![0]);
  expect(typos.effects).toEqual({ handled: { pause: 0, resume: 0, cancel: 0 }, unchanged: {} });
  expect((await stack.gql(CancelCampaignDocument, { id }, Role.Marketer)).errors).toBeUndefined();
  await eventually(() => campaign(id), (c) => c.status === 'Cancelled');
  await recordHistory(campaignWorkflowId(id), 'campaign-unknown-signal-then-resume');
}, 120_000);

it('records a campaign whose run was terminated in the Temporal UI: by cancelCampaign, or by the run reconciliation; audited', async () => {
  const [byMarketer, bySweep] = [await launchedRepeating('Welcome daily, stopped by hand'), await launchedRepeating('Welcome daily, stopped in Temporal')];
  const closed = async (id: string) => {
    const handle = stack.temporal.client.workflow.getHandle(campaignWorkflowId(id));
    await handle.terminate('wrong segment');
    return (await handle.describe()).closeTime!.toISOString();
  };
  const [closedByMarketer, closedBySweep] = [await closed(byMarketer), await closed(bySweep)];

  // Its record still says running and its run's last state too; pause and resume say what happened.
  for (const action of ['pause', 'resume'] as const) {
    const refused = await refusal(action, byMarketer);
    expect(refused.extensions).toMatchObject({ code: 'CONFLICT', reason: 'CAMPAIGN_WRONG_STATE', status: 'Terminated' });
    expect(refused.message).toMatch(/its run was terminated in the workflow engine/);
  }
  const cancelled = await stack.gql(CancelCampaignDocument, { id: byMarketer }, Role.Marketer);
  expect(cancelled.errors).toBeUndefined();
  expect(cancelled.data!.cancelCampaign).toMatchObject({ status: 'Cancelled', finishedAt: closedByMarketer, progress: { status: 'Cancelled', enrolled: 2, nextPassAt: null } });
  const ended = (closedAt: string) => ({ status: 'cancelled', endedInEngine: 'terminated', reason: 'wrong segment', closedAt });
  expect((await auditOf(byMarketer)).at(-1)).toEqual(['campaign.cancel', expect.stringMatching(/^marketer:/), { status: 'running' }, ended(closedByMarketer)]);

  // The other one, nobody cancels: the run reconciliation records it, once.
  expect(await reconcile()).toEqual([campaignWorkflowId(bySweep)]);
  expect(await campaign(bySweep)).toMatchObject({ status: 'Cancelled', finishedAt: closedBySweep, progress: { status: 'Cancelled', nextPassAt: null } });
  expect(await reconcile()).toEqual([]);
  const sweepEntries = (await auditOf(bySweep)).filter(([action]) => action === 'campaign.ended-in-engine');
  expect(sweepEntries).toEqual([['campaign.ended-in-engine', `temporal:${stack.temporal.client.options.identity}`, { status: 'running' }, ended(closedBySweep)]]);
  expect((await refusal('cancel', bySweep)).extensions).toMatchObject({ code: 'CONFLICT', status: 'Cancelled' });
}, 120_000);

it('shows a campaign whose run was terminated in the Temporal UI as ended at once, with no start or pass to come, and a launch of it says so (QA 81 F1)', async () => {
  const terminated = async (id: string) => {
    const handle = stack.temporal.client.workflow.getHandle(campaignWorkflowId(id));
    await handle.terminate('qa: wrong campaign');
    return (await handle.describe()).closeTime!.toISOString();
  };
  const ended = (before: string, closedAt: string) => [
    ['campaign.ended-in-engine', `temporal:${stack.temporal.client.options.identity}`, { status: before }, { status: 'cancelled', endedInEngine: 'terminated', reason: 'qa: wrong campaign', closedAt }],
  ];
  const endedInEngine = async (id: string) => (await auditOf(id)).filter(([action]) => action === 'campaign.ended-in-engine');
  const launchFor = async (name: string, at: string) => {
    const { id } = await create(name, 'WelcomeCheck', ['Premium']);
    expect((await stack.gql(LaunchCampaignDocument, { id, at }, Role.Marketer)).data!.launchCampaign.status).toBe('Scheduled');
    await eventually(() => campaign(id), (c) => c.progress?.status === 'Scheduled');
    return id;
  };
  const at = new Date(Date.now() + 3_600_000).toISOString();

  // Scheduled, terminated before its start: its view says it ended (not Scheduled with a start that will never come), recorded on the spot.
  const viewed = await launchFor('Welcome later, terminated then viewed', at);
  const viewedClosedAt = await terminated(viewed);
  expect(await campaign(viewed)).toMatchObject({ status: 'Cancelled', scheduledFor: at, launchedAt: null, finishedAt: viewedClosedAt, progress: { status: 'Cancelled', enrolled: 0, nextPassAt: null } });
  expect(await endedInEngine(viewed)).toEqual(ended('scheduled', viewedClosedAt));
  const relaunched = (await stack.gql(LaunchCampaignDocument, { id: viewed }, Role.Marketer)).errors![0];
  expect(relaunched.extensions).toMatchObject({ code: 'CONFLICT', reason: 'CAMPAIGN_WRONG_STATE', status: 'Cancelled' });
  expect(relaunched.message).not.toMatch(/starts then/);

  // Launched again before anyone looked: not "it starts then", but how its run ended (recorded now, as pause would say it).
  const launched = await launchFor('Welcome later, terminated then launched', at);
  const launchedClosedAt = await terminated(launched);
  const refused = (await stack.gql(LaunchCampaignDocument, { id: launched }, Role.Marketer)).errors![0];
  expect(refused.extensions).toMatchObject({ code: 'CONFLICT', reason: 'CAMPAIGN_WRONG_STATE', status: 'Terminated' });
  expect(refused.message).toMatch(/its run was terminated in the workflow engine, recorded now as cancelled/);
  expect(await campaign(launched)).toMatchObject({ status: 'Cancelled', finishedAt: launchedClosedAt, progress: { status: 'Cancelled' } });
  expect(await endedInEngine(launched)).toEqual(ended('scheduled', launchedClosedAt));

  // Repeating, paused between passes, then terminated: a list's progress has no next pass and says it ended; the view too.
  const paused = await launchedRepeating('Welcome daily, paused then terminated');
  expect((await stack.gql(PauseCampaignDocument, { id: paused }, Role.Marketer)).errors).toBeUndefined();
  await eventually(() => campaign(paused), (c) => c.status === 'Paused');
  const pausedClosedAt = await terminated(paused);
  const listed = (await stack.gql(CampaignsDocument, { first: 20 }, Role.Viewer)).data!.campaigns.edges.find((e) => e.node.id === paused)!.node;
  expect(listed.progress).toMatchObject({ status: 'Cancelled', enrolled: 2, nextPassAt: null });
  expect(await campaign(paused)).toMatchObject({ status: 'Cancelled', finishedAt: pausedClosedAt, progress: { status: 'Cancelled', nextPassAt: null } });
  expect(await endedInEngine(paused)).toEqual(ended('paused', pausedClosedAt));
  // Recorded once: the run reconciliation finds nothing left to record.
  expect(await reconcile()).toEqual([]);
}, 120_000);

it('records a campaign reset in the Temporal UI after its termination as running again, audited; until then its run enrols nobody', async () => {
  const id = await launchedRepeating('Welcome daily, reset in Temporal');
  const handle = stack.temporal.client.workflow.getHandle(campaignWorkflowId(id));
  expect(await (await handle.describe()).staticDetails()).toMatch(/ s, keeping a random holdout of 10%; goes over the segment again every 1 days, enrolling newcomers, until cancelled; signals pause/);
  await handle.terminate('terminated by mistake');
  await eventually(async () => (await reconcile(), campaign(id)), (c) => c.status === 'Cancelled');
  const [{ tag }] = await rows(sql<{ tag: string }>`select segment->>'search' as tag from campaign where id = ${id}::uuid`);
  const em = stack.orm.em.fork();
  em.create(Customer, { name: 'Kim', email: `kim.${tag}@example.com`, acquiredAt: joinedDaysAgo(3) });
  await em.flush();
  const enrolled = async () => (await rows(sql<{ name: string }>`select c.name from campaign_member m join customer c on c.id = m.customer_id where m.campaign_id = ${id}::uuid order by c.name`)).map((m) => m.name);

  // The operator undoes the termination: the run runs again, its next pass (a day is a second here) comes at once,
  // and enrols nobody while everyone sees the campaign cancelled (its page is retried).
  const operator = temporalOperator(stack, 'bob@ops.example.com');
  const { events } = await operator.workflow.getHandle(campaignWorkflowId(id)).fetchHistory();
  const { runId } = await operator.workflowService.resetWorkflowExecution({
    namespace: stack.config.temporal.namespace,
    workflowExecution: { workflowId: campaignWorkflowId(id), runId: (await handle.describe()).runId },
    reason: 'undo the termination',
    workflowTaskFinishEventId: [...events!].reverse().find((e) => e.workflowTaskCompletedEventAttributes)!.eventId,
    requestId: `reset-${Date.now()}`,
  });
  // (Where the termination came decides whether the reset run goes on with its page or waits for its next pass and
  // continues as new: either way it is running, and its pages are refused.)
  await eventually(() => handle.describe(), (d) => d.status.name === 'RUNNING');
  await new Promise((r) => setTimeout(r, 3_000));
  expect(await enrolled()).toEqual(['Ivo', 'Jan']);
  expect(await campaign(id)).toMatchObject({ status: 'Cancelled', progress: { status: 'Cancelled' } });
  const enrolment = new CampaignEnrolmentService(stack.orm.em.fork(), null!, null!, campaignRules(defaultPolicies));
  await expect(enrolment.enrolPage({ campaignId: id, after: null, limit: 10, pass: 9 })).rejects.toMatchObject({ code: 'CAMPAIGN_WRONG_STATE' });

  // The run reconciliation records it running again, audited once; it enrols the newcomer and can be paused and cancelled.
  expect(await eventually(() => reconcile(), (recorded) => recorded.includes(campaignWorkflowId(id)))).toEqual([campaignWorkflowId(id)]);
  expect(await campaign(id)).toMatchObject({ status: 'Running', finishedAt: null, progress: { status: 'Running' } });
  expect((await auditOf(id)).filter(([action]) => action === 'campaign.reset-in-engine')).toEqual([
    ['campaign.reset-in-engine', 'temporal:unknown', { status: 'cancelled' }, { status: 'running', endUndone: 'cancelled', runId, reason: 'undo the termination', resetAt: expect.any(String) }],
  ]);
  expect(await reconcile()).toEqual([]);
  await eventually(() => enrolled(), (names) => names.includes('Kim'));
  expect((await stack.gql(PauseCampaignDocument, { id }, Role.Marketer)).errors).toBeUndefined();
  await eventually(() => campaign(id), (c) => c.status === 'Paused');
  expect((await stack.gql(CancelCampaignDocument, { id }, Role.Marketer)).errors).toBeUndefined();
  expect(await eventually(() => campaign(id), (c) => c.status === 'Cancelled')).toMatchObject({ finishedAt: expect.any(String), progress: { status: 'Cancelled', enrolled: 3 } });
}, 120_000);
