import 'reflect-metadata';
import { OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';
import { Campaign } from './campaign.entity.js';
import { Customer } from './customer.entity.js';
import { RunStatus } from '../domain/playbooks/run-status.js';

/** Where one customer's run of one playbook stands; written only by the workflow's activities. */
@Entity({ tableName: 'playbook_run' })
export class PlaybookRun {
  [OptionalProps]?: 'status' | 'startedAt' | 'outcome' | 'finishedAt' | 'campaign' | 'finalState';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Temporal workflow ID, e.g. `welcome-check/<customer>`: one run per customer and trigger. */
  @Property({ type: 'text', unique: true })
  workflowId!: string;

  @Index()
  @Property({ type: 'text' })
  playbook!: string;

  @Index()
  @ManyToOne({ entity: () => Customer, deleteRule: 'cascade' })
  customer!: Rel<Customer>;

  /** The campaign whose start created the run (its `CampaignId` tag), recorded with its start; null for the sweep's and a person's, and for runs recorded before it was. */
  @Index()
  @ManyToOne({ entity: () => Campaign, nullable: true, deleteRule: 'set null' })
  campaign?: Rel<Campaign> | null;

  @Enum({ items: () => RunStatus, nativeEnumName: 'playbook_run_status' })
  status: RunStatus = RunStatus.Running;

  @Property({ type: 'text', nullable: true })
  outcome?: string | null;

  @Property({ type: 'timestamptz', length: 3 })
  startedAt: Date = new Date();

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  finishedAt?: Date | null;

  /**
   * The run's state as it ended (its `state` query's answer then; a cancelled run's at the step it stopped at), written
   * as it records its end: what the API shows of it once Temporal has deleted the closed execution (after the namespace's
   * retention). Null while it runs, for a run ended in the engine (terminated, failed, timed out), and for runs ended
   * before it was kept. Holds IDs, keys and the run's own texts; an erasure scrubs it as it scrubs other stored texts.
   */
  @Property({ type: 'jsonb', nullable: true })
  finalState?: Record<string, unknown> | null;
}
