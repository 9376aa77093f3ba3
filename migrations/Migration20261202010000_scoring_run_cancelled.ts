import { Migration } from '@mikro-orm/migrations';

/** A rescore cancelled by an operator ends as `cancelled` (its pages so far stand), no longer `running` forever. */
export class Migration20261202010000_scoring_run_cancelled extends Migration {
  override name = 'Migration20261202010000_scoring_run_cancelled';

  override up(): void | Promise<void> {
    this.addSql(`alter type "scoring_run_status" add value if not exists 'cancelled';`);
  }

  override down(): void | Promise<void> {
    // PostgreSQL cannot drop an enum value: the type is made again. Before this migration a cancelled run stayed running.
    this.addSql(`alter table "scoring_run" alter column "status" drop default;`);
    this.addSql(`alter table "scoring_run" alter column "status" type text;`);
    this.addSql(`update "scoring_run" set "status" = 'running' where "status" = 'cancelled';`);
    this.addSql(`drop type "scoring_run_status";`);
    this.addSql(`create type "scoring_run_status" as enum ('running', 'completed');`);
    this.addSql(`alter table "scoring_run" alter column "status" type "scoring_run_status" using "status"::"scoring_run_status";`);
    this.addSql(`alter table "scoring_run" alter column "status" set default 'running';`);
  }
}
