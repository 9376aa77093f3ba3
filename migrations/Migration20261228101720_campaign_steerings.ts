import { Migration } from '@mikro-orm/migrations';

/**
 * How many pauses, resumes and cancels the API has sent a campaign's run: each steering tells the run its number, and
 * the run's record of its status tells the last number it took, so a record the run made before a later steering
 * (a pause it took, recorded after a marketer's resume) does not take the campaign back to a status the run has left.
 */
export class Migration20261228101720_campaign_steerings extends Migration {
  override name = 'Migration20261228101720_campaign_steerings';

  override up(): void | Promise<void> {
    this.addSql(`alter table "campaign" add column "steerings" int not null default 0;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "campaign" drop column "steerings";`);
  }
}
