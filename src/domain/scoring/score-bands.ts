import { LOYALTY_BANDS } from '../guards/fairness.js';
import { BEHAVIOUR_CHANGE_BANDS } from './behaviour-change.js';
import { CHURN_RISK_BANDS } from './bgnbd.js';
import { PERSISTENT_ISSUE_BANDS } from './persistent-issue.js';
import { PROFITABILITY_BANDS } from './profitability.js';
import { REFERRAL_BANDS } from './referral-value.js';
import { RFM_SEGMENTS } from './rfm.js';
import { ScoreKind, scoreKindName } from './score-kind.js';
import { echoedList } from '../text.js';

/** The bands each score can take (what the customers filter accepts); CLV is a value without bands. */
export const SCORE_BANDS: Readonly<Record<ScoreKind, readonly string[]>> = {
  [ScoreKind.Rfm]: RFM_SEGMENTS,
  [ScoreKind.ChurnRisk]: CHURN_RISK_BANDS,
  [ScoreKind.Clv]: [],
  [ScoreKind.Profitability]: PROFITABILITY_BANDS,
  [ScoreKind.PaymentLoyalty]: LOYALTY_BANDS,
  [ScoreKind.BehaviourChange]: BEHAVIOUR_CHANGE_BANDS,
  [ScoreKind.ReferralValue]: REFERRAL_BANDS,
  [ScoreKind.PersistentIssue]: PERSISTENT_ISSUE_BANDS,
};

/** Why these bands cannot be bands of the score (a score without bands, or a misspelt band), or null when they can. */
export function bandsProblem(kind: ScoreKind, bands: readonly string[]): string | null {
  const known = SCORE_BANDS[kind];
  if (known.length === 0) return `${scoreKindName(kind)} has no bands`;
  const unknown = bands.filter((band) => !known.includes(band));
  return unknown.length ? `Unknown ${scoreKindName(kind)} band ${echoedList(unknown)}; one of: ${known.join(', ')}` : null;
}

/** What is wrong with a move between a score's bands (the field and why), or null: the score must have bands, and `from` and `to` be some of them. */
export function bandMoveProblem(move: { kind: ScoreKind; from?: readonly string[] | null; to?: readonly string[] | null }): { field: 'kind' | 'from' | 'to'; message: string } | null {
  const noBands = bandsProblem(move.kind, []);
  if (noBands) return { field: 'kind', message: noBands };
  for (const field of ['from', 'to'] as const) {
    const problem = bandsProblem(move.kind, move[field] ?? []);
    if (problem) return { field, message: problem };
  }
  return null;
}

/** The values a bounded score can take: a filter bound outside them is a mistake (a percent for a probability), not "nobody". */
export const SCORE_VALUE_RANGES: Readonly<Partial<Record<ScoreKind, { min: number; max: number; unit: string }>>> = {
  [ScoreKind.ChurnRisk]: { min: 0, max: 1, unit: 'a risk (a probability for a repeat buyer)' },
  [ScoreKind.PaymentLoyalty]: { min: 0, max: 1, unit: 'the share of invoices paid on time' },
  [ScoreKind.Rfm]: { min: 111, max: 555, unit: 'the RFM code R×100 + F×10 + M' },
};

/** Why `value` cannot bound the score's value (outside the range it takes), or null. */
export function valueBoundProblem(kind: ScoreKind, value: number): string | null {
  const range = SCORE_VALUE_RANGES[kind];
  return range && (value < range.min || value > range.max) ? `${scoreKindName(kind)} is ${range.unit}, from ${range.min} to ${range.max} (got ${value})` : null;
}
