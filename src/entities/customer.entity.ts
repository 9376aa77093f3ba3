import 'reflect-metadata';
import { OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Trigger } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';
import { money } from './money.js';

export enum ServiceTier {
  Basic = 'basic',
  Standard = 'standard',
  Premium = 'premium',
}

export enum CustomerStatus {
  Active = 'active',
  Offboarding = 'offboarding',
  Offboarded = 'offboarded',
  /** The customer's personal data was erased on request (GDPR Art. 17): no contact of any kind, no playbook. */
  Erased = 'erased',
}

// The customers list is sorted newest first, with the ID as tie-breaker for stable cursors.
@Entity({ tableName: 'customer' })
@Index({ properties: ['createdAt', 'id'], name: 'customer_created_at_id_index' })
@Index({ properties: ['revenueMinor', 'id'], name: 'customer_revenue_minor_id_index' })
// Filtering by churn-risk band or RFM segment reads these, newest first, without probing each customer's scores.
@Index({ properties: ['churnBand', 'createdAt', 'id'], name: 'customer_churn_band_created_at_index' })
@Index({ properties: ['rfmSegment', 'createdAt', 'id'], name: 'customer_rfm_segment_created_at_index' })
// Sorted by name as people read names: case- and accent-aware (ICU's root collation).
@Index({ name: 'customer_name_sort_index', expression: `create index "customer_name_sort_index" on "customer" ("name" collate "und-x-icu", "id")` })
// Text search on name and e-mail ("contains", case-insensitive) uses a trigram index; a line break between the two, so no search matches across them.
@Index({
  name: 'customer_search_trgm_index',
  expression: `create index "customer_search_trgm_index" on "customer" using gin ((lower("name") || chr(10) || lower("email")) gin_trgm_ops)`,
})
// When the customer left, whoever sets the status (the account review, an import), for the retention sweep.
@Trigger({
  name: 'customer_offboarded_at',
  timing: 'before',
  events: ['insert', 'update'],
  expression: `create trigger customer_offboarded_at before insert or update of status on customer for each row execute function customer_offboarded_at()`,
})
// The retention sweep finds customers who left long enough ago.
@Index({
  properties: ['offboardedAt'],
  name: 'customer_offboarded_at_index',
  expression: `create index "customer_offboarded_at_index" on "customer" ("offboarded_at") where "status" = 'offboarded'`,
})
export class Customer {
  [OptionalProps]?: 'serviceTier' | 'status' | 'marketingConsent' | 'timeZone' | 'locale' | 'revenueMinor' | 'offboardedAt' | 'createdAt' | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Identifier in the CRM or billing system the customer was imported from. */
  @Property({ type: 'text', nullable: true, unique: true })
  externalRef?: string | null;

  @Property({ type: 'text' })
  name!: string;

  @Index()
  @Property({ type: 'text' })
  email!: string;

  @Property({ type: 'text', nullable: true })
  phone?: string | null;

  /** IANA zone, used for quiet hours. */
  @Property({ type: 'text' })
  timeZone: string = 'UTC';

  /** The customer's language, a BCP 47 tag (`de`, `de-AT`): messages are written in it where a translation exists. */
  @Property({ type: 'text', default: 'en' })
  locale: string = 'en';

  @Index()
  @Enum({ items: () => ServiceTier, nativeEnumName: 'service_tier' })
  serviceTier: ServiceTier = ServiceTier.Standard;

  /** The tier this platform moved the customer from (a proposal they accepted), until the CRM's exports agree: an export still carrying it does not put it back. */
  @Enum({ items: () => ServiceTier, nativeEnumName: 'service_tier', nullable: true })
  tierChangedFrom?: ServiceTier | null;

  @Index()
  @Enum({ items: () => CustomerStatus, nativeEnumName: 'customer_status' })
  status: CustomerStatus = CustomerStatus.Active;

  @Property({ type: 'boolean' })
  marketingConsent: boolean = false;

  /** Who brought this customer in (referral value). */
  @Index()
  @ManyToOne({ entity: () => Customer, nullable: true, deleteRule: 'set null' })
  referrer?: Rel<Customer> | null;

  @Index()
  @Property({ type: 'date' })
  acquiredAt!: string;

  /** Lifetime order total in minor units, kept current by database triggers on orders; never set by the application. */
  @Property({ type: money(), default: 0 })
  revenueMinor: number = 0;

  /**
   * The current churn-risk band and RFM segment, copied from current_score by a database
   * trigger whenever they change (migration 20261201020000); never set by the application.
   */
  @Property({ type: 'text', nullable: true })
  churnBand?: string | null;

  @Property({ type: 'text', nullable: true })
  rfmSegment?: string | null;

  /** When the customer left (status offboarded), kept by a database trigger (migration 20261202070000); never set by the application. */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  offboardedAt?: Date | null;

  @Property({ type: 'timestamptz', length: 3 })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', length: 3, onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
