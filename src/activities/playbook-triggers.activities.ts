import { heartbeating } from './heartbeating.js';
import type { TriggerPolicy } from '../domain/playbooks/triggers.js';
import type { Policies } from '../domain/policies/index.js';
import type { WorkerServices } from '../services/index.js';

/**
 * The trigger sweep's steps: find candidates, start their playbooks (idempotent by run ID).
 * The sweep's input carries its trigger policy; what makes an issue persistent and who is a
 * silent loyal customer are the worker's policies, those a start by hand judges by.
 */
export function createPlaybookTriggerActivities(services: () => WorkerServices, policies: Pick<Policies, 'scoring' | 'appreciation'>) {
  const triggers = () => services().triggers;
  return {
    findOverdueInvoices(input: { after: string | null; limit: number; minDaysOverdue: number; maxDaysOverdue?: number }): Promise<string[]> {
      return triggers().overdueInvoices(input);
    },
    startFairReminders(invoiceIds: string[]): Promise<{ started: number; skipped: number }> {
      return heartbeating(triggers().startFairReminders(invoiceIds));
    },
    /**
     * A page of persistent issues whose fix is due. With it, the open fix cases of the same keyset range (up to the page's
     * last issue; to the end on the last page) get the complaints that came in without being added to them (a
     * command-line import): the sweep's pages cover every case once, with no step of its own in the sweep's history.
     */
    async findPersistentIssues(input: { after: string | null; limit: number; policy: TriggerPolicy }): Promise<{ customerId: string; topic: string }[]> {
      const issues = await triggers().persistentIssues({ ...input, issue: policies.scoring.persistentIssue });
      const last = issues.length === input.limit ? issues[issues.length - 1] : null;
      await triggers().addComplaintsToOpenCases({ after: input.after, upTo: last ? JSON.stringify([last.customerId, last.topic]) : null, limit: input.limit });
      return issues;
    },
    startFixIssues(issues: { customerId: string; topic: string }[]): Promise<{ started: number; skipped: number }> {
      return heartbeating(triggers().startFixIssues(issues));
    },
    findLossMakingAccounts(input: { after: string | null; limit: number; policy: TriggerPolicy }): Promise<string[]> {
      return triggers().lossMakingAccounts(input);
    },
    startAccountReviews(customerIds: string[]): Promise<{ started: number; skipped: number }> {
      return heartbeating(triggers().startAccountReviews(customerIds));
    },
    findSilentLoyalCustomers(input: { after: string | null; limit: number }): Promise<string[]> {
      return triggers().silentLoyalCustomers({ ...input, policy: policies.appreciation });
    },
    startAppreciations(customerIds: string[]): Promise<{ started: number; skipped: number }> {
      return heartbeating(triggers().startAppreciations(customerIds));
    },
  };
}

export type PlaybookTriggerActivities = ReturnType<typeof createPlaybookTriggerActivities>;
