import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditEntry } from '../../entities/index.js';
import type { AuditedEntityType } from '../../domain/audit/audited-entities.js';
import { storableJson, storableText } from './storable.js';

export interface AuditRecord {
  actor: string;
  action: string;
  entityType: AuditedEntityType;
  entityId?: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

/** Only the fields that changed, before and after; JSON-safe (dates as ISO strings). */
export function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const json = (v: unknown) => (v instanceof Date ? v.toISOString() : (v ?? null));
  const changed = Object.keys(after).filter((k) => JSON.stringify(json(before[k])) !== JSON.stringify(json(after[k])));
  return {
    before: Object.fromEntries(changed.map((k) => [k, json(before[k])])),
    after: Object.fromEntries(changed.map((k) => [k, json(after[k])])),
  };
}

/**
 * SQL: the audit entry `alias` about `entityId` (an SQL expression) of `entityType` was written after its
 * last reset in the engine was recorded (`resetAction`), or it was never reset: a reset makes a run run
 * again, so what was done once to it before (a cancel) can be done again.
 */
export const writtenSinceLastReset = (alias: string, entityType: AuditedEntityType, entityId: string, resetAction: string) =>
  `${alias}.at > coalesce((select max(x.at) from audit_entry x where x.entity_type = '${entityType}' and x.entity_id = ${entityId} and x.action = '${resetAction}'), '-infinity')`;

/**
 * The audit log. `record` only stages the entry on the given EntityManager, so it
 * is written in the same transaction (flush) as the change it describes.
 */
export class AuditService {
  /** Texts from outside (a sender's identity, a signal's input) are stored with NUL characters and lone surrogate halves replaced (U+FFFD): PostgreSQL refuses them, and the entry must be written. */
  record(em: EntityManager, entry: AuditRecord): AuditEntry {
    return em.create(AuditEntry, {
      actor: storableText(entry.actor),
      action: storableText(entry.action),
      entityType: entry.entityType,
      entityId: entry.entityId ?? null,
      before: storableJson(entry.before ?? null),
      after: storableJson(entry.after ?? null),
    });
  }
}
