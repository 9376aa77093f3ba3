import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { EntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { postgresConnection } from '../db/connection.js';
import { Customer } from '../entities/index.js';
import { IMPORT_CONSENT_ACTION } from '../domain/customers/contact.js';
import { demoCustomers, demoOffers, demoSegments, type DemoCustomer, type DemoOptions } from './demo-data.js';

/** A value in COPY's text format. */
function field(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  const text = value instanceof Date ? value.toISOString() : String(value);
  return text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}
const line = (values: unknown[]) => values.map(field).join('\t') + '\n';

interface TableSpec {
  table: string;
  columns: string[];
  rows: (c: DemoCustomer, now: Date) => unknown[][];
}

const tables: TableSpec[] = [
  {
    table: 'customer',
    columns: ['id', 'external_ref', 'name', 'email', 'phone', 'time_zone', 'locale', 'service_tier', 'status', 'marketing_consent', 'referrer_id', 'acquired_at', 'created_at', 'updated_at'],
    rows: (c) => [[c.id, c.externalRef, c.name, c.email, c.phone, c.timeZone, c.locale, c.serviceTier, 'active', c.marketingConsent, c.referrerId, c.acquiredAt, c.createdAt, c.createdAt]],
  },
  {
    table: 'customer_order',
    columns: ['id', 'external_ref', 'customer_id', 'ordered_at', 'amount_minor', 'margin_minor', 'created_at'],
    rows: (c, now) => c.orders.map((o) => [o.id, o.externalRef, c.id, o.orderedAt, o.amountMinor, o.marginMinor, now]),
  },
  {
    table: 'invoice',
    columns: ['id', 'external_ref', 'customer_id', 'issued_at', 'due_at', 'amount_minor', 'paid_at', 'reminders_sent', 'fee_charged_minor', 'fee_waived_minor', 'created_at'],
    rows: (c, now) => c.invoices.map((i) => [i.id, i.externalRef, c.id, i.issuedAt, i.dueAt, i.amountMinor, i.paidAt, i.remindersSent, i.feeChargedMinor, 0, now]),
  },
  {
    table: 'payment',
    columns: ['id', 'external_ref', 'invoice_id', 'paid_at', 'amount_minor', 'created_at'],
    rows: (c, now) => c.payments.map((p) => [p.id, p.externalRef, p.invoiceId, p.paidAt, p.amountMinor, now]),
  },
  {
    table: 'complaint',
    columns: ['id', 'external_ref', 'customer_id', 'topic', 'severity', 'summary', 'opened_at', 'resolved_at', 'reopened_count', 'handling_cost_minor', 'product_defect', 'created_at'],
    rows: (c, now) => c.complaints.map((k) => [k.id, k.externalRef, c.id, k.topic, k.severity, null, k.openedAt, k.resolvedAt, k.reopenedCount, k.handlingCostMinor, k.productDefect, now]),
  },
  {
    table: 'cost_entry',
    columns: ['id', 'external_ref', 'customer_id', 'occurred_at', 'kind', 'amount_minor', 'quantity', 'created_at'],
    rows: (c, now) => c.costs.map((k) => [k.id, k.externalRef, c.id, k.occurredAt, k.kind, k.amountMinor, k.quantity, now]),
  },
];

/** All tables the demo data fills, children first (for --reset). */
export const demoTables = ['payment', 'invoice', 'customer_order', 'complaint', 'cost_entry', 'score_snapshot', 'playbook_run', 'outbox_message', 'customer', 'offer', 'segment'];

/**
 * Writes the demo data with COPY, one table at a time in foreign-key order, in one
 * transaction. Each table is a fresh pass over the deterministic generator, so
 * memory stays flat at any size (2M orders are never held at once).
 */
export async function copyDemoData(
  databaseUrl: string,
  options: DemoOptions,
  onProgress: (table: string, customersDone: number) => void = () => undefined,
): Promise<Record<string, number>> {
  const client = new pg.Client(postgresConnection(databaseUrl));
  await client.connect();
  const counts: Record<string, number> = {};
  const now = new Date();
  try {
    await client.query('begin');
    for (const spec of tables) {
      let rows = 0;
      let done = 0;
      const source = Readable.from(
        (function* () {
          let chunk = '';
          for (const customer of demoCustomers(options)) {
            for (const row of spec.rows(customer, now)) {
              chunk += line(row);
              rows++;
            }
            if (++done % 5000 === 0) {
              onProgress(spec.table, done);
              yield chunk;
              chunk = '';
            }
          }
          if (chunk) yield chunk;
        })(),
      );
      await pipeline(source, client.query(copyFrom(`copy ${spec.table} (${spec.columns.join(', ')}) from stdin`)));
      counts[spec.table] = rows;
    }
    const offers = demoOffers(options.asOf);
    for (const o of offers) {
      await client.query(
        `insert into offer (id, code, name, translated_names, audience, discount_percent, service_tier, valid_from, valid_until, created_at)
         values (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, $8, now()) on conflict (code) do nothing`,
        [o.code, o.name, JSON.stringify(o.translatedNames), o.audience, o.discountPercent, o.serviceTier, o.validFrom, o.validUntil],
      );
    }
    counts.offer = offers.length;
    const segments = demoSegments();
    for (const g of segments) {
      await client.query(
        `insert into segment (id, name, description, filter, created_by, created_at, updated_at)
         values (gen_random_uuid(), $1, $2, $3, 'demo', now(), now()) on conflict (lower(name)) do nothing`,
        [g.name, g.description, JSON.stringify(g.filter)],
      );
    }
    counts.segment = segments.length;
    // The consent the demo customers have, recorded as a customers import records it (taken over from the company's
    // customer records, on the day each was recorded): their data export says when and how it was given.
    await client.query(
      `insert into audit_entry (id, at, actor, action, entity_type, entity_id, before, after)
       select gen_random_uuid(), c.created_at, 'demo', $1, 'customer', c.id::text, null, jsonb_build_object('marketingConsent', true)
         from customer c where c.marketing_consent
          and not exists (select 1 from audit_entry a where a.entity_type = 'customer' and a.entity_id = c.id::text and a.action = $1)`,
      [IMPORT_CONSENT_ACTION],
    );
    await client.query('commit');
    // As autovacuum would soon after a bulk load: statistics for the planner, and the visibility
    // map that lets the rescore's pass over the orders read their index alone.
    await client.query('vacuum (analyze)');
    return counts;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

/** Loads the demo data set when the database has no customers; returns how many were written. */
export async function loadDemoDataIfEmpty(em: EntityManager, count = 250, options: Omit<DemoOptions, 'customers'> = {}): Promise<number> {
  if ((await em.count(Customer)) > 0) return 0;
  await copyDemoData(em.config.get('clientUrl')!, { ...options, customers: count });
  return count;
}
