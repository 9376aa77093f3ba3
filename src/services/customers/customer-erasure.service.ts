import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { retentionReason, type DataRetentionPolicy } from '../../domain/customers/data-retention.js';
import { CustomerStatus, type Customer } from '../../entities/index.js';
import type { AuditService } from '../audit/audit.service.js';
import { CustomerException, CustomerExceptionCode } from './customer.exception.js';
import { storedCustomer } from './customer.service.js';
import { reasonProblem } from '../../domain/text.js';
import { ERASED_MENTION, fullMentionNeedles, redact, redactFullMentions, type Identity } from '../../domain/customers/personal-mentions.js';
import { MAX_SEGMENT_DESCRIPTION, MAX_SEGMENT_NAME } from '../segments/segment.service.js';
import { MAX_CAMPAIGN_NAME } from '../../domain/campaigns/campaign.js';
import { ACCOUNT_REVIEW } from '../../domain/playbooks/account-review.js';
import { eraseKeptDecisionReasons } from '../playbooks/final-state.js';
import { typedInputErased, type TypedMessage } from '../../domain/customers/typed-input.js';
import { billingTemplates } from '../../domain/messages/catalogue.js';
import { ERASURE_ACTION } from '../../domain/customers/contact.js';

/** What identifies a person: taken out of the customer row, and erased in the audit log's before/after (the keys stay, so the log still says which fields a change touched). */
export const PERSONAL_FIELD_NAMES = ['name', 'email', 'phone', 'timeZone', 'locale', 'externalRef'] as const;
/** PERSONAL_FIELD_NAMES as an SQL array. */
export const PERSONAL_FIELDS = `array[${PERSONAL_FIELD_NAMES.map((f) => `'${f}'`).join(', ')}]`;

/**
 * The customer's own audit entries that hold their contact data (SQL condition on `audit_entry a`; binds the
 * customer's ID once): what the erasure scrubs, and what their data export shows as their contact history.
 */
export const CONTACT_DATA_ENTRIES = `a.entity_type = 'customer' and a.entity_id = ? and (a.before - ${PERSONAL_FIELDS} is distinct from a.before or a.after - ${PERSONAL_FIELDS} is distinct from a.after)`;

/** Whether a side (SQL jsonb expression) of an entry still holds contact data: a personal field whose value is neither null nor erased. */
const holdsContactData = (side: string) =>
  `jsonb_typeof(${side}) = 'object' and exists (select 1 from jsonb_each(${side}) e(k, v) where e.k = any(${PERSONAL_FIELDS}) and e.v <> 'null'::jsonb and e.v <> to_jsonb(?::text))`;
/** A side (SQL jsonb expression) with each personal field's value erased (a null stays null: there was nothing). */
const contactDataErased = (side: string) =>
  `case when ${side} is null or jsonb_typeof(${side}) <> 'object' then ${side} else (select coalesce(jsonb_object_agg(e.k, case when e.k = any(${PERSONAL_FIELDS}) and e.v <> 'null'::jsonb then to_jsonb(?::text) else e.v end), '{}'::jsonb) from jsonb_each(${side}) e(k, v)) end`;

/**
 * The audit entries about the customer and their records (SQL condition on `audit_entry a`; binds the customer's ID
 * three times): entries about them, their playbook runs and their messages. Those that give a reason (`after.reason`, or
 * a decision typed in the Temporal UI: TYPED_DECISION) hold a person's words about them: the erasure takes the words that
 * name them out, and their data export shows them as notes.
 */
export const ABOUT_THEM = `((a.entity_type = 'customer' and a.entity_id = ?)
            or (a.entity_type = 'playbook_run' and a.entity_id in (select r.workflow_id from playbook_run r where r.customer_id = ?::uuid))
            or (a.entity_type = 'outbox_message' and a.entity_id in (select m.id::text from outbox_message m where m.customer_id = ?::uuid)))`;

/**
 * The signals and updates an operator typed into the customer's playbook runs in the Temporal UI or CLI (SQL condition on
 * `audit_entry a`; binds the customer's ID once), with their input (`after.input`): words a person wrote about them
 * (typed-input.ts), which the erasure takes out and their data export shows as notes.
 */
export const TYPED_INPUTS = `a.entity_type = 'playbook_run' and a.entity_id in (select r.workflow_id from playbook_run r where r.customer_id = ?::uuid)
            and a.action in ('playbook.signal-in-engine', 'playbook.update-in-engine') and a.after -> 'input' is not null`;

/**
 * The audit entries of the disputes of the customer's invoices (SQL condition on `audit_entry a`; binds the customer's ID
 * once): `invoice.dispute` (`after.reason`, and a later dispute's `before.reason`: the customer's own words) and
 * `invoice.dispute-resolved` (`before.reason`: the customer's words; `after.reason`: the staff's note on the resolution).
 * Their data export lists each dispute from them; the erasure takes the customer's words out as it takes complaint texts.
 */
export const DISPUTE_ENTRIES = `a.entity_type = 'invoice' and a.action in ('invoice.dispute', 'invoice.dispute-resolved')
            and a.entity_id in (select i.id::text from invoice i where i.customer_id = ?::uuid)`;

/** An offboarding decision typed in the Temporal UI (SQL condition on `audit_entry a`): its reason is at `after.input[0].reason`. */
export const TYPED_DECISION = `a.action = 'playbook.update-in-engine' and a.after ->> 'update' = 'decideOffboarding'`;

/**
 * A decision typed in the Temporal UI that the run took (TYPED_DECISION): not one it refused (a decider named as an
 * admin, a made-up reasonEntry: `outcome: "not-taken"`), nor one it has not answered yet. The erasure scrubs them all;
 * only these are reasons recorded about the customer.
 */
export const TAKEN_TYPED_DECISION = `${TYPED_DECISION} and coalesce(a.after ->> 'outcome', 'taken') = 'taken'`;

/** What a saved search that named the customer becomes: it finds nobody, and names no one. */
const ERASED_SEARCH = '[erased]';

/**
 * Whether a saved search (SQL text expression) names the customer of the `who` CTE (their ID, and
 * every name, e-mail and phone they had): equal to one of them, holding one of their e-mail
 * addresses, or a part of one of them (the customers filter's search finds any part of a name or
 * e-mail: a mailbox without its `.com`, the local part with its `@`, a surname; digits of their phone
 * are theirs too, though the search does not look at phones) unless the part is
 * shared: it lies in the domain of their address (from the `@` on: a domain is many people's), or
 * another customer's name, e-mail address or phone holds it too (it does not single them out).
 */
const namesThem = (search: string) => {
  const s = `lower(btrim(${search}))`;
  const partOfTheirs =
    `exists (select 1 from who, unnest(who.names || who.phones) v where position(${s} in lower(v)) > 0)` +
    ` or exists (select 1 from who, unnest(who.emails) e where position(${s} in lower(e)) > 0 and position(${s} in coalesce(substring(lower(e) from '@.*$'), '')) = 0)`;
  // Found as the customers filter finds it (the expression of its trigram index); the search's own %, _ and backslash taken literally.
  const anywhere = `'%' || replace(replace(replace(${s}, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'`;
  const othersHaveIt =
    `exists (select 1 from customer o, who where o.id <> who.id and (lower(o.name) || chr(10) || lower(o.email)) like ${anywhere})` +
    ` or exists (select 1 from customer o, who where o.id <> who.id and position(${s} in lower(o.phone)) > 0)`;
  return `(${s} in (select lower(unnest(who.names || who.emails || who.phones)) from who)
    or exists (select 1 from who, unnest(who.emails) e where position(lower(e) in ${s}) > 0)
    or (${s} <> '' and (${partOfTheirs}) and not (${othersHaveIt})))`;
};
const WHO = `with who as (select ?::uuid as id, array(select jsonb_array_elements_text(?::jsonb)) as names, array(select jsonb_array_elements_text(?::jsonb)) as emails, array(select jsonb_array_elements_text(?::jsonb)) as phones)`;


/** Why the messages still queued for an erased customer were held back (the delivery guard's wording). */
const ERASED = "erased: the customer's personal data was erased";

export interface ErasureReport {
  customer: Customer;
  complaintTextsCleared: number;
  disputeReasonsCleared: number;
  exportsDeleted: number;
  queuedMessagesHeldBack: number;
  auditEntriesScrubbed: number;
}

/**
 * The right to erasure (GDPR Art. 17): what identifies the customer goes, what the business
 * must keep stays. Name, e-mail address, phone, time zone, language and CRM reference are replaced or
 * cleared, complaint texts, the reasons they gave for disputing invoices and data exports deleted, queued messages held back, and the audit
 * log's record of earlier contact-data changes scrubbed; orders, invoices, payments, scores and
 * playbook records stay, under the customer's ID alone (workflow histories hold IDs: an offboarding decision's reason is in the audit log;
 * one typed in the Temporal UI, which a run's state holds, is scrubbed from the state its record kept as it ended).
 * A customer with a playbook still running is refused (an operator cancels it or lets it
 * finish first), so no run writes to someone who is gone. All in one transaction; erasing
 * again changes nothing but its audit entry.
 */
export class CustomerErasureService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
  ) {}

  /**
   * An erasure a person asked for: their reason stays in the audit log, without the words that name the customer. A request
   * refused because runs are under way is audited too (`customer.erase-refused`, with the code and the runs, in a
   * transaction of its own, as the erasure's rolled back), so the log shows every request a person made and how it was answered.
   */
  async erase(id: string, reason: string, actor: string): Promise<ErasureReport> {
    try {
      return await this.eraseWith(id, reason, actor, { typed: true });
    } catch (error) {
      if (error instanceof CustomerException && holdsErasureBack(error)) {
        // The customer is not erased: a reason naming them is theirs until their erasure redacts it, as any reason about them.
        const { workflowIds, messageIds } = error.details as { workflowIds?: string[]; messageIds?: string[] };
        await this.em.transactional(async (em) => {
          this.audit.record(em, { actor, action: 'customer.erase-refused', entityType: 'customer', entityId: id, after: { reason: reason.trim(), code: error.code, ...(workflowIds ? { workflowIds } : { messageIds }) } });
        });
      }
      throw error;
    }
  }

  private async eraseWith(id: string, reason: string, actor: string, options: { typed: boolean }): Promise<ErasureReport> {
    const why = reason.trim();
    const problem = reasonProblem(why, 'An erasure needs a reason (e.g. the request it answers)');
    if (problem) throw new CustomerException(CustomerExceptionCode.InvalidInput, problem, { field: 'reason' });
    return this.em.transactional(async (em) => {
      // Its reference goes: an import naming the customer comes first or waits (customerLockSql).
      const customer = await storedCustomer(em, id, { lock: 'reference' });
      const nothing = { customer, complaintTextsCleared: 0, disputeReasonsCleared: 0, exportsDeleted: 0, queuedMessagesHeldBack: 0, auditEntriesScrubbed: 0 };
      if (customer.status === CustomerStatus.Erased) {
        // A repeated request (a reminder from the customer) changes nothing, but is on record as it was answered. Its reason is
        // kept as given: the names, addresses and numbers a reason's words are redacted by went with the first erasure.
        this.audit.record(em, { actor, action: ERASURE_ACTION, entityType: 'customer', entityId: id, before: { status: customer.status }, after: { status: customer.status, reason: why, alreadyErased: true } });
        return nothing;
      }
      // Read before the audit log's contact data goes: a saved search or a reason may name them as they were.
      const who = await identity(em, customer);

      const running: { workflow_id: string }[] = await em.execute(`select workflow_id from playbook_run where customer_id = ? and status = 'running' order by started_at`, [id]);
      if (running.length > 0) {
        const workflowIds = running.map((r) => r.workflow_id);
        // A customer under offboarding notice leaves anyway: cancelling their review would withdraw the offboarding and tell
        // them the contract continues, and the notice runs for weeks. Its notice is ended early instead (they are offboarded now).
        const inNotice = customer.status === CustomerStatus.Offboarding ? workflowIds.filter((w) => w.startsWith(`${ACCOUNT_REVIEW}/`)) : [];
        const howToGo = inNotice.length > 0
          ? `: the account review ${inNotice.join(', ')} is in its offboarding notice: end it early with endOffboardingNotice (the customer is offboarded now, with the final invoice's task; cancelling it would withdraw the offboarding and tell them the contract continues), then erase${workflowIds.length > inNotice.length ? '; cancel the other runs or let them finish first' : ''}`
          : ': cancel them or let them finish before erasing';
        throw new CustomerException(CustomerExceptionCode.PlaybooksRunning, `Customer ${id} has playbook runs under way (${workflowIds.join(', ')})${howToGo}`, { id, workflowIds, ...(inNotice.length > 0 ? { offboardingNotice: inNotice } : {}) });
      }

      // The billing team's tasks about them go out first: the erasure holds back what is queued, and a final invoice or a
      // credit owed would never be issued. Delivery takes them within a round (one it gave up on waits in the queue of
      // undeliverable messages for a person to retry or discard).
      const billing: { id: string; template: string }[] = await em.execute(
        `select id, template from outbox_message where customer_id = ? and template in (?) and sent_at is null and suppressed_at is null order by created_at, id`,
        [id, [...billingTemplates]],
      );
      if (billing.length > 0) {
        throw new CustomerException(
          CustomerExceptionCode.BillingTasksPending,
          `Customer ${id} has tasks for the billing team not delivered yet (${billing.map((t) => t.template).join(', ')}): erase once they have gone out (within a delivery round; one delivery gave up on is retried or discarded from the undeliverable messages first)`,
          { id, messageIds: billing.map((t) => t.id) },
        );
      }

      // What the erasure changes of segments and campaigns, audited as their changes are (below).
      const changed: ErasedChanges = new Map();
      // A fix case's task quotes the complaints behind it: their words go from its payload as from the complaints, their references stay.
      await em.execute(
        `update outbox_message m set payload = jsonb_set(m.payload, '{complaints}', (select coalesce(jsonb_agg(c - 'summary' order by i), '[]'::jsonb) from jsonb_array_elements(m.payload -> 'complaints') with ordinality e(c, i)))
          where m.customer_id = ? and jsonb_typeof(m.payload -> 'complaints') = 'array'`,
        [id],
      );
      // The help to switch quotes the customer's CRM reference, which the erasure takes from the customer (externalRef): from the message too.
      await em.execute(`update outbox_message set payload = payload - 'customerRef' where customer_id = ? and payload -> 'customerRef' is not null`, [id]);
      const report: ErasureReport = {
        ...nothing,
        complaintTextsCleared: await affected(em, `update complaint set summary = null where customer_id = ? and summary is not null`, [id]),
        // Why they disputed an invoice is their own words, as a complaint's text: it goes; when, and how it was resolved, stay.
        disputeReasonsCleared: await affected(em, `update invoice set dispute_reason = null where customer_id = ? and dispute_reason is not null`, [id]),
        exportsDeleted: await affected(em, `delete from customer_export where customer_id = ?`, [id]),
        queuedMessagesHeldBack: await affected(em, `update outbox_message set suppressed_at = now(), suppressed_reason = ? where customer_id = ? and sent_at is null and suppressed_at is null`, [ERASED, id]),
        auditEntriesScrubbed:
          // Values erased, keys kept: the log still says which fields the change touched (not personal data), not what they were.
          (await affected(
            em,
            `update audit_entry a set before = ${contactDataErased('a.before')}, after = ${contactDataErased('a.after')}
              where ${CONTACT_DATA_ENTRIES} and (${holdsContactData('a.before')} or ${holdsContactData('a.after')})`,
            [ERASED_MENTION, ERASED_MENTION, id, ERASED_MENTION, ERASED_MENTION],
          )) +
          // A gateway's refusal names the address it refused: kept on the message and in the audit of its retry.
          (await affected(
            em,
            `update audit_entry a set before = a.before - 'lastError', after = a.after - 'lastError' from outbox_message m
              where a.entity_type = 'outbox_message' and a.entity_id = m.id::text and m.customer_id = ? and (a.before -> 'lastError' is not null or a.after -> 'lastError' is not null)`,
            [id],
          )) +
          (await this.eraseDecisionReasons(em, id)) +
          (await this.eraseDisputeReasons(em, id)) +
          (await this.eraseReasonsNamingThem(em, id, who)) +
          (await this.eraseTypedInputs(em, id, who)) +
          (await this.eraseSavedSearches(em, id, who, changed)) +
          (await this.eraseFullMentions(em, who, changed)),
      };
      // As a marketer's change is audited, with what each is now; not what it was, which named them.
      for (const [key, after] of changed) {
        const [entityType, entityId] = key.split(':') as ['segment' | 'campaign', string];
        this.audit.record(em, { actor, action: `${entityType}.update`, entityType, entityId, after });
      }
      await eraseKeptDecisionReasons(em, { erasedCustomerId: id });
      await em.execute(`update outbox_message set last_error = null, sent_name = null, sent_locale = null where customer_id = ? and (last_error is not null or sent_name is not null or sent_locale is not null)`, [id]);
      // The consent the erasure withdraws is a consent change of its own: recorded as one (no personal data in it), so their
      // data export's consent history and their timeline end with the withdrawal, not with the consent they had given.
      const consent = customer.marketingConsent ? { before: { marketingConsent: true }, after: { marketingConsent: false } } : { before: {}, after: {} };
      const before = { status: customer.status, ...consent.before };
      em.assign(customer, { name: 'Erased customer', email: `erased-${id}@erased.invalid`, phone: null, timeZone: 'UTC', locale: 'en', externalRef: null, marketingConsent: false, status: CustomerStatus.Erased });
      this.audit.record(em, {
        actor,
        action: ERASURE_ACTION,
        entityType: 'customer',
        entityId: id,
        before,
        after: { status: CustomerStatus.Erased, ...consent.after, reason: options.typed ? redact(why, who) : why, complaintTextsCleared: report.complaintTextsCleared, disputeReasonsCleared: report.disputeReasonsCleared, exportsDeleted: report.exportsDeleted, queuedMessagesHeldBack: report.queuedMessagesHeldBack, auditEntriesScrubbed: report.auditEntriesScrubbed },
      });
      return report;
    });
  }

  /**
   * The reasons given for offboarding decisions on the customer's account reviews are a
   * person's words about them: in the decision's audit entry (through the API, or as typed in
   * the Temporal UI) and in offboarding entries written before decisions named their entry.
   * They become ERASED_SEARCH; who decided what, and when, stays. Answers how many entries it changed.
   */
  private async eraseDecisionReasons(em: EntityManager, id: string): Promise<number> {
    const typed = TYPED_DECISION;
    return affected(
      em,
      `update audit_entry a
          set after = case when ${typed} then jsonb_set(a.after, '{input,0,reason}', to_jsonb(?::text)) else jsonb_set(a.after, '{reason}', to_jsonb(?::text)) end
        where ((a.entity_type = 'playbook_run' and a.entity_id in (select r.workflow_id from playbook_run r where r.customer_id = ?::uuid and r.playbook = 'account-review')
                and ((a.action = 'playbook.decide-offboarding' and a.after ->> 'reason' <> ?) or (${typed} and a.after #>> '{input,0,reason}' <> ?)))
            or (a.entity_type = 'customer' and a.entity_id = ? and a.action = 'customer.offboarding' and a.after ->> 'reason' <> ?))`,
      [ERASED_SEARCH, ERASED_SEARCH, id, ERASED_SEARCH, ERASED_SEARCH, id, ERASED_SEARCH],
    );
  }

  /**
   * The customer's words on why they disputed an invoice, as the audit log's dispute entries copied them (DISPUTE_ENTRIES:
   * the dispute's `after.reason`, and `before.reason` of a later dispute and of the resolution), become null as the invoice's
   * own copy does: the keys stay, so the log still says a reason was given. The staff's note on a resolution is a person's
   * words about them (eraseReasonsNamingThem). Answers how many entries it changed.
   */
  private async eraseDisputeReasons(em: EntityManager, id: string): Promise<number> {
    const theirs = `a.action = 'invoice.dispute' and a.after ->> 'reason' is not null`;
    return affected(
      em,
      `update audit_entry a
          set after = case when ${theirs} then jsonb_set(a.after, '{reason}', 'null'::jsonb) else a.after end,
              before = case when a.before ->> 'reason' is not null then jsonb_set(a.before, '{reason}', 'null'::jsonb) else a.before end
        where ${DISPUTE_ENTRIES} and ((${theirs}) or a.before ->> 'reason' is not null)`,
      [id],
    );
  }

  /**
   * The reasons people typed about the customer's records (exporting their data, cancelling
   * their runs, discarding their messages, resolving their invoice's dispute, and whatever else an entry about them, their runs or
   * their messages gives a reason for, withdrawing a complaint of theirs) lose the words that name them (`redact`), in the audit
   * entry and where the reason is shown (a discard's on the message, a withdrawal's on the complaint). Who did what, when
   * and why stays. Answers how many audit entries it changed.
   */
  private async eraseReasonsNamingThem(em: EntityManager, id: string, who: Identity): Promise<number> {
    const reasons = await em.execute<{ id: string; reason: string }[]>(
      `select a.id, a.after ->> 'reason' as reason from audit_entry a
        where a.after ->> 'reason' is not null and (${ABOUT_THEM} or (${DISPUTE_ENTRIES} and a.action = 'invoice.dispute-resolved')
              or (a.entity_type = 'complaint' and a.action = 'complaint.withdraw' and a.entity_id in (select k.id::text from complaint k where k.customer_id = ?::uuid)))`,
      [id, id, id, id, id],
    );
    // Where a reason is shown beside its record: a discard's on the message, a withdrawal's on the complaint.
    const shown = [
      { table: 'outbox_message', column: 'suppressed_reason', which: `starts_with(suppressed_reason, 'discarded: ')` },
      { table: 'complaint', column: 'withdrawn_reason', which: 'withdrawn_reason is not null' },
    ];
    for (const { table, column, which } of shown) {
      for (const row of await em.execute<{ id: string; reason: string }[]>(`select id, ${column} as reason from ${table} where customer_id = ? and ${which}`, [id])) {
        const redacted = redact(row.reason, who);
        if (redacted !== row.reason) await em.execute(`update ${table} set ${column} = ? where id = ?`, [redacted, row.id]);
      }
    }
    let changed = 0;
    for (const r of reasons) {
      const redacted = redact(r.reason, who);
      if (redacted !== r.reason) changed += await affected(em, `update audit_entry set after = jsonb_set(after, '{reason}', to_jsonb(?::text)) where id = ?`, [redacted, r.id]);
    }
    return changed;
  }

  /**
   * What operators typed into the customer's runs in the Temporal UI or CLI (TYPED_INPUTS: a promise's `recordedBy`, a
   * signal's note, the input of a signal the run ignored) loses its free text whole, and the customer's name, e-mail
   * address and phone in the members the run reads as data (`typedInputErased`). Which message was sent, by whom and
   * when, a promise's day and a decision's answer stay. Answers how many audit entries it changed.
   */
  private async eraseTypedInputs(em: EntityManager, id: string, who: Identity): Promise<number> {
    const typed = await em.execute<{ id: string; after: TypedMessage & { input: unknown } }[]>(`select a.id, a.after from audit_entry a where ${TYPED_INPUTS}`, [id]);
    let changed = 0;
    for (const entry of typed) {
      const input = JSON.stringify(typedInputErased(entry.after, entry.after.input, who));
      if (input !== JSON.stringify(entry.after.input)) changed += await affected(em, `update audit_entry set after = jsonb_set(after, '{input}', ?::jsonb) where id = ?`, [input, entry.id]);
    }
    return changed;
  }

  /**
   * A segment or campaign a marketer saved with a search for this customer (an e-mail address
   * they have or had, say) keeps personal data: its search, and that of its audit entries,
   * becomes ERASED_SEARCH (noted in `changed`). Answers how many audit entries it changed.
   */
  private async eraseSavedSearches(em: EntityManager, id: string, identity: Identity, changed: ErasedChanges): Promise<number> {
    const who = [id, JSON.stringify(identity.names), JSON.stringify(identity.emails), JSON.stringify(identity.phones)];
    const segments = await em.execute<{ id: string; filter: unknown }[]>(`${WHO} update segment set filter = jsonb_set(filter, '{search}', to_jsonb(?::text)) where ${namesThem(`filter ->> 'search'`)} returning id, filter`, [...who, ERASED_SEARCH]);
    for (const s of segments) note(changed, 'segment', s.id, { filter: s.filter });
    const campaigns = await em.execute<{ id: string; segment: unknown }[]>(`${WHO} update campaign set segment = jsonb_set(segment, '{search}', to_jsonb(?::text)) where ${namesThem(`segment ->> 'search'`)} returning id, segment`, [...who, ERASED_SEARCH]);
    for (const c of campaigns) note(changed, 'campaign', c.id, { segment: c.segment });
    let scrubbed = 0;
    // The audit keeps a segment's filter as `filter`, a campaign's as `segment`.
    for (const [entityType, key] of [['segment', 'filter'], ['campaign', 'segment']]) {
      const path = `'{${key},search}'`;
      const erasedIn = (side: string) => `case when ${namesThem(`${side} #>> ${path}`)} then jsonb_set(${side}, ${path}, to_jsonb(?::text)) else ${side} end`;
      scrubbed += await affected(
        em,
        `${WHO} update audit_entry set before = ${erasedIn('before')}, after = ${erasedIn('after')}
          where entity_type = ? and (${namesThem(`before #>> ${path}`)} or ${namesThem(`after #>> ${path}`)})`,
        [...who, ERASED_SEARCH, ERASED_SEARCH, entityType],
      );
    }
    return scrubbed;
  }

  /**
   * The names and descriptions marketers gave segments and campaigns, and those fields in their
   * audit entries, lose the customer's full name, e-mail addresses and phone numbers
   * (`redactFullMentions`: they become `[erased]`, as a reason's words do): they are about many people, so a first name or a
   * surname alone stays. So do the reasons in campaign entries (a cancel, end or reset typed in
   * the Temporal UI), and the campaign names other customers' stored data exports copied. A segment's or campaign's name stays unique (whatever its case): one
   * another segment (campaign) has already gets the first 8 characters of its ID, in parentheses. What it changes of
   * segments and campaigns is noted in `changed`. Only the rows that may name them
   * are read (`MENTIONS`). Answers how many audit entries it changed.
   */
  private async eraseFullMentions(em: EntityManager, who: Identity, changed: ErasedChanges): Promise<number> {
    const needles = needlesOf(who);
    const redacted = (text: string | null | undefined) => (typeof text === 'string' ? redactFullMentions(text, who) : text);

    const segments = await em.execute<{ id: string; name: string; description: string | null }[]>(
      `${NEEDLES} select s.id, s.name, s.description from segment s, n where ${MENTIONS('s.name')} or ${MENTIONS('s.description')} order by s.id`,
      needles,
    );
    for (const s of segments) {
      const after: Record<string, unknown> = {};
      const redactedDescription = redacted(s.description);
      if (redactedDescription !== s.description) {
        // `[erased]` may be longer than what it stands for: the description still fits, as a later updateSegment checks it.
        const description = redactedDescription && [...redactedDescription].slice(0, MAX_SEGMENT_DESCRIPTION).join('');
        await em.execute(`update segment set description = ? where id = ?`, [description, s.id]);
        after.description = description;
      }
      const name = redacted(s.name)!;
      if (name !== s.name) after.name = await renameUniquely(em, 'segment', s.id, name);
      note(changed, 'segment', s.id, after);
    }
    const campaigns = await em.execute<{ id: string; name: string }[]>(`${NEEDLES} select c.id, c.name from campaign c, n where ${MENTIONS('c.name')} order by c.id`, needles);
    for (const c of campaigns) {
      const name = redacted(c.name)!;
      if (name === c.name) continue;
      note(changed, 'campaign', c.id, { name: await renameUniquely(em, 'campaign', c.id, name) });
    }
    // Another member's export copied the campaign's name as it was then (whatever it is now).
    const exports = await em.execute<{ id: string; campaigns: Record<string, unknown>[] }[]>(
      `${NEEDLES} select x.id, x.document -> 'campaigns' as campaigns from customer_export x, n
        where jsonb_typeof(x.document -> 'campaigns') = 'array' and exists (select 1 from jsonb_array_elements(x.document -> 'campaigns') m where ${MENTIONS(`m ->> 'campaign'`)})`,
      needles,
    );
    for (const x of exports) {
      const patched = x.campaigns.map((m) => (typeof m.campaign === 'string' ? { ...m, campaign: campaignName(redacted(m.campaign)!) } : m));
      if (patched.some((m, i) => m.campaign !== x.campaigns[i].campaign)) await em.execute(`update customer_export set document = jsonb_set(document, '{campaigns}', ?::jsonb) where id = ?`, [JSON.stringify(patched), x.id]);
    }

    // A reason only campaign entries hold (a cancel, end or reset typed in the Temporal UI); none of a segment's.
    const fields = ['name', 'description', 'reason'];
    const mentioned = ['before', 'after'].flatMap((side) => fields.map((field) => MENTIONS(`a.${side} ->> '${field}'`))).join(' or ');
    const entries = await em.execute<{ id: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null }[]>(
      `${NEEDLES} select a.id, a.before, a.after from audit_entry a, n where a.entity_type in ('segment', 'campaign') and (${mentioned})`,
      needles,
    );
    let scrubbed = 0;
    for (const entry of entries) {
      // Only the fields that named them are written back, over what the entry holds.
      const patch = (side: Record<string, unknown> | null) =>
        Object.fromEntries(fields.flatMap((field) => (typeof side?.[field] === 'string' && redacted(side[field] as string) !== side[field] ? [[field, redacted(side[field] as string)]] : [])));
      const before = patch(entry.before);
      const after = patch(entry.after);
      if (!Object.keys(before).length && !Object.keys(after).length) continue;
      scrubbed += await affected(em, `update audit_entry set before = case when before is null then null else before || ?::jsonb end, after = case when after is null then null else after || ?::jsonb end where id = ?`, [
        JSON.stringify(before),
        JSON.stringify(after),
        entry.id,
      ]);
    }
    return scrubbed;
  }

  /**
   * Erases the customers who left more than the retention period ago, by ID after `after`;
   * one with a playbook run still under way is left for a later night.
   */
  async eraseExpired(input: { after: string | null; policy: DataRetentionPolicy }): Promise<RetentionPage> {
    const { policy } = input;
    const ids: { id: string }[] = await this.em.execute(
      `select c.id from customer c where ${PAST_RETENTION(policy.eraseOffboardedAfterDays)} ${input.after ? 'and c.id > ?' : ''} order by c.id limit ?`,
      input.after ? [input.after, policy.pageSize] : [policy.pageSize],
    );
    let erased = 0;
    const held: RetentionPage['held'] = [];
    for (const { id } of ids) {
      try {
        await this.eraseWith(id, retentionReason(policy), `retention:v${policy.version}`, { typed: false });
        erased++;
      } catch (error) {
        if (!(error instanceof CustomerException && holdsErasureBack(error))) throw error;
        const { workflowIds, messageIds } = error.details as { workflowIds?: string[]; messageIds?: string[] };
        held.push({ customerId: id, workflowIds: workflowIds ?? [], billingTasks: messageIds ?? [] });
      }
    }
    return { erased, skipped: held.length, held, last: ids.length < policy.pageSize ? null : ids[ids.length - 1].id };
  }
}

/**
 * Every name, e-mail address and phone number the customer has had: now, before each change the
 * audit log recorded, and the names messages went out with (an import's changes are not
 * recorded: those kept by nothing here are not known).
 */
async function identity(em: EntityManager, customer: Customer): Promise<Identity> {
  const [history] = await em.execute<{ names: string[] | null; emails: string[] | null; phones: string[] | null }[]>(
    `select array_agg(distinct v.name) filter (where v.name is not null) as names, array_agg(distinct v.email) filter (where v.email is not null) as emails,
            array_agg(distinct v.phone) filter (where v.phone is not null) as phones
       from (select a.before ->> 'name', a.before ->> 'email', a.before ->> 'phone' from audit_entry a where a.entity_type = 'customer' and a.entity_id = ?
             union all select a.after ->> 'name', a.after ->> 'email', a.after ->> 'phone' from audit_entry a where a.entity_type = 'customer' and a.entity_id = ?
             union all select m.sent_name, null, null from outbox_message m where m.customer_id = ?::uuid and m.sent_name is not null) v(name, email, phone)`,
    [customer.id, customer.id, customer.id],
  );
  const distinct = (now: string | null | undefined, before: string[] | null) => [...new Set([...(now ? [now] : []), ...(before ?? [])])];
  return { names: distinct(customer.name, history.names), emails: distinct(customer.email, history.emails), phones: distinct(customer.phone, history.phones) };
}

/** Every combining mark (what `folded` in personal-mentions.ts drops after NFD), as a PostgreSQL bracket expression (made when first needed). */
let combiningMarks: string | undefined;
const COMBINING_MARKS = () => (combiningMarks ??= marks());
function marks(): string {
  const ranges: string[] = [];
  const hex = (c: number) => (c > 0xffff ? `\\U${c.toString(16).padStart(8, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`);
  for (let c = 0; c <= 0x10ffff; c++) {
    if (!/\p{M}/u.test(String.fromCodePoint(c))) continue;
    let last = c;
    while (last < 0x10ffff && /\p{M}/u.test(String.fromCodePoint(last + 1))) last++;
    ranges.push(last === c ? hex(c) : `${hex(c)}-${hex(last)}`);
    c = last;
  }
  return `[${ranges.join('')}]`;
}

/** A text (SQL expression) folded as `folded` in personal-mentions.ts folds a word: lower case, without accents, one kind of apostrophe, one kind of sigma. */
const FOLDED = (text: string) =>
  `replace(replace(replace(replace(translate(lower(regexp_replace(normalize(${text}, nfd), '${COMBINING_MARKS()}', '', 'g') collate "und-x-icu"), 'łøđðıħŀ’‘ς', 'loddihl''''σ'), 'ß', 'ss'), 'æ', 'ae'), 'œ', 'oe'), 'þ', 'th')`;

/** `fullMentionNeedles` as the `n` CTE of MENTIONS (bound in that order). */
const NEEDLES = `with n as (select array(select jsonb_array_elements_text(?::jsonb)) as parts, array(select jsonb_array_elements_text(?::jsonb)) as emails, array(select jsonb_array_elements_text(?::jsonb)) as phones)`;

/** Whether a text (SQL expression) may name the customer of NEEDLES in full: a cheap first look, `redactFullMentions` decides. */
const MENTIONS = (text: string) =>
  `(exists (select 1 from unnest(n.parts) p where position(p in ${FOLDED(text)}) > 0)
    or exists (select 1 from unnest(n.emails) e where position(e in lower(${text} collate "und-x-icu")) > 0)
    or exists (select 1 from unnest(n.phones) d where position(d in regexp_replace(${text}, '\\D', '', 'g')) > 0))`;

/** The parameters of NEEDLES for `who`. */
function needlesOf(who: Identity): string[] {
  const { nameParts, emails, phoneTails } = fullMentionNeedles(who);
  return [JSON.stringify(nameParts), JSON.stringify(emails), JSON.stringify(phoneTails)];
}

/**
 * Which of `texts` the erasure's first look in the database (MENTIONS) reads as perhaps naming `who`
 * in full, in order: every text `redactFullMentions` changes must be among them, or the erasure
 * leaves it as it is (a test holds the two to each other).
 */
export async function mayMentionInFull(em: EntityManager, who: Identity, texts: readonly string[]): Promise<boolean[]> {
  const rows = await em.execute<{ found: boolean }[]>(
    `${NEEDLES} select ${MENTIONS('t.text')} as found from n, jsonb_array_elements_text(?::jsonb) with ordinality t(text, i) order by t.i`,
    [...needlesOf(who), JSON.stringify(texts)],
  );
  return rows.map((r) => r.found);
}

/** What the erasure changed of each segment and campaign (`segment:<id>`, `campaign:<id>`): the fields as they are now. */
type ErasedChanges = Map<string, Record<string, unknown>>;

function note(changed: ErasedChanges, entityType: 'segment' | 'campaign', id: string, fields: Record<string, unknown>): void {
  if (Object.keys(fields).length) changed.set(`${entityType}:${id}`, { ...changed.get(`${entityType}:${id}`), ...fields });
}

/** A campaign's name as another member's data export copied it, without the customer's: `[erased]` may be longer than what it stands for, the name still fits. */
const campaignName = (redacted: string) => [...redacted].slice(0, MAX_CAMPAIGN_NAME).join('').trimEnd();

/**
 * Gives the segment or campaign its name without the customer's, unique whatever its case (both tables' unique index on
 * lower(name)): as it is, or with the first 8 characters of its ID in parentheses (all of it if that is taken too),
 * shortened before them to fit the 100 characters a name may have (MAX_SEGMENT_NAME, MAX_CAMPAIGN_NAME; `[erased]` may be
 * longer than what it stands for); answers the name it got. Each try is a savepoint, so a name taken (also by one saved
 * at the same moment, or by another campaign an earlier erasure named `Thanks [erased]`) never fails the erasure.
 */
async function renameUniquely(em: EntityManager, table: 'segment' | 'campaign', id: string, name: string): Promise<string> {
  const max = table === 'segment' ? MAX_SEGMENT_NAME : MAX_CAMPAIGN_NAME;
  for (const suffix of ['', ` (${id.slice(0, 8)})`, ` (${id})`]) {
    const fitted = [...name].slice(0, max - suffix.length).join('').trimEnd() + suffix;
    await em.execute(`savepoint erasure_name`);
    try {
      await em.execute(`update ${table} set name = ? where id = ?`, [fitted, id]);
      await em.execute(`release savepoint erasure_name`);
      return fitted;
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException || (error as { code?: string }).code === '23505')) throw error;
      await em.execute(`rollback to savepoint erasure_name`);
    }
  }
  throw new Error(`No unique name left for ${table} ${id}`);
}

/** One page of the retention sweep: who was erased, who waits for a playbook run to end (taken on a later night), and where the next page starts. */
/** What holds an erasure back for now (the request is refused and audited; the retention sweep tries again later). */
const holdsErasureBack = (error: CustomerException) => error.code === CustomerExceptionCode.PlaybooksRunning || error.code === CustomerExceptionCode.BillingTasksPending;

export interface RetentionPage {
  erased: number;
  skipped: number;
  /** The customers skipped, each with the runs under way (what a person cancels or waits for) or the billing team's tasks not delivered yet that hold their erasure back. */
  held: { customerId: string; workflowIds: string[]; billingTasks: string[] }[];
  last: string | null;
}

/**
 * Offboarded customers whose retention period has passed (`days` after they left) and whose personal data is still
 * there (SQL condition on `customer c`): those the sweep left for later (a playbook run under way), and those who passed
 * it since the last sweep. The sweep erases what it finds by it; the operations status counts it. Not one with an order
 * within the period, whatever their leaving day says: a leaving day typed years too early (imported before the orders
 * that contradict it) would otherwise erase a customer who bought last month, for good.
 */
export const PAST_RETENTION = (days: number) => {
  const cutoff = `now() - make_interval(days => ${Math.trunc(days)})`;
  return `c.status = 'offboarded' and c.offboarded_at < ${cutoff}
    and not exists (select 1 from customer_order o where o.customer_id = c.id and o.ordered_at >= ${cutoff})`;
};

async function affected(em: EntityManager, statement: string, params: unknown[]): Promise<number> {
  const result: { affectedRows?: number } = await em.execute(statement, params, 'run');
  return result.affectedRows ?? 0;
}
