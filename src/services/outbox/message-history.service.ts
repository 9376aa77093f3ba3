import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { changesAsItGoes, invoiceNowColumns, invoiceNowOf, type InvoiceNow, type InvoiceNowRow } from './invoice-as-it-goes.js';
import { messageStatus, type MessageStatus } from '../../domain/messages/message-status.js';
import { renderIfKnown } from '../../domain/messages/templates.js';
import { recipientOf, type MessageAudience } from '../../domain/messages/catalogue.js';
import { OutboxMessage } from '../../entities/index.js';
import { ChildPager } from '../common/child-pages.js';
import { promiseHoldingRun, runsGoingOn } from './waiting-messages.js';
import { mapPage, type Page, type PageArgs } from '../common/pagination.js';
import type { CustomerService } from '../customers/customer.service.js';

/** One message as a customer's history shows it: what was (or will be) sent, and where it stands. */
export interface MessageView {
  id: string;
  customerId: string;
  /** `<workflow id>/<step>` of the playbook run that wrote it. */
  key: string;
  channel: OutboxMessage['channel'];
  purpose: OutboxMessage['purpose'];
  template: string;
  /** Who it went to: the customer, or one of the company's teams (a task about them, never sent to them). */
  recipient: MessageAudience;
  /** The team a task went to, when it names one (a fix case's owner); null for a message to the customer. */
  recipientTeam: string | null;
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
  /** While it waits to go: the earlier reminder of its run it is held for, and why. */
  waitsFor: string | null;
  refusedAt: Date | null;
  interruptedAt: Date | null;
  loyaltyBand: string | null;
}

/** What the playbooks have sent a customer (and what a guard held back): the outbox, newest first, batched over a page of customers. */
export class MessageHistoryService {
  private readonly pager: ChildPager<OutboxMessage>;
  /** What the messages not gone yet say now: batched over a page of customers. */
  private readonly asNow: MessagesAsNow;

  constructor(
    em: EntityManager,
    private readonly customers: CustomerService,
    /** After this many failed attempts a message is undeliverable (the delivery policy's), as is one refused for good. */
    private readonly maxAttempts: number,
    /** The currency of amounts in message texts (the money policy's). */
    private readonly currency: string,
  ) {
    this.pager = new ChildPager(em, OutboxMessage, {
      tag: 'messages',
      table: 'outbox_message',
      parentColumn: 'customer_id',
      orderColumn: 'created_at',
      orderType: 'timestamptz',
      orderProperty: 'createdAt',
    });
    this.asNow = new MessagesAsNow(em);
  }

  /** The customer's messages with their texts as rendered for this customer (name and language). */
  async forCustomer(customer: { id: string; name?: string; locale?: string }, args: PageArgs): Promise<Page<MessageView>> {
    const now = new Date();
    // A customers page reads only the fields its client selected: name and language may have to be read (batched) here.
    const reader =
      customer.name !== undefined && customer.locale !== undefined
        ? { name: customer.name, locale: customer.locale }
        : this.customers.find(customer.id).then((c) => ({ name: c?.name ?? '', locale: c?.locale ?? 'en' }));
    const [page, readBy] = await Promise.all([this.pager.page(customer.id, args), reader]);
    const still = new Map(await Promise.all(page.edges.map(async ({ node }) => [node.id, await this.asNow.of(node)] as const)));
    return mapPage(page, (m) => messageView(m, readBy, now, this.maxAttempts, this.currency, still.get(m.id)));
  }
}

/** What a message says now and whether a promise to pay holds it back: `messageView`'s `payload` and `heldByPromise`. */
export interface MessageAsNow {
  payload: Record<string, unknown>;
  heldByPromise: boolean;
}

/**
 * What the messages not gone yet say now, for every view of them (the customer's message history, their data export):
 * one message queued before a part payment or before the billing system moved the due day reads as delivery will write
 * it, so no two views of one message disagree. Each lookup is batched over the messages asked for together (a page of
 * customers, an export), through `em` (the caller's transaction, if any).
 */
export class MessagesAsNow {
  /** Each invoice as it stands now, for the messages naming it that have not gone yet. */
  private readonly invoiceNow: DataLoader<string, InvoiceNow | null>;
  /** Whether each run goes on (its record not ended), for the messages a promise to pay held back. */
  private readonly runGoesOn: DataLoader<string, boolean>;

  constructor(private readonly em: EntityManager) {
    this.invoiceNow = new DataLoader(async (ids) => {
      const rows = await em.execute<(InvoiceNowRow & { id: string })[]>(`select i.id, ${invoiceNowColumns('i')} from invoice i where i.id in (?)`, [[...ids]]);
      const now = new Map(rows.map((r) => [r.id, invoiceNowOf(r)]));
      return ids.map((id) => now.get(id) ?? null);
    });
    this.runGoesOn = new DataLoader(async (workflowIds) => {
      const going = await runsGoingOn(em, workflowIds);
      return workflowIds.map((id) => going.has(id));
    });
  }

  /**
   * `m` as it reads now. One not sent yet (or held back by a promise to pay, to go if it lapses) that names its invoice
   * shows it as it stands now, as delivery will write it when it goes (`invoiceAsItGoes`: a part payment, a due day moved
   * since): what a person reads out on the phone, or the customer reads in their export, is what the customer gets.
   * One sent, or held back for good, reads as it was written.
   */
  async of(m: OutboxMessage): Promise<MessageAsNow> {
    const run = promiseHoldingRun(m);
    const promised = run !== null && (await this.runGoesOn.load(run));
    if (m.sentAt || (m.suppressedAt && !promised) || !m.invoice) return { payload: m.payload, heldByPromise: promised };
    const changes = await changesAsItGoes(this.em, { idempotencyKey: m.idempotencyKey, payload: m.payload, invoiceId: m.invoice.id }, await this.invoiceNow.load(m.invoice.id));
    return { payload: { ...m.payload, ...changes }, heldByPromise: promised };
  }
}

/** Whom a message's text is rendered for: their name, in their language. */
export interface Reader {
  name: string;
  locale: string;
}

/** Whom a message is shown for: a message sent as the customer read it (their name and language then), one not sent yet for `reader` as they are now. */
export function readerOf(m: Pick<OutboxMessage, 'sentName' | 'sentLocale'>, reader: Reader): Reader {
  return { name: m.sentName ?? reader.name, locale: m.sentLocale ?? reader.locale };
}

/**
 * The message as histories and queues show it, its texts rendered for its reader (`readerOf`), from `payload` (its own
 * unless told); `heldByPromise`: a promise to pay holds it back while its run goes on.
 */
export function messageView(m: OutboxMessage, current: Reader, now: Date, maxAttempts: number, currency: string, { payload = m.payload, heldByPromise: promised = false }: { payload?: Record<string, unknown>; heldByPromise?: boolean } = {}): MessageView {
  const reader = readerOf(m, current);
  const { subject, text } = renderIfKnown(m.template, reader.name, payload, reader.locale, currency);
  const status = messageStatus({ ...m, heldByPromise: promised }, now, maxAttempts);
  const recipient = recipientOf(m.template, m.payload);
  return {
    id: m.id,
    customerId: m.customer.id,
    key: m.idempotencyKey,
    channel: m.channel,
    purpose: m.purpose,
    template: m.template,
    recipient: recipient.audience,
    recipientTeam: recipient.team,
    subject,
    text,
    status,
    createdAt: m.createdAt,
    sentAt: m.sentAt ?? null,
    // Held by a promise: when it goes is the run's to say once the promise lapses, not a quiet-hours time it had before.
    sendAfter: promised ? null : (m.sendAfter ?? null),
    suppressedReason: m.suppressedReason ?? null,
    attempts: m.attempts,
    lastError: m.lastError ?? null,
    // Only while it waits: once sent, held back for good or given up, what it waited for is over.
    waitsFor: status === 'held' || status === 'pending' || status === 'failing' ? (m.waitsFor ?? null) : null,
    refusedAt: m.refusedAt ?? null,
    interruptedAt: m.interruptedAt ?? null,
    loyaltyBand: m.loyaltyBand ?? null,
  };
}
