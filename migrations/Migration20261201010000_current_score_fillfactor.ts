import { Migration } from '@mikro-orm/migrations';

/**
 * Every rescore rewrites each customer's current scores. With half of each page kept free,
 * a row whose value and band did not change (most of them from one night to the next) is
 * updated in place without touching the table's three indexes (a HOT update): the rescore's
 * trigger costs a quarter as much for those rows. CLUSTER rewrites the existing rows with
 * the new fill factor.
 */
export class Migration20261201010000_current_score_fillfactor extends Migration {
  override name = 'Migration20261201010000_current_score_fillfactor';

  override up(): void | Promise<void> {
    this.addSql(`alter table "current_score" set (fillfactor = 50);`);
    this.addSql(`cluster "current_score" using "current_score_pkey";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "current_score" reset (fillfactor);`);
  }
}
