import 'reflect-metadata';
import { type Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Trigger } from '@mikro-orm/decorators/legacy';
import { v7 as uuidv7 } from 'uuid';
import { Customer } from './customer.entity.js';

/** One score of one customer at one time, with the model version and the facts that drove it. */
@Entity({ tableName: 'score_snapshot' })
@Index({ properties: ['customer', 'kind', 'computedAt'], name: 'score_snapshot_customer_kind_computed_at_index' })
// Keeps current_score at the newest snapshot per (customer, kind); function in migration 20261124030000.
@Trigger({
  name: 'score_snapshot_current_insert',
  timing: 'after',
  events: ['insert'],
  forEach: 'statement',
  expression: `create trigger score_snapshot_current_insert after insert on score_snapshot referencing new table as new_snapshots for each statement execute function refresh_current_score()`,
})
export class ScoreSnapshot {
  /** Time-ordered (UUIDv7): a run's hundreds of thousands of new snapshots append to the key's index instead of landing all over it. */
  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  @ManyToOne({ entity: () => Customer, deleteRule: 'cascade' })
  customer!: Rel<Customer>;

  /** Which score: rfm, churn-risk, clv, profitability, payment-loyalty, ... */
  @Property({ type: 'text' })
  kind!: string;

  /** Null where the model has no value yet (e.g. too little history); band and reasons still say why. */
  @Property({ type: 'double', nullable: true })
  value!: number | null;

  /** The named band or segment the value falls in (e.g. "Champions", "loyal"). */
  @Property({ type: 'text', nullable: true })
  band?: string | null;

  @Property({ type: 'text' })
  modelVersion!: string;

  @Property({ type: 'timestamptz' })
  computedAt!: Date;

  /** Plain-language facts behind the value ("last purchase 140 days ago"). */
  @Property({ type: 'jsonb' })
  reasons!: string[];

  /** The scoring run that wrote it (null for a rescore after an event); scoring_page keeps a run's pages from being written twice. */
  @Property({ type: 'text', nullable: true })
  runId?: string | null;
}
