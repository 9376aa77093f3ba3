import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { withinTime } from '../services/common/within-time.js';
import { NewestPoll } from '../services/operations/newest-poll.js';
import type { WorkerPresence, Workers } from '../services/operations/operations-status.service.js';

// A CommonJS module: Node's ESM loader gives it as one default export.
type TaskQueueType = proto.temporal.api.enums.v1.TaskQueueType;
const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = proto.temporal.api.enums.v1.TaskQueueType;

/** The workers polling this deployment's task queue, from Temporal's description of it (workflow and activity pollers). */
export class TemporalWorkerPresence implements WorkerPresence {
  private readonly newestPoll = new NewestPoll();

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    /** Below the operations status read's own limit (3 s): a Temporal that does not answer leaves the database's figures standing. */
    private readonly timeoutMs = 2_000,
  ) {}

  async workers(): Promise<Workers> {
    const describe = (taskQueueType: TaskQueueType) =>
      this.client.connection.withDeadline(Date.now() + this.timeoutMs, () =>
        this.client.workflowService.describeTaskQueue({ namespace: this.client.options.namespace, taskQueue: { name: this.taskQueue }, taskQueueType }),
      );
    // The client retries a refused connection on its own, past the deadline: the answer is given up on at the deadline all the same.
    const answers = await withinTime(Promise.all([describe(TASK_QUEUE_TYPE_WORKFLOW), describe(TASK_QUEUE_TYPE_ACTIVITY)]), this.timeoutMs, 'Temporal did not answer');
    const pollers = answers.flatMap((a) => a.pollers ?? []);
    const lastSeconds = Math.max(...pollers.map((p) => Number(p.lastAccessTime?.seconds ?? 0)), 0);
    return { polling: new Set(pollers.map((p) => p.identity)).size, lastPollSecondsAgo: this.newestPoll.secondsAgo(lastSeconds, Date.now() / 1000) };
  }
}
