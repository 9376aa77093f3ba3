import { RUN_ID_SEPARATOR } from '../../domain/playbooks/run-id.js';

/**
 * Promises to pay as the audit log recorded them, in SQL over `playbook_run r` joined to its
 * `audit_entry a`: made through the API (`playbook.promise-to-pay`, unless the run refused it)
 * or sent as a `promiseToPay` update in the Temporal UI or CLI (`playbook.update-in-engine`: one its
 * validator refused is not in the run's history; one its handler refused, as the run ended, is audited
 * `outcome: "not-taken"` and is no promise). What holds a message back for a promise reads them all, one
 * still on its way to the run (pending) included (holding too long is the fair mistake).
 */
export const PROMISE_TO_PAY_ENTRY = `a.entity_type = 'playbook_run' and a.entity_id = r.workflow_id
  and (a.action = 'playbook.promise-to-pay' or (a.action = 'playbook.update-in-engine' and a.after ->> 'update' = 'promiseToPay'))
  and a.after ->> 'outcome' is distinct from 'not-taken'`;

/** The promises the customer made as the timeline and the data export show them: not one still on its way to the run, nor one the run may not have taken (pending, unknown). */
export const PROMISE_MADE_ENTRY = `${PROMISE_TO_PAY_ENTRY} and coalesce(a.after ->> 'outcome', 'taken') not in ('pending', 'unknown')`;

/** The day promised: the API's entry holds it, the update's holds its input ({ until, recordedBy }). */
export const PROMISED_UNTIL = `coalesce(a.after ->> 'until', a.after -> 'input' -> 0 ->> 'until')`;

/** The invoice: the API's entry names it; an update names its run, `fair-reminder/<customer>/<invoice>` (fairReminderWorkflowId's third part). */
export const PROMISED_INVOICE = `coalesce(a.after ->> 'invoiceId', split_part(r.workflow_id, '${RUN_ID_SEPARATOR}', 3))`;

/**
 * SQL: the day the promise to pay the invoice `i` (joined) by the day `until` (SQL text, YYYY-MM-DD) was kept, if it was:
 * the invoice's paid day when that is on or before the promised day plus `graceDays` (the promise policy's: the days
 * a promise holds the reminders after its day), however late the payment was booked; null while unpaid, when paid
 * later, or when the invoice was cancelled. A promise the run found lapsed because the bank's booking came after its
 * grace days was kept all the same: the customer paid when they said they would.
 */
export const promiseKeptOnSql = (i: string, until: string, graceDays: number) =>
  `(case when ${i}.cancelled_at is null and ${i}.paid_at <= (case when ${until} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then (${until})::date end) + ${Math.trunc(graceDays)} then ${i}.paid_at end)`;

/** A promise that lapsed unpaid, as the run holding it audited it (`after`: the invoice, the day promised), over audit entry `entry` of run `run`. */
export const promiseLapsedEntry = (entry = 'a', run = 'r') =>
  `${entry}.entity_type = 'playbook_run' and ${entry}.entity_id = ${run}.workflow_id and ${entry}.action = 'playbook.promise-lapsed'`;

/** A promise that gave way to the customer's dispute of the invoice, as the run holding it audited it (`after`: the invoice, the day promised). */
export const promiseSupersededEntry = (entry = 'a', run = 'r') =>
  `${entry}.entity_type = 'playbook_run' and ${entry}.entity_id = ${run}.workflow_id and ${entry}.action = 'playbook.promise-superseded'`;
