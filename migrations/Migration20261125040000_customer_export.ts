import { Migration } from '@mikro-orm/migrations';

/** Data exports handed to customers who leave. */
export class Migration20261125040000_customer_export extends Migration {
  override name = 'Migration20261125040000_customer_export';

  override up(): void | Promise<void> {
    this.addSql(`create table "customer_export" ("id" uuid not null, "workflow_id" text not null, "customer_id" uuid not null, "document" jsonb not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "customer_export" add constraint "customer_export_workflow_id_unique" unique ("workflow_id");`);
    this.addSql(`create index "customer_export_customer_id_index" on "customer_export" ("customer_id");`);
    this.addSql(`alter table "customer_export" add constraint "customer_export_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "customer_export";`);
  }
}
