import { LockMode, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../../domain/ids.js';
import { FixCase, FixCaseStatus } from '../../entities/index.js';
import type { AuditService } from '../audit/audit.service.js';
import { keysetPage } from '../common/keyset-page.js';
import type { Page, PageArgs } from '../common/pagination.js';
import { assertCustomerId } from '../customers/customer.service.js';
import { assertTopic } from './playbook-input.js';
import { PlaybookException, PlaybookExceptionCode } from './playbook.exception.js';

export interface FixCaseFilter {
  /** The team or role that owns the case now, e.g. "logistics" or "team-lead". */
  owner?: string | null;
  status?: FixCaseStatus | null;
  customerId?: string | null;
}

/** The fix cases the fix-issue playbook opened: a team's queue of persistent issues to fix, oldest first. */
export class FixCaseService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
  ) {}

  list(filter: FixCaseFilter, args: PageArgs): Promise<Page<FixCase>> {
    const invalid = (field: string, message: string) => new PlaybookException(PlaybookExceptionCode.InvalidInput, message, { field: `filter.${field}` });
    const where: FilterQuery<FixCase>[] = [];
    if (filter.owner != null) {
      if (!/^[a-z][a-z0-9-]*$/.test(filter.owner)) throw invalid('owner', `"${filter.owner}" is not an owner (lowercase words joined by hyphens, e.g. "logistics")`);
      where.push({ owner: filter.owner });
    }
    if (filter.status) where.push({ status: filter.status });
    if (filter.customerId != null) {
      if (!isUuid(filter.customerId)) throw invalid('customerId', `"${filter.customerId}" is not an ID`);
      where.push({ customer: filter.customerId });
    }
    return keysetPage(this.em, FixCase, { tag: 'fix-cases', where: { $and: where }, key: { property: 'openedAt', direction: 'asc', time: true }, tiebreaker: { property: 'id', direction: 'asc' } }, args);
  }

  /**
   * The customer says the fix of their issue holds (answering the check-back, or before it):
   * recorded on the newest case of the topic, so the check-back thanks them instead of asking.
   * Idempotent; audited. A case still open is not fixed yet (CONFLICT).
   */
  async confirm(customerId: string, topic: string, actor: string): Promise<FixCase> {
    assertCustomerId(customerId);
    assertTopic(topic);
    return this.em.transactional(async (em) => {
      const fixCase = await em.findOne(FixCase, { customer: customerId, topic }, { orderBy: { openedAt: 'desc' }, lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!fixCase) throw new PlaybookException(PlaybookExceptionCode.FixCaseNotFound, `No fix case for "${topic}" of customer ${customerId}`, { customerId, topic });
      if (fixCase.status === FixCaseStatus.Open) {
        throw new PlaybookException(PlaybookExceptionCode.FixNotDone, `The fix of "${topic}" is not done yet: the case is open with ${fixCase.owner}`, { customerId, topic, owner: fixCase.owner });
      }
      if (!fixCase.confirmedAt) {
        fixCase.confirmedAt = new Date();
        this.audit.record(em, { actor, action: 'fix-case.confirm', entityType: 'fix_case', entityId: fixCase.id, after: { workflowId: fixCase.workflowId, confirmedAt: fixCase.confirmedAt.toISOString() } });
      }
      return fixCase;
    });
  }
}
