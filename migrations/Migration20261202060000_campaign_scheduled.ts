import { Migration } from '@mikro-orm/migrations';

/** A campaign launched for later waits as "scheduled" until its start time. */
export class Migration20261202060000_campaign_scheduled extends Migration {
  override name = 'Migration20261202060000_campaign_scheduled';

  override up(): void | Promise<void> {
    this.addSql(`alter type "campaign_status" add value if not exists 'scheduled';`);
    this.addSql(`alter table "campaign" add column "scheduled_for" timestamptz null;`);
  }

  // PostgreSQL cannot drop an enum value: the type is rebuilt, a scheduled campaign going back to draft.
  override down(): void | Promise<void> {
    this.addSql(`alter table "campaign" drop column "scheduled_for";`);
    this.addSql(`alter type "campaign_status" rename to "campaign_status_with_scheduled";`);
    this.addSql(`create type "campaign_status" as enum ('draft', 'running', 'paused', 'completed', 'cancelled');`);
    this.addSql(`alter table "campaign" alter column "status" drop default;`);
    this.addSql(
      `alter table "campaign" alter column "status" type "campaign_status" using (case when "status"::text = 'scheduled' then 'draft' else "status"::text end)::"campaign_status";`,
    );
    this.addSql(`alter table "campaign" alter column "status" set default 'draft';`);
    this.addSql(`drop type "campaign_status_with_scheduled";`);
  }
}
