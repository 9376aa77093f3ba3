import type { BehaviourChangePolicy } from './behaviour-change.js';
import { defaultBehaviourChangePolicy } from './behaviour-change.js';
import { defaultChurnRiskPolicy, type ChurnRiskPolicy } from './bgnbd.js';
import { defaultConcentrationPolicy, type ConcentrationPolicy } from './concentration.js';
import { defaultPaymentLoyaltyPolicy, type PaymentLoyaltyPolicy } from './payment-loyalty.js';
import { defaultPersistentIssuePolicy, type PersistentIssuePolicy } from './persistent-issue.js';
import { defaultLossMaterialityPolicy, defaultServiceTierPolicy, type LossMaterialityPolicy, type ServiceTierPolicy } from './profitability.js';
import { defaultReferralPolicy, type ReferralPolicy } from './referral-value.js';

/**
 * Every window, horizon and threshold the customer scores use, versioned as one
 * object: a scoring run records it, so a score can always be traced to its rules.
 */
export interface ScoringPolicy {
  version: number;
  /**
   * The purchase models are fitted on at most this many buyers: beyond it on a sample drawn by customer ID (the same
   * in every run over the same customers). `npm run scores -- fit` fits every customer of its file and says when a
   * rescore would sample (`rescoreWouldSample`).
   */
  fitSampleSize: number;
  /** Profitability and referral value look back this many days (margin, cost to serve). */
  profitabilityWindowDays: number;
  /** A loss is not judged in a customer's first days (profitability band `too-new`): no account review for a newcomer. */
  profitabilityMinTenureDays: number;
  /** How large a loss must be to make an account loss-making (smaller: band `break-even`); an account review judges by it too. */
  profitabilityLoss: LossMaterialityPolicy;
  /** CLV: months ahead, and the yearly rate future purchases are discounted by. */
  clv: { months: number; annualDiscountRate: number };
  churnRisk: ChurnRiskPolicy;
  behaviourChange: BehaviourChangePolicy;
  paymentLoyalty: PaymentLoyaltyPolicy;
  persistentIssue: PersistentIssuePolicy;
  referral: ReferralPolicy;
  serviceTiers: ServiceTierPolicy;
  /** The base's revenue concentration report: the top share from which its band is high or medium. */
  concentration: ConcentrationPolicy;
}

/**
 * 3: payment loyalty policy 2 (the loyal band by the recent record, one slip forgiven).
 * 4: churn risk policy 3 (thresholds of its own without a repeat purchase); fits on up to 50,000 buyers, not 10,000. On
 *    the CDNOW master and sample together (25,927 buyers) a 10,000 sample moved the spend model's gamma by 14% and a
 *    by 6% from the fit on all, and 265 repeat buyers' churn band. Measured (both models, one worker core): 50,000
 *    buyers 2.4 s on CDNOW-like histories, 4.6 s on a synthetic base with hardly any drop-out like the demo's, where
 *    10,000 took 0.7 s and 1.1 s (100,000: 4 s and 11 s): some seconds more per nightly rescore of a large base, far
 *    inside `fitTimeoutSeconds`.
 * 5: a loss under the larger of 25.00 and 5% of the margin over the window is not loss-making (`profitabilityLoss`).
 */
export const defaultScoringPolicy: ScoringPolicy = {
  version: 5,
  fitSampleSize: 50_000,
  profitabilityWindowDays: 365,
  profitabilityMinTenureDays: 90,
  profitabilityLoss: defaultLossMaterialityPolicy,
  clv: { months: 12, annualDiscountRate: 0.1 },
  churnRisk: defaultChurnRiskPolicy,
  behaviourChange: defaultBehaviourChangePolicy,
  paymentLoyalty: defaultPaymentLoyaltyPolicy,
  persistentIssue: defaultPersistentIssuePolicy,
  referral: defaultReferralPolicy,
  serviceTiers: defaultServiceTierPolicy,
  concentration: defaultConcentrationPolicy,
};

/** How the rescore workflow walks the base. */
export interface RescorePolicy {
  version: number;
  /** Customers scored per activity call. */
  pageSize: number;
  /** Pages scored at the same time. */
  pageConcurrency: number;
  /** Pages per workflow execution before it continues as new (keeps the history short for any base size). */
  pagesPerExecution: number;
  /** How long one page may take before it is retried (on another worker, if this one died). */
  pageTimeoutSeconds: number;
  /** How long gathering the aggregates or fitting the models may take (one statement over all orders). */
  gatherTimeoutSeconds: number;
  /**
   * Gathering reports every few seconds while its statements run; one silent for this long
   * has lost its worker and starts again on another (instead of after the whole gather timeout).
   */
  gatherHeartbeatSeconds: number;
  /** A page reports while it works too: one silent for this long has lost its worker and is scored again on another (instead of after its page timeout). */
  pageHeartbeatSeconds: number;
  /**
   * How long fitting the models may take: one stretch of CPU in the worker that cannot report while it runs (up to about 5 s
   * for any base, its buyers sampled to the scoring policy's `fitSampleSize`), so a fit whose worker died is fitted again on another after this,
   * not after the gather timeout, which held the nightly rescore and the playbooks waiting on its bands for 30 minutes.
   * (Runs started before the policy had it take the gather timeout.)
   */
  fitTimeoutSeconds?: number;
}

export const defaultRescorePolicy: RescorePolicy = {
  version: 5,
  pageSize: 2000,
  pageConcurrency: 2,
  pagesPerExecution: 200,
  pageTimeoutSeconds: 120,
  gatherTimeoutSeconds: 1800,
  gatherHeartbeatSeconds: 30,
  pageHeartbeatSeconds: 30,
  fitTimeoutSeconds: 300,
};
