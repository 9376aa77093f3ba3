import { sql, type RawBuilder } from 'kysely';
import { overdueUnpaidInvoice } from './invoice-facts.js';

/**
 * Facts about a customer as SQL on their row (`customer` names its id column): whether a
 * complaint is open (the customers filter, the contact guard), and the marketing messages
 * sent since a time (the contact budget). Delivery's own due-message query embeds the open-issue fact.
 */
export const hasOpenComplaint = (customer: string): RawBuilder<boolean> =>
  sql<boolean>`exists (select 1 from complaint k where k.customer_id = ${sql.ref(customer)} and ${openComplaint('k')})`;

/**
 * The complaint `k` is open: not resolved, not withdrawn (filed by mistake), of a customer whose data was not erased. An erased customer's complaints stay as
 * they were (unresolved ones are not claimed resolved) but are no one's to answer any more: no open count or filter counts them.
 */
export const openComplaint = (k: string): RawBuilder<boolean> =>
  sql<boolean>`(${sql.ref(`${k}.resolved_at`)} is null and ${sql.ref(`${k}.withdrawn_at`)} is null and not exists (select 1 from customer erased where erased.id = ${sql.ref(`${k}.customer_id`)} and erased.status = 'erased'))`;

/** The customer (`status`: their status column) was given offboarding notice or has left: the contact guard's `offboarded`, no marketing. */
export const offboardingDecided = (status: string): RawBuilder<boolean> => sql<boolean>`${sql.ref(status)} in ('offboarding', 'offboarded')`;

/** A persistent issue of the customer's is being fixed: a fix case is open (fix first: no account review meanwhile). */
export const hasOpenFixCase = (customer: string): RawBuilder<boolean> =>
  sql<boolean>`exists (select 1 from fix_case f where f.customer_id = ${sql.ref(customer)} and f.status = 'open')`;

/**
 * What the contact guard holds marketing back for: a complaint open, or a persistent issue's fix
 * case open though each complaint ticket behind it was closed (fix first, sell later).
 */
export const hasOpenIssue = (customer: string): RawBuilder<boolean> => sql<boolean>`(${hasOpenComplaint(customer)} or ${hasOpenFixCase(customer)})`;

/** The customer has an invoice overdue and unpaid (`overdueUnpaidInvoice`): a thank-you waits for it. */
export const hasOverdueUnpaidInvoice = (customer: string): RawBuilder<boolean> =>
  sql<boolean>`exists (select 1 from invoice i where i.customer_id = ${sql.ref(customer)} and ${overdueUnpaidInvoice()})`;

export const marketingSentSince = (customer: string, since: Date): RawBuilder<Date[] | null> =>
  sql<Date[] | null>`(select array_agg(m.sent_at) from outbox_message m where m.customer_id = ${sql.ref(customer)} and m.purpose = 'marketing' and m.sent_at > ${since})`;

export const marketingCountSince = (customer: string, since: Date): RawBuilder<number> =>
  sql<number>`(select count(*) from outbox_message m where m.customer_id = ${sql.ref(customer)} and m.purpose = 'marketing' and m.sent_at > ${since})`;

/**
 * When the newest thank-you to the customer (`customer`: an SQL expression of their ID) was written within the last
 * `silentDays` days and not held back (it went, or may still go): null when none was. The thank-you step does not
 * thank again so soon (`thanked-recently`), so a start by hand and a campaign do not start a run that would end so.
 */
export const lastThankYouWithin = (customer: RawBuilder<unknown>, silentDays: number): RawBuilder<Date | null> =>
  sql<Date | null>`(select max(m.created_at) from outbox_message m where m.customer_id = ${customer} and m.template = 'appreciation' and m.suppressed_at is null
                      and m.created_at > now() - make_interval(days => ${silentDays}))`;
