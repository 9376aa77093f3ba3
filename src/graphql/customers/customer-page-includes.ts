import { getArgumentValues, Kind, type FieldNode, type GraphQLObjectType, type GraphQLResolveInfo, type SelectionNode } from 'graphql';
import type { CustomerPageIncludes } from '../../services/customers/customer.service.js';

/**
 * What a customers query asks of each customer on the page, so the service reads it in
 * the page's own statement (as Vendure derives relations from the selection): the latest
 * scores, and the orders when every selection of them asks for the same page. Anything
 * else the nested resolvers batch as usual.
 */
export function customerPageIncludes(info: GraphQLResolveInfo): CustomerPageIncludes {
  const edges = fieldsNamed(info, info.fieldNodes.flatMap(selectionsOf), 'edges');
  const customer = fieldsNamed(info, edges.flatMap(selectionsOf), 'node').flatMap(selectionsOf);
  const ordersField = (info.schema.getType('Customer') as GraphQLObjectType).getFields().orders;
  const orders = fieldsNamed(info, customer, 'orders').map((node) => getArgumentValues(ordersField, node, info.variableValues));
  const samePage = orders.length > 0 && orders.every((args) => args.first === orders[0].first && args.after === orders[0].after);
  return {
    scores: fieldsNamed(info, customer, 'scores').length > 0,
    orders: samePage ? { first: orders[0].first as number, after: (orders[0].after as string | undefined) ?? null } : null,
  };
}

const selectionsOf = (node: { selectionSet?: { selections: readonly SelectionNode[] } }): readonly SelectionNode[] => node.selectionSet?.selections ?? [];

/** The fields of that name among the selections, looking into fragments. */
function fieldsNamed(info: GraphQLResolveInfo, selections: readonly SelectionNode[], name: string): FieldNode[] {
  return selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return selection.name.value === name ? [selection] : [];
    if (selection.kind === Kind.INLINE_FRAGMENT) return fieldsNamed(info, selection.selectionSet.selections, name);
    const fragment = info.fragments[selection.name.value];
    return fragment ? fieldsNamed(info, fragment.selectionSet.selections, name) : [];
  });
}
