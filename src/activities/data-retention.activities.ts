import type { DataRetentionPolicy } from '../domain/customers/data-retention.js';
import type { RetentionPage } from '../services/customers/customer-erasure.service.js';
import type { WorkerServices } from '../services/index.js';

/** The retention sweep's step: erase one page of customers whose retention period has passed. */
export function createDataRetentionActivities(services: () => WorkerServices) {
  return {
    eraseExpiredCustomers(input: { after: string | null; policy: DataRetentionPolicy }): Promise<RetentionPage> {
      return services().erasure.eraseExpired(input);
    },
  };
}

export type DataRetentionActivities = ReturnType<typeof createDataRetentionActivities>;
