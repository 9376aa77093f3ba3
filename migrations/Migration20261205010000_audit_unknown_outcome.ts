import { Migration } from '@mikro-orm/migrations';

/** The audit entries of updates whose outcome is still unknown, found by the run reconciliation on each pass without reading the whole log. */
export class Migration20261205010000_audit_unknown_outcome extends Migration {
  override name = 'Migration20261205010000_audit_unknown_outcome';

  override up(): void | Promise<void> {
    this.addSql(`create index "audit_entry_unknown_outcome_index" on "audit_entry" ("at") where "entity_type" = 'playbook_run' and ("after"->>'outcome') = 'unknown';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "audit_entry_unknown_outcome_index";`);
  }
}
