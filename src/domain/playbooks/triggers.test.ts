import { ScoreKind } from '../scoring/score-kind.js';
import { fixIssueStartsFor, triggerPolicy } from './triggers.js';

const { fixIssue } = triggerPolicy;

it('starts a fix by itself for a customer at risk, valuable by buying, or a loyal payer', () => {
  expect(fixIssueStartsFor({ [ScoreKind.ChurnRisk]: 'high' }, fixIssue)).toBe(true);
  expect(fixIssueStartsFor({ [ScoreKind.ChurnRisk]: 'low', [ScoreKind.Rfm]: 'Champions' }, fixIssue)).toBe(true);
  // Paid every invoice on time for years, buying less lately and at low churn risk: five complaints are the signal BG/NBD cannot see yet.
  expect(fixIssueStartsFor({ [ScoreKind.ChurnRisk]: 'low', [ScoreKind.Rfm]: 'Hibernating', [ScoreKind.PaymentLoyalty]: 'loyal' }, fixIssue)).toBe(true);
});

it('leaves the others to a person: not at risk, not valuable, not a loyal payer, or not scored', () => {
  expect(fixIssueStartsFor({ [ScoreKind.ChurnRisk]: 'low', [ScoreKind.Rfm]: 'Hibernating', [ScoreKind.PaymentLoyalty]: 'regular' }, fixIssue)).toBe(false);
  expect(fixIssueStartsFor({ [ScoreKind.PaymentLoyalty]: 'at-risk' }, fixIssue)).toBe(false);
  expect(fixIssueStartsFor({ [ScoreKind.ChurnRisk]: null, [ScoreKind.PaymentLoyalty]: null }, fixIssue)).toBe(false);
  expect(fixIssueStartsFor({}, fixIssue)).toBe(false);
  // A sweep started before loyalty counted goes by its own policy: risk and RFM only.
  expect(fixIssueStartsFor({ [ScoreKind.PaymentLoyalty]: 'loyal' }, { riskBands: fixIssue.riskBands, valuableSegments: fixIssue.valuableSegments })).toBe(false);
});
