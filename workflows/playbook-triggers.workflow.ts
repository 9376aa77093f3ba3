import { continueAsNew, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { PlaybookTriggerActivities } from '../src/activities/playbook-triggers.activities.js';
import type { TriggerPolicy } from '../src/domain/playbooks/triggers.js';

const { findOverdueInvoices, startFairReminders } = proxyActivities<PlaybookTriggerActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export interface PlaybookTriggersInput {
  policy: TriggerPolicy;
  /** Carried over by continue-as-new. */
  after?: string | null;
  started?: number;
}

/** The trigger sweep: every overdue, unpaid invoice without a reminder run gets one. */
export async function playbookTriggers(input: PlaybookTriggersInput): Promise<{ started: number }> {
  const { policy } = input;
  let after = input.after ?? null;
  let started = input.started ?? 0;
  for (let page = 0; page < policy.pagesPerExecution; page++) {
    const invoiceIds = await findOverdueInvoices({ after, limit: policy.pageSize, minDaysOverdue: policy.minDaysOverdue });
    if (invoiceIds.length === 0) {
      setCurrentDetails(`Done: fair reminders started for ${started} overdue invoices`);
      return { started };
    }
    started += (await startFairReminders(invoiceIds)).started;
    after = invoiceIds[invoiceIds.length - 1];
    setCurrentDetails(`Fair reminders started for ${started} overdue invoices so far`);
  }
  return continueAsNew<typeof playbookTriggers>({ policy, after, started });
}
