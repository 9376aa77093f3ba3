import { Migration } from '@mikro-orm/migrations';

/**
 * The fairness report counted each invoice's reminder fees under the customer's band of
 * today: a loyal payer who was spared a fee and later paid late showed the spared fee in
 * the "regular" band. The invoice now records the band its fees were decided for.
 */
export class Migration20261201030000_invoice_reminder_band extends Migration {
  override name = 'Migration20261201030000_invoice_reminder_band';

  override up(): void | Promise<void> {
    this.addSql(`alter table "invoice" add column "reminder_loyalty_band" text null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "invoice" drop column "reminder_loyalty_band";`);
  }
}
