import { importSpecs, type ImportKind } from '../import/import-spec.js';

/** What the services' audited changes name as their entity. */
const CHANGED_ENTITY_TYPES = ['api-key', 'campaign', 'complaint', 'customer', 'fix_case', 'invoice', 'offer', 'outbox_message', 'playbook_run', 'scoring_run', 'segment'] as const;

/** The kinds of thing the audit log records changes to, as its entries name them: an import's file is one entry under its kind ("orders", "payments"). */
export const AUDITED_ENTITY_TYPES: readonly string[] = [...CHANGED_ENTITY_TYPES, ...(Object.keys(importSpecs) as ImportKind[])].sort();

export type AuditedEntityType = (typeof CHANGED_ENTITY_TYPES)[number] | ImportKind;

export function isAuditedEntityType(value: string): value is AuditedEntityType {
  return AUDITED_ENTITY_TYPES.includes(value);
}
