import { Migration } from '@mikro-orm/migrations';

/**
 * A key's name is unique among the keys in use, in any case ("Web" and "web" were two keys
 * a person could not tell apart), and a revoked key's name is free again for its successor.
 */
export class Migration20261202190000_api_key_name_in_use extends Migration {
  override name = 'Migration20261202190000_api_key_name_in_use';

  override up(): void | Promise<void> {
    this.addSql(`alter table "api_key" drop constraint "api_key_name_unique";`);
    this.addSql(`create unique index "api_key_name_unique" on "api_key" (lower("name")) where "revoked_at" is null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "api_key_name_unique";`);
    this.addSql(`alter table "api_key" add constraint "api_key_name_unique" unique ("name");`);
  }
}
