import { Migration } from '@mikro-orm/migrations';

/** Customers and the record of their playbook runs. */

export class Migration20261124000000_customers extends Migration {

  override name = 'Migration20261124000000_customers';

  override up(): void | Promise<void> {
    this.addSql(`create type "service_tier" as enum ('basic', 'standard', 'premium');`);
    this.addSql(`create type "customer_status" as enum ('active', 'offboarding', 'offboarded');`);
    this.addSql(`create type "playbook_run_status" as enum ('running', 'completed');`);
    this.addSql(`create table "customer" ("id" uuid not null, "external_ref" text null, "name" text not null, "email" text not null, "phone" text null, "time_zone" text not null default 'UTC', "service_tier" "service_tier" not null default 'standard', "status" "customer_status" not null default 'active', "marketing_consent" boolean not null default false, "referrer_id" uuid null, "acquired_at" date not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "customer" add constraint "customer_external_ref_unique" unique ("external_ref");`);
    this.addSql(`create index "customer_email_index" on "customer" ("email");`);
    this.addSql(`create index "customer_status_index" on "customer" ("status");`);
    this.addSql(`create index "customer_acquired_at_index" on "customer" ("acquired_at");`);
    this.addSql(`create index "customer_created_at_id_index" on "customer" ("created_at", "id");`);

    this.addSql(`create table "playbook_run" ("id" uuid not null, "workflow_id" text not null, "playbook" text not null, "customer_id" uuid not null, "status" "playbook_run_status" not null default 'running', "outcome" text null, "started_at" timestamptz not null, "finished_at" timestamptz null, primary key ("id"));`);
    this.addSql(`alter table "playbook_run" add constraint "playbook_run_workflow_id_unique" unique ("workflow_id");`);
    this.addSql(`create index "playbook_run_playbook_index" on "playbook_run" ("playbook");`);
    this.addSql(`create index "playbook_run_customer_id_index" on "playbook_run" ("customer_id");`);

    this.addSql(`alter table "customer" add constraint "customer_referrer_id_foreign" foreign key ("referrer_id") references "customer" ("id") on delete set null;`);

    this.addSql(`alter table "playbook_run" add constraint "playbook_run_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "playbook_run" cascade;`);
    this.addSql(`drop table if exists "customer" cascade;`);
    this.addSql(`drop type if exists "playbook_run_status";`);
    this.addSql(`drop type if exists "customer_status";`);
    this.addSql(`drop type if exists "service_tier";`);
  }
}
