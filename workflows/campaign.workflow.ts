import { allHandlersFinished, CancellationScope, CancelledFailure, condition, continueAsNew, defineQuery, defineSignal, isCancellation, patched, proxyActivities, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import type { CampaignActivities } from '../src/activities/campaign.activities.js';
import type { CampaignPolicy, CampaignProgress, CampaignRunStatus, CampaignSteering } from '../src/domain/campaigns/campaign.js';
import { days } from '../src/domain/policies/duration.js';
import { auditSteering, ignoringUnknownSignals, type SteeredRun } from './steering-audit.js';
import { campaignRecordOptions, stepRetry } from './activity-options.js';

export interface CampaignInput {
  campaignId: string;
  policy: CampaignPolicy;
  /** Carried over by continue-as-new. */
  progress?: CampaignProgress;
  /** Launched for later: enrolment starts then (ISO time). */
  startAt?: string;
  /** Goes over the segment again every so many days until cancelled, enrolling newcomers. */
  repeatEveryDays?: number | null;
  /** Who launched it (a person's launch, not carried over): the run records the launch if the launch's own transaction never committed. */
  launchedBy?: string;
}

// The API tells each its number (`CampaignSteering`); one sent in the Temporal UI or CLI has none.
export const pauseCampaignSignal = defineSignal<[CampaignSteering?]>('pause');
export const resumeCampaignSignal = defineSignal<[CampaignSteering?]>('resume');
export const cancelCampaignSignal = defineSignal<[CampaignSteering?]>('cancel');
export const campaignProgressQuery = defineQuery<CampaignProgress>('progress');

/**
 * Waits for its start time if launched for later, then enrols a campaign's segment page by page at the policy's rate, until the segment is
 * done or a person cancels; pausing holds it between pages. Each page is idempotent, so
 * a restart (or a second launch, which joins this run) enrols nobody twice. A repeating
 * campaign then waits its interval and goes over the segment again, enrolling only the
 * customers who have newly entered it, until a person cancels. Cancelled in the Temporal UI,
 * it lets the page under way finish and records the cancel as the campaign's, as a marketer's cancel does.
 */
export async function campaign(input: CampaignInput): Promise<CampaignProgress> {
  const { campaignId, policy, progress: carried, startAt, launchedBy } = input;
  const { enrolCampaignPage } = proxyActivities<CampaignActivities>({
    startToCloseTimeout: policy.pageTimeoutSeconds * 1000,
    // (Runs started before the policy had a heartbeat have none.)
    heartbeatTimeout: policy.heartbeatSeconds ? policy.heartbeatSeconds * 1000 : undefined,
    retry: stepRetry,
  });
  const { recordCampaignStatus, auditCampaignSteeringFromOutside } = proxyActivities<CampaignActivities>(campaignRecordOptions);
  const launch = launchedBy ? { by: launchedBy, startAt: startAt ?? null } : undefined;
  const progress: CampaignProgress = carried ?? { campaignId, status: 'running', enrolled: 0, treated: 0, holdout: 0, runsStarted: 0, pages: 0, after: null };
  // With the time the run moved to the status (workflow time): the campaign's end is when its run ended, however late
  // the record lands (its holdout's measuring window counts from it). And with the latest steering through the API the
  // run took: a status it records before it took one sent since (a pause, recorded after a marketer's resume) does not
  // take the campaign back to it; runs before the marker recorded the status as given, and the record said Paused for a
  // while as the run enrolled again (and the resume could answer Paused).
  const record = (status: CampaignRunStatus) => {
    const at = new Date(Date.now()).toISOString();
    return recordCampaignStatus({ campaignId, status, launch, at, ...(patched('campaign-status-record-after-steering') ? { steering: progress.steering ?? 0 } : {}) });
  };
  steerBySignals(progress, (run) => auditCampaignSteeringFromOutside({ campaignId, ...run }));
  try {
    if (!carried) await waitForStart(progress, startAt, record);
    await enrolSegment(input, progress, enrolCampaignPage, record);
    await record(progress.status);
    setCurrentDetails(`${progress.status === 'completed' ? 'Completed' : 'Cancelled'}: ${progress.enrolled} enrolled`);
    await condition(allHandlersFinished);
    return progress;
  } catch (error) {
    // Cancelled in the Temporal UI (or CLI): recorded as a marketer's cancel is (runs cancelled so before this change, replayed, did not).
    if (isCancellation(error) && patched('campaign-cancel-recorded')) {
      progress.status = 'cancelled';
      progress.nextPassAt = null;
      await CancellationScope.nonCancellable(() => record('cancelled'));
      setCurrentDetails(`Cancelled in the Temporal UI: ${progress.enrolled} enrolled`);
    }
    throw error;
  }
}

/** What the signal handlers did, told to the steering audit. */
type SteeringEffects = NonNullable<Parameters<CampaignActivities['auditCampaignSteeringFromOutside']>[0]['effects']>;

type RecordStatus = (status: CampaignRunStatus) => Promise<unknown>;
type EnrolPage = CampaignActivities['enrolCampaignPage'];
type EnrolmentPage = Awaited<ReturnType<EnrolPage>>;

/** Signals change the status while the workflow waits (read through this, not a narrowed local). */
const isCancelled = (progress: CampaignProgress) => progress.status === 'cancelled';

/**
 * A marketer (through the API) or an operator (in the Temporal UI) pauses, resumes or cancels the campaign.
 * What each signal did is kept (how many of each name were handled, which changed nothing) and told to the
 * audit, so an operator's resume of a campaign already running is audited as changing nothing (runs since
 * `campaign-steering-effects-audited`; the API refuses such a no-op itself).
 */
function steerBySignals(progress: CampaignProgress, audit: (run: SteeredRun & { effects?: SteeringEffects }) => Promise<unknown>): void {
  setHandler(campaignProgressQuery, () => progress, { description: 'Status, customers enrolled (treated, holdout), runs started, pages done' });
  const effects: SteeringEffects = { handled: { pause: 0, resume: 0, cancel: 0 }, unchanged: {} };
  // A copy as of now: the audit leaves later signals of these names to their own handlers' calls.
  const snapshot = (): SteeringEffects => ({ handled: { ...effects.handled }, unchanged: Object.fromEntries(Object.entries(effects.unchanged).map(([k, v]) => [k, [...v]])) });
  const telling = (told: SteeringEffects) => (run: SteeredRun) => audit(patched('campaign-steering-effects-audited') ? { ...run, effects: told } : run);
  const took = (name: 'pause' | 'resume' | 'cancel', changed: boolean) => {
    effects.handled[name] += 1;
    if (!changed) effects.unchanged[name] = [...(effects.unchanged[name] ?? []), effects.handled[name]];
    return telling(snapshot());
  };
  // The number of a steering sent through the API is kept, taken whether or not it changed anything: the API recorded the status it found.
  const numbered = (told: CampaignSteering | undefined) => {
    const steering = told?.steering;
    if (typeof steering === 'number' && Number.isSafeInteger(steering) && steering > (progress.steering ?? 0)) progress.steering = steering;
  };
  setHandler(
    pauseCampaignSignal,
    async (told) => {
      numbered(told);
      const changed = progress.status === 'running';
      if (changed) progress.status = 'paused';
      await auditSteering(took('pause', changed));
    },
    { description: 'Stops enrolling after the current page; the runs already started go on' },
  );
  setHandler(
    resumeCampaignSignal,
    async (told) => {
      numbered(told);
      const changed = progress.status === 'paused';
      if (changed) progress.status = 'running';
      await auditSteering(took('resume', changed));
    },
    { description: 'Enrols again where a pause left off' },
  );
  setHandler(
    cancelCampaignSignal,
    async (told) => {
      numbered(told);
      const changed = progress.status === 'scheduled' || progress.status === 'running' || progress.status === 'paused';
      if (changed) progress.status = 'cancelled';
      await auditSteering(took('cancel', changed));
    },
    { description: 'Enrols nobody more; the runs already started go on (before a scheduled start: nobody at all)' },
  );
  // A typo's audit tells what the handlers have done so far too: a pause, resume or cancel sent after it, not handled yet,
  // is left to its own handler's call, which says whether it changed anything.
  ignoringUnknownSignals([pauseCampaignSignal.name, resumeCampaignSignal.name, cancelCampaignSignal.name], (run) => telling(snapshot())(run));
}

/** A launch for later waits for its time; cancelled before it, it enrols nobody. */
async function waitForStart(progress: CampaignProgress, startAt: string | undefined, record: RecordStatus): Promise<void> {
  const wait = startAt ? Date.parse(startAt) - Date.now() : 0;
  if (wait > 0) {
    progress.status = 'scheduled';
    await record('scheduled');
    setCurrentDetails(`Scheduled: enrolment starts at ${startAt}`);
    await condition(() => isCancelled(progress), wait);
    if (progress.status === 'scheduled') progress.status = 'running';
  }
  if (progress.status === 'running') await record('running');
}

/** Enrols page after page at the policy's rate until the segment is done or a person cancels; a repeating campaign goes on to its next pass. */
async function enrolSegment({ campaignId, policy, repeatEveryDays }: CampaignInput, progress: CampaignProgress, enrolPage: EnrolPage, record: RecordStatus): Promise<void> {
  let pagesThisExecution = 0;
  for (;;) {
    await holdWhilePaused(progress, record);
    if (isCancelled(progress)) return;

    const page = await settledPage(() => enrolPage({ campaignId, after: progress.after, limit: policy.pageSize, ...(progress.pass ? { pass: progress.pass } : {}) }));
    progress.enrolled += page.enrolled;
    progress.treated += page.treated;
    progress.holdout += page.holdout;
    progress.runsStarted += page.runsStarted;
    progress.pages += 1;
    setCurrentDetails(`Enrolled ${progress.enrolled} (${progress.treated} treated, ${progress.holdout} holdout)`);
    // Cancelled in the Temporal UI while the page ran: it ends now, with the page's counts (runs since the marker; before, the page's own wait was cancelled).
    if (patched('campaign-page-settles-before-cancel') && CancellationScope.current().consideredCancelled) throw new CancelledFailure('The campaign was cancelled while a page was enrolled; the page finished first');
    if (page.last === null) {
      // Continues as new with the next pass, unless cancelled while it waits for it.
      if (repeatEveryDays && !isCancelled(progress)) await waitForNextPass({ campaignId, policy, repeatEveryDays }, progress, record);
      // A pause that came during the last page does not matter: the segment is done.
      if (!isCancelled(progress)) progress.status = 'completed';
      return;
    }
    progress.after = page.last;
    if (++pagesThisExecution >= policy.pagesPerExecution || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof campaign>({ campaignId, policy, progress, repeatEveryDays });
    }
    // The rate limit; a cancel or pause does not wait for it.
    await condition(() => progress.status !== 'running', policy.pageIntervalMs);
  }
}

/**
 * A page under way when the campaign is cancelled in the Temporal UI (or CLI) finishes first, as it
 * does for `cancelCampaign`'s signal: the page starts the runs of the members its transaction
 * recorded as treated, and is retried if its worker dies meanwhile, so none is left treated
 * without a run; the cancel is recorded after the page's last start, with its counts. (Before,
 * the page was abandoned: the campaign was recorded cancelled while the page still started runs,
 * and a worker dying then left members treated without one for good.) Runs started before this
 * (no marker) abandon it, as they did.
 */
function settledPage(page: () => Promise<EnrolmentPage>): Promise<EnrolmentPage> {
  return patched('campaign-page-settles-before-cancel') ? CancellationScope.nonCancellable(page) : page();
}

/** A pause holds the campaign between pages; it reaches the campaign's record at once, and so does the resume. */
async function holdWhilePaused(progress: CampaignProgress, record: RecordStatus): Promise<void> {
  if (progress.status !== 'paused') return;
  await record('paused');
  setCurrentDetails(`Paused after ${progress.enrolled} customers`);
  await condition(() => progress.status !== 'paused');
  // (Signals change the status while the workflow waits.)
  if ((progress.status as CampaignRunStatus) === 'running') await record('running');
}

/** The segment is done for now: the next pass after the interval (a pause holds it, a cancel ends the campaign). */
async function waitForNextPass({ campaignId, policy, repeatEveryDays }: CampaignInput & { repeatEveryDays: number }, progress: CampaignProgress, record: RecordStatus): Promise<void> {
  const pass = progress.pass ?? 1;
  const nextPassAt = Date.now() + repeatEveryDays * (policy.repeatDayMs ?? days(1));
  const nextPassAtIso = new Date(nextPassAt).toISOString();
  // What the Temporal UI shows and the `progress` query answers, as the API does: while paused, no next pass is
  // announced (none comes until a resume); resumed in time, the one planned is again.
  const show = () => {
    const paused = progress.status === 'paused';
    progress.nextPassAt = paused ? null : nextPassAtIso;
    setCurrentDetails(
      paused
        ? `Paused between passes: pass ${pass} done, ${progress.enrolled} enrolled in all; no next pass until resumed`
        : `Pass ${pass} done, ${progress.enrolled} enrolled in all; the next pass starts at ${nextPassAtIso}`,
    );
  };
  show();
  // A pause or resume meanwhile reaches the campaign's record at once.
  let recorded: CampaignRunStatus = 'running';
  while (!isCancelled(progress) && Date.now() < nextPassAt) {
    if (progress.status !== recorded) {
      recorded = progress.status;
      show();
      await record(recorded);
    }
    await condition(() => progress.status !== recorded, nextPassAt - Date.now());
  }
  // A resume that came with the pass's time (the run's task saw both at once: a worker slowed by load, or one restarted)
  // reaches the record too; before the marker, the run went on to the next pass with its record still saying paused.
  if (progress.status === 'running' && recorded === 'paused' && patched('campaign-resume-at-pass-time-recorded')) {
    recorded = 'running';
    show();
    await record('running');
  }
  // A pass that came due while paused waits here for the resume: the pass number goes up only as the pass starts (runs
  // started before this marker went on to it and waited there, showing a pass not run yet).
  if (progress.status === 'paused' && patched('campaign-pass-waits-for-resume')) {
    // A pause that came with the pass's time (typed in the Temporal UI) reaches the campaign's record too.
    if (recorded !== 'paused') {
      show();
      await record('paused');
    }
    await condition(() => progress.status !== 'paused');
    if ((progress.status as CampaignRunStatus) === 'running') await record('running');
  }
  // Cancelled: no next pass to announce, in the Temporal UI either.
  if (isCancelled(progress)) {
    progress.nextPassAt = null;
    return;
  }
  await condition(allHandlersFinished);
  await continueAsNew<typeof campaign>({ campaignId, policy, repeatEveryDays, progress: { ...progress, after: null, pass: pass + 1, nextPassAt: null } });
}
