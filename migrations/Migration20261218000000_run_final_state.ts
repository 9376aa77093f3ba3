import { Migration } from '@mikro-orm/migrations';

/**
 * A finished run's last state (its `state` query's answer as it ended), kept with its record: Temporal deletes a closed
 * execution after the namespace's retention, and with it what only the run's state held (a thank-you's offer, why it was
 * held back, an account review's proposal and decision, ...). Runs that ended before have none: they show as before.
 */
export class Migration20261218000000_run_final_state extends Migration {
  override name = 'Migration20261218000000_run_final_state';

  override up(): void | Promise<void> {
    this.addSql(`alter table "playbook_run" add column "final_state" jsonb null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "playbook_run" drop column "final_state";`);
  }
}
