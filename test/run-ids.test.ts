import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect, sql, type RawBuilder } from 'kysely';
import pg from 'pg';
import { appreciationWorkflowId } from '../src/domain/playbooks/appreciation.js';
import { fairReminderWorkflowId } from '../src/domain/playbooks/fair-reminder.js';
import { fixIssueWorkflowId } from '../src/domain/playbooks/fix-issue.js';
import { PROMISED_INVOICE } from '../src/services/facts/payment-promise-entries.js';
import { appreciationRunIdSql, fairReminderRunIdSql, fairReminderRunOfSql, fixIssueRunIdSql, messageOfRunSql, newestOccurrenceFirstSql, runPrefixOfKeySql } from '../src/services/facts/run-ids.js';
import { occurrenceWorkflowId } from '../src/domain/playbooks/occurrence.js';
import { stepMessageKey, stepMessageKeyParts } from '../src/domain/playbooks/run-id.js';

/**
 * The sweep finds the runs it already started, and the timeline a promise's invoice, by workflow
 * IDs built in SQL: on the real PostgreSQL they are the IDs the playbooks start runs under, so a
 * format changed on one side only fails here, not in a sweep that starts a reminder twice.
 */
const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 }) }) });
afterAll(() => db.destroy());

const value = async (expression: RawBuilder<unknown>) => (await sql<{ v: unknown }>`select ${expression} as v`.execute(db)).rows[0].v;

it('builds the same workflow IDs in SQL as the playbooks start runs under', async () => {
  const [customer, invoice] = [randomUUID(), randomUUID()];
  expect(await value(fairReminderRunIdSql(sql`${customer}::uuid`, sql`${invoice}::uuid`))).toBe(fairReminderWorkflowId(customer, invoice));
  expect(await value(appreciationRunIdSql(sql`${customer}::uuid`, sql`${2026}::int`))).toBe(appreciationWorkflowId(customer, 2026));
  expect(await value(fixIssueRunIdSql(sql`${customer}::uuid`, sql`${'late-delivery'}::text`))).toBe(fixIssueWorkflowId(customer, 'late-delivery'));
  // A part passed as a bare parameter (no type of its own) is text, as the IDs are.
  expect(await value(fixIssueRunIdSql(sql`${customer}`, sql`${'late-delivery'}`))).toBe(fixIssueWorkflowId(customer, 'late-delivery'));
});

it("reads a fair reminder's invoice back out of its workflow ID", async () => {
  const [customer, invoice] = [randomUUID(), randomUUID()];
  const promised = sql`(select ${sql.raw(PROMISED_INVOICE)} from (select ${fairReminderWorkflowId(customer, invoice)}::text as workflow_id) r, (select '{}'::jsonb as after) a)`;
  expect(await value(promised)).toBe(invoice);
});

it("keys a run's step messages by its workflow ID, and finds them by it in SQL, not another run's that starts alike", async () => {
  const [customer, invoice] = [randomUUID(), randomUUID()];
  const workflowId = fairReminderWorkflowId(customer, invoice);
  const key = stepMessageKey(workflowId, 'reminder-2');
  expect(stepMessageKeyParts(key)).toEqual({ workflowId, step: 'reminder-2' });
  const ofRun = (k: string, id: string) => value(messageOfRunSql(sql`${k}`, sql`${id}`));
  expect(await ofRun(key, workflowId)).toBe(true);
  // A fix of a topic whose name continues another's: the run of "late" does not own "late-delivery"'s messages.
  expect(await ofRun(stepMessageKey(fixIssueWorkflowId(customer, 'late-delivery'), 'open-case'), fixIssueWorkflowId(customer, 'late'))).toBe(false);
  expect(await ofRun(key, fairReminderWorkflowId(customer, randomUUID()))).toBe(false);
  // A later occurrence's messages are its own, not the first run's.
  const again = occurrenceWorkflowId(workflowId, 2);
  expect(await ofRun(stepMessageKey(again, 'reminder-1'), workflowId)).toBe(false);
  expect(await ofRun(stepMessageKey(again, 'reminder-1'), again)).toBe(true);
  // The same rule as the text the string queries use: a key's run prefix is its own run's (review 33).
  const prefixOf = async (k: string) => (await sql<{ v: string }>`select ${sql.raw(runPrefixOfKeySql('k'))} as v from (select ${k}::text as k) x`.execute(db)).rows[0].v;
  expect(await prefixOf(key)).toBe(stepMessageKey(workflowId, ''));
  expect(await prefixOf(stepMessageKey(again, 'reminder-1'))).toBe(stepMessageKey(again, ''));
  expect(await prefixOf(stepMessageKey(fixIssueWorkflowId(customer, 'late-delivery'), 'open-case'))).not.toBe(stepMessageKey(fixIssueWorkflowId(customer, 'late'), ''));
});

it("finds an invoice's reminder runs, later occurrences included, newest first, and no other invoice's", async () => {
  const [customer, invoice] = [randomUUID(), randomUUID()];
  const first = fairReminderWorkflowId(customer, invoice);
  const ids = [first, occurrenceWorkflowId(first, 2), occurrenceWorkflowId(first, 10), occurrenceWorkflowId(first, 9), fairReminderWorkflowId(customer, randomUUID())];
  const { rows } = await sql<{ id: string }>`
    select id from unnest(${ids}::text[]) as r(id)
     where ${fairReminderRunOfSql(sql.ref('r.id'), sql`${customer}::uuid`, sql`${invoice}::uuid`)}
     order by ${newestOccurrenceFirstSql(sql.ref('r.id'))}`.execute(db);
  expect(rows.map((r) => r.id)).toEqual([ids[2], ids[3], ids[1], first]);
});
