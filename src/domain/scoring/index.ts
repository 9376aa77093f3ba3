/**
 * Scoring models: pure functions on plain data (no I/O, no clock: "today" is
 * always an argument), each score with its reasons and model version. See
 * README.md in this folder for the conventions.
 */
export * from './score.js';
export * from './scoring.exception.js';
export * from './rfm.js';
export * from './bgnbd.js';
export * from './gamma-gamma.js';
export * from './clv.js';
export * from './summarize-transactions.js';
export * from './behaviour-change.js';
export * from './profitability.js';
export * from './payment-loyalty.js';
export * from './referral-value.js';
export * from './persistent-issue.js';
export * from './concentration.js';
export { nelderMead, type NelderMeadOptions, type NelderMeadResult } from './optimize.js';
export { lgamma, lbeta, hyp2f1 } from './special-functions.js';
export * from './score-kind.js';
export * from './scoring-policy.js';
export * from './score-history.js';
export * from './customer-scores.js';
