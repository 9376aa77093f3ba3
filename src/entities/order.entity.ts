import 'reflect-metadata';
import { OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Trigger } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';
import { Customer } from './customer.entity.js';
import { money } from './money.js';

/** A purchase; feeds recency, frequency, spend and margin. */
@Entity({ tableName: 'customer_order' })
// Carries amount and margin, so the rescore's pass over every order reads the index alone (an index-only scan).
@Index({ properties: ['customer', 'orderedAt'], include: ['amountMinor', 'marginMinor'], name: 'customer_order_customer_ordered_at_index' })
// Keep customer.revenue_minor current, once per statement (functions in migration 20261124020000).
@Trigger({
  name: 'customer_order_revenue_insert',
  timing: 'after',
  events: ['insert'],
  forEach: 'statement',
  expression: `create trigger customer_order_revenue_insert after insert on customer_order referencing new table as new_orders for each statement execute function refresh_customer_revenue_after_insert()`,
})
@Trigger({
  name: 'customer_order_revenue_update',
  timing: 'after',
  events: ['update'],
  forEach: 'statement',
  expression: `create trigger customer_order_revenue_update after update on customer_order referencing old table as old_orders new table as new_orders for each statement execute function refresh_customer_revenue_after_update()`,
})
@Trigger({
  name: 'customer_order_revenue_delete',
  timing: 'after',
  events: ['delete'],
  forEach: 'statement',
  expression: `create trigger customer_order_revenue_delete after delete on customer_order referencing old table as old_orders for each statement execute function refresh_customer_revenue_after_delete()`,
})
export class Order {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text', nullable: true, unique: true })
  externalRef?: string | null;

  @ManyToOne({ entity: () => Customer, deleteRule: 'cascade' })
  customer!: Rel<Customer>;

  @Property({ type: 'timestamptz', length: 3 })
  orderedAt!: Date;

  @Property({ type: money() })
  amountMinor!: number;

  /** Contribution margin of the order, when the source system knows it. */
  @Property({ type: money(), nullable: true })
  marginMinor?: number | null;

  @Property({ type: 'timestamptz', length: 3 })
  createdAt: Date = new Date();
}
