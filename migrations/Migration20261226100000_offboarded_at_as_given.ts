import { Migration } from '@mikro-orm/migrations';

/**
 * The day a customer left, as the company's records give it: a customers import may carry
 * `offboarded_at` (a CRM back-fill of customers who left years ago), and the retention period
 * counts from it, not from the import. The trigger (on insert, and on an update of the status)
 * keeps a value the statement sets (an insert with one, an update that changes it); without
 * one, the moment the status becomes offboarded is still the day they left, as before.
 */
export class Migration20261226100000_offboarded_at_as_given extends Migration {
  override name = 'Migration20261226100000_offboarded_at_as_given';

  override up(): void | Promise<void> {
    this.addSql(`
      create or replace function customer_offboarded_at() returns trigger language plpgsql as $$
      begin
        if new.status = 'offboarded' then
          if tg_op = 'INSERT' then
            new.offboarded_at := coalesce(new.offboarded_at, now());
          elsif old.status is distinct from 'offboarded' and new.offboarded_at is not distinct from old.offboarded_at then
            new.offboarded_at := now();
          end if;
        elsif new.status in ('active', 'offboarding') then
          new.offboarded_at := null;
        end if;
        return new;
      end $$;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`
      create or replace function customer_offboarded_at() returns trigger language plpgsql as $$
      begin
        if new.status = 'offboarded' then
          if tg_op = 'INSERT' or old.status is distinct from 'offboarded' then new.offboarded_at := now(); end if;
        elsif new.status in ('active', 'offboarding') then
          new.offboarded_at := null;
        end if;
        return new;
      end $$;`);
  }
}
