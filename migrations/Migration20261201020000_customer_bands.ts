import { Migration } from '@mikro-orm/migrations';

/**
 * The customers list filtered by churn-risk band or RFM segment probed each customer's
 * current_score in list order: a band that is rare among the newest customers (high churn
 * risk) meant reading ~16,000 customers for a page of 50. The customer row now carries both,
 * copied by row triggers on current_score only when a band changes (a nightly rescore
 * rewrites values, rarely bands), with (band, created_at, id) indexes for the newest-first
 * list.
 */
export class Migration20261201020000_customer_bands extends Migration {
  override name = 'Migration20261201020000_customer_bands';

  override up(): void | Promise<void> {
    this.addSql(`alter table "customer" add column "churn_band" text null, add column "rfm_segment" text null;`);
    this.addSql(`update customer c set churn_band = cs.band from current_score cs where cs.customer_id = c.id and cs.kind = 'churn-risk';`);
    this.addSql(`update customer c set rfm_segment = cs.band from current_score cs where cs.customer_id = c.id and cs.kind = 'rfm';`);
    this.addSql(`create index "customer_churn_band_created_at_index" on "customer" ("churn_band", "created_at", "id");`);
    this.addSql(`create index "customer_rfm_segment_created_at_index" on "customer" ("rfm_segment", "created_at", "id");`);
    this.addSql(`
      create function copy_score_band_to_customer() returns trigger language plpgsql as $$
      begin
        if new.kind = 'churn-risk' then
          update customer set churn_band = new.band where id = new.customer_id;
        else
          update customer set rfm_segment = new.band where id = new.customer_id;
        end if;
        return null;
      end $$;`);
    this.addSql(`create trigger current_score_band_insert after insert on current_score for each row when (new.kind in ('churn-risk', 'rfm')) execute function copy_score_band_to_customer();`);
    this.addSql(`create trigger current_score_band_update after update on current_score for each row when (new.kind in ('churn-risk', 'rfm') and old.band is distinct from new.band) execute function copy_score_band_to_customer();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists current_score_band_insert on current_score;`);
    this.addSql(`drop trigger if exists current_score_band_update on current_score;`);
    this.addSql(`drop function if exists copy_score_band_to_customer();`);
    this.addSql(`drop index if exists "customer_churn_band_created_at_index";`);
    this.addSql(`drop index if exists "customer_rfm_segment_created_at_index";`);
    this.addSql(`alter table "customer" drop column "churn_band", drop column "rfm_segment";`);
  }
}
