import { Migration } from '@mikro-orm/migrations';

/** Sorting the customers list by name reads this index instead of sorting every customer. */
export class Migration20261124040000_customer_name_sort extends Migration {
  override name = 'Migration20261124040000_customer_name_sort';

  override up(): void | Promise<void> {
    this.addSql(`create index "customer_name_sort_index" on "customer" (lower("name"), "id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "customer_name_sort_index";`);
  }
}
