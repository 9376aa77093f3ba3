import { Migration } from '@mikro-orm/migrations';

const refreshPerCustomer = `
  create or replace function refresh_current_score() returns trigger language plpgsql as $$
  begin
    insert into current_score (customer_id, kind, value, band, computed_at, snapshot_id)
    select distinct on (n.customer_id, s.key) n.customer_id, s.key, (s.value ->> 'value')::double precision, s.value ->> 'band', n.computed_at, n.id
      from new_snapshots n cross join jsonb_each(n.scores) s
     order by n.customer_id, s.key, n.computed_at desc
    on conflict (customer_id, kind) do update
      set value = excluded.value, band = excluded.band, computed_at = excluded.computed_at, snapshot_id = excluded.snapshot_id
      where excluded.computed_at >= current_score.computed_at;
    return null;
  end $$;`;

const refreshPerKind = `
  create or replace function refresh_current_score() returns trigger language plpgsql as $$
  begin
    insert into current_score (customer_id, kind, value, band, computed_at, snapshot_id)
    select distinct on (customer_id, kind) customer_id, kind, value, band, computed_at, id
      from new_snapshots order by customer_id, kind, computed_at desc
    on conflict (customer_id, kind) do update
      set value = excluded.value, band = excluded.band, computed_at = excluded.computed_at, snapshot_id = excluded.snapshot_id
      where excluded.computed_at >= current_score.computed_at;
    return null;
  end $$;`;

/**
 * One snapshot row per customer and scoring (its scores by kind in one JSON object)
 * instead of one row per score: a nightly run writes 100k rows, keys and foreign-key
 * checks instead of 800k. Existing snapshots are grouped by customer, time and run (the
 * scores written together), and current_score points at the group's row.
 */
export class Migration20261201040000_score_snapshot_per_customer extends Migration {
  override name = 'Migration20261201040000_score_snapshot_per_customer';

  override up(): void | Promise<void> {
    this.addSql(`drop trigger if exists score_snapshot_current_insert on score_snapshot;`);
    this.addSql(`alter table "score_snapshot" rename to "score_snapshot_by_kind";`);
    this.addSql(`alter table "score_snapshot_by_kind" rename constraint "score_snapshot_pkey" to "score_snapshot_by_kind_pkey";`);
    this.addSql(`alter table "score_snapshot_by_kind" drop constraint "score_snapshot_customer_id_foreign";`);
    this.addSql(`drop index "score_snapshot_customer_kind_computed_at_index";`);
    this.addSql(`create table "score_snapshot" ("id" uuid not null, "customer_id" uuid not null, "computed_at" timestamptz not null, "scores" jsonb not null, "run_id" text null, primary key ("id"));`);
    this.addSql(`
      insert into score_snapshot (id, customer_id, computed_at, scores, run_id)
      select (array_agg(id order by kind))[1], customer_id, computed_at,
             jsonb_object_agg(kind, jsonb_build_object('value', value, 'band', band, 'modelVersion', model_version, 'reasons', reasons)), run_id
        from score_snapshot_by_kind group by customer_id, computed_at, run_id;`);
    this.addSql(`
      update current_score cs set snapshot_id = n.id
        from score_snapshot_by_kind o join score_snapshot n on n.customer_id = o.customer_id and n.computed_at = o.computed_at and n.run_id is not distinct from o.run_id
       where cs.snapshot_id = o.id and n.id <> o.id;`);
    this.addSql(`drop table "score_snapshot_by_kind";`);
    this.addSql(`create index "score_snapshot_customer_id_computed_at_index" on "score_snapshot" ("customer_id", "computed_at");`);
    this.addSql(`alter table "score_snapshot" add constraint "score_snapshot_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete cascade;`);
    this.addSql(refreshPerCustomer);
    this.addSql(`create trigger score_snapshot_current_insert after insert on score_snapshot referencing new table as new_snapshots for each statement execute function refresh_current_score();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists score_snapshot_current_insert on score_snapshot;`);
    this.addSql(`alter table "score_snapshot" rename to "score_snapshot_per_customer";`);
    this.addSql(`alter table "score_snapshot_per_customer" rename constraint "score_snapshot_pkey" to "score_snapshot_per_customer_pkey";`);
    this.addSql(`alter table "score_snapshot_per_customer" drop constraint "score_snapshot_customer_id_foreign";`);
    this.addSql(`drop index "score_snapshot_customer_id_computed_at_index";`);
    this.addSql(`create table "score_snapshot" ("id" uuid not null, "customer_id" uuid not null, "kind" text not null, "value" double precision null, "band" text null, "model_version" text not null, "computed_at" timestamptz not null, "reasons" jsonb not null, "run_id" text null, primary key ("id"));`);
    this.addSql(`
      insert into score_snapshot (id, customer_id, kind, value, band, model_version, computed_at, reasons, run_id)
      select case when s.key = (select min(k) from jsonb_object_keys(p.scores) k) then p.id else gen_random_uuid() end, p.customer_id, s.key,
             (s.value ->> 'value')::double precision, s.value ->> 'band', s.value ->> 'modelVersion', p.computed_at, s.value -> 'reasons', p.run_id
        from score_snapshot_per_customer p cross join jsonb_each(p.scores) s;`);
    this.addSql(`
      update current_score cs set snapshot_id = o.id
        from score_snapshot o where o.customer_id = cs.customer_id and o.kind = cs.kind and o.computed_at = cs.computed_at and cs.snapshot_id <> o.id;`);
    this.addSql(`drop table "score_snapshot_per_customer";`);
    this.addSql(`create index "score_snapshot_customer_kind_computed_at_index" on "score_snapshot" ("customer_id", "kind", "computed_at");`);
    this.addSql(`alter table "score_snapshot" add constraint "score_snapshot_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete cascade;`);
    this.addSql(refreshPerKind);
    this.addSql(`create trigger score_snapshot_current_insert after insert on score_snapshot referencing new table as new_snapshots for each statement execute function refresh_current_score();`);
  }
}
