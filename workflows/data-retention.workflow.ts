import { continueAsNew, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { DataRetentionActivities } from '../src/activities/data-retention.activities.js';
import type { DataRetentionPolicy } from '../src/domain/customers/data-retention.js';
import { stepRetry } from './activity-options.js';

export interface RetentionTotals {
  erased: number;
  /** Left for a later night: a playbook run was still under way for them. */
  skipped: number;
}

export interface EraseExpiredCustomerDataInput {
  policy: DataRetentionPolicy;
  /** Carried over by continue-as-new. */
  after?: string | null;
  totals?: RetentionTotals;
}

/**
 * Nightly: erases the personal data of customers who left more than the retention period
 * ago, page by page (each customer in a transaction of their own, so a crash loses nothing
 * and a retried page erases nobody twice).
 */
export async function eraseExpiredCustomerData(input: EraseExpiredCustomerDataInput): Promise<RetentionTotals> {
  const { policy } = input;
  const { eraseExpiredCustomers } = proxyActivities<DataRetentionActivities>({
    startToCloseTimeout: policy.pageTimeoutSeconds * 1000,
    retry: stepRetry,
  });
  const totals = input.totals ?? { erased: 0, skipped: 0 };
  let after = input.after ?? null;
  for (let pages = 0; ; pages++) {
    if (pages >= policy.pagesPerExecution) return continueAsNew<typeof eraseExpiredCustomerData>({ policy, after, totals });
    const page = await eraseExpiredCustomers({ after, policy });
    totals.erased += page.erased;
    totals.skipped += page.skipped;
    setCurrentDetails(`Erased ${totals.erased} customers who left more than ${policy.eraseOffboardedAfterDays} days ago; ${totals.skipped} left for later (a playbook still runs)`);
    if (page.last === null) return totals;
    after = page.last;
  }
}
