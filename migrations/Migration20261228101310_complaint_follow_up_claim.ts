import { Migration } from '@mikro-orm/migrations';

/**
 * Which call is following a complaint up, and since when: a call claims the follow-up (rescore, the fix started or told)
 * in one short update before it does it, and a client's retry that comes meanwhile leaves it to that call, without a
 * database connection held while the follow-up calls Temporal. A claim older than the lease is one whose call stopped
 * (its process killed): a retry takes it over.
 */
export class Migration20261228101310_complaint_follow_up_claim extends Migration {
  override name = 'Migration20261228101310_complaint_follow_up_claim';

  override up(): void | Promise<void> {
    this.addSql(`alter table "complaint" add column "follow_up_claim" uuid null, add column "follow_up_claimed_at" timestamptz(3) null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "complaint" drop column "follow_up_claim", drop column "follow_up_claimed_at";`);
  }
}
