import 'reflect-metadata';
import { OptionalProps, type Rel } from '@mikro-orm/core';
import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';
import { Customer } from './customer.entity.js';
import { money } from './money.js';

export enum ComplaintSeverity {
  Low = 'low',
  Medium = 'medium',
  High = 'high',
  Critical = 'critical',
}

/** A complaint or support case: information about what to fix, not only a cost. */
@Entity({ tableName: 'complaint' })
// Persistent issues group complaints by topic as stored, in SQL and in the model alike: only a key groups right.
@Check({ name: 'complaint_topic_is_key', expression: `"topic" ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and char_length("topic") <= 100` })
// Withdrawn whole: when, by whom and why together.
@Check({ name: 'complaint_withdrawn_whole', expression: `("withdrawn_at" is null) = ("withdrawn_by" is null) and ("withdrawn_at" is null) = ("withdrawn_reason" is null)` })
@Index({ properties: ['customer', 'topic', 'openedAt'], name: 'complaint_customer_topic_opened_at_index' })
@Index({ properties: ['customer'], name: 'complaint_open_customer_index', expression: 'create index "complaint_open_customer_index" on "complaint" ("customer_id") where "resolved_at" is null' })
// A withdrawn complaint (filed on the wrong customer) no longer holds its CRM reference: the right customer's complaint takes it.
@Unique({ name: 'complaint_external_ref_unique', expression: 'create unique index "complaint_external_ref_unique" on "complaint" ("external_ref") where "withdrawn_at" is null' })
export class Complaint {
  [OptionalProps]?: 'reopenedCount' | 'handlingCostMinor' | 'productDefect' | 'followUpPending' | 'followUpClaim' | 'followUpClaimedAt' | 'withdrawnAt' | 'withdrawnBy' | 'withdrawnReason' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Its reference in the CRM: unique among the complaints not withdrawn (a withdrawn one keeps it, and no longer holds it). */
  @Property({ type: 'text', nullable: true })
  externalRef?: string | null;

  @ManyToOne({ entity: () => Customer, deleteRule: 'cascade' })
  customer!: Rel<Customer>;

  /** What the complaint is about, a topic key (e.g. "delivery-delay", src/domain/complaints/topic.ts); persistent issues group by it. */
  @Property({ type: 'text' })
  topic!: string;

  @Enum({ items: () => ComplaintSeverity, nativeEnumName: 'complaint_severity' })
  severity!: ComplaintSeverity;

  @Property({ type: 'text', nullable: true })
  summary?: string | null;

  @Property({ type: 'timestamptz', length: 3 })
  openedAt!: Date;

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  resolvedAt?: Date | null;

  @Property({ type: 'integer' })
  reopenedCount: number = 0;

  /** When it was last reopened (resolved, then the customer said it is not); imported counts have no date. */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  reopenedAt?: Date | null;

  @Property({ type: money() })
  handlingCostMinor: number = 0;

  /** The complaint points at a defect of the product, not at this customer's case alone. */
  @Property({ type: 'boolean' })
  productDefect: boolean = false;

  /**
   * Stored by recordComplaint, whose rescore and follow-up (a fix started, a fix awaiting its check-back told) run after the
   * commit: true until they have, so a retry of the call does them when the first call stopped before (and only then).
   */
  @Property({ type: 'boolean', default: false })
  followUpPending: boolean = false;

  /**
   * The call following the complaint up now, and since when (null when none is): claimed in one short update before the
   * follow-up, so a retry that comes meanwhile leaves it to that call; a claim older than the lease is one whose call stopped.
   */
  @Property({ type: 'uuid', nullable: true })
  followUpClaim: string | null = null;

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  followUpClaimedAt: Date | null = null;

  /**
   * When the complaint was withdrawn (withdrawComplaint): filed by mistake, on the wrong customer or twice. A withdrawn
   * complaint is kept (the customer's timeline and data export show it, marked) but counts nowhere a complaint counts: no
   * persistent issue, no open complaint, no topic report, no fix case's listing.
   */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  withdrawnAt: Date | null = null;

  /** Who withdrew it, as the audit log names callers. */
  @Property({ type: 'text', nullable: true })
  withdrawnBy: string | null = null;

  /** Why, in the words of whoever withdrew it. */
  @Property({ type: 'text', nullable: true })
  withdrawnReason: string | null = null;

  @Property({ type: 'timestamptz', length: 3 })
  createdAt: Date = new Date();
}
