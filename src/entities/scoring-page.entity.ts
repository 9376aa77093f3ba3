import 'reflect-metadata';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * One scored page of a scoring run, written in the transaction that writes the page's
 * snapshots: a page retried after a crash finds it and writes nothing twice, and the
 * run's totals are summed from these rows when it completes.
 */
@Entity({ tableName: 'scoring_page' })
export class ScoringPage {
  @PrimaryKey({ type: 'text' })
  runId!: string;

  /** The customer ID the page starts after ('' for the first page). */
  @PrimaryKey({ type: 'text' })
  startsAfter!: string;

  @Property({ type: 'integer' })
  customers!: number;

  @Property({ type: 'integer' })
  snapshots!: number;

  @Property({ type: 'timestamptz', length: 3 })
  scoredAt!: Date;
}
