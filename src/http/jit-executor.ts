import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import {
  astFromValue,
  getNamedType,
  getNullableType,
  getVariableValues,
  GraphQLError,
  isInputObjectType,
  isListType,
  typeFromAST,
  valueFromASTUntyped,
  type ExecutionResult,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SourceLocation,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';

/** A graphql-jit error: a message, where it happened and what was thrown (no AST nodes). */
interface JitError {
  message: string;
  locations?: readonly SourceLocation[];
  path?: readonly (string | number)[];
  originalError?: Error & { extensions?: Record<string, unknown> };
  extensions?: Record<string, unknown>;
}

/**
 * Runs operations with graphql-jit (as Mercurius does): each distinct operation is compiled
 * once into a JavaScript function, instead of graphql-js interpreting the schema for every
 * field of every response, which was the API's largest cost on nested pages
 * (BENCHMARKS.md). It plugs into Apollo Server through the gateway interface, the one place
 * Apollo takes another executor; parsing, validation, the plugins (limits, metrics) and error
 * formatting stay Apollo's.
 */
export function jitExecutor(schema: GraphQLSchema, options: { compiledOperations?: number } = {}): GatewayInterface {
  // Keyed by the operation's text hash and name; bounded, as clients may send any number of distinct operations.
  const compiled = new LRUCache<string, CompiledQuery>({ max: options.compiledOperations ?? 1000 });

  const executor: GatewayExecutor = async ({ document, operation, operationName, queryHash, request, context }) => {
    // No operation to run (an unknown operationName, or several operations and none named): the compiler's errors say which, and Apollo answers them as a bad request.
    if (!operation) {
      const unresolved = compileQuery(schema, document, request.operationName ?? undefined);
      if (!isCompiledQuery(unresolved)) return unresolved;
      return { errors: [new GraphQLError('No operation to run in this document')] };
    }
    // Variables are checked by graphql-js first, so a wrong one is reported exactly as without the compiler
    // (Apollo turns those errors into BAD_USER_INPUT by their AST nodes, which graphql-jit's errors lack).
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
    if (coerced.errors) return { errors: coerced.errors };
    const variables = withInputDefaults(schema, operation, request.variables ?? {});
    const key = `${queryHash}|${operationName ?? ''}`;
    let query = compiled.get(key);
    if (!query) {
      const result = compileQuery(schema, document, operationName ?? undefined);
      if (!isCompiledQuery(result)) return result;
      query = result;
      compiled.set(key, query);
    }
    const result = (await query.query(undefined, context, variables)) as ExecutionResult;
    return result.errors ? { ...result, errors: result.errors.map(toGraphQLError) } : result;
  };

  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => undefined;
    },
    load: async () => ({ executor }),
    stop: async () => undefined,
  };
}

/**
 * The variables with the defaults written in, of omitted variables (`$first: Int! = 20`) and
 * of omitted input-object fields: graphql-jit applies them only where the type is nullable
 * (a required one with a default, such as a page size or an import's `mode`, would be
 * refused as missing).
 */
function withInputDefaults(schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Record<string, unknown>): Record<string, unknown> {
  const fill = (value: unknown, type: GraphQLInputType): unknown => {
    const nullable = getNullableType(type);
    if (value == null) return value;
    if (isListType(nullable)) return Array.isArray(value) ? value.map((item) => fill(item, nullable.ofType)) : fill(value, nullable.ofType);
    if (!isInputObjectType(nullable) || typeof value !== 'object') return value;
    const input = value as Record<string, unknown>;
    const out: Record<string, unknown> = { ...input };
    for (const field of Object.values(nullable.getFields())) {
      if (field.name in input) out[field.name] = fill(input[field.name], field.type);
      else if (field.defaultValue !== undefined) {
        // The default as a client would have sent it (an enum by its name, not its internal value).
        const literal = astFromValue(field.defaultValue, field.type);
        if (literal) out[field.name] = valueFromASTUntyped(literal);
      }
    }
    return out;
  };
  const filled: Record<string, unknown> = { ...variables };
  for (const definition of operation.variableDefinitions ?? []) {
    const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
    const name = definition.variable.name.value;
    if (!(name in variables) && definition.defaultValue) filled[name] = valueFromASTUntyped(definition.defaultValue);
    if (type && isInputObjectType(getNamedType(type)) && name in filled) filled[name] = fill(filled[name], type);
  }
  return filled;
}

/**
 * graphql-js's error class, which Apollo's error handling and our formatter expect, around
 * what a resolver threw (graphql-jit may wrap its own error in another, e.g. when a
 * non-null mutation field fails).
 */
function toGraphQLError(error: GraphQLError | JitError): GraphQLError {
  if (!isJitError(error)) return error as GraphQLError;
  let original = error.originalError;
  while (original && isJitError(original)) original = original.originalError;
  const converted = new GraphQLError(error.message, {
    path: error.path,
    originalError: original,
    extensions: error.extensions ?? original?.extensions,
  });
  // Where in the operation it happened, as graphql-js would report it.
  if (error.locations) Object.defineProperty(converted, 'locations', { value: error.locations, enumerable: true });
  return converted;
}

/** graphql-jit's errors inherit from graphql-js's class but are built without AST nodes and extensions. */
const isJitError = (error: unknown): error is JitError & Error =>
  error instanceof GraphQLError && error.constructor !== GraphQLError && error.constructor.name === 'GraphQLError';
