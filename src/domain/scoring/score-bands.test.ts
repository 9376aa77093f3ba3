import { bandMoveProblem, bandsProblem } from './score-bands.js';
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
