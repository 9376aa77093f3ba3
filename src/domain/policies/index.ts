import { campaignPolicy, type CampaignPolicy } from '../campaigns/campaign.js';
import { dataRetentionPolicy, type DataRetentionPolicy } from '../customers/data-retention.js';
import { defaultDeliveryPolicy, type DeliveryPolicy } from '../messages/delivery-policy.js';
import { moneyPolicy, type MoneyPolicy } from '../money.js';
import { accountReviewPolicy, type AccountReviewPolicy } from '../playbooks/account-review.js';
import { appreciationPolicy, type AppreciationPolicy } from '../playbooks/appreciation.js';
import { fairReminderPolicy, type FairReminderPolicy } from '../playbooks/fair-reminder.js';
import { fixIssuePolicy, type FixIssuePolicy } from '../playbooks/fix-issue.js';
import { triggerPolicy, type TriggerPolicy } from '../playbooks/triggers.js';
import { welcomeCheckPolicy, type WelcomeCheckPolicy } from '../playbooks/welcome-check.js';
import { defaultScoreHistoryPolicy, type ScoreHistoryPolicy } from '../scoring/score-history.js';
import { defaultRescorePolicy, defaultScoringPolicy, type RescorePolicy, type ScoringPolicy } from '../scoring/scoring-policy.js';

export { campaignPolicy, dataRetentionPolicy, defaultDeliveryPolicy, moneyPolicy, accountReviewPolicy, appreciationPolicy, fairReminderPolicy, fixIssuePolicy, triggerPolicy, welcomeCheckPolicy, defaultScoreHistoryPolicy, defaultRescorePolicy, defaultScoringPolicy };
export type { CampaignPolicy, DataRetentionPolicy, DeliveryPolicy, MoneyPolicy, AccountReviewPolicy, AppreciationPolicy, FairReminderPolicy, FixIssuePolicy, TriggerPolicy, WelcomeCheckPolicy, ScoreHistoryPolicy, RescorePolicy, ScoringPolicy };

/**
 * Every duration and threshold the platform decides by, as one object. Each policy is defined
 * beside the rule it parametrizes; this gathers them so the API and the worker are given the
 * same set (`createServices`, `createWorker`), and a policy tuned or overridden reaches every
 * entry point: a start by hand, a sweep, a campaign, a complaint, an activity.
 */
export interface Policies {
  welcomeCheck: WelcomeCheckPolicy;
  fairReminder: FairReminderPolicy;
  fixIssue: FixIssuePolicy;
  accountReview: AccountReviewPolicy;
  appreciation: AppreciationPolicy;
  campaign: CampaignPolicy;
  /** The sweep's triggers; a start by hand and a complaint's follow-up judge by the same ones. */
  triggers: TriggerPolicy;
  /** The scores, and with them what makes an issue persistent (the score's, the sweep's, a complaint's and a start by hand's rule). */
  scoring: ScoringPolicy;
  rescore: RescorePolicy;
  scoreHistory: ScoreHistoryPolicy;
  dataRetention: DataRetentionPolicy;
  /** The outbox's delivery, and the contact guard it obeys (which the contact status and the campaign preview show). */
  delivery: DeliveryPolicy;
  /** The currency of every amount (the `CURRENCY` setting takes its place). */
  money: MoneyPolicy;
}

export const defaultPolicies: Policies = {
  welcomeCheck: welcomeCheckPolicy,
  fairReminder: fairReminderPolicy,
  fixIssue: fixIssuePolicy,
  accountReview: accountReviewPolicy,
  appreciation: appreciationPolicy,
  campaign: campaignPolicy,
  triggers: triggerPolicy,
  scoring: defaultScoringPolicy,
  rescore: defaultRescorePolicy,
  scoreHistory: defaultScoreHistoryPolicy,
  dataRetention: dataRetentionPolicy,
  delivery: defaultDeliveryPolicy,
  money: moneyPolicy,
};

/** The defaults with `overrides` in place of whole policies (a test's shorter waits, a tuned deployment). */
export function policiesWith(overrides: Partial<Policies> = {}): Policies {
  return { ...defaultPolicies, ...overrides };
}
