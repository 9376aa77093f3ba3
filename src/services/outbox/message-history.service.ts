import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { messageStatus, type MessageStatus } from '../../domain/messages/message-status.js';
import { renderMessage } from '../../domain/messages/templates.js';
import { OutboxMessage } from '../../entities/index.js';
import { ChildPager } from '../common/child-pages.js';
import { mapPage, type Page, type PageArgs } from '../common/pagination.js';

/** One message as a customer's history shows it: what was (or will be) sent, and where it stands. */
export interface MessageView {
  id: string;
  /** `<workflow id>/<step>` of the playbook run that wrote it. */
  key: string;
  channel: OutboxMessage['channel'];
  purpose: OutboxMessage['purpose'];
  template: string;
  /** Null when its template is no longer known (renamed or removed since). */
  subject: string | null;
  text: string | null;
  status: MessageStatus;
  createdAt: Date;
  sentAt: Date | null;
  sendAfter: Date | null;
  suppressedReason: string | null;
  attempts: number;
  lastError: string | null;
  loyaltyBand: string | null;
}

/** What the playbooks have sent a customer (and what a guard held back): the outbox, newest first, batched over a page of customers. */
export class MessageHistoryService {
  private readonly pager: ChildPager<OutboxMessage>;
  /** Names of customers whose row was read without it (a page reads only the fields a client selected). */
  private readonly names: DataLoader<string, string>;

  constructor(em: EntityManager) {
    this.names = new DataLoader(async (ids) => {
      const { rows } = await sql<{ id: string; name: string }>`select id, name from customer where id = any(${[...ids]}::uuid[])`.execute(em.getKysely());
      const byId = new Map(rows.map((r) => [r.id, r.name]));
      return ids.map((id) => byId.get(id) ?? '');
    });
    this.pager = new ChildPager(em, OutboxMessage, {
      tag: 'messages',
      table: 'outbox_message',
      parentColumn: 'customer_id',
      orderColumn: 'created_at',
      orderType: 'timestamptz',
      orderProperty: 'createdAt',
    });
  }

  /** The customer's messages with their texts as rendered for this customer's name. */
  async forCustomer(customer: { id: string; name?: string }, args: PageArgs): Promise<Page<MessageView>> {
    const now = new Date();
    const [page, name] = await Promise.all([this.pager.page(customer.id, args), customer.name ?? this.names.load(customer.id)]);
    return mapPage(page, (m) => {
      const { subject, text } = rendered(m, name);
      return {
        id: m.id,
        key: m.idempotencyKey,
        channel: m.channel,
        purpose: m.purpose,
        template: m.template,
        subject,
        text,
        status: messageStatus(m, now),
        createdAt: m.createdAt,
        sentAt: m.sentAt ?? null,
        sendAfter: m.sendAfter ?? null,
        suppressedReason: m.suppressedReason ?? null,
        attempts: m.attempts,
        lastError: m.lastError ?? null,
        loyaltyBand: m.loyaltyBand ?? null,
      };
    });
  }
}

function rendered(m: OutboxMessage, name: string): { subject: string | null; text: string | null } {
  try {
    return renderMessage(m.template, name, m.payload);
  } catch {
    return { subject: null, text: null };
  }
}
