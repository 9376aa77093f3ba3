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
import { sql } from 'kysely';
import { Role } from '../src/domain/auth/roles.js';
import { loadDemoDataIfEmpty } from '../src/dev/demo-loader.js';
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
  // A seed of its own: customer IDs follow the seed, and runs it starts (workflow IDs name the customer) must not be those of other test files on the same Temporal server.
  await loadDemoDataIfEmpty(stack.orm.em.fork(), 50, { seed: 20261202 });
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

/** Stored IDs for the documents' ID variables, so they reach past "not found": by variable name, and for `id` by what the operation is about. */
async function storedIds(): Promise<{ byName: Record<string, string>; idFor: (operation: string) => string | undefined }> {
  const db = stack.orm.em.fork().getKysely();
  const one = async (query: ReturnType<typeof sql<{ id: string }>>) => (await query.execute(db)).rows[0]?.id;
  // The customer with the most unpaid invoices and complaints, and one of each other thing the documents name.
  const customerId = await one(sql`
    select c.id from customer c
     order by (select count(*) from invoice i where i.customer_id = c.id and i.paid_at is null) desc, (select count(*) from complaint k where k.customer_id = c.id) desc, c.id
     limit 1`);
  const invoiceId = await one(sql`select id from invoice where customer_id = ${customerId}::uuid and paid_at is null limit 1`);
  const complaintId = await one(sql`select id from complaint order by customer_id = ${customerId}::uuid desc, id limit 1`);
  const offerId = await one(sql`select id from offer limit 1`);
  const created = await stack.gql(documents.CreateCampaignDocument, { input: { name: 'Smoke', playbook: 'Appreciation', filter: { serviceTier: ['Premium'] } } }, Role.Marketer);
  const campaignId = created.data!.createCampaign.id;
  const segment = await stack.gql(documents.CreateSegmentDocument, { input: { name: 'Smoke', filter: { riskBand: ['high'] } } }, Role.Marketer);
  const segmentId = segment.data!.createSegment.id;
  const ids: Record<string, string | undefined> = { customerId, invoiceId, complaintId, offerId, campaignId, segmentId };
  const byName = Object.fromEntries(Object.entries(ids).filter((e): e is [string, string] => e[1] !== undefined));
  const idFor = (operation: string) =>
    /Segment/.test(operation) ? segmentId : /Campaign/.test(operation) ? campaignId : /Complaint/.test(operation) ? complaintId : /Offer/.test(operation) ? offerId : /Customer|OptOut/.test(operation) ? customerId : undefined;
  return { byName, idFor };
}

/** Reads first, then changes, and last what ends a thing (erasing the customer, discarding the campaign), so each reaches as far as it can. */
const rank = (operation: OperationDefinitionNode) => (operation.operation === 'query' ? 0 : /^(Erase|Discard|Cancel|Delete)/.test(operation.name?.value ?? '') ? 2 : 1);

it('runs every document without an internal error', async () => {
  const { byName, idFor } = await storedIds();
  const operations = Object.entries(documents)
    .filter(([exported]) => exported.endsWith('Document'))
    .map(([, value]) => (value as DocumentNode).definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!)
    .sort((a, b) => rank(a) - rank(b));
  const failures: { operation: string; message: string }[] = [];
  for (const operation of operations) {
    const name = operation.name!.value;
    const variables: Record<string, unknown> = {};
    for (const definition of operation.variableDefinitions ?? []) {
      if (definition.type.kind !== Kind.NON_NULL_TYPE || definition.defaultValue) continue;
      const variable = definition.variable.name.value;
      const id = variable === 'id' ? idFor(name) : undefined;
      variables[variable] = id ?? sample(typeFromAST(schema, definition.type) as GraphQLInputType, variable, byName);
    }
    const document: DocumentNode = { kind: Kind.DOCUMENT, definitions: (documents as Record<string, DocumentNode>)[`${name}Document`].definitions };
    const result = await stack.gql(document as TypedDocumentNode<unknown, Record<string, unknown>>, variables, Role.Admin);
    for (const error of result.errors ?? []) {
      if (error.extensions?.code === 'INTERNAL_SERVER_ERROR') failures.push({ operation: name, message: error.message });
    }
  }
  expect(operations.length).toBeGreaterThan(50);
  expect(failures).toEqual([]);
}, 120_000);
