import { Migration } from '@mikro-orm/migrations';

/**
 * Lifetime revenue per customer, kept current by statement-level triggers on orders
 * (one set-based refresh per statement, so bulk imports and COPY stay fast), so the
 * customers list can sort by revenue from an index instead of summing all orders.
 */
export class Migration20261124020000_customer_revenue extends Migration {
  override name = 'Migration20261124020000_customer_revenue';

  override up(): void | Promise<void> {
    this.addSql(`alter table "customer" add column "revenue_minor" bigint not null default '0';`);
    this.addSql(`create index "customer_revenue_minor_id_index" on "customer" ("revenue_minor", "id");`);
    // One function per transition-table shape: INSERT sees new rows, DELETE old rows, UPDATE both.
    this.addSql(`
      create function refresh_customer_revenue_after_insert() returns trigger language plpgsql as $$
      begin
        update customer c set revenue_minor = coalesce((select sum(o.amount_minor) from customer_order o where o.customer_id = c.id), 0)
         where c.id in (select distinct customer_id from new_orders);
        return null;
      end $$;`);
    this.addSql(`
      create function refresh_customer_revenue_after_update() returns trigger language plpgsql as $$
      begin
        update customer c set revenue_minor = coalesce((select sum(o.amount_minor) from customer_order o where o.customer_id = c.id), 0)
         where c.id in (select customer_id from new_orders union select customer_id from old_orders);
        return null;
      end $$;`);
    this.addSql(`
      create function refresh_customer_revenue_after_delete() returns trigger language plpgsql as $$
      begin
        update customer c set revenue_minor = coalesce((select sum(o.amount_minor) from customer_order o where o.customer_id = c.id), 0)
         where c.id in (select distinct customer_id from old_orders);
        return null;
      end $$;`);
    this.addSql(`create trigger customer_order_revenue_insert after insert on customer_order referencing new table as new_orders for each statement execute function refresh_customer_revenue_after_insert();`);
    this.addSql(`create trigger customer_order_revenue_update after update on customer_order referencing old table as old_orders new table as new_orders for each statement execute function refresh_customer_revenue_after_update();`);
    this.addSql(`create trigger customer_order_revenue_delete after delete on customer_order referencing old table as old_orders for each statement execute function refresh_customer_revenue_after_delete();`);
    this.addSql(`update customer c set revenue_minor = s.total from (select customer_id, sum(amount_minor) as total from customer_order group by customer_id) s where s.customer_id = c.id;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists customer_order_revenue_insert on customer_order;`);
    this.addSql(`drop trigger if exists customer_order_revenue_update on customer_order;`);
    this.addSql(`drop trigger if exists customer_order_revenue_delete on customer_order;`);
    this.addSql(`drop function if exists refresh_customer_revenue_after_insert();`);
    this.addSql(`drop function if exists refresh_customer_revenue_after_update();`);
    this.addSql(`drop function if exists refresh_customer_revenue_after_delete();`);
    this.addSql(`drop index if exists "customer_revenue_minor_id_index";`);
    this.addSql(`alter table "customer" drop column "revenue_minor";`);
  }
}
