import { Migration } from '@mikro-orm/migrations';

/** Rebuilds an enum column's type with these values, `set` rewriting values in between (PostgreSQL cannot use a value added in the same transaction, nor drop one). */
function rebuildEnum(m: Migration, table: string, type: string, values: string[], byDefault: string, set: string): void {
  m.addSql(`alter table "${table}" alter column "status" drop default;`);
  m.addSql(`alter table "${table}" alter column "status" type text;`);
  m.addSql(`drop type "${type}";`);
  m.addSql(`create type "${type}" as enum (${values.map((v) => `'${v}'`).join(', ')});`);
  m.addSql(set);
  m.addSql(`alter table "${table}" alter column "status" type "${type}" using "status"::"${type}";`);
  m.addSql(`alter table "${table}" alter column "status" set default '${byDefault}';`);
}

/**
 * A playbook run an operator cancelled ends as `cancelled`, no longer `completed` (its
 * outcome said so), and its fix case, if still open, is closed as `cancelled` instead of
 * staying in the team's queue for good: for runs cancelled before, too.
 */
export class Migration20261202140000_cancelled_runs extends Migration {
  override name = 'Migration20261202140000_cancelled_runs';

  override up(): void | Promise<void> {
    rebuildEnum(this, 'playbook_run', 'playbook_run_status', ['running', 'completed', 'cancelled'], 'running', `update "playbook_run" set "status" = 'cancelled' where "outcome" = 'cancelled';`);
    rebuildEnum(
      this,
      'fix_case',
      'fix_case_status',
      ['open', 'resolved', 'cancelled'],
      'open',
      `update "fix_case" set "status" = 'cancelled' where "status" = 'open' and "workflow_id" in (select "workflow_id" from "playbook_run" where "status" = 'cancelled');`,
    );
  }

  // As before: a cancelled run completed with the outcome "cancelled", its fix case stayed open.
  override down(): void | Promise<void> {
    rebuildEnum(this, 'fix_case', 'fix_case_status', ['open', 'resolved'], 'open', `update "fix_case" set "status" = 'open' where "status" = 'cancelled';`);
    rebuildEnum(this, 'playbook_run', 'playbook_run_status', ['running', 'completed'], 'running', `update "playbook_run" set "status" = 'completed' where "status" = 'cancelled';`);
  }
}
