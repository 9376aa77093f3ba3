import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleOptionsStartWorkflowAction, type Workflow } from '@temporalio/client';
import type { DataRetentionPolicy } from '../domain/customers/data-retention.js';
import type { TriggerPolicy } from '../domain/playbooks/triggers.js';
import type { ScoreHistoryPolicy } from '../domain/scoring/score-history.js';
import type { RescorePolicy } from '../domain/scoring/scoring-policy.js';

/**
 * The schedules the worker keeps (one per task queue): the nightly rescore, the score history's thinning, the retention sweep,
 * the playbook trigger sweep, and the record of runs and campaigns that ended in the engine. The runs a schedule starts carry
 * its ID (Temporal adds the time each is scheduled for), so two deployments on one namespace never take each other's IDs.
 */
export const rescoreScheduleId = (taskQueue: string) => `rescore-nightly/${taskQueue}`;
export const scoreHistoryScheduleId = (taskQueue: string) => `score-history/${taskQueue}`;
export const playbookTriggersScheduleId = (taskQueue: string) => `playbook-triggers/${taskQueue}`;
export const dataRetentionScheduleId = (taskQueue: string) => `data-retention/${taskQueue}`;
export const runReconciliationScheduleId = (taskQueue: string) => `run-reconciliation/${taskQueue}`;

/** What each schedule the worker keeps does: the names operators read in `operationsStatus.schedules`, the metrics and the worker's log. */
export type PlatformScheduleName = 'playbook-triggers' | 'run-reconciliation' | 'rescore' | 'data-retention' | 'score-history';

/** Every schedule the worker keeps for the task queue, by what it does. */
export function platformSchedules(taskQueue: string): { name: PlatformScheduleName; id: string }[] {
  return [
    { name: 'playbook-triggers', id: playbookTriggersScheduleId(taskQueue) },
    { name: 'run-reconciliation', id: runReconciliationScheduleId(taskQueue) },
    { name: 'rescore', id: rescoreScheduleId(taskQueue) },
    { name: 'data-retention', id: dataRetentionScheduleId(taskQueue) },
    { name: 'score-history', id: scoreHistoryScheduleId(taskQueue) },
  ];
}

/** Whether a schedule is paused in Temporal, and the note kept with it (why, as the one who paused it said). */
export interface ScheduleState {
  paused: boolean;
  note: string | null;
}

export function ensureRescoreSchedule(client: Client, taskQueue: string, cron: string, policy: RescorePolicy): Promise<ScheduleState> {
  return ensureSchedule(client, rescoreScheduleId(taskQueue), cron, {
    type: 'startWorkflow',
    workflowType: 'rescoreCustomerBase',
    workflowId: rescoreScheduleId(taskQueue),
    taskQueue,
    args: [{ trigger: 'schedule', policy }],
    staticSummary: 'Nightly rescore of the whole customer base',
  });
}

export function ensureScoreHistorySchedule(client: Client, taskQueue: string, cron: string, policy: ScoreHistoryPolicy): Promise<ScheduleState> {
  return ensureSchedule(client, scoreHistoryScheduleId(taskQueue), cron, {
    type: 'startWorkflow',
    workflowType: 'thinScoreHistory',
    workflowId: scoreHistoryScheduleId(taskQueue),
    taskQueue,
    args: [{ policy }],
    staticSummary: `Thins score history: ${policy.tiers.map((t) => `older than ${t.olderThanDays} days to one snapshot per customer, kind and ${t.keepOnePer}`).join('; ')}`,
  });
}

export function ensurePlaybookTriggersSchedule(client: Client, taskQueue: string, cron: string, policy: TriggerPolicy): Promise<ScheduleState> {
  return ensureSchedule(client, playbookTriggersScheduleId(taskQueue), cron, {
    type: 'startWorkflow',
    workflowType: 'playbookTriggers',
    workflowId: playbookTriggersScheduleId(taskQueue),
    taskQueue,
    args: [{ policy }],
    staticSummary: 'Starts the playbooks whose triggers fired: fair reminders for overdue invoices, fixes for persistent issues, reviews of loss-making accounts, thank-yous for silent loyal customers',
  });
}

export function ensureDataRetentionSchedule(client: Client, taskQueue: string, cron: string, policy: DataRetentionPolicy): Promise<ScheduleState> {
  return ensureSchedule(client, dataRetentionScheduleId(taskQueue), cron, {
    type: 'startWorkflow',
    workflowType: 'eraseExpiredCustomerData',
    workflowId: dataRetentionScheduleId(taskQueue),
    taskQueue,
    args: [{ policy }],
    staticSummary: `Erases the personal data of customers who left more than ${policy.eraseOffboardedAfterDays} days ago`,
  });
}

export function ensureRunReconciliationSchedule(client: Client, taskQueue: string, cron: string): Promise<ScheduleState> {
  return ensureSchedule(client, runReconciliationScheduleId(taskQueue), cron, {
    type: 'startWorkflow',
    workflowType: 'reconcilePlaybookRuns',
    workflowId: runReconciliationScheduleId(taskQueue),
    taskQueue,
    args: [],
    staticSummary: 'Records the end of playbook runs, campaigns and rescores terminated in the Temporal UI (or failed, or timed out): runs send nothing more and close their fix case, campaigns end as cancelled, rescores as abandoned',
  });
}

/** Runs the trigger sweep once now, as if its time had come (its overlap policy still applies). */
export async function sweepPlaybookTriggersNow(client: Client, taskQueue: string): Promise<void> {
  await client.schedule.getHandle(playbookTriggersScheduleId(taskQueue)).trigger();
}

/**
 * Creates the schedule, or brings an existing one up to date with the configured time and
 * policy. A run still going when the next one is due makes the next one skip. One an operator
 * paused stays paused (its state is theirs): what it was left in is returned, for the worker to say.
 */
async function ensureSchedule(client: Client, scheduleId: string, cron: string, action: ScheduleOptionsStartWorkflowAction<Workflow>): Promise<ScheduleState> {
  const options = { spec: { cronExpressions: [cron] }, action, policies: { overlap: 'SKIP' as const, catchupWindow: '6 hours' } };
  try {
    await client.schedule.create({ scheduleId, ...options });
    return { paused: false, note: null };
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    let state: ScheduleState = { paused: false, note: null };
    await client.schedule.getHandle(scheduleId).update((previous) => {
      state = { paused: previous.state.paused, note: previous.state.note || null };
      return { ...previous, ...options };
    });
    return state;
  }
}

/** Deletes the schedule (switched off in the configuration); false when there was none. */
export async function removeSchedule(client: Client, scheduleId: string): Promise<boolean> {
  try {
    await client.schedule.getHandle(scheduleId).delete();
    return true;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return false;
    throw error;
  }
}
