import { Migration } from '@mikro-orm/migrations';

/** Saved segments: named customer filters for campaigns and reports; a campaign remembers the segment its filter was copied from. */
export class Migration20261202090000_segment extends Migration {
  override name = 'Migration20261202090000_segment';

  override up(): void | Promise<void> {
    this.addSql(`create table "segment" ("id" uuid not null, "name" text not null, "description" text null, "filter" jsonb not null, "created_by" text not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "segment_name_id_index" on "segment" ("name", "id");`);
    this.addSql(`create unique index "segment_name_unique" on "segment" (lower("name"));`);
    this.addSql(`alter table "campaign" add "source_segment_id" uuid null;`);
    this.addSql(`alter table "campaign" add constraint "campaign_source_segment_id_foreign" foreign key ("source_segment_id") references "segment" ("id") on delete set null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "campaign" drop constraint "campaign_source_segment_id_foreign";`);
    this.addSql(`alter table "campaign" drop column "source_segment_id";`);
    this.addSql(`drop table if exists "segment";`);
  }
}
