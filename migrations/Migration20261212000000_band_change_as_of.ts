import { Migration } from '@mikro-orm/migrations';

/**
 * A band move of a rescore of a past day is dated on that day: one whose scores become the current
 * ones (a data set that ended long ago, missed nights backfilled oldest first) records its moves on
 * its as-of day, at the time of day it ran, not today, so "moved in the last 7 days" does not pick up
 * moves of 1997. A nightly run or an event's rescore, as of its own day, the day before (a run that
 * went past midnight) or a later day (a customer's tomorrow), keeps the time it ran. Whole days of 24
 * hours, whatever the session's time zone. Moves recorded before are dated so too. (Two rescores of the
 * same past day on different days order their moves by the time of day they ran.)
 */
export class Migration20261212000000_band_change_as_of extends Migration {
  override name = 'Migration20261212000000_band_change_as_of';

  override up(): void | Promise<void> {
    this.addSql(`
      create or replace function record_score_band_change() returns trigger language plpgsql as $$
      begin
        insert into score_band_change (customer_id, kind, changed_at, band, previous, snapshot_id)
        values (new.customer_id, new.kind, new.computed_at - (case when (new.computed_at at time zone 'UTC')::date - new.as_of >= 2 then (new.computed_at at time zone 'UTC')::date - new.as_of else 0 end) * interval '24 hours', new.band, old.band, new.snapshot_id)
        on conflict do nothing;
        return null;
      end $$;`);
    this.addSql(`
      update score_band_change b set changed_at = b.changed_at - ((b.changed_at at time zone 'UTC')::date - s.as_of) * interval '24 hours'
        from score_snapshot s where s.id = b.snapshot_id and (b.changed_at at time zone 'UTC')::date - s.as_of >= 2;`);
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
