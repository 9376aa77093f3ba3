/** The kinds of thing the audit log records changes to, as its entries name them. */
export const AUDITED_ENTITY_TYPES = ['api-key', 'campaign', 'complaint', 'customer', 'fix_case', 'invoice', 'offer', 'outbox_message', 'playbook_run', 'scoring_run', 'segment'] as const;

export type AuditedEntityType = (typeof AUDITED_ENTITY_TYPES)[number];

export function isAuditedEntityType(value: string): value is AuditedEntityType {
  return (AUDITED_ENTITY_TYPES as readonly string[]).includes(value);
}
