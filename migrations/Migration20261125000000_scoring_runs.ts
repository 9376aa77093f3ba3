import { Migration } from '@mikro-orm/migrations';

/**
 * Batch scoring: runs, the models they fit, their per-customer work table, and snapshots
 * that know their run (one per run, customer and score) and may have no value.
 */
export class Migration20261125000000_scoring_runs extends Migration {
  override name = 'Migration20261125000000_scoring_runs';

  override up(): void | Promise<void> {
    this.addSql(`create type "scoring_run_status" as enum ('running', 'completed');`);
    this.addSql(`create table "scoring_run" ("id" text not null, "trigger" text not null, "as_of" date not null, "status" "scoring_run_status" not null default 'running', "started_at" timestamptz not null, "finished_at" timestamptz null, "population" int null, "buyers" int null, "scored_customers" int null, "snapshots" int null, primary key ("id"));`);
    this.addSql(`create index "scoring_run_started_at_index" on "scoring_run" ("started_at");`);
    this.addSql(`create table "score_model" ("id" uuid not null, "run_id" text not null, "kind" text not null, "model_version" text not null, "params" jsonb not null, "log_likelihood" double precision not null, "customers" int not null, "converged" boolean not null, "fitted_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "score_model_kind_fitted_at_index" on "score_model" ("kind", "fitted_at");`);
    this.addSql(`alter table "score_model" add constraint "score_model_run_id_kind_unique" unique ("run_id", "kind");`);
    this.addSql(`alter table "score_model" add constraint "score_model_run_id_foreign" foreign key ("run_id") references "scoring_run" ("id") on delete cascade;`);
    this.addSql(`create table "scoring_work" ("run_id" text not null, "customer_id" uuid not null, "purchase_days" int not null, "first_day" date not null, "last_day" date not null, "revenue_minor" bigint not null, "margin_minor" bigint not null, "repeat_spend_minor" double precision null, "mean_gap_days" double precision null, "gap_sd_days" double precision null, "r_below" int not null, "r_equal" int not null, "f_below" int not null, "f_equal" int not null, "m_below" int not null, "m_equal" int not null, primary key ("run_id", "customer_id"));`);
    this.addSql(`alter table "score_snapshot" alter column "value" drop not null;`);
    this.addSql(`alter table "score_snapshot" add column "run_id" text null;`);
    this.addSql(`alter table "score_snapshot" add constraint "score_snapshot_run_id_customer_id_kind_unique" unique ("run_id", "customer_id", "kind");`);
    this.addSql(`alter table "current_score" alter column "value" drop not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`delete from "current_score" where "value" is null;`);
    this.addSql(`alter table "current_score" alter column "value" set not null;`);
    this.addSql(`alter table "score_snapshot" drop constraint if exists "score_snapshot_run_id_customer_id_kind_unique";`);
    this.addSql(`alter table "score_snapshot" drop column if exists "run_id";`);
    this.addSql(`delete from "score_snapshot" where "value" is null;`);
    this.addSql(`alter table "score_snapshot" alter column "value" set not null;`);
    this.addSql(`drop table if exists "scoring_work";`);
    this.addSql(`drop table if exists "score_model";`);
    this.addSql(`drop table if exists "scoring_run";`);
    this.addSql(`drop type if exists "scoring_run_status";`);
  }
}
