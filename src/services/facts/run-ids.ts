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

/**
 * `run` (a playbook_run's workflow ID) is one of the invoice's reminder runs: the first, or a later
 * occurrence of it (`<first>/<n>`, occurrence.ts) a person started after one ended short.
 */
export const fairReminderRunOfSql = (run: RawBuilder<unknown>, customerId: RawBuilder<unknown>, invoiceId: RawBuilder<unknown>) => {
  const first = fairReminderRunIdSql(customerId, invoiceId);
  return sql<boolean>`(${run} = ${first} or starts_with(${run}, ${first} || ${RUN_ID_SEPARATOR}::text))`;
};

/** Orders runs of one base ID newest occurrence first: `<base>/<n>` is longer, or as long and later, for a larger n. */
export const newestOccurrenceFirstSql = (run: RawBuilder<unknown>) => sql`length(${run}) desc, ${run} desc`;

/** appreciationWorkflowId */
export const appreciationRunIdSql = (customerId: RawBuilder<unknown>, year: RawBuilder<unknown>) => runIdSql(APPRECIATION, customerId, year);

/** fixIssueWorkflowId: the first fix of the topic's; later ones add their occurrence (occurrence.ts). */
export const fixIssueRunIdSql = (customerId: RawBuilder<unknown>, topic: RawBuilder<unknown>) => runIdSql(FIX_ISSUE, customerId, topic);


/**
 * The messages a run's steps wrote (`stepMessageKey`): their key is its workflow ID, the separator and a step, which
 * has no separator in it; so a later occurrence's (`<workflow id>/<n>/<step>`) is not the first run's.
 */
export const messageOfRunSql = (key: RawBuilder<unknown>, workflowId: RawBuilder<unknown>) =>
  sql<boolean>`(starts_with(${key}, (${workflowId})::text || ${RUN_ID_SEPARATOR}::text) and strpos(substr(${key}, length((${workflowId})::text) + 2), ${RUN_ID_SEPARATOR}::text) = 0)`;

/**
 * The run prefix (`<workflow id>/`, `stepMessageKey(workflowId, '')`) of the message key column `key`, as SQL text: the key
 * without its step, which has no separator in it. Compared with a run's prefix, it is that run's message and not a later
 * occurrence's (`<workflow id>/<n>/<step>`), which a prefix match would take for one.
 */
export const runPrefixOfKeySql = (key: string) => `regexp_replace(${key}, '[^${RUN_ID_SEPARATOR}]*$', '')`;
