import { Migration } from '@mikro-orm/migrations';
import { rebuildEnum } from './enum-type.js';

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
