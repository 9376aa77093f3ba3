import { Migration } from '@mikro-orm/migrations';

/**
 * The customer list sorted by name reads as people read names ("Émile" beside "emile", not after
 * "Zoë"): its index takes ICU's root collation, case- and accent-aware, as saved segments' names do.
 */
export class Migration20261205070000_customer_name_collation extends Migration {
  override name = 'Migration20261205070000_customer_name_collation';

  override up(): void | Promise<void> {
    this.addSql(`drop index if exists "customer_name_sort_index";`);
    this.addSql(`create index "customer_name_sort_index" on "customer" ("name" collate "und-x-icu", "id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "customer_name_sort_index";`);
    this.addSql(`create index "customer_name_sort_index" on "customer" (lower("name"), "id");`);
  }
}
