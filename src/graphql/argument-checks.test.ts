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

  it('takes a null first beside last as a backward page, refuses it without last, and refuses first and last both given, on lists at any depth', () => {
    const eitherWay = 'query($first: Int, $after: String, $last: Int, $before: String) { customers(first: $first, after: $after, last: $last, before: $before) { totalCount } }';
    expect(problems(eitherWay, { first: null, after: null, last: 5, before: null })).toEqual([]);
    expect(problems(eitherWay, { first: 5, after: null, last: null, before: null })).toEqual([]);
    // Nothing sent: first's default, forward.
    expect(problems(eitherWay, {})).toEqual([]);
    const nullFirst = 'first must not be null without last: leave it out for its default (20), or give last (and before) to page backward';
    expect(problems(eitherWay, { first: null, last: null })).toEqual([['customers', 'first', [nullFirst]]]);
    // Without last, before is no backward page either: the null first is what is reported.
    expect(problems(eitherWay, { first: null, before: 'c' })).toEqual([['customers', 'first', [nullFirst]]]);
    expect(problems(eitherWay, { first: 20, last: 5 })).toEqual([['customers', 'last', ['first and last cannot be given together: page forward with first (and after), backward with last (and before)']]]);
    // Written in, and a nested list's (its default 10).
    expect(problems('{ customers(first: null, last: 2) { totalCount } }')).toEqual([]);
    expect(problems(`{ customer(id: "${ID}") { orders(first: null) { totalCount } } }`)).toEqual([
      ['orders', 'first', ['first must not be null without last: leave it out for its default (10), or give last (and before) to page backward']],
    ]);
    // Beside another argument sent null where it is non-null with a default: both named.
    expect(problems('query($first: Int, $rev: Boolean) { apiKeys(first: $first, includeRevoked: $rev) { totalCount } }', { first: null, rev: null })).toEqual([
      ['apiKeys', 'first', ['first must not be null without last: leave it out for its default (20), or give last (and before) to page backward']],
      ['apiKeys', 'includeRevoked', ['includeRevoked must not be null; leave it out for its default (false)']],
    ]);
    // A list that pages forward only keeps its first non-null: a null is refused as for any argument with a default.
    expect(problems('query($first: Int) { runningPlaybookRuns(first: $first) { totalCount } }', { first: null })).toEqual([['runningPlaybookRuns', 'first', ['first must not be null; leave it out for its default (20)']]]);
  });
});
