import { Migration } from '@mikro-orm/migrations';

/** A customer whose personal data was erased on request keeps their ID, orders and scores under the status "erased". */
export class Migration20261202040000_customer_erased extends Migration {
  override name = 'Migration20261202040000_customer_erased';

  override up(): void | Promise<void> {
    this.addSql(`alter type "customer_status" add value if not exists 'erased';`);
  }

  // PostgreSQL cannot drop an enum value: the type is rebuilt, an erased customer staying "offboarded".
  override down(): void | Promise<void> {
    this.addSql(`alter type "customer_status" rename to "customer_status_with_erased";`);
    this.addSql(`create type "customer_status" as enum ('active', 'offboarding', 'offboarded');`);
    this.addSql(`alter table "customer" alter column "status" drop default;`);
    this.addSql(
      `alter table "customer" alter column "status" type "customer_status" using (case when "status"::text = 'erased' then 'offboarded' else "status"::text end)::"customer_status";`,
    );
    this.addSql(`alter table "customer" alter column "status" set default 'active';`);
    this.addSql(`drop type "customer_status_with_erased";`);
  }
}
