import { allHandlersFinished, CancellationScope, condition, continueAsNew, defineQuery, defineSignal, isCancellation, patched, proxyActivities, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import type { CampaignActivities } from '../src/activities/campaign.activities.js';
import type { CampaignPolicy, CampaignProgress, CampaignRunStatus } from '../src/domain/campaigns/campaign.js';
import { days } from '../src/domain/policies/duration.js';
import { auditSteering } from './steering-audit.js';

export interface CampaignInput {
  campaignId: string;
  policy: CampaignPolicy;
  /** Carried over by continue-as-new. */
  progress?: CampaignProgress;
  /** Launched for later: enrolment starts then (ISO time). */
  startAt?: string;
  /** Goes over the segment again every so many days until cancelled, enrolling newcomers. */
  repeatEveryDays?: number | null;
}

export const pauseCampaignSignal = defineSignal('pause');
export const resumeCampaignSignal = defineSignal('resume');
export const cancelCampaignSignal = defineSignal('cancel');
export const campaignProgressQuery = defineQuery<CampaignProgress>('progress');

/**
 * Waits for its start time if launched for later, then enrols a campaign's segment page by page at the policy's rate, until the segment is
 * done or a person cancels; pausing holds it between pages. Each page is idempotent, so
 * a restart (or a second launch, which joins this run) enrols nobody twice. A repeating
 * campaign then waits its interval and goes over the segment again, enrolling only the
 * customers who have newly entered it, until a person cancels. Cancelled in the Temporal UI,
 * it records the cancel as the campaign's, as a marketer's cancel does.
 */
export async function campaign({ campaignId, policy, progress: carried, startAt, repeatEveryDays }: CampaignInput): Promise<CampaignProgress> {
  const retry = { initialInterval: '1 second', maximumInterval: '1 minute' };
  const { enrolCampaignPage } = proxyActivities<CampaignActivities>({
    startToCloseTimeout: policy.pageTimeoutSeconds * 1000,
    // (Runs started before the policy had a heartbeat have none.)
    heartbeatTimeout: policy.heartbeatSeconds ? policy.heartbeatSeconds * 1000 : undefined,
    retry,
  });
  const { recordCampaignStatus, auditCampaignSteeringFromOutside } = proxyActivities<CampaignActivities>({ startToCloseTimeout: policy.pageTimeoutSeconds * 1000, retry });
  const audit = (run: { workflowId: string; runId: string }) => auditCampaignSteeringFromOutside({ campaignId, ...run });
  const progress: CampaignProgress = carried ?? { campaignId, status: 'running', enrolled: 0, treated: 0, holdout: 0, runsStarted: 0, pages: 0, after: null };
  setHandler(campaignProgressQuery, () => progress, { description: 'Status, customers enrolled (treated, holdout), runs started, pages done' });
  setHandler(
    pauseCampaignSignal,
    async () => {
      if (progress.status === 'running') progress.status = 'paused';
      await auditSteering(audit);
    },
    { description: 'Stops enrolling after the current page; the runs already started go on' },
  );
  setHandler(
    resumeCampaignSignal,
    async () => {
      if (progress.status === 'paused') progress.status = 'running';
      await auditSteering(audit);
    },
    { description: 'Enrols again where a pause left off' },
  );
  setHandler(
    cancelCampaignSignal,
    async () => {
      if (progress.status === 'scheduled' || progress.status === 'running' || progress.status === 'paused') progress.status = 'cancelled';
      await auditSteering(audit);
    },
    { description: 'Enrols nobody more; the runs already started go on (before a scheduled start: nobody at all)' },
  );
  try {
    if (!carried) {
      // A launch for later waits for its time; cancelled before it, it enrols nobody.
      const wait = startAt ? Date.parse(startAt) - Date.now() : 0;
      if (wait > 0) {
        progress.status = 'scheduled';
        await recordCampaignStatus({ campaignId, status: 'scheduled' });
        setCurrentDetails(`Scheduled: enrolment starts at ${startAt}`);
        await condition(() => progress.status === 'cancelled', wait);
        if (progress.status === 'scheduled') progress.status = 'running';
      }
      if (progress.status === 'running') await recordCampaignStatus({ campaignId, status: 'running' });
    }

    // (Signals change the status while the workflow waits.)
    const cancelled = () => (progress.status as CampaignRunStatus) === 'cancelled';
    // Waits until `at` or a cancel; a pause or resume meanwhile reaches the campaign's record at once.
    const waitUntil = async (at: number) => {
      let recorded: CampaignRunStatus = 'running';
      while (!cancelled() && Date.now() < at) {
        if (progress.status !== recorded) await recordCampaignStatus({ campaignId, status: (recorded = progress.status) });
        await condition(() => progress.status !== recorded, at - Date.now());
      }
    };

    let pagesThisExecution = 0;
    for (;;) {
      if (progress.status === 'paused') {
        await recordCampaignStatus({ campaignId, status: 'paused' });
        setCurrentDetails(`Paused after ${progress.enrolled} customers`);
        await condition(() => progress.status !== 'paused');
        // (Signals change the status while the workflow waits.)
        if ((progress.status as CampaignRunStatus) === 'running') await recordCampaignStatus({ campaignId, status: 'running' });
      }
      if (progress.status === 'cancelled') break;

      const page = await enrolCampaignPage({ campaignId, after: progress.after, limit: policy.pageSize, ...(progress.pass ? { pass: progress.pass } : {}) });
      progress.enrolled += page.enrolled;
      progress.treated += page.treated;
      progress.holdout += page.holdout;
      progress.runsStarted += page.runsStarted;
      progress.pages += 1;
      setCurrentDetails(`Enrolled ${progress.enrolled} (${progress.treated} treated, ${progress.holdout} holdout)`);
      if (page.last === null) {
        if (repeatEveryDays && !cancelled()) {
          // The segment is done for now: the next pass after the interval (a pause holds it, a cancel ends the campaign).
          const pass = progress.pass ?? 1;
          const nextPassAt = Date.now() + repeatEveryDays * (policy.repeatDayMs ?? days(1));
          progress.nextPassAt = new Date(nextPassAt).toISOString();
          setCurrentDetails(`Pass ${pass} done, ${progress.enrolled} enrolled in all; the next pass starts at ${progress.nextPassAt}`);
          await waitUntil(nextPassAt);
          if (cancelled()) break;
          await condition(allHandlersFinished);
          await continueAsNew<typeof campaign>({ campaignId, policy, repeatEveryDays, progress: { ...progress, after: null, pass: pass + 1, nextPassAt: null } });
        }
        // A pause that came during the last page does not matter: the segment is done.
        if (!cancelled()) progress.status = 'completed';
        break;
      }
      progress.after = page.last;
      if (++pagesThisExecution >= policy.pagesPerExecution || workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof campaign>({ campaignId, policy, progress, repeatEveryDays });
      }
      // The rate limit; a cancel or pause does not wait for it.
      await condition(() => progress.status !== 'running', policy.pageIntervalMs);
    }
    await recordCampaignStatus({ campaignId, status: progress.status });
    setCurrentDetails(`${progress.status === 'completed' ? 'Completed' : 'Cancelled'}: ${progress.enrolled} enrolled`);
    await condition(allHandlersFinished);
    return progress;
  } catch (error) {
    // Cancelled in the Temporal UI (or CLI): recorded as a marketer's cancel is (runs cancelled so before this change, replayed, did not).
    if (isCancellation(error) && patched('campaign-cancel-recorded')) {
      progress.status = 'cancelled';
      progress.nextPassAt = null;
      await CancellationScope.nonCancellable(() => recordCampaignStatus({ campaignId, status: 'cancelled' }));
      setCurrentDetails(`Cancelled in the Temporal UI: ${progress.enrolled} enrolled`);
    }
    throw error;
  }
}
