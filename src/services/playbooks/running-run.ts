import type { EntityManager } from '@mikro-orm/postgresql';
import { PlaybookRunStatus } from '../../entities/index.js';

/**
 * Called by every step of a playbook run that writes to the customer's world (a message, a
 * fee, a fix case, a tier or status change), in the step's transaction before its first
 * write: it takes the run's record (FOR SHARE, held until the step commits) and says whether
 * the run still runs. A step of a run that no longer runs (cancelled, or terminated and
 * recorded from the engine) writes nothing and answers as a step with nothing to do: its run
 * is being wound down anyway. Whatever ends the run updates that record, so the end and the
 * step take turns: a step that wrote first has its messages held back and its case closed by
 * the end; one that comes after the end writes nothing.
 */
export async function runStillRunning(em: EntityManager, workflowId: string): Promise<boolean> {
  const [run] = await em.execute<{ status: string }[]>(`select status from playbook_run where workflow_id = ? for share`, [workflowId]);
  return run?.status === PlaybookRunStatus.Running;
}
