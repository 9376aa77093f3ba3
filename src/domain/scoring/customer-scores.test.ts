import { purchaseSummary, scoreCustomer, type CustomerFacts } from './customer-scores.js';
import { rankedRfm, scoreRfm } from './rfm.js';
import { SCORE_BANDS } from './score-bands.js';
import { ScoreKind } from './score-kind.js';
import { defaultScoringPolicy } from './scoring-policy.js';

const models = { bgnbd: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, gammaGamma: { p: 6.25, q: 3.74, gamma: 15.44 } };

const facts = (over: Partial<CustomerFacts> = {}): CustomerFacts => ({
  customerId: 'c1',
  asOf: '2026-11-01',
  customerSince: '2024-01-01',
  serviceTier: 'standard',
  purchases: {
    purchaseDays: 5,
    firstDay: '2026-01-04',
    lastDay: '2026-09-06',
    revenueMinor: 50_000,
    marginMinor: 10_000,
    repeatSpendMinor: 9_000,
    meanGapDays: 61,
    gapSdDays: 5,
  },
  ranks: { r: { below: 5, equal: 1 }, f: { below: 8, equal: 1 }, m: { below: 9, equal: 1 }, buyers: 10 },
  windowMarginMinor: 10_000,
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
    expect(Number.isInteger(clv.value)).toBe(true);
    // Margin is a fifth of revenue: the margin CLV is a fifth of the revenue CLV.
    expect(clv.value! / revenueClv.value!).toBeCloseTo(0.2, 2);
    const profit = scores.find((s) => s.kind === ScoreKind.Profitability)!;
    // 10,000 margin + 2,000 standard-tier fee margin - 25,000 support.
    expect(profit).toMatchObject({ value: -13_000, band: 'loss-making' });
    // The same account two months after joining: too new to be judged (no account review for a newcomer).
    const newcomer = scoreCustomer(facts({ customerSince: '2026-09-01' }), models, defaultScoringPolicy).find((s) => s.kind === ScoreKind.Profitability)!;
    expect(newcomer).toMatchObject({ value: -13_000, band: 'too-new', details: { suggestedTier: null } });
    expect(newcomer.reasons.at(-1)).toBe('a customer for 61 days only: what getting started costs is not judged before 90 days');
  });

  it('scores a customer without purchases only where no purchase is needed', () => {
    const scores = scoreCustomer(facts({ purchases: null, ranks: undefined }), models, defaultScoringPolicy);
    expect(scores.map((s) => s.kind).sort()).toEqual([ScoreKind.BehaviourChange, ScoreKind.PaymentLoyalty, ScoreKind.PersistentIssue, ScoreKind.Profitability, ScoreKind.ReferralValue, ScoreKind.Rfm].sort());
    expect(scores.find((s) => s.kind === ScoreKind.Rfm)).toMatchObject({ value: 0, band: null });
    expect(scores.find((s) => s.kind === ScoreKind.BehaviourChange)).toMatchObject({ value: null, band: 'not-enough-history' });
  });

  it('leaves out what the models cannot give, and what was not asked for', () => {
    const noModels = scoreCustomer(facts(), { bgnbd: null, gammaGamma: null }, defaultScoringPolicy).map((s) => s.kind);
    expect(noModels).not.toContain(ScoreKind.ChurnRisk);
    expect(noModels).not.toContain(ScoreKind.Clv);
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
