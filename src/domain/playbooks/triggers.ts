import { ScoreKind } from '../scoring/score-kind.js';

/**
 * When playbooks start by themselves. The trigger sweep runs on a schedule, after the
 * nightly rescore, and starts the matching playbook for every customer a trigger finds;
 * run IDs say what they are for, so a customer is never enrolled twice for one trigger.
 */
export interface TriggerPolicy {
  version: number;
  /** An invoice this many days past its due day, still unpaid, starts fair reminders. */
  minDaysOverdue: number;
  /**
   * The sweep leaves alone an invoice more than this many days past its due day: one that old
   * (a billing history imported, written off or with collections long ago) is no reminder's to
   * chase, and a customer must not be dunned for it out of the blue. A person may still start
   * its reminders by hand. (Sweeps started before the bound chase every overdue invoice.) The sweep's bound only: the invoice
   * is still owed, and holds a thank-you back as any overdue one does.
   */
  maxDaysOverdue?: number;
  /**
   * A persistent issue starts the fix-issue playbook for a customer who is at risk or valuable:
   * by churn risk, by buying (RFM segment) or by paying (payment-loyalty band: a loyal payer who
   * complains again and again is about to leave before their buying shows it). At risk is also
   * what the customer's own behaviour says before the churn model does: buying later than their
   * own rhythm (`behaviourBands`, behaviour change), or drifting by buying (`driftingSegments`, RFM
   * segments of customers who bought regularly and lately less: not valuable, at risk), and what
   * they say themselves: a persistent topic with a complaint of one of `severities` among those
   * counted starts its fix whatever the scores. (Sweeps started before loyalty counted have no
   * `loyaltyBands`; before behaviour, drift and severity counted, none of those three.)
   */
  fixIssue: { riskBands: string[]; valuableSegments: string[]; loyaltyBands?: string[]; driftingSegments?: string[]; behaviourBands?: string[]; severities?: string[] };
  /** A loss-making account (profitability band) starts an account review, unless one ran within the cooldown. */
  accountReviewCooldownDays: number;
  /** Candidates per activity call, and calls per workflow execution before it continues as new. */
  pageSize: number;
  pagesPerExecution: number;
  /**
   * A page's starts report the worker alive this often at most apart (in seconds): a page whose worker died is
   * started again elsewhere after this silence, not after the page's 5 minutes, its other candidates waiting.
   * (Sweeps started before it have none.)
   */
  startPageHeartbeatSeconds?: number;
}

export const triggerPolicy: TriggerPolicy = {
  version: 4,
  minDaysOverdue: 1,
  maxDaysOverdue: 90,
  fixIssue: {
    riskBands: ['medium', 'high'],
    valuableSegments: ['Champions', 'Loyal', 'Potential loyalist', 'At risk', "Can't lose them"],
    loyaltyBands: ['loyal'],
    // A newcomer or an average customer who has gone quiet is in no valuable segment and, on a base the churn model fits
    // loosely, at low churn risk: complaining about the same thing again is when they are most likely to leave.
    driftingSegments: ['Need attention', 'About to sleep'],
    behaviourBands: ['later-than-usual', 'overdue'],
    // "Fourth wrong invoice, I will cancel": a customer who says it is serious is at risk by their own word.
    severities: ['high', 'critical'],
  },
  accountReviewCooldownDays: 180,
  startPageHeartbeatSeconds: 30,
  pageSize: 200,
  pagesPerExecution: 100,
};

/** The triggers the sweep checks, in this order. */
export type TriggerKind = 'overdue-invoice' | 'persistent-issue' | 'loss-making' | 'silent-loyal';
export const triggerKinds: TriggerKind[] = ['overdue-invoice', 'persistent-issue', 'loss-making', 'silent-loyal'];

/**
 * The score bands that make a persistent issue's fix start by itself (the sweep, a complaint's
 * follow-up): any one of them, by its score kind. The SQL of the sweep is built from this list.
 */
export function fixIssueBands(policy: TriggerPolicy['fixIssue']): { kind: ScoreKind; bands: string[] }[] {
  return [
    { kind: ScoreKind.ChurnRisk, bands: policy.riskBands },
    { kind: ScoreKind.Rfm, bands: [...policy.valuableSegments, ...(policy.driftingSegments ?? [])] },
    { kind: ScoreKind.PaymentLoyalty, bands: policy.loyaltyBands ?? [] },
    { kind: ScoreKind.BehaviourChange, bands: policy.behaviourBands ?? [] },
  ];
}

/**
 * The complaint severities (as stored: low, medium, high, critical) that make a persistent issue's
 * fix start by itself whatever the customer's scores, when a complaint of the topic counted toward
 * the issue has one of them. None for a sweep started before severity counted.
 */
export function fixIssueSeverities(policy: TriggerPolicy['fixIssue']): string[] {
  return policy.severities ?? [];
}
