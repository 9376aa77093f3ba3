import { Migration } from '@mikro-orm/migrations';

/**
 * A fix case keeps the team it belongs to (the topic's first owner), whoever holds it after
 * escalations, so the report can say how each team fixes its own issues. Cases opened before
 * take it from the task their team was given at the opening (its payload names the owner), else
 * from the owner now (right for a case that never escalated).
 */
export class Migration20261210000000_fix_case_team extends Migration {
  override name = 'Migration20261210000000_fix_case_team';

  override up(): void | Promise<void> {
    this.addSql(`alter table "fix_case" add column "team" text null;`);
    this.addSql(`update "fix_case" f set "team" = coalesce(
        (select m.payload->>'owner' from "outbox_message" m where m.idempotency_key = f.workflow_id || '/fix-case-opened'),
        f.owner);`);
    this.addSql(`alter table "fix_case" alter column "team" set not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "fix_case" drop column "team";`);
  }
}
