import { Migration } from '@mikro-orm/migrations';

/**
 * Thinning old score history: a block-range (BRIN) index on the snapshots' time, which
 * finds one week's snapshots among years of them while costing the nightly rescore next
 * to nothing to keep, and the thinning's progress per tier.
 */
export class Migration20261202000000_score_history_thinning extends Migration {
  override name = 'Migration20261202000000_score_history_thinning';

  override up(): void | Promise<void> {
    this.addSql(`create index "score_snapshot_computed_at_brin_index" on "score_snapshot" using brin ("computed_at");`);
    this.addSql(`create table "score_history_thinning" ("tier" text not null, "thinned_until" timestamptz null, "updated_at" timestamptz not null, primary key ("tier"));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "score_history_thinning";`);
    this.addSql(`drop index if exists "score_snapshot_computed_at_brin_index";`);
  }
}
