import { Migration } from '@mikro-orm/migrations';

/** Fix cases of the fix-issue playbook. */
export class Migration20261125030000_fix_case extends Migration {
  override name = 'Migration20261125030000_fix_case';

  override up(): void | Promise<void> {
    this.addSql(`create type "fix_case_status" as enum ('open', 'resolved');`);
    this.addSql(`create table "fix_case" ("id" uuid not null, "workflow_id" text not null, "customer_id" uuid not null, "topic" text not null, "owner" text not null, "status" "fix_case_status" not null default 'open', "escalations" int not null default 0, "opened_at" timestamptz not null, "resolved_at" timestamptz null, primary key ("id"));`);
    this.addSql(`alter table "fix_case" add constraint "fix_case_workflow_id_unique" unique ("workflow_id");`);
    this.addSql(`create index "fix_case_customer_id_index" on "fix_case" ("customer_id");`);
    this.addSql(`alter table "fix_case" add constraint "fix_case_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "fix_case";`);
    this.addSql(`drop type if exists "fix_case_status";`);
  }
}
