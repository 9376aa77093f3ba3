import { Migration } from '@mikro-orm/migrations';

/**
 * At most once: a message's hand-over to the channel is noted (`outbox_handover`, committed on its own) before the
 * channel is called, and dropped with the outcome. One still noted at the next round was interrupted (a crash, the
 * database lost) and may have gone out: delivery marks it `interrupted_at` and leaves it to a person instead of
 * sending it again. No foreign key: its key-share lock would wait on the row lock the sending transaction holds.
 */
export class Migration20261206000000_outbox_handover extends Migration {
  override name = 'Migration20261206000000_outbox_handover';

  override up(): void | Promise<void> {
    this.addSql(`create table "outbox_handover" ("message_id" uuid not null, "started_at" timestamptz(3) not null, primary key ("message_id"));`);
    this.addSql(`alter table "outbox_message" add column "interrupted_at" timestamptz(3) null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "outbox_message" drop column "interrupted_at";`);
    this.addSql(`drop table if exists "outbox_handover";`);
  }
}
