import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditEntry } from '../../entities/index.js';
import type { FilterQuery } from '@mikro-orm/core';
import { keysetPage } from '../common/keyset-page.js';
import { scopedTag, type Page, type PageArgs } from '../common/pagination.js';
import { AUDITED_ENTITY_TYPES, isAuditedEntityType } from '../../domain/audit/audited-entities.js';
import { AuditException, AuditExceptionCode } from './audit.exception.js';
import { echoed } from '../../domain/text.js';

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
    // A type the log never records (a typo, "Customer") would list nothing, as if nothing had happened.
    if (args.entityType && !isAuditedEntityType(args.entityType)) {
      throw new AuditException(AuditExceptionCode.InvalidInput, `Unknown entity type "${echoed(args.entityType)}"; one of: ${AUDITED_ENTITY_TYPES.join(', ')}`, { field: 'entityType' });
    }
    const where: FilterQuery<AuditEntry>[] = [];
    if (args.entityType) where.push({ entityType: args.entityType });
    if (args.entityId) where.push({ entityId: args.entityId });
    if (args.actor) where.push({ actor: args.actor });
    if (args.action) where.push({ action: args.action });
    return keysetPage(this.em, AuditEntry, { tag: scopedTag('audit', { entityType: args.entityType, entityId: args.entityId, actor: args.actor, action: args.action }), where: { $and: where }, key: { property: 'at', direction: 'desc', time: true }, tiebreaker: { property: 'id', direction: 'desc' } }, args);
  }
}
