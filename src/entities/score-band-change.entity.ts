import 'reflect-metadata';
import { type Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { Customer } from './customer.entity.js';

/**
 * A score's band as it moved for a customer ("churn risk: low → high"), written by a
 * trigger on current_score when a band changes: kept apart from the snapshots, so
 * thinning old score history never hides a band that came and went (migration
 * 20261202110000). Scores, not personal data: it stays when a customer's data is erased.
 */
@Entity({ tableName: 'score_band_change' })
// Who moved across the base, newest first (scoreBandChanges); the key serves one customer's timeline.
@Index({ properties: ['kind', 'changedAt', 'customer'], name: 'score_band_change_kind_changed_at_customer_id_index' })
export class ScoreBandChange {
  @ManyToOne({ entity: () => Customer, primary: true, deleteRule: 'cascade' })
  customer!: Rel<Customer>;

  @Property({ type: 'text', primary: true })
  kind!: string;

  /** When the scoring that moved it ran (its snapshot's time). */
  @Property({ type: 'timestamptz', length: 3, primary: true })
  changedAt!: Date;

  @Property({ type: 'text', nullable: true })
  band?: string | null;

  @Property({ type: 'text', nullable: true })
  previous?: string | null;

  /** The snapshot that brought the new band (history thinning may delete it later). */
  @Property({ type: 'uuid' })
  snapshotId!: string;
}
