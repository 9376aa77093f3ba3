import { assertInterfaceType, type GraphQLSchema } from 'graphql';
import { Field, ID, InterfaceType } from 'type-graphql';

/** The GraphQL type name of each object `node(id)` answers with (its resolver names it: the objects are entities and views, not classes of the types). */
const typeNames = new WeakMap<object, string>();

/** `value`, answered by `node(id)` as an object of the GraphQL type `typeName`. */
export function asNode<T extends object>(typeName: string, value: T): T {
  typeNames.set(value, typeName);
  return value;
}

/**
 * Relay's Global Object Identification: an object a client cache can refetch by its ID alone, through `node(id)`. The ID
 * is the object's own, the UUID every other query, argument and input uses, so nothing changes for a client that never
 * asks `node`.
 */
@InterfaceType('Node', {
  description:
    "An object a client cache can refetch by its ID alone, with node(id): what Relay's @refetchable fragments and usePaginationFragment need to page a list under it. The ID is the object's own (a UUID), as every other query and input takes it",
})
export abstract class NodeInterface {
  @Field(() => ID)
  id!: string;
}

/**
 * Gives Node the type names `asNode` recorded. Set on the built schema, not in @InterfaceType: type-graphql wraps a
 * resolveType given there in a promise, and graphql-jit (the API's executor) takes an abstract type's resolveType
 * answer as it comes, so a promise named no type. Changes `schema` in place.
 */
export function withNodeTypes(schema: GraphQLSchema): GraphQLSchema {
  assertInterfaceType(schema.getType('Node')).resolveType = (value) => typeNames.get(value as object);
  return schema;
}
