import type { EntityManager } from '@mikro-orm/postgresql';
import { renderIfKnown } from '../../domain/messages/templates.js';
import { MessagesAsNow, readerOf } from '../outbox/message-history.service.js';
import { CONSENT_ACTIONS, ERASURE_ACTION, IMPORT_CONSENT_ACTION } from '../../domain/customers/contact.js';
import { UNSUBSCRIBE_ACTOR } from '../../domain/messages/unsubscribe-link.js';
import { CampaignMember, Complaint, CostEntry, Customer, ServiceTierChange, CustomerExport, CustomerStatus, FixCase, Invoice, Order, OutboxMessage, Payment, PlaybookRun, ScoreBandChange, type SnapshotScore } from '../../entities/index.js';
import type { AuditService } from '../audit/audit.service.js';
import { CustomerException, CustomerExceptionCode } from './customer.exception.js';
import { storedCustomer } from './customer.service.js';
import { PROMISED_INVOICE, PROMISED_UNTIL, promiseKeptOnSql, promiseLapsedEntry, promiseSupersededEntry, PROMISE_MADE_ENTRY } from '../facts/payment-promise-entries.js';
import { reasonProblem } from '../../domain/text.js';
import { recipientOf } from '../../domain/messages/catalogue.js';
import { MINOR_UNIT_DIGITS } from '../../domain/money.js';
import { ScoreKind } from '../../domain/scoring/score-kind.js';
import { ABOUT_THEM, CONTACT_DATA_ENTRIES, DISPUTE_ENTRIES, PERSONAL_FIELDS, TAKEN_TYPED_DECISION, TYPED_INPUTS } from './customer-erasure.service.js';
import { typedTexts, type TypedMessage, type TypedText } from '../../domain/customers/typed-input.js';

/**
 * What the export of an erased customer says of the erasure: what went, and what was kept under their ID and why
 * (the README's wording, in the customer's words).
 */
export const ERASURE_KEPT =
  'Your contact data (name, e-mail address, phone, time zone, language, CRM reference) was erased, and so were your complaint texts, the reasons you gave for disputing invoices and the data exports made for you; orders, invoices, payments, costs, scores, complaint topics, tier changes, messages and playbook records stay under your customer ID alone, so the figures of our customer base do not move, and invoices and payments are records the law requires us to keep: this document holds what remains';

/** What the export says of a referral value instead of its amounts. */
export const REFERRAL_AMOUNTS_LEFT_OUT =
  'brought in customers of ours (the band says how many and how valuable, by the policy); the amounts are left out: they are what those customers are worth to us, their data, not yours';

/**
 * Who changed a customer's data, in the customer's words: they themselves (a link in a message), the company's
 * customer records (an import), or the company's staff, whoever of them it was (the export names no employee).
 */
function changedBy(change: { action: string; actor: string }): 'you' | 'import' | 'staff' {
  if (change.actor.startsWith('customer:')) return 'you';
  return change.action === IMPORT_CONSENT_ACTION || change.actor === 'import' || change.actor.startsWith('import:') || change.actor.endsWith(':import') ? 'import' : 'staff';
}

/** What a reason people gave was about, in the customer's words, by its audit entry. */
function noteAbout(entry: { action: string; entity_type: string }): string {
  if (entry.action === 'customer.export') return 'data export';
  if (entry.action.includes('offboarding') || entry.action === 'playbook.decide-offboarding' || entry.action === 'playbook.update-in-engine') return 'offboarding';
  if (entry.entity_type === 'playbook_run') return 'playbook run';
  if (entry.entity_type === 'outbox_message') return 'message';
  return 'account';
}

/**
 * A note of what an operator typed into a message to one of their runs in the Temporal UI or CLI: the message's name
 * and each free-text member with its name (`promiseToPay, recordedBy: spoke with …`; a bare input as it was typed).
 */
function typedNote(message: TypedMessage, texts: TypedText[]): string {
  const name = message.update ?? message.signal ?? 'message';
  return `${name}, ${texts.map((t) => (t.member ? `${t.member}: ${t.text}` : t.text)).join('; ')}`;
}

/**
 * The legend at the top of the document: its units and spellings, so a person can read it and another system can import it
 * (docs/data-export.md describes every section).
 */
function legend(): Record<string, string> {
  return {
    amounts: `Every amount ending in Minor is in minor units of the currency above: ${10 ** MINOR_UNIT_DIGITS} make one unit (7952 is 79.52)`,
    times: 'Times are ISO 8601 in UTC (2026-12-05T07:13:11.970Z); days are YYYY-MM-DD',
    spellings:
      'Kinds, statuses, tiers, playbooks and bands are spelt as stored, in lower case with hyphens or underscores (premium, fix-issue, support_minutes, churn-risk); the GraphQL API names the same values in its own spelling (Premium, FixIssue, SupportMinutes, ChurnRisk)',
    scores:
      'Each score value (in scores, the current ones, and scoreHistory, every one stored) has its kind\'s unit: rfm a code of three quintiles (111 to 555), churn-risk and payment-loyalty a share from 0 to 1, clv and profitability minor units (referral-value: its band only, as its reason says), behaviour-change spreads from your usual rhythm, persistent-issue a count; reasons give the facts behind it, modelVersion the model that computed it',
    messages: 'to: "you" for a message to you; "team" or "team:<name>" for a task for one of the company\'s teams about you, which was not sent to you',
    contactHistory: 'by: "you", "staff" (the company\'s staff, not named) or "import" (taken over from the company\'s customer records)',
    notes: 'The reasons the company\'s staff recorded about you, your playbook runs and messages, and earlier exports of your data, and what they typed into messages to your playbook runs',
  };
}

/** How the export says consent went with the erasure of their personal data. */
export const CONSENT_WITHDRAWN_BY_ERASURE = 'withdrawn when your personal data was erased';

/**
 * How a consent change came about, in the customer's words: their own click on a message's link, an opt-out taken for them,
 * the company's records, the erasure of their personal data (its entry's reason is the erasure's, in `notes`), how they gave
 * it as the company's staff recorded it, or a change of their data.
 */
function consentChangedHow(change: { action: string; actor: string; reason: string | null }): string {
  if (change.actor === UNSUBSCRIBE_ACTOR) return 'unsubscribed through the link in a message';
  if (change.action === IMPORT_CONSENT_ACTION) return "taken over from the company's customer records";
  if (change.action === ERASURE_ACTION) return CONSENT_WITHDRAWN_BY_ERASURE;
  if (change.reason) return change.reason;
  return change.action === 'customer.opt-out' ? 'opted out' : 'changed';
}

/**
 * Everything stored about a customer, as they gave and generated it, and what the company
 * made of it: contact data, who referred them, orders, invoices with payments, reminders,
 * fees and disputes, what serving them cost, complaints
 * and the fix cases opened for them, the messages the playbooks wrote (sent or held back,
 * and why), the campaigns and playbooks that included them, and their current scores with
 * the facts behind each, every score stored before (their history: what each model said of them
 * each time it ran) and how their bands moved (the profiling a customer may ask about).
 * The offboarding playbook hands it to a leaving customer; an operator answers a request
 * for access (GDPR Art. 15) or portability (Art. 20) with it at any time.
 */
export class CustomerDataExportService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    /** The currency of amounts in message texts (the money policy's). */
    private readonly currency: string,
    /** The days after its day a promise to pay holds the reminders (the promise policy's): a payment dated by then kept it. */
    private readonly promiseGraceDays: number,
  ) {}

  /** The export for a customer's request (an erased customer's too: what the erasure kept), audited with who asked for it and why (the document itself is not kept). */
  async forRequest(id: string, reason: string, actor: string): Promise<Record<string, unknown>> {
    const why = reason.trim();
    const problem = reasonProblem(why, 'An export needs a reason (e.g. the request it answers)');
    if (problem) throw new CustomerException(CustomerExceptionCode.InvalidInput, problem, { field: 'reason' });
    return this.em.transactional(async (em) => {
      // An erased customer's too: what the erasure kept under their ID is still theirs to ask about (the document says so, `erasure`).
      const customer = await storedCustomer(em, id);
      const document = await customerDocument(em, customer, this.currency, this.promiseGraceDays);
      this.audit.record(em, { actor, action: 'customer.export', entityType: 'customer', entityId: id, after: { reason: why } });
      return document;
    });
  }
}

/**
 * Where the export holds each kind of record stored about a customer (by entity): a test
 * holds every entity that belongs to a customer to a section here, so a new one is not left
 * out of the document. Payments are their invoices'; the current scores are read from the snapshots,
 * which are all in the score history.
 */
export const EXPORT_SECTIONS: Readonly<Record<string, string>> = {
  Customer: 'referredBy',
  Order: 'orders',
  Invoice: 'invoices',
  CostEntry: 'costs',
  ServiceTierChange: 'tierChanges',
  Complaint: 'complaints',
  FixCase: 'fixCases',
  OutboxMessage: 'messages',
  CampaignMember: 'campaigns',
  PlaybookRun: 'playbookRuns',
  CurrentScore: 'scores',
  ScoreSnapshot: 'scoreHistory',
  ScoreBandChange: 'scoreBandChanges',
  CustomerExport: 'dataExports',
};

/**
 * Where the export holds the audit entries the erasure treats as the customer's (CONTACT_DATA_ENTRIES: the contact data
 * they had; ABOUT_THEM with a reason: what people typed about them; TYPED_INPUTS: what operators typed into their runs
 * in the Temporal UI; DISPUTE_ENTRIES: their disputes of invoices, with their reasons): a test holds every such entry of a customer to
 * its section, so what the erasure counts as theirs is what their access request shows.
 */
export const EXPORT_AUDIT_SECTIONS: Readonly<Record<string, string>> = {
  contactData: 'contactHistory',
  reasons: 'notes',
  typedInputs: 'notes',
  disputes: 'invoices',
};

/**
 * A score as the export gives it. A referral value's amounts are what the customers this person brought in are worth (one
 * referral: that customer's margin): their data, not this person's, so the export gives the band and says why the rest is left out.
 */
function exportedScore(kind: string, score: SnapshotScore | null): { value: number | null; band: string | null; reasons: string[]; modelVersion: string | null } {
  const aboutOthers = kind === ScoreKind.ReferralValue && score?.band !== 'none';
  return {
    value: aboutOthers ? null : (score?.value ?? null),
    band: score?.band ?? null,
    reasons: aboutOthers ? [REFERRAL_AMOUNTS_LEFT_OUT] : (score?.reasons ?? []),
    modelVersion: score?.modelVersion ?? null,
  };
}

/** `payload` as the export renders it: the summaries of withdrawn complaints in its `complaints` blanked, a withdrawal's reason left out. */
function withoutWithdrawnWords(template: string, payload: Record<string, unknown>, withdrawnRefs: ReadonlySet<string>): Record<string, unknown> {
  if (!withdrawnRefs.size) return payload;
  const out: Record<string, unknown> = { ...payload };
  if (Array.isArray(out.complaints)) {
    out.complaints = out.complaints.map((c: unknown) => {
      if (!c || typeof c !== 'object' || !withdrawnRefs.has(String((c as { ref?: unknown }).ref))) return c;
      const { summary: _summary, ...rest } = c as Record<string, unknown>;
      return rest;
    });
  }
  if (template === 'fix-case-complaint-withdrawn') delete out.reason;
  return out;
}

/**
 * The export document of `customer`, read through `em` (the caller's transaction); amounts in message texts in `currency`;
 * a promise to pay kept by a payment dated on or before its day plus `promiseGraceDays` (the promise policy's).
 */
export async function customerDocument(em: EntityManager, customer: Customer, currency: string, promiseGraceDays: number): Promise<Record<string, unknown>> {
  const [orders, invoices, payments, costs, tierChanges, complaints, fixCases, messages, runs, campaigns, scores, scoreHistory, bandChanges, consent, promises, exports, contactChanges, reasons, typed, erasedAt, disputes] = await Promise.all([
    em.find(Order, { customer }, { orderBy: { orderedAt: 'asc' } }),
    em.find(Invoice, { customer }, { orderBy: { issuedAt: 'asc' } }),
    em.find(Payment, { invoice: { customer } }, { orderBy: { paidAt: 'asc' } }),
    em.find(CostEntry, { customer }, { orderBy: { occurredAt: 'asc', createdAt: 'asc' } }),
    em.find(ServiceTierChange, { customer }, { orderBy: { changedOn: 'asc', createdAt: 'asc' } }),
    em.find(Complaint, { customer }, { orderBy: { openedAt: 'asc' } }),
    em.find(FixCase, { customer }, { orderBy: { openedAt: 'asc' } }),
    em.find(OutboxMessage, { customer }, { orderBy: { createdAt: 'asc' } }),
    em.find(PlaybookRun, { customer }, { orderBy: { startedAt: 'asc' } }),
    em.find(CampaignMember, { customer }, { orderBy: { enrolledAt: 'asc' }, populate: ['campaign'] }),
    em.execute<{ kind: string; computed_at: Date; score: SnapshotScore | null }[]>(
      `select cs.kind, cs.computed_at, ss.scores -> cs.kind as score
         from current_score cs join score_snapshot ss on ss.id = cs.snapshot_id
        where cs.customer_id = ? order by cs.kind`,
      [customer.id],
    ),
    // Every snapshot stored of them, one item per score in it: one query however many nights of history (the customer's index, in its order).
    em.execute<{ kind: string; as_of: string; computed_at: Date; score: SnapshotScore | null }[]>(
      `select e.key as kind, s.as_of::text as as_of, s.computed_at, e.value as score
         from score_snapshot s cross join jsonb_each(s.scores) e(key, value)
        where s.customer_id = ? order by s.as_of, s.computed_at, s.id, e.key`,
      [customer.id],
    ),
    em.find(ScoreBandChange, { customer }, { orderBy: { changedAt: 'asc', kind: 'asc' } }),
    // Consent given and withdrawn, and promises to pay, as the audit log recorded them.
    em.execute<{ at: Date; action: string; actor: string; consent: boolean; reason: string | null }[]>(
      `select at, action, actor, (after ->> 'marketingConsent')::boolean as consent, after ->> 'reason' as reason from audit_entry
        where entity_type = 'customer' and entity_id = ? and action in (?) and after ->> 'marketingConsent' is not null order by at, id`,
      [customer.id, [...CONSENT_ACTIONS]],
    ),
    // Each with the day a payment kept it, if one did (dated on or before the day and its grace days, however late it was booked),
    // and otherwise when it lapsed unpaid, if it did: the first lapse of that invoice and day a run of theirs audited after it was
    // made (the run holding it may be the next one of the invoice, which a promise made on the call starts), or when it gave
    // way to the customer's dispute of the invoice (neither kept nor broken).
    em.execute<{ at: Date; until: string; invoice_id: string; kept_on: string | null; lapsed_at: Date | null; superseded_at: Date | null }[]>(
      `select a.at, ${PROMISED_UNTIL} as until, ${PROMISED_INVOICE} as invoice_id, to_char(k.kept_on, 'YYYY-MM-DD') as kept_on,
              case when k.kept_on is null then
              (select min(l.at) from playbook_run lr join audit_entry l on ${promiseLapsedEntry('l', 'lr')}
                where lr.customer_id = r.customer_id and l.after ->> 'invoiceId' = ${PROMISED_INVOICE} and l.after ->> 'until' = ${PROMISED_UNTIL} and l.at >= a.at) end as lapsed_at,
              case when k.kept_on is null then
              (select min(d.at) from playbook_run dr join audit_entry d on ${promiseSupersededEntry('d', 'dr')}
                where dr.customer_id = r.customer_id and d.after ->> 'invoiceId' = ${PROMISED_INVOICE} and d.after ->> 'until' = ${PROMISED_UNTIL} and d.at >= a.at) end as superseded_at
         from playbook_run r join audit_entry a on ${PROMISE_MADE_ENTRY} left join invoice i on i.customer_id = r.customer_id and i.id::text = ${PROMISED_INVOICE}
              cross join lateral (select ${promiseKeptOnSql('i', PROMISED_UNTIL, promiseGraceDays)} as kept_on) k
        where r.customer_id = ? order by a.at`,
      [customer.id],
    ),
    em.find(CustomerExport, { customer }, { fields: ['createdAt'], orderBy: { createdAt: 'asc' } }),
    // Their earlier contact data, from the same audit entries the erasure scrubs.
    em.execute<{ at: Date; action: string; actor: string; field: string; from: unknown; to: unknown }[]>(
      `select a.at, a.action, a.actor, f.field, a.before -> f.field as "from", a.after -> f.field as "to"
         from audit_entry a cross join unnest(${PERSONAL_FIELDS}) with ordinality f(field, i)
        where ${CONTACT_DATA_ENTRIES} and (a.before -> f.field is not null or a.after -> f.field is not null) order by a.at, a.id, f.i`,
      [customer.id],
    ),
    // The reasons people typed about them and their records: those the erasure takes their name out of.
    em.execute<{ at: Date; action: string; entity_type: string; reason: string }[]>(
      `select a.at, a.action, a.entity_type, coalesce(a.after ->> 'reason', case when ${TAKEN_TYPED_DECISION} then a.after #>> '{input,0,reason}' end) as reason
         from audit_entry a
        where ${ABOUT_THEM} and (a.after ->> 'reason' is not null or (${TAKEN_TYPED_DECISION} and a.after #>> '{input,0,reason}' is not null)) order by a.at, a.id`,
      [customer.id, customer.id, customer.id],
    ),
    // What operators typed into their runs in the Temporal UI or CLI: the free text the erasure takes out.
    em.execute<{ id: string; at: Date; after: TypedMessage & { input: unknown } }[]>(`select a.id, a.at, a.after from audit_entry a where ${TYPED_INPUTS} order by a.at, a.id`, [customer.id]),
    // When their contact data was erased: the first erasure's entry (a repeated request changed nothing).
    customer.status === CustomerStatus.Erased
      ? em.execute<{ at: Date }[]>(`select min(at) as at from audit_entry where entity_type = 'customer' and entity_id = ? and action = ?`, [customer.id, ERASURE_ACTION])
      : Promise.resolve([]),
    // Each dispute of their invoices, as the audit log keeps them (the invoice keeps only its latest), with its resolution if any.
    em.execute<{ invoice_id: string; disputed_at: string; reason: string | null; resolved_at: string | null; outcome: string | null; resolution_reason: string | null }[]>(
      `select a.entity_id as invoice_id, a.after ->> 'disputedAt' as disputed_at, a.after ->> 'reason' as reason,
              r.after ->> 'resolvedAt' as resolved_at, r.after ->> 'outcome' as outcome, r.after ->> 'reason' as resolution_reason
         from audit_entry a
         left join audit_entry r on r.entity_type = 'invoice' and r.entity_id = a.entity_id and r.action = 'invoice.dispute-resolved'
                                and (r.before ->> 'disputedAt')::timestamptz = (a.after ->> 'disputedAt')::timestamptz
        where ${DISPUTE_ENTRIES} and a.action = 'invoice.dispute' order by a.at, a.id`,
      [customer.id],
    ),
  ]);
  const notes = [
    ...reasons.map((n) => ({ at: new Date(n.at), about: noteAbout(n), reason: n.reason })),
    ...typed.flatMap((t) => {
      const texts = typedTexts(t.after, t.after.input);
      return texts.length ? [{ at: new Date(t.at), about: 'playbook run', reason: typedNote(t.after, texts) }] : [];
    }),
  ].sort((a, b) => a.at.getTime() - b.at.getTime());
  const invoiceReference = new Map(invoices.map((i) => [i.id, i.externalRef ?? null]));
  // A message still to go reads as it will go (the invoice as it stands now), as the customer's message history shows it.
  const asNow = new MessagesAsNow(em);
  // A complaint withdrawn as filed by mistake keeps its words out of the team tasks that quote it too (a fix case's listing,
  // "added to the case", "withdrawn"), as out of `complaints`: they may be another person's; and the staff's reason for the
  // withdrawal stays out of its task, as out of the complaint.
  const withdrawnRefs = new Set(complaints.filter((c) => c.withdrawnAt).map((c) => c.externalRef ?? c.id));
  const payloads = await Promise.all(messages.map(async (m) => withoutWithdrawnWords(m.template, (await asNow.of(m)).payload, withdrawnRefs)));
  return {
    exportedAt: new Date().toISOString(),
    // Which currency the amounts are in, and how to read the rest.
    currency: { code: currency, minorUnitDigits: MINOR_UNIT_DIGITS },
    about: legend(),
    customer: {
      id: customer.id,
      reference: customer.externalRef ?? null,
      name: customer.name,
      email: customer.email,
      phone: customer.phone ?? null,
      timeZone: customer.timeZone,
      locale: customer.locale,
      serviceTier: customer.serviceTier,
      status: customer.status,
      acquiredAt: customer.acquiredAt,
      marketingConsent: customer.marketingConsent,
      offboardedAt: customer.offboardedAt?.toISOString() ?? null,
    },
    // Null unless their contact data was erased: then when, and what the rest of the document is.
    erasure: customer.status === CustomerStatus.Erased ? { erasedAt: erasedAt[0]?.at ? new Date(erasedAt[0].at).toISOString() : null, note: ERASURE_KEPT } : null,
    orders: orders.map((o) => ({ orderedAt: o.orderedAt.toISOString(), amountMinor: o.amountMinor, reference: o.externalRef ?? null })),
    invoices: invoices.map((i) => ({
      id: i.id,
      reference: i.externalRef ?? null,
      issuedAt: i.issuedAt,
      dueAt: i.dueAt,
      amountMinor: i.amountMinor,
      paidAt: i.paidAt ?? null,
      cancelledAt: i.cancelledAt ?? null,
      payments: payments.filter((p) => p.invoice.id === i.id).map((p) => ({ paidAt: p.paidAt, amountMinor: p.amountMinor })),
      // The reminders that reached them about it, and the fees charged or spared for them (and those reversed, the invoice cancelled).
      remindersSent: i.remindersSent,
      feeChargedMinor: i.feeChargedMinor,
      feeWaivedMinor: i.feeWaivedMinor,
      feeReversedMinor: i.feeReversedMinor,
      // Each time they disputed it: when, why in their words (null once erased), and how the company resolved it (and why).
      disputes: disputes
        .filter((d) => d.invoice_id === i.id)
        .map((d) => ({
          disputedAt: new Date(d.disputed_at).toISOString(),
          reason: d.reason,
          resolvedAt: d.resolved_at ? new Date(d.resolved_at).toISOString() : null,
          outcome: d.outcome,
          resolutionReason: d.resolution_reason,
        })),
    })),
    // What serving them cost, as the profitability score counts it.
    costs: costs.map((c) => ({ occurredAt: c.occurredAt, kind: c.kind, amountMinor: c.amountMinor, quantity: c.quantity ?? null, reference: c.externalRef ?? null })),
    tierChanges: tierChanges.map((t) => ({ changedOn: t.changedOn, fromTier: t.fromTier, toTier: t.toTier, source: t.source })),
    // With the CRM's case reference and how the company judged each (its handling cost, the company's own figure, stays out).
    complaints: complaints.map((c) => ({
      reference: c.externalRef ?? null,
      topic: c.topic,
      severity: c.severity,
      productDefect: c.productDefect,
      openedAt: c.openedAt.toISOString(),
      resolvedAt: c.resolvedAt?.toISOString() ?? null,
      reopenedCount: c.reopenedCount,
      reopenedAt: c.reopenedAt?.toISOString() ?? null,
      // One withdrawn as filed by mistake is listed as withdrawn, without its words or the staff's reason: filed on the wrong
      // customer, both may be another person's.
      summary: c.withdrawnAt ? null : (c.summary ?? null),
      withdrawnAt: c.withdrawnAt?.toISOString() ?? null,
    })),
    fixCases: fixCases.map((f) => ({ topic: f.topic, owner: f.owner, status: f.status, openedAt: f.openedAt.toISOString(), resolvedAt: f.resolvedAt?.toISOString() ?? null, confirmedAt: f.confirmedAt?.toISOString() ?? null })),
    messages: messages.map((m, i) => {
      // As the customer read it: the name and language it went out in (one still to go: as it will go).
      const reader = readerOf(m, customer);
      // A task for a team about them (a fix case, a call to make) was never sent to them: said so.
      const { audience, team } = recipientOf(m.template, m.payload);
      return {
        writtenAt: m.createdAt.toISOString(),
        to: audience === 'customer' ? 'you' : team ? `team:${team}` : 'team',
        channel: m.channel,
        purpose: m.purpose,
        ...renderIfKnown(m.template, reader.name, payloads[i], reader.locale, currency),
        sentAt: m.sentAt?.toISOString() ?? null,
        heldBack: m.suppressedReason ?? null,
      };
    }),
    contactHistory: contactChanges.map((c) => ({ changedAt: new Date(c.at).toISOString(), by: changedBy(c), field: c.field, from: c.from ?? null, to: c.to ?? null })),
    notes: notes.map((n) => ({ at: n.at.toISOString(), about: n.about, reason: n.reason })),
    consentHistory: consent.map((c) => ({ at: new Date(c.at).toISOString(), marketingConsent: c.consent, how: consentChangedHow(c) })),
    paymentPromises: promises.map((p) => ({ recordedAt: new Date(p.at).toISOString(), invoiceId: p.invoice_id, invoiceReference: invoiceReference.get(p.invoice_id) ?? null, until: p.until, keptOn: p.kept_on, lapsedAt: p.lapsed_at ? new Date(p.lapsed_at).toISOString() : null, supersededAt: p.superseded_at ? new Date(p.superseded_at).toISOString() : null })),
    campaigns: campaigns.map((m) => ({ campaign: m.campaign.name, playbook: m.campaign.playbook, group: m.group, enrolledAt: m.enrolledAt.toISOString() })),
    referredBy: customer.referrer?.id ?? null,
    playbookRuns: runs.map((r) => ({ playbook: r.playbook, startedAt: r.startedAt.toISOString(), finishedAt: r.finishedAt?.toISOString() ?? null, outcome: r.outcome ?? null })),
    scores: scores.map((s) => ({ kind: s.kind, computedAt: new Date(s.computed_at).toISOString(), ...exportedScore(s.kind, s.score) })),
    // Oldest first: the day each described, when it was computed, then the kind.
    scoreHistory: scoreHistory.map((s) => ({ kind: s.kind, asOf: s.as_of, computedAt: new Date(s.computed_at).toISOString(), ...exportedScore(s.kind, s.score) })),
    scoreBandChanges: bandChanges.map((b) => ({ kind: b.kind, changedAt: b.changedAt.toISOString(), from: b.previous ?? null, to: b.band ?? null })),
    // Earlier exports handed over as they left (their documents are this one as it was then).
    dataExports: exports.map((e) => ({ createdAt: e.createdAt.toISOString() })),
  };
}
