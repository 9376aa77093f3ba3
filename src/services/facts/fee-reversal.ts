import pg from 'pg';

/** The audit action of reminder fees reversed on an invoice: the billing system cancelled it, or it was paid on time. */
export const FEES_REVERSED_ACTION = 'invoice.fees-reversed';

/** Why the fees of an invoice paid on time are reversed, as its `invoice.fees-reversed` entry says (`after.reason`). */
export const PAID_ON_TIME = 'paid-on-time';

/**
 * Reverses the reminder fees the fair reminders charged (their bookings, `reminder_booking`) on the invoices `which`
 * (SQL over `i`) that are paid in full on a day they were not overdue: on or before their due day + `graceDays` (the
 * payment-loyalty policy's, by which the payment counts as on time). The bank's booking of a payment made on time
 * often reaches the platform days later, after reminders with fees went out; a customer who paid on time owes no fee
 * for being chased. Run in the transaction that settles the invoice (recordPayment, a payments or invoices import).
 * Only what is charged and not yet reversed is (a second run reverses nothing twice); a part payment on time with
 * the rest paid late leaves the invoice paid on a late day, so its fees stand. The invoice keeps what was charged
 * (fee_charged_minor) and adds what is reversed to fee_reversed_minor, each booking its part, so the fairness
 * report shows the fee reversed under the band it was charged to; fees an import brought with the invoice (the
 * billing system's own) are the billing system's to settle and stay. One `invoice.fees-reversed` entry per invoice,
 * under `actor`, with the amount and why: what finance reverses in the billing system, as for a cancelled invoice.
 * Returns (invoice id, fee_reversed_minor now, reversed_minor) per invoice reversed.
 */
export const reverseFeesOfPaidOnTimeSql = (which: string, actor: string, graceDays: number) => `with due as (
    select i.id, i.external_ref, i.fee_charged_minor as charged, i.fee_reversed_minor as was, i.paid_at, i.due_at,
           (select sum(r.charged_minor - r.reversed_minor) from reminder_booking r where r.invoice_id = i.id and r.reversed_minor < r.charged_minor) as open
      from invoice i
     where ${which} and i.paid_at is not null and i.cancelled_at is null and i.paid_at <= i.due_at + ${Math.trunc(graceDays)}
       and exists (select 1 from reminder_booking r where r.invoice_id = i.id and r.reversed_minor < r.charged_minor)
  ), bookings as (
    update reminder_booking r set reversed_minor = r.charged_minor from due d where r.invoice_id = d.id and r.reversed_minor < r.charged_minor
  ), reversed as (
    update invoice i set fee_reversed_minor = least(d.charged, d.was + d.open) from due d where i.id = d.id
    returning i.id, i.external_ref, d.charged, d.was, i.fee_reversed_minor as now, d.paid_at, d.due_at
  ), audited as (
    insert into audit_entry (id, at, actor, action, entity_type, entity_id, before, after)
    select gen_random_uuid(), clock_timestamp(), ${pg.escapeLiteral(actor)}, ${pg.escapeLiteral(FEES_REVERSED_ACTION)}, 'invoice', r.id::text,
           jsonb_build_object('feeChargedMinor', r.charged, 'feeReversedMinor', r.was),
           jsonb_build_object('feeChargedMinor', r.charged, 'feeReversedMinor', r.now, 'reversedMinor', r.now - r.was, 'reason', ${pg.escapeLiteral(PAID_ON_TIME)},
                              'paidAt', r.paid_at, 'dueAt', r.due_at, 'invoiceNumber', r.external_ref)
      from reversed r where r.now > r.was
  )
  select r.id::text as invoice_id, r.now::text as fee_reversed_minor, (r.now - r.was)::text as reversed_minor from reversed r`;
