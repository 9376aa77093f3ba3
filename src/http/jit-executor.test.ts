import { ApolloServer } from '@apollo/server';
import { buildSchema, GraphQLError, type GraphQLFormattedError, type GraphQLObjectType } from 'graphql';
import { jitExecutor } from './jit-executor.js';

/** A failure a resolver throws, with its own code (as our domain exceptions carry). */
class Refused extends Error {
  readonly code = 'REFUSED';
}

const schema = buildSchema(`
  enum Mode { STRICT LENIENT }
  input Job { name: String!, mode: Mode! = STRICT, tags: [String!] }
  type Page { total: Int! }
  type Query { page: Page!, failing: String, mode(job: Job!): String! }
  type Mutation { refuse: String! }
`);
const fail = (message: string) => () => {
  throw new Refused(message);
};
type Resolver = (root: { total: Promise<number> }, args: { job: { name: string; mode: string } }) => unknown;
const resolvers: Record<string, Record<string, Resolver>> = {
  Query: {
    // A lazily counted total: a getter that starts the count when read, as our connections' totalCount.
    page: () => ({
      get total() {
        return Promise.resolve(42);
      },
    }),
    failing: fail('no'),
    mode: (_root, { job }) => `${job.name}:${job.mode}`,
  },
  Mutation: { refuse: fail('refused') },
  // A resolver, not a plain property: graphql-jit awaits what resolvers return.
  Page: { total: (page) => page.total },
};
for (const [typeName, fields] of Object.entries(resolvers)) {
  const type = schema.getType(typeName) as GraphQLObjectType;
  for (const [name, resolve] of Object.entries(fields)) type.getFields()[name].resolve = resolve;
}

/** Like our error formatter: the thrown error's code, found under the GraphQL wrappers. */
function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  let cause = error;
  while (cause instanceof GraphQLError && cause.originalError) cause = cause.originalError;
  return cause instanceof Refused ? { ...formatted, extensions: { code: cause.code } } : formatted;
}

const server = new ApolloServer({ gateway: jitExecutor(schema), formatError });
beforeAll(() => server.start());
afterAll(() => server.stop());

async function answer(query: string, variables?: Record<string, unknown>, operationName?: string) {
  const response = await server.executeOperation({ query, variables, operationName });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return { status: response.http.status, result: response.body.singleResult };
}

const run = async (query: string, variables?: Record<string, unknown>) => (await answer(query, variables)).result;

describe('operations compiled by graphql-jit behind Apollo', () => {
  it('answers a query, awaiting a field resolved from a getter', async () => {
    expect(await run('{ page { total } }')).toMatchObject({ data: { page: { total: 42 } } });
  });

  it('fills in the default of a required input field the client left out', async () => {
    const result = await run('query ($job: Job!) { mode(job: $job) }', { job: { name: 'a' } });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ mode: 'a:STRICT' });
    expect((await run('query ($job: Job!) { mode(job: $job) }', { job: { name: 'b', mode: 'LENIENT' } })).data).toEqual({ mode: 'b:LENIENT' });
  });

  it('fills in the default of a required variable the client left out, and of its input fields', async () => {
    expect((await run('query ($job: Job! = { name: "d" }) { mode(job: $job) }')).data).toEqual({ mode: 'd:STRICT' });
    expect((await run('query ($job: Job! = { name: "d", mode: LENIENT }) { mode(job: $job) }')).data).toEqual({ mode: 'd:LENIENT' });
    expect((await run('query ($job: Job! = { name: "d" }) { mode(job: $job) }', { job: { name: 'e' } })).data).toEqual({ mode: 'e:STRICT' });
  });

  it('reports a wrong variable as BAD_USER_INPUT, before running anything', async () => {
    const result = await run('query ($job: Job!) { mode(job: $job) }', { job: { mode: 'STRICT' } });
    expect(result.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    expect(result.errors![0].message).toMatch(/name/);
  });

  it('answers a request that names no operation it can run as a bad request, not a server error', async () => {
    expect(await answer('{ page { total } }', undefined, 'Nope')).toMatchObject({
      status: 400,
      result: { errors: [{ message: 'Unknown operation named "Nope".', extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }] },
    });
    expect(await answer('query A { page { total } } query B { failing }')).toMatchObject({
      status: 400,
      result: { errors: [{ message: 'Must provide operation name if query contains multiple operations.', extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }] },
    });
    expect((await answer('query A { page { total } } query B { failing }', undefined, 'A')).result.data).toEqual({ page: { total: 42 } });
  });

  it("keeps a resolver's error under the GraphQL error, with path and location", async () => {
    const query = await run('{ failing }');
    expect(query.data).toEqual({ failing: null });
    expect(query.errors![0]).toMatchObject({ message: 'no', path: ['failing'], locations: [{ line: 1, column: 3 }], extensions: { code: 'REFUSED' } });
    // A required mutation field fails the whole result; graphql-jit wraps its error once more.
    const mutation = await run('mutation { refuse }');
    expect(mutation.data).toBeNull();
    expect(mutation.errors![0]).toMatchObject({ message: 'refused', extensions: { code: 'REFUSED' } });
  });
});
