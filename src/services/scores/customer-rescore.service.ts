import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { LOYALTY_BANDS, type LoyaltyBand } from '../../domain/guards/fairness.js';
import { scoreCustomer, type CustomerScore, type ScoringPolicy } from '../../domain/scoring/index.js';
import { eventRescoreDay } from '../../domain/scoring/event-rescore-day.js';
import { onTimeVerdict, paymentLoyalty, withoutInvoices } from '../../domain/scoring/payment-loyalty.js';
import { ScoreKind } from '../../domain/scoring/score-kind.js';
import { asOnTierHeldNow, costOnTier, feeDaysInWindow, profitability, projectedTiers, withoutDefectSupport, type ProjectedTier } from '../../domain/scoring/profitability.js';
import { dayNumber } from '../../domain/dates.js';
import { discountOff } from '../../domain/playbooks/account-offer.js';
import { factsColumns, invoiceDays, invoiceRecords, purchaseAggregates, toFacts, writeSnapshots, type Row } from './score-sql.js';
import type { ScoringRunService } from './scoring-run.service.js';

export type FollowUpFailureReporter = (error: unknown, customerId: string) => void;

/**
 * Rescoring one customer after an event (a complaint, a payment, an import, a playbook step
 * that needs today's band), with the models of the latest completed run.
 */
export class CustomerRescoreService {
  constructor(
    private readonly em: EntityManager,
    private readonly policy: ScoringPolicy,
    private readonly runs: ScoringRunService,
    /** Told when a rescore after an event fails (the caller's change stands; the nightly run catches up). */
    private readonly onRescoreFailed: FollowUpFailureReporter = () => undefined,
  ) {}

  private get db() {
    return this.em.getKysely();
  }

  /**
   * Rescores some scores of one customer now, after an event (a complaint, a payment), as
   * of their own today (so the event counts, whatever their time zone), with the models of the latest completed run; RFM waits for the next run, as it ranks
   * the customer against the whole base.
   */
  async rescoreCustomer(customerId: string, kinds: ReadonlySet<ScoreKind>): Promise<CustomerScore[]> {
    return (await this.rescore(customerId, kinds))?.scores ?? [];
  }

  /**
   * `rescoreCustomer`, handing back the facts it scored from; `leaveOutInvoiceId`'s days come back beside them.
   * As of the customer's own today (`eventRescoreDay`), so it sees everything recorded for them so far.
   */
  private async rescore(customerId: string, kinds: ReadonlySet<ScoreKind>, leaveOutInvoiceId?: string) {
    const computedAt = new Date();
    const asOf = await this.eventDay(customerId, computedAt);
    if (asOf === null) return null;
    const { rows } = await sql<Row>`
      select p.id, p.service_tier, p.acquired_at::text as acquired_at, a.purchase_days, a.first_day::text as first_day, a.last_day::text as last_day,
             a.revenue_minor, a.margin_minor, a.margined_revenue_minor, a.margined_orders, a.repeat_spend_minor, a.mean_gap_days, a.gap_sd_days,
             coalesce(a.window_margin_minor, 0)::bigint as window_margin, coalesce(a.window_unmargined_minor, 0)::bigint as window_unmargined,
             (select ${invoiceDays(sql`i`)} from invoice i where i.customer_id = p.id and i.issued_at <= ${asOf}::date and i.cancelled_at is null) as invoices,
             ${
               leaveOutInvoiceId
                 ? sql`(select ${invoiceDays(sql`i`)} from invoice i where i.id = ${leaveOutInvoiceId}::uuid and i.customer_id = p.id and i.issued_at <= ${asOf}::date and i.cancelled_at is null) as left_out,
                       (select ${invoiceDays(sql`i`)} from invoice i where i.id <> ${leaveOutInvoiceId}::uuid and i.paid_at is null and i.customer_id = p.id and i.issued_at <= ${asOf}::date and i.cancelled_at is null) as also_open`
                 : sql`'[]'::json as left_out, '[]'::json as also_open`
             },
             ${factsColumns(asOf, this.policy, null)}
        from customer p left join (${purchaseAggregates(asOf, sql`o.customer_id = ${customerId}::uuid`, this.policy)}) a on a.customer_id = p.id
       where p.id = ${customerId}::uuid and p.acquired_at <= ${asOf}::date and p.status <> 'erased'`.execute(this.db);
    // Not acquired yet (a day in the future), or erased: their scores stay as they were at the erasure.
    if (rows.length === 0) return null;
    const facts = toFacts(rows[0], asOf);
    // Only churn risk and CLV need the fitted models: a complaint's, a payment's or an import's rescore reads none.
    const models = kinds.has(ScoreKind.ChurnRisk) || kinds.has(ScoreKind.Clv) ? await this.runs.latestModels() : { bgnbd: null, gammaGamma: null };
    const scores = scoreCustomer(facts, models, this.policy, kinds);
    await writeSnapshots(this.em, scores.map((s) => ({ customer_id: customerId, ...s })), { computedAt, asOf, runId: null });
    const days = invoiceRecords;
    // Beside the invoice chased, the other open ones the policy does not count as late yet (`onTimeVerdict` null: overdue
    // no longer than `openOverdueCountsAfterDays`): one long overdue stays in the record, late, as the stored score counts it.
    const notJudgedYet = days(rows[0].also_open).filter((i) => onTimeVerdict(i, asOf, this.policy.paymentLoyalty) === null);
    return { scores, facts, leftOut: [...days(rows[0].left_out), ...notJudgedYet] };
  }

  /**
   * The customer's profitability rescored now (stored, as after any event) and, with `tierChange`
   * (the customer moved from `fromTier` to the tier they have now at `at`), as the tier model
   * projects it for the tier they have now (`asOnTierHeldNow`, the restatement the score judges a tier
   * change in the window by): the window's costs incurred on other tiers (by the tier held on their day)
   * counted at that tier's cost shares; the fee margin the current tier's for the whole window (the score
   * counts each day's tier's), less the discount on its fee of the offer the move came with
   * (`discountPercent`, as the offer was weighed). Null `projected`: no such
   * move to count (the tier is the one moved from again, or the account is not judged). Judged so at a
   * loss, the other tiers are projected from it too (`projections`, and the cheaper one that helps,
   * `suggestedTier`): the costs before the move as the tier they have now incurs them, not as the one they left.
   */
  async profitabilitySinceTierChange(
    customerId: string,
    tierChange: { fromTier: string; at: Date; discountPercent?: number | null } | null,
  ): Promise<{
    score: CustomerScore | null;
    windowDays: number;
    projected: {
      valueMinor: number;
      /** Its band, by the same rule as the score's (a loss too small to be material is `break-even`). */
      band: string;
      toTier: string;
      sinceDay: string;
      /** The window's costs incurred on other tiers (before the move), by the tier held then, and all of them as this tier incurs them. */
      costsBefore: { tier: string; amountMinor: number }[];
      costsBeforeOnTierMinor: number;
      /** The fee margin the score counted (each day's tier's), and the tier's own for the whole window. */
      feeMarginCountedMinor: number;
      feeMarginOnTierMinor: number;
      offerDiscountMinor: number;
      /** Every other tier projected from this judgement, for a loss (else none), and the cheaper tier that helps (else null). */
      projections: ProjectedTier[];
      suggestedTier: string | null;
    } | null;
  }> {
    const windowDays = this.policy.profitabilityWindowDays;
    const rescored = await this.rescore(customerId, new Set([ScoreKind.Profitability]));
    const score = rescored?.scores.find((s) => s.kind === ScoreKind.Profitability) ?? null;
    if (!rescored || !tierChange || score?.value == null || rescored.facts.serviceTier === tierChange.fromTier) return { score, windowDays, projected: null };
    const asOf = rescored.facts.asOf;
    const { rows } = await sql<{ since_day: string }>`
      select (${tierChange.at}::timestamptz at time zone c.time_zone)::date::text as since_day from customer c where c.id = ${customerId}::uuid`.execute(this.db);
    const currentTier = rescored.facts.serviceTier;
    // The costs the score counted: without the support our own product defects took, as the score leaves it out.
    const windowCosts = withoutDefectSupport(rescored.facts.windowCosts, rescored.facts.windowDefectHandlingMinor ?? 0).costs;
    // The costs incurred on another tier (before the move, by the tiers held then) as the tier they have now incurs them.
    const elsewhere = windowCosts.filter((c) => c.tier !== undefined && c.tier !== currentTier);
    const costsBefore = [...Map.groupBy(elsewhere, (c) => c.tier!)]
      .map(([tier, costs]) => ({ tier, amountMinor: costs.reduce((sum, c) => sum + c.amountMinor, 0) }))
      .sort((a, b) => b.amountMinor - a.amountMinor || a.tier.localeCompare(b.tier));
    const costsBeforeOnTierMinor = elsewhere.reduce((sum, c) => sum + costOnTier([c], c.tier!, currentTier, this.policy.serviceTiers), 0);
    // The tier's fee margin for the window's days with us in place of the one counted, and its fee at the offer's discount.
    const tenureDays = dayNumber(asOf) - dayNumber(rescored.facts.customerSince);
    const feeShare = feeDaysInWindow(tenureDays, windowDays) / 365;
    const tier = this.policy.serviceTiers.tiers.find((t) => t.tier === currentTier);
    const feeMarginCountedMinor = Number(score.details?.feeMarginMinor ?? 0);
    const feeMarginOnTierMinor = Math.round((tier?.annualFeeMarginMinor ?? 0) * feeShare);
    const offerDiscountMinor = discountOff(Math.round((tier?.annualFeeMinor ?? 0) * feeShare), tierChange.discountPercent ?? 0);
    // The window as the score counted it (its margin: the result plus the costs counted), restated as on the tier held now
    // for all of it, with the fee margin earned there: its own less the discount, what a move to another tier gives up.
    const countedCostsMinor = windowCosts.reduce((sum, c) => sum + c.amountMinor, 0);
    const asOnTier = profitability(
      asOnTierHeldNow(
        {
          marginMinor: score.value + countedCostsMinor,
          feeMarginMinor: feeMarginCountedMinor,
          costs: windowCosts,
          currentTier,
          tenureDays,
          daysWithUsInWindow: feeDaysInWindow(tenureDays, windowDays),
          minTenureDays: this.policy.profitabilityMinTenureDays,
          materiality: this.policy.profitabilityLoss,
          feeShare,
        },
        this.policy.serviceTiers,
        offerDiscountMinor,
      ),
      this.policy.serviceTiers,
    );
    return {
      score,
      windowDays,
      projected: {
        valueMinor: asOnTier.value,
        band: asOnTier.band,
        projections: projectedTiers(asOnTier.projections),
        suggestedTier: asOnTier.suggestion?.tier ?? null,
        toTier: rescored.facts.serviceTier,
        sinceDay: rows[0].since_day,
        costsBefore,
        costsBeforeOnTierMinor,
        feeMarginCountedMinor,
        feeMarginOnTierMinor,
        offerDiscountMinor,
      },
    };
  }

  /** The day a rescore of the customer at `now` is as of; null for no such customer. */
  private async eventDay(customerId: string, now: Date): Promise<string | null> {
    const { rows } = await sql<{ time_zone: string; latest: string | null }>`
      select c.time_zone, greatest(
               (select max((o.ordered_at at time zone 'UTC')::date) from customer_order o where o.customer_id = c.id),
               (select max(i.paid_at) from invoice i where i.customer_id = c.id),
               (select max((cp.opened_at at time zone 'UTC')::date) from complaint cp where cp.customer_id = c.id),
               (select max(ce.occurred_at) from cost_entry ce where ce.customer_id = c.id))::text as latest
        from customer c where c.id = ${customerId}::uuid`.execute(this.db);
    return rows.length ? eventRescoreDay(now, rows[0].time_zone, rows[0].latest) : null;
  }

  /**
   * `rescoreCustomer` after an event (a complaint, a payment) whose change is already
   * committed: a failure does not undo or fail that change; it is reported, and the next
   * nightly run brings the scores up to date.
   */
  async rescoreAfterEvent(customerId: string, kinds: ReadonlySet<ScoreKind>): Promise<void> {
    try {
      await this.rescoreCustomer(customerId, kinds);
    } catch (error) {
      this.onRescoreFailed(error, customerId);
    }
  }

  /** After an import of complaints, invoices or payments: the score those move, rescored for each customer as after the event itself. */
  async rescoreAfterImport(kind: 'complaints' | 'invoices' | 'payments', customerIds: readonly string[]): Promise<void> {
    const kinds = new Set([kind === 'complaints' ? ScoreKind.PersistentIssue : ScoreKind.PaymentLoyalty]);
    for (const customerId of customerIds) await this.rescoreAfterEvent(customerId, kinds);
  }

  /**
   * The customer's payment-loyalty band as of today (rescored now); `new` without a score.
   * `remindedInvoiceId`: the band a reminder about that invoice goes by, which leaves it out
   * (one that reaches the platform long overdue, imported late or the sweep paused, has not been
   * chased yet), and the other open invoices the policy does not count as late yet (overdue up to
   * `openOverdueCountsAfterDays`: a second one of the same lapse, a card that expired). Another
   * invoice unpaid for longer counts as late, as in the stored score: a payer who stopped paying
   * months ago is not judged on the invoices they did pay alone.
   */
  async loyaltyBandNow(customerId: string, remindedInvoiceId?: string): Promise<LoyaltyBand> {
    const rescored = await this.rescore(customerId, new Set([ScoreKind.PaymentLoyalty]), remindedInvoiceId);
    const band = rescored && remindedInvoiceId ? paymentLoyalty({ ...rescored.facts, invoices: withoutInvoices(rescored.facts.invoices, rescored.leftOut) }, this.policy.paymentLoyalty).band : rescored?.scores.find((s) => s.kind === ScoreKind.PaymentLoyalty)?.band;
    return band && LOYALTY_BANDS.includes(band as LoyaltyBand) ? (band as LoyaltyBand) : 'new';
  }
}
