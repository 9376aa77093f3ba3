import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, type RawBuilder } from 'kysely';
import { CustomerEventKind, eventSummary, FixCaseMilestone, TIMELINE_SCORE_KINDS, type CustomerEventFacts } from '../../domain/customers/timeline.js';
import type { Proposal } from '../../domain/playbooks/account-review.js';
import { RUN_ID_SEPARATOR } from '../../domain/playbooks/run-id.js';
import { runPrefixOfKeySql } from '../facts/run-ids.js';
import { TYPED_DECISION } from './customer-erasure.service.js';
import { renderIfKnown } from '../../domain/messages/templates.js';
import { taskOf } from '../../domain/messages/catalogue.js';
import { CONSENT_ACTIONS, ERASURE_ACTION, IMPORT_CONSENT_ACTION } from '../../domain/customers/contact.js';
import { UNSUBSCRIBE_ACTOR } from '../../domain/messages/unsubscribe-link.js';
import { PROMISED_INVOICE, PROMISED_UNTIL, promiseKeptOnSql, promiseLapsedEntry, promiseSupersededEntry, PROMISE_MADE_ENTRY } from '../facts/payment-promise-entries.js';
import { ACCOUNT_REVIEW } from '../../domain/playbooks/account-review.js';
import { APPRECIATION } from '../../domain/playbooks/appreciation.js';
import { lastOffboardingWordSql } from '../playbooks/offboarding-withdrawal.js';
import { decodeCursor, encodeCursor, pageWindow, scopedTag, windowPage, type Page, type PageArgs, type PageWindow } from '../common/pagination.js';

/** One thing that happened with a customer, newest first in their timeline. */
export interface CustomerEvent extends CustomerEventFacts {
  /** The event's own identity, across customers: its customer, kind and reference (an invoice is issued and paid under one reference). */
  id: string;
  /** Its reference, or for a complaint's resolution or reopening, an invoice's dispute or its resolution, the entry that recorded it (its cursor's). */
  key: string;
  customerId: string;
  at: Date;
  /** The day of an event the records keep by day only (an invoice's days, a payment's; the customer's day), or the day a tier change counts from; null for one at a moment. */
  day: string | null;
  summary: string;
}

export interface TimelineArgs extends PageArgs {
  /** Only these kinds (all when null or empty). */
  kinds?: readonly CustomerEventKind[] | null;
}

interface Key extends PageWindow {
  customerId: string;
  kinds: readonly CustomerEventKind[];
}

interface EventRow {
  customer_id: string;
  kind: CustomerEventKind;
  at: Date | string;
  ref: string;
  /** What tells the event apart from others of its kind (its ref, but for a `KEYED` kind): its ID and cursor. */
  key: string;
  facts: EventFacts;
}

/** What each source writes of an event (see `sources`). */
interface EventFacts {
  amountMinor?: number | string | null;
  detail?: string | null;
  extra?: string | null;
  previous?: string | null;
  invoiceNumber?: string | null;
  /** A message's payload and reader (the customer's name and language), to render its subject as they read it. */
  payload?: Record<string, unknown> | null;
  readerName?: string | null;
  readerLocale?: string | null;
  /** The customer's day of an event kept by day only (an invoice's days, a payment's), or of a tier change, from which it counts. */
  day?: string | null;
  /** A finished account review's offboarding was withdrawn. */
  offboardingWithdrawn?: boolean | null;
  /** The reminder fees reversed on a paid or cancelled invoice. */
  feesReversedMinor?: number | string | null;
  /** A thank-you that ended not given: the guard's reason. */
  heldBack?: string | null;
  /** A finished account review whose offboarding notice a person ended early (the customer left at once). */
  noticeEndedEarly?: boolean | null;
  /** Who decided an offboarding; whom a fix case was with. */
  who?: string | null;
  /** A fix case escalated or reopened at the top of its chain. */
  stays?: boolean | null;
  /** What an answered proposal proposed. */
  proposal?: Proposal | null;
}

/** An event's time, kind and key (its reference, or for a `KEYED` kind the entry that recorded it). */
const CURSOR = ['time', 'text', 'text'] as const;
const ALL_KINDS = Object.values(CustomerEventKind);
/** Cursors name the kinds asked for (all when none): one taken under other kinds is refused. */
/** The cursor's tag: one customer's timeline of those kinds (a cursor of another customer or other kinds is refused). */
const tagOf = (customerId: string, kinds: readonly CustomerEventKind[]) => scopedTag('timeline', { customerId, kinds: kinds.length === ALL_KINDS.length ? [] : kinds });
const kindsOf = (args: TimelineArgs) => (args.kinds?.length ? [...new Set(args.kinds)].sort() : ALL_KINDS);
const shapeOf = (k: Key) => `${k.backward ? 'last' : 'first'}|${k.size}|${k.cursor ?? ''}|${k.kinds.join(',')}`;

const K = CustomerEventKind;

/** Rows of the given customers, by the column that names the customer. */
const of = (ids: readonly string[], column = 'customer_id') => sql<boolean>`${sql.ref(column)} = any(${ids}::uuid[])`;

/** The audit entries of complaint `k` with this action (through the audit log's entity index). */
const sameComplaint = (alias: string, action: string) => sql.raw(`${alias}.entity_type = 'complaint' and ${alias}.entity_id = k.id::text and ${alias}.action = '${action}'`);
const complaintEntry = (action: string) => sameComplaint('a', action);

/**
 * When a day-only event is placed: at the moment it was recorded when that was on its own day in the customer's time zone,
 * else at 00:00 UTC of its day, but never later than it was recorded. A payment recorded today then follows the reminder
 * sent before it was known, not precedes it at midnight, and one recorded in a Tokyo morning is not placed in the future.
 */
const dayOrRecorded = (day: string, recorded: string) =>
  sql.raw(`case when (${recorded} at time zone z.time_zone)::date = ${day} then ${recorded}
    else least(${day}::timestamp at time zone 'UTC', ${recorded}) end`);
/** The customer (`z`) of the invoice rows (`alias`), whose time zone `dayOrRecorded` reads: joined once, not looked up per row. */
const withZone = (alias: string) => sql.raw(`join customer z on z.id = ${alias}.customer_id`);
/** The run's offboarding of its customer was withdrawn: its last word on it, as the run's view reads it (audited on the customer, naming the run). */
const OFFBOARDING_WITHDRAWN_BY_RUN = sql.raw(`${lastOffboardingWordSql('playbook_run.customer_id::text', 'playbook_run.workflow_id')} is not distinct from 'customer.offboarding-withdrawn'`);
/**
 * When an invoice's payment was recorded: the payment that settled it on its paid day, else when its paid day was set
 * (an invoices import: no payment; null for one paid before that was kept).
 */
const PAID_RECORDED = 'coalesce((select max(p.created_at) from payment p where p.invoice_id = invoice.id and p.paid_at = invoice.paid_at), invoice.paid_recorded_at)';

/**
 * The kinds whose events are told apart by a `key` of their own: a complaint is resolved (reopened) more than once under one
 * reference, an invoice disputed (and its dispute resolved) more than once.
 */
const KEYED: ReadonlySet<CustomerEventKind> = new Set([
  CustomerEventKind.ComplaintResolved,
  CustomerEventKind.ComplaintReopened,
  CustomerEventKind.FixCaseChanged,
  CustomerEventKind.InvoiceDisputed,
  CustomerEventKind.InvoiceDisputeResolved,
]);
/** The audit entries (`a`) of invoice `i`'s disputes with this action (through the audit log's entity index). */
const disputeEntry = (action: string) => sql.raw(`a.entity_type = 'invoice' and a.entity_id = i.id::text and a.action = '${action}'`);

/**
 * A person's call to a run the run took (SQL over its audit entry `a`): not one it refused (`not-taken`), nor one still on its
 * way or of an outcome nobody knows (`pending`, `unknown`): a decision or an answer shows only once taken, a refused one nowhere.
 */
const TAKEN = `coalesce(a.after ->> 'outcome', 'taken') = 'taken'`;
/** An account review's offboarding decision (through the API, or typed in the Temporal UI) over `audit_entry a` of the run. */
const OFFBOARDING_DECISION = `(a.action = 'playbook.decide-offboarding' or (${TYPED_DECISION}))`;
/** The customer's answer to an account review's proposal: through the API, typed as the update, or as the signal runs took before it (not one they ignored). */
const PROPOSAL_ANSWER = `(a.action = 'playbook.answer-proposal' or (a.action = 'playbook.update-in-engine' and a.after ->> 'update' = 'answerProposal')
  or (a.action = 'playbook.signal-in-engine' and a.after ->> 'signal' = 'proposalAnswered' and a.after -> 'ignored' is null))`;
/** When the call reached the run: one typed in the Temporal UI is audited as the run takes it up, after it acted on it, with when it was sent. */
const SENT_AT = `coalesce((a.after ->> 'sentAt')::timestamptz, a.at)`;
/** A run's step message `step` (SQL text of the run's workflow ID): its key. */
const stepKey = (workflowId: string, step: string) => `${workflowId} || '${RUN_ID_SEPARATOR}${step}'`;
/** The step messages (`alias`) of fix case `fc`'s run with these templates. */
const caseMessages = (alias: string, templates: readonly string[]) =>
  `${alias}.customer_id = fc.customer_id and ${alias}.template in (${templates.map((t) => `'${t}'`).join(', ')}) and ${runPrefixOfKeySql(`${alias}.idempotency_key`)} = ${stepKey('fc.workflow_id', '')}`;
/**
 * A fix case's milestones as its run recorded them: the fix-issue run keeps no history of a case in its row (a reopening
 * clears when it was fixed and confirmed) nor audits its own steps, but writes each escalation and reopening as the new
 * owner's task, and each fix as the customer's word that it is fixed (`fixed-<n>`), in the transaction that changes the case.
 */
const MILESTONE_MESSAGES = { 'issue-fixed': FixCaseMilestone.FixReported, 'fix-case-escalated': FixCaseMilestone.Escalated, 'fix-case-reopened': FixCaseMilestone.Reopened } as const;
/** Whom the case was with when message `m` was written: the owner its opening, last escalation or reopening named. */
const OWNER_THEN = `coalesce((select o.payload ->> 'owner' from outbox_message o where ${caseMessages('o', ['fix-case-opened', 'fix-case-escalated', 'fix-case-reopened'])} and o.created_at <= m.created_at
                              order by o.created_at desc, o.id desc limit 1), fc.owner)`;

/** What some sources need to know of the deployment's policies. */
interface SourcePolicy {
  /** The days after its day a promise to pay holds the reminders (the promise policy's). */
  promiseGraceDays: number;
}

/**
 * Where each kind of event comes from, as (customer_id, at, ref, facts), and for a `KEYED` kind
 * `key`: the table that records it, read by its customer index.
 */
const sources: Record<CustomerEventKind, (ids: readonly string[], policy: SourcePolicy) => RawBuilder<unknown>> = {
  [K.OrderPlaced]: (ids) => sql`select customer_id, ordered_at as at, id::text as ref, jsonb_build_object('amountMinor', amount_minor) as facts from customer_order where ${of(ids)}`,
  [K.InvoiceIssued]: (ids) =>
    sql`select invoice.customer_id, ${dayOrRecorded('issued_at', 'invoice.created_at')} as at, invoice.id::text as ref, jsonb_build_object('amountMinor', amount_minor, 'detail', due_at, 'invoiceNumber', invoice.external_ref, 'day', issued_at) as facts
          from invoice ${withZone('invoice')} where ${of(ids, 'invoice.customer_id')}`,
  [K.InvoicePaid]: (ids) =>
    sql`select invoice.customer_id, ${dayOrRecorded('paid_at', PAID_RECORDED)} as at, invoice.id::text as ref, jsonb_build_object('amountMinor', amount_minor, 'detail', (paid_at - due_at)::text, 'invoiceNumber', invoice.external_ref, 'day', paid_at, 'feesReversedMinor', fee_reversed_minor) as facts
          from invoice ${withZone('invoice')} where ${of(ids, 'invoice.customer_id')} and paid_at is not null`,
  [K.InvoiceCancelled]: (ids) =>
    sql`select invoice.customer_id, ${dayOrRecorded('cancelled_at', 'cancelled_recorded_at')} as at, invoice.id::text as ref, jsonb_build_object('amountMinor', amount_minor, 'invoiceNumber', invoice.external_ref, 'day', cancelled_at, 'feesReversedMinor', fee_reversed_minor) as facts
          from invoice ${withZone('invoice')} where ${of(ids, 'invoice.customer_id')} and cancelled_at is not null`,
  // One per payment, on the day it was paid, whether or not it settled the invoice.
  [K.PaymentReceived]: (ids) =>
    sql`select i.customer_id, ${dayOrRecorded('p.paid_at', 'p.created_at')} as at, p.id::text as ref,
               jsonb_build_object('amountMinor', p.amount_minor, 'detail', i.id::text, 'extra', i.amount_minor::text, 'invoiceNumber', i.external_ref, 'day', p.paid_at) as facts
          from invoice i join payment p on p.invoice_id = i.id ${withZone('i')} where ${of(ids, 'i.customer_id')}`,
  // Each dispute and resolution as disputeInvoice and resolveDispute audited them (the invoice keeps only its latest; `key`: the entry):
  // the customer's reason while it is kept (the erasure makes it null), the outcome and the staff's note.
  [K.InvoiceDisputed]: (ids) =>
    sql`select i.customer_id, coalesce((a.after ->> 'disputedAt')::timestamptz, a.at) as at, i.id::text as ref, a.id::text as key,
               jsonb_build_object('amountMinor', i.amount_minor, 'extra', a.after ->> 'reason', 'invoiceNumber', i.external_ref) as facts
          from invoice i join audit_entry a on ${disputeEntry('invoice.dispute')} where ${of(ids, 'i.customer_id')}`,
  [K.InvoiceDisputeResolved]: (ids) =>
    sql`select i.customer_id, coalesce((a.after ->> 'resolvedAt')::timestamptz, a.at) as at, i.id::text as ref, a.id::text as key,
               jsonb_build_object('amountMinor', i.amount_minor, 'detail', a.after ->> 'outcome', 'extra', a.after ->> 'reason', 'invoiceNumber', i.external_ref) as facts
          from invoice i join audit_entry a on ${disputeEntry('invoice.dispute-resolved')} where ${of(ids, 'i.customer_id')}`,
  [K.ComplaintOpened]: (ids) => sql`select customer_id, opened_at as at, id::text as ref, jsonb_build_object('detail', topic, 'extra', severity) as facts from complaint where ${of(ids)}`,
  // Each resolution and reopening as the audit log recorded it (resolveComplaint, reopenComplaint), a complaint's several apart by their entry (`key`);
  // one an import made, which it does not audit by complaint, from the complaint's row and from the reopening that undid it.
  [K.ComplaintResolved]: (ids) =>
    sql`select k.customer_id, coalesce((a.after ->> 'resolvedAt')::timestamptz, a.at) as at, k.id::text as ref, a.id::text as key, jsonb_build_object('detail', k.topic) as facts
          from complaint k join audit_entry a on ${complaintEntry('complaint.resolve')} where ${of(ids, 'k.customer_id')}
        union all
        select k.customer_id, (a.before ->> 'resolvedAt')::timestamptz, k.id::text, a.id::text, jsonb_build_object('detail', k.topic)
          from complaint k join audit_entry a on ${complaintEntry('complaint.reopen')}
         where ${of(ids, 'k.customer_id')} and a.before ->> 'resolvedAt' is not null
           and not exists (select 1 from audit_entry r where ${sameComplaint('r', 'complaint.resolve')} and (r.after ->> 'resolvedAt')::timestamptz = (a.before ->> 'resolvedAt')::timestamptz)
        union all
        select k.customer_id, k.resolved_at, k.id::text, k.id::text, jsonb_build_object('detail', k.topic) from complaint k
         where ${of(ids, 'k.customer_id')} and k.resolved_at is not null
           and not exists (select 1 from audit_entry r where ${sameComplaint('r', 'complaint.resolve')} and (r.after ->> 'resolvedAt')::timestamptz >= coalesce(k.reopened_at, k.opened_at))`,
  [K.ComplaintReopened]: (ids) =>
    sql`select k.customer_id, coalesce((a.after ->> 'reopenedAt')::timestamptz, a.at) as at, k.id::text as ref, a.id::text as key, jsonb_build_object('detail', k.topic) as facts
          from complaint k join audit_entry a on ${complaintEntry('complaint.reopen')} where ${of(ids, 'k.customer_id')}
        union all
        select k.customer_id, k.reopened_at, k.id::text, k.id::text, jsonb_build_object('detail', k.topic) from complaint k
         where ${of(ids, 'k.customer_id')} and k.reopened_at is not null
           and (select count(*) from audit_entry r where ${sameComplaint('r', 'complaint.reopen')}) < k.reopened_count
           and not exists (select 1 from audit_entry r where ${sameComplaint('r', 'complaint.reopen')} and (r.after ->> 'reopenedAt')::timestamptz = k.reopened_at)`,
  // As withdrawComplaint audited it: the topic it had then (an import may write another over the complaint since) and why.
  [K.ComplaintWithdrawn]: (ids) =>
    sql`select k.customer_id, (a.after ->> 'withdrawnAt')::timestamptz as at, k.id::text as ref, jsonb_build_object('detail', a.after ->> 'topic', 'extra', a.after ->> 'reason') as facts
          from complaint k join audit_entry a on ${complaintEntry('complaint.withdraw')} where ${of(ids, 'k.customer_id')}`,
  [K.MessageSent]: (ids) =>
    sql`select customer_id, m.sent_at as at, m.id::text as ref,
               jsonb_build_object('detail', m.template, 'extra', m.channel, 'payload', m.payload, 'readerName', coalesce(m.sent_name, c.name), 'readerLocale', coalesce(m.sent_locale, c.locale)) as facts
          from outbox_message m join customer c on c.id = m.customer_id where ${of(ids)} and m.sent_at is not null`,
  [K.PlaybookStarted]: (ids) => sql`select customer_id, started_at as at, workflow_id as ref, jsonb_build_object('detail', playbook) as facts from playbook_run where ${of(ids)}`,
  [K.PlaybookFinished]: (ids) =>
    sql`select customer_id, finished_at as at, workflow_id as ref,
               jsonb_build_object('detail', playbook, 'extra', outcome, 'offboardingWithdrawn', playbook = ${ACCOUNT_REVIEW} and ${OFFBOARDING_WITHDRAWN_BY_RUN},
                                  'heldBack', case when playbook = ${APPRECIATION} then split_part(final_state ->> 'heldBack', ':', 1) end,
                                  'noticeEndedEarly', playbook = ${ACCOUNT_REVIEW} and final_state -> 'noticeEnded' is not null and final_state -> 'noticeEnded' <> 'null'::jsonb) as facts
          from playbook_run where ${of(ids)} and finished_at is not null`,
  // Steering and consent, as the audit log recorded them (by entity, through its index).
  [K.PaymentPromised]: (ids) =>
    sql`select r.customer_id, a.at, a.id::text as ref, jsonb_build_object('detail', ${sql.raw(PROMISED_UNTIL)}, 'extra', ${sql.raw(PROMISED_INVOICE)}, 'invoiceNumber', i.external_ref) as facts
          from playbook_run r join audit_entry a on ${sql.raw(PROMISE_MADE_ENTRY)} left join invoice i on i.customer_id = r.customer_id and i.id::text = ${sql.raw(PROMISED_INVOICE)}
         where ${of(ids, 'r.customer_id')}`,
  // A promise that lapsed unpaid, as its run noticed and audited it (the invoice and the day promised); none once a payment
  // booked later turns out dated on or before the day (and its grace days): that promise was kept, only its booking was late.
  [K.PaymentPromiseLapsed]: (ids, policy) =>
    sql`select r.customer_id, a.at, a.id::text as ref, jsonb_build_object('detail', a.after ->> 'until', 'extra', a.after ->> 'invoiceId', 'invoiceNumber', i.external_ref) as facts
          from playbook_run r join audit_entry a on ${sql.raw(promiseLapsedEntry())} left join invoice i on i.customer_id = r.customer_id and i.id::text = a.after ->> 'invoiceId'
         where ${of(ids, 'r.customer_id')} and ${sql.raw(promiseKeptOnSql('i', "a.after ->> 'until'", policy.promiseGraceDays))} is null`,
  // A promise that gave way to the customer's dispute of the invoice, as its run audited it (the invoice and the day promised).
  [K.PaymentPromiseSuperseded]: (ids) =>
    sql`select r.customer_id, a.at, a.id::text as ref, jsonb_build_object('detail', a.after ->> 'until', 'extra', a.after ->> 'invoiceId', 'invoiceNumber', i.external_ref) as facts
          from playbook_run r join audit_entry a on ${sql.raw(promiseSupersededEntry())} left join invoice i on i.customer_id = r.customer_id and i.id::text = a.after ->> 'invoiceId'
         where ${of(ids, 'r.customer_id')}`,
  [K.ConsentChanged]: (ids) =>
    sql`select c.id as customer_id, a.at, a.id::text as ref,
               jsonb_build_object('detail', a.after ->> 'marketingConsent', 'extra', case when a.actor = ${UNSUBSCRIBE_ACTOR} then 'unsubscribe-link' when a.action = ${IMPORT_CONSENT_ACTION} then 'import' when a.action = ${ERASURE_ACTION} then 'erasure' end) as facts
          from customer c join audit_entry a on a.entity_type = 'customer' and a.entity_id = c.id::text
         where ${of(ids, 'c.id')} and a.action = any(${CONSENT_ACTIONS}::text[]) and a.after ? 'marketingConsent'`,
  [K.CampaignEnrolled]: (ids) =>
    sql`select m.customer_id, m.enrolled_at as at, m.campaign_id::text as ref, jsonb_build_object('detail', cmp.name, 'extra', m."group") as facts
          from campaign_member m join campaign cmp on cmp.id = m.campaign_id where ${of(ids, 'm.customer_id')}`,
  // Tier changes as recorded when they took effect here (the day they count from for profitability is the customer's day of it).
  [K.TierChanged]: (ids) =>
    sql`select customer_id, created_at as at, id::text as ref, jsonb_build_object('detail', to_tier, 'extra', source, 'previous', from_tier, 'day', changed_on) as facts
          from service_tier_change where ${of(ids)}`,
  // Offboarding decisions the run took, by whom (the caller, or the decider typed in the Temporal UI); why stays in the audit log.
  [K.OffboardingDecided]: (ids) =>
    sql`select r.customer_id, ${sql.raw(SENT_AT)} as at, a.id::text as ref,
               jsonb_build_object('detail', case when coalesce(a.after ->> 'approve', a.after #>> '{input,0,approve}') = 'true' then 'approved' else 'rejected' end,
                                  'who', case when a.action = 'playbook.decide-offboarding' then a.actor else a.after #>> '{input,0,decidedBy}' end) as facts
          from playbook_run r join audit_entry a on a.entity_type = 'playbook_run' and a.entity_id = r.workflow_id
         where ${of(ids, 'r.customer_id')} and r.playbook = ${ACCOUNT_REVIEW} and ${sql.raw(OFFBOARDING_DECISION)} and ${sql.raw(TAKEN)}`,
  // The customer put under notice as the approved offboarding began (the run's entry), until the day its notice names.
  [K.OffboardingNoticeGiven]: (ids) =>
    sql`select c.id as customer_id, a.at, a.id::text as ref, jsonb_build_object('detail', coalesce(m.payload ->> 'noticeEndsOn', left(m.payload ->> 'noticeEndsAt', 10))) as facts
          from customer c join audit_entry a on a.entity_type = 'customer' and a.entity_id = c.id::text and a.action = 'customer.offboarding'
          left join outbox_message m on m.idempotency_key = ${sql.raw(stepKey("(a.after ->> 'workflowId')", 'notice'))}
         where ${of(ids, 'c.id')}`,
  // Answers to a review's proposal the run took (one to a proposal held back, or declined while it waited, shows too), with what it proposed.
  [K.ProposalAnswered]: (ids) =>
    sql`select r.customer_id, ${sql.raw(SENT_AT)} as at, a.id::text as ref,
               jsonb_build_object('detail', case when coalesce(a.after ->> 'accepted', a.after #>> '{input,0,accepted}') = 'true' then 'accepted' else 'declined' end, 'proposal', m.payload -> 'proposal') as facts
          from playbook_run r join audit_entry a on a.entity_type = 'playbook_run' and a.entity_id = r.workflow_id
          left join outbox_message m on m.idempotency_key = ${sql.raw(stepKey('r.workflow_id', 'proposal'))}
         where ${of(ids, 'r.customer_id')} and r.playbook = ${ACCOUNT_REVIEW} and ${sql.raw(PROPOSAL_ANSWER)} and ${sql.raw(TAKEN)}`,
  // A fix case's milestones (ref: the case; `key`: what recorded each): fixes, escalations and reopenings from its run's
  // messages (a fix reported before the customer was told of fixes, from the case), the customer's word that it holds from the audit log.
  [K.FixCaseChanged]: (ids) =>
    sql`select fc.customer_id, m.created_at as at, fc.id::text as ref, m.id::text as key,
               jsonb_build_object('detail', case m.template ${sql.raw(Object.entries(MILESTONE_MESSAGES).map(([t, d]) => `when '${t}' then '${d}'`).join(' '))} end,
                                  'extra', fc.topic, 'who', case when m.template = 'issue-fixed' then ${sql.raw(OWNER_THEN)} else m.payload ->> 'owner' end,
                                  'stays', m.template <> 'issue-fixed' and m.payload ->> 'stays' = 'true') as facts
          from fix_case fc join outbox_message m on ${sql.raw(caseMessages('m', Object.keys(MILESTONE_MESSAGES)))}
         where ${of(ids, 'fc.customer_id')}
        union all
        select fc.customer_id, fc.resolved_at, fc.id::text, fc.id::text || '/fixed', jsonb_build_object('detail', ${FixCaseMilestone.FixReported}::text, 'extra', fc.topic, 'who', fc.owner)
          from fix_case fc
         where ${of(ids, 'fc.customer_id')} and fc.resolved_at is not null and not exists (select 1 from outbox_message m where ${sql.raw(caseMessages('m', ['issue-fixed']))})
        union all
        select fc.customer_id, coalesce((a.after ->> 'confirmedAt')::timestamptz, a.at), fc.id::text, a.id::text, jsonb_build_object('detail', ${FixCaseMilestone.FixConfirmed}::text, 'extra', fc.topic)
          from fix_case fc join audit_entry a on a.entity_type = 'fix_case' and a.entity_id = fc.id::text and a.action = 'fix-case.confirm'
         where ${of(ids, 'fc.customer_id')}`,
  // Bands as they moved (recorded when current_score changed; a customer's first band is no change).
  [K.ScoreBandChanged]: (ids) =>
    sql`select customer_id, changed_at as at, snapshot_id::text || '/' || kind as ref, jsonb_build_object('detail', kind, 'extra', band, 'previous', previous) as facts
          from score_band_change where ${of(ids)} and kind = any(${TIMELINE_SCORE_KINDS}::text[])`,
};

/** The events of these kinds of the given customers. */
function events(ids: readonly string[], kinds: readonly CustomerEventKind[], policy: SourcePolicy) {
  return sql.join(
    kinds.map((kind) => sql`select e.customer_id, ${kind}::text as kind, e.at, e.ref, ${KEYED.has(kind) ? sql`e.key` : sql`e.ref`} as key, e.facts from (${sources[kind](ids, policy)}) e`),
    sql` union all `,
  );
}

/**
 * A customer's timeline: orders, invoices issued and paid, payments received, disputes of invoices and their resolutions, complaints opened, resolved and reopened,
 * messages sent, playbook runs, campaigns, promises to pay (and those not kept), consent, tier and score band changes, offboarding decisions
 * and notices, answers to proposals, fix cases' milestones, newest
 * first in one list, each with a line a person reads, so a customer page needs one
 * connection instead of merging many. Batched: the
 * timelines of a page of customers cost one statement (and one more for their totalCount).
 */
export class CustomerTimelineService {
  private readonly pages: DataLoader<Key, Page<CustomerEvent>, string>;
  private readonly counts: DataLoader<{ customerId: string; kinds: readonly CustomerEventKind[] }, number, string>;

  constructor(
    private readonly em: EntityManager,
    /** The currency of amounts in message texts (the money policy's). */
    private readonly currency: string,
    /** The days after its day a promise to pay holds the reminders (the promise policy's): a payment dated by then kept it. */
    private readonly promiseGraceDays: number,
  ) {
    this.pages = new DataLoader((keys) => this.loadPages(keys), { cacheKeyFn: (k) => `${k.customerId}|${shapeOf(k)}` });
    this.counts = new DataLoader((keys) => this.loadCounts(keys), { cacheKeyFn: (k) => `${k.customerId}|${k.kinds.join(',')}` });
  }

  forCustomer(customerId: string, args: TimelineArgs): Promise<Page<CustomerEvent>> {
    const window = pageWindow(args);
    const kinds = kindsOf(args);
    if (window.cursor !== null) decodeCursor(tagOf(customerId, kinds), window.cursor, CURSOR, { field: window.field });
    return this.pages.load({ customerId, ...window, kinds });
  }

  private async loadPages(keys: readonly Key[]): Promise<Page<CustomerEvent>[]> {
    // Customers asking for the same page shape share one statement.
    const groups = new Map<string, Key[]>();
    for (const key of keys) groups.set(shapeOf(key), [...(groups.get(shapeOf(key)) ?? []), key]);
    const rowsOf = new Map<string, EventRow[]>();
    await Promise.all(
      [...groups.entries()].map(async ([shape, group]) => {
        for (const [customerId, rows] of await this.fetch(group)) rowsOf.set(`${customerId}|${shape}`, rows);
      }),
    );
    return keys.map((key) => {
      const events = (rowsOf.get(`${key.customerId}|${shapeOf(key)}`) ?? []).map((row) => toEvent(row, this.currency));
      const cursorOf = (e: CustomerEvent) => encodeCursor(tagOf(key.customerId, key.kinds), [e.at.toISOString(), e.kind, e.key]);
      return windowPage(events, key, () => this.counts.load({ customerId: key.customerId, kinds: key.kinds }), cursorOf);
    });
  }

  /** Each customer's newest `first + 1` events after the cursor. */
  private async fetch(group: Key[]): Promise<Map<string, EventRow[]>> {
    const { size, cursor, backward, field, kinds } = group[0];
    // Newest first; backward, the events before the cursor are read oldest first (windowPage turns them round).
    const [op, dir] = backward ? [sql.raw('>'), sql.raw('asc')] : [sql.raw('<'), sql.raw('desc')];
    let beyond = sql`true`;
    if (cursor !== null) {
      // A cursor is one customer's (forCustomer refused it under any other): customers sharing one are that customer.
      const [at, kind, key] = decodeCursor(tagOf(group[0].customerId, kinds), cursor, CURSOR, { field }) as [string, string, string];
      beyond = sql`(e.at, e.kind, e.key) ${op} (${at}::timestamptz, ${kind}, ${key})`;
    }
    const { rows } = await sql<EventRow>`
      select * from (
        select e.*, row_number() over (partition by e.customer_id order by e.at ${dir}, e.kind ${dir}, e.key ${dir}) as n
          from (${events(group.map((k) => k.customerId), kinds, { promiseGraceDays: this.promiseGraceDays })}) e
         where ${beyond}
      ) r
      where r.n <= ${size + 1}
      order by r.customer_id, r.at ${dir}, r.kind ${dir}, r.key ${dir}`.execute(this.em.getKysely());
    const byCustomer = new Map<string, EventRow[]>();
    for (const row of rows) byCustomer.set(row.customer_id, [...(byCustomer.get(row.customer_id) ?? []), row]);
    return byCustomer;
  }

  /** Counts for many customers, one statement per set of kinds asked for. */
  private async loadCounts(keys: readonly { customerId: string; kinds: readonly CustomerEventKind[] }[]): Promise<number[]> {
    const counts = new Map<string, number>();
    const kindSets = new Map(keys.map((k) => [k.kinds.join(','), k.kinds]));
    await Promise.all(
      [...kindSets.entries()].map(async ([set, kinds]) => {
        const ids = keys.filter((k) => k.kinds.join(',') === set).map((k) => k.customerId);
        const { rows } = await sql<{ customer_id: string; n: string }>`
          select customer_id, count(*) as n from (${events(ids, kinds, { promiseGraceDays: this.promiseGraceDays })}) e group by 1`.execute(this.em.getKysely());
        for (const row of rows) counts.set(`${row.customer_id}|${set}`, Number(row.n));
      }),
    );
    return keys.map((k) => counts.get(`${k.customerId}|${k.kinds.join(',')}`) ?? 0);
  }
}

/** An event as the timeline shows it; a message's subject rendered for its reader, in their language. */
function toEvent(row: EventRow, currency: string): CustomerEvent {
  const f = row.facts;
  const facts: CustomerEventFacts = {
    kind: row.kind,
    ref: row.ref,
    amountMinor: f.amountMinor == null ? null : Number(f.amountMinor),
    detail: f.detail ?? null,
    extra: f.extra ?? null,
    previous: f.previous ?? null,
    ...(f.offboardingWithdrawn ? { offboardingWithdrawn: true } : {}),
    ...(f.heldBack ? { heldBack: f.heldBack } : {}),
    ...(f.noticeEndedEarly ? { noticeEndedEarly: true } : {}),
    ...(f.who ? { who: f.who } : {}),
    ...(f.stays ? { stays: true } : {}),
    ...(Number(f.feesReversedMinor ?? 0) > 0 ? { feesReversedMinor: Number(f.feesReversedMinor) } : {}),
    ...(row.kind === CustomerEventKind.ProposalAnswered ? { proposal: f.proposal ?? null } : {}),
    invoiceNumber: f.invoiceNumber ?? null,
  };
  if (row.kind === CustomerEventKind.MessageSent) {
    facts.subject = renderIfKnown(f.detail ?? '', f.readerName ?? '', f.payload ?? {}, f.readerLocale ?? 'en', currency).subject;
    facts.task = taskOf(f.detail ?? '', f.payload ?? {});
  }
  const at = new Date(row.at);
  // (A tier change is recorded at a moment and counts from a day, the customer's: both are shown. An event kept by day
  // shows its own day, the customer's, which need not be the UTC day of the moment it is placed at.)
  const day = f.day ?? null;
  return { ...facts, id: `${row.customer_id}/${row.kind}/${row.key}`, key: row.key, customerId: row.customer_id, at, day, summary: eventSummary(facts, currency) };
}
