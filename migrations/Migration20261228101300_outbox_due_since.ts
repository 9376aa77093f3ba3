import { Migration } from '@mikro-orm/migrations';

/**
 * Since when a message delivery is retrying has been due: its due time when its first attempt failed (the morning
 * quiet hours held it to, or when it was written), kept while the retries' back-off moves `send_after` on. The
 * operations status measures how long such a message has waited from it, so a failing channel shows as a growing
 * wait at once rather than one that starts again at every retry. Messages being retried before it count from the
 * migration.
 */
export class Migration20261228101300_outbox_due_since extends Migration {
  override name = 'Migration20261228101300_outbox_due_since';

  override up(): void | Promise<void> {
    this.addSql(`alter table "outbox_message" add column "due_since" timestamptz(3) null;`);
    // Those being retried now count from the migration (or their back-off's end): from when they were written, one held
    // for days before its first attempt would set off the waiting alert as the release goes out.
    this.addSql(`update "outbox_message" set "due_since" = greatest(now(), coalesce("send_after", now())) where "attempts" > 0 and "sent_at" is null and "suppressed_at" is null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "outbox_message" drop column "due_since";`);
  }
}
