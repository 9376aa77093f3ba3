import { Arg, Ctx, getMetadataStorage, ID, Query, Resolver } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';
import { NodeKind, type FoundNode } from '../../services/common/node.service.js';
import { Allow, assertCallerMay } from '../auth/allow.js';
import { InvoiceResolver } from '../billing/invoice.resolver.js';
import { CampaignResolver } from '../campaigns/campaign.resolver.js';
import { CampaignType } from '../campaigns/campaign.types.js';
import { asNode, NodeInterface } from '../common/node.js';
import type { GraphQLContext } from '../context.js';
import { CustomerResolver } from '../customers/customer.resolver.js';
import { SegmentResolver } from '../segments/segment.resolver.js';
import { SegmentType } from '../segments/segment.types.js';

/**
 * Each kind's GraphQL type and its own single read (`customer(id)`, ...): node(id) lets in whom that query lets in, so the
 * two never differ when its @Allow changes.
 */
const kinds: Record<NodeKind, { typeName: string; resolver: Function; query: string }> = {
  [NodeKind.Customer]: { typeName: 'Customer', resolver: CustomerResolver, query: 'customer' },
  [NodeKind.Campaign]: { typeName: 'Campaign', resolver: CampaignResolver, query: 'campaign' },
  [NodeKind.Invoice]: { typeName: 'Invoice', resolver: InvoiceResolver, query: 'invoice' },
  [NodeKind.Segment]: { typeName: 'Segment', resolver: SegmentResolver, query: 'segment' },
};

/** The roles the kind's own single read allows (its @Allow). */
export function nodeReaders(kind: NodeKind): Role[] {
  const { resolver, query } = kinds[kind];
  const allowed = getMetadataStorage().authorizedFields.find((a) => a.target === resolver && a.fieldName === query);
  if (!allowed) throw new Error(`${query}(id) has no @Allow for node(id) to follow`);
  return allowed.roles as Role[];
}

/** The object as its kind's own single read answers it. */
function asType(found: FoundNode): object {
  switch (found.kind) {
    case NodeKind.Campaign:
      return CampaignType.from(found.value);
    case NodeKind.Segment:
      return SegmentType.from(found.value);
    default:
      return found.value;
  }
}

@Resolver()
export class NodeResolver {
  // Any role may ask; what it finds is then refused to a caller its kind's own query refuses.
  @Allow(Role.Viewer)
  @Query(() => NodeInterface, {
    nullable: true,
    description:
      "The customer, campaign, invoice or segment with this ID (the object's own UUID), as its own query (customer(id), ...) answers it, to whom that query answers it; null when no object has the ID (one that is no UUID is refused, VALIDATION, as every ID argument is). Relay refetches a fragment through it: a customer's timeline, orders or invoices page on from a fragment on Customer",
  })
  async node(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<object | null> {
    const found = await ctx.services.nodes.find(id, (kind) => assertCallerMay(ctx, nodeReaders(kind)));
    return found && asNode(kinds[found.kind].typeName, asType(found));
  }
}
