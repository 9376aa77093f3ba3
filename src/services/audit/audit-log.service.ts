import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditEntry } from '../../entities/index.js';
import { assertPageSize, decodeCursor, encodeCursor, toPage, type Page, type PageArgs } from '../common/pagination.js';

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

  async list(args: AuditLogArgs): Promise<Page<AuditEntry>> {
    assertPageSize(args.first);
    const where: Record<string, unknown>[] = [];
    if (args.entityType) where.push({ entityType: args.entityType });
    if (args.entityId) where.push({ entityId: args.entityId });
    if (args.actor) where.push({ actor: args.actor });
    if (args.action) where.push({ action: args.action });
    const [at, id] = args.after ? (decodeCursor('audit', args.after, 2) as [string, string]) : [null, null];
    const after = at ? [{ $or: [{ at: { $lt: new Date(at) } }, { at: new Date(at), id: { $lt: id } }] }] : [];
    const rows = await this.em.find(AuditEntry, { $and: [...where, ...after] }, { orderBy: { at: 'desc', id: 'desc' }, limit: args.first + 1 });
    return toPage(rows, args.first, () => this.em.count(AuditEntry, { $and: where }), (e) => encodeCursor('audit', [e.at.toISOString(), e.id]), Boolean(args.after));
  }
}
