import { scoreDistribution } from './score-distribution.js';
import { ScoreKind } from './score-kind.js';

describe('scoreDistribution', () => {
  const rows = [
    { kind: ScoreKind.ChurnRisk, band: 'high', customers: 10, valued: 10, valueSum: 7 },
    { kind: ScoreKind.ChurnRisk, band: 'low', customers: 30, valued: 30, valueSum: 3 },
    { kind: ScoreKind.BehaviourChange, band: 'not-enough-history', customers: 5, valued: 0, valueSum: 0 },
    { kind: ScoreKind.BehaviourChange, band: 'overdue', customers: 15, valued: 15, valueSum: 45 },
    { kind: ScoreKind.Clv, band: null, customers: 4, valued: 4, valueSum: 1000 },
    { kind: ScoreKind.Rfm, band: 'Champions', customers: 2, valued: 2, valueSum: 1010 },
    { kind: ScoreKind.Rfm, band: null, customers: 3, valued: 0, valueSum: 0 },
  ];
  const medians = new Map([[ScoreKind.ChurnRisk, 0.1], [ScoreKind.Clv, 200], [ScoreKind.Rfm, 505]]);
  const byKind = new Map(scoreDistribution(rows, medians).map((d) => [d.kind, d]));

  it('lists every score, every band in its own order with its share, empty ones too', () => {
    expect([...byKind.keys()]).toEqual(Object.values(ScoreKind));
    expect(byKind.get(ScoreKind.ChurnRisk)).toEqual({
      kind: ScoreKind.ChurnRisk,
      customers: 40,
      average: 0.25,
      median: 0.1,
      bands: [
        { band: 'low', customers: 30, share: 0.75 },
        { band: 'medium', customers: 0, share: 0 },
        { band: 'high', customers: 10, share: 0.25 },
      ],
      withoutBand: 0,
    });
  });

  it('counts the customers whose score has no band apart, so the bands and they add up to the customers with the score', () => {
    // RFM: 2 Champions and 3 not ranked (no purchase yet); shares are of all 5.
    const rfm = byKind.get(ScoreKind.Rfm)!;
    expect(rfm).toMatchObject({ customers: 5, withoutBand: 3 });
    expect(rfm.bands.find((b) => b.band === 'Champions')).toEqual({ band: 'Champions', customers: 2, share: 0.4 });
    for (const d of byKind.values()) expect(d.bands.reduce((sum, b) => sum + b.customers, 0) + d.withoutBand).toBe(d.customers);
  });

  it('averages only the customers with a value, and gives a score without bands none', () => {
    expect(byKind.get(ScoreKind.BehaviourChange)).toMatchObject({ customers: 20, average: 3, median: null });
    expect(byKind.get(ScoreKind.Clv)).toMatchObject({ customers: 4, average: 250, median: 200, bands: [], withoutBand: 4 });
  });

  it('gives RFM no mean or median: its values are codes (R·100 + F·10 + M), not amounts', () => {
    expect(byKind.get(ScoreKind.Rfm)).toMatchObject({ customers: 5, average: null, median: null });
  });

  it('has no values and zero shares for a score nobody has yet', () => {
    expect(byKind.get(ScoreKind.ReferralValue)).toEqual({
      kind: ScoreKind.ReferralValue,
      customers: 0,
      average: null,
      median: null,
      bands: [
        { band: 'none', customers: 0, share: 0 },
        { band: 'referrer', customers: 0, share: 0 },
        { band: 'ambassador', customers: 0, share: 0 },
      ],
      withoutBand: 0,
    });
  });
});
