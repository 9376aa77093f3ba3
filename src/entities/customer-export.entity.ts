import 'reflect-metadata';
import { type Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';
import { Customer } from './customer.entity.js';

/** Everything stored about a customer, exported for them when they leave (one per offboarding run). */
@Entity({ tableName: 'customer_export' })
export class CustomerExport {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text', unique: true })
  workflowId!: string;

  @Index()
  @ManyToOne({ entity: () => Customer, deleteRule: 'cascade' })
  customer!: Rel<Customer>;

  @Property({ type: 'jsonb' })
  document!: Record<string, unknown>;

  @Property({ type: 'timestamptz', length: 3 })
  createdAt!: Date;
}
