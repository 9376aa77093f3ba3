/** The scores the platform keeps per customer (a snapshot holds them by kind, each with its model version). */
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

/** The kind as clients name it (the enum's key, e.g. PaymentLoyalty), for messages to them. */
export const scoreKindName = (kind: ScoreKind): string => Object.entries(ScoreKind).find(([, value]) => value === kind)?.[0] ?? kind;
