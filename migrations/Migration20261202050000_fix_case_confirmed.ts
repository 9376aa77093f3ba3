import { Migration } from '@mikro-orm/migrations';

/** The customer's answer to the check-back: when they said the fix holds. */
export class Migration20261202050000_fix_case_confirmed extends Migration {
  override name = 'Migration20261202050000_fix_case_confirmed';

  override up(): void | Promise<void> {
    this.addSql(`alter table "fix_case" add column "confirmed_at" timestamptz null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "fix_case" drop column "confirmed_at";`);
  }
}
