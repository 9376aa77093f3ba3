import { Migration } from '@mikro-orm/migrations';

/**
 * A ledger of the scored pages of a run replaces the unique (run, customer, kind) index on
 * snapshots: a retried page is recognised by its ledger row, written in the same
 * transaction, and each run's 800k snapshots no longer maintain a second unique index.
 */
export class Migration20261201000000_scoring_page extends Migration {
  override name = 'Migration20261201000000_scoring_page';

  override up(): void | Promise<void> {
    this.addSql(`create table "scoring_page" ("run_id" text not null, "starts_after" text not null, "customers" int not null, "snapshots" int not null, "scored_at" timestamptz not null, primary key ("run_id", "starts_after"));`);
    this.addSql(`alter table "score_snapshot" drop constraint if exists "score_snapshot_run_id_customer_id_kind_unique";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "score_snapshot" add constraint "score_snapshot_run_id_customer_id_kind_unique" unique ("run_id", "customer_id", "kind");`);
    this.addSql(`drop table if exists "scoring_page" cascade;`);
  }
}
