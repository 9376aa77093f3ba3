import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditEntry } from '../../entities/index.js';
import type { FilterQuery } from '@mikro-orm/core';
import { keysetPage } from '../common/keyset-page.js';
import type { Page, PageArgs } from '../common/pagination.js';

export interface AuditLogArgs extends PageArgs {
  /** One entity's trail: its type (customer, offer, campaign, ...) and, optionally, its ID. */
  entityType?: string | null;
  entityId?: string | null;
  /** The caller (role and key fingerprint) or system component that acted. */
  actor?: string | null;
  /** e.g. customer.update, offer.create */
  action?: string | null;
}

/** Reading the audit log: who did what, when, newest first (an entity's trail reads its own index). */
export class AuditLogService {
  constructor(private readonly em: EntityManager) {}

  list(args: AuditLogArgs): Promise<Page<AuditEntry>> {
    const where: FilterQuery<AuditEntry>[] = [];
    if (args.entityType) where.push({ entityType: args.entityType });
    if (args.entityId) where.push({ entityId: args.entityId });
    if (args.actor) where.push({ actor: args.actor });
    if (args.action) where.push({ action: args.action });
    return keysetPage(this.em, AuditEntry, { tag: 'audit', where: { $and: where }, key: { property: 'at', direction: 'desc', time: true }, tiebreaker: { property: 'id', direction: 'desc' } }, args);
  }
}
