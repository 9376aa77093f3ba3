import { Migration } from '@mikro-orm/migrations';

/**
 * A scoring run's purchase aggregates keep apart what the orders' margins cover: the revenue
 * of orders with a margin, and the window's revenue of orders without one (an export may
 * leave margins out), so a missing margin is not scored as a margin of zero. Work rows of
 * a run under way are dropped: its gathering runs again.
 */
export class Migration20261205020000_scoring_work_margined extends Migration {
  override name = 'Migration20261205020000_scoring_work_margined';

  override up(): void | Promise<void> {
    this.addSql(`delete from "scoring_work";`);
    this.addSql(`alter table "scoring_work" add column "margined_revenue_minor" bigint not null, add column "window_unmargined_minor" bigint not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "scoring_work" drop column "margined_revenue_minor", drop column "window_unmargined_minor";`);
  }
}
