import { Migration } from '@mikro-orm/migrations';

/**
 * Each outbox message records the customer's payment-loyalty band when it was written, so
 * the fairness report counts messages and offers under the band they were decided for, as
 * it does fees. Messages written before stay null and count under today's band.
 */
export class Migration20261201060000_outbox_loyalty_band extends Migration {
  override name = 'Migration20261201060000_outbox_loyalty_band';

  override up(): void | Promise<void> {
    this.addSql(`alter table "outbox_message" add column "loyalty_band" text null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "outbox_message" drop column "loyalty_band";`);
  }
}
