/**
 * Personal data is kept no longer than needed (GDPR Art. 5(1)(e), storage limitation): a
 * customer who left is erased once the retention period after offboarding has passed (by
 * default three years, the general limitation period for claims). Their orders, invoices
 * and scores stay under the ID, as with an erasure on request.
 */
export interface DataRetentionPolicy {
  version: number;
  /** Days after offboarding until the customer's personal data is erased. */
  eraseOffboardedAfterDays: number;
  /** Customers erased per activity call, and calls per workflow execution before it continues as new. */
  pageSize: number;
  pagesPerExecution: number;
  /** How long one page may take before it is tried again. */
  pageTimeoutSeconds: number;
}

export const dataRetentionPolicy: DataRetentionPolicy = {
  version: 1,
  eraseOffboardedAfterDays: 3 * 365,
  pageSize: 100,
  pagesPerExecution: 100,
  pageTimeoutSeconds: 600,
};

/** The erasure's recorded reason. */
export function retentionReason(policy: DataRetentionPolicy): string {
  return `retention period: offboarded more than ${policy.eraseOffboardedAfterDays} days ago (policy v${policy.version})`;
}
