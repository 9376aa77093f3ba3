import { Migration } from '@mikro-orm/migrations';

/** The newest score per customer and kind, kept by a statement-level trigger on score_snapshot inserts. */
export class Migration20261124030000_current_score extends Migration {
  override name = 'Migration20261124030000_current_score';

  override up(): void | Promise<void> {
    this.addSql(`create table "current_score" ("customer_id" uuid not null, "kind" text not null, "value" double precision not null, "band" text null, "computed_at" timestamptz not null, primary key ("customer_id", "kind"));`);
    this.addSql(`create index "current_score_kind_value_index" on "current_score" ("kind", "value");`);
    this.addSql(`create index "current_score_kind_band_index" on "current_score" ("kind", "band");`);
    this.addSql(`alter table "current_score" add constraint "current_score_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete cascade;`);
    this.addSql(`
      create function refresh_current_score() returns trigger language plpgsql as $$
      begin
        insert into current_score (customer_id, kind, value, band, computed_at)
        select distinct on (customer_id, kind) customer_id, kind, value, band, computed_at
          from new_snapshots order by customer_id, kind, computed_at desc
        on conflict (customer_id, kind) do update
          set value = excluded.value, band = excluded.band, computed_at = excluded.computed_at
          where excluded.computed_at >= current_score.computed_at;
        return null;
      end $$;`);
    this.addSql(`create trigger score_snapshot_current_insert after insert on score_snapshot referencing new table as new_snapshots for each statement execute function refresh_current_score();`);
    this.addSql(`insert into current_score (customer_id, kind, value, band, computed_at)
      select distinct on (customer_id, kind) customer_id, kind, value, band, computed_at from score_snapshot order by customer_id, kind, computed_at desc;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists score_snapshot_current_insert on score_snapshot;`);
    this.addSql(`drop function if exists refresh_current_score();`);
    this.addSql(`drop table if exists "current_score" cascade;`);
  }
}
