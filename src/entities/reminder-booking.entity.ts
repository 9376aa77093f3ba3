import 'reflect-metadata';
import { OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Invoice } from './invoice.entity.js';
import { money } from './money.js';

/**
 * One fair reminder that went out, booked on its invoice with its fee and the payment-loyalty band it was decided
 * for, written in the transaction that books it. The invoice keeps only totals and its latest band; the fairness
 * report counts each reminder from here, so an invoice chased first as "regular" (with a fee) and later as "loyal"
 * keeps the fee with "regular" and never shows a loyal payer charged.
 */
@Entity({ tableName: 'reminder_booking' })
export class ReminderBooking {
  [OptionalProps]?: 'reversedMinor';

  /** The outbox message's idempotency key: one booking per reminder sent. */
  @PrimaryKey({ type: 'text' })
  messageKey!: string;

  @Index()
  @ManyToOne({ entity: () => Invoice, deleteRule: 'cascade' })
  invoice!: Rel<Invoice>;

  /** The reminder's number in its run (1 for the first). */
  @Property({ type: 'integer' })
  reminderNumber!: number;

  @Property({ type: 'text' })
  band!: string;

  @Property({ type: money() })
  chargedMinor!: number;

  @Property({ type: money() })
  waivedMinor!: number;

  /** The part of chargedMinor reversed since, as the billing system cancelled the invoice or it was paid on time (then all of it). */
  @Property({ type: money() })
  reversedMinor: number = 0;

  @Property({ type: 'timestamptz', length: 3 })
  bookedAt: Date = new Date();
}
