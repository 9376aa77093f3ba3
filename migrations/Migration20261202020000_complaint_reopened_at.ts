import { Migration } from '@mikro-orm/migrations';

/** When a complaint was last reopened: a fix that did not hold is told from one that did by it. */
export class Migration20261202020000_complaint_reopened_at extends Migration {
  override name = 'Migration20261202020000_complaint_reopened_at';

  override up(): void | Promise<void> {
    this.addSql(`alter table "complaint" add column "reopened_at" timestamptz null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "complaint" drop column "reopened_at";`);
  }
}
