import { bandMoveProblem, bandsProblem, valueBoundProblem } from './score-bands.js';
import { ScoreKind } from './score-kind.js';

describe('score bands', () => {
  it('knows each score\'s bands and names the ones that do not exist', () => {
    expect(bandsProblem(ScoreKind.ChurnRisk, ['low', 'high'])).toBeNull();
    expect(bandsProblem(ScoreKind.ChurnRisk, ['High', 'hgih'])).toBe('Unknown ChurnRisk band "High", "hgih"; one of: low, medium, high');
    expect(bandsProblem(ScoreKind.Clv, [])).toBe('Clv has no bands');
  });

  it('says which part of a band move is wrong', () => {
    expect(bandMoveProblem({ kind: ScoreKind.PaymentLoyalty, from: ['loyal'], to: null })).toBeNull();
    expect(bandMoveProblem({ kind: ScoreKind.Clv, to: ['high'] })).toEqual({ field: 'kind', message: 'Clv has no bands' });
    expect(bandMoveProblem({ kind: ScoreKind.ChurnRisk, from: ['low'], to: ['severe'] })).toMatchObject({ field: 'to' });
    expect(bandMoveProblem({ kind: ScoreKind.ChurnRisk, from: ['lwo'] })).toMatchObject({ field: 'from' });
  });
});

describe('bounds on a score value (QA 48 F7)', () => {
  it('refuses a bound outside what a bounded score takes, and bounds no unbounded one', () => {
    expect(valueBoundProblem(ScoreKind.ChurnRisk, 5)).toBe('ChurnRisk is a risk (a probability for a repeat buyer), from 0 to 1 (got 5)');
    expect(valueBoundProblem(ScoreKind.ChurnRisk, 0.5)).toBeNull();
    expect(valueBoundProblem(ScoreKind.Rfm, 600)).toMatch(/^Rfm is the RFM code R×100 \+ F×10 \+ M, from 111 to 555/);
    expect(valueBoundProblem(ScoreKind.Rfm, 111)).toBeNull();
    expect(valueBoundProblem(ScoreKind.PaymentLoyalty, -0.1)).not.toBeNull();
    expect(valueBoundProblem(ScoreKind.Clv, -1_000_000)).toBeNull();
    expect(valueBoundProblem(ScoreKind.Profitability, -5)).toBeNull();
  });
});
