import 'reflect-metadata';
import { OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';
import { Segment } from './segment.entity.js';

export enum CampaignStatus {
  Draft = 'draft',
  /** Launched for later: enrolment starts at `scheduledFor`. */
  Scheduled = 'scheduled',
  Running = 'running',
  Paused = 'paused',
  Completed = 'completed',
  Cancelled = 'cancelled',
}

/** A launched campaign whose enrolment has ended for good, as recorded. */
export const ENDED_CAMPAIGN: readonly CampaignStatus[] = [CampaignStatus.Completed, CampaignStatus.Cancelled];

/** A marketer's launch of one playbook for one segment, with a random holdout group. */
@Entity({ tableName: 'campaign' })
@Unique({ name: 'campaign_name_unique', expression: 'create unique index "campaign_name_unique" on "campaign" (lower("name"))' })
export class Campaign {
  [OptionalProps]?: 'status' | 'holdoutPercent' | 'createdAt' | 'steerings';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /**
   * Stored as people read it (NFKC, a run of spaces as one, trimmed), as a segment's name, and unique among all campaigns
   * whatever its case: lists, the audit log, data exports and the run's summary in Temporal tell campaigns apart by it.
   * A discarded draft's row is gone, so its name is free again; an ended campaign keeps its name (its outcome and
   * history are read by it).
   */
  @Property({ type: 'text' })
  name!: string;

  @Index()
  @Property({ type: 'text' })
  playbook!: string;

  /** The customer filter that defines who enters (same shape as the customers query's filter). */
  @Property({ type: 'jsonb' })
  segment!: Record<string, unknown>;

  /** The saved segment the filter was copied from, if any (the copy stays when the segment changes or goes). */
  @ManyToOne({ entity: () => Segment, nullable: true, deleteRule: 'set null' })
  sourceSegment?: Rel<Segment> | null;

  @Index()
  @Enum({ items: () => CampaignStatus, nativeEnumName: 'campaign_status' })
  status: CampaignStatus = CampaignStatus.Draft;

  /** Share of the segment kept out of the playbook to measure its effect. */
  @Property({ type: 'integer' })
  holdoutPercent: number = 10;

  /** Who created it (caller ID, for the audit trail). */
  @Property({ type: 'text' })
  createdBy!: string;

  @Property({ type: 'timestamptz', length: 3 })
  createdAt: Date = new Date();

  /** When enrolment starts, for a campaign launched for later. */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  scheduledFor?: Date | null;

  /** When enrolment began. */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  launchedAt?: Date | null;

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  finishedAt?: Date | null;

  /** Goes over its segment again every so many days until cancelled, enrolling newcomers (null: once). */
  @Property({ type: 'integer', nullable: true })
  repeatEveryDays?: number | null;

  /**
   * How many pauses, resumes and cancels the API has sent its run (each tells the run its number): the run's record of its
   * status, made before it took the latest, does not change the status (the API recorded what that steering did).
   */
  @Property({ type: 'integer', default: 0 })
  steerings: number = 0;
}
