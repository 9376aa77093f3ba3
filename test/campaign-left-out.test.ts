import { sql, type RawBuilder } from 'kysely';
import { Role } from '../src/domain/auth/roles.js';
import { LEFT_OUT_REASONS, type LeftOutReason } from '../src/domain/campaigns/campaign.js';
import { CHEAPER_TIER_REASON } from '../src/domain/scoring/profitability.js';
import { Customer, CustomerStatus, ScoreSnapshot } from '../src/entities/index.js';
import { CampaignPreviewDocument, CreateCampaignDocument, CreateSegmentDocument, SegmentDocument, type Playbook } from './__generated__/graphql.js';
import { startTestStack, type TestStack } from './support/stack.js';
import { zoneAtNoon } from './support/time-zones.js';

/**
 * A campaign's preview says where the segment's customers it does not enrol went: each left out
 * under the first of the playbook's rules that leaves them out (LEFT_OUT_REASONS' order), so that
 * customers + inOtherHoldout + leftOut add up to the segment. With the default policies, on the
 * real PostgreSQL (other campaigns' members and earlier runs written as their runs record them).
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
}, 90_000);
afterAll(() => stack?.stop());

const DAY = 86_400_000;
const day = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY).toISOString().slice(0, 10);
const rows = async <T>(q: RawBuilder<T>) => (await q.execute(stack.orm.em.fork().getKysely())).rows;

interface Person {
  status?: CustomerStatus;
  tenureDays?: number;
  consent?: boolean;
  scores?: Record<string, string>;
}

/** Customers named `${prefix} <key>`, one per entry, with those facts; their IDs by key. */
async function customers<K extends string>(prefix: string, people: Record<K, Person>): Promise<Record<K, string>> {
  const em = stack.orm.em.fork();
  const made = Object.entries<Person>(people).map(([key, p]) => {
    const c = em.create(Customer, {
      name: `${prefix} ${key}`,
      email: `${prefix}.${key}@example.com`.toLowerCase().replace(/ /g, '.'),
      acquiredAt: day(p.tenureDays ?? 1200),
      marketingConsent: p.consent ?? true,
      timeZone: zoneAtNoon(new Date()),
    });
    const scores = Object.fromEntries(Object.entries(p.scores ?? {}).map(([kind, band]) => [kind, { value: band === 'loss-making' ? -14_000 : 1, band, modelVersion: 'test', reasons: ['test'] }]));
    if (p.scores) em.create(ScoreSnapshot, { customer: c, computedAt: new Date(), scores });
    return [key, c] as const;
  });
  await em.flush();
  for (const [key, c] of made) if (people[key as K].status) await rows(sql`update customer set status = ${people[key as K].status}::customer_status where id = ${c.id}::uuid`);
  return Object.fromEntries(made.map(([key, c]) => [key, c.id])) as Record<K, string>;
}

/** A draft of `playbook` over a saved segment searching `prefix` (no holdout), and the segment's size. */
async function draft(prefix: string, playbook: Playbook): Promise<{ id: string; segmentSize: number }> {
  const segment = await stack.gql(CreateSegmentDocument, { input: { name: `${prefix} segment`, filter: { search: prefix } } }, Role.Marketer);
  expect(segment.errors).toBeUndefined();
  const segmentId = segment.data!.createSegment.id;
  const created = await stack.gql(CreateCampaignDocument, { input: { name: `${prefix} campaign`, playbook, segmentId, holdoutPercent: 0 } }, Role.Marketer);
  expect(created.errors).toBeUndefined();
  const size = await stack.gql(SegmentDocument, { id: segmentId, first: 1 }, Role.Viewer);
  return { id: created.data!.createCampaign.id, segmentSize: size.data!.segment!.customers!.totalCount };
}

/** Another campaign of `playbook`, under way, with those members (treated ones with the run its page started). */
async function otherCampaign(playbook: Playbook, members: { treated?: string[]; holdout?: string[] }): Promise<void> {
  const created = await stack.gql(CreateCampaignDocument, { input: { name: `Other ${playbook} campaign`, playbook, filter: { search: 'nobody at all' }, holdoutPercent: 0 } }, Role.Marketer);
  const id = created.data!.createCampaign.id;
  await rows(sql`update campaign set status = 'running', launched_at = now() where id = ${id}::uuid`);
  await rows(sql`insert into campaign_member (campaign_id, customer_id, "group", enrolled_at, pass, workflow_id)
                 select ${id}::uuid, c.id, 'treated'::campaign_group, now(), 1, 'some-run/' || c.id from customer c where c.id = any(${members.treated ?? []}::uuid[])
                 union all
                 select ${id}::uuid, c.id, 'holdout'::campaign_group, now(), 1, null from customer c where c.id = any(${members.holdout ?? []}::uuid[])`);
}

/** A run of the playbook for the customer, started and ended `daysAgo` days ago. */
const pastRun = (playbook: string, customerId: string, daysAgo: number) =>
  rows(sql`insert into playbook_run (id, workflow_id, playbook, customer_id, status, outcome, started_at, finished_at)
           values (gen_random_uuid(), ${`${playbook}/${customerId}/past`}, ${playbook}, ${customerId}::uuid, 'completed', 'done', now() - make_interval(days => ${daysAgo}), now() - make_interval(days => ${daysAgo}))`);

async function preview(id: string) {
  const result = await stack.gql(CampaignPreviewDocument, { id }, Role.Marketer);
  expect(result.errors).toBeUndefined();
  return result.data!.campaign!.preview!;
}

/** The counts by reason in the order the preview lists them (LEFT_OUT_REASONS'). */
const byReason = (counts: Partial<Record<LeftOutReason, number>>) =>
  (Object.keys(LEFT_OUT_REASONS) as LeftOutReason[]).filter((reason) => counts[reason]).map((reason) => ({ reason, customers: counts[reason]! }));

const adds = (p: { customers: number; inOtherHoldout: number; leftOut: { customers: number }[] }) => p.customers + p.inOtherHoldout + p.leftOut.reduce((n, r) => n + r.customers, 0);

it("counts a thank-you campaign's left out by the first rule that leaves each out, so that they add up to the segment", async () => {
  const prefix = 'Leftout thanks';
  const ids = await customers(prefix, {
    reached: {},
    // Offboarded and new: counted as not active, the first reason.
    offboarded: { status: CustomerStatus.Offboarded, tenureDays: 100 },
    member: {},
    // Too new and without consent: counted as too new.
    newNoConsent: { tenureDays: 500, consent: false },
    noConsent: { consent: false },
    // Without consent in another campaign's holdout: the rules come first.
    noConsentHeld: { consent: false },
    losing: { scores: { profitability: 'loss-making' } },
    thankedLately: {},
    thankedThisYear: {},
    thankYouWaits: {},
    notThanked: {},
    heldAtDelivery: {},
    otherTreats: {},
    otherHolds: {},
  });
  const { id, segmentSize } = await draft(prefix, 'Appreciation');
  // A campaign under way previews its next pass: who it enrolled already is counted apart.
  await rows(sql`update campaign set status = 'running', launched_at = now() where id = ${id}::uuid`);
  await rows(sql`insert into campaign_member (campaign_id, customer_id, "group", enrolled_at, pass) values (${id}::uuid, ${ids.member}::uuid, 'treated', now(), 1)`);
  await rows(sql`insert into outbox_message (id, idempotency_key, customer_id, channel, purpose, template, payload, created_at, sent_at)
                 values (gen_random_uuid(), ${`appreciation/${ids.thankedLately}/old/thank-you`}, ${ids.thankedLately}::uuid, 'email', 'marketing', 'appreciation', '{"offerCode":null}', now() - interval '20 days', now() - interval '20 days')`);
  // This year's runs, begun this year (1 January UTC at the latest), as they record what became of them: one that wrote its
  // thank-you (outbox key `<workflow id>/thank-you`, written as it began), one still waiting (quiet hours, a hold) with nothing
  // written, one ended not thanked with nothing written, and one whose thank-you was held back at delivery (outcome thanked).
  const yearStart = sql`date_trunc('year', now() at time zone 'UTC') at time zone 'UTC'`;
  const yearsRun = (customerId: string, status: string, outcome: string | null) =>
    rows(sql`insert into playbook_run (id, workflow_id, playbook, customer_id, status, outcome, started_at, finished_at)
             values (gen_random_uuid(), ${`appreciation/${customerId}/${new Date().getUTCFullYear()}`}, 'appreciation', ${customerId}::uuid, ${status}::playbook_run_status, ${outcome},
                     ${yearStart}, ${status === 'running' ? null : yearStart})`);
  const thankYou = (customerId: string, suppressed: boolean) =>
    rows(sql`insert into outbox_message (id, idempotency_key, customer_id, channel, purpose, template, payload, created_at, sent_at, suppressed_at, suppressed_reason)
             values (gen_random_uuid(), ${`appreciation/${customerId}/${new Date().getUTCFullYear()}/thank-you`}, ${customerId}::uuid, 'email', 'marketing', 'appreciation', '{"offerCode":null}',
                     ${yearStart}, ${suppressed ? null : yearStart}, ${suppressed ? yearStart : null}, ${suppressed ? 'no-consent: opted out before it went' : null})`);
  await yearsRun(ids.thankedThisYear, 'completed', 'thanked');
  await thankYou(ids.thankedThisYear, false);
  await yearsRun(ids.thankYouWaits, 'running', null);
  await yearsRun(ids.notThanked, 'completed', 'not-thanked');
  await yearsRun(ids.heldAtDelivery, 'completed', 'thanked');
  await thankYou(ids.heldAtDelivery, true);
  await otherCampaign('Appreciation', { treated: [ids.otherTreats], holdout: [ids.otherHolds, ids.noConsentHeld] });

  const p = await preview(id);
  expect(p.customers).toBe(1);
  expect(p.sample.map((c) => c.id)).toEqual([ids.reached]);
  expect(p.inOtherHoldout).toBe(1);
  // Thanked on 1 January: in the year's first 120 days that thank-you is still within the silent days, counted first as such.
  const thankedOnNewYear = Date.now() - Date.UTC(new Date().getUTCFullYear(), 0, 1) > 120 * DAY ? 'thanked-this-year' : 'thanked-recently';
  expect(p.leftOut).toEqual(
    byReason({
      'not-active': 1,
      'enrolled-already': 1,
      'short-tenure': 1,
      'no-consent': 2,
      'loss-making': 1,
      'thanked-recently': 1 + (thankedOnNewYear === 'thanked-recently' ? 1 : 0),
      'thanked-this-year': thankedOnNewYear === 'thanked-this-year' ? 1 : 0,
      // Left out too (one run of the year for the sweep and campaigns), but not counted as thanked: their thank-you never reached them.
      'thank-you-under-way': 1,
      'not-thanked-this-year': 2,
      'treated-by-other-campaign': 1,
    }),
  );
  expect(segmentSize).toBe(Object.keys(ids).length);
  expect(adds(p)).toBe(segmentSize);
}, 120_000);

it("counts a welcome check campaign's left out: not new, under way, welcomed already, not welcomed, welcomed by another campaign, not active", async () => {
  const prefix = 'Leftout welcome';
  const ids = await customers(prefix, {
    newcomer: { tenureDays: 10 },
    old: { tenureDays: 200 },
    // Erased and old: not active comes first.
    erased: { status: CustomerStatus.Erased, tenureDays: 200 },
    welcomed: { tenureDays: 30 },
    // Welcomed by hand and treated by another campaign: welcomed already comes first.
    welcomedTwice: { tenureDays: 30 },
    // A check started by hand and waiting: under way, not welcomed already.
    underWay: { tenureDays: 20 },
    // A check cancelled before its welcome went: never welcomed, though the campaign leaves them out all the same.
    cancelledFirst: { tenureDays: 20 },
    otherTreats: { tenureDays: 5 },
  });
  const { id, segmentSize } = await draft(prefix, 'WelcomeCheck');
  const welcome = (customerId: string) =>
    rows(sql`insert into outbox_message (id, idempotency_key, customer_id, channel, purpose, template, payload, created_at, sent_at)
             values (gen_random_uuid(), ${`welcome-check/${customerId}/past/welcome`}, ${customerId}::uuid, 'email', 'service', 'welcome', '{}', now() - interval '20 days', now() - interval '20 days')`);
  await pastRun('welcome-check', ids.welcomed, 20);
  await welcome(ids.welcomed);
  await pastRun('welcome-check', ids.welcomedTwice, 20);
  await welcome(ids.welcomedTwice);
  await pastRun('welcome-check', ids.cancelledFirst, 10);
  await rows(sql`insert into playbook_run (id, workflow_id, playbook, customer_id, status, started_at)
                 values (gen_random_uuid(), ${`welcome-check/${ids.underWay}`}, 'welcome-check', ${ids.underWay}::uuid, 'running', now() - interval '1 day')`);
  await otherCampaign('WelcomeCheck', { treated: [ids.otherTreats, ids.welcomedTwice] });

  const p = await preview(id);
  expect(p.customers).toBe(1);
  expect(p.inOtherHoldout).toBe(0);
  expect(p.leftOut).toEqual(byReason({ 'not-active': 1, 'not-new': 1, 'welcome-under-way': 1, 'welcomed-already': 2, 'not-welcomed': 1, 'treated-by-other-campaign': 1 }));
  expect(adds(p)).toBe(segmentSize);
  expect(segmentSize).toBe(8);
}, 120_000);

it("counts an account review's proposals to customers with a complaint open as held back, the cheaper tier's service message too: the run waits to fix first (QA 138 F1)", async () => {
  const people = await customers('Heldreview', {
    cheaperCalm: { scores: { profitability: 'loss-making' } },
    cheaperComplaining: { scores: { profitability: 'loss-making' } },
    offerComplaining: { scores: { profitability: 'loss-making' } },
  });
  // The profitability reasons of two name a cheaper tier (a service message); the third gets an offer or nothing.
  await rows(sql`update score_snapshot set scores = jsonb_set(scores, '{profitability,reasons}', ${JSON.stringify([`${CHEAPER_TIER_REASON}basic`])}::jsonb)
                 where customer_id = any(${[people.cheaperCalm, people.cheaperComplaining]}::uuid[])`);
  for (const c of [people.cheaperComplaining, people.offerComplaining]) {
    await rows(sql`insert into complaint (id, customer_id, topic, severity, opened_at, reopened_count, created_at) values (gen_random_uuid(), ${c}::uuid, 'delivery', 'medium', now(), 0, now())`);
  }
  // The cheaper tier goes to the calm one; the complaining one's waits; no offer today moves the third to a richer tier: nothing proposed.
  const p = await preview((await draft('Heldreview', 'AccountReview')).id);
  expect(p).toMatchObject({ customers: 3, treated: 3, messages: 1, heldBack: [{ reason: 'open-complaint', customers: 1 }] });
}, 60_000);

it("counts an account review's and a fix campaign's left out by their own rules only, and an ended campaign's none", async () => {
  const review = await customers('Leftout review', {
    losing: { scores: { profitability: 'loss-making' } },
    // Neither scored nor loss-making: not for a review; a loss-making one whose review ended lately, or whose issue is being fixed.
    unscored: {},
    profitable: { scores: { profitability: 'profitable' } },
    reviewedLately: { scores: { profitability: 'loss-making' } },
    fixing: { scores: { profitability: 'loss-making' } },
    // Fixing and reviewed lately: the fix comes first.
    fixingReviewed: { scores: { profitability: 'loss-making' } },
    // Loss-making, no consent, new, a thank-you's rules: an account review does not ask them.
    newNoConsent: { scores: { profitability: 'loss-making' }, tenureDays: 5, consent: false },
  });
  await pastRun('account-review', review.reviewedLately, 10);
  await pastRun('account-review', review.fixingReviewed, 10);
  for (const c of [review.fixing, review.fixingReviewed]) {
    await rows(sql`insert into fix_case (id, workflow_id, customer_id, topic, team, owner, status, opened_at)
                   values (gen_random_uuid(), ${`fix-issue/${c}/billing`}, ${c}::uuid, 'billing', 'billing-team', 'billing-team', 'open', now())`);
  }
  const reviews = await draft('Leftout review', 'AccountReview');
  const p = await preview(reviews.id);
  expect(p.customers).toBe(2);
  expect(p.leftOut).toEqual(byReason({ 'not-loss-making': 2, 'fixing-issue': 2, 'reviewed-recently': 1 }));
  expect(adds(p)).toBe(reviews.segmentSize);
  expect(reviews.segmentSize).toBe(7);

  const fix = await customers('Leftout fix', { persistent: { scores: { 'persistent-issue': 'persistent' } }, none: { scores: { 'persistent-issue': 'none' } }, unscored: {} });
  const fixes = await draft('Leftout fix', 'FixIssue');
  const f = await preview(fixes.id);
  expect(f.customers).toBe(1);
  expect(f.leftOut).toEqual(byReason({ 'no-persistent-issue': 2 }));
  expect(adds(f)).toBe(Object.keys(fix).length);

  // An ended campaign enrols nobody more: all zeros, nobody counted left out.
  await rows(sql`update campaign set status = 'completed', launched_at = now(), finished_at = now() where id = ${fixes.id}::uuid`);
  expect((await preview(fixes.id)).leftOut).toEqual([]);
}, 120_000);
