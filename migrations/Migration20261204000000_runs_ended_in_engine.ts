import { Migration } from '@mikro-orm/migrations';
import { rebuildEnum } from './enum-type.js';

/**
 * A playbook run that failed, was terminated (in the Temporal UI) or timed out says so,
 * instead of staying `running` for good: recorded for it from the engine, as it cannot.
 */
export class Migration20261204000000_runs_ended_in_engine extends Migration {
  override name = 'Migration20261204000000_runs_ended_in_engine';

  override up(): void | Promise<void> {
    for (const value of ['failed', 'terminated', 'timed_out']) this.addSql(`alter type "playbook_run_status" add value if not exists '${value}';`);
  }

  // Before, such a run was never recorded as ended: it goes back to `running`.
  override down(): void | Promise<void> {
    rebuildEnum(
      this,
      'playbook_run',
      'playbook_run_status',
      ['running', 'completed', 'cancelled'],
      'running',
      `update "playbook_run" set "status" = 'running', "outcome" = null, "finished_at" = null where "status" in ('failed', 'terminated', 'timed_out');`,
    );
  }
}
