import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, type RawBuilder } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { RECENT_COST_DAYS, type CustomerFacts, type CustomerScore, type ScoringPolicy } from '../../domain/scoring/index.js';
import { currentComplaint } from '../facts/current-complaints.js';
import type { InvoiceRecord } from '../../domain/scoring/payment-loyalty.js';

/**
 * The SQL the nightly rescore and a single customer's rescore share: gathering a customer's
 * facts (purchases, window margins and costs, complaints, referrals, invoices) and writing the
 * scores as snapshots.
 */

export type Row = Record<string, any>;
export type ScoreRow = CustomerScore & { customer_id: string };

/**
 * One snapshot row per customer with its scores by kind; the trigger on score_snapshot moves
 * current_score along, but not past a current score as of a later day (a rescore as of a past day adds history only).
 */
export async function writeSnapshots(em: EntityManager, scores: ScoreRow[], at: { computedAt: Date; asOf: string; runId: string | null }): Promise<void> {
  if (scores.length === 0) return;
  const rows = [...Map.groupBy(scores, (s) => s.customer_id)].map(([customer_id, own]) => ({
    id: uuidv7(),
    customer_id,
    scores: Object.fromEntries(own.map(({ kind, value, band, modelVersion, reasons }) => [kind, { value, band: band ?? null, modelVersion, reasons }])),
  }));
  await sql`
    insert into score_snapshot (id, customer_id, computed_at, as_of, scores, run_id)
    select s.id, s.customer_id, ${at.computedAt}::timestamptz, ${at.asOf}::date, s.scores, ${at.runId}
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as s(id uuid, customer_id uuid, scores jsonb)`.execute(em.getKysely());
}

/**
 * Per customer with a purchase up to `asOf` (UTC days; several orders on one day are one
 * transaction): purchase days, first and last day, revenue, margin, mean repeat spend,
 * the mean and spread of the gaps between purchase days, and the margin inside the
 * profitability window. Margins are those of the orders that carry one (an export may leave
 * it out), beside the revenue and the number of those orders (an order of 0.00 may carry a
 * margin of 0.00: only the count tells it from none), and the revenue of the others in the window.
 */
export function purchaseAggregates(asOf: string, orderFilter: RawBuilder<unknown>, policy: ScoringPolicy): RawBuilder<unknown> {
  return sql`
    with purchase_day as (
      select o.customer_id, (o.ordered_at at time zone 'UTC')::date as day, sum(o.amount_minor) as amount,
             coalesce(sum(o.margin_minor), 0) as margin, coalesce(sum(o.amount_minor) filter (where o.margin_minor is null), 0) as unmargined,
             count(o.margin_minor) as margined_orders
        from customer_order o join customer c on c.id = o.customer_id and c.acquired_at <= ${asOf}::date
       where o.ordered_at < ((${asOf}::date + 1)::timestamp at time zone 'UTC') and ${orderFilter}
       group by 1, 2
    ), gap as (
      select customer_id, amount, margin, unmargined, margined_orders, day, day - lag(day) over w as gap_days, row_number() over w as n
        from purchase_day window w as (partition by customer_id order by day)
    )
    select customer_id, count(*)::int as purchase_days, min(day) as first_day, max(day) as last_day,
           sum(amount)::bigint as revenue_minor, sum(margin)::bigint as margin_minor, (sum(amount) - sum(unmargined))::bigint as margined_revenue_minor,
           sum(margined_orders)::int as margined_orders,
           avg(amount) filter (where n > 1)::double precision as repeat_spend_minor,
           case when count(gap_days) >= 2 then avg(gap_days)::double precision end as mean_gap_days,
           case when count(gap_days) >= 2 then stddev_samp(gap_days)::double precision end as gap_sd_days,
           coalesce(sum(margin) filter (where day > ${asOf}::date - ${policy.profitabilityWindowDays}::int), 0)::bigint as window_margin_minor,
           coalesce(sum(unmargined) filter (where day > ${asOf}::date - ${policy.profitabilityWindowDays}::int), 0)::bigint as window_unmargined_minor
      from gap group by customer_id`;
}

/**
 * The other facts of customer `p`: window costs, what handling their product-defect complaints in the window cost,
 * tier changes, complaints and referrals (JSON). Within a
 * run, referred customers' order margins come from the run's work rows; for a single customer,
 * from the orders. (Window margins: from the purchase aggregates; invoices: from the run's
 * invoice work rows, or `invoiceDays`.)
 */
export function factsColumns(asOf: string, policy: ScoringPolicy, runId: string | null): RawBuilder<unknown> {
  const end = sql`((${asOf}::date + 1)::timestamp at time zone 'UTC')`;
  const windowStart = sql`(((${asOf}::date - ${policy.profitabilityWindowDays}::int) + 1)::timestamp at time zone 'UTC')`;
  const complaintsFrom = sql`((${asOf}::date - ${policy.persistentIssue.windowDays}::int)::timestamp at time zone 'UTC')`;
  // A referred customer `r`'s order margins (OrderMargins), one row, as the purchase aggregates count them.
  const referredMargins = runId
    ? sql`select r.id as "customerId", coalesce(max(x.window_margin_minor), 0) as "windowMarginMinor", coalesce(max(x.window_unmargined_minor), 0) as "windowUnmarginedRevenueMinor",
                 coalesce(max(x.margin_minor), 0) as "marginMinor", coalesce(max(x.margined_revenue_minor), 0) as "marginedRevenueMinor",
                 coalesce(max(x.margined_orders), 0) as "marginedOrders"
            from scoring_work x where x.run_id = ${runId} and x.customer_id = r.id`
    : sql`select r.id as "customerId", coalesce(sum(o.margin_minor) filter (where o.ordered_at >= ${windowStart}), 0) as "windowMarginMinor",
                 coalesce(sum(o.amount_minor) filter (where o.margin_minor is null and o.ordered_at >= ${windowStart}), 0) as "windowUnmarginedRevenueMinor",
                 coalesce(sum(o.margin_minor), 0) as "marginMinor", coalesce(sum(o.amount_minor) filter (where o.margin_minor is not null), 0) as "marginedRevenueMinor",
                 count(o.margin_minor) as "marginedOrders"
            from customer_order o where o.customer_id = r.id and o.ordered_at < ${end}`;
  return sql`
    (select coalesce(json_agg(json_build_object('kind', k.kind, 'amountMinor', k.amount, 'recentMinor', k.recent, 'tier', k.tier)), '[]') from (
       select ce.kind, sum(ce.amount_minor)::bigint as amount,
              -- The tier held on the cost's day: the one the first later change moved the customer from (null: the tier they have now);
              -- the rule of tierOn (domain/scoring/tier-days.ts), here so the costs are summed by it.
              (select t.from_tier::text from service_tier_change t where t.customer_id = p.id and t.changed_on > ce.occurred_at
                order by t.changed_on, t.created_at, t.id limit 1) as tier,
              -- Of it, what the window's last days took: a loss's reasons say when most of its cost arose (RECENT_COST_DAYS).
              coalesce(sum(ce.amount_minor) filter (where ce.occurred_at > ${asOf}::date - ${RECENT_COST_DAYS}::int), 0)::bigint as recent
         from cost_entry ce
        where ce.customer_id = p.id and ce.occurred_at > ${asOf}::date - ${policy.profitabilityWindowDays}::int and ce.occurred_at <= ${asOf}::date
        group by ce.kind, 3) k) as window_costs,
    -- What handling the complaints marked product defect cost, of those open at some time in the window (opened by its
    -- end, not resolved before its start): the support they took is our defect's, not the customer's cost to serve.
    (select coalesce(sum(cp.handling_cost_minor), 0)::bigint from complaint cp
      where cp.customer_id = p.id and cp.product_defect and cp.withdrawn_at is null and cp.opened_at < ${end} and (cp.resolved_at is null or cp.resolved_at >= ${windowStart})) as defect_handling,
    (select coalesce(json_agg(json_build_object('day', t.changed_on, 'fromTier', t.from_tier, 'toTier', t.to_tier) order by t.changed_on, t.created_at, t.id), '[]')
       from service_tier_change t where t.customer_id = p.id and t.changed_on > ${asOf}::date - ${policy.profitabilityWindowDays}::int) as tier_changes,
    (select coalesce(json_agg(json_build_object('topic', cp.topic, 'openedAt', (cp.opened_at at time zone 'UTC')::date,
         'resolvedAt', (cp.resolved_at at time zone 'UTC')::date, 'reopenedCount', cp.reopened_count, 'reopenedAt', (cp.reopened_at at time zone 'UTC')::date)), '[]')
       from complaint cp where cp.customer_id = p.id and cp.opened_at < ${end} and ${currentComplaint('cp', { from: complaintsFrom, to: end })}) as complaints,
    (select coalesce(json_agg(m), '[]')
       from customer r cross join lateral (${referredMargins}) m where r.referrer_id = p.id and r.acquired_at <= ${asOf}::date) as referrals`;
}

/**
 * A customer's invoices `i` (aggregated) as `[[due day, paid day or null, disputed day or null, dispute resolved day or null,
 * 1 if the dispute was upheld or null, the days earlier disputes left out], ...]` day numbers (the dispute's days in UTC); '[]' without any. (An integer array made JSON once per customer: json_agg over 2M
 * invoices took twice as long.)
 */
export function invoiceDays(i: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`coalesce(array_to_json(array_agg(array[${i}.due_at - date '1970-01-01', ${i}.paid_at - date '1970-01-01',
    (${i}.disputed_at at time zone 'UTC')::date - date '1970-01-01', (${i}.dispute_resolved_at at time zone 'UTC')::date - date '1970-01-01',
    case when ${i}.dispute_outcome = 'upheld' then 1 end, ${i}.disputed_days_before])), '[]')`;
}

/**
 * The invoice records of `invoiceDays`' JSON (work rows gathered before disputes were kept have two days each, before their
 * outcome four, before earlier disputes' days were kept five: none then).
 */
export function invoiceRecords(json: unknown): InvoiceRecord[] {
  return (json as [number, number | null, (number | null)?, (number | null)?, (1 | null)?, (number | null)?][]).map(([dueAt, paidAt, disputedFrom, disputeResolvedAt, upheld, before]) =>
    disputedFrom == null
      ? { dueAt, paidAt }
      : { dueAt, paidAt, disputedFrom, disputeResolvedAt: disputeResolvedAt ?? null, disputeUpheld: upheld === 1, disputedDaysBefore: before ?? 0 },
  );
}

export function toFacts(row: Row, asOf: string): CustomerFacts {
  const money = (v: unknown) => Number(v ?? 0);
  return {
    customerId: row.id,
    asOf,
    customerSince: row.acquired_at,
    serviceTier: row.service_tier,
    tierChanges: row.tier_changes,
    purchases:
      row.purchase_days == null
        ? null
        : {
            purchaseDays: row.purchase_days,
            firstDay: row.first_day,
            lastDay: row.last_day,
            revenueMinor: money(row.revenue_minor),
            marginMinor: money(row.margin_minor),
            marginedRevenueMinor: money(row.margined_revenue_minor),
            marginedOrders: Number(row.margined_orders),
            repeatSpendMinor: row.repeat_spend_minor,
            meanGapDays: row.mean_gap_days,
            gapSdDays: row.gap_sd_days,
          },
    windowMarginMinor: money(row.window_margin),
    windowUnmarginedRevenueMinor: money(row.window_unmargined),
    windowCosts: (row.window_costs as { kind: string; amountMinor: unknown; recentMinor: unknown; tier: string | null }[]).map((c) => ({
      kind: c.kind,
      amountMinor: money(c.amountMinor),
      recentMinor: money(c.recentMinor),
      // The tier held on its day (the one they have now where no later change moved them from another): compared with the
      // tier held on asOf, not today's, a customer who came back to a tier since is not taken as having been on it all along.
      tier: c.tier ?? row.service_tier,
    })),
    windowDefectHandlingMinor: money(row.defect_handling),
    invoices: invoiceRecords(row.invoices),
    complaints: row.complaints,
    referrals: (row.referrals as Record<string, unknown>[]).map((r) => ({
      customerId: r.customerId as string,
      windowMarginMinor: money(r.windowMarginMinor),
      windowUnmarginedRevenueMinor: money(r.windowUnmarginedRevenueMinor),
      marginMinor: money(r.marginMinor),
      marginedRevenueMinor: money(r.marginedRevenueMinor),
      marginedOrders: Number(r.marginedOrders),
    })),
  };
}
