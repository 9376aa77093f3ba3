import { Migration } from '@mikro-orm/migrations';

/** The customer's language (a BCP 47 tag): messages to them are written in it where a translation exists. */
export class Migration20261202080000_customer_locale extends Migration {
  override name = 'Migration20261202080000_customer_locale';

  override up(): void | Promise<void> {
    this.addSql(`alter table "customer" add column "locale" text not null default 'en';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "customer" drop column "locale";`);
  }
}
