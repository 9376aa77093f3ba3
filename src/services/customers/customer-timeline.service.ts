import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { CustomerEventKind, eventSummary, type CustomerEventFacts } from '../../domain/customers/timeline.js';
import { renderIfKnown } from '../../domain/messages/templates.js';
import { assertPageSize, decodeCursor, encodeCursor, toPage, type Page, type PageArgs } from '../common/pagination.js';

/** One thing that happened with a customer, newest first in their timeline. */
export interface CustomerEvent extends CustomerEventFacts {
  customerId: string;
  at: Date;
  summary: string;
}

export interface TimelineArgs extends PageArgs {
  /** Only these kinds (all when null or empty). */
  kinds?: readonly CustomerEventKind[] | null;
}

interface Key {
  customerId: string;
  first: number;
  after: string | null;
  kinds: readonly CustomerEventKind[];
}

interface EventRow {
  customer_id: string;
  kind: CustomerEventKind;
  at: Date | string;
  ref: string;
  amount: string | number | null;
  detail: string | null;
  extra: string | null;
  payload: Record<string, unknown> | null;
  /** A message's reader: the customer's name and language, to render its subject as they read it. */
  reader_name: string | null;
  reader_locale: string | null;
}

const TAG = 'timeline';
const ALL_KINDS = Object.values(CustomerEventKind);
const kindsOf = (args: TimelineArgs) => (args.kinds?.length ? [...new Set(args.kinds)].sort() : ALL_KINDS);
const shapeOf = (k: Key) => `${k.first}|${k.after ?? ''}|${k.kinds.join(',')}`;

/** Every event of the given customers, from the tables that record them (each read by its customer index). */
function events(ids: readonly string[]) {
  const of = sql`customer_id = any(${ids}::uuid[])`;
  const K = CustomerEventKind;
  return sql`
    select customer_id, ${K.OrderPlaced}::text as kind, ordered_at as at, id::text as ref, amount_minor as amount, null::text as detail, null::text as extra,
           null::jsonb as payload, null::text as reader_name, null::text as reader_locale
      from customer_order where ${of}
    union all select customer_id, ${K.InvoiceIssued}, issued_at::timestamp at time zone 'UTC', id::text, amount_minor, due_at::text, null, null, null, null from invoice where ${of}
    union all select customer_id, ${K.InvoicePaid}, paid_at::timestamp at time zone 'UTC', id::text, amount_minor, (paid_at - due_at)::text, null, null, null, null from invoice where ${of} and paid_at is not null
    union all select customer_id, ${K.ComplaintOpened}, opened_at, id::text, null, topic, severity::text, null, null, null from complaint where ${of}
    union all select customer_id, ${K.ComplaintResolved}, resolved_at, id::text, null, topic, null, null, null, null from complaint where ${of} and resolved_at is not null
    union all select m.customer_id, ${K.MessageSent}, m.sent_at, m.id::text, null, m.template, m.channel::text, m.payload, c.name, c.locale
      from outbox_message m join customer c on c.id = m.customer_id where m.customer_id = any(${ids}::uuid[]) and m.sent_at is not null
    union all select customer_id, ${K.PlaybookStarted}, started_at, workflow_id, null, playbook, null, null, null, null from playbook_run where ${of}
    union all select customer_id, ${K.PlaybookFinished}, finished_at, workflow_id, null, playbook, outcome, null, null, null from playbook_run where ${of} and finished_at is not null`;
}

/**
 * A customer's timeline: orders, invoices issued and paid, complaints opened and resolved,
 * messages sent and playbook runs, newest first in one list, each with a line a person
 * reads, so a customer page needs one connection instead of merging six. Batched: the
 * timelines of a page of customers cost one statement (and one more for their totalCount).
 */
export class CustomerTimelineService {
  private readonly pages: DataLoader<Key, Page<CustomerEvent>, string>;
  private readonly counts: DataLoader<{ customerId: string; kinds: readonly CustomerEventKind[] }, number, string>;

  constructor(private readonly em: EntityManager) {
    this.pages = new DataLoader((keys) => this.loadPages(keys), { cacheKeyFn: (k) => `${k.customerId}|${shapeOf(k)}` });
    this.counts = new DataLoader((keys) => this.loadCounts(keys), { cacheKeyFn: (k) => `${k.customerId}|${k.kinds.join(',')}` });
  }

  forCustomer(customerId: string, args: TimelineArgs): Promise<Page<CustomerEvent>> {
    assertPageSize(args.first);
    if (args.after) decodeCursor(TAG, args.after, 3);
    return this.pages.load({ customerId, first: args.first, after: args.after ?? null, kinds: kindsOf(args) });
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
    const cursorOf = (e: CustomerEvent) => encodeCursor(TAG, [e.at.toISOString(), e.kind, e.ref]);
    return keys.map((key) => {
      const events = (rowsOf.get(`${key.customerId}|${shapeOf(key)}`) ?? []).map(toEvent);
      return toPage(events, key.first, () => this.counts.load({ customerId: key.customerId, kinds: key.kinds }), cursorOf, Boolean(key.after));
    });
  }

  /** Each customer's newest `first + 1` events after the cursor. */
  private async fetch(group: Key[]): Promise<Map<string, EventRow[]>> {
    const { first, after, kinds } = group[0];
    let beyond = sql`true`;
    if (after) {
      const [at, kind, ref] = decodeCursor(TAG, after, 3) as [string, string, string];
      beyond = sql`(e.at, e.kind, e.ref) < (${at}::timestamptz, ${kind}, ${ref})`;
    }
    const { rows } = await sql<EventRow>`
      select * from (
        select e.*, row_number() over (partition by e.customer_id order by e.at desc, e.kind desc, e.ref desc) as n
          from (${events(group.map((k) => k.customerId))}) e
         where e.kind = any(${kinds}::text[]) and ${beyond}
      ) r
      where r.n <= ${first + 1}
      order by r.customer_id, r.at desc, r.kind desc, r.ref desc`.execute(this.em.getKysely());
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
          select customer_id, count(*) as n from (${events(ids)}) e where e.kind = any(${kinds}::text[]) group by 1`.execute(this.em.getKysely());
        for (const row of rows) counts.set(`${row.customer_id}|${set}`, Number(row.n));
      }),
    );
    return keys.map((k) => counts.get(`${k.customerId}|${k.kinds.join(',')}`) ?? 0);
  }
}

/** An event as the timeline shows it; a message's subject rendered for its reader, in their language. */
function toEvent(row: EventRow): CustomerEvent {
  const facts: CustomerEventFacts = { kind: row.kind, ref: row.ref, amountMinor: row.amount === null ? null : Number(row.amount), detail: row.detail, extra: row.extra };
  if (row.kind === CustomerEventKind.MessageSent) facts.subject = renderIfKnown(row.detail ?? '', row.reader_name ?? '', row.payload ?? {}, row.reader_locale ?? undefined).subject;
  return { ...facts, customerId: row.customer_id, at: new Date(row.at), summary: eventSummary(facts) };
}
