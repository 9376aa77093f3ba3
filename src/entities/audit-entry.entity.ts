import 'reflect-metadata';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { v7 as uuidv7 } from 'uuid';

/**
 * Who did what, when; written in the same transaction as the change it records, or, for a person's call to an engine,
 * before the call, `after.outcome` pending until the engine answers (AuditService.recordCall).
 */
@Entity({ tableName: 'audit_entry' })
@Index({ properties: ['entityType', 'entityId', 'at'], name: 'audit_entry_entity_index' })
// The few calls to an engine not settled yet (pending, or of unknown outcome), which the reconciliation settles on each pass.
@Index({
  properties: ['at'],
  name: 'audit_entry_unsettled_call_index',
  expression: `create index "audit_entry_unsettled_call_index" on "audit_entry" ("at") where ("after"->>'outcome') in ('pending', 'unknown')`,
})
export class AuditEntry {
  [OptionalProps]?: 'at';

  /** Time-ordered (UUIDv7): entries of one millisecond still list in the order they were written. */
  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  @Index()
  @Property({ type: 'timestamptz', length: 3 })
  at: Date = new Date();

  /** The caller's ID (role and key fingerprint) or the system component. */
  @Property({ type: 'text' })
  actor!: string;

  /** e.g. customer.update, complaint.resolve, import.orders */
  @Property({ type: 'text' })
  action!: string;

  @Property({ type: 'text' })
  entityType!: string;

  @Property({ type: 'text', nullable: true })
  entityId?: string | null;

  @Property({ type: 'jsonb', nullable: true })
  before?: Record<string, unknown> | null;

  @Property({ type: 'jsonb', nullable: true })
  after?: Record<string, unknown> | null;
}
