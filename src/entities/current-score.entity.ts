import 'reflect-metadata';
import { type Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, Property, Trigger } from '@mikro-orm/decorators/legacy';
import { Customer } from './customer.entity.js';

/**
 * The current value of each score per customer: of the latest day scored, the last
 * computed (a rescore as of a past day does not replace it). Kept by a trigger on
 * score_snapshot inserts: the customers list filters and sorts by scores from here
 * instead of searching each customer's snapshot history. Fill factor 50 (migration
 * 20261201010000), so a nightly rewrite of an unchanged value stays off the indexes.
 */
@Entity({ tableName: 'current_score' })
@Index({ properties: ['kind', 'value'], name: 'current_score_kind_value_index' })
@Index({ properties: ['kind', 'band'], name: 'current_score_kind_band_index' })
// Customers sorted by their RFM score go by segment, then by the code (`rfmSegmentOrder` builds the same expression).
@Index({
  name: 'current_score_rfm_segment_order_index',
  expression: `create index "current_score_rfm_segment_order_index" on "current_score" (((12 - coalesce(array_position(array['Champions', 'Loyal', 'Potential loyalist', 'New', 'Promising', 'Need attention', 'About to sleep', 'At risk', 'Can''t lose them', 'Hibernating', 'Lost']::text[], band), 12)) * 1000 + value), "customer_id") where kind = 'rfm'`,
})
// The customer row carries its churn-risk band and RFM segment for the list's filters; only a change is copied.
@Trigger({
  name: 'current_score_band_insert',
  timing: 'after',
  events: ['insert'],
  expression: `create trigger current_score_band_insert after insert on current_score for each row when (new.kind in ('churn-risk', 'rfm')) execute function copy_score_band_to_customer()`,
})
@Trigger({
  name: 'current_score_band_update',
  timing: 'after',
  events: ['update'],
  expression: `create trigger current_score_band_update after update on current_score for each row when (new.kind in ('churn-risk', 'rfm') and old.band is distinct from new.band) execute function copy_score_band_to_customer()`,
})
// Every band that moves is kept as it happens (score_band_change), for the customer's timeline.
@Trigger({
  name: 'current_score_band_change',
  timing: 'after',
  events: ['update'],
  expression: `create trigger current_score_band_change after update on current_score for each row when (old.band is distinct from new.band) execute function record_score_band_change()`,
})
export class CurrentScore {
  @ManyToOne({ entity: () => Customer, primary: true, deleteRule: 'cascade' })
  customer!: Rel<Customer>;

  @Property({ type: 'text', primary: true })
  kind!: string;

  @Property({ type: 'double', nullable: true })
  value!: number | null;

  @Property({ type: 'text', nullable: true })
  band?: string | null;

  @Property({ type: 'timestamptz', length: 3 })
  computedAt!: Date;

  /** The day it describes, as its snapshot's. */
  @Property({ type: 'date' })
  asOf!: string;

  /** The snapshot it comes from (its reasons and model version). */
  @Property({ type: 'uuid' })
  snapshotId!: string;
}
