import 'reflect-metadata';
import { OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Trigger } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';
import { Customer } from './customer.entity.js';

export enum FixCaseStatus {
  Open = 'open',
  Resolved = 'resolved',
  /** Its run was cancelled before the fix (who and why: the run's audit entry); it leaves the queue. */
  Cancelled = 'cancelled',
}

/** A persistent issue someone owns until it is fixed; written by the fix-issue playbook. */
@Entity({ tableName: 'fix_case' })
@Index({ properties: ['status', 'openedAt'], name: 'fix_case_status_opened_at_index' })
// A case a worker of the version before `team` opens (during a deploy) belongs to its first owner.
@Trigger({ name: 'fix_case_team', timing: 'before', events: ['insert'], expression: `create trigger fix_case_team before insert on fix_case for each row execute function fix_case_team()` })
export class FixCase {
  [OptionalProps]?: 'status' | 'escalations' | 'resolvedAt' | 'confirmedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** The fix-issue run that opened it: one case per run. */
  @Property({ type: 'text', unique: true })
  workflowId!: string;

  @Index()
  @ManyToOne({ entity: () => Customer, deleteRule: 'cascade' })
  customer!: Rel<Customer>;

  @Property({ type: 'text' })
  topic!: string;

  /** The team the case belongs to: its topic's first owner, whoever holds it after escalations (the report counts by it). */
  @Property({ type: 'text' })
  team!: string;

  /** The team or role responsible now (rises with each escalation). */
  @Property({ type: 'text' })
  owner!: string;

  @Enum({ items: () => FixCaseStatus, nativeEnumName: 'fix_case_status' })
  status: FixCaseStatus = FixCaseStatus.Open;

  @Property({ type: 'integer' })
  escalations: number = 0;

  @Property({ type: 'timestamptz', length: 3 })
  openedAt!: Date;

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  resolvedAt?: Date | null;

  /** When the customer said the fix holds (their answer to the check-back, or before it); cleared if the issue comes back. */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  confirmedAt?: Date | null;
}
