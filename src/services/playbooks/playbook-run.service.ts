import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { PlaybookRun, PlaybookRunStatus } from '../../entities/index.js';
import { AuditService } from '../audit/audit.service.js';
import { ChildPager } from '../common/child-pages.js';
import type { Page, PageArgs } from '../common/pagination.js';

/** The database record of playbook runs. Every write is idempotent: activities may be retried. */
export class PlaybookRunService {
  private readonly pager: ChildPager<PlaybookRun>;

  constructor(private readonly em: EntityManager) {
    this.pager = new ChildPager(em, PlaybookRun, {
      tag: 'playbook-runs',
      table: 'playbook_run',
      parentColumn: 'customer_id',
      orderColumn: 'started_at',
      orderType: 'timestamptz',
      orderProperty: 'startedAt',
    });
  }

  /** A customer's playbook runs, newest first (batched across a page of customers). */
  async forCustomer(customerId: string, args: PageArgs): Promise<Page<PlaybookRun>> {
    return this.pager.page(customerId, args);
  }

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

  /** Who asked to cancel a run, and why (the run records the outcome itself). */
  async recordCancelRequest(workflowId: string, actor: string, reason: string): Promise<void> {
    await this.em.transactional(async (em) => {
      new AuditService().record(em, { actor, action: 'playbook.cancel', entityType: 'playbook_run', entityId: workflowId, after: { reason } });
    });
  }

  findByWorkflowId(workflowId: string): Promise<PlaybookRun | null> {
    return this.em.findOne(PlaybookRun, { workflowId });
  }

  /** The records of these runs, by workflow ID (a run started a moment ago may have none yet). */
  async findByWorkflowIds(workflowIds: string[]): Promise<Map<string, PlaybookRun>> {
    const records = workflowIds.length ? await this.em.find(PlaybookRun, { workflowId: { $in: workflowIds } }) : [];
    return new Map(records.map((record) => [record.workflowId, record]));
  }
}
