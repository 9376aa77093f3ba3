import type { Orm } from '../db/orm.js';
import { appreciationPolicy } from '../domain/playbooks/appreciation.js';
import type { TriggerPolicy } from '../domain/playbooks/triggers.js';
import { defaultScoringPolicy } from '../domain/scoring/scoring-policy.js';
import { createServices, type Engines } from '../services/index.js';

/** The trigger sweep's steps: find candidates, start their playbooks (idempotent by run ID). */
export function createPlaybookTriggerActivities(orm: Orm, engines: Engines) {
  const triggers = () => createServices(orm.em.fork(), engines).triggers;
  return {
    findOverdueInvoices(input: { after: string | null; limit: number; minDaysOverdue: number }): Promise<string[]> {
      return triggers().overdueInvoices(input);
    },
    startFairReminders(invoiceIds: string[]): Promise<{ started: number; skipped: number }> {
      return triggers().startFairReminders(invoiceIds);
    },
    findPersistentIssues(input: { after: string | null; limit: number; policy: TriggerPolicy }): Promise<{ customerId: string; topic: string }[]> {
      return triggers().persistentIssues({ ...input, issue: defaultScoringPolicy.persistentIssue });
    },
    startFixIssues(issues: { customerId: string; topic: string }[]): Promise<{ started: number; skipped: number }> {
      return triggers().startFixIssues(issues);
    },
    findLossMakingAccounts(input: { after: string | null; limit: number; policy: TriggerPolicy }): Promise<string[]> {
      return triggers().lossMakingAccounts(input);
    },
    startAccountReviews(customerIds: string[]): Promise<{ started: number; skipped: number }> {
      return triggers().startAccountReviews(customerIds);
    },
    findSilentLoyalCustomers(input: { after: string | null; limit: number }): Promise<string[]> {
      return triggers().silentLoyalCustomers({ ...input, policy: appreciationPolicy });
    },
    startAppreciations(customerIds: string[]): Promise<{ started: number; skipped: number }> {
      return triggers().startAppreciations(customerIds);
    },
  };
}

export type PlaybookTriggerActivities = ReturnType<typeof createPlaybookTriggerActivities>;
