import { Migration } from '@mikro-orm/migrations';

/**
 * The tier this platform moved a customer from (a proposal they accepted), until the CRM's
 * exports agree: an export still carrying it is stale and does not put it back; once one carries
 * the new tier, or another, the CRM's word counts again. Customers moved before take the tier of
 * their latest move.
 */
export class Migration20261210030000_customer_tier_changed_from extends Migration {
  override name = 'Migration20261210030000_customer_tier_changed_from';

  override up(): void | Promise<void> {
    this.addSql(`alter table "customer" add column "tier_changed_from" "service_tier" null;`);
    this.addSql(`
      update customer c set tier_changed_from = (
        select (a.before ->> 'serviceTier')::service_tier from audit_entry a
         where a.entity_type = 'customer' and a.entity_id = c.id::text and a.action = 'customer.service-tier'
         order by a.at desc, a.id desc limit 1)
       where exists (select 1 from audit_entry a where a.entity_type = 'customer' and a.entity_id = c.id::text and a.action = 'customer.service-tier');`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "customer" drop column "tier_changed_from";`);
  }
}
