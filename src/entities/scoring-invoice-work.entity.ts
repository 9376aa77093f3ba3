import 'reflect-metadata';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * Each customer's invoices up to a scoring run's day, gathered in one pass over all
 * invoices when the run starts, for payment loyalty: the run's pages read one row per
 * customer instead of visiting each customer's invoices scattered over the table. The run
 * deletes them when it completes.
 */
@Entity({ tableName: 'scoring_invoice_work' })
export class ScoringInvoiceWork {
  @PrimaryKey({ type: 'text' })
  runId!: string;

  @PrimaryKey({ type: 'uuid' })
  customerId!: string;

  /** `[[due day, paid day or null], ...]` as day numbers (days since 1970-01-01); kept as the JSON text it was built as. */
  @Property({ type: 'json', columnType: 'json' })
  invoices!: [number, number | null][];
}
