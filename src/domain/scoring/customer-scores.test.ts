import { baseMarginShareOf, purchaseSummary, scoreCustomer, windowOrderMargin, type CustomerFacts } from './customer-scores.js';
import { rankedRfm } from './rfm.js';
import { scoreRfm } from './rfm.reference.js';
import { SCORE_BANDS } from './score-bands.js';
import { ScoreKind } from './score-kind.js';
import { defaultScoringPolicy } from './scoring-policy.js';

const models = { bgnbd: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, gammaGamma: { p: 6.25, q: 3.74, gamma: 15.44 } };

const facts = (over: Partial<CustomerFacts> = {}): CustomerFacts => ({
  customerId: 'c1',
  asOf: '2026-11-01',
  customerSince: '2024-01-01',
  serviceTier: 'standard',
  tierChanges: [],
  purchases: {
    purchaseDays: 5,
    firstDay: '2026-01-04',
    lastDay: '2026-09-06',
    revenueMinor: 50_000,
    marginMinor: 10_000,
    marginedRevenueMinor: 50_000,
    marginedOrders: 5,
    repeatSpendMinor: 9_000,
    meanGapDays: 61,
    gapSdDays: 5,
  },
  ranks: { r: { below: 5, equal: 1 }, f: { below: 8, equal: 1 }, m: { below: 9, equal: 1 }, buyers: 10 },
  windowMarginMinor: 10_000,
  windowUnmarginedRevenueMinor: 0,
  windowCosts: [{ kind: 'support_minutes', amountMinor: 25_000 }],
  invoices: [],
  complaints: [],
  referrals: [],
  ...over,
});

describe('scoreCustomer', () => {
  it('gives a buyer all eight scores, each with reasons and its model version', () => {
    const scores = scoreCustomer(facts(), models, defaultScoringPolicy);
    expect(scores.map((s) => s.kind).sort()).toEqual(Object.values(ScoreKind).sort());
    for (const s of scores) {
      expect(s.reasons.length).toBeGreaterThan(0);
      expect(s.modelVersion).toMatch(/\//);
    }
  });

  it('gives only bands the customers filter knows (SCORE_BANDS), buyers and non-buyers alike', () => {
    const scored = [facts(), facts({ purchases: null, ranks: undefined }), facts({ windowCosts: [], invoices: [{ dueAt: '2025-01-10', paidAt: '2025-01-05' }] })].flatMap((f) =>
      scoreCustomer(f, models, defaultScoringPolicy),
    );
    for (const s of scored) {
      if (s.band !== null) expect(SCORE_BANDS[s.kind]).toContain(s.band);
    }
    expect(scored.filter((s) => s.kind === ScoreKind.Clv).every((s) => s.band === null)).toBe(true);
  });

  it('measures the purchase history in weeks up to asOf', () => {
    expect(purchaseSummary(facts().purchases!, '2026-11-01')).toEqual({ x: 4, tx: 245 / 7, T: 301 / 7 });
  });

  it('stores CLV in minor units of a margin CLV, and counts the tier fee in profitability', () => {
    const scores = scoreCustomer(facts(), models, defaultScoringPolicy);
    const clv = scores.find((s) => s.kind === ScoreKind.Clv)!;
    const revenueClv = scoreCustomer(facts({ purchases: { ...facts().purchases!, marginMinor: 50_000 } }), models, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Clv)!;
    expect(revenueClv.value).toBeGreaterThan(0);
    expect(Number.isInteger(clv.value)).toBe(true);
    // Margin is a fifth of revenue: the margin CLV is a fifth of the revenue CLV.
    expect(clv.value! / revenueClv.value!).toBeCloseTo(0.2, 2);
    const profit = scores.find((s) => s.kind === ScoreKind.Profitability)!;
    // 10,000 margin + 2,000 standard-tier fee margin - 25,000 support.
    expect(profit).toMatchObject({ value: -13_000, band: 'loss-making' });
    expect(profit.reasons.slice(0, 2)).toEqual(['margin 120.00 minus cost to serve 250.00 over the last 365 days: -130.00', "the margin includes the standard tier's fee margin of 20.00"]);
    // The same account two months after joining: too new to be judged (no account review for a newcomer); 61 days of the fee (3.34).
    const newcomer = scoreCustomer(facts({ customerSince: '2026-09-01' }), models, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Profitability)!;
    expect(newcomer).toMatchObject({ value: 10_000 + 334 - 25_000, band: 'too-new', details: { suggestedTier: null } });
    expect(newcomer.reasons.at(-1)).toBe('a customer for 61 days only: what getting started costs is not judged before 90 days');
  });

  it('scores a customer without purchases only where no purchase is needed', () => {
    const scores = scoreCustomer(facts({ purchases: null, ranks: undefined }), models, defaultScoringPolicy);
    expect(scores.map((s) => s.kind).sort()).toEqual([ScoreKind.BehaviourChange, ScoreKind.PaymentLoyalty, ScoreKind.PersistentIssue, ScoreKind.Profitability, ScoreKind.ReferralValue, ScoreKind.Rfm].sort());
    expect(scores.find((s) => s.kind === ScoreKind.Rfm)).toMatchObject({ value: null, band: null });
    expect(scores.find((s) => s.kind === ScoreKind.BehaviourChange)).toMatchObject({ value: null, band: 'not-enough-history' });
  });

  it('values a customer whose orders carry no margin at revenue (CLV) and does not judge their profitability, rather than taking the missing margin for zero', () => {
    const unmargined = facts({ purchases: { ...facts().purchases!, marginMinor: 0, marginedRevenueMinor: 0, marginedOrders: 0 }, windowMarginMinor: 0, windowUnmarginedRevenueMinor: 20_000 });
    const scores = scoreCustomer(unmargined, models, defaultScoringPolicy);
    const clv = scores.find((s) => s.kind === ScoreKind.Clv)!;
    const revenueClv = scoreCustomer(facts({ purchases: { ...facts().purchases!, marginMinor: 50_000 } }), models, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Clv)!;
    // A base without margin share either (these models carry none): every customer is valued at revenue alike.
    expect(clv.value).toBe(revenueClv.value);
    expect(clv.reasons.at(-1)).toBe('no order carries a margin, nor has the base a margin share (no order with revenue carries a margin): valued at revenue, as every customer is');
    expect(scores.find((s) => s.kind === ScoreKind.Profitability)).toEqual({
      kind: ScoreKind.Profitability,
      value: null,
      band: null,
      reasons: ['not judged: the orders of the last 365 days (200.00) carry no margin, nor does any earlier order'],
      modelVersion: 'profitability/12;policy=1',
      details: { suggestedTier: null },
    });
    // Without orders in the window there is no margin to miss: costs without purchases are a loss.
    const idle = scoreCustomer(facts({ purchases: { ...facts().purchases!, marginMinor: 0, marginedRevenueMinor: 0, marginedOrders: 0 }, windowMarginMinor: 0 }), models, defaultScoringPolicy);
    expect(idle.find((s) => s.kind === ScoreKind.Profitability)).toMatchObject({ value: 2_000 - 25_000, band: 'loss-making' });
    // Nor costs: nothing but the tier fee to go by, and no margin ever recorded; not called profitable for it.
    const silent = scoreCustomer(facts({ purchases: { ...facts().purchases!, marginMinor: 0, marginedRevenueMinor: 0, marginedOrders: 0 }, windowMarginMinor: 0, windowCosts: [] }), models, defaultScoringPolicy);
    expect(silent.find((s) => s.kind === ScoreKind.Profitability)).toMatchObject({
      value: null,
      band: null,
      reasons: ["not judged: none of the customer's orders carries a margin, and no cost to serve was recorded in the last 365 days"],
    });
    // A free replacement (no revenue, a negative margin) is a margin recorded: judged, a loss.
    const replaced = scoreCustomer(facts({ purchases: { ...facts().purchases!, marginMinor: -5_000, marginedRevenueMinor: 0, marginedOrders: 1 }, windowMarginMinor: -5_000, windowCosts: [] }), models, defaultScoringPolicy);
    expect(replaced.find((s) => s.kind === ScoreKind.Profitability)).toMatchObject({ value: 2_000 - 5_000, band: 'loss-making' });
    // A customer without any purchase but with costs is judged by the tier fee against them, as before.
    const noPurchase = scoreCustomer(facts({ purchases: null, ranks: undefined, windowMarginMinor: 0 }), models, defaultScoringPolicy);
    expect(noPurchase.find((s) => s.kind === ScoreKind.Profitability)).toMatchObject({ value: 2_000 - 25_000, band: 'loss-making' });
  });

  it('does not judge a customer without a purchase and without a cost on the tier fee alone, as it does not judge a buyer without margins so (QA 73 F3)', () => {
    // Standard for years, nothing bought, nothing spent on them: the 20.00 fee margin alone read "profitable".
    const idle = scoreCustomer(facts({ purchases: null, ranks: undefined, windowMarginMinor: 0, windowCosts: [] }), models, defaultScoringPolicy);
    expect(idle.find((s) => s.kind === ScoreKind.Profitability)).toEqual({
      kind: ScoreKind.Profitability,
      value: null,
      band: null,
      reasons: ['not judged: no purchase yet, and no cost to serve was recorded in the last 365 days'],
      modelVersion: 'profitability/12;policy=1',
      details: { suggestedTier: null },
    });
    // On basic (no fee margin) it read "profitable 0.00".
    const basic = scoreCustomer(facts({ serviceTier: 'basic', purchases: null, ranks: undefined, windowMarginMinor: 0, windowCosts: [] }), models, defaultScoringPolicy);
    expect(basic.find((s) => s.kind === ScoreKind.Profitability)).toMatchObject({ value: null, band: null });
  });

  it('does not count the support our product defects took against the customer, and says so', () => {
    // 120.00 margin (with the 20.00 fee margin), 250.00 of support: -130.00. The complaints marked product defect cost 250.00 to handle.
    const profit = (over: Partial<CustomerFacts>) => scoreCustomer(facts(over), models, defaultScoringPolicy, new Set([ScoreKind.Profitability]))[0];
    expect(profit({})).toMatchObject({ value: -13_000, band: 'loss-making' });
    expect(profit({ windowDefectHandlingMinor: 25_000 })).toEqual({
      kind: ScoreKind.Profitability,
      value: 12_000,
      band: 'profitable',
      reasons: [
        'margin 120.00 minus cost to serve 0.00 over the last 365 days: 120.00',
        "the margin includes the standard tier's fee margin of 20.00",
        "support for our product defects 250.00 not counted (handling the customer's complaints marked product defect cost 250.00 over the last 365 days: our own defect is not their cost to serve)",
      ],
      modelVersion: 'profitability/12;policy=1',
      details: { suggestedTier: null, feeMarginMinor: 2_000, defectSupportMinor: 25_000 },
    });
    // Only part of the support was the defect's: the rest still counts (120.00 - 150.00 = -30.00).
    expect(profit({ windowDefectHandlingMinor: 10_000 })).toMatchObject({ value: -3_000, band: 'loss-making', details: { defectSupportMinor: 10_000 } });
    // A buyer without margins whose only cost is that support is judged on nothing but the tier fee: not judged, as without costs.
    const unmargined = { purchases: { ...facts().purchases!, marginMinor: 0, marginedRevenueMinor: 0, marginedOrders: 0 }, windowMarginMinor: 0 };
    expect(profit({ ...unmargined, windowDefectHandlingMinor: 25_000 })).toMatchObject({
      value: null,
      band: null,
      reasons: ["not judged: none of the customer's orders carries a margin, and no cost to serve counted in the last 365 days (support for our product defects 250.00 not counted)"],
    });
    expect(profit(unmargined)).toMatchObject({ value: 2_000 - 25_000, band: 'loss-making' });
  });

  it("values a customer without a margin share of their own at the base's, not at revenue, so every CLV is a margin CLV (QA 80 F3)", () => {
    const withBase = { ...models, baseMarginShare: 0.25 };
    // The same history, all of it margined at 100%: the revenue CLV (margin share 1).
    const revenueClv = scoreCustomer(facts({ purchases: { ...facts().purchases!, marginMinor: 50_000 } }), withBase, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Clv)!;
    // None of the orders carries a margin: a quarter of that, at the base's 25%.
    const unmargined = facts({ purchases: { ...facts().purchases!, marginMinor: 0, marginedRevenueMinor: 0, marginedOrders: 0 }, windowMarginMinor: 0, windowUnmarginedRevenueMinor: 20_000 });
    const clv = scoreCustomer(unmargined, withBase, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Clv)!;
    expect(Math.abs(clv.value! - revenueClv.value! * 0.25)).toBeLessThanOrEqual(1); // each rounded to the cent
    expect(clv.reasons.at(-1)).toBe("no order carries a margin: valued at the base's margin share, 25% of spend");
    expect(clv.reasons).toContain('discounted at 0.8% per month, margin 25% of spend');
    // A one-off buyer whose only order was free with a margin of 0.00 (QA 80's QB-2): at the base's share, no longer at revenue,
    // so not ranked above paying customers of the same history.
    const freeOnce = facts({
      purchases: { purchaseDays: 1, firstDay: '2026-05-01', lastDay: '2026-05-01', revenueMinor: 0, marginMinor: 0, marginedRevenueMinor: 0, marginedOrders: 1, repeatSpendMinor: null, meanGapDays: null, gapSdDays: null },
    });
    const paying = facts({
      purchases: { purchaseDays: 1, firstDay: '2026-05-01', lastDay: '2026-05-01', revenueMinor: 10_000, marginMinor: 2_500, marginedRevenueMinor: 10_000, marginedOrders: 1, repeatSpendMinor: null, meanGapDays: null, gapSdDays: null },
    });
    const free = scoreCustomer(freeOnce, withBase, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Clv)!;
    const paid = scoreCustomer(paying, withBase, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Clv)!;
    expect(free.reasons.at(-1)).toBe("the orders that carry a margin had no revenue to take a margin share of: valued at the base's margin share, 25% of spend");
    expect(free.value).toBe(paid.value); // both at 25% of the same expected spend (no repeat: the base's mean)
    expect(scoreCustomer(freeOnce, models, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Clv)!.value).toBeGreaterThan(paid.value! * 3.9); // before: at revenue, 4x
    // A base whose margins come to a loss: its future margin counts as 0, said so.
    const losing = scoreCustomer(unmargined, { ...models, baseMarginShare: -0.1 }, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Clv)!;
    expect(losing.value).toBe(0);
    expect(losing.reasons.at(-1)).toBe("no order carries a margin: valued at the base's margin share, -10% of spend: its future margin counts as 0");
    // A customer with a share of their own keeps it (20% here), whatever the base's.
    const own = scoreCustomer(facts(), withBase, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Clv)!;
    expect(own.value).toBe(scoreCustomer(facts(), models, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Clv)!.value);
  });

  it("takes the base's margin share as the median of its customers' own, each within ±100%, so one account's huge loss does not zero every other customer's CLV", () => {
    // Four customers with margins of their own (10%, 20%, 30%, 40% of spend) and one whose order of 9,999,999,999,999.99
    // lost all of it: weighted by revenue, the base's share was that account's, -100%.
    const shares = [1_000, 2_000, 3_000, 4_000].map((marginMinor) => ({ marginMinor, marginedRevenueMinor: 10_000 }));
    const huge = { marginMinor: -999_999_999_999_999, marginedRevenueMinor: 999_999_999_999_999 };
    const all = [...shares, huge];
    const ratio = all.reduce((s, c) => s + c.marginMinor, 0) / all.reduce((s, c) => s + c.marginedRevenueMinor, 0);
    expect(ratio).toBeLessThan(-0.9999);
    expect(baseMarginShareOf(shares)).toBeCloseTo(0.25); // the mean of the two middle shares
    expect(baseMarginShareOf(all)).toBeCloseTo(0.2); // one place among five: the middle one, not the loss
    // A customer's share counts within ±100% however large their loss (stored before the import refused such lines) or margin.
    expect(baseMarginShareOf([{ marginMinor: -40_000, marginedRevenueMinor: 10_000 }])).toBe(-1);
    expect(baseMarginShareOf([{ marginMinor: 30_000, marginedRevenueMinor: 10_000 }])).toBe(1);
    // Customers whose orders carry no margin, or whose margined orders were free, have no share to count; none at all: null.
    expect(baseMarginShareOf([...all, { marginMinor: 0, marginedRevenueMinor: 0 }, { marginMinor: 0, marginedRevenueMinor: 0 }])).toBeCloseTo(0.2);
    expect(baseMarginShareOf([{ marginMinor: 0, marginedRevenueMinor: 0 }])).toBeNull();
    expect(baseMarginShareOf([])).toBeNull();

    // So a customer without margins keeps a CLV at the median's 20%, said so, where the ratio valued them at 0.
    const unmargined = facts({ purchases: { ...facts().purchases!, marginMinor: 0, marginedRevenueMinor: 0, marginedOrders: 0 }, windowMarginMinor: 0, windowUnmarginedRevenueMinor: 20_000 });
    const clv = (baseMarginShare: number, baseMarginShareIsMedian?: boolean) =>
      scoreCustomer(unmargined, { ...models, baseMarginShare, baseMarginShareIsMedian }, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Clv)!;
    const atMedian = clv(baseMarginShareOf(all)!, true);
    expect(atMedian.value).toBeGreaterThan(0);
    expect(atMedian.reasons.at(-1)).toBe("no order carries a margin: valued at the base's margin share (its customers' median), 20% of spend");
    expect(atMedian.modelVersion).toBe('clv/4(bgnbd/1+gamma-gamma/1)');
    // A run recorded before the median (its revenue-weighted ratio) is read as it scored, and not called a median.
    const atRatio = clv(ratio);
    expect(atRatio.value).toBe(0);
    expect(atRatio.reasons.at(-1)).toBe("no order carries a margin: valued at the base's margin share, -100% of spend: its future margin counts as 0");
  });

  it('does not judge an account the window holds nothing of (no order, no tier fee, no cost), and bands a free order break-even, not profitable (QA 80 F2)', () => {
    // Basic (no fee margin); two orders with margins in early 2024, nothing since: the window (after 2025-11-01) holds nothing.
    const old = { purchaseDays: 2, firstDay: '2024-01-01', lastDay: '2024-02-01', revenueMinor: 20_000, marginMinor: 4_000, marginedRevenueMinor: 20_000, marginedOrders: 2, repeatSpendMinor: 10_000, meanGapDays: null, gapSdDays: null };
    const silent = facts({ serviceTier: 'basic', customerSince: '2023-01-01', purchases: old, windowMarginMinor: 0, windowCosts: [] });
    expect(scoreCustomer(silent, models, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Profitability)).toEqual({
      kind: ScoreKind.Profitability,
      value: null,
      band: null,
      reasons: ['not judged: nothing in the last 365 days to judge it by: no order, no tier fee margin, no cost to serve'],
      modelVersion: 'profitability/12;policy=1',
      details: { suggestedTier: null },
    });
    // The last order on the window's first day (2025-11-02: asOf − 364) is in it: judged, 0.00 margin on it, break-even.
    const edge = facts({ serviceTier: 'basic', customerSince: '2023-01-01', purchases: { ...old, lastDay: '2025-11-02' }, windowMarginMinor: 0, windowCosts: [] });
    expect(scoreCustomer(edge, models, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Profitability)).toMatchObject({ value: 0, band: 'break-even' });
    // On the day before (2025-11-01: asOf − 365) it is out of the window, as the gathering counts it: nothing to judge.
    const before = facts({ serviceTier: 'basic', customerSince: '2023-01-01', purchases: { ...old, lastDay: '2025-11-01' }, windowMarginMinor: 0, windowCosts: [] });
    expect(scoreCustomer(before, models, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Profitability)).toMatchObject({ value: null, band: null });
    // A cost in the window speaks: 0.00 margin − 30.00 reminders, a loss.
    const dunned = facts({ ...silent, windowCosts: [{ kind: 'reminder', amountMinor: 3_000 }] });
    expect(scoreCustomer(dunned, models, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Profitability)).toMatchObject({ value: -3_000, band: 'loss-making' });
    // So does a tier fee: a standard customer silent as long pays 20.00 of fee margin, profitable as before.
    const feePaying = facts({ ...silent, serviceTier: 'standard' });
    expect(scoreCustomer(feePaying, models, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Profitability)).toMatchObject({ value: 2_000, band: 'profitable' });
    // One free order in the window (0.00, margin 0.00), basic, no cost: judged, and 0.00 is break-even, not profitable.
    const freeOrder = facts({
      serviceTier: 'basic',
      customerSince: '2023-01-01',
      purchases: { purchaseDays: 1, firstDay: '2026-05-01', lastDay: '2026-05-01', revenueMinor: 0, marginMinor: 0, marginedRevenueMinor: 0, marginedOrders: 1, repeatSpendMinor: null, meanGapDays: null, gapSdDays: null },
      windowMarginMinor: 0,
      windowCosts: [],
    });
    expect(scoreCustomer(freeOrder, models, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Profitability)).toMatchObject({
      value: 0,
      band: 'break-even',
      reasons: ['margin 0.00 minus cost to serve 0.00 over the last 365 days: 0.00'],
    });
  });

  it('tells orders of 0.00 that carry a margin of 0.00 from orders without one (QA 73 F2)', () => {
    // Two free orders, each with a recorded margin of 0.00, the second a repeat; no cost.
    const free = facts({
      asOf: '2026-12-05',
      customerSince: '2025-01-01',
      purchases: { purchaseDays: 2, firstDay: '2026-11-01', lastDay: '2026-11-20', revenueMinor: 0, marginMinor: 0, marginedRevenueMinor: 0, marginedOrders: 2, repeatSpendMinor: 0, meanGapDays: null, gapSdDays: null },
      windowMarginMinor: 0,
      windowCosts: [],
    });
    const scores = scoreCustomer(free, models, defaultScoringPolicy);
    // A margin is recorded (0.00): judged on it and the standard tier's fee margin, not "none of the customer's orders carries a margin".
    const profit = scores.find((s) => s.kind === ScoreKind.Profitability)!;
    expect(profit).toMatchObject({ value: 2_000, band: 'profitable' });
    expect(profit.reasons).toEqual(['margin 20.00 minus cost to serve 0.00 over the last 365 days: 20.00', "the margin includes the standard tier's fee margin of 20.00"]);
    // Nothing paid on the repeat purchase: a CLV of 0, not the base's mean spend; and no untrue "no order carries a margin".
    const clv = scores.find((s) => s.kind === ScoreKind.Clv)!;
    expect(clv.value).toBe(0);
    expect(clv.reasons[1]).toBe('expected spend per purchase: 0.00 (the 1 repeat purchase so far was free: nothing paid, nothing expected)');
    expect(clv.reasons.at(-1)).toBe('the orders that carry a margin had no revenue to take a margin share of, nor has the base a margin share (no order with revenue carries a margin): valued at revenue, as every customer is');
    expect(clv.reasons.some((r) => r.startsWith('no order carries a margin'))).toBe(false);
    // Window orders without a margin beside them cannot be counted at a margin share of no revenue: not judged, saying so truly.
    const unmargined = scoreCustomer({ ...free, windowUnmarginedRevenueMinor: 20_000 }, models, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Profitability)!;
    expect(unmargined).toMatchObject({
      value: null,
      band: null,
      reasons: ["not judged: the orders of the last 365 days (200.00) carry no margin, and the customer's orders that carry one had no revenue to take a margin share of"],
    });
  });

  it('says a negative margin counts as none in CLV, rather than calling it 0% of spend', () => {
    const losing = scoreCustomer(facts({ purchases: { ...facts().purchases!, marginMinor: -15_000, marginedRevenueMinor: 50_000 } }), models, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Clv)!;
    expect(losing.value).toBe(0);
    expect(losing.reasons.at(-1)).toBe("the orders' margin is -30% of spend: their future margin counts as 0");
  });

  it("counts window orders without a margin at the customer's own margin share from the orders that carry one", () => {
    // A fifth of the margined revenue is margin; 20,000 more in the window carry none: 4,000 margin estimated.
    const scores = scoreCustomer(facts({ purchases: { ...facts().purchases!, marginedRevenueMinor: 50_000 }, windowUnmarginedRevenueMinor: 20_000 }), models, defaultScoringPolicy);
    const profit = scores.find((s) => s.kind === ScoreKind.Profitability)!;
    expect(profit).toMatchObject({ value: 10_000 + 4_000 + 2_000 - 25_000, band: 'loss-making' });
    expect(profit.reasons.slice(0, 2)).toEqual([
      'margin 160.00 minus cost to serve 250.00 over the last 365 days: -90.00',
      "orders without a recorded margin (200.00) counted at the customer's own margin of 20% of spend",
    ]);
    // CLV goes by the same share: a fifth of the revenue CLV.
    const clv = scores.find((s) => s.kind === ScoreKind.Clv)!;
    const revenueClv = scoreCustomer(facts({ purchases: { ...facts().purchases!, marginMinor: 50_000 } }), models, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Clv)!;
    expect(clv.value! / revenueClv.value!).toBeCloseTo(0.2, 2);
  });

  it("values a referral by the referred customer's window margin as profitability counts it: orders without a margin at their own margin share", () => {
    // Partial: 4 orders of 100.00 with 20.00 margin and 4 of 100.00 without one, all in the window: 80.00 + 400.00 at 20% = 160.00.
    const partial = { customerId: 'r1', marginMinor: 8_000, marginedRevenueMinor: 40_000, marginedOrders: 4, windowMarginMinor: 8_000, windowUnmarginedRevenueMinor: 40_000 };
    // None of this one's orders carries a margin: nothing to count, not a guess.
    const unmargined = { customerId: 'r2', marginMinor: 0, marginedRevenueMinor: 0, marginedOrders: 0, windowMarginMinor: 0, windowUnmarginedRevenueMinor: 30_000 };
    const [referral] = scoreCustomer(facts({ referrals: [partial] }), models, defaultScoringPolicy, new Set([ScoreKind.ReferralValue]));
    expect(referral).toMatchObject({ value: 16_000, reasons: ['brought in 1 customer worth 160.00 in margin'] });
    expect(windowOrderMargin(partial)).toEqual({ marginMinor: 16_000, estimatedMinor: 8_000, share: 0.2 });
    expect(scoreCustomer(facts({ referrals: [partial, unmargined] }), models, defaultScoringPolicy, new Set([ScoreKind.ReferralValue]))[0].value).toBe(16_000);
    expect(windowOrderMargin(unmargined)).toBeNull();
  });

  it('gives CLV no value, with the reason, when the spend model fitted on the base has no finite average spend (q <= 1), and scores the rest', () => {
    const heavyTailed = { ...models, gammaGamma: { p: 7.31, q: 0.883, gamma: 25.5 } };
    const oneTimeBuyer = facts({ purchases: { ...facts().purchases!, purchaseDays: 1, lastDay: '2026-01-04', repeatSpendMinor: null, meanGapDays: null, gapSdDays: null } });
    const scores = scoreCustomer(oneTimeBuyer, heavyTailed, defaultScoringPolicy);
    expect(scores.find((s) => s.kind === ScoreKind.Clv)).toEqual({
      kind: ScoreKind.Clv,
      value: null,
      band: null,
      reasons: ['not scored: the spend model fitted on the base has no finite average spend for a customer without a repeat purchase (q = 0.88)'],
      modelVersion: 'clv/4(bgnbd/1+gamma-gamma/1)',
    });
    expect(scores.map((s) => s.kind).sort()).toEqual(Object.values(ScoreKind).sort());
    // A repeat buyer's spend is finite under the same model (p·x + q > 1).
    expect(scoreCustomer(facts(), heavyTailed, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Clv)!.value).toBeGreaterThan(0);
  });

  it("counts the tier fee margin of a customer of less than the window only for their days in it, and swaps the cheaper tier's fee for the same days", () => {
    // Premium since 73 days, no orders, support 50.00: 73/365 of the 60.00 fee margin is 12.00, not 60.00.
    const newcomer = facts({ customerSince: '2026-08-20', serviceTier: 'premium', purchases: null, ranks: undefined, windowMarginMinor: 0, windowCosts: [{ kind: 'support_minutes', amountMinor: 5_000 }] });
    const profit = scoreCustomer(newcomer, models, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Profitability)!;
    expect(profit).toMatchObject({ value: 1_200 - 5_000, band: 'too-new' });
    expect(profit.reasons.slice(0, 2)).toEqual([
      'margin 12.00 minus cost to serve 50.00 over the last 365 days: -38.00',
      "the margin includes the premium tier's fee margin of 12.00 for the 73 days as a customer",
    ]);
    // Past the 90 days, loss-making (30.27, over the 25.00 that makes a loss material): on standard, its fee for the same 120
    // days (20.00 × 120/365 = 6.58, 13.15 less than premium's 19.73) and 60% of the support: -23.42, no material loss, so
    // the customer keeps standard's service rather than basic's (-12.50).
    const later = scoreCustomer({ ...newcomer, asOf: '2026-12-18' }, models, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Profitability)!;
    expect(later).toMatchObject({ value: 1_973 - 5_000, band: 'loss-making', details: { suggestedTier: 'standard' } });
    expect(later.reasons.at(-1)).toBe('a cheaper service concept helps: standard (support minutes about 20.00 less; tier fee margin 13.15 less; projected -23.42 instead of -30.27 on premium)');
  });

  it('counts the fee margin of the tier held each day of the window, and projects other tiers from what it counted', () => {
    // Standard (20.00 a year) until premium (60.00) from 2026-10-01: of the 365 days to 2026-11-01, 333 standard and 32 premium.
    const upgraded = facts({ serviceTier: 'premium', tierChanges: [{ day: '2026-10-01', fromTier: 'standard', toTier: 'premium' }] });
    const profit = scoreCustomer(upgraded, models, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Profitability)!;
    // 2,000 × 333/365 + 6,000 × 32/365 = 1,824.7 + 526.0 = 2,351 (not premium's 6,000 for the whole year).
    expect(profit).toMatchObject({ value: 10_000 + 2_351 - 25_000, band: 'loss-making', details: { feeMarginMinor: 2_351 } });
    expect(profit.reasons[1]).toBe('the margin includes the tier fee margin of 23.51 for the tiers held: standard 333 days, premium 32 days');
    // Weighed on premium, the tier held now, for the whole window (its 60.00 of fee margin): -90.00. Basic for the whole
    // window: no fee margin; a quarter of the support cost (premium's share is 1).
    expect(profit.reasons.at(-1)).toBe('a cheaper service concept helps: basic (support minutes about 187.50 less; tier fee margin 60.00 less; projected 37.50 instead of -90.00 on premium)');
    // Scored as of a day before the move: standard all year, as it was then.
    const before = scoreCustomer({ ...upgraded, asOf: '2026-09-30' }, models, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Profitability)!;
    expect(before.details).toMatchObject({ feeMarginMinor: 2_000 });
    expect(before.reasons[1]).toBe("the margin includes the standard tier's fee margin of 20.00");
  });

  it('prorates the tier fees its cheaper-tier projection swaps to a window shorter than a year', () => {
    const policy = { ...defaultScoringPolicy, profitabilityWindowDays: 180 };
    // Premium, no order margin, support 100.00: a 180-day share of the 60.00 fee margin (29.59) against support.
    const premium = facts({ serviceTier: 'premium', windowMarginMinor: 0, windowCosts: [{ kind: 'support_minutes', amountMinor: 10_000 }] });
    const profit = scoreCustomer(premium, models, policy).find((s) => s.kind === ScoreKind.Profitability)!;
    expect(profit).toMatchObject({ value: 2_959 - 10_000, band: 'loss-making', details: { suggestedTier: 'basic' } });
    // On basic: no fee margin, a quarter of the support cost.
    expect(profit.reasons.at(-1)).toBe('a cheaper service concept helps: basic (support minutes about 75.00 less; tier fee margin 29.59 less; projected -25.00 instead of -70.41 on premium)');
  });

  it('says why a buyer has no churn risk or CLV when the base could not fit the models (QA 48 F6), and leaves out what was not asked for', () => {
    const noModels = scoreCustomer(facts(), { bgnbd: null, gammaGamma: null }, defaultScoringPolicy);
    for (const kind of [ScoreKind.ChurnRisk, ScoreKind.Clv]) {
      expect(noModels.find((s) => s.kind === kind)).toMatchObject({ value: null, band: null, reasons: [expect.stringMatching(/^not scored: the purchase model could not be fitted on the base yet/)] });
    }
    const noSpendModel = scoreCustomer(facts(), { ...models, gammaGamma: null }, defaultScoringPolicy);
    expect(noSpendModel.find((s) => s.kind === ScoreKind.ChurnRisk)!.value).not.toBeNull();
    expect(noSpendModel.find((s) => s.kind === ScoreKind.Clv)).toMatchObject({ value: null, reasons: [expect.stringMatching(/^not scored: the spend model could not be fitted/)] });
    const unranked = scoreCustomer(facts({ ranks: undefined }), models, defaultScoringPolicy, new Set([ScoreKind.Rfm, ScoreKind.PaymentLoyalty]));
    expect(unranked.map((s) => s.kind)).toEqual([ScoreKind.PaymentLoyalty]);
  });
});

describe('rankedRfm', () => {
  it('scores a buyer from rank positions exactly as scoring the whole population does', () => {
    const population = [3, 10, 10, 40, 90, 200].map((days, i) => ({ customerId: `c${i}`, recencyDays: days, frequency: (i * 7) % 5, monetary: 1000 * ((i * 3) % 4) }));
    const whole = scoreRfm(population);
    population.forEach((c, i) => {
      const pos = (values: number[], v: number, higher: boolean) => ({
        below: values.filter((w) => (higher ? w < v : w > v)).length,
        equal: values.filter((w) => w === v).length,
      });
      const at = {
        r: pos(population.map((p) => p.recencyDays), c.recencyDays, false),
        f: pos(population.map((p) => p.frequency), c.frequency, true),
        m: pos(population.map((p) => p.monetary), c.monetary, true),
      };
      expect(rankedRfm(c, at, population.length)).toEqual(whole[i]);
    });
  });
});

describe('scores from a fit that did not converge (QA 80 F1)', () => {
  const kinds = (scores: ReturnType<typeof scoreCustomer>) => Object.fromEntries(scores.map((s) => [s.kind, s]));

  it('say so on churn risk and CLV only: which model, which rescore, and the earlier converged fit they were scored with', () => {
    const converged = kinds(scoreCustomer(facts(), models, defaultScoringPolicy));
    const fellBack = kinds(scoreCustomer(facts(), { ...models, unconverged: { gammaGamma: { asOf: '2026-12-20', fallbackAsOf: '2026-12-01' } } }, defaultScoringPolicy));
    const spendNote = 'spend model (Gamma-Gamma): the fit of the rescore as of 2026-12-20 did not converge; scored with the converged fit of the rescore as of 2026-12-01';
    expect(fellBack[ScoreKind.Clv].reasons).toEqual([...converged[ScoreKind.Clv].reasons, spendNote]);
    expect(fellBack[ScoreKind.Clv].value).toBe(converged[ScoreKind.Clv].value);
    // Churn risk does not use the spend model; no other score uses either model.
    for (const kind of Object.values(ScoreKind).filter((k) => k !== ScoreKind.Clv)) expect(fellBack[kind]).toEqual(converged[kind]);
  });

  it('say the value is uncertain when no earlier fit converged, for both models', () => {
    const scores = kinds(scoreCustomer(facts(), { ...models, unconverged: { bgnbd: { asOf: '2026-12-20', fallbackAsOf: null }, gammaGamma: { asOf: '2026-12-20', fallbackAsOf: null } } }, defaultScoringPolicy));
    const purchaseNote =
      'purchase model (BG/NBD): the fit of the rescore as of 2026-12-20 did not converge, and no earlier fit did: scored with the parameters where it stopped, so the value is uncertain';
    expect(scores[ScoreKind.ChurnRisk].reasons.at(-1)).toBe(purchaseNote);
    expect(scores[ScoreKind.Clv].reasons.slice(-2)).toEqual([purchaseNote, purchaseNote.replace('purchase model (BG/NBD)', 'spend model (Gamma-Gamma)')]);
    expect(scores[ScoreKind.Rfm].reasons.join(' ')).not.toMatch(/converge/);
  });

  it('are not added where the model scored nothing (no fit at all says so itself)', () => {
    const scores = scoreCustomer(facts(), { bgnbd: models.bgnbd, gammaGamma: null, unconverged: { bgnbd: { asOf: '2026-12-20', fallbackAsOf: '2026-12-01' } } }, defaultScoringPolicy);
    const clv = scores.find((s) => s.kind === ScoreKind.Clv)!;
    expect(clv.reasons).toEqual(['not scored: the spend model could not be fitted on the base yet (too few customers have bought again, with a spend)']);
    expect(scores.find((s) => s.kind === ScoreKind.ChurnRisk)!.reasons.at(-1)).toMatch(/^purchase model \(BG\/NBD\): .*scored with the converged fit of the rescore as of 2026-12-01$/);
  });
});
