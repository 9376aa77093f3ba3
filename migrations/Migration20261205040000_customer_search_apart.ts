import { Migration } from '@mikro-orm/migrations';

/** The customer search index keeps name and e-mail apart (a line break between them), so a search matches within one of them, never across. */
export class Migration20261205040000_customer_search_apart extends Migration {
  override name = 'Migration20261205040000_customer_search_apart';

  override up(): void | Promise<void> {
    this.addSql(`drop index "customer_search_trgm_index";`);
    this.addSql(`create index "customer_search_trgm_index" on "customer" using gin ((lower("name") || chr(10) || lower("email")) gin_trgm_ops);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "customer_search_trgm_index";`);
    this.addSql(`create index "customer_search_trgm_index" on "customer" using gin ((lower("name") || ' ' || lower("email")) gin_trgm_ops);`);
  }
}
