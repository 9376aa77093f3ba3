import { Migration } from '@mikro-orm/migrations';

const refreshByDay = `
  create or replace function refresh_current_score() returns trigger language plpgsql as $$
  begin
    insert into current_score (customer_id, kind, value, band, computed_at, snapshot_id, as_of)
    select distinct on (n.customer_id, s.key) n.customer_id, s.key, (s.value ->> 'value')::double precision, s.value ->> 'band', n.computed_at, n.id, n.as_of
      from new_snapshots n cross join jsonb_each(n.scores) s
     order by n.customer_id, s.key, n.as_of desc, n.computed_at desc
    on conflict (customer_id, kind) do update
      set value = excluded.value, band = excluded.band, computed_at = excluded.computed_at, snapshot_id = excluded.snapshot_id, as_of = excluded.as_of
      where (excluded.as_of, excluded.computed_at) >= (current_score.as_of, current_score.computed_at);
    return null;
  end $$;`;

const refreshByTime = `
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

/**
 * A rescore as of a past day replaced everyone's current scores (the newest computed won)
 * and recorded false band moves, which the next night moved back. Each snapshot now says
 * the day it is as of (its run's; for a rescore after an event, the day it ran), and a
 * current score gives way only to one as of the same or a later day: a past day's rescore
 * adds history only. Existing snapshots take their run's day, or the day they were computed.
 */
export class Migration20261204010000_score_as_of extends Migration {
  override name = 'Migration20261204010000_score_as_of';

  override up(): void | Promise<void> {
    this.addSql(`alter table "score_snapshot" add column "as_of" date null;`);
    this.addSql(`update score_snapshot s set as_of = coalesce((select r.as_of from scoring_run r where r.id = s.run_id), (s.computed_at at time zone 'UTC')::date);`);
    this.addSql(`alter table "score_snapshot" alter column "as_of" set not null;`);
    this.addSql(`alter table "current_score" add column "as_of" date null;`);
    this.addSql(`update current_score cs set as_of = coalesce((select s.as_of from score_snapshot s where s.id = cs.snapshot_id), (cs.computed_at at time zone 'UTC')::date);`);
    this.addSql(`alter table "current_score" alter column "as_of" set not null;`);
    this.addSql(refreshByDay);
  }

  override down(): void | Promise<void> {
    this.addSql(refreshByTime);
    this.addSql(`alter table "current_score" drop column "as_of";`);
    this.addSql(`alter table "score_snapshot" drop column "as_of";`);
  }
}
