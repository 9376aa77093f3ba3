import 'reflect-metadata';
import { OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';
import { Invoice } from './invoice.entity.js';
import { money } from './money.js';

/** A payment against an invoice; the invoice counts as paid once payments cover its amount. */
@Entity({ tableName: 'payment' })
export class Payment {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text', nullable: true, unique: true })
  externalRef?: string | null;

  @Index()
  @ManyToOne({ entity: () => Invoice, deleteRule: 'cascade' })
  invoice!: Rel<Invoice>;

  @Property({ type: 'date' })
  paidAt!: string;

  @Property({ type: money() })
  amountMinor!: number;

  @Property({ type: 'timestamptz', length: 3 })
  createdAt: Date = new Date();
}
