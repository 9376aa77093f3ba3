import os from 'node:os';
import 'reflect-metadata';
import { sql } from 'kysely';
import { createOrm } from '../src/db/orm.js';
import { defaultPolicies } from '../src/domain/policies/index.js';
import { Playbook } from '../src/domain/playbooks/playbook.js';
import { createServices } from '../src/services/index.js';
import { customerWhere, type CustomerFilter } from '../src/services/customers/customer-query.js';
import { connectTemporal } from '../src/temporal/client.js';
import { TemporalCampaignEngine } from '../src/temporal/temporal-campaign-engine.js';
import { TemporalPlaybookEngine } from '../src/temporal/temporal-playbook-engine.js';
import { TemporalScoringEngine } from '../src/temporal/temporal-scoring-engine.js';
import { writeBenchmarkSection } from './benchmarks-file.js';
import { median, timed } from './measure.js';
import { startDemoDatabase } from './demo-database.js';

/**
 * `npm run bench:preview`: a draft campaign's preview (the `campaign` GraphQL field's `preview`:
 * CampaignService.preview) on the demo base (default 100k customers), for each playbook a campaign
 * can launch and two segments (all customers; high churn risk), against the floor of the bare
 * `count(*)` of the segment's customers with the same filter (customerWhere). The preview asks the
 * playbook's audience rules of every customer of the segment (to count those it leaves out, by
 * reason), so its cost grows with the segment, not the audience. Results go to BENCHMARKS.md.
 *
 * Scores come from `npm run bench:scoring` (run it first on a fresh database: without scores the
 * score-band segment is empty and the score rules leave everyone out).
 *
 * Options (env): BENCH_CUSTOMERS (100000), BENCH_ORDERS_PER_CUSTOMER (20), BENCH_RUNS (5, per preview and floor).
 */
const customers = Number(process.env.BENCH_CUSTOMERS ?? 100_000);
const ordersPerCustomer = Number(process.env.BENCH_ORDERS_PER_CUSTOMER ?? 20);
const runs = Number(process.env.BENCH_RUNS ?? 5);
const ACTOR = 'bench';
const playbooks = [Playbook.AccountReview, Playbook.Appreciation, Playbook.FixIssue, Playbook.WelcomeCheck];
const segments: { label: string; filter: CustomerFilter }[] = [
  { label: 'all customers', filter: {} },
  { label: 'churn risk high', filter: { riskBand: ['high'] } },
];

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

const db = await startDemoDatabase(customers, ordersPerCustomer);
const orm = await createOrm(db.url);
// Creating a segment or a draft and previewing it call no engine; the engines are the real ones on a client that never
// connects (lazy, to a closed port), so a call made after all would fail here rather than pass unnoticed.
const temporal = await connectTemporal('127.0.0.1:1', 'default', { lazy: true });
const engines = {
  playbooks: new TemporalPlaybookEngine(temporal.client, 'bench-preview'),
  scoring: new TemporalScoringEngine(temporal.client, 'bench-preview'),
  campaigns: new TemporalCampaignEngine(temporal.client, 'bench-preview'),
};
// A fresh entity manager per call, as each GraphQL request has.
const services = () => createServices(orm.em.fork(), engines, defaultPolicies);
const created: { segments: string[]; campaigns: string[] } = { segments: [], campaigns: [] };
try {
  const kysely = orm.em.getKysely();
  await sql`analyze`.execute(kysely);
  // The rules also look up runs, members, messages and fix cases per customer; the demo data may hold none of them, which
  // makes those lookups cheaper than in a base that has run playbooks for a while: the section says how many there were.
  const history = (
    await sql<{ runs: number; members: number; messages: number; fixes: number }>`
      select (select count(*) from playbook_run)::int as runs, (select count(*) from campaign_member)::int as members,
             (select count(*) from outbox_message)::int as messages, (select count(*) from fix_case)::int as fixes`.execute(kysely)
  ).rows[0];
  const rows: string[] = [];
  const slowest: { label: string; ms: number }[] = [];
  const stamp = Date.now();
  for (const { label, filter } of segments) {
    const segment = await services().segments.create({ name: `bench preview ${label} ${stamp}`, filter }, ACTOR);
    created.segments.push(segment.id);
    // The floor: how many customers the segment's filter matches, as bare as SQL gets (once untimed, to warm the cache).
    const count = () => sql<{ n: number }>`select count(*)::int as n from customer c where ${customerWhere(filter)}`.execute(kysely);
    const matched = (await count()).rows[0].n;
    const floorTimes: number[] = [];
    for (let i = 0; i < runs; i++) floorTimes.push((await timed(count)).ms);
    const floor = median(floorTimes);
    rows.push(`| ${label} (${matched} customers) | floor: \`count(*)\` with the segment's filter | ${ms(floor)} ms | 1x | |`);
    for (const playbook of playbooks) {
      const draft = await services().campaigns.create({ name: `bench preview ${playbook} ${label} ${stamp}`, playbook, segmentId: segment.id }, ACTOR);
      created.campaigns.push(draft.id);
      const preview = () => services().campaigns.preview(draft.id);
      const { leftOut, customers: audience, inOtherHoldout, messages } = await preview(); // untimed: warms the cache
      // The identity README promises: the audience, those in another campaign's holdout and those left out are the segment.
      const accounted = audience + inOtherHoldout + leftOut.reduce((n, l) => n + l.customers, 0);
      if (accounted !== matched) throw new Error(`${playbook} on ${label}: the preview accounts for ${accounted} customers, the filter matches ${matched}`);
      const times: number[] = [];
      for (let i = 0; i < runs; i++) times.push((await timed(preview)).ms);
      const time = median(times);
      slowest.push({ label: `${playbook} on ${label}`, ms: time });
      const reasons = leftOut.map((l) => `${l.reason} ${l.customers}`).join(', ') || 'none';
      rows.push(`| | ${playbook} preview: ${audience} in the audience, ${messages} messages; left out: ${reasons} | ${ms(time)} ms | ${(time / floor).toFixed(0)}x | ${times.map(ms).join(', ')} |`);
    }
  }
  const worst = slowest.reduce((a, b) => (b.ms > a.ms ? b : a));
  const section = `## Campaign preview (bench:preview)

Run ${new Date().toISOString().slice(0, 10)} on this ${os.cpus().length}-core machine (shared, noisy: compare ratios, not absolute numbers).
Command: \`npm run bench:preview\` (BENCH_CUSTOMERS=${customers}, BENCH_ORDERS_PER_CUSTOMER=${ordersPerCustomer}, BENCH_RUNS=${runs}; one embedded PostgreSQL 18; scores from \`npm run bench:scoring\`).
A draft campaign per playbook on a saved segment, previewed through CampaignService.preview (what the \`campaign\` field's \`preview\` calls:
the audience, holdout, messages, held back, and every customer of the segment asked the playbook's rules to count those left out, by reason),
each the median of ${runs} runs after one untimed; the floor is the bare \`count(*)\` of the customers the segment's filter matches (customerWhere), median of ${runs}.
The drafts and segments are discarded afterwards. The base held ${history.runs} playbook runs, ${history.members} campaign members,
${history.messages} outbox messages and ${history.fixes} fix cases, which the rules look up per customer: with none, those lookups cost less than in a base with a history.

| segment | measurement | time | ratio to the floor | runs |
|---|---|---|---|---|
${rows.join('\n')}

Slowest preview: ${worst.label}, ${(worst.ms / 1000).toFixed(2)} s${worst.ms > 2000 ? ' (over 2 s: the preview grows with the segment, not with its audience)' : ''}.
`;
  await writeBenchmarkSection(section);
  console.log(section);
} finally {
  // Leave the benchmarks' database as it was: the drafts and segments go (discarding a draft calls no engine either).
  for (const id of created.campaigns) await services().campaigns.discard(id, ACTOR).catch((e) => console.error(`discarding campaign ${id}: ${e}`));
  for (const id of created.segments) await services().segments.delete(id, ACTOR).catch((e) => console.error(`deleting segment ${id}: ${e}`));
  await temporal.close();
  await orm.close();
  await db.stop();
}
