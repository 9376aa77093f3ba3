/** Where a customer's tier change came from: a proposal they accepted in an account review, or the company's records (an import). */
export enum TierChangeSource {
  AccountReview = 'account-review',
  Import = 'import',
}
