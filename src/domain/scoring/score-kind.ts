/** The scores the platform keeps per customer (one snapshot row per score, time and model version). */
export enum ScoreKind {
  Rfm = 'rfm',
  ChurnRisk = 'churn-risk',
  Clv = 'clv',
  Profitability = 'profitability',
  PaymentLoyalty = 'payment-loyalty',
  BehaviourChange = 'behaviour-change',
  ReferralValue = 'referral-value',
  PersistentIssue = 'persistent-issue',
}
