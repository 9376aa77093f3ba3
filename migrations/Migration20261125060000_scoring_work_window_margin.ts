import { Migration } from '@mikro-orm/migrations';

/** The work rows carry each customer's margin inside the profitability window: pages no longer read the orders again. */
export class Migration20261125060000_scoring_work_window_margin extends Migration {
  override name = 'Migration20261125060000_scoring_work_window_margin';

  override up(): void | Promise<void> {
    this.addSql(`delete from "scoring_work";`);
    this.addSql(`alter table "scoring_work" add column "window_margin_minor" bigint not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "scoring_work" drop column "window_margin_minor";`);
  }
}
