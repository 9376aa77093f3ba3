import { continueAsNew, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { PlaybookTriggerActivities } from '../src/activities/playbook-triggers.activities.js';
import { triggerKinds, type TriggerKind, type TriggerPolicy } from '../src/domain/playbooks/triggers.js';
import { sweepPageOptions } from './activity-options.js';

const { findOverdueInvoices, findPersistentIssues, findLossMakingAccounts, findSilentLoyalCustomers } = proxyActivities<PlaybookTriggerActivities>(sweepPageOptions);

/** The pages starting runs, heartbeating as the policy says (sweeps started before it had a heartbeat have none). */
const starting = (policy: TriggerPolicy) =>
  proxyActivities<PlaybookTriggerActivities>({ ...sweepPageOptions, heartbeatTimeout: policy.startPageHeartbeatSeconds ? policy.startPageHeartbeatSeconds * 1000 : undefined });

export interface PlaybookTriggersInput {
  policy: TriggerPolicy;
  /** Carried over by continue-as-new: the trigger being swept, where it stands, what was started. */
  at?: { trigger: TriggerKind; after: string | null };
  started?: Partial<Record<TriggerKind, number>>;
}

/** One page of candidates of a trigger, their playbooks started; `next` is null when the trigger is done. */
async function sweepPage(trigger: TriggerKind, after: string | null, policy: TriggerPolicy): Promise<{ started: number; next: string | null }> {
  const { startFairReminders, startFixIssues, startAccountReviews, startAppreciations } = starting(policy);
  if (trigger === 'overdue-invoice') {
    const invoiceIds = await findOverdueInvoices({ after, limit: policy.pageSize, minDaysOverdue: policy.minDaysOverdue, maxDaysOverdue: policy.maxDaysOverdue });
    if (invoiceIds.length === 0) return { started: 0, next: null };
    return { started: (await startFairReminders(invoiceIds)).started, next: invoiceIds[invoiceIds.length - 1] };
  }
  if (trigger === 'silent-loyal') {
    const customerIds = await findSilentLoyalCustomers({ after, limit: policy.pageSize });
    if (customerIds.length === 0) return { started: 0, next: null };
    return { started: (await startAppreciations(customerIds)).started, next: customerIds[customerIds.length - 1] };
  }
  if (trigger === 'loss-making') {
    const customerIds = await findLossMakingAccounts({ after, limit: policy.pageSize, policy });
    if (customerIds.length === 0) return { started: 0, next: null };
    return { started: (await startAccountReviews(customerIds)).started, next: customerIds[customerIds.length - 1] };
  }
  const issues = await findPersistentIssues({ after, limit: policy.pageSize, policy });
  if (issues.length === 0) return { started: 0, next: null };
  const last = issues[issues.length - 1];
  return { started: (await startFixIssues(issues)).started, next: JSON.stringify([last.customerId, last.topic]) };
}

/**
 * The trigger sweep: overdue, unpaid invoices get fair reminders; persistent issues of
 * customers at risk or of value, or that a customer called serious, get fixed; loss-making accounts get reviewed; silent
 * loyal customers get thanked. Each
 * candidate once (run IDs say what for).
 */
export async function playbookTriggers(input: PlaybookTriggersInput): Promise<Partial<Record<TriggerKind, number>>> {
  const { policy } = input;
  const started = { ...input.started };
  let pages = 0;
  for (const trigger of triggerKinds.slice(input.at ? triggerKinds.indexOf(input.at.trigger) : 0)) {
    let after = input.at?.trigger === trigger ? input.at.after : null;
    for (;;) {
      if (pages++ >= policy.pagesPerExecution) return continueAsNew<typeof playbookTriggers>({ policy, at: { trigger, after }, started });
      const page = await sweepPage(trigger, after, policy);
      started[trigger] = (started[trigger] ?? 0) + page.started;
      setCurrentDetails(`Started: ${JSON.stringify(started)}`);
      if (page.next === null) break;
      after = page.next;
    }
  }
  return started;
}
