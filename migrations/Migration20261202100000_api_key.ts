import { Migration } from '@mikro-orm/migrations';

/** API keys issued and revoked by admins at run time (only the secret's digest is kept), beside the configured ones. */
export class Migration20261202100000_api_key extends Migration {
  override name = 'Migration20261202100000_api_key';

  override up(): void | Promise<void> {
    this.addSql(`create type "api_key_role" as enum ('viewer', 'marketer', 'operator', 'admin');`);
    this.addSql(`create table "api_key" ("id" uuid not null, "name" text not null, "role" "api_key_role" not null, "digest" text not null, "created_by" text not null, "created_at" timestamptz not null, "expires_at" timestamptz null, "revoked_at" timestamptz null, "revoked_by" text null, "last_used_at" timestamptz null, primary key ("id"));`);
    this.addSql(`alter table "api_key" add constraint "api_key_name_unique" unique ("name");`);
    this.addSql(`alter table "api_key" add constraint "api_key_digest_unique" unique ("digest");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "api_key";`);
    this.addSql(`drop type "api_key_role";`);
  }
}
