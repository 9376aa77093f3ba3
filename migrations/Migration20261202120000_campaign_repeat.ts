import { Migration } from '@mikro-orm/migrations';

/** Repeating campaigns: the interval on the campaign, and which pass over the segment enrolled each member. */
export class Migration20261202120000_campaign_repeat extends Migration {
  override name = 'Migration20261202120000_campaign_repeat';

  override up(): void | Promise<void> {
    this.addSql(`alter table "campaign" add column "repeat_every_days" int null;`);
    this.addSql(`alter table "campaign_member" add column "pass" int not null default 1;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "campaign_member" drop column "pass";`);
    this.addSql(`alter table "campaign" drop column "repeat_every_days";`);
  }
}
