import pg from 'pg';
import { RUN_ID_SEPARATOR } from '../../domain/playbooks/run-id.js';
import { runPrefixOfKeySql } from './run-ids.js';
import { COLLECTIONS_HANDOVER } from '../../domain/playbooks/fair-reminder.js';

/** The audit action of reminder fees reversed on an invoice: the billing system cancelled it, or it was paid on time. */
export const FEES_REVERSED_ACTION = 'invoice.fees-reversed';

/** Why the fees of an invoice paid on time are reversed, as its `invoice.fees-reversed` entry says (`after.reason`). */
export const PAID_ON_TIME = 'paid-on-time';

/** Which of an invoice's reminder fees a reversal takes back. */
export type ReversedFees =
  /** All it was charged (`fee_charged_minor`), the fees a file brought with it included: an invoice never owed (cancelled). */
  | 'all'
  /** Only what the fair reminders' bookings charged: fees an import brought (the billing system's own) stay its to settle. */
  | 'bookings';

export interface FeeReversal {
  /** The invoices whose fees are reversed: an SQL condition over the invoice `i`. */
  which: string;
  amount: ReversedFees;
  /** Why, in the `invoice.fees-reversed` entry's `after`: its keys with SQL expressions over `i` (the invoice number is always there). */
  why: Record<string, string>;
  actor: string;
  /** The entry's time: `now()` (the transaction's start, as an import's entries) or `clock_timestamp()` (after entries written earlier in it). */
  at: 'now()' | 'clock_timestamp()';
}

/**
 * Reverses the reminder fees charged on the invoices `which` selects, in the transaction that settles or cancels them. Only
 * what is charged and not yet reversed is (a second run reverses nothing twice; an invoice with nothing to reverse writes
 * nothing). The invoice keeps what was charged (fee_charged_minor) and adds what is reversed to fee_reversed_minor, each
 * booking (`reminder_booking`) its part, so the fairness report shows the fee reversed under the band it was charged to.
 * One `invoice.fees-reversed` entry per invoice, under `actor`, with the amount and why: what finance reverses in the
 * billing system. Returns (invoice id, fee_reversed_minor now, reversed_minor) per invoice reversed.
 */
export const reverseFeesSql = ({ which, amount, why, actor, at }: FeeReversal) => {
  const open = 'exists (select 1 from reminder_booking r where r.invoice_id = i.id and r.reversed_minor < r.charged_minor)';
  const reason = Object.entries({ ...why, invoiceNumber: 'i.external_ref' })
    .map(([key, expression]) => `${pg.escapeLiteral(key)}, ${expression}`)
    .join(', ');
  return `with due as (
    select i.id, i.fee_charged_minor as charged, i.fee_reversed_minor as was, jsonb_build_object(${reason}) as why,
           (select sum(r.charged_minor - r.reversed_minor) from reminder_booking r where r.invoice_id = i.id and r.reversed_minor < r.charged_minor) as open
      from invoice i
     where (${which}) and ${amount === 'all' ? 'i.fee_charged_minor > i.fee_reversed_minor' : open}
  ), bookings as (
    update reminder_booking r set reversed_minor = r.charged_minor from due d where r.invoice_id = d.id and r.reversed_minor < r.charged_minor
  ), reversed as (
    update invoice i set fee_reversed_minor = ${amount === 'all' ? 'd.charged' : 'least(d.charged, d.was + d.open)'} from due d where i.id = d.id
    returning i.id, d.charged, d.was, i.fee_reversed_minor as now, d.why
  ), audited as (
    insert into audit_entry (id, at, actor, action, entity_type, entity_id, before, after)
    select gen_random_uuid(), ${at}, ${pg.escapeLiteral(actor)}, ${pg.escapeLiteral(FEES_REVERSED_ACTION)}, 'invoice', r.id::text,
           jsonb_build_object('feeChargedMinor', r.charged, 'feeReversedMinor', r.was),
           jsonb_build_object('feeChargedMinor', r.charged, 'feeReversedMinor', r.now, 'reversedMinor', r.now - r.was) || r.why
      from reversed r where r.now > r.was
  )
  select r.id::text as invoice_id, r.now::text as fee_reversed_minor, (r.now - r.was)::text as reversed_minor from reversed r`;
};

/**
 * SQL over the invoice `i`: paid in full on a day it was not overdue (its due day + `graceDays`), not cancelled, and
 * settled in this very transaction (its paid day set or changed here: `paid_recorded_at`, stamped by the invoice's
 * trigger with the transaction's start, rounded to the column's milliseconds as the cast rounds `now()`).
 */
const settledOnTimeHere = (graceDays: number) =>
  `i.paid_at is not null and i.cancelled_at is null and i.paid_at <= i.due_at + ${Math.trunc(graceDays)} and i.paid_recorded_at = now()::timestamptz(3)`;

/**
 * Reverses the reminder fees the fair reminders charged on the invoices `which` (SQL over `i`) that are paid in full on a
 * day they were not overdue: on or before their due day + `graceDays` (the payment-loyalty policy's, by which the payment
 * counts as on time; 0 by default, so by default on or before the due day). The bank's booking of a payment made on time
 * often reaches the platform days later, after reminders with fees went out; a customer who paid on time owes no fee for
 * being chased. Only invoices settled in this very transaction are: those whose paid day it set or changed (the trigger
 * of migration 20261228100008 stamps `paid_recorded_at` with the transaction's start, `now()`, rounded to the column's
 * milliseconds as the cast here rounds it), so an import that merely lists an invoice paid long ago, its fees left
 * standing, reverses nothing: a backlog of such fees is finance's to decide, not a side effect of a routine export. Run
 * it in the transaction that settles the invoice (recordPayment, a payments or invoices import), after the paid day is
 * written. A part payment on time with the rest paid late leaves the invoice paid on a late day, so its fees
 * stand; fees an import brought with the invoice (the billing system's own) are the billing system's to settle and stay.
 * A reversal stands when a later correction moves the paid day past the due day or empties it: the platform does not
 * charge the fees again by itself; finance, told by the entry and the new paid day, decides.
 */
export const reverseFeesOfPaidOnTimeSql = (which: string, actor: string, graceDays: number) =>
  reverseFeesSql({
    which: `${which} and ${settledOnTimeHere(graceDays)}`,
    amount: 'bookings',
    why: { reason: pg.escapeLiteral(PAID_ON_TIME), paidAt: 'i.paid_at', dueAt: 'i.due_at' },
    actor,
    // After the payment's own entry, written earlier in the transaction.
    at: 'clock_timestamp()',
  });

/** Billing's task to withdraw from collections an invoice nothing is owed on: paid on time (booked after the hand-over), or cancelled. */
export const COLLECTIONS_WITHDRAWAL = 'collections-withdrawal';
/** The customer's correction of the collections letter they got for an invoice they had paid on time, or that was cancelled. */
export const COLLECTIONS_WITHDRAWN = 'collections-withdrawn';
/** The audit action of billing asked to withdraw an invoice from collections: what finance follows up with the collections partner. */
export const COLLECTIONS_WITHDRAWAL_ACTION = 'invoice.collections-withdrawal';
/** Why an invoice is withdrawn from collections because the billing system cancelled it (the entry's `after.reason`). */
export const CANCELLED = 'cancelled';

/**
 * Why an invoice handed over to collections is withdrawn: it was paid on time (on or before its due day + `graceDays`, the
 * payment booked after the hand-over), or the billing system cancelled it (voided, credited). Either way nothing is owed on it.
 */
export type CollectionsWithdrawalReason = { why: typeof PAID_ON_TIME; graceDays: number } | { why: typeof CANCELLED };

/**
 * Per reason: which invoices it selects (SQL over `i`, settled or cancelled in this very transaction: the trigger of
 * migration 20261228100008 stamps `paid_recorded_at` / `cancelled_recorded_at` with its start, so an import that merely
 * lists an invoice settled or cancelled long ago writes nothing), and the day that says why (the task, the customer's
 * letter and the audit entry carry it under `dayKey`: `paidAt` or `cancelledAt`, by which the templates tell the two apart).
 */
const withdrawn = (reason: CollectionsWithdrawalReason) =>
  reason.why === PAID_ON_TIME
    ? { settledHere: settledOnTimeHere(reason.graceDays), day: 'i.paid_at', dayKey: 'paidAt' }
    : { settledHere: 'i.cancelled_at is not null and i.cancelled_recorded_at = now()::timestamptz(3)', day: 'i.cancelled_at', dayKey: 'cancelledAt' };

/**
 * An invoice its reminder run had handed over to collections, on which nothing turns out to be owed: paid on time, its
 * payment booked after the hand-over, or cancelled by the billing system since. The fees are reversed
 * (`reverseFeesOfPaidOnTimeSql`, or the cancellation's `reverseFeesSql`), but the customer must not stay with the
 * collections partner, and the platform cannot recall the claim itself. So billing gets a task (`collections-withdrawal`,
 * keyed under the run that handed it over: one per invoice, whatever imports or corrections follow, and whichever reason
 * comes first: an invoice withdrawn as paid on time and cancelled later is withdrawn once) to withdraw it, naming the day
 * it was paid or cancelled and the fees reversed; and a customer whose collections letter reached them gets a short
 * correction (`collections-withdrawn`, by the letter's channel), so our last word to them is not that their debt went to
 * a debt collector. Handed over means: the run's collections letter was sent, or the run ended `handed-over` (its letter
 * was still queued, held back by this payment or cancellation: billing is told, the customer, who never got the letter,
 * is not). Selects the invoices `which` (SQL over `i`) paid on time or cancelled in this transaction (`withdrawn`); run it
 * after the fees are reversed in the same transaction, so the task names the fees reversed. Each task written is audited
 * (`invoice.collections-withdrawal`, under `actor`, who recorded or imported the payment or the cancellation, with why,
 * the run that handed it over and whether the customer is written to), so finance's trail of the invoice shows the
 * withdrawal asked for beside the fees reversed. Writes nothing for an invoice never handed over.
 */
export const withdrawFromCollectionsSql = (which: string, actor: string, reason: CollectionsWithdrawalReason) => {
  const { settledHere, day, dayKey } = withdrawn(reason);
  const band = `(select s.band from current_score s where s.customer_id = h.customer_id and s.kind = 'payment-loyalty')`;
  const payload = `jsonb_build_object('invoiceId', h.invoice_id::text, 'invoiceNumber', h.external_ref, 'amountMinor', h.amount_minor,
      'dueAt', to_char(h.due_at, 'YYYY-MM-DD'), ${pg.escapeLiteral(dayKey)}, to_char(h.settled_on, 'YYYY-MM-DD'), 'feesReversedMinor', h.fee_reversed_minor,
      'letterSentAt', h.sent_at)`;
  // One step of the run that handed it over (`<run>/<template>`), written once, as a run's steps are.
  const step = (template: string, channel: string, when = 'true') => `insert into outbox_message (id, idempotency_key, customer_id, invoice_id, channel, purpose, template, payload, created_at, attempts, loyalty_band)
    select gen_random_uuid(), h.run_prefix || ${pg.escapeLiteral(template)}, h.customer_id, h.invoice_id, ${channel}, 'service', ${pg.escapeLiteral(template)}, ${payload}, clock_timestamp(), 0, ${band}
      from handed h where ${when}
    on conflict (idempotency_key) do nothing
    returning invoice_id`;
  return `with handed as (
    select distinct on (i.id) i.id as invoice_id, i.customer_id, i.external_ref, i.amount_minor, i.due_at, ${day} as settled_on, i.fee_reversed_minor,
           ${runPrefixOfKeySql('m.idempotency_key')} as run_prefix, m.channel, m.sent_at
      from invoice i join outbox_message m on m.invoice_id = i.id and m.template = ${pg.escapeLiteral(COLLECTIONS_HANDOVER)}
      left join playbook_run r on r.workflow_id || ${pg.escapeLiteral(RUN_ID_SEPARATOR)} = ${runPrefixOfKeySql('m.idempotency_key')}
     where (${which}) and ${settledHere}
       and (m.sent_at is not null or r.outcome = 'handed-over')
     order by i.id, m.sent_at nulls last, m.created_at
  ), task as (
    ${step(COLLECTIONS_WITHDRAWAL, "'call'")}
  ), correction as (
    -- Nobody to correct once their personal data was erased; billing's task still goes (the contact guard lets it).
    ${step(COLLECTIONS_WITHDRAWN, 'h.channel', "h.sent_at is not null and not exists (select 1 from customer c where c.id = h.customer_id and c.status = 'erased')")}
  ), audited as (
    insert into audit_entry (id, at, actor, action, entity_type, entity_id, before, after)
    select gen_random_uuid(), clock_timestamp(), ${pg.escapeLiteral(actor)}, ${pg.escapeLiteral(COLLECTIONS_WITHDRAWAL_ACTION)}, 'invoice', h.invoice_id::text, null,
           jsonb_build_object('invoiceNumber', h.external_ref, 'reason', ${pg.escapeLiteral(reason.why)}, ${pg.escapeLiteral(dayKey)}, h.settled_on, 'dueAt', h.due_at, 'feesReversedMinor', h.fee_reversed_minor,
             'runId', left(h.run_prefix, -length(${pg.escapeLiteral(RUN_ID_SEPARATOR)})), 'customerCorrected', exists (select 1 from correction c where c.invoice_id = h.invoice_id))
      from handed h join task t on t.invoice_id = h.invoice_id
  )
  select t.invoice_id::text as invoice_id from task t`;
};
