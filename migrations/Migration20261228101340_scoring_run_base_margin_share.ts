import { Migration } from '@mikro-orm/migrations';

/**
 * A scoring run records the base's margin share, at which CLV values a customer without a margin share of their own, as
 * the median of its customers' own margin shares (each within ±100%): one account cannot decide it. Before, it was the
 * base's margin over its margined revenue (`base_margin_minor` over `base_margined_revenue_minor`, which the run still
 * records), and one imported order line with a huge loss made it -100% and every such customer's CLV 0. Null for runs
 * gathered before: they are read as they scored, at that ratio; a run under way takes the median from its work rows
 * on its next page.
 */
export class Migration20261228101340_scoring_run_base_margin_share extends Migration {
  override name = 'Migration20261228101340_scoring_run_base_margin_share';

  override up(): void | Promise<void> {
    this.addSql(`alter table "scoring_run" add column "base_margin_share" double precision null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "scoring_run" drop column "base_margin_share";`);
  }
}
