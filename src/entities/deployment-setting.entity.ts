import 'reflect-metadata';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * A setting the stored data depends on:
 * `currency`, recorded by the first process that used the database, the one every amount is in (amounts are stored as minor units without one, so a
 * process started with another `CURRENCY` would relabel them all; it refuses to start instead);
 * `runs-name-campaign-since`, recorded by a migration: since when the runs' records name the campaign that
 * started them (an ISO time, or `-infinity`; see CampaignService's outcome);
 * `cursor-key`, made by the first API to start: the key that seals the API's page cursors (cursor-key.ts).
 */
@Entity({ tableName: 'deployment_setting' })
export class DeploymentSetting {
  @PrimaryKey({ type: 'text' })
  name!: string;

  @Property({ type: 'text' })
  value!: string;

  @Property({ type: 'timestamptz', length: 3 })
  recordedAt!: Date;
}
