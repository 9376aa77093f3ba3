import { getArgumentValues, type GraphQLObjectType, type GraphQLResolveInfo } from 'graphql';
import type { CustomerPageIncludes } from '../../services/customers/customer.service.js';
import { fieldsNamed, selectedFields, selectionsOf } from '../common/selection.js';

/**
 * What a customers query asks of each customer on the page, so the service reads it in
 * the page's own statement (as Vendure derives relations from the selection): the
 * customer's selected fields, its latest scores, and its orders when every selection of
 * them asks for the same page. Anything else the nested resolvers batch as usual.
 */
export function customerPageIncludes(info: GraphQLResolveInfo): CustomerPageIncludes {
  const edges = fieldsNamed(info, info.fieldNodes.flatMap(selectionsOf), 'edges');
  const nodes = fieldsNamed(info, edges.flatMap(selectionsOf), 'node');
  const customer = nodes.flatMap(selectionsOf);
  const ordersField = (info.schema.getType('Customer') as GraphQLObjectType).getFields().orders;
  const orders = fieldsNamed(info, customer, 'orders');
  const ordersArgs = orders.map((node) => getArgumentValues(ordersField, node, info.variableValues));
  // A first page forward only (a backward one, or one after a cursor, is read by the orders field itself).
  const samePage = ordersArgs.length > 0 && ordersArgs.every((args) => args.first === ordersArgs[0].first && args.after == null && args.last == null && args.before == null);
  const scores = fieldsNamed(info, customer, 'scores');
  return {
    fields: selectedFields(info, 'edges', 'node'),
    // The same field lists the nested resolvers compute (selectedFields on their own selection), so the primed pages are theirs.
    scores: scores.length > 0 ? { fields: fieldsBelow(info, scores) } : null,
    orders: samePage ? { page: { first: ordersArgs[0].first as number, after: null }, fields: fieldsBelow(info, orders, 'edges', 'node') } : null,
  };
}

/** selectedFields for other field nodes than the resolver's own. */
const fieldsBelow = (info: GraphQLResolveInfo, fieldNodes: GraphQLResolveInfo['fieldNodes'], ...path: string[]) => selectedFields({ ...info, fieldNodes }, ...path);
