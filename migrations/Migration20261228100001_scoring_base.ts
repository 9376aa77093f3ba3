import { Migration } from '@mikro-orm/migrations';

/**
 * A scoring run records the customers it scores as it gathers (scoring_base), and its pages score those: a customer an
 * import committed after the gathering was scored without the purchases it had gathered (a buyer read as having bought
 * nothing), also one whose import began before the run, which a time of creation cannot tell apart.
 */
export class Migration20261228100001_scoring_base extends Migration {
  override name = 'Migration20261228100001_scoring_base';

  override up(): void | Promise<void> {
    this.addSql(`create table "scoring_base" ("run_id" text not null, "customer_id" uuid not null, primary key ("run_id", "customer_id"));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "scoring_base";`);
  }
}
