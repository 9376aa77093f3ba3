import { Migration } from '@mikro-orm/migrations';

/** A team's queue of fix cases is read by status, oldest first. */
export class Migration20261202030000_fix_case_queue extends Migration {
  override name = 'Migration20261202030000_fix_case_queue';

  override up(): void | Promise<void> {
    this.addSql(`create index "fix_case_status_opened_at_index" on "fix_case" ("status", "opened_at");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "fix_case_status_opened_at_index";`);
  }
}
