import type { EntityManager } from '@mikro-orm/postgresql';
import { feesStandingSql, outstandingMinorSql } from '../facts/invoice-facts.js';
import { remindersSoFar } from '../facts/reminder-facts.js';
import { stepMessageKeyParts } from '../../domain/playbooks/run-id.js';

/** An invoice as it stands now: what a message naming it says when it goes, and the message history shows before. */
export interface InvoiceNow {
  /** What is still open on it (0 once paid or cancelled). */
  openMinor: number;
  /** Its amount (the billing system may have changed it). */
  amountMinor: number;
  /** The reminder fees standing on it (charged, not reversed). */
  feesMinor: number;
  /** Its due day (YYYY-MM-DD): the billing system may have moved it. */
  dueAt: string;
}

/** The row of `invoiceNowColumns`. */
export interface InvoiceNowRow {
  open_minor: string | number | null;
  amount_minor: string | number | null;
  fees_minor: string | number | null;
  due_at: string | null;
}

/** SQL: the columns of `InvoiceNowRow` for the invoice `i` (all null when it is left joined and absent). */
export const invoiceNowColumns = (i: string) =>
  `case when ${i}.id is not null then ${outstandingMinorSql(i)} end as open_minor, ${i}.amount_minor, ${feesStandingSql(i)} as fees_minor, to_char(${i}.due_at, 'YYYY-MM-DD') as due_at`;

/** The invoice of a row of `invoiceNowColumns`; null without one. */
export function invoiceNowOf(row: InvoiceNowRow): InvoiceNow | null {
  if (row.open_minor === null || row.amount_minor === null || row.fees_minor === null || row.due_at === null) return null;
  return { openMinor: Number(row.open_minor), amountMinor: Number(row.amount_minor), feesMinor: Number(row.fees_minor), dueAt: row.due_at };
}

/**
 * What a message's payload says of its invoice, as the invoice stands now: only what the payload names (a reminder what
 * is open, the amount, the due day; a reminder or hand-over the fees on it). One message queued before a part payment,
 * or before the billing system moved the due day, goes out as the customer's invoice reads then, as the run's later
 * messages do: never two reminders naming one invoice with two due days. (The invoice number is the billing system's
 * reference, by which its exports find the invoice: it does not change.) Used by delivery as it sends the message and
 * by the message history for one still to go.
 */
export function invoiceAsItGoes(payload: Record<string, unknown>, invoice: InvoiceNow): Record<string, unknown> {
  const now: Record<string, unknown> = {};
  if (typeof payload.openMinor === 'number') {
    now.openMinor = invoice.openMinor;
    if (typeof payload.amountMinor === 'number') now.amountMinor = invoice.amountMinor;
  }
  if (typeof payload.feesOnInvoiceMinor === 'number') now.feesOnInvoiceMinor = invoice.feesMinor;
  if (typeof payload.dueAt === 'string') now.dueAt = invoice.dueAt;
  return now;
}

/**
 * What of a message naming invoice `invoiceId` reads otherwise when it goes than as written: its invoice as it stands now
 * (`invoiceAsItGoes`), and for a call task what its run sent and charged, the earlier calls and the broken promises
 * (`remindersSoFar`, read now). Delivery writes the message so; the message history and the data export show it so.
 */
export async function changesAsItGoes(
  em: EntityManager,
  message: { idempotencyKey: string; payload: Record<string, unknown>; invoiceId: string },
  invoice: InvoiceNow | null,
): Promise<Record<string, unknown>> {
  const now: Record<string, unknown> = invoice ? invoiceAsItGoes(message.payload, invoice) : {};
  if (message.payload.remindersSoFar) now.remindersSoFar = await remindersSoFar(em, stepMessageKeyParts(message.idempotencyKey).workflowId, message.invoiceId);
  return now;
}
