import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../../domain/ids.js';
import { FixCase, type FixCaseStatus } from '../../entities/index.js';
import { keysetPage } from '../common/keyset-page.js';
import type { Page, PageArgs } from '../common/pagination.js';
import { PlaybookException, PlaybookExceptionCode } from './playbook.exception.js';

export interface FixCaseFilter {
  /** The team or role that owns the case now, e.g. "logistics" or "team-lead". */
  owner?: string | null;
  status?: FixCaseStatus | null;
  customerId?: string | null;
}

/** The fix cases the fix-issue playbook opened: a team's queue of persistent issues to fix, oldest first. */
export class FixCaseService {
  constructor(private readonly em: EntityManager) {}

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
}
