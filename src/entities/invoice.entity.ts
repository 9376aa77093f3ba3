import 'reflect-metadata';
import { OptionalProps, type Rel } from '@mikro-orm/core';
import { Check, Entity, Index, ManyToOne, PrimaryKey, Property, Trigger } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';
import { Customer } from './customer.entity.js';
import { money } from './money.js';

/** An invoice and how it was settled; feeds payment punctuality and the fair-reminder playbook. */
@Entity({ tableName: 'invoice' })
@Index({ properties: ['customer', 'dueAt'], name: 'invoice_customer_due_at_index' })
@Index({ properties: ['dueAt'], name: 'invoice_unpaid_due_at_index', expression: 'create index "invoice_unpaid_due_at_index" on "invoice" ("due_at") where "paid_at" is null' })
@Check({ name: 'invoice_cancelled_after_issued', expression: '"cancelled_at" >= "issued_at"' })
@Check({ name: 'invoice_paid_or_cancelled', expression: '"paid_at" is null or "cancelled_at" is null' })
@Check({ name: 'invoice_dispute_outcome', expression: `"dispute_outcome" is null or "dispute_outcome" in ('upheld', 'rejected')` })
@Check({ name: 'invoice_dispute_resolved', expression: '("dispute_resolved_at" is null) = ("dispute_outcome" is null) and ("dispute_resolved_at" is null or "disputed_at" is not null)' })
@Check({ name: 'invoice_disputed_days_before', expression: '"disputed_days_before" >= 0' })
// When the platform learnt of the paid or cancelled day, whatever sets it (recordPayment, an import), for the customer's timeline.
@Trigger({
  name: 'invoice_settled_recorded_at',
  timing: 'before',
  events: ['insert', 'update'],
  expression: `create trigger invoice_settled_recorded_at before insert or update of paid_at, cancelled_at on invoice for each row execute function invoice_settled_recorded_at()`,
})
export class Invoice {
  [OptionalProps]?: 'paidRecordedAt' | 'cancelledRecordedAt' | 'remindersSent' | 'feeChargedMinor' | 'feeWaivedMinor' | 'feeReversedMinor' | 'createdAt' | 'disputedDaysBefore';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text', nullable: true, unique: true })
  externalRef?: string | null;

  @ManyToOne({ entity: () => Customer, deleteRule: 'cascade' })
  customer!: Rel<Customer>;

  @Property({ type: 'date' })
  issuedAt!: string;

  @Property({ type: 'date' })
  dueAt!: string;

  @Property({ type: money() })
  amountMinor!: number;

  /** The day the invoice was paid in full; null while open. */
  @Property({ type: 'date', nullable: true })
  paidAt?: string | null;

  /**
   * The day the billing system cancelled the invoice (voided, credited): it was never owed, so
   * nothing is chased and payment loyalty does not count it. Null while it stands. (A debt written
   * off stays unpaid: the customer did not pay it.)
   */
  @Property({ type: 'date', nullable: true })
  cancelledAt?: string | null;

  /**
   * When the platform learnt that the invoice was paid (`paidAt` set or changed) and cancelled (`cancelledAt`), kept by a
   * database trigger (migration 20261228100008), never set by the application; null when it was before that migration.
   */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  paidRecordedAt?: Date | null;

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  cancelledRecordedAt?: Date | null;

  @Property({ type: 'integer' })
  remindersSent: number = 0;

  /** Reminder fees charged on it so far: what the customer was told applied, kept as history when they are reversed (feeReversedMinor). */
  @Property({ type: money() })
  feeChargedMinor: number = 0;

  /**
   * The part of feeChargedMinor reversed because the billing system cancelled the invoice (it was never owed, so neither
   * are the fees for chasing it), or because it was paid in full on a day it was not overdue (paid on time, booked late:
   * the fees its reminders charged). Reversed in the transaction that cancels or settles it, audited as `invoice.fees-reversed`.
   */
  @Property({ type: money() })
  feeReversedMinor: number = 0;

  /** Fees the policy would have charged but were waived (e.g. for a loyal payer). */
  @Property({ type: money() })
  feeWaivedMinor: number = 0;

  /**
   * When the customer disputed the invoice (wrong amount, goods not received: `disputeInvoice`), with why; null when never.
   * While the dispute is open (not resolved) its reminders hold, the trigger sweep starts none, and payment loyalty leaves
   * the disputed days out (`disputedDays`). A later dispute of the same invoice overwrites the last one (the audit log keeps each; its days stay in `disputedDaysBefore`).
   */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  disputedAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  disputeReason?: string | null;

  /** When the dispute was resolved (`resolveDispute`), and how: `upheld` (the customer is right) or `rejected` (the invoice stands). */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  disputeResolvedAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  disputeOutcome?: 'upheld' | 'rejected' | null;

  /**
   * The days earlier disputes of the invoice left out (each as `disputedDays` counted it when the next dispute came): a
   * later dispute overwrites the columns above, not the days already served, which payment loyalty still leaves out.
   */
  @Property({ type: 'integer' })
  disputedDaysBefore: number = 0;

  /** The payment-loyalty band its latest fair reminder was decided for (null: none yet). Each reminder's own band and fee are in its booking (reminder_booking), which the fairness report counts: an invoice's runs may use different bands. */
  @Property({ type: 'text', nullable: true })
  reminderLoyaltyBand?: string | null;

  @Property({ type: 'timestamptz', length: 3 })
  createdAt: Date = new Date();
}
