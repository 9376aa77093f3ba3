import { Migration } from '@mikro-orm/migrations';

/**
 * A message chasing payment held for an earlier reminder of its run says which in a column of its own, so that
 * `last_error` stays the channel's last refusal. The waits delivery wrote into `last_error` move there.
 */
export class Migration20261209000000_outbox_waits_for extends Migration {
  override name = 'Migration20261209000000_outbox_waits_for';

  override up(): void | Promise<void> {
    this.addSql(`alter table "outbox_message" add column "waits_for" text null;`);
    this.addSql(`update "outbox_message" set "waits_for" = substr("last_error", length('Waits for ') + 1), "last_error" = null where starts_with("last_error", 'Waits for ');`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "outbox_message" drop column "waits_for";`);
  }
}
