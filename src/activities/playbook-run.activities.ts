import type { Orm } from '../db/orm.js';
import { PlaybookRunService } from '../services/playbooks/playbook-run.service.js';

/** Activities that keep the playbook-run record in PostgreSQL; thin calls into the service. */
export function createPlaybookRunActivities(orm: Orm) {
  const runs = () => new PlaybookRunService(orm.em.fork());
  return {
    async recordRunStarted(input: { workflowId: string; playbook: string; customerId: string }): Promise<void> {
      await runs().recordStarted(input);
    },
    async recordRunOutcome(input: { workflowId: string; outcome: string }): Promise<void> {
      await runs().recordOutcome(input);
    },
  };
}

export type PlaybookRunActivities = ReturnType<typeof createPlaybookRunActivities>;
