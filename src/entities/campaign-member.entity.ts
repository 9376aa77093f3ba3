import 'reflect-metadata';
import { OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { Campaign } from './campaign.entity.js';
import { Customer } from './customer.entity.js';

export enum CampaignGroup {
  Treated = 'treated',
  Holdout = 'holdout',
}

/** A customer enrolled in a campaign: once (the primary key), in the treated or the holdout group. */
@Entity({ tableName: 'campaign_member' })
@Index({ properties: ['customer'], name: 'campaign_member_customer_id_index' })
export class CampaignMember {
  [OptionalProps]?: 'pass';

  @ManyToOne({ entity: () => Campaign, primary: true, deleteRule: 'cascade' })
  campaign!: Rel<Campaign>;

  @ManyToOne({ entity: () => Customer, primary: true, deleteRule: 'cascade' })
  customer!: Rel<Customer>;

  @Enum({ items: () => CampaignGroup, nativeEnumName: 'campaign_group' })
  group!: CampaignGroup;

  @Property({ type: 'timestamptz', length: 3 })
  enrolledAt!: Date;

  /** The pass over the segment that enrolled them (a repeating campaign's; 1 for one that runs once). */
  @Property({ type: 'integer', default: 1 })
  pass: number = 1;

  /** The playbook run a treated customer got (null for the holdout). */
  @Property({ type: 'text', nullable: true })
  workflowId?: string | null;
}
