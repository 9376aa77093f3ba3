import { refusalText } from '../../domain/messages/refusal-text.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { contactPolicy as defaultContactPolicy, decideContact, type ContactPolicy } from '../../domain/guards/contact-guard.js';
import { audienceOf, INVOICE_PAID, untilPaidTemplates } from '../../domain/messages/catalogue.js';
import { messageLanguage, renderMessage } from '../../domain/messages/templates.js';
import { unsubscribeUrl, withUnsubscribeFooter, type UnsubscribeLinks } from '../../domain/messages/unsubscribe-link.js';
import { MessagePurpose, OutboxMessage, type MessageChannel } from '../../entities/index.js';
import type { MessageSender } from './message-sender.js';

export interface DeliveryPolicy {
  /** Messages taken per round (each round is one transaction holding their rows). */
  batchSize: number;
  /** After this many failed attempts a message waits for a person (it stays in the outbox with its last error). */
  maxAttempts: number;
  /** Wait before the next attempt after `attempts` failures. */
  retryAfterMs: (attempts: number) => number;
  contact: ContactPolicy;
}

export const defaultDeliveryPolicy: DeliveryPolicy = {
  batchSize: 50,
  maxAttempts: 8,
  retryAfterMs: (attempts) => Math.min(60_000 * 2 ** (attempts - 1), 6 * 3_600_000),
  contact: defaultContactPolicy,
};

export interface DeliveryRound {
  sent: number;
  deferred: number;
  suppressed: number;
  failed: number;
}

type DueRow = {
  id: string;
  idempotency_key: string;
  customer_id: string;
  channel: MessageChannel;
  purpose: MessagePurpose;
  template: string;
  payload: Record<string, unknown>;
  attempts: number;
  name: string;
  email: string;
  phone: string | null;
  time_zone: string;
  locale: string;
  erased: boolean;
  offboarded: boolean;
  marketing_consent: boolean;
  has_open_complaint: boolean;
  recent_marketing: string[] | null;
  /** It chases payment of an invoice that has been paid since it was written. */
  invoice_paid: boolean;
};

/**
 * Sends what the playbooks wrote to the outbox, through the configured channel, obeying
 * the contact guard at the moment of sending: an opt-out stops marketing at once (service
 * messages still go), the contact budget is counted across all playbooks, and nothing
 * goes out to a customer during quiet hours in their time zone (a task for the company's
 * team goes at once), and nothing chasing an invoice goes once it is paid. Rows are locked while they
 * are handled (`skip locked`), so several workers never send the same message; a message
 * is marked sent in the same transaction, and its key travels as the e-mail Message-ID.
 */
export class DeliveryService {
  constructor(
    private readonly em: EntityManager,
    private readonly sender: MessageSender,
    private readonly policy: DeliveryPolicy = defaultDeliveryPolicy,
    /** Where marketing messages' unsubscribe links point; null: sent without one (only where no marketing e-mail goes out). */
    private readonly unsubscribe: UnsubscribeLinks | null = null,
  ) {}

  async deliverDue(now: Date = new Date()): Promise<DeliveryRound> {
    return this.em.transactional(async (em) => {
      const since = new Date(now.getTime() - this.policy.contact.budgetPeriodMs);
      const rows: DueRow[] = await em.execute(
        `select m.id, m.idempotency_key, m.customer_id, m.channel, m.purpose, m.template, m.payload, m.attempts,
                c.name, c.email, c.phone, c.time_zone, c.locale, c.marketing_consent, c.status = 'erased' as erased, c.status = 'offboarded' as offboarded,
                exists (select 1 from complaint cp where cp.customer_id = c.id and cp.resolved_at is null) as has_open_complaint,
                (select array_agg(x.sent_at) from outbox_message x
                  where x.customer_id = m.customer_id and x.purpose = 'marketing' and x.sent_at > ?) as recent_marketing,
                coalesce(m.template in (?) and i.paid_at is not null, false) as invoice_paid
           from outbox_message m join customer c on c.id = m.customer_id
                left join invoice i on i.id = m.invoice_id
          where m.sent_at is null and m.suppressed_at is null and (m.send_after is null or m.send_after <= ?) and m.attempts < ?
          order by m.created_at
          limit ?
          for update of m skip locked`,
        [since, [...untilPaidTemplates], now, this.policy.maxAttempts, this.policy.batchSize],
      );
      const round: DeliveryRound = { sent: 0, deferred: 0, suppressed: 0, failed: 0 };
      // Marketing sent in this round counts against the budget of the next message to the same customer.
      const sentMarketing = new Map<string, Date[]>();
      for (const row of rows) {
        // The invoice was paid while the message waited (whichever way it was paid): held back for good.
        if (row.invoice_paid) {
          await em.nativeUpdate(OutboxMessage, { id: row.id }, { suppressedAt: now, suppressedReason: INVOICE_PAID });
          round.suppressed++;
          continue;
        }
        const recent = [...(row.recent_marketing ?? []).map((t) => new Date(t)), ...(sentMarketing.get(row.customer_id) ?? [])];
        const decision = decideContact(this.policy.contact, {
          purpose: row.purpose,
          audience: audienceOf(row.template),
          at: now,
          customer: { erased: row.erased, offboarded: row.offboarded, marketingConsent: row.marketing_consent, timeZone: row.time_zone, hasOpenComplaint: row.has_open_complaint, recentMarketingContacts: recent },
        });
        if (!decision.allowed) {
          await em.nativeUpdate(OutboxMessage, { id: row.id }, { suppressedAt: now, suppressedReason: `${decision.reason}: ${decision.detail}` });
          round.suppressed++;
          continue;
        }
        if (decision.sendAt.getTime() > now.getTime()) {
          await em.nativeUpdate(OutboxMessage, { id: row.id }, { sendAfter: decision.sendAt });
          round.deferred++;
          continue;
        }
        try {
          const { subject, text } = renderMessage(row.template, row.name, row.payload, row.locale);
          const link = row.purpose === MessagePurpose.Marketing && this.unsubscribe ? unsubscribeUrl(this.unsubscribe, row.customer_id) : undefined;
          await this.sender.send({
            idempotencyKey: row.idempotency_key,
            channel: row.channel,
            to: { name: row.name, email: row.email, phone: row.phone },
            subject,
            text: link ? withUnsubscribeFooter(text, link, messageLanguage(row.template, row.locale)) : text,
            unsubscribeUrl: link,
          });
          await em.nativeUpdate(OutboxMessage, { id: row.id }, { sentAt: now, attempts: row.attempts + 1, lastError: null });
          if (row.purpose === MessagePurpose.Marketing) sentMarketing.set(row.customer_id, [...(sentMarketing.get(row.customer_id) ?? []), now]);
          round.sent++;
        } catch (error) {
          const attempts = row.attempts + 1;
          const lastError = refusalText((error as Error).message, { name: row.name, email: row.email, phone: row.phone });
          await em.nativeUpdate(OutboxMessage, { id: row.id }, { attempts, lastError, sendAfter: new Date(now.getTime() + this.policy.retryAfterMs(attempts)) });
          round.failed++;
        }
      }
      return round;
    });
  }
}
