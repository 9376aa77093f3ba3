import 'reflect-metadata';
import { OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';
import { Customer } from './customer.entity.js';
import { money } from './money.js';

/** A purchase; feeds recency, frequency, spend and margin. */
@Entity({ tableName: 'customer_order' })
@Index({ properties: ['customer', 'orderedAt'], name: 'customer_order_customer_ordered_at_index' })
export class Order {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text', nullable: true, unique: true })
  externalRef?: string | null;

  @ManyToOne({ entity: () => Customer, deleteRule: 'cascade' })
  customer!: Rel<Customer>;

  @Property({ type: 'timestamptz' })
  orderedAt!: Date;

  @Property({ type: money() })
  amountMinor!: number;

  /** Contribution margin of the order, when the source system knows it. */
  @Property({ type: money(), nullable: true })
  marginMinor?: number | null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
