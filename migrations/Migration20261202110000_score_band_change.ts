import { Migration } from '@mikro-orm/migrations';

/**
 * Band changes kept as they happen: the customer timeline found them by comparing a
 * customer's snapshots, and history thinning (one snapshot per week, then per month)
 * could drop a band that came and went in between. A row trigger on current_score
 * records each change (a night moves ~1,600 of ~800,000 bands); the changes the kept
 * snapshots still show are copied in once.
 */
export class Migration20261202110000_score_band_change extends Migration {
  override name = 'Migration20261202110000_score_band_change';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "score_band_change" ("customer_id" uuid not null, "kind" text not null, "changed_at" timestamptz not null, "band" text null, "previous" text null, "snapshot_id" uuid not null, primary key ("customer_id", "kind", "changed_at"));`,
    );
    this.addSql(`create index "score_band_change_kind_changed_at_customer_id_index" on "score_band_change" ("kind", "changed_at", "customer_id");`);
    this.addSql(`alter table "score_band_change" add constraint "score_band_change_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete cascade;`);
    this.addSql(`
      insert into score_band_change (customer_id, kind, changed_at, band, previous, snapshot_id)
      select customer_id, kind, computed_at, band, previous, id from (
        select s.customer_id, k.kind, s.computed_at, s.id, k.score ->> 'band' as band,
               lag(k.score ->> 'band') over w as previous, row_number() over w as n
          from score_snapshot s cross join jsonb_each(s.scores) as k(kind, score)
        window w as (partition by s.customer_id, k.kind order by s.computed_at, s.id)
      ) b
      where n > 1 and band is distinct from previous
      on conflict do nothing;`);
    this.addSql(`
      create function record_score_band_change() returns trigger language plpgsql as $$
      begin
        insert into score_band_change (customer_id, kind, changed_at, band, previous, snapshot_id)
        values (new.customer_id, new.kind, new.computed_at, new.band, old.band, new.snapshot_id)
        on conflict do nothing;
        return null;
      end $$;`);
    this.addSql(`create trigger current_score_band_change after update on current_score for each row when (old.band is distinct from new.band) execute function record_score_band_change();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists current_score_band_change on current_score;`);
    this.addSql(`drop function if exists record_score_band_change();`);
    this.addSql(`drop table if exists "score_band_change";`);
  }
}
