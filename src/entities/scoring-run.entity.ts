import 'reflect-metadata';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

export enum ScoringRunStatus {
  Running = 'running',
  Completed = 'completed',
  /** Stopped by an operator before its last page: the pages it scored stand. */
  Cancelled = 'cancelled',
  /** Its workflow ended without completing it (terminated, failed): the pages it scored stand. */
  Abandoned = 'abandoned',
}

/** One rescore of the whole customer base; written only by the rescore workflow's activities. */
@Entity({ tableName: 'scoring_run' })
@Index({ properties: ['startedAt'], name: 'scoring_run_started_at_index' })
export class ScoringRun {
  [OptionalProps]?: 'status' | 'finishedAt' | 'population' | 'buyers' | 'scoredCustomers' | 'snapshots' | 'baseMarginMinor' | 'baseMarginedRevenueMinor' | 'baseMarginShare';

  /** The Temporal workflow ID of the run (`rescore/...`, or `rescore-nightly/<task queue>-...` by the schedule); score snapshots of the run carry it. */
  @PrimaryKey({ type: 'text' })
  id!: string;

  /** Who started it: `schedule` or the admin's caller ID. */
  @Property({ type: 'text' })
  trigger!: string;

  /** The day the scores describe (UTC): purchases up to and including it count. */
  @Property({ type: 'date' })
  asOf!: string;

  @Enum({ items: () => ScoringRunStatus, nativeEnumName: 'scoring_run_status' })
  status: ScoringRunStatus = ScoringRunStatus.Running;

  @Property({ type: 'timestamptz', length: 3 })
  startedAt!: Date;

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  finishedAt?: Date | null;

  /** Customers acquired by asOf, and those of them with a purchase. */
  @Property({ type: 'integer', nullable: true })
  population?: number | null;

  @Property({ type: 'integer', nullable: true })
  buyers?: number | null;

  /** Set when the run completes: customers with a snapshot of the run, and the scores written (one per customer and kind). */
  @Property({ type: 'integer', nullable: true })
  scoredCustomers?: number | null;

  @Property({ type: 'integer', nullable: true })
  snapshots?: number | null;

  /**
   * Set when the run gathers: the margin of all the base's orders that carry one up to asOf, and their revenue. Runs
   * gathered before `baseMarginShare` was recorded valued a customer without a margin share of their own at the one over
   * the other (and are read so); null for runs gathered before either.
   */
  @Property({ type: 'bigint', nullable: true })
  baseMarginMinor?: string | null;

  @Property({ type: 'bigint', nullable: true })
  baseMarginedRevenueMinor?: string | null;

  /**
   * Set when the run gathers: the base's margin share, at which CLV values a customer without one of their own: the
   * median of the buyers' own margin shares (each within ±100%), so no one account decides it. Null when no buyer's
   * orders that carry a margin had revenue, and for runs gathered before it was recorded.
   */
  @Property({ type: 'double', nullable: true })
  baseMarginShare?: number | null;
}
