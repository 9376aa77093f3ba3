import { Migration } from '@mikro-orm/migrations';

/**
 * When the channel refused a message for good (an unknown mailbox): delivery stops trying it at once and it
 * waits for a person, while its attempts stay the real count (they were set to the most allowed before).
 */
export class Migration20261205050000_outbox_refused_at extends Migration {
  override name = 'Migration20261205050000_outbox_refused_at';

  override up(): void | Promise<void> {
    this.addSql(`alter table "outbox_message" add column "refused_at" timestamptz(3) null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "outbox_message" drop column "refused_at";`);
  }
}
