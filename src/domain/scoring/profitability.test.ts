import { asOnTierHeldNow, costOnTier, defaultServiceTierPolicy, isMaterialLoss, materialLossFromMinor, profitability, recentCostReason, withoutDefectSupport, type ServiceTierPolicy } from './profitability.js';
import { ScoringException } from './scoring.exception.js';

const policy: ServiceTierPolicy = {
  version: 4,
  tiers: [
    { tier: 'premium', level: 3, annualFeeMarginMinor: 6_000, annualFeeMinor: 12_000, costShares: { support_minutes: 1, discount: 1 } },
    { tier: 'standard', level: 2, annualFeeMarginMinor: 2_000, annualFeeMinor: 6_000, costShares: { support_minutes: 0.6, discount: 0.5 } },
    { tier: 'basic', level: 1, annualFeeMarginMinor: 0, annualFeeMinor: 0, costShares: { support_minutes: 0.25, discount: 0.25 } },
  ],
};

describe('profitability', () => {
  it('is margin minus cost to serve, with cost drivers ranked by amount and their shares', () => {
    const s = profitability(
      {
        marginMinor: 50_000,
        costs: [
          { kind: 'reminder', amountMinor: 1_000 },
          { kind: 'support_minutes', amountMinor: 12_000 },
          { kind: 'return', amountMinor: 4_000 },
          { kind: 'support_minutes', amountMinor: 3_000 },
        ],
        currentTier: 'standard',
      },
      policy,
    );
    expect(s.value).toBe(30_000);
    expect(s.band).toBe('profitable');
    expect(s.costMinor).toBe(20_000);
    expect(s.drivers).toEqual([
      { kind: 'support_minutes', amountMinor: 15_000, share: 0.75 },
      { kind: 'return', amountMinor: 4_000, share: 0.2 },
      { kind: 'reminder', amountMinor: 1_000, share: 0.05 },
    ]);
    expect(s.suggestion).toBeNull();
    expect(s.reasons).toEqual([
      'margin 500.00 minus cost to serve 200.00 over the last 12 months: 300.00',
      'cost drivers: support minutes 150.00 (75%), return 40.00 (20%), reminder 10.00 (5%)',
    ]);
    expect(s.modelVersion).toBe('profitability/12;policy=4');
  });

  it('suggests the richest cheaper tier that breaks even, with the reasoning', () => {
    // premium: margin 300 (incl. 60 tier fee margin), support 400, discount 100 → -200
    const s = profitability(
      { marginMinor: 30_000, costs: [{ kind: 'support_minutes', amountMinor: 40_000 }, { kind: 'discount', amountMinor: 10_000 }], currentTier: 'premium', currency: 'EUR' },
      policy,
    );
    expect(s.value).toBe(-20_000);
    expect(s.band).toBe('loss-making');
    // standard: 300 - 60 + 20 = 260 margin; support 240, discount 50 → -30: still a material loss. basic: 240 margin; support 100, discount 25 → +115
    expect(s.suggestion).toEqual({
      tier: 'basic',
      projectedValueMinor: 11_500,
      improvementMinor: 31_500,
      reasoning: ['support minutes about EUR 300.00 less', 'discount about EUR 75.00 less', 'tier fee margin EUR 60.00 less', 'projected EUR 115.00 instead of EUR -200.00 on premium'],
    });
    expect(s.reasons[3]).toMatch(/^a cheaper service concept helps: basic \(support minutes about EUR 300.00 less; /);
  });

  it('prefers the smallest step down when it already breaks even', () => {
    const s = profitability({ marginMinor: 30_000, costs: [{ kind: 'support_minutes', amountMinor: 33_000 }], currentTier: 'premium' }, policy);
    expect(s.value).toBe(-3_000);
    // standard: 300 - 60 + 20 = 260 - 198 = +62 → standard, although basic would be better (240 - 82.50 = +157.50)
    expect(s.suggestion?.tier).toBe('standard');
    expect(s.suggestion?.projectedValueMinor).toBe(6_200);
  });

  it('says how much of a loss-making account\'s cost is discounts the company gave, and what it comes to without them', () => {
    // Premium: margin 86.68, support 44.84, discounts 22.42, returns 22.42: -3.00 would be immaterial; at 150.00 of support, -108.16.
    const costs = [
      { kind: 'support_minutes', amountMinor: 15_000 },
      { kind: 'discount', amountMinor: 2_242 },
      { kind: 'return', amountMinor: 2_242 },
    ];
    const s = profitability({ marginMinor: 8_668, costs, currentTier: 'premium' }, policy);
    expect(s).toMatchObject({ value: -10_816, band: 'loss-making' });
    expect(s.reasons).toContain('discounts we gave 22.42 of the cost (12%): without them the account would still lose 85.74');
    const mostlyDiscounts = profitability({ marginMinor: 8_668, costs: [{ kind: 'discount', amountMinor: 12_000 }], currentTier: 'basic' }, policy);
    expect(mostlyDiscounts.reasons).toContain('discounts we gave 120.00 of the cost (100%): without them the account would come to 86.68');
    // Said only of a loss to review: none for a profitable account, nor without discounts.
    expect(profitability({ marginMinor: 50_000, costs, currentTier: 'premium' }, policy).reasons.some((r) => r.startsWith('discounts we gave'))).toBe(false);
    expect(profitability({ marginMinor: 0, costs: [costs[0]], currentTier: 'premium' }, policy).reasons.some((r) => r.startsWith('discounts we gave'))).toBe(false);
  });

  it('suggests the richest cheaper tier that leaves no material loss: standard at -20.00 rather than basic at +100.00', () => {
    // Premium: margin 200.00 (incl. 60.00 fee margin), support 400.00 → -200.00; standard 200 - 60 + 20 - 240 = -80.00 (material);
    // with 260.00 of margin: standard 260 - 40 - 240 = -20.00, under the 25.00 that makes a loss.
    const s = profitability({ marginMinor: 26_000, costs: [{ kind: 'support_minutes', amountMinor: 40_000 }], currentTier: 'premium' }, policy);
    expect(s.suggestion).toMatchObject({ tier: 'standard', projectedValueMinor: -2_000 });
    expect(profitability({ marginMinor: 20_000, costs: [{ kind: 'support_minutes', amountMinor: 40_000 }], currentTier: 'premium' }, policy).suggestion?.tier).toBe('basic');
  });

  it('offers no tier when no cheaper concept helps, or when already on the cheapest one', () => {
    const returns = profitability({ marginMinor: 1_000, costs: [{ kind: 'return', amountMinor: 50_000 }], currentTier: 'premium' }, policy);
    expect(returns.value).toBe(-49_000);
    expect(returns.suggestion).toBeNull(); // returns cost the same on every tier, and the fee margin is lost
    expect(returns.reasons[returns.reasons.length - 1]).toBe('no other service concept turns this around: an account review talks it through with the customer');
    const onStandard = profitability({ marginMinor: 1_000, costs: [{ kind: 'return', amountMinor: 50_000 }], currentTier: 'standard' }, policy);
    // Premium's fee margin would take 40.00 off the loss: named with its projection.
    expect(onStandard.reasons.at(-1)).toBe('no cheaper service concept turns this around: an offer that moves the account to a richer one may (on premium it is projected at -450.00; an account review weighs them)');
    // On basic with support as well as returns, a richer tier would cost more support than its fee margin brings: nothing to offer.
    const basicReturns = profitability({ marginMinor: 5_000, costs: [{ kind: 'return', amountMinor: 10_000 }, { kind: 'support_minutes', amountMinor: 3_000 }], currentTier: 'basic' }, policy);
    expect(basicReturns.projections.map((p) => [p.tier, p.projectedValueMinor])).toEqual([['premium', -11_000], ['standard', -10_200]]);
    expect(basicReturns.value).toBe(-8_000);
    expect(basicReturns.reasons.at(-1)).toBe('no other service concept turns this around: an account review talks it through with the customer');
    const basic = profitability({ marginMinor: 0, costs: [{ kind: 'support_minutes', amountMinor: 100 }], currentTier: 'basic' }, policy);
    expect(basic.suggestion).toBeNull();
  });

  it('projects a loss on every other tier, richer ones too, with that tier\'s fee over the window (what an account review weighs an offer by); a profit on none', () => {
    // Half a year with us on basic, losing on returns (every tier takes them alike): richer tiers add their fee margin's half.
    const loss = profitability({ marginMinor: 1_000, costs: [{ kind: 'return', amountMinor: 5_000 }], currentTier: 'basic', feeShare: 0.5 }, defaultServiceTierPolicy);
    expect(loss.projections.map(({ tier, projectedValueMinor, feeMinor }) => ({ tier, projectedValueMinor, feeMinor }))).toEqual([
      { tier: 'premium', projectedValueMinor: -1_000, feeMinor: 6_000 },
      { tier: 'standard', projectedValueMinor: -3_000, feeMinor: 3_000 },
    ]);
    expect(profitability({ marginMinor: 9_000, costs: [{ kind: 'return', amountMinor: 5_000 }], currentTier: 'basic' }, defaultServiceTierPolicy).projections).toEqual([]);
  });

  it('handles a customer without costs or margin and all-zero amounts', () => {
    const s = profitability({ marginMinor: 0, costs: [], currentTier: 'basic' }, defaultServiceTierPolicy);
    expect(s).toMatchObject({ value: 0, band: 'break-even', costMinor: 0, drivers: [], suggestion: null });
    expect(s.reasons).toEqual(['margin 0.00 minus cost to serve 0.00 over the last 12 months: 0.00']);
    const zero = profitability({ marginMinor: 0, costs: [{ kind: 'reminder', amountMinor: 0 }], currentTier: 'basic' }, defaultServiceTierPolicy);
    expect(zero.drivers).toEqual([{ kind: 'reminder', amountMinor: 0, share: 0 }]);
  });

  it('bands an account that earns exactly what it costs break-even: profitable needs more than 0, loss-making less (QA 80 F2)', () => {
    // 25.00 margin, 25.00 of support: 0.00 made, nothing lost; no suggestion, as for a loss.
    const even = profitability({ marginMinor: 2_500, costs: [{ kind: 'support_minutes', amountMinor: 2_500 }], currentTier: 'standard' }, policy);
    expect(even).toMatchObject({ value: 0, band: 'break-even', suggestion: null });
    expect(even.reasons[0]).toBe('margin 25.00 minus cost to serve 25.00 over the last 12 months: 0.00');
    expect(profitability({ marginMinor: 2_501, costs: [{ kind: 'support_minutes', amountMinor: 2_500 }], currentTier: 'standard' }, policy).band).toBe('profitable');
    // A loss of 0.01 is break-even too (under the 25.00 that makes a loss material); a loss of 25.00 is loss-making.
    expect(profitability({ marginMinor: 2_499, costs: [{ kind: 'support_minutes', amountMinor: 2_500 }], currentTier: 'standard' }, policy)).toMatchObject({ value: -1, band: 'break-even' });
    expect(profitability({ marginMinor: 0, costs: [{ kind: 'support_minutes', amountMinor: 2_500 }], currentTier: 'standard' }, policy).band).toBe('loss-making');
    // A newcomer at 0.00 is break-even too: too-new holds back a loss only.
    expect(profitability({ marginMinor: 0, costs: [], currentTier: 'basic', tenureDays: 3, minTenureDays: 90 }, policy).band).toBe('break-even');
  });

  it('refuses an unknown tier and non-finite amounts', () => {
    expect(() => profitability({ marginMinor: 0, costs: [], currentTier: 'gold' }, policy)).toThrow(ScoringException);
    expect(() => profitability({ marginMinor: NaN, costs: [], currentTier: 'basic' }, policy)).toThrow(ScoringException);
    expect(() => profitability({ marginMinor: 0, costs: [{ kind: 'x', amountMinor: Infinity }], currentTier: 'basic' }, policy)).toThrow(ScoringException);
    // A loss projected onto other tiers from a cost incurred on a tier the policy does not know.
    expect(() => profitability({ marginMinor: 0, costs: [{ kind: 'support_minutes', amountMinor: 10_000, tier: 'gold' }], currentTier: 'basic' }, policy)).toThrow(ScoringException);
  });

  describe('a loss too small to be material', () => {
    // A loyal premium payer: margin 86.68; support 44.84, discount 22.42, return 22.42 = 89.68 of costs → -3.00.
    const loyal = {
      marginMinor: 8_668,
      costs: [
        { kind: 'support_minutes', amountMinor: 4_484 },
        { kind: 'discount', amountMinor: 2_242 },
        { kind: 'return', amountMinor: 2_242 },
      ],
      currentTier: 'premium',
      windowLabel: 'the last 365 days',
      tenureDays: 800,
      minTenureDays: 90,
    };
    const withCosts = (totalMinor: number) => ({ ...loyal, costs: [{ kind: 'support_minutes', amountMinor: totalMinor }] });

    it('is break-even, its value the true loss, the reasons saying why; no suggestion or projections, as for no loss', () => {
      const s = profitability(loyal, policy);
      expect(s).toMatchObject({ value: -300, band: 'break-even', suggestion: null, projections: [] });
      expect(s.reasons).toEqual([
        'margin 86.68 minus cost to serve 89.68 over the last 365 days: -3.00',
        'cost drivers: support minutes 44.84 (50%), discount 22.42 (25%), return 22.42 (25%)',
        'a loss of 3.00 over the last 365 days, under the 25.00 that makes an account loss-making: break-even, not a loss to review',
      ]);
    });

    it('is loss-making from the policy\'s 25.00 on, for an account whose 5% of margin is less (4.33 of 86.68)', () => {
      // 86.68 - 111.67 = -24.99: under 25.00 (though over 5% of the margin); 86.68 - 111.68 = -25.00: loss-making.
      expect(profitability(withCosts(11_167), policy)).toMatchObject({ value: -2_499, band: 'break-even' });
      const over = profitability(withCosts(11_168), policy);
      expect(over).toMatchObject({ value: -2_500, band: 'loss-making' });
      expect(over.reasons.at(-1)).toMatch(/^no cheaper service concept|^a cheaper service concept helps/);
      expect(over.projections.length).toBe(2);
    });

    it('is judged against 5% of the margin where that is more than 25.00: 50.00 of a margin of 1,000.00', () => {
      const large = { ...loyal, marginMinor: 100_000 };
      // -40.00: over 25.00 but under 50.00 → break-even; -50.00 → loss-making.
      const under = profitability({ ...large, costs: [{ kind: 'support_minutes', amountMinor: 104_000 }] }, policy);
      expect(under).toMatchObject({ value: -4_000, band: 'break-even' });
      expect(under.reasons.at(-1)).toBe('a loss of 40.00 over the last 365 days, under the 50.00 (5% of its margin 1,000.00) that makes an account loss-making: break-even, not a loss to review');
      expect(profitability({ ...large, costs: [{ kind: 'support_minutes', amountMinor: 104_999 }] }, policy)).toMatchObject({ value: -4_999, band: 'break-even' });
      expect(profitability({ ...large, costs: [{ kind: 'support_minutes', amountMinor: 105_000 }] }, policy)).toMatchObject({ value: -5_000, band: 'loss-making' });
      // A negative margin (free replacements) gives no share: 25.00 then.
      expect(profitability({ ...loyal, marginMinor: -1_000, costs: [{ kind: 'return', amountMinor: 1_400 }] }, policy)).toMatchObject({ value: -2_400, band: 'break-even' });
      expect(profitability({ ...loyal, marginMinor: -1_000, costs: [{ kind: 'return', amountMinor: 1_500 }] }, policy)).toMatchObject({ value: -2_500, band: 'loss-making' });
    });

    it("follows the policy given: with none, any loss is loss-making", () => {
      expect(profitability({ ...loyal, materiality: { version: 9, materialLossMinor: 0, materialLossMarginShare: 0 } }, policy)).toMatchObject({ value: -300, band: 'loss-making' });
      expect(profitability({ ...loyal, materiality: { version: 9, materialLossMinor: 300, materialLossMarginShare: 0 } }, policy).band).toBe('loss-making');
      expect(profitability({ ...loyal, materiality: { version: 9, materialLossMinor: 301, materialLossMarginShare: 0 } }, policy).band).toBe('break-even');
      expect(materialLossFromMinor(100_000)).toBe(5_000);
      expect(isMaterialLoss(-2_500, 8_668)).toBe(true);
      expect(isMaterialLoss(-2_499, 8_668)).toBe(false);
      expect(isMaterialLoss(0, 0)).toBe(false);
    });

    it("leaves a newcomer's loss too-new, small or not", () => {
      expect(profitability({ ...loyal, tenureDays: 10 }, policy)).toMatchObject({ value: -300, band: 'too-new' });
      expect(profitability({ ...withCosts(20_000), tenureDays: 10 }, policy)).toMatchObject({ value: -11_332, band: 'too-new' });
    });
  });

  it('does not judge a newcomer on a loss: too new, no suggestion, until the policy\'s days have passed', () => {
    const input = { marginMinor: 0, costs: [{ kind: 'support_minutes', amountMinor: 2_565 }], currentTier: 'premium', minTenureDays: 90 };
    const newcomer = profitability({ ...input, tenureDays: 1 }, policy);
    expect(newcomer.value).toBe(-2_565);
    expect(newcomer.band).toBe('too-new');
    expect(newcomer.suggestion).toBeNull();
    expect(newcomer.reasons.at(-1)).toBe('a customer for 1 day only: what getting started costs is not judged before 90 days');
    expect(profitability({ ...input, tenureDays: 89 }, policy).band).toBe('too-new');
    const settled = profitability({ ...input, tenureDays: 90 }, policy);
    expect(settled.band).toBe('loss-making');
    expect(settled.reasons.at(-1)).toBe('no other service concept turns this around: an account review talks it through with the customer');
    // A profitable newcomer is simply profitable; without a tenure, nothing is held back.
    expect(profitability({ ...input, marginMinor: 5_000, tenureDays: 1 }, policy).band).toBe('profitable');
    expect(profitability({ marginMinor: 0, costs: input.costs, currentTier: 'premium' }, policy).band).toBe('loss-making');
  });

  it("counts costs incurred on one tier as another incurs them, as a suggestion's projection does (an account review after a move to a cheaper tier)", () => {
    const costs = [
      { kind: 'support_minutes', amountMinor: 30_000 },
      { kind: 'return', amountMinor: 5_000 },
    ];
    // A quarter of the support; a kind the tiers do not list costs the same on each.
    expect(costOnTier(costs, 'premium', 'basic', policy)).toBe(7_500 + 5_000);
    expect(costOnTier(costs, 'premium', 'premium', policy)).toBe(35_000);
    // Agrees with the projection the proposal of that tier named.
    const suggested = profitability({ marginMinor: 16_000, costs, currentTier: 'premium' }, policy).suggestion!;
    expect(suggested).toMatchObject({ tier: 'basic', projectedValueMinor: 16_000 - 6_000 - costOnTier(costs, 'premium', 'basic', policy) });
    expect(() => costOnTier(costs, 'gold', 'basic', policy)).toThrow(ScoringException);
  });

  it('projects each cost from the tier held when it was incurred: support given on standard, before a move to premium, at standard\'s share', () => {
    // Premium now; 300.00 of support from before, on standard (share 0.6), 100.00 since, on premium.
    const costs = [
      { kind: 'support_minutes', amountMinor: 30_000, tier: 'standard' },
      { kind: 'support_minutes', amountMinor: 10_000 },
    ];
    const s = profitability({ marginMinor: 20_000, costs, currentTier: 'premium', currency: 'EUR' }, policy);
    expect(s).toMatchObject({ value: -20_000, costMinor: 40_000, drivers: [{ kind: 'support_minutes', amountMinor: 40_000, share: 1 }] });
    // On basic (a quarter of full support): 300.00 × 0.25/0.6 = 125.00 and 100.00 × 0.25 = 25.00, not 400.00 × 0.25 = 100.00.
    const basic = s.projections.find((p) => p.tier === 'basic')!;
    expect(basic.projectedValueMinor).toBe(20_000 - 6_000 - 12_500 - 2_500);
    // Weighed against premium for the whole window (the support given on standard at premium's share, 500.00): -400.00.
    expect(basic.reasoning).toEqual(['support minutes about EUR 450.00 less', 'tier fee margin EUR 60.00 less', 'projected EUR -10.00 instead of EUR -400.00 on premium']);
    // On standard the support given there costs what it did: only premium's is scaled.
    expect(s.projections.find((p) => p.tier === 'standard')!.projectedValueMinor).toBe(20_000 - 6_000 + 2_000 - 30_000 - 6_000);
  });
});

describe('a loss run up on a tier the customer has left', () => {
  // Basic now, since a move from premium: 400.00 of support and 40.00 of discounts given on premium, 30.00 of fee margin
  // counted for the half year on premium, margin 250.00 in all: -190.00 over the window.
  const moved = {
    marginMinor: 25_000,
    feeMarginMinor: 3_000,
    costs: [
      { kind: 'support_minutes', amountMinor: 40_000, tier: 'premium' },
      { kind: 'discount', amountMinor: 4_000, tier: 'premium' },
    ],
    currentTier: 'basic',
    currency: 'EUR',
  };

  it('is no loss to review when the tier held now serves the window at no material loss, and no richer tier is suggested', () => {
    const s = profitability(moved, policy);
    // On basic for the whole window: 250.00 - 30.00 fee margin - 100.00 support - 10.00 discounts = 110.00.
    expect(s).toMatchObject({ value: -19_000, band: 'break-even', suggestion: null, projections: [] });
    expect(s.reasons.at(-1)).toBe(
      'a loss of EUR 190.00 over the last 12 months that the service held before (premium) ran up: on basic, the tier held now, the same window comes to EUR 110.00 (support minutes about EUR 300.00 less; discount about EUR 30.00 less; tier fee margin EUR 30.00 less): not a loss to review',
    );
    expect(s.modelVersion).toBe('profitability/12;policy=4');
  });

  it('stays loss-making when the tier held now loses money on the window too, and is judged so only by costs from another tier', () => {
    // Returns cost every tier alike: on basic the window still loses 250.00 - 30.00 - 100.00 - 10.00 - 300.00 = -190.00.
    const still = profitability({ ...moved, costs: [...moved.costs, { kind: 'return', amountMinor: 30_000, tier: 'premium' }] }, policy);
    expect(still).toMatchObject({ value: -49_000, band: 'loss-making' });
    // Judged on basic (-190.00), the tier held now, richer tiers would lose more (standard -320.00, premium -460.00): the
    // mixed window's -490.00 made them look better.
    // The discounts are named as basic would have given them (a quarter of premium's 40.00), against its -190.00.
    expect(still.reasons.slice(-3)).toEqual([
      'on basic, the tier held now, the same window comes to EUR -190.00 (support minutes about EUR 300.00 less; discount about EUR 30.00 less; tier fee margin EUR 30.00 less): other tiers are weighed against that',
      'discounts we gave EUR 10.00 of the cost on basic (2%): without them the account would still lose EUR 180.00',
      'no other service concept turns this around: an account review talks it through with the customer',
    ]);
    // The same figures all incurred on basic are the window's own judgement.
    const onBasic = profitability({ ...moved, costs: moved.costs.map(({ kind, amountMinor }) => ({ kind, amountMinor })) }, policy);
    expect(onBasic.band).toBe('loss-making');
    // Weighed against the margin on the tier held now: a loss there under 25.00 is not material.
    const small = profitability({ ...moved, marginMinor: 12_000 + 3_000 }, policy);
    expect(small.value).toBe(-29_000);
    expect(small.band).toBe('break-even'); // on basic: 150.00 - 30.00 - 110.00 = 10.00
  });

  it('judges on the tier held now a window whose only trace of the other tier is its fee margin (no cost incurred there)', () => {
    // Premium since a move from basic, no cost before it: 40.00 of support on premium, margin 10.00 with 1.00 of premium's fee
    // margin for the days since. On premium all year (60.00 of fee margin): 10.00 - 1.00 + 60.00 - 40.00 = 29.00.
    const input = { marginMinor: 1_000, feeMarginMinor: 100, costs: [{ kind: 'support_minutes', amountMinor: 4_000 }], currentTier: 'premium' };
    expect(profitability(input, policy).band).toBe('loss-making');
    const s = profitability({ ...input, otherTiersHeld: true }, policy);
    expect(s).toMatchObject({ value: -3_000, band: 'break-even', suggestion: null });
    expect(s.reasons.at(-1)).toBe('a loss of 30.00 over the last 12 months on the tiers held in it: on premium, the tier held now, the same window comes to 29.00 (tier fee margin 59.00 more): not a loss to review');
  });

  it('restates the window as on the tier held now, the one basis an account review judges an accepted move by too', () => {
    // Basic now: premium's support and discounts at basic's shares (100.00, 10.00), no fee margin on basic in place of
    // the 30.00 counted; 50.00 of the support was our product defect's and is left out first (premium's rest at a quarter).
    const restated = asOnTierHeldNow({ ...moved, costs: [...moved.costs, { kind: 'support_minutes', amountMinor: 333 }], defectHandlingMinor: 5_000 }, policy);
    expect(restated).toMatchObject({ marginMinor: 22_000, feeMarginMinor: 0, defectHandlingMinor: 0, otherTiersHeld: false, currentTier: 'basic' });
    // The defect's share comes off each support entry in proportion (4_959 of premium's, 41 of basic's), each cost rounded.
    expect(restated.costs).toEqual([
      { kind: 'support_minutes', amountMinor: 8_760 },
      { kind: 'discount', amountMinor: 1_000 },
      { kind: 'support_minutes', amountMinor: 292 },
    ]);
    // Judged on it, the score's own basis: 220.00 - 100.52 = 119.48.
    expect(profitability(restated, policy)).toMatchObject({ value: 11_948, band: 'profitable' });
    // On a richer tier held now at an offer's discount off its fee (20.00 of premium's 60.00 fee margin for half a year).
    const up = asOnTierHeldNow({ marginMinor: 20_000, feeMarginMinor: 1_000, costs: [{ kind: 'support_minutes', amountMinor: 6_000, tier: 'standard' }], currentTier: 'premium', feeShare: 0.5 }, policy, 2_000);
    expect(up).toMatchObject({ marginMinor: 20_000 - 1_000 + 3_000 - 2_000, feeMarginMinor: 1_000, costs: [{ kind: 'support_minutes', amountMinor: 10_000 }] });
  });

  it('lifts no loss a richer tier held now would have made worse', () => {
    // Premium now, after standard: support given on standard would have cost more on premium.
    const up = profitability({ marginMinor: 20_000, costs: [{ kind: 'support_minutes', amountMinor: 30_000, tier: 'standard' }], currentTier: 'premium' }, policy);
    expect(up.band).toBe('loss-making');
  });
});

describe('support for our product defects', () => {
  const defectNote = (leftOut: string, handling: string, more = '') =>
    `support for our product defects ${leftOut} not counted (handling the customer's complaints marked product defect cost ${handling} over the last 12 months${more}: our own defect is not their cost to serve)`;

  it('is not counted against the customer: a loyal account whose only loss is the support our defect took stays profitable', () => {
    // Basic, margin 220.30; 300.00 of support booked for the complaint about our firmware, whose handling cost 300.00.
    const input = { marginMinor: 22_030, costs: [{ kind: 'support_minutes', amountMinor: 30_000 }], currentTier: 'basic' };
    // Before: 220.30 - 300.00 = -79.70, loss-making.
    expect(profitability(input, policy)).toMatchObject({ value: -7_970, band: 'loss-making', defectSupportMinor: 0 });
    const s = profitability({ ...input, defectHandlingMinor: 30_000 }, policy);
    expect(s).toMatchObject({ value: 22_030, band: 'profitable', costMinor: 0, defectSupportMinor: 30_000, drivers: [], suggestion: null, projections: [] });
    expect(s.reasons).toEqual(['margin 220.30 minus cost to serve 0.00 over the last 12 months: 220.30', defectNote('300.00', '300.00')]);
    expect(s.modelVersion).toBe('profitability/12;policy=4');
  });

  it('counts the support beyond the handling cost, and projects other tiers from what is counted', () => {
    // Standard: margin 300.00 (incl. 20.00 fee margin); support 400.00, of which 100.00 handled our defect; returns 50.00.
    const s = profitability(
      { marginMinor: 30_000, costs: [{ kind: 'support_minutes', amountMinor: 40_000 }, { kind: 'return', amountMinor: 5_000 }], currentTier: 'standard', defectHandlingMinor: 10_000 },
      policy,
    );
    // 300.00 - (300.00 + 50.00) = -50.00: still a loss, on the support that was not our defect's.
    expect(s).toMatchObject({ value: -5_000, band: 'loss-making', costMinor: 35_000, defectSupportMinor: 10_000 });
    expect(s.drivers).toEqual([
      { kind: 'support_minutes', amountMinor: 30_000, share: 30_000 / 35_000 },
      { kind: 'return', amountMinor: 5_000, share: 5_000 / 35_000 },
    ]);
    expect(s.reasons.slice(0, 3)).toEqual([
      'margin 300.00 minus cost to serve 350.00 over the last 12 months: -50.00',
      defectNote('100.00', '100.00'),
      'cost drivers: support minutes 300.00 (86%), return 50.00 (14%)',
    ]);
    // On basic: 300.00 - 20.00 fee margin; support 300.00 × 0.25/0.6 = 125.00 (not 400.00's 166.67); returns 50.00 → 105.00.
    expect(s.suggestion).toEqual({
      tier: 'basic',
      projectedValueMinor: 10_500,
      improvementMinor: 15_500,
      reasoning: ['support minutes about 175.00 less', 'tier fee margin 20.00 less', 'projected 105.00 instead of -50.00 on standard'],
    });
  });

  it('leaves out no more than the support booked, and says the handling cost more', () => {
    const s = profitability({ marginMinor: 5_000, costs: [{ kind: 'support_minutes', amountMinor: 10_000 }, { kind: 'discount', amountMinor: 2_000 }], currentTier: 'premium', defectHandlingMinor: 50_000 }, policy);
    // The discount is no support: 50.00 - 20.00 = 30.00.
    expect(s).toMatchObject({ value: 3_000, band: 'profitable', costMinor: 2_000, defectSupportMinor: 10_000 });
    expect(s.reasons[1]).toBe(defectNote('100.00', '500.00', ', more than all support booked'));
  });

  it('leaves other cost kinds as they are: without support booked nothing is left out, and nothing said', () => {
    const s = profitability({ marginMinor: 1_000, costs: [{ kind: 'return', amountMinor: 4_000 }], currentTier: 'basic', defectHandlingMinor: 30_000 }, policy);
    expect(s).toMatchObject({ value: -3_000, band: 'loss-making', defectSupportMinor: 0 });
    expect(s.reasons.join(' ')).not.toMatch(/product defect/);
  });

  it('takes what it leaves out from the support of each tier held in proportion, exactly to the cent', () => {
    const costs = [
      { kind: 'support_minutes', amountMinor: 10_000, tier: 'standard' },
      { kind: 'return', amountMinor: 5_000 },
      { kind: 'support_minutes', amountMinor: 30_000, tier: 'premium' },
    ];
    // 200.00 of 400.00: half of each, 150.00 of premium's and 50.00 of standard's; the return untouched, the order kept.
    expect(withoutDefectSupport(costs, 20_000)).toEqual({
      costs: [
        { kind: 'support_minutes', amountMinor: 5_000, tier: 'standard' },
        { kind: 'return', amountMinor: 5_000 },
        { kind: 'support_minutes', amountMinor: 15_000, tier: 'premium' },
      ],
      leftOutMinor: 20_000,
    });
    // Three entries of 0.01 and 0.02 to leave out: the shares are whole cents adding up to it (an entry left out whole is dropped).
    const cents = withoutDefectSupport(
      [
        { kind: 'support_minutes', amountMinor: 1, tier: 'a' },
        { kind: 'support_minutes', amountMinor: 1, tier: 'b' },
        { kind: 'support_minutes', amountMinor: 1, tier: 'c' },
      ],
      2,
    );
    expect(cents.leftOutMinor).toBe(2);
    expect(cents.costs.reduce((sum, c) => sum + c.amountMinor, 0)).toBe(1);
    expect(cents.costs.every((c) => c.amountMinor === 1)).toBe(true);
    // All of it, none, and a negative or missing handling cost: nothing is taken that was not booked.
    expect(withoutDefectSupport(costs, 90_000)).toEqual({ costs: [{ kind: 'return', amountMinor: 5_000 }], leftOutMinor: 40_000 });
    expect(withoutDefectSupport(costs, 0)).toEqual({ costs, leftOutMinor: 0 });
    expect(withoutDefectSupport(costs, -5_000)).toEqual({ costs, leftOutMinor: 0 });
    expect(() => withoutDefectSupport(costs, Number.NaN)).toThrow(ScoringException);
  });
});

describe('when the cost to serve of a loss arose', () => {
  // Basic, margin 240.00 over the window; support 450.00 (three months of 150.00).
  const loss = (costs: { kind: string; amountMinor: number; recentMinor?: number }[], more: { tenureDays?: number; daysWithUsInWindow?: number; defectHandlingMinor?: number; marginMinor?: number } = {}) =>
    profitability({ marginMinor: 24_000, currentTier: 'basic', costs, tenureDays: 3_200, minTenureDays: 90, ...more }, policy);

  it("says how much of it fell in the window's last 90 days when that is at least half, at three times the pace before or more: a recent rise, not the account's usual cost", () => {
    const s = loss([{ kind: 'support_minutes', amountMinor: 45_000, recentMinor: 45_000 }]);
    expect(s).toMatchObject({ value: -21_000, band: 'loss-making' });
    expect(s.reasons.slice(0, 3)).toEqual([
      'margin 240.00 minus cost to serve 450.00 over the last 12 months: -210.00',
      'cost drivers: support minutes 450.00 (100%)',
      "450.00 of the 450.00 cost to serve (100%) in the last 90 days, none in the 275 days with us before them: a recent rise, not the account's usual cost",
    ]);
    expect(s.modelVersion).toBe('profitability/12;policy=4');
    // Summed over the kinds; exactly half is said (over a full year: 200.00 in 90 days against 200.00 in 275).
    expect(loss([{ kind: 'support_minutes', amountMinor: 30_000, recentMinor: 20_000 }, { kind: 'return', amountMinor: 10_000, recentMinor: 0 }]).reasons).toContain(
      "200.00 of the 400.00 cost to serve (50%) in the last 90 days, 3.0 times the pace of the 275 days with us before them: a recent rise, not the account's usual cost",
    );
  });

  it('says nothing of it when less than half fell in the last 90 days, for a profit, for a customer with us under 180 days, or when the costs do not say', () => {
    const saysWhen = (reasons: string[]) => reasons.some((r) => r.includes('in the last 90 days'));
    expect(saysWhen(loss([{ kind: 'support_minutes', amountMinor: 45_000, recentMinor: 22_499 }]).reasons)).toBe(false);
    expect(saysWhen(loss([{ kind: 'support_minutes', amountMinor: 45_000, recentMinor: 45_000 }], { marginMinor: 50_000 }).reasons)).toBe(false);
    expect(saysWhen(loss([{ kind: 'support_minutes', amountMinor: 45_000, recentMinor: 45_000 }], { tenureDays: 179 }).reasons)).toBe(false);
    expect(saysWhen(loss([{ kind: 'support_minutes', amountMinor: 45_000, recentMinor: 45_000 }], { tenureDays: 180 }).reasons)).toBe(true);
    expect(saysWhen(loss([{ kind: 'support_minutes', amountMinor: 45_000 }]).reasons)).toBe(false);
  });

  it("sets the last 90 days against the customer's days with us in the window: a steady cost over 185 days is no rise, a spike is", () => {
    const saysWhen = (reasons: string[]) => reasons.filter((r) => r.includes('in the last 90 days'));
    // 10.00 of support every week since they joined 185 days ago: 140.00 of 280.00 in the last 90 days, about half, as
    // the last 90 days are about half of their 185 days with us: their usual pace, not a rise.
    const steady = loss([{ kind: 'support_minutes', amountMinor: 28_000, recentMinor: 14_000 }], { tenureDays: 185 });
    expect(steady).toMatchObject({ value: -4_000, band: 'loss-making' });
    expect(saysWhen(steady.reasons)).toEqual([]);
    // The same weekly cost before the last 90 days (130.00), and 400.00 more in them: 530.00 in 90 days against 130.00 in 95.
    const spike = loss([{ kind: 'support_minutes', amountMinor: 66_000, recentMinor: 53_000 }], { tenureDays: 185 });
    expect(saysWhen(spike.reasons)).toEqual([
      "530.00 of the 660.00 cost to serve (80%) in the last 90 days, 4.3 times the pace of the 95 days with us before them: a recent rise, not the account's usual cost",
    ]);
    // 70% of a 185-day customer's cost in the last 90 days is not yet three times the pace of the 95 before
    // (196.00 × 95 < 3 × 84.00 × 90); a full-year customer's half already is.
    expect(saysWhen(loss([{ kind: 'support_minutes', amountMinor: 28_000, recentMinor: 19_600 }], { tenureDays: 185 }).reasons)).toEqual([]);
    expect(saysWhen(loss([{ kind: 'support_minutes', amountMinor: 28_000, recentMinor: 14_000 }], { tenureDays: 400 }).reasons)).toHaveLength(1);
    // The days with us in the window as the caller counts them (a window of 365 days), over the tenure.
    expect(saysWhen(loss([{ kind: 'support_minutes', amountMinor: 28_000, recentMinor: 14_000 }], { tenureDays: 3_200, daysWithUsInWindow: 185 }).reasons)).toEqual([]);
    // An account under 90 days: too new to judge, and all of its time with us is recent whatever the policy's minimum.
    expect(saysWhen(loss([{ kind: 'support_minutes', amountMinor: 45_000, recentMinor: 45_000 }], { tenureDays: 60 }).reasons)).toEqual([]);
    expect(saysWhen(profitability({ marginMinor: 0, currentTier: 'basic', costs: [{ kind: 'support_minutes', amountMinor: 45_000, recentMinor: 45_000 }], tenureDays: 60, minTenureDays: 0 }, policy).reasons)).toEqual([]);
    expect(recentCostReason([{ kind: 'support_minutes', amountMinor: 45_000, recentMinor: 45_000 }], 45_000, 60)).toBeNull();
  });

  it('weighs the cost counted: the support our product defects took is left out of the recent part alike', () => {
    // 450.00 of support, 300.00 of it recent; 150.00 handled our defect: 300.00 counted, 200.00 of it recent.
    const s = loss([{ kind: 'support_minutes', amountMinor: 45_000, recentMinor: 30_000 }], { defectHandlingMinor: 15_000 });
    expect(s.costMinor).toBe(30_000);
    expect(s.reasons).toContain("200.00 of the 300.00 cost to serve (67%) in the last 90 days, 6.1 times the pace of the 275 days with us before them: a recent rise, not the account's usual cost");
    expect(withoutDefectSupport([{ kind: 'support_minutes', amountMinor: 45_000, recentMinor: 30_000 }], 15_000).costs).toEqual([{ kind: 'support_minutes', amountMinor: 30_000, recentMinor: 20_000 }]);
  });
});
