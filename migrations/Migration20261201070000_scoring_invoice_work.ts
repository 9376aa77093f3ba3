import { Migration } from '@mikro-orm/migrations';

/**
 * A scoring run gathers each customer's invoices in one pass when it starts (like its
 * purchase aggregates), instead of each page visiting every customer's invoices: on the
 * 100k-customer bench those visits were most of a page's read.
 */
export class Migration20261201070000_scoring_invoice_work extends Migration {
  override name = 'Migration20261201070000_scoring_invoice_work';

  override up(): void | Promise<void> {
    this.addSql(`create table "scoring_invoice_work" ("run_id" text not null, "customer_id" uuid not null, "invoices" json not null, primary key ("run_id", "customer_id"));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "scoring_invoice_work";`);
  }
}
