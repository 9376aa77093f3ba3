import { Migration } from '@mikro-orm/migrations';

/**
 * The (customer, ordered_at) index of the orders also carries amount and margin: the
 * rescore's gathering pass over every order (per customer, in day order) then reads the
 * index alone instead of visiting each order's row (bench database: ~5.5 s -> ~3.5 s).
 */
export class Migration20261201050000_order_index_include extends Migration {
  override name = 'Migration20261201050000_order_index_include';

  override up(): void | Promise<void> {
    this.addSql(`drop index "customer_order_customer_ordered_at_index";`);
    this.addSql(`create index "customer_order_customer_ordered_at_index" on "customer_order" ("customer_id", "ordered_at") include ("amount_minor", "margin_minor");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "customer_order_customer_ordered_at_index";`);
    this.addSql(`create index "customer_order_customer_ordered_at_index" on "customer_order" ("customer_id", "ordered_at");`);
  }
}
