import { Migration } from '@mikro-orm/migrations';

/**
 * A scoring run's purchase aggregates count the orders that carry a margin: an order of 0.00
 * with a margin of 0.00 carries one, which a margined revenue of 0 cannot tell from none
 * (profitability then read "none of the customer's orders carries a margin"). Work rows of a
 * run under way get the count their margins imply as the code before read them (one where a
 * margin or margined revenue shows, else none), so its remaining pages score as it began.
 */
export class Migration20261220000000_scoring_work_margined_orders extends Migration {
  override name = 'Migration20261220000000_scoring_work_margined_orders';

  override up(): void | Promise<void> {
    this.addSql(`alter table "scoring_work" add column "margined_orders" integer null;`);
    this.addSql(`update "scoring_work" set "margined_orders" = case when "margined_revenue_minor" <> 0 or "margin_minor" <> 0 then 1 else 0 end;`);
    this.addSql(`alter table "scoring_work" alter column "margined_orders" set not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "scoring_work" drop column "margined_orders";`);
  }
}
