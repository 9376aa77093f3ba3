/**
 * All scores of one customer from the facts a scoring run gathered about them (set-based,
 * in SQL) and the models fitted on the whole base: the one place that decides which
 * score is computed from what, so the nightly run and a rescore after an event agree.
 */
import { behaviourChangeFromRhythm } from './behaviour-change.js';
import { BGNBD_MODEL_VERSION, churnRisk, type BgNbdParams, type PurchaseSummary } from './bgnbd.js';
import { CLV_MODEL_VERSION, customerLifetimeValue, ratePerPeriod, WEEKS_PER_MONTH } from './clv.js';
import { dayNumber, type DateLike } from '../dates.js';
import { fmt, money, pct } from './format.js';
import type { GammaGammaParams } from './gamma-gamma.js';
import { paymentLoyalty, type InvoiceRecord } from './payment-loyalty.js';
import { persistentIssues, type ComplaintRecord } from './persistent-issue.js';
import { feeDaysInWindow, profitability, projectedTiers, PROFITABILITY_MODEL_VERSION, withoutDefectSupport, type CostEntryInput } from './profitability.js';
import { tierDays, tierOn, type TierChange } from './tier-days.js';
import { referralValue } from './referral-value.js';
import { rankedRfm, unranked, type RankPosition } from './rfm.js';
import { ScoreKind } from './score-kind.js';
import { withPolicyVersion } from './score.js';
import { ScoringException } from './scoring.exception.js';
import type { ScoringPolicy } from './scoring-policy.js';

/** A customer's purchases up to asOf, one transaction per purchase day. */
export interface PurchaseFacts {
  purchaseDays: number;
  firstDay: DateLike;
  lastDay: DateLike;
  revenueMinor: number;
  /** Margin of the orders that carry one (an export may leave it out). */
  marginMinor: number;
  /** Revenue of the orders that carry a margin. */
  marginedRevenueMinor: number;
  /** How many orders carry a margin (0.00 is a margin: a free order can carry one). */
  marginedOrders: number;
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
  /** The tier the customer has now; with `tierChanges`, the tiers they had before. */
  serviceTier: string;
  /** Their tier changes from the profitability window's first day on (any day: a past day is scored by the tier held then). */
  tierChanges: readonly TierChange[];
  /** Null for a customer without a purchase up to asOf. */
  purchases: PurchaseFacts | null;
  /** Where the customer stands among all `buyers` of the base (RFM); absent when not ranked in this pass. */
  ranks?: { r: RankPosition; f: RankPosition; m: RankPosition; buyers: number };
  /** Order margin inside the policy's profitability window (of the orders that carry one). */
  windowMarginMinor: number;
  /** Revenue inside the window of orders without a recorded margin. */
  windowUnmarginedRevenueMinor: number;
  windowCosts: readonly CostEntryInput[];
  /**
   * What handling the customer's complaints marked product defect cost (`handling_cost`), of those open at some time in
   * the profitability window: support costs up to it are the company's own defect, not counted against them. Absent: 0.
   */
  windowDefectHandlingMinor?: number;
  invoices: readonly InvoiceRecord[];
  complaints: readonly ComplaintRecord[];
  /** Customers this one brought in, valued by their order margin inside the window (`windowOrderMargin`). */
  referrals: readonly ReferredFacts[];
}

/** The order margins of a customer: all of them up to asOf (for their own margin share) and inside the window. */
export interface OrderMargins {
  /** Margin of the orders that carry one, their revenue and how many they are, up to asOf. */
  marginMinor: number;
  marginedRevenueMinor: number;
  /** "No order carries a margin" is this 0, not a margined revenue of 0: orders of 0.00 can carry a margin of 0.00. */
  marginedOrders: number;
  /** Inside the profitability window: margin of the orders that carry one, revenue of those that do not. */
  windowMarginMinor: number;
  windowUnmarginedRevenueMinor: number;
}

/** A customer someone brought in, with their order margins. */
export interface ReferredFacts extends OrderMargins {
  customerId: string;
}

/**
 * A customer's own margin share, from the orders that carry a margin; null when none does, or
 * when those that do had no revenue to take a share of (`marginedOrders` tells the two apart).
 */
function ownMarginShare(m: Pick<OrderMargins, 'marginMinor' | 'marginedRevenueMinor'>): number | null {
  return m.marginedRevenueMinor > 0 ? m.marginMinor / m.marginedRevenueMinor : null;
}

/**
 * The base's margin share, at which CLV values a customer without one of their own: the median of the customers' own
 * margin shares (those whose orders that carry a margin had revenue), each within ±100% of spend; null when there is no
 * such customer. A median, not the base's margin over its margined revenue: that ratio weighs each customer by their
 * revenue, so one account decides it, and one imported order line with a huge loss (a misplaced decimal point on a
 * 13-digit amount) took it to -100% and every such customer's CLV to 0. Counted once each, one account moves the median
 * by at most one place among the customers, whatever its orders or losses; and the figure a CLV lends a customer without
 * margins is a typical customer's share. The rescore computes it in SQL as it gathers (`percentile_cont(0.5)`, the mean
 * of the two middle shares for an even count, as here); this is its reference.
 */
export function baseMarginShareOf(customers: readonly Pick<OrderMargins, 'marginMinor' | 'marginedRevenueMinor'>[]): number | null {
  const shares = customers
    .map(ownMarginShare)
    .filter((share) => share !== null)
    .map((share) => Math.min(1, Math.max(-1, share)))
    .sort((x, y) => x - y);
  if (shares.length === 0) return null;
  const mid = (shares.length - 1) / 2;
  return (shares[Math.floor(mid)] + shares[Math.ceil(mid)]) / 2;
}

/** Why there is no margin share to go by (`ownMarginShare` null): none of the orders carries a margin, or those that do had no revenue. */
const noMarginShare = (m: Pick<OrderMargins, 'marginedOrders'>, orders: string) =>
  m.marginedOrders === 0 ? `no order carries a margin` : `the ${orders} that carry a margin had no revenue to take a margin share of`;

/**
 * The order margin of a customer inside the window: the recorded margins, and the orders
 * without one counted at the customer's own margin share (within ±100% of spend). Null when
 * such orders exist and none of the customer's orders carries a margin: a missing margin is
 * not a margin of zero. Profitability and referral value both count margin so.
 */
export function windowOrderMargin(m: OrderMargins): { marginMinor: number; estimatedMinor: number; share: number | null } | null {
  const share = ownMarginShare(m);
  if (m.windowUnmarginedRevenueMinor > 0 && share === null) return null;
  const estimatedMinor = share === null ? 0 : Math.round(m.windowUnmarginedRevenueMinor * Math.min(1, Math.max(-1, share)));
  return { marginMinor: m.windowMarginMinor + estimatedMinor, estimatedMinor, share };
}

/** Models fitted on the whole base; null where the data could not identify them. */
export interface FittedModels {
  bgnbd: BgNbdParams | null;
  /** Gamma-Gamma on spend in major units (minor / 100). */
  gammaGamma: GammaGammaParams | null;
  /**
   * The models whose fit in the rescore did not converge, by model: the parameters above are then an earlier
   * converged fit's, or, without one, where this fit's optimiser stopped. Absent when every fit converged (and in
   * the models of a run started before this was recorded).
   */
  unconverged?: { bgnbd?: UnconvergedFit; gammaGamma?: UnconvergedFit };
  /**
   * The base's margin share: CLV values a customer without a margin share of their own at it, so every CLV is a margin
   * CLV; null (or absent) when the base has none either. The median of the customers' own shares (`baseMarginShareOf`)
   * where `baseMarginShareIsMedian`; else, from a run gathered before that was recorded, margin over revenue of all the
   * base's orders that carry a margin.
   */
  baseMarginShare?: number | null;
  baseMarginShareIsMedian?: boolean;
}

/** A rescore's fit of a model that did not converge, and what its scores use instead. */
export interface UnconvergedFit {
  /** The day the rescore whose fit did not converge scored as of (YYYY-MM-DD). */
  asOf: string;
  /** The day of the rescore whose converged fit (same model version) the scores use instead; null when there is none. */
  fallbackAsOf: string | null;
}

const MODEL_NAMES = { bgnbd: 'purchase model (BG/NBD)', gammaGamma: 'spend model (Gamma-Gamma)' } as const;

/**
 * What a score computed from these models must say of a fit that did not converge: which model, that the rescore of
 * which day did not converge, and whether the score uses an earlier converged fit (whose day) or, without one, the
 * parameters where the optimiser stopped (not estimates: the values are uncertain). None when every fit converged.
 */
export function unconvergedModelReasons(models: Pick<FittedModels, 'unconverged'>, uses: readonly ('bgnbd' | 'gammaGamma')[]): string[] {
  return uses.flatMap((model) => {
    const fit = models.unconverged?.[model];
    if (!fit) return [];
    return [
      fit.fallbackAsOf
        ? `${MODEL_NAMES[model]}: the fit of the rescore as of ${fit.asOf} did not converge; scored with the converged fit of the rescore as of ${fit.fallbackAsOf}`
        : `${MODEL_NAMES[model]}: the fit of the rescore as of ${fit.asOf} did not converge, and no earlier fit did: scored with the parameters where it stopped, so the value is uncertain`,
    ];
  });
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

/** Why a buyer has no churn risk or CLV: the base's purchases could not fit the models (yet). */
const NO_PURCHASE_MODEL = 'the purchase model could not be fitted on the base yet (too few customers have bought on more than one day)';
const NO_SPEND_MODEL = 'the spend model could not be fitted on the base yet (too few customers have bought again, with a spend)';

/** (x, t_x, T) in weeks, as the BG/NBD model takes it. */
export function purchaseSummary(p: PurchaseFacts, asOf: DateLike): PurchaseSummary {
  const first = dayNumber(p.firstDay);
  return { x: p.purchaseDays - 1, tx: (dayNumber(p.lastDay) - first) / 7, T: (dayNumber(asOf) - first) / 7 };
}

/**
 * One customer's scores. A model that cannot score this customer (its fitted parameters give
 * no finite answer for this history) gives that score no value, with the reason, and the
 * customer's other scores stand: one customer never stops a page of the nightly run.
 */
export function scoreCustomer(f: CustomerFacts, models: FittedModels, policy: ScoringPolicy, kinds?: ReadonlySet<ScoreKind>): CustomerScore[] {
  const wanted = (kind: ScoreKind) => !kinds || kinds.has(kind);
  const out: CustomerScore[] = [];
  const push = (kind: ScoreKind, s: { value: number | null; band?: string | null; reasons: string[]; modelVersion: string }, details?: Record<string, unknown>) =>
    out.push({ kind, value: s.value, band: s.band ?? null, reasons: s.reasons, modelVersion: s.modelVersion, ...(details ? { details } : {}) });
  const attempt = (kind: ScoreKind, modelVersion: string, score: () => void) => {
    try {
      score();
    } catch (error) {
      if (!(error instanceof ScoringException || error instanceof RangeError)) throw error;
      push(kind, { value: null, reasons: [`not scored: ${error.message}`], modelVersion });
    }
  };
  const p = f.purchases;
  const today = dayNumber(f.asOf);
  const orderMargins: OrderMargins = {
    marginMinor: p?.marginMinor ?? 0,
    marginedRevenueMinor: p?.marginedRevenueMinor ?? 0,
    marginedOrders: p?.marginedOrders ?? 0,
    windowMarginMinor: f.windowMarginMinor,
    windowUnmarginedRevenueMinor: f.windowUnmarginedRevenueMinor,
  };
  const marginShare = ownMarginShare(orderMargins);

  if (wanted(ScoreKind.Rfm) && (f.ranks || !p)) {
    const rfm = p
      ? rankedRfm({ customerId: f.customerId, recencyDays: today - dayNumber(p.lastDay), frequency: p.purchaseDays, monetary: p.revenueMinor }, f.ranks!, f.ranks!.buyers)
      : unranked(f.customerId);
    push(ScoreKind.Rfm, rfm);
  }
  if (p && models.bgnbd) {
    const bgnbd = models.bgnbd;
    const summary = purchaseSummary(p, f.asOf);
    if (wanted(ScoreKind.ChurnRisk)) attempt(ScoreKind.ChurnRisk, `${BGNBD_MODEL_VERSION};policy=${policy.churnRisk.version}`, () => push(ScoreKind.ChurnRisk, churnRisk(bgnbd, summary, policy.churnRisk)));
    const gammaGamma = models.gammaGamma;
    if (wanted(ScoreKind.Clv) && gammaGamma && gammaGamma.p * summary.x + gammaGamma.q <= 1) {
      // A heavy-tailed spend model (p·x + q <= 1) has no finite expected spend for so short a history.
      const history = summary.x === 0 ? 'a customer without a repeat purchase' : `${summary.x} repeat purchases`;
      push(ScoreKind.Clv, {
        value: null,
        reasons: [`not scored: the spend model fitted on the base has no finite average spend for ${history} (q = ${fmt(gammaGamma.q, 2)})`],
        modelVersion: CLV_MODEL_VERSION,
      });
    } else if (wanted(ScoreKind.Clv) && gammaGamma) {
      attempt(ScoreKind.Clv, CLV_MODEL_VERSION, () => {
        // Margin CLV: what the customer is worth, not what they turn over; at the base's margin share for one without a
        // share of their own, so no CLV is in revenue beside margin ones. (Revenue only when the base has no margin share
        // either: then no customer has one, and every CLV is in revenue alike.)
        const share = marginShare ?? models.baseMarginShare ?? null;
        const clv = customerLifetimeValue(bgnbd, gammaGamma, { ...summary, zbar: (p.repeatSpendMinor ?? 0) / 100 }, {
          periods: policy.clv.months,
          periodLength: WEEKS_PER_MONTH,
          discountRate: ratePerPeriod(policy.clv.annualDiscountRate, 12),
          marginShare: share === null ? 1 : Math.min(1, Math.max(0, share)),
        });
        const reasons =
          marginShare === null
            ? [
                ...clv.reasons,
                share === null
                  ? `${noMarginShare(orderMargins, 'orders')}, nor has the base a margin share (no order with revenue carries a margin): valued at revenue, as every customer is`
                  : `${noMarginShare(orderMargins, 'orders')}: valued at the base's margin share${models.baseMarginShareIsMedian ? " (its customers' median)" : ''}, ${pct(share)} of spend${share < 0 ? ': its future margin counts as 0' : ''}`,
              ]
            : marginShare < 0
              ? [...clv.reasons, `the orders' margin is ${pct(marginShare)} of spend: their future margin counts as 0`]
              : clv.reasons;
        push(ScoreKind.Clv, { ...clv, value: Math.round(clv.value * 100), band: null, reasons });
      });
    }
  }
  // Scores computed from a fit that did not converge say so, and whether an earlier converged fit stood in for it.
  for (const score of out) {
    const uses = score.kind === ScoreKind.ChurnRisk ? (['bgnbd'] as const) : score.kind === ScoreKind.Clv ? (['bgnbd', 'gammaGamma'] as const) : null;
    if (uses) score.reasons = [...score.reasons, ...unconvergedModelReasons(models, uses)];
  }
  // A buyer without the models to judge them (none fitted yet: too few repeat purchases in the base) is told so, not left out.
  if (p && wanted(ScoreKind.ChurnRisk) && !models.bgnbd) push(ScoreKind.ChurnRisk, { value: null, reasons: [`not scored: ${NO_PURCHASE_MODEL}`], modelVersion: `${BGNBD_MODEL_VERSION};policy=${policy.churnRisk.version}` });
  if (p && wanted(ScoreKind.Clv) && !(models.bgnbd && models.gammaGamma)) {
    push(ScoreKind.Clv, { value: null, reasons: [`not scored: ${models.bgnbd ? NO_SPEND_MODEL : NO_PURCHASE_MODEL}`], modelVersion: CLV_MODEL_VERSION });
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
  if (wanted(ScoreKind.Profitability)) push(ScoreKind.Profitability, ...profitabilityOf(f, orderMargins, policy));
  if (wanted(ScoreKind.PaymentLoyalty)) push(ScoreKind.PaymentLoyalty, paymentLoyalty({ customerSince: f.customerSince, invoices: f.invoices, asOf: f.asOf }, policy.paymentLoyalty));
  if (wanted(ScoreKind.PersistentIssue)) push(ScoreKind.PersistentIssue, persistentIssues(f.complaints, f.asOf, policy.persistentIssue));
  if (wanted(ScoreKind.ReferralValue)) {
    // A referred customer none of whose orders carries a margin has no margin to count: 0, not a guess.
    const referred = f.referrals.map((r) => ({ customerId: r.customerId, valueMinor: windowOrderMargin(r)?.marginMinor ?? 0 }));
    push(ScoreKind.ReferralValue, referralValue(referred, { basis: 'margin' }, policy.referral));
  }
  return out;
}

/**
 * Margin minus cost to serve over the window, with the current tier's fee for the days of the
 * window the customer was with us (a customer of 73 days brought 73/365 of a year's fee). Orders
 * without a recorded margin count at the customer's own margin share from the orders that carry
 * one; when none does, the account is not judged (no value, no band): a missing margin is not
 * a margin of zero, and no account review follows from it. (A buyer without margins but with
 * costs in the window and no orders in it is judged: costs without purchases are a loss.)
 * Nor is an account judged on the tier fee alone: one none of whose orders carries a margin, or
 * without a purchase at all, and with no cost recorded in the window. An order of 0.00 with a
 * margin of 0.00 carries a margin (orders are counted, not their revenue). Nor is an account the
 * window holds nothing of: no order in it, no tier fee margin (a basic tier) and no cost.
 * The costs are counted without the support the customer's complaints marked product defect took
 * (up to their handling cost, `windowDefectHandlingMinor`): our own defect is not their cost to serve.
 */
function profitabilityOf(f: CustomerFacts, orderMargins: OrderMargins, policy: ScoringPolicy): [{ value: number | null; band: string | null; reasons: string[]; modelVersion: string }, Record<string, unknown>] {
  const window = `the last ${policy.profitabilityWindowDays} days`;
  const unmargined = f.windowUnmarginedRevenueMinor;
  const orders = windowOrderMargin(orderMargins);
  const tenureDays = dayNumber(f.asOf) - dayNumber(f.customerSince);
  const feeDays = feeDaysInWindow(tenureDays, policy.profitabilityWindowDays);
  const feeShare = feeDays / 365;
  // Each day of the window with us counts the fee margin of the tier held that day.
  const held = tierDays(f.tierChanges, f.serviceTier, f.asOf, feeDays);
  const feeMarginOf = (tier: string) => policy.serviceTiers.tiers.find((t) => t.tier === tier)?.annualFeeMarginMinor ?? 0;
  const windowFee = Math.round(held.reduce((sum, h) => sum + (feeMarginOf(h.tier) * h.days) / 365, 0));
  const tierNow = tierOn(f.asOf, f.tierChanges, f.serviceTier);
  // An order inside the window (its days are those after asOf - window, as the gathering sums them).
  const orderInWindow = f.purchases !== null && dayNumber(f.purchases.lastDay) > dayNumber(f.asOf) - policy.profitabilityWindowDays;
  // The costs counted: without the support our own product defects took (the score leaves it out the same way). An
  // account whose only costs are that support has no cost to judge it by.
  const defectHandlingMinor = f.windowDefectHandlingMinor ?? 0;
  const counted = withoutDefectSupport(f.windowCosts, defectHandlingMinor);
  const noCost = counted.costs.length === 0;
  const noCostSaid =
    counted.leftOutMinor > 0
      ? `no cost to serve counted in ${window} (support for our product defects ${money(counted.leftOutMinor)} not counted)`
      : `no cost to serve was recorded in ${window}`;
  // A customer none of whose orders ever carried a margin (or who never bought), without a cost recorded either, would be
  // judged on the tier fee alone: in a base exported without margins (and without tiers) every customer silent for a year
  // would read "profitable", and one who never bought "profitable" on the fee of a tier nothing was bought on.
  const unjudged =
    orders === null
      ? `the orders of ${window} (${money(unmargined)}) carry no margin, ${
          orderMargins.marginedOrders === 0 ? 'nor does any earlier order' : "and the customer's orders that carry one had no revenue to take a margin share of"
        }`
      : // (A free replacement carries a margin, negative, on no revenue: margin recorded; so does an order of 0.00 with a margin of 0.00.)
        orderMargins.marginedOrders === 0 && noCost
        ? f.purchases === null
          ? `no purchase yet, and ${noCostSaid}`
          : `none of the customer's orders carries a margin, and ${noCostSaid}`
        : // Nor is one of whom the window holds nothing at all (a basic customer silent for a year): a 0.00 that is no result.
          !orderInWindow && windowFee === 0 && noCost
          ? `nothing in ${window} to judge it by: no order, no tier fee margin, ${
              counted.leftOutMinor > 0 ? `no cost to serve counted (support for our product defects ${money(counted.leftOutMinor)} not counted)` : 'no cost to serve'
            }`
          : null;
  if (unjudged || orders === null) {
    return [{ value: null, band: null, reasons: [`not judged: ${unjudged}`], modelVersion: withPolicyVersion(PROFITABILITY_MODEL_VERSION, policy.serviceTiers.version) }, { suggestedTier: null }];
  }
  const score = profitability(
    {
      marginMinor: orders.marginMinor + windowFee,
      feeMarginMinor: windowFee,
      otherTiersHeld: held.some((h) => h.tier !== tierNow),
      costs: f.windowCosts,
      defectHandlingMinor,
      currentTier: tierNow,
      windowLabel: window,
      tenureDays,
      daysWithUsInWindow: feeDays,
      minTenureDays: policy.profitabilityMinTenureDays,
      materiality: policy.profitabilityLoss,
      feeShare,
    },
    policy.serviceTiers,
  );
  const said = [
    unmargined > 0 ? `orders without a recorded margin (${money(unmargined)}) counted at the customer's own margin of ${pct(orders.share!)} of spend` : null,
    windowFee > 0
      ? held.length > 1
        ? `the margin includes the tier fee margin of ${money(windowFee)} for the tiers held: ${held.map((h) => `${h.tier} ${h.days} day${h.days === 1 ? '' : 's'}`).join(', ')}`
        : `the margin includes the ${tierNow} tier's fee margin of ${money(windowFee)}${feeDays < policy.profitabilityWindowDays ? ` for the ${feeDays} day${feeDays === 1 ? '' : 's'} as a customer` : ''}`
      : null,
  ].filter((r) => r !== null);
  const reasons = [score.reasons[0], ...said, ...score.reasons.slice(1)];
  // (And for a loss, what an account review weighs an offer that changes the tier by: every other tier projected.)
  const tierProjections = projectedTiers(score.projections);
  // (And the fee margin counted, on the tiers held: what an account review judging as on today's tier swaps out.)
  // (And the support left out for our product defects: what the costs counted do not hold.)
  return [
    { ...score, reasons },
    {
      suggestedTier: score.suggestion?.tier ?? null,
      feeMarginMinor: windowFee,
      ...(tierProjections.length ? { tierProjections } : {}),
      // (And, judged as on the tier held now after a change in the window, that figure: what the projections are weighed against.)
      ...(score.tierHeldNowMinor !== undefined ? { tierHeldNowMinor: score.tierHeldNowMinor } : {}),
      ...(score.defectSupportMinor > 0 ? { defectSupportMinor: score.defectSupportMinor } : {}),
    },
  ];
}
