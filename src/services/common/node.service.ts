import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import { isUuid } from '../../domain/ids.js';
import type { Customer, Invoice, Segment } from '../../entities/index.js';
import type { InvoiceService } from '../billing/invoice.service.js';
import type { CampaignService, CampaignView } from '../campaigns/campaign.service.js';
import type { CustomerService } from '../customers/customer.service.js';
import type { SegmentService } from '../segments/segment.service.js';

/** The kinds of object a front end refetches by their ID alone: those whose lists page under them. */
export enum NodeKind {
  Customer = 'customer',
  Campaign = 'campaign',
  Invoice = 'invoice',
  Segment = 'segment',
}

/** An object found by its ID alone, as its kind's own single read gives it. */
export type FoundNode =
  | { kind: NodeKind.Customer; value: Customer }
  | { kind: NodeKind.Campaign; value: CampaignView }
  | { kind: NodeKind.Invoice; value: Invoice }
  | { kind: NodeKind.Segment; value: Segment };

/**
 * Finds an object by its ID alone, whatever its kind, for a client cache that refetches what it shows (Relay's `node`).
 * The IDs are random UUIDs the platform makes itself (never a client's or an import file's), so one names at most one
 * object across the tables: one statement looks in each by its primary key, then the kind's own read loads it, as its
 * single read would (a campaign shows the end its run met in the engine). `mayRead` hears the kind before anything of
 * the object is read, and throws when the caller may not read that kind.
 */
export class NodeService {
  constructor(
    private readonly em: EntityManager,
    private readonly customers: CustomerService,
    private readonly campaigns: CampaignService,
    private readonly invoices: InvoiceService,
    private readonly segments: SegmentService,
  ) {}

  /** The object `id` names, or null (a string that is no UUID names none). */
  async find(id: string, mayRead: (kind: NodeKind) => void): Promise<FoundNode | null> {
    const kind = await this.kindOf(id);
    if (!kind) return null;
    mayRead(kind);
    switch (kind) {
      case NodeKind.Customer: {
        const value = await this.customers.find(id);
        return value && { kind, value };
      }
      case NodeKind.Campaign: {
        const value = await this.campaigns.find(id);
        return value && { kind, value };
      }
      case NodeKind.Invoice: {
        const value = await this.invoices.find(id);
        return value && { kind, value };
      }
      case NodeKind.Segment: {
        const value = await this.segments.find(id);
        return value && { kind, value };
      }
    }
  }

  private async kindOf(id: string): Promise<NodeKind | null> {
    if (!isUuid(id)) return null;
    const { rows } = await sql<{ kind: NodeKind }>`
      select ${NodeKind.Customer}::text as kind from customer where id = ${id}::uuid
      union all select ${NodeKind.Campaign}::text from campaign where id = ${id}::uuid
      union all select ${NodeKind.Invoice}::text from invoice where id = ${id}::uuid
      union all select ${NodeKind.Segment}::text from segment where id = ${id}::uuid
      limit 1`.execute(this.em.getKysely());
    return rows[0]?.kind ?? null;
  }
}
