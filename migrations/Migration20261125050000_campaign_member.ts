import { Migration } from '@mikro-orm/migrations';

/** Campaign enrolment: one row per campaign and customer, treated or holdout. */
export class Migration20261125050000_campaign_member extends Migration {
  override name = 'Migration20261125050000_campaign_member';

  override up(): void | Promise<void> {
    this.addSql(`create type "campaign_group" as enum ('treated', 'holdout');`);
    this.addSql(`create table "campaign_member" ("campaign_id" uuid not null, "customer_id" uuid not null, "group" "campaign_group" not null, "enrolled_at" timestamptz not null, "workflow_id" text null, primary key ("campaign_id", "customer_id"));`);
    this.addSql(`create index "campaign_member_customer_id_index" on "campaign_member" ("customer_id");`);
    this.addSql(`alter table "campaign_member" add constraint "campaign_member_campaign_id_foreign" foreign key ("campaign_id") references "campaign" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "campaign_member" add constraint "campaign_member_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "campaign_member";`);
    this.addSql(`drop type if exists "campaign_group";`);
  }
}
