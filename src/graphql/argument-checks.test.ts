import 'reflect-metadata';
import { Kind, parse, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { argumentProblemsOf } from './argument-checks.js';
import { createSchema } from './schema.js';

/** The rules every argument of the API's schema follows, on documents as clients send them. */
let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await createSchema();
});

const ID = '3f2b8c1e-9a4d-4c2e-8b1f-0a1b2c3d4e5f';

function problems(source: string, variables?: Record<string, unknown>) {
  const document = parse(source);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  return argumentProblemsOf(schema, operation, fragments, variables).map(({ node, error }) => [node.name.value, error.property, Object.values(error.constraints!)]);
}

describe('argumentProblemsOf', () => {
  it('refuses an ID that is not a UUID, as an argument or inside an input, literal or variable', () => {
    expect(problems('{ customer(id: "abc") { id } }')).toEqual([['customer', 'id', ['id is not an ID (a UUID)']]]);
    expect(problems('mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }', { input: { name: 'C', playbook: 'Appreciation', segmentId: 'not-a-uuid' } })).toEqual([
      ['createCampaign', 'input.segmentId', ['input.segmentId is not an ID (a UUID)']],
    ]);
    // An ID given as a number is coerced to its text first, which is no UUID either.
    expect(problems('query($id: ID!) { campaign(id: $id) { id } }', { id: 42 })).toEqual([['campaign', 'id', ['id is not an ID (a UUID)']]]);
    expect(problems(`{ customer(id: "${ID}") { id } campaign(id: "${ID.toUpperCase()}") { id } }`)).toEqual([]);
    // A variable's default in the document counts as sent.
    expect(problems('query($id: ID = "abc") { customer(id: $id) { id } }')).toEqual([['customer', 'id', ['id is not an ID (a UUID)']]]);
  });

  it('takes the workflow IDs of scoring runs as given', () => {
    expect(problems('{ scoringRun(id: "rescore/2026-01-01") { id } }')).toEqual([]);
    expect(problems('mutation { cancelRescore(id: "rescore/x") { id } }')).toEqual([]);
  });

  it('refuses a NUL character in any text: arguments, input fields, list items, fields inside fragments', () => {
    expect(problems('mutation($reason: String!) { cancelPlaybookRun(workflowId: "w", reason: $reason) { workflowId } }', { reason: 'a\u0000b' })).toEqual([
      ['cancelPlaybookRun', 'reason', ['reason contains a NUL character']],
    ]);
    expect(problems('{ ...Q } fragment Q on Query { customers(filter: { search: "a\\u0000", scores: [{ kind: Rfm, bands: ["Loyal", "x\\u0000"] }] }) { totalCount } }')).toEqual([
      ['customers', 'filter.search', ['filter.search contains a NUL character']],
      ['customers', 'filter.scores.0.bands.1', ['filter.scores.0.bands.1 contains a NUL character']],
    ]);
    expect(problems('{ customers(filter: { search: "a" }) { totalCount } }')).toEqual([]);
    // One value where a list is expected is a list of one, as GraphQL takes it.
    expect(problems('query($scores: [ScoreFilterInput!]) { customers(filter: { scores: $scores }) { totalCount } }', { scores: { kind: 'Rfm', bands: 'x\u0000' } })).toEqual([
      ['customers', 'filter.scores.0.bands.0', ['filter.scores.0.bands.0 contains a NUL character']],
    ]);
  });

  it('leaves a NUL in import rows to the import, which refuses such a row alone', () => {
    expect(problems('mutation { importCustomers(rows: [{ customerRef: "A", name: "a\\u0000", email: "a@example.com" }]) { rowsRead } }')).toEqual([]);
    expect(problems('mutation { importCsv(input: { kind: Customers, csv: "customer_ref\\na\\u0000" }) { rowsRead } }')).toEqual([]);
  });

  it('leaves variables that do not fit their types to execution, which refuses them', () => {
    expect(problems('query($id: ID!) { customer(id: $id) { id } }', {})).toEqual([]);
  });
});
