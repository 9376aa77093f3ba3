import { buildSchema, graphql } from 'graphql';
import { withCanonicalIds } from './canonical-ids.js';

const UPPER = '9482596F-6373-410A-AD98-C005CF8A7A69';
const lower = UPPER.toLowerCase();

/** A schema whose fields answer the arguments they were given. */
function echoSchema() {
  const schema = buildSchema(`
    input Filter { customerId: ID, tags: [String!], inner: [Inner!] }
    input Inner { id: ID! }
    type Query {
      echo(id: ID, ids: [ID!], filter: Filter, name: String): String
      run(workflowId: ID!): String
      plain: String
    }
  `);
  const fields = schema.getQueryType()!.getFields();
  const echo = (_: unknown, args: unknown) => JSON.stringify(args);
  fields.echo.resolve = echo;
  fields.run.resolve = echo;
  fields.run.extensions = { workflowIdArgs: true };
  fields.plain.resolve = () => 'plain';
  return { schema: withCanonicalIds(schema), fields };
}

describe('withCanonicalIds', () => {
  it('hands every UUID in an ID argument to the resolver in lower case, nested and in lists too, and nothing else', async () => {
    const { schema } = echoSchema();
    const result = await graphql({
      schema,
      source: `query($f: Filter) { echo(id: "${UPPER}", ids: ["${UPPER}", "not-a-uuid"], filter: $f, name: "${UPPER}") }`,
      variableValues: { f: { customerId: UPPER, tags: [UPPER], inner: [{ id: UPPER }] } },
    });
    expect(JSON.parse(result.data!.echo as string)).toEqual({ id: lower, ids: [lower, 'not-a-uuid'], filter: { customerId: lower, tags: [UPPER], inner: [{ id: lower }] }, name: UPPER });
  });

  it('takes a workflow ID as given, and leaves fields without an ID argument as they were', async () => {
    const { schema, fields } = echoSchema();
    const result = await graphql({ schema, source: `{ run(workflowId: "account-review/${UPPER}") plain }` });
    expect(JSON.parse(result.data!.run as string)).toEqual({ workflowId: `account-review/${UPPER}` });
    expect(result.data!.plain).toBe('plain');
    expect(fields.plain.resolve!.toString()).toBe("() => 'plain'");
  });
});
