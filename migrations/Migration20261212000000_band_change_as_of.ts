import { Migration } from '@mikro-orm/migrations';

/**
 * A band move is dated on the day its scores are as of: a rescore of a past day (a data set that ended
 * long ago, missed nights backfilled oldest first) whose scores become the current ones records its moves
 * on that day, at the time of day it ran, not today, so "moved in the last 7 days" does not pick up moves
 * of 1997. A nightly or an event's rescore, as of its own day (or a later one), keeps the time it ran.
 * Moves recorded before are dated so too.
 */
export class Migration20261212000000_band_change_as_of extends Migration {
  override name = 'Migration20261212000000_band_change_as_of';

  override up(): void | Promise<void> {
    this.addSql(`
      create or replace function record_score_band_change() returns trigger language plpgsql as $$
      begin
        insert into score_band_change (customer_id, kind, changed_at, band, previous, snapshot_id)
        values (new.customer_id, new.kind, new.computed_at - greatest(0, (new.computed_at at time zone 'UTC')::date - new.as_of) * interval '1 day', new.band, old.band, new.snapshot_id)
        on conflict do nothing;
        return null;
      end $$;`);
    this.addSql(`
      update score_band_change b set changed_at = b.changed_at - ((b.changed_at at time zone 'UTC')::date - s.as_of) * interval '1 day'
        from score_snapshot s where s.id = b.snapshot_id and (b.changed_at at time zone 'UTC')::date > s.as_of;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`
      create or replace function record_score_band_change() returns trigger language plpgsql as $$
      begin
        insert into score_band_change (customer_id, kind, changed_at, band, previous, snapshot_id)
        values (new.customer_id, new.kind, new.computed_at, new.band, old.band, new.snapshot_id)
        on conflict do nothing;
        return null;
      end $$;`);
  }
}
