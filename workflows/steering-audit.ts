import { CancellationScope, patched, workflowInfo } from '@temporalio/workflow';

/**
 * Called by a signal or update handler once the run has taken the message: one an operator
 * sent in the Temporal UI (or CLI) is audited with who sent it, as a steer through the API is
 * by the API. The activity reads the run's history, so it also audits a signal the run ignored
 * (typed wrongly) and skips the platform's own. Runs that took messages before this (no marker)
 * did not audit them.
 */
export async function auditSteering(audit: (run: { workflowId: string; runId: string }) => Promise<unknown>): Promise<void> {
  if (!patched('signals-audited')) return;
  const { workflowId, runId } = workflowInfo();
  // A cancel of the run does not cancel the record of what steered it.
  await CancellationScope.nonCancellable(() => audit({ workflowId, runId }));
}
