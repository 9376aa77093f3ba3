import { defaultFieldResolver, getNamedType, isInputObjectType, isListType, isNonNullType, isObjectType, type GraphQLInputType, type GraphQLSchema } from 'graphql';
import { isUuid } from '../domain/ids.js';

/** Per input type: whether a value of it may hold an ID (an import row holds none: its 10,000 rows are not walked). */
const holdsIdCache = new WeakMap<object, boolean>();
function holdsId(type: GraphQLInputType): boolean {
  const named = getNamedType(type);
  if (!isInputObjectType(named)) return named.name === 'ID';
  if (!holdsIdCache.has(named)) {
    holdsIdCache.set(named, false); // An input type that holds itself: its other fields decide.
    holdsIdCache.set(named, Object.values(named.getFields()).some((f) => holdsId(f.type)));
  }
  return holdsIdCache.get(named)!;
}

/** `value` of `type` with every UUID in an ID in lower case, as the database and the API give them; changed in place. */
function canonical(value: unknown, type: GraphQLInputType): unknown {
  if (value == null || !holdsId(type)) return value;
  if (isNonNullType(type)) return canonical(value, type.ofType);
  if (isListType(type)) return Array.isArray(value) ? value.map((item) => canonical(item, type.ofType)) : canonical(value, type.ofType);
  if (isInputObjectType(type)) {
    if (typeof value !== 'object') return value;
    const fields = type.getFields();
    for (const [name, item] of Object.entries(value)) if (fields[name]) (value as Record<string, unknown>)[name] = canonical(item, fields[name].type);
    return value;
  }
  return typeof value === 'string' && isUuid(value) ? value.toLowerCase() : value;
}

/**
 * A UUID is the same ID whatever its case, as PostgreSQL compares them; the services build workflow IDs, message keys and
 * search attributes from the text they get, where case counts. So every ID argument reaches them in lower case: an ID in
 * capitals names the same customer's run, never a second run beside it. Only the fields with an ID argument are wrapped
 * (a plain field stays as cheap as it was); workflow IDs (`workflowIdArgs`) are taken as given. Changes `schema` in place.
 */
export function withCanonicalIds(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.extensions?.workflowIdArgs || !field.args.some((arg) => holdsId(arg.type))) continue;
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args: Record<string, unknown>, context, info) => {
        for (const arg of field.args) if (args[arg.name] != null) args[arg.name] = canonical(args[arg.name], arg.type);
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}
