import { Migration } from '@mikro-orm/migrations';

/**
 * The currency every amount is in, recorded by the first worker or API that uses the database
 * (`deployment_setting`): amounts are stored as minor units without one, so a process started
 * with another `CURRENCY` would relabel them all; it refuses to start instead.
 */
export class Migration20261208000000_deployment_setting extends Migration {
  override name = 'Migration20261208000000_deployment_setting';

  override up(): void | Promise<void> {
    this.addSql(`create table "deployment_setting" ("name" text not null, "value" text not null, "recorded_at" timestamptz(3) not null, primary key ("name"));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "deployment_setting";`);
  }
}
