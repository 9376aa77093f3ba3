import { Migration } from '@mikro-orm/migrations';

/**
 * No playbook writes a text message and no channel here sends one: the `sms` channel goes, so a front end offers no
 * channel that does not exist. Should a message ever have been written for it, the change fails rather than move it.
 */
export class Migration20261213000000_message_channel_without_sms extends Migration {
  override name = 'Migration20261213000000_message_channel_without_sms';

  override up(): void | Promise<void> {
    this.channels(['email', 'letter', 'call']);
  }

  override down(): void | Promise<void> {
    this.channels(['email', 'sms', 'letter', 'call']);
  }

  /** PostgreSQL cannot drop a value from an enum type: the type is made again with these values. */
  private channels(values: string[]): void {
    this.addSql(`alter table "outbox_message" alter column "channel" type text;`);
    this.addSql(`drop type "message_channel";`);
    this.addSql(`create type "message_channel" as enum (${values.map((v) => `'${v}'`).join(', ')});`);
    this.addSql(`alter table "outbox_message" alter column "channel" type "message_channel" using "channel"::"message_channel";`);
  }
}
