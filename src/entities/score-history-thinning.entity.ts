import 'reflect-metadata';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * How far each tier of the score history's thinning has got: every period before
 * `thinnedUntil` is thinned. Moved in the transaction that thins the period, so a
 * retried or crashed pass neither skips a period nor thins one twice.
 */
@Entity({ tableName: 'score_history_thinning' })
export class ScoreHistoryThinning {
  /** The tier, by what it keeps ("week-after-90d"). */
  @PrimaryKey({ type: 'text' })
  tier!: string;

  /** Null until the tier's first period is thinned. */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  thinnedUntil!: Date | null;

  @Property({ type: 'timestamptz', length: 3 })
  updatedAt!: Date;
}
