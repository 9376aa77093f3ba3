/**
 * All scores of one customer from the facts a scoring run gathered about them (set-based,
 * in SQL) and the models fitted on the whole base: the one place that decides which
 * score is computed from what, so the nightly run and a rescore after an event agree.
 */
import { behaviourChangeFromRhythm } from './behaviour-change.js';
import { churnRisk, type BgNbdParams, type PurchaseSummary } from './bgnbd.js';
import { customerLifetimeValue, ratePerPeriod, WEEKS_PER_MONTH } from './clv.js';
import { dayNumber, type DateLike } from './dates.js';
import type { GammaGammaParams } from './gamma-gamma.js';
import { paymentLoyalty, type InvoiceRecord } from './payment-loyalty.js';
import { persistentIssues, type ComplaintRecord } from './persistent-issue.js';
import { profitability, type CostEntryInput } from './profitability.js';
import { referralValue, type ReferredCustomer } from './referral-value.js';
import { rankedRfm, unranked, type RankPosition } from './rfm.js';
import { ScoreKind } from './score-kind.js';
import type { ScoringPolicy } from './scoring-policy.js';

/** A customer's purchases up to asOf, one transaction per purchase day. */
export interface PurchaseFacts {
  purchaseDays: number;
  firstDay: DateLike;
  lastDay: DateLike;
  revenueMinor: number;
  marginMinor: number;
  /** Mean value of the repeat purchase days; null without a repeat. */
  repeatSpendMinor: number | null;
  /** Mean and sample spread of the gaps between purchase days; null with fewer than two gaps. */
  meanGapDays: number | null;
  gapSdDays: number | null;
}

export interface CustomerFacts {
  customerId: string;
  asOf: DateLike;
  customerSince: DateLike;
  serviceTier: string;
  /** Null for a customer without a purchase up to asOf. */
  purchases: PurchaseFacts | null;
  /** Where the customer stands among all `buyers` of the base (RFM); absent when not ranked in this pass. */
  ranks?: { r: RankPosition; f: RankPosition; m: RankPosition; buyers: number };
  /** Order margin inside the policy's profitability window. */
  windowMarginMinor: number;
  windowCosts: readonly CostEntryInput[];
  invoices: readonly InvoiceRecord[];
  complaints: readonly ComplaintRecord[];
  /** Customers this one brought in, valued by their margin inside the window. */
  referrals: readonly ReferredCustomer[];
}

/** Models fitted on the whole base; null where the data could not identify them. */
export interface FittedModels {
  bgnbd: BgNbdParams | null;
  /** Gamma-Gamma on spend in major units (minor / 100). */
  gammaGamma: GammaGammaParams | null;
}

export interface CustomerScore {
  kind: ScoreKind;
  value: number | null;
  band: string | null;
  reasons: string[];
  modelVersion: string;
  /** Model-specific facts a playbook acts on (profitability: the cheaper tier it suggests). */
  details?: Record<string, unknown>;
}

/** (x, t_x, T) in weeks, as the BG/NBD model takes it. */
export function purchaseSummary(p: PurchaseFacts, asOf: DateLike): PurchaseSummary {
  const first = dayNumber(p.firstDay);
  return { x: p.purchaseDays - 1, tx: (dayNumber(p.lastDay) - first) / 7, T: (dayNumber(asOf) - first) / 7 };
}

export function scoreCustomer(f: CustomerFacts, models: FittedModels, policy: ScoringPolicy, kinds?: ReadonlySet<ScoreKind>): CustomerScore[] {
  const wanted = (kind: ScoreKind) => !kinds || kinds.has(kind);
  const out: CustomerScore[] = [];
  const push = (kind: ScoreKind, s: { value: number | null; band?: string | null; reasons: string[]; modelVersion: string }, details?: Record<string, unknown>) =>
    out.push({ kind, value: s.value, band: s.band ?? null, reasons: s.reasons, modelVersion: s.modelVersion, ...(details ? { details } : {}) });
  const p = f.purchases;
  const today = dayNumber(f.asOf);

  if (wanted(ScoreKind.Rfm) && (f.ranks || !p)) {
    const rfm = p
      ? rankedRfm({ customerId: f.customerId, recencyDays: today - dayNumber(p.lastDay), frequency: p.purchaseDays, monetary: p.revenueMinor }, f.ranks!, f.ranks!.buyers)
      : unranked(f.customerId);
    push(ScoreKind.Rfm, rfm);
  }
  if (p && models.bgnbd) {
    const summary = purchaseSummary(p, f.asOf);
    if (wanted(ScoreKind.ChurnRisk)) push(ScoreKind.ChurnRisk, churnRisk(models.bgnbd, summary, policy.churnRisk));
    if (wanted(ScoreKind.Clv) && models.gammaGamma) {
      const clv = customerLifetimeValue(models.bgnbd, models.gammaGamma, { ...summary, zbar: (p.repeatSpendMinor ?? 0) / 100 }, {
        periods: policy.clv.months,
        periodLength: WEEKS_PER_MONTH,
        discountRate: ratePerPeriod(policy.clv.annualDiscountRate, 12),
        // Margin CLV where the orders carry margins: what the customer is worth, not what they turn over.
        marginShare: p.revenueMinor > 0 ? Math.min(1, Math.max(0, p.marginMinor / p.revenueMinor)) : 1,
      });
      push(ScoreKind.Clv, { ...clv, value: Math.round(clv.value * 100), band: null });
    }
  }
  if (wanted(ScoreKind.BehaviourChange)) {
    push(
      ScoreKind.BehaviourChange,
      behaviourChangeFromRhythm(
        {
          purchaseDays: p?.purchaseDays ?? 0,
          daysSinceLastPurchase: p ? today - dayNumber(p.lastDay) : null,
          meanGapDays: p?.meanGapDays ?? null,
          gapSdDays: p?.gapSdDays ?? null,
        },
        policy.behaviourChange,
      ),
    );
  }
  if (wanted(ScoreKind.Profitability)) {
    const tierFee = policy.serviceTiers.tiers.find((t) => t.tier === f.serviceTier)?.annualFeeMarginMinor ?? 0;
    const windowFee = Math.round((tierFee * policy.profitabilityWindowDays) / 365);
    const score = profitability(
      {
        marginMinor: f.windowMarginMinor + windowFee,
        costs: f.windowCosts,
        currentTier: f.serviceTier,
        windowLabel: `the last ${policy.profitabilityWindowDays} days`,
        tenureDays: today - dayNumber(f.customerSince),
        minTenureDays: policy.profitabilityMinTenureDays,
      },
      policy.serviceTiers,
    );
    push(ScoreKind.Profitability, score, { suggestedTier: score.suggestion?.tier ?? null });
  }
  if (wanted(ScoreKind.PaymentLoyalty)) push(ScoreKind.PaymentLoyalty, paymentLoyalty({ customerSince: f.customerSince, invoices: f.invoices, asOf: f.asOf }, policy.paymentLoyalty));
  if (wanted(ScoreKind.PersistentIssue)) push(ScoreKind.PersistentIssue, persistentIssues(f.complaints, f.asOf, policy.persistentIssue));
  if (wanted(ScoreKind.ReferralValue)) push(ScoreKind.ReferralValue, referralValue(f.referrals, { basis: 'margin' }, policy.referral));
  return out;
}
