import { ScoreKind } from '../scoring/score-kind.js';
import { fixIssueBands, fixIssueSeverities, triggerPolicy } from './triggers.js';

const { fixIssue } = triggerPolicy;

it('starts a fix by itself for a customer at risk, valuable or drifting by buying, a loyal payer, or buying later than usual: the bands the sweep looks for, by score', () => {
  expect(fixIssueBands(fixIssue)).toEqual([
    { kind: ScoreKind.ChurnRisk, bands: ['medium', 'high'] },
    // Valuable segments, then the drifting ones: customers who bought regularly and lately less, at risk though of no great value yet.
    { kind: ScoreKind.Rfm, bands: ['Champions', 'Loyal', 'Potential loyalist', 'At risk', "Can't lose them", 'Need attention', 'About to sleep'] },
    // Paid every invoice on time for years, buying less lately and at low churn risk: complaints are the signal BG/NBD cannot see yet.
    { kind: ScoreKind.PaymentLoyalty, bands: ['loyal'] },
    // Buying less often than their own rhythm: at risk by their behaviour, however new (BG/NBD's band often stays low for them).
    { kind: ScoreKind.BehaviourChange, bands: ['later-than-usual', 'overdue'] },
  ]);
});

it('starts a fix by itself, whatever the scores, for a persistent topic with a high or critical complaint: the customer said it is serious', () => {
  expect(fixIssueSeverities(fixIssue)).toEqual(['high', 'critical']);
});

it('counts only what a sweep started before counted: its stored policy has no loyalty, drift, behaviour or severity', () => {
  const before = { riskBands: fixIssue.riskBands, valuableSegments: fixIssue.valuableSegments };
  expect(fixIssueBands(before)).toEqual([
    { kind: ScoreKind.ChurnRisk, bands: ['medium', 'high'] },
    { kind: ScoreKind.Rfm, bands: ['Champions', 'Loyal', 'Potential loyalist', 'At risk', "Can't lose them"] },
    { kind: ScoreKind.PaymentLoyalty, bands: [] },
    { kind: ScoreKind.BehaviourChange, bands: [] },
  ]);
  expect(fixIssueSeverities(before)).toEqual([]);
});
