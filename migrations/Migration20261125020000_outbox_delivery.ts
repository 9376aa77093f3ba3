import { Migration } from '@mikro-orm/migrations';

/** Delivery state of outgoing messages: held until after quiet hours, or suppressed by a guard (no consent, budget, open complaint). */
export class Migration20261125020000_outbox_delivery extends Migration {
  override name = 'Migration20261125020000_outbox_delivery';

  override up(): void | Promise<void> {
    this.addSql(`alter table "outbox_message" add column "send_after" timestamptz null, add column "suppressed_at" timestamptz null, add column "suppressed_reason" text null;`);
    this.addSql(`drop index if exists "outbox_message_unsent_index";`);
    this.addSql(`create index "outbox_message_unsent_index" on "outbox_message" ("created_at") where "sent_at" is null and "suppressed_at" is null;`);
    this.addSql(`create index "outbox_message_customer_id_purpose_sent_at_index" on "outbox_message" ("customer_id", "purpose", "sent_at");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "outbox_message_customer_id_purpose_sent_at_index";`);
    this.addSql(`drop index if exists "outbox_message_unsent_index";`);
    this.addSql(`create index "outbox_message_unsent_index" on "outbox_message" ("created_at") where "sent_at" is null;`);
    this.addSql(`alter table "outbox_message" drop column "send_after", drop column "suppressed_at", drop column "suppressed_reason";`);
  }
}
