import { Migration } from '@mikro-orm/migrations';

/**
 * current_score points at the snapshot it came from, so a customer's latest scores (with
 * their reasons) are read by key, however long the snapshot history grows.
 */
export class Migration20261125070000_current_score_snapshot extends Migration {
  override name = 'Migration20261125070000_current_score_snapshot';

  override up(): void | Promise<void> {
    this.addSql(`alter table "current_score" add column "snapshot_id" uuid null;`);
    this.addSql(`
      update current_score cs set snapshot_id = (
        select s.id from score_snapshot s where s.customer_id = cs.customer_id and s.kind = cs.kind order by s.computed_at desc limit 1);`);
    this.addSql(`delete from current_score where snapshot_id is null;`);
    this.addSql(`alter table "current_score" alter column "snapshot_id" set not null;`);
    this.addSql(`
      create or replace function refresh_current_score() returns trigger language plpgsql as $$
      begin
        insert into current_score (customer_id, kind, value, band, computed_at, snapshot_id)
        select distinct on (customer_id, kind) customer_id, kind, value, band, computed_at, id
          from new_snapshots order by customer_id, kind, computed_at desc
        on conflict (customer_id, kind) do update
          set value = excluded.value, band = excluded.band, computed_at = excluded.computed_at, snapshot_id = excluded.snapshot_id
          where excluded.computed_at >= current_score.computed_at;
        return null;
      end $$;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`
      create or replace function refresh_current_score() returns trigger language plpgsql as $$
      begin
        insert into current_score (customer_id, kind, value, band, computed_at)
        select distinct on (customer_id, kind) customer_id, kind, value, band, computed_at
          from new_snapshots order by customer_id, kind, computed_at desc
        on conflict (customer_id, kind) do update
          set value = excluded.value, band = excluded.band, computed_at = excluded.computed_at
          where excluded.computed_at >= current_score.computed_at;
        return null;
      end $$;`);
    this.addSql(`alter table "current_score" drop column "snapshot_id";`);
  }
}
