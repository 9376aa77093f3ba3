import { Migration } from '@mikro-orm/migrations';

/**
 * A person's calls to an engine are audited before they go, pending until the engine answers: the
 * reconciliation finds those left pending (the API died waiting) with those of unknown outcome, of
 * playbook runs and rescores, without reading the whole log.
 */
export class Migration20261221000000_audit_unsettled_calls extends Migration {
  override name = 'Migration20261221000000_audit_unsettled_calls';

  override up(): void | Promise<void> {
    this.addSql(`create index "audit_entry_unsettled_call_index" on "audit_entry" ("at") where ("after"->>'outcome') in ('pending', 'unknown');`);
    this.addSql(`drop index "audit_entry_unknown_outcome_index";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`create index "audit_entry_unknown_outcome_index" on "audit_entry" ("at") where "entity_type" = 'playbook_run' and ("after"->>'outcome') = 'unknown';`);
    this.addSql(`drop index "audit_entry_unsettled_call_index";`);
  }
}
