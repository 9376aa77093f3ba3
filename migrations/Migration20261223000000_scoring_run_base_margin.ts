import { Migration } from '@mikro-orm/migrations';

/**
 * A scoring run records the margin of all the base's orders that carry one, and their revenue: the
 * base's margin share, at which CLV values a customer without a margin share of their own (none of
 * their orders carries a margin, or those that do had no revenue), so every CLV is a margin CLV
 * (before, such a customer was valued at revenue, beside everyone else's margin). Null for runs
 * gathered before: a run under way takes it from its work rows on its next page.
 */
export class Migration20261223000000_scoring_run_base_margin extends Migration {
  override name = 'Migration20261223000000_scoring_run_base_margin';

  override up(): void | Promise<void> {
    this.addSql(`alter table "scoring_run" add column "base_margin_minor" bigint null, add column "base_margined_revenue_minor" bigint null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "scoring_run" drop column "base_margin_minor", drop column "base_margined_revenue_minor";`);
  }
}
