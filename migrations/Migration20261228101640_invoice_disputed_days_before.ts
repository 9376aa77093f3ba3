import { Migration } from '@mikro-orm/migrations';

/**
 * The days earlier disputes of an invoice left out, kept when it is disputed again (the dispute columns keep only the latest):
 * payment loyalty goes on leaving them out, so a customer who disputes an invoice a second time is not judged late for the first.
 */
export class Migration20261228101640_invoice_disputed_days_before extends Migration {
  override name = 'Migration20261228101640_invoice_disputed_days_before';

  override up(): void | Promise<void> {
    this.addSql(`alter table "invoice" add column "disputed_days_before" int not null default 0;`);
    this.addSql(`alter table "invoice" add constraint "invoice_disputed_days_before" check ("disputed_days_before" >= 0);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "invoice" drop constraint "invoice_disputed_days_before", drop column "disputed_days_before";`);
  }
}
