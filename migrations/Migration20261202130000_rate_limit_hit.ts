import { Migration } from '@mikro-orm/migrations';

/** The API's rate-limit counters, shared by all its processes (before: each process counted alone). */
export class Migration20261202130000_rate_limit_hit extends Migration {
  override name = 'Migration20261202130000_rate_limit_hit';

  override up(): void | Promise<void> {
    this.addSql(`create unlogged table "rate_limit_hit" ("key" text not null, "hits" int not null, "reset_at" timestamptz not null, primary key ("key"));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "rate_limit_hit";`);
  }
}
