import { Migration } from '@mikro-orm/migrations';

/**
 * recordComplaint commits the complaint, then rescores the customer and follows it up (a fix started, a fix waiting for its
 * check-back told): a process that stops in between left the complaint stored with neither, and the client's retry with the
 * same complaintRef was answered the stored complaint without doing them. A complaint the API stores says its follow-up is
 * pending until it has run, so the retry does it then, and only then. Complaints stored before, and imported ones (an import
 * follows up its own), have nothing pending.
 */
export class Migration20261228100000_complaint_follow_up_pending extends Migration {
  override name = 'Migration20261228100000_complaint_follow_up_pending';

  override up(): void | Promise<void> {
    this.addSql(`alter table "complaint" add column "follow_up_pending" boolean not null default false;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "complaint" drop column "follow_up_pending";`);
  }
}
