import { readFileSync } from 'node:fs';
import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  typeFromAST,
  type DocumentNode,
  type GraphQLInputType,
  type OperationDefinitionNode,
} from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { Role } from '../src/domain/auth/roles.js';
import { loadDemoDataIfEmpty } from '../src/dev/demo-loader.js';
import { Customer } from '../src/entities/index.js';
import * as documents from './__generated__/graphql.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * Every document the front end uses, run as an admin with plain values for its required
 * variables, over the demo data: each may answer with a domain error (NOT_FOUND,
 * VALIDATION, CONFLICT), never with an internal one. This is how an operation whose
 * required variable has a default was found failing.
 */
let stack: TestStack;
const schema = buildSchema(readFileSync('schema/schema.graphql', 'utf8'));

beforeAll(async () => {
  stack = await startTestStack();
  await loadDemoDataIfEmpty(stack.orm.em.fork(), 50);
}, 90_000);
afterAll(() => stack?.stop());

/** A plain value of an input type: the first enum value, one list element, the required fields of an input object. */
function sample(type: GraphQLInputType, name: string, ids: Record<string, string>): unknown {
  if (isNonNullType(type)) return sample(type.ofType, name, ids);
  if (isListType(type)) return [sample(type.ofType, name, ids)];
  if (isEnumType(type)) return type.getValues()[0].name;
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields()).filter((f) => isNonNullType(f.type) && f.defaultValue === undefined);
    return Object.fromEntries(fields.map((f) => [f.name, sample(f.type, f.name, ids)]));
  }
  switch (type.name) {
    case 'ID':
      return ids[name] ?? '00000000-0000-4000-8000-000000000000';
    case 'Int':
    case 'SafeInt':
      return name === 'first' ? 5 : 1;
    case 'Float':
      return 1;
    case 'Boolean':
      return true;
    case 'LocalDate':
      return '2026-01-01';
    case 'DateTimeISO':
      return '2026-01-01T00:00:00.000Z';
    case 'JSONObject':
      return {};
    default:
      return name === 'topic' ? 'billing-error' : 'x';
  }
}

it('runs every document without an internal error', async () => {
  const [customer] = await stack.orm.em.fork().find(Customer, {}, { orderBy: { createdAt: 'asc' }, limit: 1 });
  const ids = { customerId: customer.id };
  const failures: { operation: string; message: string }[] = [];
  let operations = 0;
  for (const [exported, value] of Object.entries(documents)) {
    if (!exported.endsWith('Document')) continue;
    const document = value as DocumentNode;
    const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
    const variables: Record<string, unknown> = {};
    for (const definition of operation.variableDefinitions ?? []) {
      if (definition.type.kind !== Kind.NON_NULL_TYPE || definition.defaultValue) continue;
      const name = definition.variable.name.value;
      variables[name] = sample(typeFromAST(schema, definition.type) as GraphQLInputType, name, ids);
    }
    operations++;
    const result = await stack.gql(document as TypedDocumentNode<unknown, Record<string, unknown>>, variables, Role.Admin);
    for (const error of result.errors ?? []) {
      if (error.extensions?.code === 'INTERNAL_SERVER_ERROR') failures.push({ operation: operation.name?.value ?? exported, message: error.message });
    }
  }
  expect(operations).toBeGreaterThan(50);
  expect(failures).toEqual([]);
}, 120_000);
