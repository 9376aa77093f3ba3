import { Migration } from '@mikro-orm/migrations';

/**
 * A complaint's topic is a key (src/domain/complaints/topic.ts), which every way in already
 * requires and migration 20261205000000 made of the older rows: the database now holds to it, so
 * the persistent-issue SQL groups topics as stored, as the model does. A key longer than the
 * longest allowed (only a long free text made into one) is cut to 100 characters.
 */
export class Migration20261207000000_complaint_topic_is_key extends Migration {
  override name = 'Migration20261207000000_complaint_topic_is_key';

  override up(): void | Promise<void> {
    this.addSql(`
      update "complaint"
      set "topic" = coalesce(nullif(btrim(left(regexp_replace(lower("topic"), '[^a-z0-9]+', '-', 'g'), 100), '-'), ''), 'other')
      where "topic" !~ '^[a-z0-9]+(-[a-z0-9]+)*$' or char_length("topic") > 100;`);
    this.addSql(`alter table "complaint" add constraint "complaint_topic_is_key" check ("topic" ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and char_length("topic") <= 100);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "complaint" drop constraint "complaint_topic_is_key";`);
  }
}
