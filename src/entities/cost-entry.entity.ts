import 'reflect-metadata';
import { OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';
import { Customer } from './customer.entity.js';
import { money } from './money.js';

export enum CostKind {
  SupportMinutes = 'support_minutes',
  Return = 'return',
  Discount = 'discount',
  Reminder = 'reminder',
  Other = 'other',
}

/** A cost to serve a customer; with margin it gives profitability. */
@Entity({ tableName: 'cost_entry' })
@Index({ properties: ['customer', 'occurredAt'], name: 'cost_entry_customer_occurred_at_index' })
export class CostEntry {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text', nullable: true, unique: true })
  externalRef?: string | null;

  @ManyToOne({ entity: () => Customer, deleteRule: 'cascade' })
  customer!: Rel<Customer>;

  @Property({ type: 'date' })
  occurredAt!: string;

  @Enum({ items: () => CostKind, nativeEnumName: 'cost_kind' })
  kind!: CostKind;

  @Property({ type: money() })
  amountMinor!: number;

  /** Minutes for support time, items for returns; informational. */
  @Property({ type: 'double', nullable: true })
  quantity?: number | null;

  @Property({ type: 'timestamptz', length: 3 })
  createdAt: Date = new Date();
}
