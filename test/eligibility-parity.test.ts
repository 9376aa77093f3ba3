import { sql, type RawBuilder } from 'kysely';
import { Role } from '../src/domain/auth/roles.js';
import { policiesWith, type Policies } from '../src/domain/policies/index.js';
import { LEFT_OUT_REASONS, type LeftOutReason } from '../src/domain/campaigns/campaign.js';
import { Customer, Invoice, ScoreSnapshot } from '../src/entities/index.js';
import { CreateCampaignDocument, StartAccountReviewDocument, StartAppreciationDocument, StartFairReminderDocument, StartFixIssueDocument, StartWelcomeCheckDocument, type Playbook } from './__generated__/graphql.js';
import { startTestStack, testKeys, type TestStack } from './support/stack.js';
import { zoneAtNoon } from './support/time-zones.js';

/**
 * Who may get a playbook is decided in three places: the rule a start by hand is checked
 * against (src/domain/playbooks/eligibility.ts), the trigger sweep's SQL and a campaign's
 * audience (SQL from campaignPlaybooks; fair reminders have no campaign). Over customers that differ in each fact a rule looks
 * at, the three pick the same customers, so a rule changed in one place and not the others
 * fails here. The stack runs with policy values other than the defaults, so a place that reads
 * a default instead of the policy it was given fails too. On the real PostgreSQL, Temporal dev
 * server and worker.
 */
const defaults = policiesWith({});
const overrides: Partial<Policies> = {
  triggers: { ...defaults.triggers, accountReviewCooldownDays: 100, minDaysOverdue: 3, maxDaysOverdue: 20 },
  appreciation: { ...defaults.appreciation, minTenureDays: 1000, silentDays: 100 },
  welcomeCheck: { ...defaults.welcomeCheck, newCustomerDays: 60 },
  scoring: { ...defaults.scoring, persistentIssue: { version: 2, minComplaints: 2, minReopens: 2, windowDays: 30 } },
};
const policies = policiesWith(overrides);
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ policies: overrides });
}, 90_000);
afterAll(() => stack?.stop());

const DAY = 86_400_000;
const day = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY).toISOString().slice(0, 10);
const rows = async <T>(q: RawBuilder<T>) => (await q.execute(stack.orm.em.fork().getKysely())).rows;
const services = async () => (await stack.api.contextFor(`Bearer ${testKeys[Role.Operator]}`)).services;

/** Every combination of the facts' values, as objects. */
function combinations<T extends Record<string, readonly unknown[]>>(facts: T): { [K in keyof T]: T[K][number] }[] {
  return Object.entries(facts).reduce<Record<string, unknown>[]>((all, [fact, values]) => all.flatMap((combo) => values.map((v) => ({ ...combo, [fact]: v }))), [{}]) as never;
}

/** The preview of a campaign of `playbook` over the segment that searches `name`. */
async function campaignPreview(playbook: Playbook, name: string) {
  const created = await stack.gql(CreateCampaignDocument, { input: { name: `${name} campaign`, playbook, filter: { search: name }, holdoutPercent: 0 } }, Role.Marketer);
  expect(created.errors).toBeUndefined();
  return created.data!.createCampaign.preview!;
}

/**
 * The customers a campaign of `playbook` over the segment that searches `name` would enrol: its preview's sample
 * (all of them, at most 10). Its preview counts the others left out (`leftOut`) each under the reason `leftOutAs` gives
 * the case (null: enrolled), the first rule of the playbook that leaves them out, and all of them add up to the segment.
 */
async function campaignPicks<F>(playbook: Playbook, name: string, cases: { facts: F }[], leftOutAs: (facts: F) => LeftOutReason | null): Promise<string[]> {
  const { customers, sample, leftOut, inOtherHoldout } = await campaignPreview(playbook, name);
  expect(sample).toHaveLength(customers);
  const expected = new Map<string, number>();
  for (const { facts } of cases) {
    const reason = leftOutAs(facts);
    if (reason) expected.set(reason, (expected.get(reason) ?? 0) + 1);
  }
  expect(leftOut).toEqual((Object.keys(LEFT_OUT_REASONS) as LeftOutReason[]).filter((r) => expected.has(r)).map((reason) => ({ reason, customers: expected.get(reason) })));
  expect(customers + inOtherHoldout + leftOut.reduce((n, r) => n + r.customers, 0)).toBe(cases.length);
  return sample.map((c) => c.id).sort();
}

/** The customers (of `ids`) a start by hand is allowed for: any other refusal than PLAYBOOK_NOT_ELIGIBLE fails the test. */
async function startedByHand(ids: string[], start: (customerId: string) => Promise<{ errors?: readonly { extensions?: Record<string, unknown> }[] }>): Promise<string[]> {
  const allowed: string[] = [];
  for (const id of ids) {
    const result = await start(id);
    if (!result.errors) allowed.push(id);
    else expect(result.errors[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'PLAYBOOK_NOT_ELIGIBLE' });
  }
  return allowed.sort();
}

it('picks the same loss-making accounts for an account review by hand, in the sweep and in a campaign', async () => {
  const em = stack.orm.em.fork();
  const cases = combinations({ band: ['loss-making', 'profitable', null], lastReviewEndedDaysAgo: [null, 10, 150], fixOpen: [false, true] } as const);
  const customers = cases.map((facts, i) => {
    const c = em.create(Customer, { name: `Parity review ${i}`, email: `parity.review.${i}@example.com`, acquiredAt: '2022-01-01' });
    if (facts.band) em.create(ScoreSnapshot, { customer: c, computedAt: new Date(), scores: { profitability: { value: facts.band === 'profitable' ? 5_000 : -14_000, band: facts.band, modelVersion: 'test', reasons: ['test'] } } });
    return { c, facts };
  });
  await em.flush();
  for (const { c, facts } of customers) {
    if (facts.lastReviewEndedDaysAgo !== null) {
      await rows(sql`insert into playbook_run (id, workflow_id, playbook, customer_id, status, outcome, started_at, finished_at)
                     values (gen_random_uuid(), ${`account-review/${c.id}`}, 'account-review', ${c.id}::uuid, 'completed', 'kept', now() - make_interval(days => ${facts.lastReviewEndedDaysAgo + 30}), now() - make_interval(days => ${facts.lastReviewEndedDaysAgo}))`);
    }
    if (facts.fixOpen) {
      await rows(sql`insert into fix_case (id, workflow_id, customer_id, topic, team, owner, status, opened_at)
                     values (gen_random_uuid(), ${`fix-issue/${c.id}/billing`}, ${c.id}::uuid, 'billing', 'billing-team', 'billing-team', 'open', now())`);
    }
  }
  const ids = customers.map(({ c }) => c.id);
  // The rule as README states it: loss-making, no review ended within the cooldown (100 days here, 180 by default), no fix under way.
  const expected = customers.filter(({ facts }) => facts.band === 'loss-making' && facts.lastReviewEndedDaysAgo !== 10 && !facts.fixOpen).map(({ c }) => c.id).sort();
  expect(expected).toHaveLength(2);

  const swept = (await (await services()).triggers.lossMakingAccounts({ after: null, limit: 10_000, policy: policies.triggers })).filter((id) => ids.includes(id)).sort();
  const campaign = await campaignPicks('AccountReview', 'Parity review', customers, (f) =>
    f.band !== 'loss-making' ? 'not-loss-making' : f.fixOpen ? 'fixing-issue' : f.lastReviewEndedDaysAgo === 10 ? 'reviewed-recently' : null,
  );
  const byHand = await startedByHand(ids, (customerId) => stack.gql(StartAccountReviewDocument, { customerId }, Role.Operator));
  expect({ swept, campaign, byHand }).toEqual({ swept: expected, campaign: expected, byHand: expected });
}, 180_000);

it('picks the same long-standing customers who take marketing for a thank-you by hand and in the sweep; a campaign leaves the loyalty band to the marketer', async () => {
  const em = stack.orm.em.fork();
  const cases = combinations({ tenureDays: [1200, 800], loyalty: ['loyal', 'regular', null], profitability: ['profitable', 'loss-making'], consent: [true, false] } as const);
  const customers = cases.map((facts, i) => {
    const c = em.create(Customer, { name: `Parity thanks ${i}`, email: `parity.thanks.${i}@example.com`, acquiredAt: day(facts.tenureDays), marketingConsent: facts.consent, timeZone: zoneAtNoon(new Date()) });
    const scores: Record<string, unknown> = { profitability: { value: facts.profitability === 'profitable' ? 5_000 : -14_000, band: facts.profitability, modelVersion: 'test', reasons: ['test'] } };
    if (facts.loyalty) scores['payment-loyalty'] = { value: 1, band: facts.loyalty, modelVersion: 'test', reasons: ['test'] };
    em.create(ScoreSnapshot, { customer: c, computedAt: new Date(), scores });
    return { c, facts };
  });
  await em.flush();
  const ids = customers.map(({ c }) => c.id);
  const longStandingNotLosing = customers.filter(({ facts }) => facts.tenureDays >= policies.appreciation.minTenureDays && facts.profitability !== 'loss-making' && facts.consent);
  const expected = longStandingNotLosing.filter(({ facts }) => facts.loyalty === 'loyal').map(({ c }) => c.id).sort();
  expect(expected).toHaveLength(1);

  const swept = (await (await services()).triggers.silentLoyalCustomers({ after: null, limit: 10_000, policy: policies.appreciation })).filter((id) => ids.includes(id)).sort();
  // "You have been with us for years" is true of the segment's long-standing customers; whom of them to thank is the marketer's choice.
  const campaign = await campaignPicks('Appreciation', 'Parity thanks', customers, (f) =>
    f.tenureDays < policies.appreciation.minTenureDays ? 'short-tenure' : !f.consent ? 'no-consent' : f.profitability === 'loss-making' ? 'loss-making' : null,
  );
  const byHand = await startedByHand(ids, (customerId) => stack.gql(StartAppreciationDocument, { customerId }, Role.Marketer));
  expect({ swept, campaign, byHand }).toEqual({ swept: expected, campaign: longStandingNotLosing.map(({ c }) => c.id).sort(), byHand: expected });
}, 180_000);

it('thanks nobody by hand, in the sweep or in a campaign whom another thank-you reached within the silent days (one held back at delivery reached nobody)', async () => {
  const em = stack.orm.em.fork();
  // Last year's thank-you, written (and sent, or held back at delivery) so many days ago; the policy's silent days are 100 here (120 by default).
  const cases = [null, { daysAgo: 20, heldBack: false }, { daysAgo: 20, heldBack: true }, { daysAgo: 150, heldBack: false }] as const;
  const customers = cases.map((thanked, i) => {
    const c = em.create(Customer, { name: `Parity recent thanks ${i}`, email: `parity.recent.thanks.${i}@example.com`, acquiredAt: day(1200), marketingConsent: true, timeZone: zoneAtNoon(new Date()) });
    em.create(ScoreSnapshot, { customer: c, computedAt: new Date(), scores: { 'payment-loyalty': { value: 1, band: 'loyal', modelVersion: 'test', reasons: ['test'] } } });
    return { c, thanked };
  });
  await em.flush();
  for (const { c, thanked } of customers) {
    if (!thanked) continue;
    await rows(sql`insert into outbox_message (id, idempotency_key, customer_id, channel, purpose, template, payload, created_at, sent_at, suppressed_at, suppressed_reason)
                   values (gen_random_uuid(), ${`appreciation/${c.id}/${new Date().getUTCFullYear() - 1}/thank-you`}, ${c.id}::uuid, 'email', 'marketing', 'appreciation', '{"offerCode":null}',
                           now() - make_interval(days => ${thanked.daysAgo}), ${thanked.heldBack ? null : sql`now() - make_interval(days => ${thanked.daysAgo})`},
                           ${thanked.heldBack ? sql`now() - make_interval(days => ${thanked.daysAgo})` : null}, ${thanked.heldBack ? 'open-complaint' : null})`);
  }
  const ids = customers.map(({ c }) => c.id);
  const recent = customers[1].c.id;
  const expected = ids.filter((id) => id !== recent).sort();

  const swept = (await (await services()).triggers.silentLoyalCustomers({ after: null, limit: 10_000, policy: policies.appreciation })).filter((id) => ids.includes(id)).sort();
  const campaign = await campaignPicks('Appreciation', 'Parity recent thanks', customers.map(({ c }) => ({ facts: c.id })), (id) => (id === recent ? 'thanked-recently' : null));
  // The run would end at once `not-thanked` (thanked-recently): refused, saying when the next may go.
  const refused = await stack.gql(StartAppreciationDocument, { customerId: recent }, Role.Marketer);
  const thankedOn = day(20);
  const nextFrom = new Date(Date.parse(thankedOn) + 100 * DAY).toISOString().slice(0, 10);
  expect(refused.errors?.[0].message).toContain(`thanked-recently: a thank-you was written to the customer on ${thankedOn}; the next may go 100 days after it, from ${nextFrom}`);
  expect(refused.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'PLAYBOOK_NOT_ELIGIBLE', lastThankYouOn: thankedOn, nextThankYouFrom: nextFrom });
  const byHand = await startedByHand(ids, (customerId) => stack.gql(StartAppreciationDocument, { customerId }, Role.Marketer));
  expect({ swept, campaign, byHand }).toEqual({ swept: expected, campaign: expected, byHand: expected });
}, 180_000);

it('picks the same newcomers for a welcome check by hand and in a campaign', async () => {
  const em = stack.orm.em.fork();
  const tenures = [0, 10, 60, 61, 90];
  const customers = tenures.map((tenureDays, i) => ({ c: em.create(Customer, { name: `Parity welcome ${i}`, email: `parity.welcome.${i}@example.com`, acquiredAt: day(tenureDays) }), tenureDays }));
  await em.flush();
  const ids = customers.map(({ c }) => c.id);
  const expected = customers.filter(({ tenureDays }) => tenureDays <= policies.welcomeCheck.newCustomerDays).map(({ c }) => c.id).sort();
  expect(expected).toHaveLength(3);

  const campaign = await campaignPicks('WelcomeCheck', 'Parity welcome', customers.map(({ tenureDays }) => ({ facts: tenureDays })), (tenureDays) =>
    tenureDays > policies.welcomeCheck.newCustomerDays ? 'not-new' : null,
  );
  const byHand = await startedByHand(ids, (customerId) => stack.gql(StartWelcomeCheckDocument, { customerId }, Role.Operator));
  expect({ campaign, byHand }).toEqual({ campaign: expected, byHand: expected });
}, 120_000);

it('finds the same persistent issues to fix by hand, in the sweep and in a campaign', async () => {
  const em = stack.orm.em.fork();
  const { persistentIssue } = policies.scoring;
  // Complaints about one topic: some in the 30-day window, an older one still open or resolved, reopens on the newest.
  const cases = combinations({ recent: [1, 2], older: [null, 'open', 'resolved'], reopens: [0, 1, 2] } as const);
  const customers = cases.map((facts, i) => {
    const c = em.create(Customer, { name: `Parity fix ${i}`, email: `parity.fix.${i}@example.com`, acquiredAt: '2022-01-01' });
    // At risk and complained about: the sweep's and the campaign's other conditions hold for everyone.
    const band = (kind: string, b: string) => ({ [kind]: { value: 1, band: b, modelVersion: 'test', reasons: ['test'] } });
    em.create(ScoreSnapshot, { customer: c, computedAt: new Date(), scores: { ...band('churn-risk', 'high'), ...band('persistent-issue', 'persistent') } });
    return { c, facts };
  });
  await em.flush();
  for (const { c, facts } of customers) {
    for (let k = 0; k < facts.recent; k++) {
      const reopens = k === 0 ? facts.reopens : 0;
      await rows(sql`insert into complaint (id, customer_id, topic, severity, opened_at, reopened_count, reopened_at, created_at)
                     values (gen_random_uuid(), ${c.id}::uuid, 'billing', 'medium', now() - make_interval(days => ${5 + k}), ${reopens}, ${reopens ? sql`now() - interval '1 day'` : null}, now())`);
    }
    if (facts.older) {
      await rows(sql`insert into complaint (id, customer_id, topic, severity, opened_at, resolved_at, created_at)
                     values (gen_random_uuid(), ${c.id}::uuid, 'billing', 'medium', now() - interval '60 days', ${facts.older === 'resolved' ? sql`now() - interval '50 days'` : null}, now())`);
    }
  }
  const ids = customers.map(({ c }) => c.id);
  // The rule as README states it, with this stack's policy: 2 complaints (one still open counts however old) or 2 reopens in 30 days.
  const expected = customers.filter(({ facts }) => facts.recent + (facts.older === 'open' ? 1 : 0) >= persistentIssue.minComplaints || facts.reopens >= persistentIssue.minReopens).map(({ c }) => c.id).sort();
  expect(expected).toHaveLength(14);

  const swept = (await (await services()).triggers.persistentIssues({ after: null, limit: 10_000, policy: policies.triggers, issue: persistentIssue }))
    .filter((i) => ids.includes(i.customerId))
    .map((i) => (expect(i.topic).toBe('billing'), i.customerId))
    .sort();
  // A fix is no marketing: nobody is held back, and the preview counts one run (one message) per persistent topic.
  const preview = await campaignPreview('FixIssue', 'Parity fix');
  const byHand = await startedByHand(ids, (customerId) => stack.gql(StartFixIssueDocument, { customerId, topic: 'billing' }, Role.Operator));
  expect({ swept, byHand, previewed: preview.messages }).toEqual({ swept: expected, byHand: expected, previewed: expected.length });
}, 180_000);

it('picks the same overdue invoices for a fair reminder by hand and in the sweep, which leaves the older ones to a person', async () => {
  const em = stack.orm.em.fork();
  const cases: { daysOverdue: number; state: 'open' | 'paid' | 'cancelled' | 'erased' }[] = [
    ...[0, 2, 3, 20, 21].map((daysOverdue) => ({ daysOverdue, state: 'open' as const })),
    { daysOverdue: 5, state: 'paid' },
    { daysOverdue: 5, state: 'cancelled' },
    { daysOverdue: 5, state: 'erased' },
  ];
  const invoices = cases.map((facts, i) => {
    const customer = em.create(Customer, { name: `Parity reminder ${i}`, email: `parity.reminder.${i}@example.com`, acquiredAt: '2022-01-01' });
    const dueAt = day(facts.daysOverdue);
    const invoice = em.create(Invoice, {
      customer,
      issuedAt: day(facts.daysOverdue + 14),
      dueAt,
      amountMinor: 5_000,
      paidAt: facts.state === 'paid' ? dueAt : null,
      cancelledAt: facts.state === 'cancelled' ? dueAt : null,
    });
    return { invoice, customer, facts };
  });
  await em.flush();
  for (const { customer, facts } of invoices) if (facts.state === 'erased') await rows(sql`update customer set status = 'erased' where id = ${customer.id}::uuid`);
  const ids = invoices.map(({ invoice }) => invoice.id);
  // The rule as README states it, with this stack's policy: open, at least 3 days overdue, a customer not erased; the sweep only up to 20 days.
  const chaseable = invoices.filter(({ facts }) => facts.state === 'open' && facts.daysOverdue >= policies.triggers.minDaysOverdue);
  const expectedByHand = chaseable.map(({ invoice }) => invoice.id).sort();
  const expectedSwept = chaseable.filter(({ facts }) => facts.daysOverdue <= policies.triggers.maxDaysOverdue!).map(({ invoice }) => invoice.id).sort();
  expect([expectedByHand.length, expectedSwept.length]).toEqual([3, 2]);

  const swept = (await (await services()).triggers.overdueInvoices({ after: null, limit: 10_000, ...policies.triggers })).filter((id) => ids.includes(id)).sort();
  const byHand: string[] = [];
  for (const id of ids) if (!(await stack.gql(StartFairReminderDocument, { invoiceId: id }, Role.Operator)).errors) byHand.push(id);
  expect({ swept, byHand: byHand.sort() }).toEqual({ swept: expectedSwept, byHand: expectedByHand });
}, 180_000);
