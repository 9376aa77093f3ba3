/**
 * Profitability: margin minus cost to serve over a window (the last 12 months;
 * the caller sums both over it). "There are no loss-making customers, only
 * loss-making service concepts": a negative value comes with the cost drivers
 * ranked by amount and, where one helps, a cheaper service tier with the
 * reasoning, never a verdict on the customer.
 *
 * Money is in integer minor units (cents), like the rest of the platform.
 *
 * The tier table (a policy) says what each service concept costs and earns:
 * - `level`: richer service = higher (premium 3 > standard 2 > basic 1);
 * - `annualFeeMarginMinor`: margin the tier's own fee brings per year (included in
 *   the margin the caller passes for the current tier);
 * - `annualFeeMinor`: the fee itself, what the customer pays for the tier per year: a discount
 *   on the tier comes off it (an account review weighs an offer that moves the account to the tier so);
 * - `costShares[kind]`: how much of a cost kind the tier incurs relative to full
 *   service (1 = all; 0.3 = self-service leaves 30% of the support minutes);
 *   kinds not listed: 1.
 * Projection for another tier t from the current tier c:
 *   margin_t = margin - fee_c + fee_t   (fee_c: the fee margin the window counted, on the tiers held)
 *   cost_t(kind) = Σ cost(kind, h) · share_t(kind) / share_h(kind)   (h: the tier held when it was incurred; unchanged where share_h = 0)
 * Bands: `profitable` for a value above 0, `break-even` at exactly 0 and for a loss too small to be material
 * (`LossMaterialityPolicy`: smaller than the larger of an amount and a share of the margin), `loss-making` below that.
 * The value stays the true figure: a break-even account may show a small negative value, and the reasons say why it is
 * not called a loss.
 * A customer who joined less than `minTenureDays` ago is not judged on a loss (band
 * `too-new`, no suggestion): their costs of getting started come before their purchases.
 * The suggestion is the richest cheaper tier (lower level) whose projected result is no material
 * loss; if none is, the cheaper tier with the best projected result, if it is
 * better than today; otherwise none (look for an offer to a richer tier projected better than today instead).
 * Support given on the company's own product defects is not the customer's cost to serve: support
 * costs up to what handling the customer's complaints marked product defect cost in the window
 * (`defectHandlingMinor`) are left out, and the reasons say how much and why (`withoutDefectSupport`).
 * A loss whose cost to serve fell mostly in the window's last `RECENT_COST_DAYS` (at least `RECENT_COST_SHARE` of it), at
 * `RECENT_COST_PACE` times the pace of the days with us before them or more, says so, with how much: whoever decides on
 * the account sees a recent rise against a time that cost less, not a service concept that has always failed (`recentCostReason`).
 */
import { money, pct } from './format.js';
import { withPolicyVersion, type ScoreResult } from './score.js';
import { invalidInput } from './scoring.exception.js';

/**
 * 3: the tier fee margin counts the days of the window the customer was with us, not a whole year.
 * 4: a buyer none of whose orders carries a margin, and with no cost recorded, is not judged on the tier fee alone.
 * 5: nor is a customer without a purchase and with no cost recorded; and an order of 0.00 with a margin of 0.00 carries a
 *    margin (orders with one are counted, not their revenue), so such a buyer is judged.
 * 6: nor is an account with nothing in the window (no order, no tier fee margin, no cost); and a result of exactly 0.00 is
 *    `break-even`, not `profitable`: an account that earns what it costs makes no money.
 * 7: the tier fee margin is that of the tier held each day of the window (its tier changes), not today's tier's for all of it;
 *    another tier's projection scales each cost from the tier held when it was incurred.
 * 8: support costs up to the handling cost of the customer's complaints marked product defect in the window are not
 *    counted: a customer whose loss is the support our own defect took is not loss-making for it.
 * 9: a loss smaller than the larger of the materiality policy's amount (25.00) and share of the margin (5%) is `break-even`,
 *    not `loss-making` (the value stays the negative figure): a loyal payer losing a few euros a year, often discounts the
 *    company chose to give, is no account to review, let alone to put before an offboarding decision.
 * 10: a material loss over the window that the tier held now, for the whole window, would not have made is `break-even`:
 *    the loss was the service concept the customer has left (a customer who took the cheaper tier an account review
 *    proposed read as loss-making, with a richer tier suggested, for up to a year after).
 *    A loss-making account's reasons say how much of its cost is discounts the company gave, and what it comes to without
 *    them; the cheaper tier suggested is the richest whose projection is no material loss.
 * 11: a loss whose cost to serve fell mostly (at least half of it) in the window's last 90 days says how much of it did,
 *    and that it is a recent rise, not the account's usual cost (for a customer with us long enough to tell).
 * 12: ...and only where those days ran at three times the pace of the customer's days with us in the window before them or
 *    more, said with that pace: a customer of 185 days whose cost ran steadily has half of it in the last 90 days, which is
 *    their usual cost, not a rise.
 */
export const PROFITABILITY_MODEL_VERSION = 'profitability/12';

/**
 * The last days of the window whose share of the cost to serve a loss's reasons weigh (a quarter: what one bad spell of
 * support, returns or a fault on our side runs up), and when they call it a recent rise: those days ran at
 * `RECENT_COST_PACE` times the pace (cost per day) of the customer's days with us in the window before them or more, and
 * took at least `RECENT_COST_SHARE` of the cost. The pace compares like with like whatever the customer's time with us:
 * for a full year, half of the cost in its last quarter is about three times the pace of the rest (both rules agree);
 * for a customer of 185 days, the last 90 days are half of their time with us, so half of the cost in them is their
 * usual pace, and it takes about three quarters of it to be three times the pace. Half of the cost at least: "a recent
 * rise, not the account's usual cost" is said of a loss most of whose cost the rise is.
 */
export const RECENT_COST_DAYS = 90;
export const RECENT_COST_SHARE = 0.5;
export const RECENT_COST_PACE = 3;

/**
 * When a loss is material, i.e. makes an account `loss-making` (an account review, no thank-you offer): a loss smaller
 * than the larger of `materialLossMinor` and `materialLossMarginShare` of the account's margin over the window is not;
 * such an account is `break-even`. "There are no loss-making customers, only loss-making service concepts": a loss within
 * what the cost figures can tell apart from nothing is no verdict on the service concept either.
 */
export interface LossMaterialityPolicy {
  version: number;
  /**
   * The smallest loss over the window (minor units) that makes an account loss-making, whatever its margin. 25.00 a year:
   * about what one support contact, one return or the discount on one order costs (support minutes are booked at an
   * average rate, so a few euros are within what the figures can tell), and far less than a review costs (a proposal,
   * then a person's offboarding decision), let alone losing a customer who pays on time.
   */
  materialLossMinor: number;
  /**
   * ...or, for a larger account, this share of its margin over the window (0..1; a negative margin gives none): 5% is a
   * loss within the noise of costs set against a margin twenty times its size, an account that earns 95% of what it costs.
   * Of the margin, not the revenue: the margin is what the account earns us and what its costs are set against (the
   * revenue holds the goods' own cost, and orders without a recorded margin are not in it).
   */
  materialLossMarginShare: number;
}

export const defaultLossMaterialityPolicy: LossMaterialityPolicy = { version: 1, materialLossMinor: 2_500, materialLossMarginShare: 0.05 };

/** The loss (minor units, positive) from which an account with `marginMinor` over the window is loss-making. */
export function materialLossFromMinor(marginMinor: number, policy: LossMaterialityPolicy = defaultLossMaterialityPolicy): number {
  return Math.max(policy.materialLossMinor, Math.round(Math.max(0, marginMinor) * policy.materialLossMarginShare));
}

/**
 * Whether a result is a material loss: the one rule for every judgement of an account as loss-making (the score's band,
 * and an account review judging a customer as on the tier they accepted).
 */
export function isMaterialLoss(valueMinor: number, marginMinor: number, policy: LossMaterialityPolicy = defaultLossMaterialityPolicy): boolean {
  return valueMinor < 0 && -valueMinor >= materialLossFromMinor(marginMinor, policy);
}

export interface TierTerms {
  tier: string;
  level: number;
  annualFeeMarginMinor: number;
  annualFeeMinor: number;
  costShares: Readonly<Record<string, number>>;
}

export interface ServiceTierPolicy {
  version: number;
  tiers: readonly TierTerms[];
}

/** An example table for the platform's three tiers (cost kinds as in cost_entry.kind). */
export const defaultServiceTierPolicy: ServiceTierPolicy = {
  version: 1,
  tiers: [
    { tier: 'premium', level: 3, annualFeeMarginMinor: 6_000, annualFeeMinor: 12_000, costShares: { support_minutes: 1, return: 1, discount: 1, reminder: 1 } },
    { tier: 'standard', level: 2, annualFeeMarginMinor: 2_000, annualFeeMinor: 6_000, costShares: { support_minutes: 0.6, return: 1, discount: 0.5, reminder: 1 } },
    { tier: 'basic', level: 1, annualFeeMarginMinor: 0, annualFeeMinor: 0, costShares: { support_minutes: 0.25, return: 1, discount: 0.25, reminder: 1 } },
  ],
};

export interface CostEntryInput {
  kind: string;
  amountMinor: number;
  /** Of `amountMinor`, what was incurred in the window's last `RECENT_COST_DAYS` days; absent: not known (the reasons say nothing of when the costs arose). */
  recentMinor?: number;
  /** The tier the customer held when it was incurred, where that was another than the current one; absent: the current tier. */
  tier?: string;
}

export interface ProfitabilityInput {
  /** Margin over the window (orders and the fee margin of the tiers held in it), minor units. */
  marginMinor: number;
  /**
   * The tier fee margin `marginMinor` includes: each day's tier's, for a customer who changed tiers in the window;
   * by default the current tier's share of a year (`feeShare`).
   */
  feeMarginMinor?: number;
  /** Cost-to-serve entries over the window; several per kind are summed. */
  costs: readonly CostEntryInput[];
  /**
   * What handling the customer's complaints marked product defect cost (their `handling_cost`), of those open at some
   * time in the window: support costs up to it are the company's own defect, not counted against the customer. 0 by default.
   */
  defectHandlingMinor?: number;
  currentTier: string;
  /** For reasons ("the last 12 months"). */
  windowLabel?: string;
  /**
   * Days the customer has been with us, and how many days a loss is not judged after they
   * joined: what getting started costs (set-up, early support) before the first purchases
   * is an investment, not a loss-making account (band `too-new`).
   */
  tenureDays?: number;
  minTenureDays?: number;
  /**
   * The window held a tier other than the current one (a tier change in it): judged as on the current tier too, also where
   * no cost was incurred on the other (the fee margin alone differs). By default, when a cost names another tier.
   */
  otherTiersHeld?: boolean;
  /**
   * The days of the window the customer was with us (`feeDaysInWindow`): what the pace of the cost in its last
   * `RECENT_COST_DAYS` is set against. By default `tenureDays` up to a year (the default window), a year where that is absent.
   */
  daysWithUsInWindow?: number;
  /** The share of a year's fee the window holds (the days of it the customer was with us, over 365); 1 by default. */
  feeShare?: number;
  /** When a loss makes the account loss-making (the scoring policy's `profitabilityLoss`); the default policy if absent. */
  materiality?: LossMaterialityPolicy;
  currency?: string;
}

export interface CostDriver {
  kind: string;
  amountMinor: number;
  /** Share of the total cost to serve (0..1). */
  share: number;
}

export interface TierSuggestion {
  tier: string;
  projectedValueMinor: number;
  /** Change against today (positive = better). */
  improvementMinor: number;
  reasoning: string[];
}

/**
 * `profitable` above 0, `break-even` at exactly 0 (an account whose margin its costs take whole, or whose only
 * orders were free: neither money made nor a loss to review) and for a loss too small to be material
 * (`LossMaterialityPolicy`), `loss-making` for a material loss (`too-new` for a newcomer's loss).
 */
export const PROFITABILITY_BANDS = ['profitable', 'break-even', 'loss-making', 'too-new'] as const;
/** The band of an account that loses money (not one too new to judge): it gets an account review, not a thank-you offer. */
export const LOSS_MAKING = 'loss-making' satisfies (typeof PROFITABILITY_BANDS)[number];

/**
 * How a score's reasons name the cheaper tier it suggests: the one part of the suggestion a
 * stored score keeps (a campaign's preview reads it to tell an account review's tier change from an offer).
 */
export const CHEAPER_TIER_REASON = 'a cheaper service concept helps: ';

/** What the account would come to on another tier, as the model projects it (the header's projection). */
export interface TierProjection {
  tier: string;
  level: number;
  projectedValueMinor: number;
  /** The margin over the window on that tier (its fee margin in place of the one counted): what materiality weighs its loss against. */
  marginMinor: number;
  /** That tier's fee over the window (its share of a year's): what a discount on the tier comes off. */
  feeMinor: number;
  reasoning: string[];
}

/** A tier's projection as an account review weighs an offer to it: its result there and its fee over the window. */
export type ProjectedTier = Pick<TierProjection, 'tier' | 'projectedValueMinor' | 'feeMinor'>;

/** The projections as an account review keeps them (without their levels and reasoning). */
export function projectedTiers(projections: readonly TierProjection[]): ProjectedTier[] {
  return projections.map(({ tier, projectedValueMinor, feeMinor }) => ({ tier, projectedValueMinor, feeMinor }));
}

export interface ProfitabilityScore extends ScoreResult {
  /** Margin minus cost to serve, minor units. */
  value: number;
  band: (typeof PROFITABILITY_BANDS)[number];
  marginMinor: number;
  /** The costs counted (without the support left out for product defects). */
  costMinor: number;
  /** Support costs not counted: the support our product defects took (up to `defectHandlingMinor`). */
  defectSupportMinor: number;
  drivers: CostDriver[];
  /** Only for a loss-making result (not for one too new to judge, nor for an immaterial loss). */
  suggestion: TierSuggestion | null;
  /** Every other tier projected, for a loss-making result (an account review weighs offers that change the tier by them); else none. */
  projections: TierProjection[];
  /**
   * For a loss-making result whose window saw a tier change: the window as on the tier held now for all of it, the figure
   * the projections and the suggestion are weighed against (the value is the plain window). Absent otherwise.
   */
  tierHeldNowMinor?: number;
}

const kindLabel = (kind: string) => kind.replace(/_/g, ' ');

/** The cost kind support time is booked as (cost_entry.kind); what handling a complaint took is support. */
export const SUPPORT_COST_KIND = 'support_minutes';
/** The cost kind discounts the company gave are booked as (cost_entry.kind). */
export const DISCOUNT_COST_KIND = 'discount';

/**
 * The costs without the support the company's own product defects took: support entries (kind `support_minutes`) less
 * up to `defectHandlingMinor` in all (what handling the customer's complaints marked product defect cost), taken from
 * each support entry in proportion to its amount (support booked on several tiers keeps its mix, so another tier's
 * projection scales what is left as before); an entry left out whole is dropped. Other kinds are kept as they are:
 * a return or a discount is not support time.
 */
export function withoutDefectSupport(costs: readonly CostEntryInput[], defectHandlingMinor: number): { costs: CostEntryInput[]; leftOutMinor: number } {
  if (!Number.isFinite(defectHandlingMinor)) throw invalidInput('defectHandlingMinor must be finite');
  const support = costs
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => c.kind === SUPPORT_COST_KIND && c.amountMinor > 0)
    .sort((a, b) => b.c.amountMinor - a.c.amountMinor || (a.c.tier ?? '').localeCompare(b.c.tier ?? '') || a.i - b.i);
  const supportMinor = support.reduce((sum, { c }) => sum + c.amountMinor, 0);
  const leftOutMinor = Math.max(0, Math.min(supportMinor, Math.round(defectHandlingMinor)));
  if (leftOutMinor === 0) return { costs: [...costs], leftOutMinor: 0 };
  // Each entry's share by the running total, rounded: the shares add up to exactly what is left out, none above its entry.
  const takes = new Map<number, number>();
  let cumulative = 0;
  let taken = 0;
  for (const { c, i } of support) {
    cumulative += c.amountMinor;
    const upTo = Math.round((leftOutMinor * cumulative) / supportMinor);
    takes.set(i, upTo - taken);
    taken = upTo;
  }
  const kept = costs.flatMap((c, i) => {
    const take = takes.get(i);
    if (take === undefined) return [c];
    if (c.amountMinor - take === 0) return [];
    // What is left of a recent cost keeps its part of the entry (the support left out is taken across the window alike).
    const recent = c.recentMinor === undefined ? {} : { recentMinor: Math.round((c.recentMinor * (c.amountMinor - take)) / c.amountMinor) };
    return [{ ...c, amountMinor: c.amountMinor - take, ...recent }];
  });
  return { costs: kept, leftOutMinor };
}

export function profitability(input: ProfitabilityInput, policy: ServiceTierPolicy = defaultServiceTierPolicy): ProfitabilityScore {
  const { marginMinor } = input;
  if (!Number.isFinite(marginMinor)) throw invalidInput('marginMinor must be finite');
  const current = policy.tiers.find((t) => t.tier === input.currentTier);
  if (!current) throw invalidInput(`tier "${input.currentTier}" is not in the tier policy`, { tier: input.currentTier });
  for (const c of input.costs) if (!Number.isFinite(c.amountMinor)) throw invalidInput(`cost amount must be finite (kind ${c.kind})`);
  const defectHandlingMinor = input.defectHandlingMinor ?? 0;
  // The company's own defect is not the customer's cost to serve: the support it took is left out of every figure below.
  const { costs, leftOutMinor: defectSupportMinor } = withoutDefectSupport(input.costs, defectHandlingMinor);
  const counted: ProfitabilityInput = { ...input, costs };
  const byKind = new Map<string, number>();
  for (const c of costs) byKind.set(c.kind, (byKind.get(c.kind) ?? 0) + c.amountMinor);
  const costMinor = [...byKind.values()].reduce((s, v) => s + v, 0);
  const drivers: CostDriver[] = [...byKind]
    .map(([kind, amountMinor]) => ({ kind, amountMinor, share: costMinor > 0 ? amountMinor / costMinor : 0 }))
    .sort((a, b) => b.amountMinor - a.amountMinor || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
  const value = marginMinor - costMinor;
  const cur = input.currency ?? '';
  const m = (v: number) => money(v, cur);
  const window = input.windowLabel ?? 'the last 12 months';
  const reasons = [`margin ${m(marginMinor)} minus cost to serve ${m(costMinor)} over ${window}: ${m(value)}`];
  if (defectSupportMinor > 0) {
    reasons.push(
      `support for our product defects ${m(defectSupportMinor)} not counted (handling the customer's complaints marked product defect cost ${m(Math.round(defectHandlingMinor))} over ${window}${
        defectSupportMinor < defectHandlingMinor ? ', more than all support booked' : ''
      }: our own defect is not their cost to serve)`,
    );
  }
  const top = drivers.filter((d) => d.amountMinor > 0).slice(0, 3);
  if (top.length) reasons.push(`cost drivers: ${top.map((d) => `${kindLabel(d.kind)} ${m(d.amountMinor)} (${pct(d.share)})`).join(', ')}`);
  const tooNew = value < 0 && input.tenureDays !== undefined && input.minTenureDays !== undefined && input.tenureDays < input.minTenureDays;
  if (value < 0 && !tooNew) {
    const recent = recentCostReason(costs, costMinor, input.daysWithUsInWindow ?? feeDaysInWindow(input.tenureDays ?? 365, 365), m);
    if (recent) reasons.push(recent);
  }
  const materiality = input.materiality ?? defaultLossMaterialityPolicy;
  const lossOverWindow = !tooNew && isMaterialLoss(value, marginMinor, materiality);
  // A loss run up on a service concept the customer has left is not their concept's: judged as on the tier they hold now
  // for the whole window (each cost at its share, its fee margin), an account that moved to a tier that serves it at no
  // material loss is no account to review, and no richer tier is suggested to it.
  const onTierNow = lossOverWindow ? tierHeldNowBasis(counted, current, value, m, policy) : null;
  const onTierNowSays = (basis: TierProjection) => {
    const what = basis.reasoning.slice(0, -1);
    return `on ${current.tier}, the tier held now, the same window comes to ${m(basis.projectedValueMinor)}${what.length ? ` (${what.join('; ')})` : ''}`;
  };
  const lossMaking = lossOverWindow && (onTierNow === null || isMaterialLoss(onTierNow.projectedValueMinor, onTierNow.marginMinor, materiality));
  const band = value > 0 ? 'profitable' : tooNew ? 'too-new' : lossMaking ? 'loss-making' : 'break-even';
  let suggestion: TierSuggestion | null = null;
  let projections: TierProjection[] = [];
  if (tooNew) {
    reasons.push(`a customer for ${input.tenureDays} day${input.tenureDays === 1 ? '' : 's'} only: what getting started costs is not judged before ${input.minTenureDays} days`);
  } else if (lossOverWindow && !lossMaking && onTierNow) {
    const before = [...new Set(costs.filter((c) => c.tier !== undefined && c.tier !== current.tier).map((c) => c.tier))].join(', ');
    reasons.push(
      `a loss of ${m(-value)} over ${window} ${before ? `that the service held before (${before}) ran up` : 'on the tiers held in it'}: ${onTierNowSays(onTierNow)}: not a loss to review`,
    );
  } else if (value < 0 && !lossMaking) {
    // The true figure stays the value; the band says it is no loss to review, and the reasons why.
    const from = materialLossFromMinor(marginMinor, materiality);
    const byShare = from > materiality.materialLossMinor;
    reasons.push(
      `a loss of ${m(-value)} over ${window}, under the ${m(from)} ${byShare ? `(${pct(materiality.materialLossMarginShare)} of its margin ${m(marginMinor)}) ` : ''}that makes an account loss-making: break-even, not a loss to review`,
    );
  } else if (lossMaking) {
    // Judged on the tier held now (a tier changed in the window): other tiers are weighed against that figure, from the
    // costs as that tier incurs them, not against the loss the tier left behind ran up.
    const judged = onTierNow ? { input: asOnTierHeldNow(input, policy), value: onTierNow.projectedValueMinor } : { input: counted, value };
    if (onTierNow) {
      reasons.push(`${onTierNowSays(onTierNow)}: other tiers are weighed against that`);
    }
    // Discounts are the company's choice, not the customer's demand on the service: whoever decides on the account sees
    // how much of the loss (as judged) they are.
    const judgedCosts = judged.input.costs;
    const discountMinor = Math.round(judgedCosts.filter((c) => c.kind === DISCOUNT_COST_KIND).reduce((sum, c) => sum + c.amountMinor, 0));
    if (discountMinor > 0) {
      const judgedCostMinor = judgedCosts.reduce((sum, c) => sum + c.amountMinor, 0);
      const without = judged.value + discountMinor;
      reasons.push(
        `discounts we gave ${m(discountMinor)} of the cost${onTierNow ? ` on ${current.tier}` : ''} (${pct(discountMinor / judgedCostMinor)}): without them the account ${without >= 0 ? `would come to ${m(without)}` : `would still lose ${m(-without)}`}`,
      );
    }
    projections = policy.tiers.filter((t) => t !== current).map((t) => projectOnTier(judged.input, current, t, judged.value, m, policy));
    suggestion = suggestTier(projections.filter((p) => p.level < current.level), judged.value, materiality);
    const richerBetter = projections.filter((p) => p.level > current.level && p.projectedValueMinor > judged.value).sort((a, b) => b.projectedValueMinor - a.projectedValueMinor || a.level - b.level);
    if (suggestion) reasons.push(`${CHEAPER_TIER_REASON}${suggestion.tier} (${suggestion.reasoning.join('; ')})`);
    else if (richerBetter.length)
      reasons.push(`no cheaper service concept turns this around: an offer that moves the account to a richer one may (on ${richerBetter[0].tier} it is projected at ${m(richerBetter[0].projectedValueMinor)}; an account review weighs them)`);
    else reasons.push('no other service concept turns this around: an account review talks it through with the customer');
  }
  const heldNow = lossMaking && onTierNow ? { tierHeldNowMinor: onTierNow.projectedValueMinor } : {};
  return { value, band, reasons, modelVersion: withPolicyVersion(PROFITABILITY_MODEL_VERSION, policy.version), marginMinor, costMinor, defectSupportMinor, drivers, suggestion, projections, ...heldNow };
}

/**
 * How much of the cost to serve fell in the window's last `RECENT_COST_DAYS` days, when that is at least
 * `RECENT_COST_SHARE` of it and those days ran at `RECENT_COST_PACE` times the pace of the customer's other days with us
 * in the window (`daysWithUs` of it) or more: e.g. "450.00 of the 450.00 cost to serve (100%) in the last 90 days, none in
 * the 275 days with us before them: a recent rise, not the account's usual cost". Null when less did, when the pace was
 * lower (a customer of 185 days with a steady cost has about half of it in the last 90 days: their usual pace), when the
 * costs do not say when they arose, and for a customer with us for less than `RECENT_COST_DAYS` before those days (no
 * usual cost long enough to set them against; under 90 days, all their time with us is recent).
 */
export function recentCostReason(costs: readonly CostEntryInput[], costMinor: number, daysWithUs: number, m: (v: number) => string = money): string | null {
  if (costMinor <= 0 || !costs.some((c) => c.recentMinor !== undefined)) return null;
  const daysBefore = daysWithUs - RECENT_COST_DAYS;
  if (daysBefore < RECENT_COST_DAYS) return null;
  const recentMinor = costs.reduce((sum, c) => sum + (c.recentMinor ?? 0), 0);
  const beforeMinor = costMinor - recentMinor;
  // (Above the whole only where credits earlier in the window offset costs: no share to state.)
  if (recentMinor < costMinor * RECENT_COST_SHARE || beforeMinor < 0) return null;
  // Pace per day: recent / RECENT_COST_DAYS against before / daysBefore (cross-multiplied: exact in minor units).
  if (recentMinor * daysBefore < RECENT_COST_PACE * beforeMinor * RECENT_COST_DAYS) return null;
  const before = `the ${daysBefore} days with us before them`;
  // Rounded down, so the pace said is never above the one the rule took (3.0 is said of 3.04, never of 2.96).
  const times = beforeMinor === 0 ? null : Math.floor(((recentMinor * daysBefore) / (beforeMinor * RECENT_COST_DAYS)) * 10) / 10;
  return `${m(recentMinor)} of the ${m(costMinor)} cost to serve (${pct(recentMinor / costMinor)}) in the last ${RECENT_COST_DAYS} days, ${
    times === null ? `none in ${before}` : `${times.toFixed(1)} times the pace of ${before}`
  }: a recent rise, not the account's usual cost`;
}

/**
 * What costs incurred on tier `fromTier` come to on tier `toTier`, as the projection of a
 * suggestion counts them: each kind scaled by the tiers' cost shares (unchanged where `fromTier`
 * incurs none of it). An account review judges a customer who took a cheaper tier so: the costs
 * from before the move as the new tier incurs them, not the service they no longer get.
 */
export function costOnTier(costs: readonly CostEntryInput[], fromTier: string, toTier: string, policy: ServiceTierPolicy = defaultServiceTierPolicy): number {
  const from = tierNamed(policy, fromTier);
  const to = tierNamed(policy, toTier);
  return Math.round(costs.reduce((sum, c) => sum + costAsOn(c.amountMinor, c.kind, from, to), 0));
}

/** What a cost of `kind` incurred on tier `from` comes to on tier `to`: scaled by their cost shares (as it was where `from` incurs none of it). */
function costAsOn(amountMinor: number, kind: string, from: TierTerms, to: TierTerms): number {
  const share = (t: TierTerms) => t.costShares[kind] ?? 1;
  return share(from) > 0 ? (amountMinor * share(to)) / share(from) : amountMinor;
}

function tierNamed(policy: ServiceTierPolicy, name: string): TierTerms {
  const tier = policy.tiers.find((t) => t.tier === name);
  if (!tier) throw invalidInput(`tier "${name}" is not in the tier policy`, { tier: name });
  return tier;
}

/**
 * The account on tier `t` instead of `current`: the fee margin counted swapped for `t`'s for the same share of the year,
 * each cost scaled by the shares of `t` and of the tier held when it was incurred (support given on standard costs on
 * basic a quarter of standard's, not of premium's because the customer is on premium now).
 */
function projectOnTier(input: ProfitabilityInput, current: TierTerms, t: TierTerms, value: number, m: (v: number) => string, policy: ServiceTierPolicy): TierProjection {
  const heldWhen = (c: CostEntryInput) => (c.tier === undefined ? current : tierNamed(policy, c.tier));
  const reasoning: string[] = [];
  // The window holds its share of a year's fee: the other tier's fee is swapped in for the same share.
  const feeShare = input.feeShare ?? 1;
  const feeChange = t.annualFeeMarginMinor * feeShare - (input.feeMarginMinor ?? current.annualFeeMarginMinor * feeShare);
  let projected = input.marginMinor + feeChange;
  const savedByKind = new Map<string, number>();
  for (const c of input.costs) {
    const projectedCost = costAsOn(c.amountMinor, c.kind, heldWhen(c), t);
    projected -= projectedCost;
    savedByKind.set(c.kind, (savedByKind.get(c.kind) ?? 0) + c.amountMinor - projectedCost);
  }
  for (const [kind, saved] of savedByKind) {
    if (Math.round(saved) !== 0) reasoning.push(`${kindLabel(kind)} about ${m(Math.abs(saved))} ${saved > 0 ? 'less' : 'more'}`);
  }
  if (feeChange !== 0) reasoning.push(`tier fee margin ${m(Math.abs(feeChange))} ${feeChange > 0 ? 'more' : 'less'}`);
  projected = Math.round(projected);
  reasoning.push(`projected ${m(projected)} instead of ${m(value)} on ${current.tier}`);
  return { tier: t.tier, level: t.level, projectedValueMinor: projected, marginMinor: Math.round(input.marginMinor + feeChange), feeMinor: Math.round(t.annualFeeMinor * feeShare), reasoning };
}

/** The days of a window of `windowDays` the customer was with us, whose share of a year's tier fee the window holds (all of it after a window's tenure). */
export function feeDaysInWindow(tenureDays: number, windowDays: number): number {
  return Math.max(0, Math.min(windowDays, tenureDays));
}

/**
 * The window as the tier held now would have served it (each cost incurred on another tier scaled from that tier's share,
 * the fee margin the tier's own for the window): null when the window held no other tier (`otherTiersHeld`, or a cost
 * incurred on another), the window's judgement.
 */
function tierHeldNowBasis(input: ProfitabilityInput, current: TierTerms, value: number, m: (v: number) => string, policy: ServiceTierPolicy): TierProjection | null {
  if (!input.otherTiersHeld && !input.costs.some((c) => c.tier !== undefined && c.tier !== current.tier)) return null;
  return projectOnTier(input, current, current, value, m, policy);
}

/**
 * The window as on the tier held now for all of it: each cost incurred on another tier as this tier incurs it (scaled by
 * their cost shares, rounded to the minor unit, no longer marked with the tier it was incurred on), the support our
 * product defects took left out, and the tier's own fee margin for the window in place of the one counted, less
 * `feeDiscountMinor` (an offer's discount on the tier's fee, which a move to it came with). The one restatement both the
 * score's judgement of a customer who changed tiers and an account review's of one who took its proposal go by.
 */
export function asOnTierHeldNow(input: ProfitabilityInput, policy: ServiceTierPolicy = defaultServiceTierPolicy, feeDiscountMinor = 0): ProfitabilityInput {
  const current = tierNamed(policy, input.currentTier);
  const feeShare = input.feeShare ?? 1;
  const feeMarginMinor = Math.round(current.annualFeeMarginMinor * feeShare) - feeDiscountMinor;
  const feeMarginCounted = input.feeMarginMinor ?? current.annualFeeMarginMinor * feeShare;
  const costs = withoutDefectSupport(input.costs, input.defectHandlingMinor ?? 0).costs.map(({ kind, amountMinor, tier }) => ({
    kind,
    amountMinor: tier === undefined || tier === current.tier ? amountMinor : Math.round(costAsOn(amountMinor, kind, tierNamed(policy, tier), current)),
  }));
  return { ...input, marginMinor: Math.round(input.marginMinor - feeMarginCounted + feeMarginMinor), feeMarginMinor, costs, defectHandlingMinor: 0, otherTiersHeld: false };
}

/**
 * Of the cheaper tiers' projections: the richest that leaves no material loss (the customer keeps as much service as
 * turns the account around), else the best if it beats now.
 */
function suggestTier(cheaper: TierProjection[], value: number, materiality: LossMaterialityPolicy): TierSuggestion | null {
  const candidates = [...cheaper].sort((a, b) => b.level - a.level || (a.tier < b.tier ? -1 : 1));
  const breakEven = candidates.find((c) => !isMaterialLoss(c.projectedValueMinor, c.marginMinor, materiality));
  const best = [...candidates].sort((a, b) => b.projectedValueMinor - a.projectedValueMinor || b.level - a.level)[0];
  const pick = breakEven ?? (best && best.projectedValueMinor > value ? best : undefined);
  if (!pick) return null;
  return { tier: pick.tier, projectedValueMinor: pick.projectedValueMinor, improvementMinor: pick.projectedValueMinor - value, reasoning: pick.reasoning };
}
