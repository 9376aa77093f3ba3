import { Migration } from '@mikro-orm/migrations';

/**
 * Segments are listed in the alphabetical order marketers read ("apple", "Émile", "Zebra", "zoo"), not by the
 * bytes of their names ("Zebra" before "apple", "Émile" after "zoo"): the name takes ICU's root collation, which
 * rebuilds its (name, id) index in that order, so a page's cursor and the index agree with the list.
 */
export class Migration20261205060000_segment_name_collation extends Migration {
  override name = 'Migration20261205060000_segment_name_collation';

  override up(): void | Promise<void> {
    this.addSql(`alter table "segment" alter column "name" type text collate "und-x-icu";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "segment" alter column "name" type text collate "default";`);
  }
}
