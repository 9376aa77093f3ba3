import 'reflect-metadata';
import { OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';
import { Customer } from './customer.entity.js';
import { Invoice } from './invoice.entity.js';

export enum MessageChannel {
  Email = 'email',
  Letter = 'letter',
  /** A task for a person to call the customer. */
  Call = 'call',
}

export enum MessagePurpose {
  /** Needed to serve the customer (a payment reminder); sent despite a marketing opt-out. */
  Service = 'service',
  Marketing = 'marketing',
}

/** Every message to a customer, written once per playbook step; the unique key makes retries harmless. */
@Entity({ tableName: 'outbox_message' })
@Index({
  properties: ['sentAt', 'createdAt'],
  name: 'outbox_message_unsent_index',
  expression: 'create index "outbox_message_unsent_index" on "outbox_message" ("created_at") where "sent_at" is null and "suppressed_at" is null',
})
// The contact budget counts a customer's recent marketing messages.
@Index({ properties: ['customer', 'purpose', 'sentAt'], name: 'outbox_message_customer_id_purpose_sent_at_index' })
export class OutboxMessage {
  [OptionalProps]?: 'attempts' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** `<workflow id>/<step>`: one message per run and step, whatever retries happen. */
  @Property({ type: 'text', unique: true })
  idempotencyKey!: string;

  @Index()
  @ManyToOne({ entity: () => Customer, deleteRule: 'cascade' })
  customer!: Rel<Customer>;

  /** The invoice the message is about (fair reminders); a message chasing its payment is held back once it is paid. */
  @Index()
  @ManyToOne({ entity: () => Invoice, nullable: true, deleteRule: 'set null' })
  invoice?: Rel<Invoice> | null;

  @Enum({ items: () => MessageChannel, nativeEnumName: 'message_channel' })
  channel!: MessageChannel;

  @Enum({ items: () => MessagePurpose, nativeEnumName: 'message_purpose' })
  purpose!: MessagePurpose;

  @Property({ type: 'text' })
  template!: string;

  @Property({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Property({ type: 'timestamptz', length: 3 })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  sentAt?: Date | null;

  /** The name and language it was written in for the customer when it went out (null: not sent, or sent before they were kept): shown as they read it. Erasure clears the name. */
  @Property({ type: 'text', nullable: true })
  sentName?: string | null;

  @Property({ type: 'text', nullable: true })
  sentLocale?: string | null;

  /** Held until then (quiet hours in the customer's time zone, or a retry after a failed attempt). */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  sendAfter?: Date | null;

  /** Not sent: a guard said no, for good (customer left, no consent, contact budget, open complaint, invoice paid meanwhile), or its run stopped (released when a reset makes the run run again). */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  suppressedAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  suppressedReason?: string | null;

  /**
   * When a step of its run last found it written already: a retried step, or one a run reset in the Temporal UI took
   * again (recording the reset leaves such a message to go out; the reset run means it). Null: never found again.
   */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  takenAgainAt?: Date | null;

  /**
   * When the workflow engine scheduled the step that wrote it (its first attempt, on the engine's clock): what recording a
   * reset compares with the point reset to. Null for a message written outside a step (its `createdAt` stands in).
   */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  stepScheduledAt?: Date | null;

  /** Hand-overs to the channel so far, the last one included. */
  @Property({ type: 'integer' })
  attempts: number = 0;

  /**
   * Since when it has been due, for a message delivery is retrying: its due time when its first attempt failed (or the
   * morning quiet hours held a retry to), kept while the back-off moves `sendAfter` on; how long it has waited counts
   * from it. Null before a failed attempt (or for one retried since before it was kept: counted from `createdAt`).
   */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  dueSince?: Date | null;

  /** The channel's last refusal, or that its hand-over was interrupted. */
  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  /** Chasing payment, held until an earlier reminder of its run has gone out: which one, and what it waits for (delivery sets it; shown while it is held). */
  @Property({ type: 'text', nullable: true })
  waitsFor?: string | null;

  /** When the channel refused it for good (an unknown mailbox): delivery tries it no more, it waits for a person (who may send it again). */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  refusedAt?: Date | null;

  /** When its hand-over to the channel began, for one delivery later found interrupted (the worker stopped, the database was lost): it may have gone out then, so it is not sent again (confirmMessageSent dates it sent then); it waits for a person (who may send it again). */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  interruptedAt?: Date | null;

  /** The customer's payment-loyalty band when the message was written (null: unscored then, or written before it was kept); the fairness report counts the message under it. */
  @Property({ type: 'text', nullable: true })
  loyaltyBand?: string | null;
}
