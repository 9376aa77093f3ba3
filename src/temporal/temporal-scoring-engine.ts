import { randomUUID } from 'node:crypto';
import type { Client, WorkflowExecutionStatusName } from '@temporalio/client';
import { ScoringException, ScoringExceptionCode } from '../domain/scoring/scoring.exception.js';
import type { RescorePolicy } from '../domain/scoring/scoring-policy.js';
import type { RescoreEnd, RescoreExecution, RescoreProgressView, RescoreReset, ScoringEngine } from '../services/engines/scoring-engine.js';
import type { rescoreCustomerBase } from '../../workflows/index.js';
import { rescoreProgressQuery } from '../../workflows/rescore.workflow.js';
import { unansweredDetails, unansweredMessage, withinDeadline } from './deadline.js';
import { cancelIfRunning, describeOrNull, howEnded, howReset, isRunning, queryOrNull } from './workflow-calls.js';

/** Temporal's ends of a rescore's workflow, as the scoring service names them. */
const RESCORE_END: Partial<Record<WorkflowExecutionStatusName, RescoreEnd['status']>> = {
  COMPLETED: 'completed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  FAILED: 'failed',
  TIMED_OUT: 'timed-out',
};

/** Rescores run as Temporal workflows, IDs `rescore/<time>` (by hand) or `rescore-nightly/<task queue>-<time>` (by the schedule). */
export class TemporalScoringEngine implements ScoringEngine {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly callTimeoutMs = 5_000,
  ) {}

  newRescoreId(): string {
    // Two started in the same millisecond (by two admins, for two days) are two runs.
    return `rescore/${new Date().toISOString()}-${randomUUID().slice(0, 8)}`;
  }

  rescoreExists(runId: string): Promise<boolean> {
    return this.reachable(async () => (await describeOrNull(this.client, runId)) !== null);
  }

  startRescore({ runId, ...input }: { runId?: string; trigger: string; asOf?: string; policy: RescorePolicy }): Promise<{ runId: string }> {
    return this.reachable(async () => {
      const workflowId = runId ?? this.newRescoreId();
      await this.client.workflow.start<typeof rescoreCustomerBase>('rescoreCustomerBase', {
        workflowId,
        taskQueue: this.taskQueue,
        args: [input],
        staticSummary: `Rescore of the whole customer base${input.asOf ? ` as of ${input.asOf}` : ''}, started by ${input.trigger}`,
        staticDetails: `Gathers purchase aggregates in one statement, fits BG/NBD and Gamma-Gamma, then scores ${input.policy.pageSize} customers per step (policy v${input.policy.version}).`,
      });
      return { runId: workflowId };
    });
  }

  rescoreProgress(runId: string): Promise<RescoreProgressView | null> {
    return this.reachable(() => queryOrNull(this.client, runId, rescoreProgressQuery), true);
  }

  cancelRescore(runId: string): Promise<boolean> {
    return this.reachable(() => cancelIfRunning(this.client, runId));
  }

  isRescoreRunning(runId: string): Promise<boolean> {
    return this.reachable(() => isRunning(this.client, runId));
  }

  rescoreEnd(runId: string): Promise<RescoreEnd | null> {
    return this.reachable(async () => {
      // The latest execution: one that continued as new goes on in the next.
      const description = await describeOrNull(this.client, runId);
      if (!description) return { status: 'unknown', closedAt: null, reason: null, by: null };
      if (description.status.name === 'RUNNING') return null;
      const how = await howEnded(this.client, runId);
      return { status: RESCORE_END[description.status.name] ?? 'unknown', closedAt: description.closeTime ?? null, reason: how?.reason ?? null, by: how?.by ?? null };
    });
  }

  rescoreExecutionsSince(since: Date): Promise<RescoreExecution[]> {
    return this.reachable(async () => {
      const executions: RescoreExecution[] = [];
      const query = `WorkflowType = "rescoreCustomerBase" AND TaskQueue = "${this.taskQueue}" AND StartTime >= "${since.toISOString()}"`;
      for await (const run of this.client.workflow.list({ query, pageSize: 1000 })) {
        executions.push({ runId: run.workflowId, executionId: run.runId, startedAt: run.startTime });
      }
      return executions;
    });
  }

  rescoreReset(runId: string, executionId: string): Promise<RescoreReset | null> {
    return this.reachable(async () => {
      const reset = await howReset(this.client, runId, executionId);
      return reset && { at: reset.at, from: reset.from, reason: reset.reason, by: reset.by };
    });
  }

  /** `needsWorker`: a worker answers the call (a rescore's progress query), so one that got no answer in time is said as no worker's when Temporal is up. */
  private reachable<T>(call: () => Promise<T>, needsWorker = false): Promise<T> {
    return withinDeadline(
      this.client,
      this.callTimeoutMs,
      call,
      async (timedOut) =>
        new ScoringException(ScoringExceptionCode.EngineUnavailable, await unansweredMessage(this.client, this.taskQueue, 'The scoring engine', "the rescores' work", { timedOut, needsWorker }), unansweredDetails(timedOut)),
    );
  }
}
