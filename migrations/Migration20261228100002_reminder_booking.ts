import { Migration } from '@mikro-orm/migrations';

/**
 * Each fair reminder that went out is booked on its own (reminder_booking), with the band it was decided for: the
 * invoice keeps one band, its latest, and the fairness report counted all the invoice's reminders and fees under it,
 * so a fee charged as "regular" showed under "loyal" once a later run on the invoice was loyal. The reminders already
 * sent are booked from their messages (sent, on an invoice, with the booking their run wrote, as delivery reads it).
 */
export class Migration20261228100002_reminder_booking extends Migration {
  override name = 'Migration20261228100002_reminder_booking';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "reminder_booking" ("message_key" text not null, "invoice_id" uuid not null, "reminder_number" int not null, "band" text not null, "charged_minor" bigint not null, "waived_minor" bigint not null, "booked_at" timestamptz(3) not null, primary key ("message_key"));`,
    );
    this.addSql(`create index "reminder_booking_invoice_id_index" on "reminder_booking" ("invoice_id");`);
    this.addSql(
      `alter table "reminder_booking" add constraint "reminder_booking_invoice_id_foreign" foreign key ("invoice_id") references "invoice" ("id") on delete cascade;`,
    );
    this.addSql(`insert into "reminder_booking" ("message_key", "invoice_id", "reminder_number", "band", "charged_minor", "waived_minor", "booked_at")
      select m."idempotency_key", m."invoice_id", (b->>'reminderNumber')::int, b->>'band', (b->>'chargedMinor')::bigint, (b->>'waivedMinor')::bigint, m."sent_at"
        from "outbox_message" m cross join lateral (select m."payload"->'booking' as b) x
       where m."sent_at" is not null and m."invoice_id" is not null and jsonb_typeof(b) = 'object'
         and b->>'band' in ('loyal', 'regular', 'at-risk', 'new') and jsonb_typeof(b->'reason') = 'string'
         and jsonb_typeof(b->'reminderNumber') = 'number' and b->>'reminderNumber' ~ '^[1-9][0-9]{0,8}$'
         and jsonb_typeof(b->'chargedMinor') = 'number' and b->>'chargedMinor' ~ '^[0-9]{1,15}$'
         and jsonb_typeof(b->'waivedMinor') = 'number' and b->>'waivedMinor' ~ '^[0-9]{1,15}$';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "reminder_booking" cascade;`);
  }
}
