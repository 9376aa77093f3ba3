import 'reflect-metadata';
import { OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';
import { Customer } from './customer.entity.js';

export enum MessageChannel {
  Email = 'email',
  Sms = 'sms',
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
@Index({ properties: ['sentAt', 'createdAt'], name: 'outbox_message_unsent_index', expression: 'create index "outbox_message_unsent_index" on "outbox_message" ("created_at") where "sent_at" is null' })
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

  @Enum({ items: () => MessageChannel, nativeEnumName: 'message_channel' })
  channel!: MessageChannel;

  @Enum({ items: () => MessagePurpose, nativeEnumName: 'message_purpose' })
  purpose!: MessagePurpose;

  @Property({ type: 'text' })
  template!: string;

  @Property({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  sentAt?: Date | null;

  @Property({ type: 'integer' })
  attempts: number = 0;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;
}
