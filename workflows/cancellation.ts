import { CancellationScope, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { PlaybookRunActivities } from '../src/activities/playbook-run.activities.js';
import { CANCELLED_OUTCOME } from '../src/domain/playbooks/run-status.js';

const { recordRunOutcome } = proxyActivities<PlaybookRunActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * Runs a playbook so that an operator's cancellation (Temporal UI or GraphQL) is recorded
 * as the run's outcome before the run ends as cancelled.
 */
export async function recordingCancellation<T>(workflowId: string, playbook: () => Promise<T>): Promise<T> {
  try {
    return await playbook();
  } catch (error) {
    if (isCancellation(error)) await CancellationScope.nonCancellable(() => recordRunOutcome({ workflowId, outcome: CANCELLED_OUTCOME }));
    throw error;
  }
}
