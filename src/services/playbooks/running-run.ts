import type { EntityManager } from '@mikro-orm/postgresql';
import { endedInEngine, RunStatus } from '../../domain/playbooks/run-status.js';

/**
 * Called by every step of a playbook run that writes to the customer's world (a message, a
 * fee, a fix case, a tier or status change), in the step's transaction before its first
 * write: it takes the run's record (FOR SHARE, held until the step commits) and says whether
 * the run still runs. A step of a run that no longer runs (cancelled, or terminated and
 * recorded from the engine) writes nothing and answers as a step with nothing to do: its run
 * is being wound down anyway. Whatever ends the run updates that record, so the end and the
 * step take turns: a step that wrote first has its messages held back and its case closed by
 * the end; one that comes after the end writes nothing.
 *
 * A run recorded as terminated, failed or timed out had closed in the engine before that was
 * recorded, so none of its steps can still be taken: a step that comes after is the run's
 * after a reset (Temporal UI or CLI), which runs it again. It fails, and the engine retries it,
 * until the run reconciliation (its schedule, RUN_RECONCILIATION_SCHEDULE) records the run as running again; then it
 * writes as it would have. (A straggler of the closed run fails alike: nothing takes its result.)
 */
export async function runStillRunning(em: EntityManager, workflowId: string, options: { lastStep?: boolean } = {}): Promise<boolean> {
  const [run] = await em.execute<{ status: string }[]>(`select status from playbook_run where workflow_id = ? for share`, [workflowId]);
  if (run) failIfReset(workflowId, run.status, options.lastStep);
  return run?.status === RunStatus.Running;
}

/**
 * Throws `RunResetPending` when a run whose record says `status` takes a step: it ended in the
 * engine before that was recorded, so it was reset since (see `runStillRunning`). So did a run
 * recorded completed that takes its `lastStep` (one taken only before the run records its outcome).
 */
export function failIfReset(workflowId: string, status: string, lastStep = false): void {
  if (endedInEngine(status) || (lastStep && status === RunStatus.Completed)) throw new RunResetPending(workflowId, status);
}

/** A step of a run reset after its end was recorded from the engine: retried until the record says running again. */
export class RunResetPending extends Error {
  constructor(workflowId: string, status: string) {
    super(`Playbook run ${workflowId} is recorded as ${status.replace('_', ' ')} but takes a step: it was reset in the workflow engine and runs again. The step is retried once the run reconciliation (RUN_RECONCILIATION_SCHEDULE, every 5 minutes unless set otherwise; while it is off, nothing records it) has recorded the run as running again`);
    this.name = 'RunResetPending';
  }
}
