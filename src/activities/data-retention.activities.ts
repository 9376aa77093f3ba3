import { log } from '@temporalio/activity';
import type { DataRetentionPolicy } from '../domain/customers/data-retention.js';
import type { RetentionPage } from '../services/customers/customer-erasure.service.js';
import type { WorkerServices } from '../services/index.js';

/** The retention sweep's step: erase one page of customers whose retention period has passed. */
export function createDataRetentionActivities(services: () => WorkerServices) {
  return {
    async eraseExpiredCustomers(input: { after: string | null; policy: DataRetentionPolicy }): Promise<Omit<RetentionPage, 'held'>> {
      const { held, ...page } = await services().erasure.eraseExpired(input);
      // Kept past their retention period: whoever watches the worker learns who, and which runs to cancel or wait for
      // (operationsStatus.customersPastRetention counts them). The workflow's history keeps the counts only.
      if (held.length > 0) {
        log.warn(
          `retention sweep: ${held.length} customer(s) past the retention period (offboarded more than ${input.policy.eraseOffboardedAfterDays} days ago) not erased, as playbook runs under way or tasks for the billing team not delivered yet hold them: ${held.map((h) => `${h.customerId} (${[...h.workflowIds, ...h.billingTasks.map((m) => `message ${m}`)].join(', ')})`).join('; ')}; cancel the runs or let them finish (a task undelivered: retry or discard it), a later sweep erases them`,
          { held },
        );
      }
      return page;
    },
  };
}

export type DataRetentionActivities = ReturnType<typeof createDataRetentionActivities>;
