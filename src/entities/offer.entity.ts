import 'reflect-metadata';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';
import { ServiceTier } from './customer.entity.js';

export enum OfferAudience {
  NewCustomers = 'new',
  ExistingCustomers = 'existing',
  Everyone = 'all',
}

/** Something the company offers, to whom and when; fairness compares offers across audiences. */
@Entity({ tableName: 'offer' })
@Index({ properties: ['audience', 'validFrom'], name: 'offer_audience_valid_from_index' })
export class Offer {
  [OptionalProps]?: 'createdAt' | 'translatedNames';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text', unique: true })
  code!: string;

  @Property({ type: 'text' })
  name!: string;

  /** Its name in other languages, by language (`de`: the primary subtag of a customer's locale); messages in one quote it so. Null: the one name. */
  @Property({ type: 'jsonb', nullable: true })
  translatedNames?: Record<string, string> | null;

  @Property({ type: 'text', nullable: true })
  description?: string | null;

  @Enum({ items: () => OfferAudience, nativeEnumName: 'offer_audience' })
  audience!: OfferAudience;

  /** Discount in percent, when the offer is a price reduction. */
  @Property({ type: 'integer', nullable: true })
  discountPercent?: number | null;

  /** The service tier the offer moves a customer to, when it is a change of service. */
  @Enum({ items: () => ServiceTier, nativeEnumName: 'service_tier', nullable: true })
  serviceTier?: ServiceTier | null;

  @Property({ type: 'date' })
  validFrom!: string;

  @Property({ type: 'date', nullable: true })
  validUntil?: string | null;

  /**
   * The last day `endOffer` gave it here, until the source system's exports agree: an offers
   * import does not take a later `valid_until` (nor an open end) over it; one on or before it ends the hold.
   */
  @Property({ type: 'date', nullable: true })
  endedHereOn?: string | null;

  @Property({ type: 'timestamptz', length: 3 })
  createdAt: Date = new Date();
}
