import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionNode } from 'graphql';

/**
 * The names of the fields a client selected below the current field, at `path` (for a
 * connection: ['edges', 'node']), looking into fragments. Services read only those
 * properties (as an ORM's partial loading does), so PostgreSQL formats and Node parses
 * no column a client did not ask for. Cached per operation field: a page's fifty nested
 * resolver calls share one answer.
 */
export function selectedFields(info: GraphQLResolveInfo, ...path: string[]): readonly string[] {
  const key = path.join('.');
  let byPath = cache.get(info.fieldNodes);
  if (!byPath) cache.set(info.fieldNodes, (byPath = new Map()));
  let fields = byPath.get(key);
  if (!fields) {
    const nodes = path.reduce<readonly FieldNode[]>((at, name) => fieldsNamed(info, at.flatMap(selectionsOf), name), info.fieldNodes);
    fields = [...new Set(allFields(info, nodes.flatMap(selectionsOf)).map((f) => f.name.value))].sort();
    byPath.set(key, fields);
  }
  return fields;
}

const cache = new WeakMap<readonly FieldNode[], Map<string, readonly string[]>>();

export const selectionsOf = (node: { selectionSet?: { selections: readonly SelectionNode[] } }): readonly SelectionNode[] => node.selectionSet?.selections ?? [];

/** The fields of that name among the selections, looking into fragments. */
export function fieldsNamed(info: GraphQLResolveInfo, selections: readonly SelectionNode[], name: string): FieldNode[] {
  return allFields(info, selections).filter((field) => field.name.value === name);
}

function allFields(info: GraphQLResolveInfo, selections: readonly SelectionNode[]): FieldNode[] {
  return selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection];
    if (selection.kind === Kind.INLINE_FRAGMENT) return allFields(info, selection.selectionSet.selections);
    const fragment = info.fragments[selection.name.value];
    return fragment ? allFields(info, fragment.selectionSet.selections) : [];
  });
}
