import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { withinTime } from '../services/common/within-time.js';
import type { PlatformSchedule, PlatformSchedules } from '../services/operations/operations-status.service.js';
import { platformSchedules } from './schedules.js';

/**
 * The deployment's schedules as Temporal describes them (one describe each, side by side): an
 * operator who paused or deleted one in the Temporal UI or CLI is seen here, in
 * `operationsStatus.schedules` and the metrics, not only by what stops happening.
 */
export class TemporalPlatformSchedules implements PlatformSchedules {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    /** Below the operations status read's own limit (3 s), as the workers' read. */
    private readonly timeoutMs = 2_000,
  ) {}

  async schedules(): Promise<PlatformSchedule[]> {
    const describe = async ({ name, id }: { name: string; id: string }): Promise<PlatformSchedule> => {
      try {
        const described = await this.client.connection.withDeadline(Date.now() + this.timeoutMs, () => this.client.schedule.getHandle(id).describe());
        const recent = described.info.recentActions;
        const last = recent.length ? recent[recent.length - 1].takenAt : null;
        const paused = described.state.paused;
        return { id, name, exists: true, paused, note: described.state.note || null, lastRunAt: last, nextRunAt: paused ? null : (described.info.nextActionTimes[0] ?? null) };
      } catch (error) {
        if (error instanceof ScheduleNotFoundError) return { id, name, exists: false, paused: null, note: null, lastRunAt: null, nextRunAt: null };
        throw error;
      }
    };
    // The client retries a refused connection on its own, past the deadline: the answer is given up on at the deadline all the same.
    return withinTime(Promise.all(platformSchedules(this.taskQueue).map(describe)), this.timeoutMs, 'Temporal did not answer');
  }
}
