import 'reflect-metadata';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * The per-customer purchase aggregates of one scoring run, computed set-based in one
 * statement over all orders (with the customer's RFM ranks in the whole base); the run's
 * pages read them, and the run deletes them when it completes.
 */
@Entity({ tableName: 'scoring_work' })
export class ScoringWork {
  @PrimaryKey({ type: 'text' })
  runId!: string;

  @PrimaryKey({ type: 'uuid' })
  customerId!: string;

  /** Distinct purchase days up to asOf (several orders on one day are one transaction). */
  @Property({ type: 'integer' })
  purchaseDays!: number;

  @Property({ type: 'date' })
  firstDay!: string;

  @Property({ type: 'date' })
  lastDay!: string;

  @Property({ type: 'bigint' })
  revenueMinor!: string;

  /** Margin of the orders that carry one. */
  @Property({ type: 'bigint' })
  marginMinor!: string;

  /** Revenue of the orders that carry a margin. */
  @Property({ type: 'bigint' })
  marginedRevenueMinor!: string;

  /** How many orders carry a margin (an order of 0.00 can carry one of 0.00, which a margined revenue of 0 cannot tell from none). */
  @Property({ type: 'integer' })
  marginedOrders!: number;

  /** Mean value of the repeat purchase days (the first excluded), minor units; null without repeats. */
  @Property({ type: 'double', nullable: true })
  repeatSpendMinor?: number | null;

  /** Mean and sample spread of the gaps between purchase days; null with fewer than two gaps. */
  @Property({ type: 'double', nullable: true })
  meanGapDays?: number | null;

  @Property({ type: 'double', nullable: true })
  gapSdDays?: number | null;

  /** Order margin inside the profitability window (of the orders that carry one). */
  @Property({ type: 'bigint' })
  windowMarginMinor!: string;

  /** Revenue inside the profitability window of orders without a recorded margin. */
  @Property({ type: 'bigint' })
  windowUnmarginedMinor!: string;

  /** Buyers with a strictly worse / an equal recency, frequency, monetary value (quintiles by the strictly worse: ties at their lower bound). */
  @Property({ type: 'integer' })
  rBelow!: number;

  @Property({ type: 'integer' })
  rEqual!: number;

  @Property({ type: 'integer' })
  fBelow!: number;

  @Property({ type: 'integer' })
  fEqual!: number;

  @Property({ type: 'integer' })
  mBelow!: number;

  @Property({ type: 'integer' })
  mEqual!: number;
}
