import { Migration } from '@mikro-orm/migrations';

/**
 * An invoice can be cancelled (voided, credited), as billing exports say: it was never owed, so
 * nothing is chased and payment loyalty does not count it. Not before it was issued, and not paid
 * as well (its payments stay as history).
 */
export class Migration20261208010000_invoice_cancelled extends Migration {
  override name = 'Migration20261208010000_invoice_cancelled';

  override up(): void | Promise<void> {
    this.addSql(`alter table "invoice" add column "cancelled_at" date null;`);
    this.addSql(`alter table "invoice" add constraint "invoice_cancelled_after_issued" check ("cancelled_at" >= "issued_at");`);
    this.addSql(`alter table "invoice" add constraint "invoice_paid_or_cancelled" check ("paid_at" is null or "cancelled_at" is null);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "invoice" drop column "cancelled_at";`);
  }
}
