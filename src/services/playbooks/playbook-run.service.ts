import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { PlaybookRun, PlaybookRunStatus } from '../../entities/index.js';

/** The database record of playbook runs. Every write is idempotent: activities may be retried. */
export class PlaybookRunService {
  constructor(private readonly em: EntityManager) {}

  async recordStarted(input: { workflowId: string; playbook: string; customerId: string }): Promise<void> {
    await this.em
      .createQueryBuilder(PlaybookRun)
      .insert({
        id: randomUUID(),
        workflowId: input.workflowId,
        playbook: input.playbook,
        customer: input.customerId,
        status: PlaybookRunStatus.Running,
        startedAt: new Date(),
      })
      .onConflict('workflowId')
      .ignore()
      .execute();
  }

  async recordOutcome(input: { workflowId: string; outcome: string }): Promise<void> {
    await this.em.nativeUpdate(
      PlaybookRun,
      { workflowId: input.workflowId, status: PlaybookRunStatus.Running },
      { status: PlaybookRunStatus.Completed, outcome: input.outcome, finishedAt: new Date() },
    );
  }

  findByWorkflowId(workflowId: string): Promise<PlaybookRun | null> {
    return this.em.findOne(PlaybookRun, { workflowId });
  }
}
