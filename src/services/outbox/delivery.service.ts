import { refusalText } from '../../domain/messages/refusal-text.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { decideContact } from '../../domain/guards/contact-guard.js';
import { retryAfterMs, type DeliveryPolicy } from '../../domain/messages/delivery-policy.js';
import type { MoneyPolicy } from '../../domain/money.js';
import { audienceOf, billingTemplates, taskOf, INVOICE_PAID, INVOICE_CANCELLED, INVOICE_NOT_DUE, INVOICE_DISPUTED, heldForRunSql, untilPaidTemplates } from '../../domain/messages/catalogue.js';
import { invoiceDisputedReason } from '../billing/dispute-holds.js';
import { messageLanguage, renderMessage } from '../../domain/messages/templates.js';
import { unsubscribeUrl, withUnsubscribeFooter, type UnsubscribeLinks } from '../../domain/messages/unsubscribe-link.js';
import { MessageChannel, MessagePurpose, OutboxMessage } from '../../entities/index.js';
import { bookSentReminder } from './sent-reminder.js';
import { stepMessageKey, stepMessageKeyParts } from '../../domain/playbooks/run-id.js';
import { AuditService } from '../audit/audit.service.js';
import { hasOpenIssue, offboardingDecided } from '../facts/customer-facts.js';
import { MessageRefusedError, type MessageSender, type RenderedMessage } from './message-sender.js';
import { notOverdueSql, openDisputeSql } from '../facts/invoice-facts.js';
import { changesAsItGoes, invoiceNowColumns, invoiceNowOf, type InvoiceNowRow } from './invoice-as-it-goes.js';
import { givenUpSql, overtakenSql } from '../facts/outbox-facts.js';

const audit = new AuditService();

/** A message still to be handled: unsent, not held back, its time come, not given up on (parameter: now). */
const dueSql = (maxAttempts: number) => `m.sent_at is null and m.suppressed_at is null and (m.send_after is null or m.send_after <= ?) and not ${givenUpSql('m', maxAttempts)}`;

/** What an operator reads on a message whose hand-over to the channel was interrupted. */
export const INTERRUPTED_HANDOVER =
  'The worker stopped while handing this message to the channel; it may have gone out. Confirm it was sent if the customer got it, retry to send it again, or discard it';

export interface DeliveryRound {
  sent: number;
  deferred: number;
  suppressed: number;
  failed: number;
}

type DueRow = {
  id: string;
  idempotency_key: string;
  invoice_id: string | null;
  customer_id: string;
  channel: MessageChannel;
  purpose: MessagePurpose;
  template: string;
  payload: Record<string, unknown>;
  attempts: number;
  /** Since when it has been due: its `send_after` (the end of quiet hours, of a back-off), or when it was written. */
  due_from: Date;
  name: string;
  email: string;
  phone: string | null;
  external_ref: string | null;
  time_zone: string;
  locale: string;
  erased: boolean;
  offboarded: boolean;
  marketing_consent: boolean;
  has_open_issue: boolean;
  recent_marketing: string[] | null;
  /** It chases payment of an invoice that has been paid since it was written. */
  invoice_paid: boolean;
  invoice_cancelled: boolean;
  invoice_not_due: boolean;
  /** It chases payment of an invoice the customer disputes (the dispute open): since when. */
  invoice_disputed_at: Date | null;
} & InvoiceNowRow; // its invoice now (a part payment, a due day moved since it was written; the fees: this message's own not booked yet); nulls without one

/**
 * Sends what the playbooks wrote to the outbox, through the configured channel, obeying
 * the contact guard at the moment of sending: an opt-out stops marketing at once (service
 * messages still go), the contact budget is counted across all playbooks, and nothing
 * goes out to a customer during quiet hours in their time zone (a task for the company's
 * team goes at once, but after the reminders its run wrote before it), and nothing chasing an invoice goes once it is paid. A message's row is
 * locked while it is handled (`skip locked`), so several workers never send the same message; it
 * is marked sent in its own transaction right after the hand-over, and its key travels as the
 * e-mail Message-ID. At most once: the hand-over is noted before the channel is called, so one
 * that a crash interrupted is left to a person rather than sent again.
 */
export class DeliveryService {
  constructor(
    private readonly em: EntityManager,
    private readonly sender: MessageSender,
    private readonly policies: { delivery: DeliveryPolicy; money: MoneyPolicy },
    /** Where marketing messages' unsubscribe links point; null: sent without one (only where no marketing e-mail goes out). */
    private readonly unsubscribe: UnsubscribeLinks | null = null,
  ) {}

  /** The contact guard's open-issue fact, as contactStatus and the campaign preview read it (plain SQL, no parameters). */
  private readonly openIssueSql = hasOpenIssue('c.id').compile(this.em.getKysely()).sql;
  /** The contact guard's `offboarded` fact, as contactStatus reads it. */
  private readonly offboardedSql = offboardingDecided('c.status').compile(this.em.getKysely()).sql;

  /**
   * One round, as of `now`; once `stop` is aborted it ends after the message being handed over, leaving the rest
   * to the next worker. The round's clock runs on while it sends: each message is judged (quiet hours, the contact
   * budget) and stamped (sent, held back, refused) at its own moment, `now` plus the time the round has taken.
   */
  async deliverDue(now: Date = new Date(), stop?: AbortSignal): Promise<DeliveryRound> {
    const round: DeliveryRound = { sent: 0, deferred: 0, suppressed: 0, failed: 0 };
    // The due messages, oldest first; each is then settled in a transaction of its own.
    const due: { id: string }[] = await this.em.execute(
      `select m.id from outbox_message m where ${dueSql(this.policies.delivery.maxAttempts)} order by m.created_at limit ?`,
      [now, this.policies.delivery.batchSize],
    );
    const started = performance.now();
    for (const { id } of due) {
      if (stop?.aborted) break;
      const at = new Date(now.getTime() + Math.round(performance.now() - started));
      const outcome = await this.em.fork().transactional((em) => this.settle(em, id, at));
      if (outcome) round[outcome]++;
    }
    return round;
  }

  /**
   * Sends one message, or holds it back or defers it, and records that in the same short
   * transaction: a crash or an outage between two messages sends none of them again. The one
   * being handed over at that moment is not sent again either: its hand-over was noted
   * beforehand (`outbox_handover`), so the next round finds it and leaves it to a person. Null:
   * another worker took it, or it is no longer due.
   */
  private async settle(em: EntityManager, id: string, now: Date): Promise<keyof DeliveryRound | null> {
    const [taken] = await em.execute<{ customer_id: string; invoice_id: string | null; attempts: number }[]>(`select m.customer_id, m.invoice_id, m.attempts from outbox_message m where m.id = ? and ${dueSql(this.policies.delivery.maxAttempts)} for update skip locked`, [
      id,
      now,
    ]);
    if (!taken) return null;
    // Read once the lock is held (a statement of its own, so it sees a note another worker dropped just before).
    const [handover] = await em.execute<{ started_at: Date }[]>(`select started_at from outbox_handover where message_id = ?`, [id]);
    // A hand-over is noted only under this row lock and dropped with its outcome, so one still noted now, when no
    // other worker can be handing it over, is one a crash or a lost database cut short, however recent: the channel
    // may have taken it. Sending it again could be a second dunning e-mail; it waits for a person instead, with the
    // interrupted attempt counted (a message whose hand-over stops the worker each time is not tried for ever).
    // Its interruption is dated when the hand-over began, the moment the customer may have got it, not now (the next
    // round may come hours later): a person who confirms it sent dates it sent then, for its history and the contact budget.
    if (handover) {
      await em.nativeUpdate(OutboxMessage, { id }, { attempts: taken.attempts + 1, lastError: INTERRUPTED_HANDOVER, sendAfter: null, interruptedAt: new Date(handover.started_at) });
      await this.dropHandover(em, id);
      return 'failed';
    }
    // One message to a customer at a time across workers, so the contact budget counts what the others just sent;
    // a customer held by another change (an import under way) is left to a later round.
    const [free] = await em.execute(`select 1 from customer where id = ? for no key update skip locked`, [taken.customer_id]);
    if (!free) return null;
    // Its invoice too, so a payment or an import waits for the message's outcome (and sees it sent, or holds it back) and
    // a reminder going out is booked on it; one a payment, an import or a reminder step holds is left to a later round.
    if (taken.invoice_id) {
      const [open] = await em.execute(`select 1 from invoice where id = ? for update skip locked`, [taken.invoice_id]);
      if (!open) return null;
    }
    const since = new Date(now.getTime() - this.policies.delivery.contact.budgetPeriodMs);
    const [row]: DueRow[] = await em.execute(
      `select m.id, m.idempotency_key, m.invoice_id, m.customer_id, m.channel, m.purpose, m.template, m.payload, m.attempts, coalesce(m.send_after, m.created_at) as due_from,
              c.name, c.email, c.phone, c.external_ref, c.time_zone, c.locale, c.marketing_consent, c.status = 'erased' as erased, ${this.offboardedSql} as offboarded,
              ${this.openIssueSql} as has_open_issue,
              (select array_agg(x.sent_at) from outbox_message x
                where x.customer_id = m.customer_id and x.purpose = 'marketing' and x.sent_at > ?) as recent_marketing,
              coalesce(m.template in (?) and i.paid_at is not null, false) as invoice_paid,
              coalesce(m.template in (?) and i.cancelled_at is not null, false) as invoice_cancelled,
              coalesce(m.template in (?) and ${notOverdueSql('i')}, false) as invoice_not_due,
              case when m.template in (?) and ${openDisputeSql('i')} then i.disputed_at end as invoice_disputed_at,
              ${invoiceNowColumns('i')}
         from outbox_message m join customer c on c.id = m.customer_id
              left join invoice i on i.id = m.invoice_id
        where m.id = ?`,
      [since, [...untilPaidTemplates], [...untilPaidTemplates], [...untilPaidTemplates], [...untilPaidTemplates], id],
    );
    // The invoice was paid (whichever way) or cancelled while the message waited, or its due day moved later (a payment
    // extension, before its run is cancelled): held back for good. Nothing chasing it reaches the customer or a team.
    if (row.invoice_paid || row.invoice_cancelled || row.invoice_not_due) {
      const reason = row.invoice_paid ? INVOICE_PAID : row.invoice_cancelled ? INVOICE_CANCELLED : INVOICE_NOT_DUE;
      await em.nativeUpdate(OutboxMessage, { id }, { suppressedAt: now, suppressedReason: reason });
      return 'suppressed';
    }
    // The customer disputes the invoice (one written, or retried, after the dispute held back what was queued): held back as
    // the dispute holds it, until it is resolved (rejected: the run sends a reminder again; upheld: it stays held back).
    if (row.invoice_disputed_at) {
      await em.nativeUpdate(OutboxMessage, { id }, { suppressedAt: now, suppressedReason: invoiceDisputedReason(new Date(row.invoice_disputed_at)) });
      return 'suppressed';
    }
    const decision = decideContact(this.policies.delivery.contact, {
      purpose: row.purpose,
      audience: audienceOf(row.template),
      at: now,
      byPost: row.channel === MessageChannel.Letter,
      billingTask: billingTemplates.includes(row.template),
      customer: {
        erased: row.erased,
        offboarded: row.offboarded,
        marketingConsent: row.marketing_consent,
        timeZone: row.time_zone,
        hasOpenIssue: row.has_open_issue,
        recentMarketingContacts: (row.recent_marketing ?? []).map((t) => new Date(t)),
      },
    });
    if (!decision.allowed) {
      await em.nativeUpdate(OutboxMessage, { id }, { suppressedAt: now, suppressedReason: `${decision.reason}: ${decision.detail}` });
      return 'suppressed';
    }
    // A message chasing payment goes only once its run's reminders written before it went out or were held back for good: one
    // delivery gave up on (a mailbox refused, a long outage) waits for a person, one a promise to pay held back waits for the
    // run to send it again once the promise lapsed, and the next reminder, the call and the hand-over wait for it, so the
    // customer's first reminder never comes as the second, with its fee, nor a call or hand-over before the reminders.
    // Looked at again once the earlier one's time has come (quiet hours, a retry's back-off); behind one waiting for a
    // person or the run, after the longest back-off, or at once when the person or the run lets it go.
    const earlier = await this.earlierReminderOpen(em, row);
    if (earlier) {
      const { retry } = this.policies.delivery;
      const again = earlier.givenUp || earlier.heldFor ? now.getTime() + retry.maxMs : Math.max(earlier.sendAfter?.getTime() ?? 0, now.getTime() + retry.firstMs);
      const why = earlier.givenUp
        ? ': delivery gave up on it; retry, confirm or discard it in the undeliverable queue'
        : earlier.heldFor?.startsWith(`${INVOICE_DISPUTED}:`)
          ? ': a dispute of the invoice held it back, and the run sends it again if the dispute is rejected'
          : earlier.heldFor
            ? ': a promise to pay held it back, and the run sends it again once the promise has lapsed unpaid'
            : '';
      const waitsFor = `${earlier.step}, which has not gone out${why}`;
      await em.nativeUpdate(OutboxMessage, { id }, { sendAfter: new Date(again), waitsFor, ...this.heldRetry(row, new Date(again)) });
      return 'deferred';
    }
    if (decision.sendAt.getTime() > now.getTime()) {
      await em.nativeUpdate(OutboxMessage, { id }, { sendAfter: decision.sendAt, waitsFor: null, ...this.heldRetry(row, decision.sendAt) });
      return 'deferred';
    }
    // A message naming what is open on its invoice says what is open when it goes (a part payment may have come since),
    // with the invoice's amount and due day as they stand (what was received is the difference); a call task says what its run sent
    // and charged by then (it goes after the reminders before it). Its record is brought up to date too, so the history
    // shows what was sent.
    const payload = await this.asItGoes(em, row);
    if (payload !== row.payload) await em.nativeUpdate(OutboxMessage, { id }, { payload });
    let message: RenderedMessage;
    try {
      const { subject, text } = renderMessage(row.template, row.name, payload, row.locale, this.policies.money.currency);
      const link = row.purpose === MessagePurpose.Marketing && this.unsubscribe ? unsubscribeUrl(this.unsubscribe, row.customer_id) : undefined;
      message = {
        idempotencyKey: row.idempotency_key,
        channel: row.channel,
        to: { name: row.name, email: row.email, phone: row.phone, reference: row.external_ref },
        subject,
        text: link ? withUnsubscribeFooter(text, link, messageLanguage(row.template, row.locale)) : text,
        unsubscribeUrl: link,
        attachments: await this.attachmentsOf(em, row, payload),
        task: taskOf(row.template, payload),
      };
    } catch (error) {
      return this.failed(em, row, now, error);
    }
    // Noted before the channel is called; a database that cannot take the note sends nothing (the round fails).
    await this.noteHandover(id, now);
    try {
      await this.sender.send(message);
    } catch (error) {
      return this.failed(em, row, now, error);
    }
    await em.nativeUpdate(OutboxMessage, { id }, { sentAt: now, sentName: row.name, sentLocale: row.locale, attempts: row.attempts + 1, lastError: null, waitsFor: null });
    // A reminder is booked on its invoice as it goes out (the invoice is locked since the message was taken).
    await bookSentReminder(em, audit, { invoiceId: row.invoice_id, idempotencyKey: row.idempotency_key, payload: row.payload });
    await this.dropHandover(em, id);
    return 'sent';
  }

  /**
   * The earliest reminder of the run of `row` (a message chasing payment: a reminder, a call, the hand-over), written before
   * it, that has yet to go out: neither sent nor held back for good (one a promise to pay or a dispute held back is not: the
   * run sends it again), nor overtaken (a later one of the run went out). Its step, when it is due (null: due now, or waiting
   * for a person), whether delivery gave up on it and why a promise or a dispute holds it (null: neither). Null when there is none.
   */
  private async earlierReminderOpen(em: EntityManager, row: DueRow): Promise<{ step: string; sendAfter: Date | null; givenUp: boolean; heldFor: string | null } | null> {
    if (!untilPaidTemplates.includes(row.template)) return null;
    const { workflowId } = stepMessageKeyParts(row.idempotency_key);
    const [open] = await em.execute<{ key: string; send_after: Date | null; given_up: boolean; held_for: string | null }[]>(
      `select e.idempotency_key as key, e.send_after, ${givenUpSql('e', this.policies.delivery.maxAttempts)} as given_up, case when e.suppressed_at is not null then e.suppressed_reason end as held_for
         from outbox_message e join outbox_message m on m.id = ?
        where e.customer_id = m.customer_id and starts_with(e.idempotency_key, ?) and e.created_at < m.created_at
          and e.sent_at is null and (e.suppressed_at is null or ${heldForRunSql('e.suppressed_reason')}) and not ${overtakenSql('e')}
        order by e.created_at limit 1`,
      [row.id, stepMessageKey(workflowId, 'reminder-'), stepMessageKey(workflowId, ''), [...untilPaidTemplates]],
    );
    return open
      ? { step: stepMessageKeyParts(open.key).step, sendAfter: open.send_after ? new Date(open.send_after) : null, givenUp: open.given_up, heldFor: open.held_for }
      : null;
  }

  /**
   * The payload of `row` as it goes (`changesAsItGoes`): its invoice as it stands now (what is open, the amount, the due
   * day, the fees standing on it: those booked by the reminders that went out before it), and for a call task
   * (`remindersSoFar`) what its run sent and charged by now. The payload itself when nothing changed.
   */
  private async asItGoes(em: EntityManager, row: DueRow): Promise<Record<string, unknown>> {
    const now = row.invoice_id ? await changesAsItGoes(em, { idempotencyKey: row.idempotency_key, payload: row.payload, invoiceId: row.invoice_id }, invoiceNowOf(row)) : {};
    // (Keys in one order: the stored payload is jsonb, which orders an object's keys its own way.)
    const same = (a: unknown, b: unknown) => JSON.stringify(a, a && typeof a === 'object' ? Object.keys(a).sort() : undefined) === JSON.stringify(b, b && typeof b === 'object' ? Object.keys(b).sort() : undefined);
    const changed = Object.entries(now).some(([key, value]) => !same(value, row.payload[key]));
    return changed ? { ...row.payload, ...now } : row.payload;
  }

  /**
   * The files a message carries: a leaving customer's data export (`exportId`), as the JSON document `exportCustomerData`
   * gives. One that is gone (the customer's data erased meanwhile) is no message to send: the attempt fails.
   */
  private async attachmentsOf(em: EntityManager, row: DueRow, payload: Record<string, unknown>): Promise<RenderedMessage['attachments']> {
    if (typeof payload.exportId !== 'string') return undefined;
    const [exported] = await em.execute<{ document: unknown; created_at: Date }[]>(`select document, created_at from customer_export where id = ? and customer_id = ?`, [payload.exportId, row.customer_id]);
    if (!exported) throw new Error(`The data export ${payload.exportId} it carries is gone`);
    const day = new Date(exported.created_at).toISOString().slice(0, 10);
    return [{ filename: `customer-data-${day}.json`, contentType: 'application/json', content: JSON.stringify(exported.document, null, 2) }];
  }

  /**
   * A message being retried that is held until `until` (quiet hours, an earlier reminder of its run) waits from then
   * on: the night it was held is no delay of delivery's. Nothing for one not tried yet (its `send_after` says it).
   */
  private heldRetry(row: DueRow, until: Date): Partial<OutboxMessage> {
    return row.attempts > 0 ? { dueSince: until } : {};
  }

  /** The message could not be written, or the channel did not take it: a failed attempt, recorded with the hand-over's end. */
  private async failed(em: EntityManager, row: DueRow, now: Date, error: unknown): Promise<'failed'> {
    const id = row.id;
    const lastError = refusalText((error as Error).message, { name: row.name, email: row.email, phone: row.phone });
    // Refused for good (an unknown mailbox): asking again only hurts the sender's name, so it is marked refused,
    // is tried no more and waits for a person (undeliverable), with the refusal and the attempts really made.
    if (error instanceof MessageRefusedError && error.permanent) {
      await em.nativeUpdate(OutboxMessage, { id }, { attempts: row.attempts + 1, lastError, sendAfter: null, refusedAt: now, waitsFor: null });
    } else {
      // A temporary refusal, an unreachable server, or no answer in time (the channel's timeouts): a failed attempt,
      // tried again after the back-off, so at most once a round. A server that took the message but did not answer in
      // time may have delivered it: the retry carries the same key (the e-mail's Message-ID), for receivers to drop.
      // Its wait goes on from when it first became due, not from each retry's end of back-off: a channel failing every
      // message shows as a growing wait in the operations status at once (the back-offs add up to about two hours).
      const attempts = row.attempts + 1;
      await em.nativeUpdate(OutboxMessage, { id }, {
        attempts,
        lastError,
        sendAfter: new Date(now.getTime() + retryAfterMs(this.policies.delivery, attempts)),
        waitsFor: null,
        ...(row.attempts === 0 && { dueSince: new Date(row.due_from) }),
      });
    }
    await this.dropHandover(em, id);
    return 'failed';
  }

  /**
   * Notes that the message is being handed to the channel, committed at once on a connection of its own (a fork
   * outside the transaction), so the note outlives the transaction's rollback when the worker or the database goes.
   */
  private async noteHandover(id: string, now: Date): Promise<void> {
    await this.em.fork().execute(`insert into outbox_handover (message_id, started_at) values (?, ?)`, [id, now]);
  }

  /** The hand-over ended with an answer: its note goes in the transaction that records the answer. */
  private async dropHandover(em: EntityManager, id: string): Promise<void> {
    await em.execute(`delete from outbox_handover where message_id = ?`, [id]);
  }
}
