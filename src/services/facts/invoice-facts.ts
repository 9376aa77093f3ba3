import { sql, type RawBuilder } from 'kysely';
import { fairReminderRunOfSql, newestOccurrenceFirstSql } from './run-ids.js';
import type { PaymentLoyaltyPolicy } from '../../domain/scoring/payment-loyalty.js';
import { ENDED_PAID, ENDED_WITH_A_PERSON, ENDED_WITHOUT_COMPLETING } from '../../domain/playbooks/fair-reminder.js';

/**
 * Facts about an invoice as SQL on its row (`i`): the trigger sweep's window, whether it is overdue
 * and unpaid or left to a person, and what is still open on it.
 */

/**
 * The invoice is within the trigger sweep's reach: at most `maxDaysOverdue` days past its due day
 * (always, without a bound: sweeps started before it had none). Further past due, the sweep
 * leaves it to a person.
 */
export const withinSweepWindow = (maxDaysOverdue: number | undefined): RawBuilder<boolean> =>
  maxDaysOverdue === undefined ? sql<boolean>`true` : sql<boolean>`(i.due_at >= current_date - ${maxDaysOverdue}::int)`;

/**
 * Open invoice `alias` is not overdue today (its due day is today or later; the sweep's and
 * `startFairReminder`'s day, `isOverdue`): one whose due day an import moved later (a payment extension) is not chased.
 */
export const notOverdueSql = (alias: string): string => `(${alias}.paid_at is null and ${alias}.cancelled_at is null and ${alias}.due_at >= current_date)`;

/** Invoice `i` is an erased customer's: nobody chases it or contacts them (no reminder, no playbook). */
export const ofErasedCustomer = (): RawBuilder<boolean> =>
  sql<boolean>`exists (select 1 from customer c where c.id = i.customer_id and c.status = 'erased')`;

/** `r` is one of the reminder runs of invoice `i`. */
const reminderRunOfInvoice = () => fairReminderRunOfSql(sql.ref('r.workflow_id'), sql.ref('i.customer_id'), sql.ref('i.id'));

/**
 * The open invoice is past due and left to a person, nothing chasing it: past the sweep's window
 * with no reminder run ever started, or its newest reminder run ended short (`reminderRunEndedShort`:
 * cancelled by an operator or as the invoice was cancelled before the billing system stood it again;
 * terminated, failed; or ended as paid and the invoice is open again, the billing system having raised
 * its amount or undone its payment), or completed by handing it to a person (`reminderRunEndedWithPerson`:
 * a loyal payer's call, or the decision how to go on after it), who has not started its next run (by
 * hand, or by recording a promise to pay). The sweep does not run its reminders again; a person may start
 * them by hand. Not one handed over to collections, nor an erased customer's, whom nobody contacts.
 * Nor one whose newest run is in `runningAgain`: recorded as ended, it runs again in the engine (reset
 * since), until the run reconciliation records it running. And one disputed, or whose dispute was upheld (`disputeHoldsSql`):
 * a person resolves the dispute, or billing corrects or cancels the invoice; its reminders hold meanwhile.
 */
export const leftToPeople = (maxDaysOverdue: number | undefined, runningAgain: readonly string[] = []): RawBuilder<boolean> =>
  sql<boolean>`(i.due_at < current_date
    and not ${ofErasedCustomer()}
    and (${sql.raw(disputeHoldsSql('i'))} or coalesce((select r.workflow_id <> all(${[...runningAgain]}::text[]) and (r.status::text = any(${ENDED_WITHOUT_COMPLETING}::text[]) or (r.status = 'completed' and coalesce(r.outcome = any(${[...ENDED_PAID, ...ENDED_WITH_A_PERSON]}::text[]), false)))
                    from playbook_run r where r.customer_id = i.customer_id and ${reminderRunOfInvoice()}
                   order by ${newestOccurrenceFirstSql(sql.ref('r.workflow_id'))} limit 1), not ${withinSweepWindow(maxDaysOverdue)})))`;

/**
 * The invoice `i` is overdue and unpaid: past its due day, neither paid nor cancelled, however long ago it was due
 * (a debt left to a person, handed to collections or written off stays unpaid: the customer did not pay it). A
 * thank-you waits while one is, in the run and in a campaign's preview alike: settle first, thank later. The sweep's
 * window (`withinSweepWindow`) says only which invoices the sweep starts reminders for, not what the customer owes. An
 * invoice whose dispute was upheld is not owed as billed (billing corrects or cancels it): it holds no thank-you; one
 * under a dispute still open does if it was overdue when disputed, and one whose dispute was rejected once it is overdue by
 * its judged due day (`judgedDueSql`: the dispute's days left out).
 */
export const overdueUnpaidInvoice = (): RawBuilder<boolean> =>
  sql<boolean>`(${sql.raw(openInvoiceSql('i'))} and ${judgedOverdueSql()} and i.dispute_outcome is distinct from 'upheld')`;

/**
 * The reminder fees standing on invoice `alias`: charged and not reversed (the billing system cancelled it since). What a
 * reminder, the hand-over and a call task name as charged on it.
 */
export const feesStandingSql = (alias: string) => `(${alias}.fee_charged_minor - ${alias}.fee_reversed_minor)`;
/** `feesStandingSql` of an invoice read already. */
export const feesStandingMinor = (invoice: { feeChargedMinor: number; feeReversedMinor: number }) => Number(invoice.feeChargedMinor) - Number(invoice.feeReversedMinor);

/** The invoice `alias` is still open: neither paid nor cancelled (SQL text, for queries that read it beside other facts). */
export const openInvoiceSql = (alias: string) => `(${alias}.paid_at is null and ${alias}.cancelled_at is null)`;

/**
 * What is still owed on the invoice `alias`, minor units: `outstandingOn` (domain/billing/paid-day.ts)
 * in SQL, for the queries that read it beside other facts (delivery, a reminder's text).
 */
export const outstandingMinorSql = (alias: string) =>
  `(case when ${alias}.paid_at is not null or ${alias}.cancelled_at is not null then 0 else greatest(0, ${alias}.amount_minor - coalesce((select sum(p.amount_minor) from payment p where p.invoice_id = ${alias}.id), 0)) end)`;

/**
 * `onTimeVerdict` (domain/scoring/payment-loyalty.ts) of the invoice `i` as of today, in SQL: 'on-time', 'late', or
 * null while it is not judged yet (test/on-time-verdict.test.ts holds the two forms equal).
 */
export const onTimeVerdictSql = (policy: Pick<PaymentLoyaltyPolicy, 'graceDays' | 'openOverdueCountsAfterDays'>): RawBuilder<'on-time' | 'late' | null> =>
  sql<'on-time' | 'late' | null>`(case when i.paid_at is not null and i.paid_at <= current_date
                   then (case when i.paid_at <= ${judgedDueSql()} + ${policy.graceDays}::int then 'on-time' else 'late' end)
                 when current_date - (${judgedDueSql()} + ${policy.graceDays}::int) > ${policy.openOverdueCountsAfterDays}::int then 'late' end)`;

/**
 * `judgedDueDay` (domain/billing/dispute.ts) of invoice `i` as of today, in SQL: its due day moved later by the days it
 * was disputed (from the dispute's day to its rejection, the payment or today, whichever comes first; an upheld dispute
 * runs on until the invoice is paid or cancelled; days in UTC), and by the days its earlier disputes left out.
 */
export const judgedDueSql = (): RawBuilder<string> =>
  sql<string>`(i.due_at + coalesce(i.disputed_days_before + greatest(0, least(current_date, case when i.dispute_outcome = 'upheld' then null else (i.dispute_resolved_at at time zone 'UTC')::date end, i.paid_at) - (i.disputed_at at time zone 'UTC')::date), 0))`;

/**
 * Invoice `i` is at least `days` days past the day it is judged due (`judgedDueSql`: a dispute's days left out), as the
 * trigger sweep, the operators' queue and the thank-you's hold judge it; its own due day first, which an index finds and
 * the judged day is never before.
 */
export const judgedOverdueSql = (days = 1): RawBuilder<boolean> =>
  sql<boolean>`(i.due_at <= current_date - ${days}::int and ${judgedDueSql()} <= current_date - ${days}::int)`;

/** Invoice `alias` is under a dispute not resolved yet: its reminders hold and the sweep starts none. */
export const openDisputeSql = (alias: string) => `(${alias}.disputed_at is not null and ${alias}.dispute_resolved_at is null)`;

/**
 * Invoice `alias` is disputed (not resolved yet), or its dispute was upheld (billing corrects or cancels it): the sweep starts no
 * reminders for it, and it is left to a person (`leftToPeople`). A dispute rejected leaves the invoice standing, chased as before.
 */
export const disputeHoldsSql = (alias: string) => `(${openDisputeSql(alias)} or ${alias}.dispute_outcome is not distinct from 'upheld')`;
