import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { PlaybookRunActivities } from '../src/activities/playbook-run.activities.js';
import { sweepPageOptions } from './activity-options.js';

const { recordRunsEndedInEngine } = proxyActivities<PlaybookRunActivities>(sweepPageOptions);

/**
 * Every few minutes: playbook runs terminated here in the Temporal UI (or failed, or timed
 * out) cannot record their end themselves; this records it for them, so they send nothing
 * more, close their open fix case, and no longer count as under way. Campaigns ended so are
 * recorded as cancelled.
 */
export async function reconcilePlaybookRuns(): Promise<string[]> {
  const recorded = await recordRunsEndedInEngine();
  setCurrentDetails(recorded.length ? `Recorded the end of ${recorded.length} runs: ${recorded.join(', ')}` : 'No run ended here without recording it');
  return recorded;
}
