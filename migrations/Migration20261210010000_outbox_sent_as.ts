import { Migration } from '@mikro-orm/migrations';

/**
 * A message sent keeps the name and language it was written in for the customer, so histories,
 * the timeline and the data export show it as the customer read it after they changed either.
 * Messages sent before are shown with the customer's current ones, as they were.
 */
export class Migration20261210010000_outbox_sent_as extends Migration {
  override name = 'Migration20261210010000_outbox_sent_as';

  override up(): void | Promise<void> {
    this.addSql(`alter table "outbox_message" add column "sent_name" text null, add column "sent_locale" text null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "outbox_message" drop column "sent_name", drop column "sent_locale";`);
  }
}
