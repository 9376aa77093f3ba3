import { Migration } from '@mikro-orm/migrations';

/**
 * An outbox message knows the invoice it is about, so a reminder still queued when the
 * invoice is paid is held back instead of sent. Messages written before get it from their
 * payload (`invoiceId`, as the fair-reminder steps wrote it).
 */
export class Migration20261203000000_outbox_invoice extends Migration {
  override name = 'Migration20261203000000_outbox_invoice';

  override up(): void | Promise<void> {
    this.addSql(`alter table "outbox_message" add "invoice_id" uuid null;`);
    this.addSql(`alter table "outbox_message" add constraint "outbox_message_invoice_id_foreign" foreign key ("invoice_id") references "invoice" ("id") on delete set null;`);
    this.addSql(`create index "outbox_message_invoice_id_index" on "outbox_message" ("invoice_id");`);
    this.addSql(`update "outbox_message" m set "invoice_id" = i."id" from "invoice" i where i."id"::text = m."payload"->>'invoiceId';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "outbox_message" drop constraint "outbox_message_invoice_id_foreign";`);
    this.addSql(`alter table "outbox_message" drop column "invoice_id";`);
  }
}
