import { Migration } from '@mikro-orm/migrations';

/**
 * A customer's tier changes, each in effect from its day: the profitability window counts the fee
 * margin of the tier held each day, not today's tier's for the whole year. The moves account
 * reviews made so far are taken from their audit entries (`customer.service-tier`), on the day
 * where the customer lives; tier changes imported before this were not recorded.
 */
export class Migration20261225000000_service_tier_change extends Migration {
  override name = 'Migration20261225000000_service_tier_change';

  override up(): void | Promise<void> {
    this.addSql(`create table "service_tier_change" ("id" uuid not null, "customer_id" uuid not null, "changed_on" date not null, "from_tier" "service_tier" not null, "to_tier" "service_tier" not null, "source" text not null, "created_at" timestamptz(3) not null, primary key ("id"));`);
    this.addSql(`create index "service_tier_change_customer_changed_on_index" on "service_tier_change" ("customer_id", "changed_on");`);
    this.addSql(`alter table "service_tier_change" add constraint "service_tier_change_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete cascade;`);
    this.addSql(`insert into "service_tier_change" ("id", "customer_id", "changed_on", "from_tier", "to_tier", "source", "created_at")
      select gen_random_uuid(), c.id, (a.at at time zone c.time_zone)::date, (a.before->>'serviceTier')::service_tier, (a.after->>'serviceTier')::service_tier, 'account-review', a.at
        from audit_entry a join customer c on c.id::text = a.entity_id
       where a.entity_type = 'customer' and a.action = 'customer.service-tier' and a.actor like 'playbook:%'
         and a.before->>'serviceTier' is not null and a.after->>'serviceTier' is not null
       order by a.at, a.id;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "service_tier_change" cascade;`);
  }
}
