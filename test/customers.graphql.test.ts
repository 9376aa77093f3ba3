import { Customer } from '../src/entities/index.js';
import { Role } from '../src/domain/auth/roles.js';
import { CustomerDocument, CustomersDocument, type CustomersQuery } from './__generated__/graphql.js';
import { startTestStack, type TestStack } from './support/stack.js';

let stack: TestStack;
const ids: string[] = [];

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
  const em = stack.orm.em.fork();
  // Created one second apart so "newest first" has a known order.
  for (let i = 0; i < 5; i++) {
    const c = em.create(Customer, {
      name: `Customer ${i}`,
      email: `c${i}@example.com`,
      acquiredAt: `2025-0${i + 1}-15`,
      externalRef: `EXT-${i}`,
      createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
    });
    ids.push(c.id);
  }
  await em.flush();
});
afterAll(() => stack?.stop());

describe('customers query', () => {
  const fetchPage = (after: string | null) => stack.gql(CustomersDocument, { first: 2, after }, Role.Viewer);

  it('reads back what was written, newest first, page by page', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const result: Awaited<ReturnType<typeof fetchPage>> = await fetchPage(after);
      expect(result.errors).toBeUndefined();
      const conn: CustomersQuery['customers'] = result.data!.customers;
      expect(conn.totalCount).toBe(5);
      seen.push(...conn.edges.map((e) => e.node.id));
      after = conn.pageInfo.hasNextPage ? conn.pageInfo.endCursor! : null;
      if (pages === 0) expect(conn.pageInfo.hasPreviousPage).toBe(false);
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it('returns the fields as stored', async () => {
    const result = await stack.gql(CustomersDocument, { first: 1 }, Role.Viewer);
    expect(result.data!.customers.edges[0].node).toEqual({
      id: ids[4],
      externalRef: 'EXT-4',
      name: 'Customer 4',
      email: 'c4@example.com',
      timeZone: 'UTC',
      serviceTier: 'Standard',
      status: 'Active',
      marketingConsent: false,
      acquiredAt: '2025-05-15',
    });
  });

  it('continues from an edge cursor', async () => {
    const first = await stack.gql(CustomersDocument, { first: 5 }, Role.Viewer);
    const cursor = first.data!.customers.edges[1].cursor;
    const rest = await stack.gql(CustomersDocument, { first: 5, after: cursor }, Role.Viewer);
    expect(rest.data!.customers.edges.map((e) => e.node.id)).toEqual([ids[2], ids[1], ids[0]]);
  });

  it('rejects a page size outside 1..100 with VALIDATION', async () => {
    for (const first of [0, 101]) {
      const result = await stack.gql(CustomersDocument, { first }, Role.Viewer);
      expect(result.data).toBeNull();
      expect(result.errors![0].extensions!.code).toBe('VALIDATION');
    }
  });

  it('rejects a cursor it did not issue with VALIDATION', async () => {
    const result = await stack.gql(CustomersDocument, { first: 2, after: 'not-a-cursor' }, Role.Viewer);
    expect(result.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_CURSOR' });
  });
});

describe('customer query', () => {
  it('finds one customer by ID', async () => {
    const result = await stack.gql(CustomerDocument, { id: ids[2] }, Role.Viewer);
    expect(result.data!.customer).toMatchObject({ id: ids[2], name: 'Customer 2' });
  });

  it('answers null for an unknown ID', async () => {
    const result = await stack.gql(CustomerDocument, { id: '00000000-0000-4000-8000-000000000000' }, Role.Viewer);
    expect(result.errors).toBeUndefined();
    expect(result.data!.customer).toBeNull();
  });

  it('rejects a malformed ID with VALIDATION', async () => {
    const result = await stack.gql(CustomerDocument, { id: 'abc' }, Role.Viewer);
    expect(result.errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_ARGUMENT', field: 'id' });
  });
});

describe('authentication', () => {
  it('refuses a request without credentials', async () => {
    const result = await stack.gql(CustomersDocument, { first: 1 }, null);
    expect(result.data).toBeNull();
    expect(result.errors![0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'AUTH_MISSING_CREDENTIALS' });
  });

  describe('over HTTP', () => {
    let url: string;
    beforeAll(async () => {
      ({ url } = await stack.api.listen());
    });
    const post = (authorization: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ query: '{ customers(first: 1) { totalCount } }' }),
      }).then((r) => r.json() as Promise<any>);

    it('refuses a wrong key with UNAUTHENTICATED and leaks no stack', async () => {
      const body = await post('Bearer not-a-valid-key-at-all');
      expect(body.errors[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'AUTH_UNKNOWN_KEY' });
      expect(JSON.stringify(body)).not.toContain('stacktrace');
    });

    it('refuses a malformed Authorization header', async () => {
      const body = await post('Basic dXNlcjpwYXNz');
      expect(body.errors[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'AUTH_MALFORMED_CREDENTIALS' });
    });

    it('answers with a valid key', async () => {
      const body = await post('Bearer test-viewer-key-0123456789');
      expect(body).toEqual({ data: { customers: { totalCount: 5 } } });
    });
  });
});
