import 'reflect-metadata';
import { OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';
import { TierChangeSource } from '../domain/customers/tier-change.js';
import { Customer, ServiceTier } from './customer.entity.js';

export { TierChangeSource };

/**
 * A customer's move from one service tier to another, in effect from `changedOn` (their calendar
 * day): the profitability window counts each day's tier's fee margin by these.
 */
@Entity({ tableName: 'service_tier_change' })
@Index({ properties: ['customer', 'changedOn'], name: 'service_tier_change_customer_changed_on_index' })
export class ServiceTierChange {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => Customer, deleteRule: 'cascade' })
  customer!: Rel<Customer>;

  @Property({ type: 'date' })
  changedOn!: string;

  @Enum({ items: () => ServiceTier, nativeEnumName: 'service_tier' })
  fromTier!: ServiceTier;

  @Enum({ items: () => ServiceTier, nativeEnumName: 'service_tier' })
  toTier!: ServiceTier;

  @Property({ type: 'text' })
  source!: TierChangeSource;

  @Property({ type: 'timestamptz', length: 3 })
  createdAt: Date = new Date();
}
