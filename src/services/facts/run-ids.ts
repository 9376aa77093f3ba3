import { sql, type RawBuilder } from 'kysely';
import { APPRECIATION } from '../../domain/playbooks/appreciation.js';
import { FAIR_REMINDER } from '../../domain/playbooks/fair-reminder.js';
import { FIX_ISSUE } from '../../domain/playbooks/fix-issue.js';
import { RUN_ID_SEPARATOR } from '../../domain/playbooks/run-id.js';

/**
 * The workflow IDs of src/domain/playbooks in SQL, for queries over many runs: the same parts in
 * the same order, joined as `runId` joins them (test/run-ids.test.ts holds the two forms equal).
 */
function runIdSql(playbook: string, ...parts: RawBuilder<unknown>[]): RawBuilder<string> {
  return sql<string>`concat_ws(${RUN_ID_SEPARATOR}::text, ${playbook}::text, ${sql.join(parts.map((part) => sql`(${part})::text`))})`;
}

/** fairReminderWorkflowId */
export const fairReminderRunIdSql = (customerId: RawBuilder<unknown>, invoiceId: RawBuilder<unknown>) => runIdSql(FAIR_REMINDER, customerId, invoiceId);

/** appreciationWorkflowId */
export const appreciationRunIdSql = (customerId: RawBuilder<unknown>, year: RawBuilder<unknown>) => runIdSql(APPRECIATION, customerId, year);

/** fixIssueWorkflowId: the first fix of the topic's; later ones add their occurrence (occurrence.ts). */
export const fixIssueRunIdSql = (customerId: RawBuilder<unknown>, topic: RawBuilder<unknown>) => runIdSql(FIX_ISSUE, customerId, topic);


/** The messages a run's steps wrote (`stepMessageKey`): their key starts with its workflow ID and the separator. */
export const messageOfRunSql = (key: RawBuilder<unknown>, workflowId: RawBuilder<unknown>) => sql<boolean>`starts_with(${key}, (${workflowId})::text || ${RUN_ID_SEPARATOR}::text)`;
