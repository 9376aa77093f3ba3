import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowExecutionStatusName } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { campaignWorkflowId, type CampaignEndInEngine, type CampaignPolicy, type CampaignProgress, type CampaignSteering } from '../domain/campaigns/campaign.js';
import type { CampaignEndedInEngine, CampaignEngine, CampaignReset, CampaignToStart } from '../services/engines/campaign-engine.js';
import { PlaybookException, PlaybookExceptionCode } from '../services/playbooks/playbook.exception.js';
import { campaignProgressQuery, cancelCampaignSignal, pauseCampaignSignal, resumeCampaignSignal } from '../../workflows/campaign.workflow.js';
import { noAnswerFromRun } from './deadline.js';
import { playbookCallUnanswered, withinPlaybookDeadline } from './playbook-deadline.js';
import type { SteeringFromOutside } from '../services/audit/steering-audit.service.js';
import { describeOrNull, howEnded, howReset, queryOrNull, resetOrigin, signalOrFalse, steeringFromOutside } from './workflow-calls.js';
import { CampaignIdKey } from '../../workflows/search-attributes.js';
import type { Turns } from '../services/common/turns.js';
import { workflowQueryTurns } from './workflow-query-turns.js';

/** Temporal's ends of a campaign run that the run did not record itself (a completed run did). */
const ENDED_IN_ENGINE: Partial<Record<WorkflowExecutionStatusName, CampaignEndInEngine>> = {
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  FAILED: 'failed',
  TIMED_OUT: 'timed-out',
};

const CAMPAIGN_PREFIX = campaignWorkflowId('');

/** Campaigns as Temporal workflows, one per campaign (`campaign/<id>`). */
export class TemporalCampaignEngine implements CampaignEngine {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly callTimeoutMs = 5_000,
    /** The places its progress queries take turns in: the process's own, shared with the playbooks' engine. */
    private readonly queryTurns: Turns = workflowQueryTurns,
  ) {}

  start({ id: campaignId, name, playbook, holdoutPercent, repeatEveryDays }: CampaignToStart, policy: CampaignPolicy, startAt?: Date | null, launchedBy?: string): Promise<{ workflowId: string }> {
    return this.reachable(async () => {
      const workflowId = campaignWorkflowId(campaignId);
      const holdout = holdoutPercent ? `keeping a random holdout of ${holdoutPercent}%` : 'holding nobody back';
      const repeats = repeatEveryDays ? `; goes over the segment again every ${repeatEveryDays} days, enrolling newcomers, until cancelled` : '';
      try {
        await this.client.workflow.start('campaign', {
          workflowId,
          taskQueue: this.taskQueue,
          args: [{ campaignId, policy, ...(startAt ? { startAt: startAt.toISOString() } : {}), ...(repeatEveryDays ? { repeatEveryDays } : {}), ...(launchedBy ? { launchedBy } : {}) }],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          // Found in the Temporal UI by the campaign's ID with the runs it started (`CampaignId = "<id>"`); a start option, not a
          // workflow command, so histories replay as before. Its executions continued as new keep it (Temporal carries it over).
          typedSearchAttributes: [{ key: CampaignIdKey, value: campaignId }],
          // The marketer's campaign name and the playbook: no customer data (an erasure does not change a name here that named one: README).
          staticSummary: `Campaign "${name}": ${playbook} for a segment${repeatEveryDays ? `, every ${repeatEveryDays} days` : ''}`,
          staticDetails: `${startAt ? `From ${startAt.toISOString()}, enrols` : 'Enrols'} the segment into ${playbook} runs (search CampaignId = "${campaignId}"), at most ${policy.pageSize} customers every ${Math.round(policy.pageIntervalMs / 1000)} s, ${holdout}${repeats}; signals pause, resume, cancel${startAt ? ' (before the start: enrols nobody)' : ''} (policy v${policy.version}).`,
        });
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
      return { workflowId };
    });
  }

  steeringFromOutside(workflowId: string, runId: string): Promise<SteeringFromOutside[]> {
    return this.reachable(() => steeringFromOutside(this.client, workflowId, runId));
  }

  resetOrigin(workflowId: string, runId: string): Promise<{ runId: string; fromEventId: number } | null> {
    return this.reachable(() => resetOrigin(this.client, workflowId, runId));
  }

  async progress(campaignId: string): Promise<CampaignProgress | null> {
    // A query the worker answers in a workflow-task slot, as a run's live state: they take turns in the process.
    return await this.queryTurns.take(() => this.askProgress(campaignId));
  }

  private askProgress(campaignId: string): Promise<CampaignProgress | null> {
    return this.reachable(async () => {
      try {
        return await queryOrNull(this.client, campaignWorkflowId(campaignId), campaignProgressQuery);
      } catch (error) {
        // No worker to answer (stopped, deploying): a passing condition, as for playbook runs, said as such when Temporal is up.
        if (noAnswerFromRun(error)) throw new PlaybookException(PlaybookExceptionCode.EngineUnavailable, await this.unanswered(), { campaignId });
        throw new PlaybookException(PlaybookExceptionCode.EngineUnavailable, `Campaign ${campaignId} cannot answer now (${(error as Error).message}); try again shortly`, { campaignId });
      }
    }, true);
  }

  pause(campaignId: string, told: CampaignSteering) {
    return this.signal(campaignId, pauseCampaignSignal, told);
  }

  resume(campaignId: string, told: CampaignSteering) {
    return this.signal(campaignId, resumeCampaignSignal, told);
  }

  cancel(campaignId: string, told: CampaignSteering) {
    return this.signal(campaignId, cancelCampaignSignal, told);
  }

  endedInEngine(campaignId: string): Promise<CampaignEndedInEngine | null> {
    return this.reachable(async () => {
      const workflowId = campaignWorkflowId(campaignId);
      // The latest execution: one that continued as new goes on in the next.
      const description = await describeOrNull(this.client, workflowId);
      const status = description && ENDED_IN_ENGINE[description.status.name];
      if (!status) return null;
      const how = await howEnded(this.client, workflowId);
      return { status, closedAt: description.closeTime ?? new Date(), reason: how?.reason ?? null, by: how?.by ?? null };
    });
  }

  findRunning(): Promise<string[]> {
    return this.reachable(async () => {
      const running: string[] = [];
      const query = `WorkflowType = "campaign" AND ExecutionStatus = "Running" AND TaskQueue = "${this.taskQueue}"`;
      for await (const run of this.client.workflow.list({ query, pageSize: 1000 })) {
        if (run.workflowId.startsWith(CAMPAIGN_PREFIX)) running.push(run.workflowId.slice(CAMPAIGN_PREFIX.length));
      }
      return running;
    });
  }

  howReset(campaignId: string, since: Date): Promise<CampaignReset | null> {
    return this.reachable(async () => {
      const workflowId = campaignWorkflowId(campaignId);
      // The reset's execution may have continued as new since: each execution open since then, newest first.
      const query = `WorkflowId = "${workflowId}" AND (ExecutionStatus = "Running" OR CloseTime >= "${since.toISOString()}")`;
      const runs: Array<{ runId: string; startTime: Date }> = [];
      for await (const run of this.client.workflow.list({ query, pageSize: 100 })) runs.push({ runId: run.runId, startTime: run.startTime });
      for (const { runId } of runs.sort((a, b) => b.startTime.getTime() - a.startTime.getTime())) {
        const reset = await howReset(this.client, workflowId, runId);
        if (reset) return { ...reset, runId };
      }
      return null;
    });
  }

  private signal(campaignId: string, signal: SignalDefinition<[CampaignSteering?]>, told: CampaignSteering): Promise<boolean> {
    return this.reachable(() => signalOrFalse(this.client, campaignWorkflowId(campaignId), signal, told));
  }

  /** `needsWorker`: a worker answers the call (the campaign's progress query), so one that got no answer in time is said as no worker's when Temporal is up. */
  private reachable<T>(call: () => Promise<T>, needsWorker = false): Promise<T> {
    return withinPlaybookDeadline(this.client, this.taskQueue, this.callTimeoutMs, call, needsWorker);
  }

  private unanswered(): Promise<string> {
    return playbookCallUnanswered(this.client, this.taskQueue, { needsWorker: true });
  }
}
