import { Migration } from '@mikro-orm/migrations';

/** Orders, invoices and payments, complaints, costs, offers, scores, campaigns, outbox and audit log. */
export class Migration20261124010000_customer_data extends Migration {

  override name = 'Migration20261124010000_customer_data';

  override up(): void | Promise<void> {
    // Trigram index for the customers text search (a trusted extension: the database owner may create it).
    this.addSql(`create extension if not exists pg_trgm;`);
    this.addSql(`create type "campaign_status" as enum ('draft', 'running', 'paused', 'completed', 'cancelled');`);
    this.addSql(`create type "cost_kind" as enum ('support_minutes', 'return', 'discount', 'reminder', 'other');`);
    this.addSql(`create type "complaint_severity" as enum ('low', 'medium', 'high', 'critical');`);
    this.addSql(`create type "offer_audience" as enum ('new', 'existing', 'all');`);
    this.addSql(`create type "message_channel" as enum ('email', 'sms', 'letter', 'call');`);
    this.addSql(`create type "message_purpose" as enum ('service', 'marketing');`);
    this.addSql(`create table "audit_entry" ("id" uuid not null, "at" timestamptz not null, "actor" text not null, "action" text not null, "entity_type" text not null, "entity_id" text null, "before" jsonb null, "after" jsonb null, primary key ("id"));`);
    this.addSql(`create index "audit_entry_at_index" on "audit_entry" ("at");`);
    this.addSql(`create index "audit_entry_entity_index" on "audit_entry" ("entity_type", "entity_id", "at");`);

    this.addSql(`create table "campaign" ("id" uuid not null, "name" text not null, "playbook" text not null, "segment" jsonb not null, "status" "campaign_status" not null default 'draft', "holdout_percent" int not null default 10, "created_by" text not null, "created_at" timestamptz not null, "launched_at" timestamptz null, "finished_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "campaign_playbook_index" on "campaign" ("playbook");`);
    this.addSql(`create index "campaign_status_index" on "campaign" ("status");`);

    this.addSql(`create table "cost_entry" ("id" uuid not null, "external_ref" text null, "customer_id" uuid not null, "occurred_at" date not null, "kind" "cost_kind" not null, "amount_minor" bigint not null, "quantity" double precision null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "cost_entry" add constraint "cost_entry_external_ref_unique" unique ("external_ref");`);
    this.addSql(`create index "cost_entry_customer_occurred_at_index" on "cost_entry" ("customer_id", "occurred_at");`);

    this.addSql(`create table "complaint" ("id" uuid not null, "external_ref" text null, "customer_id" uuid not null, "topic" text not null, "severity" "complaint_severity" not null, "summary" text null, "opened_at" timestamptz not null, "resolved_at" timestamptz null, "reopened_count" int not null default 0, "handling_cost_minor" bigint not null default '0', "product_defect" boolean not null default false, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "complaint" add constraint "complaint_external_ref_unique" unique ("external_ref");`);
    this.addSql(`create index "complaint_open_customer_index" on "complaint" ("customer_id") where "resolved_at" is null;`);
    this.addSql(`create index "complaint_customer_topic_opened_at_index" on "complaint" ("customer_id", "topic", "opened_at");`);

    this.addSql(`create table "invoice" ("id" uuid not null, "external_ref" text null, "customer_id" uuid not null, "issued_at" date not null, "due_at" date not null, "amount_minor" bigint not null, "paid_at" date null, "reminders_sent" int not null default 0, "fee_charged_minor" bigint not null default '0', "fee_waived_minor" bigint not null default '0', "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "invoice" add constraint "invoice_external_ref_unique" unique ("external_ref");`);
    this.addSql(`create index "invoice_unpaid_due_at_index" on "invoice" ("due_at") where "paid_at" is null;`);
    this.addSql(`create index "invoice_customer_due_at_index" on "invoice" ("customer_id", "due_at");`);

    this.addSql(`create table "offer" ("id" uuid not null, "code" text not null, "name" text not null, "description" text null, "audience" "offer_audience" not null, "discount_percent" int null, "service_tier" "service_tier" null, "valid_from" date not null, "valid_until" date null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "offer" add constraint "offer_code_unique" unique ("code");`);
    this.addSql(`create index "offer_audience_valid_from_index" on "offer" ("audience", "valid_from");`);

    this.addSql(`create table "customer_order" ("id" uuid not null, "external_ref" text null, "customer_id" uuid not null, "ordered_at" timestamptz not null, "amount_minor" bigint not null, "margin_minor" bigint null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "customer_order" add constraint "customer_order_external_ref_unique" unique ("external_ref");`);
    this.addSql(`create index "customer_order_customer_ordered_at_index" on "customer_order" ("customer_id", "ordered_at");`);

    this.addSql(`create table "outbox_message" ("id" uuid not null, "idempotency_key" text not null, "customer_id" uuid not null, "channel" "message_channel" not null, "purpose" "message_purpose" not null, "template" text not null, "payload" jsonb not null, "created_at" timestamptz not null, "sent_at" timestamptz null, "attempts" int not null default 0, "last_error" text null, primary key ("id"));`);
    this.addSql(`alter table "outbox_message" add constraint "outbox_message_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`create index "outbox_message_customer_id_index" on "outbox_message" ("customer_id");`);
    this.addSql(`create index "outbox_message_unsent_index" on "outbox_message" ("created_at") where "sent_at" is null;`);

    this.addSql(`create table "payment" ("id" uuid not null, "external_ref" text null, "invoice_id" uuid not null, "paid_at" date not null, "amount_minor" bigint not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "payment" add constraint "payment_external_ref_unique" unique ("external_ref");`);
    this.addSql(`create index "payment_invoice_id_index" on "payment" ("invoice_id");`);

    this.addSql(`create table "score_snapshot" ("id" uuid not null, "customer_id" uuid not null, "kind" text not null, "value" double precision not null, "band" text null, "model_version" text not null, "computed_at" timestamptz not null, "reasons" jsonb not null, primary key ("id"));`);
    this.addSql(`create index "score_snapshot_kind_value_index" on "score_snapshot" ("kind", "value");`);
    this.addSql(`create index "score_snapshot_customer_kind_computed_at_index" on "score_snapshot" ("customer_id", "kind", "computed_at");`);

    this.addSql(`create index "customer_service_tier_index" on "customer" ("service_tier");`);
    this.addSql(`create index "customer_referrer_id_index" on "customer" ("referrer_id");`);
    this.addSql(`create index "customer_search_trgm_index" on "customer" using gin ((lower("name") || ' ' || lower("email")) gin_trgm_ops);`);

    this.addSql(`alter table "playbook_run" add "campaign_id" uuid null;`);
    this.addSql(`alter table "playbook_run" add constraint "playbook_run_campaign_id_foreign" foreign key ("campaign_id") references "campaign" ("id") on delete set null;`);
    this.addSql(`create index "playbook_run_campaign_id_index" on "playbook_run" ("campaign_id");`);

    this.addSql(`alter table "cost_entry" add constraint "cost_entry_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete cascade;`);

    this.addSql(`alter table "complaint" add constraint "complaint_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete cascade;`);

    this.addSql(`alter table "invoice" add constraint "invoice_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete cascade;`);

    this.addSql(`alter table "customer_order" add constraint "customer_order_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete cascade;`);

    this.addSql(`alter table "outbox_message" add constraint "outbox_message_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete cascade;`);

    this.addSql(`alter table "payment" add constraint "payment_invoice_id_foreign" foreign key ("invoice_id") references "invoice" ("id") on delete cascade;`);

    this.addSql(`alter table "score_snapshot" add constraint "score_snapshot_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "playbook_run" drop constraint "playbook_run_campaign_id_foreign";`);
    this.addSql(`alter table "payment" drop constraint "payment_invoice_id_foreign";`);

    this.addSql(`drop table if exists "audit_entry" cascade;`);
    this.addSql(`drop table if exists "campaign" cascade;`);
    this.addSql(`drop table if exists "cost_entry" cascade;`);
    this.addSql(`drop table if exists "complaint" cascade;`);
    this.addSql(`drop table if exists "invoice" cascade;`);
    this.addSql(`drop table if exists "offer" cascade;`);
    this.addSql(`drop table if exists "customer_order" cascade;`);
    this.addSql(`drop table if exists "outbox_message" cascade;`);
    this.addSql(`drop table if exists "payment" cascade;`);
    this.addSql(`drop table if exists "score_snapshot" cascade;`);

    this.addSql(`drop index "customer_service_tier_index";`);
    this.addSql(`drop index "customer_referrer_id_index";`);
    this.addSql(`drop index "customer_search_trgm_index";`);

    this.addSql(`drop index "playbook_run_campaign_id_index";`);
    this.addSql(`alter table "playbook_run" drop column "campaign_id";`);

    this.addSql(`drop type "campaign_status";`);
    this.addSql(`drop type "cost_kind";`);
    this.addSql(`drop type "complaint_severity";`);
    this.addSql(`drop type "offer_audience";`);
    this.addSql(`drop type "message_channel";`);
    this.addSql(`drop type "message_purpose";`);
  }
}
