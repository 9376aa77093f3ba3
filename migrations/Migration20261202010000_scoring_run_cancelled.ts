import { Migration } from '@mikro-orm/migrations';

/**
 * A rescore cancelled by an operator ends as `cancelled`, one whose workflow ended without
 * completing it (terminated, failed) as `abandoned` (its pages so far stand in both), no
 * longer `running` forever.
 */
export class Migration20261202010000_scoring_run_cancelled extends Migration {
  override name = 'Migration20261202010000_scoring_run_cancelled';

  override up(): void | Promise<void> {
    this.addSql(`alter type "scoring_run_status" add value if not exists 'cancelled';`);
    this.addSql(`alter type "scoring_run_status" add value if not exists 'abandoned';`);
  }

  override down(): void | Promise<void> {
    // PostgreSQL cannot drop an enum value: the type is made again. Before this migration such runs stayed running.
    this.addSql(`alter table "scoring_run" alter column "status" drop default;`);
    this.addSql(`alter table "scoring_run" alter column "status" type text;`);
    this.addSql(`update "scoring_run" set "status" = 'running' where "status" in ('cancelled', 'abandoned');`);
    this.addSql(`drop type "scoring_run_status";`);
    this.addSql(`create type "scoring_run_status" as enum ('running', 'completed');`);
    this.addSql(`alter table "scoring_run" alter column "status" type "scoring_run_status" using "status"::"scoring_run_status";`);
    this.addSql(`alter table "scoring_run" alter column "status" set default 'running';`);
  }
}
