import 'reflect-metadata';
import { OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Trigger } from '@mikro-orm/decorators/legacy';
import { v7 as uuidv7 } from 'uuid';
import { Customer } from './customer.entity.js';

/** One score inside a snapshot: the value, its band, the model version and the facts that drove it. */
export interface SnapshotScore {
  /** Null where the model has no value yet (e.g. too little history); band and reasons still say why. */
  value: number | null;
  /** The named band or segment the value falls in (e.g. "Champions", "loyal"). */
  band: string | null;
  modelVersion: string;
  /** Plain-language facts behind the value ("last purchase 140 days ago"). */
  reasons: string[];
}

/**
 * The scores of one customer computed together at one time (a scoring run's page, or a
 * rescore after an event), by kind: one row per customer and scoring, not per score, so
 * a nightly run writes 100k rows instead of 800k (migration 20261201040000).
 */
@Entity({ tableName: 'score_snapshot' })
// A customer's history in its order (the day described, then when computed, then the snapshot): a page reads only its rows.
@Index({ properties: ['customer', 'asOf', 'computedAt', 'id'], name: 'score_snapshot_customer_id_as_of_computed_at_id_index' })
// Snapshots are written in time order: a block-range index finds a period's for the history thinning at almost no upkeep.
@Index({ name: 'score_snapshot_computed_at_brin_index', expression: 'create index "score_snapshot_computed_at_brin_index" on "score_snapshot" using brin ("computed_at")' })
// Keeps current_score at the snapshot as of the latest day per (customer, kind), the newest of that day; function in migration 20261204010000.
@Trigger({
  name: 'score_snapshot_current_insert',
  timing: 'after',
  events: ['insert'],
  forEach: 'statement',
  expression: `create trigger score_snapshot_current_insert after insert on score_snapshot referencing new table as new_snapshots for each statement execute function refresh_current_score()`,
})
export class ScoreSnapshot {
  [OptionalProps]?: 'asOf';

  /** Time-ordered (UUIDv7): a run's new snapshots append to the key's index instead of landing all over it. */
  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  @ManyToOne({ entity: () => Customer, deleteRule: 'cascade' })
  customer!: Rel<Customer>;

  @Property({ type: 'timestamptz', length: 3 })
  computedAt!: Date;

  /**
   * The day the scores describe: their run's as-of day; for a rescore after an event, the
   * customer's own today (`eventRescoreDay`); for one written through the ORM without it, the
   * UTC day it was computed.
   */
  @Property({ type: 'date', onCreate: (s: ScoreSnapshot) => s.computedAt.toISOString().slice(0, 10) })
  asOf!: string;

  /** The scores written, by kind (rfm, churn-risk, clv, profitability, payment-loyalty, ...). */
  @Property({ type: 'jsonb' })
  scores!: Record<string, SnapshotScore>;

  /** The scoring run that wrote it (null for a rescore after an event); scoring_page keeps a run's pages from being written twice. */
  @Property({ type: 'text', nullable: true })
  runId?: string | null;
}
