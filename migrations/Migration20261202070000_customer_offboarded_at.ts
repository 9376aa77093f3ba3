import { Migration } from '@mikro-orm/migrations';

/**
 * When a customer left: kept by a trigger whatever sets the status (the account review, an
 * import), for the retention period after which their personal data is erased. Customers
 * who left before it get the time of their offboarding's audit entry, or of their last change.
 */
export class Migration20261202070000_customer_offboarded_at extends Migration {
  override name = 'Migration20261202070000_customer_offboarded_at';

  override up(): void | Promise<void> {
    this.addSql(`alter table "customer" add column "offboarded_at" timestamptz null;`);
    this.addSql(`
      create function customer_offboarded_at() returns trigger language plpgsql as $$
      begin
        if new.status = 'offboarded' then
          if tg_op = 'INSERT' or old.status is distinct from 'offboarded' then new.offboarded_at := now(); end if;
        elsif new.status in ('active', 'offboarding') then
          new.offboarded_at := null;
        end if;
        return new;
      end $$;`);
    this.addSql(`create trigger customer_offboarded_at before insert or update of status on customer for each row execute function customer_offboarded_at();`);
    this.addSql(`
      update customer c set offboarded_at = coalesce(
        (select max(a.at) from audit_entry a where a.entity_type = 'customer' and a.entity_id = c.id::text and a.action = 'customer.offboarded'), c.updated_at)
       where c.status = 'offboarded';`);
    this.addSql(`create index "customer_offboarded_at_index" on "customer" ("offboarded_at") where "status" = 'offboarded';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger customer_offboarded_at on customer;`);
    this.addSql(`drop function customer_offboarded_at();`);
    this.addSql(`alter table "customer" drop column "offboarded_at";`);
  }
}
