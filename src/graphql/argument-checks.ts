import type { ApolloServerPlugin } from '@apollo/server';
import { ValidationError } from 'class-validator';
import {
  getArgumentValues,
  getNamedType,
  getVariableValues,
  GraphQLError,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DefinitionNode,
  type FieldNode,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import { isUuid } from '../domain/ids.js';

/**
 * Extension of a query or mutation whose ID arguments are Temporal workflow IDs
 * (a scoring run's `rescore/...`), not UUIDs: their services look them up as given.
 */
export const WORKFLOW_ID_ARGS = { workflowIdArgs: true } as const;

/**
 * Extension of an input type whose text may hold a NUL character: the import refuses
 * such a row itself, as one bad row of the file, instead of refusing the whole request.
 */
export const NUL_REFUSED_PER_ROW = { nulRefusedPerRow: true } as const;

interface Broken {
  node: FieldNode;
  error: ValidationError;
}

/**
 * Rules every argument follows, whatever the field, checked once per request for the
 * whole document (nested fields too, not once per row): an `ID` is a UUID, and no text
 * holds a NUL character, which PostgreSQL cannot store. A malformed ID or a NUL would
 * otherwise surface as a database error, or as a different answer in each service.
 */
export function argumentProblemsOf(schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: readonly DefinitionNode[], variables: Record<string, unknown> | undefined): Broken[] {
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
  // Variables that do not fit their types: execution refuses them next, with BAD_USER_INPUT and no resolver run.
  if (coerced.errors) return [];
  const typeInfo = new TypeInfo(schema);
  const broken: Broken[] = [];
  const document = { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] } as const;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const field = typeInfo.getFieldDef();
        if (!field?.args.length) return;
        let values: Record<string, unknown>;
        try {
          values = getArgumentValues(field, node, coerced.coerced);
        } catch {
          return; // A value graphql-js itself refuses, reported by execution.
        }
        const uuidIds = !field.extensions?.workflowIdArgs;
        for (const arg of field.args) {
          for (const error of problems(values[arg.name], arg.type, arg.name, { uuidIds, nulAllowed: false })) broken.push({ node, error });
        }
      },
    }),
  );
  return broken;
}

function* problems(value: unknown, type: GraphQLInputType, path: string, rules: { uuidIds: boolean; nulAllowed: boolean }): Generator<ValidationError> {
  if (value == null) return;
  if (isNonNullType(type)) return yield* problems(value, type.ofType, path, rules);
  if (isListType(type)) {
    for (const [i, item] of (value as unknown[]).entries()) yield* problems(item, type.ofType, `${path}.${i}`, rules);
    return;
  }
  if (isInputObjectType(type)) {
    const inner = { ...rules, nulAllowed: rules.nulAllowed || Boolean(type.extensions?.nulRefusedPerRow) };
    for (const [name, field] of Object.entries(type.getFields())) yield* problems((value as Record<string, unknown>)[name], field.type, `${path}.${name}`, inner);
    return;
  }
  if (typeof value !== 'string') return;
  if (getNamedType(type).name === 'ID' && rules.uuidIds && !isUuid(value)) yield broken(path, { isId: `${path} is not an ID (a UUID)` });
  else if (!rules.nulAllowed && value.includes('\0')) yield broken(path, { noNul: `${path} contains a NUL character` });
}

const broken = (property: string, constraints: Record<string, string>) => Object.assign(new ValidationError(), { property, constraints, children: [] });

/** Refuses a request with a malformed ID or a NUL character in any argument before any resolver runs: VALIDATION with the field. */
export function argumentChecksPlugin(schema: GraphQLSchema): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, operation }) {
          // No operation of that name: execution reports it.
          if (!operation) return;
          const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
          const found = argumentProblemsOf(schema, operation, fragments, request.variables);
          if (!found.length) return;
          // Shaped by the error formatter as every broken argument rule is (VALIDATION, INVALID_ARGUMENT, field, fields),
          // and answered with HTTP 200 as those are: a front end reads it as a GraphQL error, not as a failed request.
          throw new GraphQLError('Input is not valid', {
            nodes: [...new Set(found.map((b) => b.node))],
            originalError: new ArgumentValidationError(found.map((b) => b.error)),
            extensions: { http: { status: 200 } },
          });
        },
      };
    },
  };
}
