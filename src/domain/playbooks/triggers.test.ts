import { ScoreKind } from '../scoring/score-kind.js';
import { fixIssueBands, triggerPolicy } from './triggers.js';

const { fixIssue } = triggerPolicy;

it('starts a fix by itself for a customer at risk, valuable by buying, or a loyal payer: the bands the sweep looks for, by score', () => {
  expect(fixIssueBands(fixIssue)).toEqual([
    { kind: ScoreKind.ChurnRisk, bands: ['medium', 'high'] },
    { kind: ScoreKind.Rfm, bands: ['Champions', 'Loyal', 'Potential loyalist', 'At risk', "Can't lose them"] },
    // Paid every invoice on time for years, buying less lately and at low churn risk: complaints are the signal BG/NBD cannot see yet.
    { kind: ScoreKind.PaymentLoyalty, bands: ['loyal'] },
  ]);
});

it('counts no payment-loyalty band for a sweep started before loyalty counted: risk and RFM only', () => {
  const before = fixIssueBands({ riskBands: fixIssue.riskBands, valuableSegments: fixIssue.valuableSegments });
  expect(before.find((b) => b.kind === ScoreKind.PaymentLoyalty)).toEqual({ kind: ScoreKind.PaymentLoyalty, bands: [] });
});
