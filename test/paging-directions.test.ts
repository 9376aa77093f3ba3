import { Role } from '../src/domain/auth/roles.js';
import { Customer, Order, ScoreSnapshot } from '../src/entities/index.js';
import {
  CreateSegmentDocument,
  CustomerOrdersBackwardDocument,
  CustomerOrdersDocument,
  CustomersBackwardDocument,
  CustomersBothWaysDocument,
  CustomersDocument,
  CustomersEitherWayDocument,
  CustomerTimelineBackwardDocument,
  CustomerTimelineDocument,
  ScoreBandChangesBackwardDocument,
  ScoreBandChangesDocument,
  SegmentCustomersBackwardDocument,
  SegmentDocument,
  UpdateSegmentDocument,
} from './__generated__/graphql.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * How a front end pages: forward with first/after and backward with last/before (Relay's cursor connections), the same
 * rows in the same order either way, ties on the sort key included; an empty cursor (a lost one read from a URL as "") is no cursor of any list, and is refused as a
 * damaged one is, not taken as "from the top".
 */
let stack: TestStack;
let customerId: string;
let segmentId: string;
beforeAll(async () => {
  stack = await startTestStack({ worker: false });
  const em = stack.orm.em.fork();
  // Ties on the sort key: several customers created in the same millisecond, and several with the same name.
  const at = new Date('2026-03-01T10:00:00.000Z');
  for (let i = 0; i < 9; i++) {
    em.create(Customer, { name: `Paging ${i % 3}`, email: `paging${i}@example.com`, acquiredAt: '2025-01-01', createdAt: i < 5 ? at : new Date(at.getTime() + i * 1000) });
  }
  const timelineCase = em.create(Customer, { name: 'Timeline Case', email: 'timeline@example.com', acquiredAt: '2025-01-01' });
  customerId = timelineCase.id;
  // Orders, some on the same instant: a customer's orders and timeline page through ties too.
  for (let i = 0; i < 7; i++) em.create(Order, { customer: timelineCase, orderedAt: new Date(Date.UTC(2026, 9, 1 + Math.floor(i / 3), 9)), amountMinor: 1_000 + i });
  await em.flush();
  // Churn risk for six of the nine (values tied in threes; the other three unscored, listed last), moved from low to high
  // in one statement, so the band moves tie on their time.
  const paging = await em.find(Customer, { name: { $like: 'Paging %' } }, { orderBy: { email: 'asc' } });
  for (const c of paging.slice(0, 6)) {
    em.create(ScoreSnapshot, { customer: c, computedAt: new Date(Date.now() - 3_600_000), scores: { 'churn-risk': { value: 0.2, band: 'low', modelVersion: 'test', reasons: [] } } });
  }
  await em.flush();
  for (const [i, c] of paging.slice(0, 6).entries()) {
    em.create(ScoreSnapshot, { customer: c, computedAt: new Date(), scores: { 'churn-risk': { value: i < 3 ? 0.5 : 0.7, band: 'high', modelVersion: 'test', reasons: [] } } });
  }
  await em.flush();
  const created = await stack.gql(CreateSegmentDocument, { input: { name: 'paging directions', filter: { search: 'Paging' } } }, Role.Marketer);
  segmentId = created.data!.createSegment.id;
});
afterAll(() => stack?.stop());

const reasonOf = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => result.errors?.[0]?.extensions;

it('refuses an empty after cursor on every list as INVALID_CURSOR with field after, instead of answering the first page again', async () => {
  const answers = {
    customers: await stack.gql(CustomersDocument, { first: 2, after: '' }, Role.Viewer),
    segmentCustomers: await stack.gql(SegmentDocument, { id: segmentId, first: 2, after: '' }, Role.Viewer),
    bandChanges: await stack.gql(ScoreBandChangesDocument, { kind: 'ChurnRisk', since: '2026-01-01', first: 2, after: '' }, Role.Viewer),
    timeline: await stack.gql(CustomerTimelineDocument, { id: customerId, first: 2, after: '' }, Role.Viewer),
  };
  for (const [list, answer] of Object.entries(answers)) {
    expect([list, reasonOf(answer)]).toEqual([list, expect.objectContaining({ code: 'VALIDATION', reason: 'INVALID_CURSOR', field: 'after' })]);
  }
});

it("answers a segment's next page after a marketer edited its filter as STALE_CURSOR (start again), and still refuses another list's cursor as INVALID_CURSOR", async () => {
  const created = await stack.gql(CreateSegmentDocument, { input: { name: 'edited while paged', filter: { search: 'Paging 1' } } }, Role.Marketer);
  const id = created.data!.createSegment.id;
  const firstPage = await stack.gql(SegmentDocument, { id, first: 1 }, Role.Viewer);
  const cursor = firstPage.data!.segment!.customers!.pageInfo.endCursor!;
  // Before the edit the cursor pages on.
  expect((await stack.gql(SegmentDocument, { id, first: 1, after: cursor }, Role.Viewer)).errors).toBeUndefined();
  // Cursors of other lists are not this segment's: another segment's, the same filter's top-level list's, another sort's.
  const otherSegment = await stack.gql(SegmentDocument, { id: segmentId, first: 1 }, Role.Viewer);
  const topLevel = await stack.gql(CustomersDocument, { first: 1, filter: { search: 'Paging 1' } }, Role.Viewer);
  const byName = await stack.gql(SegmentDocument, { id, first: 1, sort: { field: 'Name', direction: 'Asc' } }, Role.Viewer);
  for (const foreign of [otherSegment.data!.segment!.customers!.pageInfo.endCursor!, topLevel.data!.customers.pageInfo.endCursor!, byName.data!.segment!.customers!.pageInfo.endCursor!]) {
    expect(reasonOf(await stack.gql(SegmentDocument, { id, first: 1, after: foreign }, Role.Viewer))).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_CURSOR', field: 'after' });
  }

  // Another user edits the filter between the pages.
  const updated = await stack.gql(UpdateSegmentDocument, { id, input: { filter: { search: 'Paging 2' } } }, Role.Marketer);
  expect(updated.errors).toBeUndefined();
  const next = await stack.gql(SegmentDocument, { id, first: 1, after: cursor }, Role.Viewer);
  expect(next.errors?.[0]?.message).toMatch(/filter changed since .*first page/);
  expect(reasonOf(next)).toMatchObject({ code: 'CONFLICT', reason: 'STALE_CURSOR', field: 'after', segmentUpdatedAt: expect.any(String) });
  // A cursor of another sort of the same segment is still no cursor of this list, stale or not.
  expect(reasonOf(await stack.gql(SegmentDocument, { id, first: 1, after: byName.data!.segment!.customers!.pageInfo.endCursor! }, Role.Viewer))).toMatchObject({ reason: 'INVALID_CURSOR' });
  // Starting again works.
  expect((await stack.gql(SegmentDocument, { id, first: 1 }, Role.Viewer)).data!.segment!.customers!.edges[0].node.name).toBe('Paging 2');
});

interface PageShape {
  ids: string[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor?: string | null; endCursor?: string | null };
}

/**
 * A list paged forward from the top with `first`, then backward from its end with `last`, each page from the cursor the
 * one before it gave: both walks list the same rows in the same order, and each page says truly whether there are rows
 * after and before it.
 */
async function pagesBothWays(forward: (after?: string) => Promise<PageShape>, backward: (before?: string) => Promise<PageShape>) {
  const ahead: PageShape[] = [];
  for (let page = await forward(); ; page = await forward(page.pageInfo.endCursor!)) {
    ahead.push(page);
    if (!page.pageInfo.hasNextPage || ahead.length > 50) break;
  }
  const back: PageShape[] = [];
  for (let page = await backward(); ; page = await backward(page.pageInfo.startCursor!)) {
    back.unshift(page);
    if (!page.pageInfo.hasPreviousPage || back.length > 50) break;
  }
  const aheadIds = ahead.flatMap((p) => p.ids);
  expect(back.flatMap((p) => p.ids)).toEqual(aheadIds);
  expect(new Set(aheadIds).size).toBe(aheadIds.length);
  // Forward: a previous page from the second on, a next page until the last. Backward, read from the end: a next page but
  // for the last page (read first, without before), a previous page but for the first.
  expect(ahead.map((p) => [p.pageInfo.hasPreviousPage, p.pageInfo.hasNextPage])).toEqual(ahead.map((_, i) => [i > 0, i < ahead.length - 1]));
  expect(back.map((p) => [p.pageInfo.hasPreviousPage, p.pageInfo.hasNextPage])).toEqual(back.map((_, i) => [i > 0, i < back.length - 1]));
  // Each page's cursors are its first and last row's, whichever way it was read: a backward page's endCursor pages on forward.
  const middle = back[1];
  const onward = await forward(middle.pageInfo.endCursor!);
  expect(onward.ids).toEqual(aheadIds.slice(aheadIds.indexOf(middle.ids[middle.ids.length - 1]) + 1).slice(0, onward.ids.length));
  return aheadIds;
}

const ids = (edges: readonly { node: { id: string } }[]) => edges.map((e) => e.node.id);

describe('backward paging with last and before', () => {
  const search = { search: 'Paging' };
  const sorts = [
    undefined,
    { field: 'Name', direction: 'Asc' },
    { field: 'Name', direction: 'Desc' },
    { field: 'Score', scoreKind: 'ChurnRisk', direction: 'Desc' },
    { field: 'Score', scoreKind: 'ChurnRisk', direction: 'Asc' },
  ] as const;

  it.each(sorts.map((sort) => [JSON.stringify(sort ?? 'default'), sort]))('lists the customers sorted %s the same both ways, ties included', async (_, sort) => {
    const listed = await pagesBothWays(
      async (after) => {
        const { data, errors } = await stack.gql(CustomersDocument, { first: 2, after, filter: search, sort }, Role.Viewer);
        expect(errors).toBeUndefined();
        return { ids: ids(data!.customers.edges), pageInfo: data!.customers.pageInfo };
      },
      async (before) => {
        const { data, errors } = await stack.gql(CustomersBackwardDocument, { last: 2, before, filter: search, sort }, Role.Viewer);
        expect(errors).toBeUndefined();
        return { ids: ids(data!.customers.edges), pageInfo: data!.customers.pageInfo };
      },
    );
    expect(listed).toHaveLength(9);
  });

  it("lists a segment's customers, the band moves and a customer's timeline and orders the same both ways", async () => {
    expect(
      await pagesBothWays(
        async (after) => {
          const { data } = await stack.gql(SegmentDocument, { id: segmentId, first: 2, after }, Role.Viewer);
          return { ids: ids(data!.segment!.customers!.edges), pageInfo: data!.segment!.customers!.pageInfo };
        },
        async (before) => {
          const { data } = await stack.gql(SegmentCustomersBackwardDocument, { id: segmentId, last: 2, before }, Role.Viewer);
          return { ids: ids(data!.segment!.customers!.edges), pageInfo: data!.segment!.customers!.pageInfo };
        },
      ),
    ).toHaveLength(9);
    const since = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    expect(
      await pagesBothWays(
        async (after) => {
          const { data } = await stack.gql(ScoreBandChangesDocument, { kind: 'ChurnRisk', since, first: 2, after }, Role.Viewer);
          return { ids: ids(data!.scoreBandChanges.edges), pageInfo: data!.scoreBandChanges.pageInfo };
        },
        async (before) => {
          const { data } = await stack.gql(ScoreBandChangesBackwardDocument, { kind: 'ChurnRisk', since, last: 2, before }, Role.Viewer);
          return { ids: ids(data!.scoreBandChanges.edges), pageInfo: data!.scoreBandChanges.pageInfo };
        },
      ),
    ).toHaveLength(6);
    expect(
      await pagesBothWays(
        async (after) => {
          const { data } = await stack.gql(CustomerTimelineDocument, { id: customerId, first: 3, after }, Role.Viewer);
          return { ids: ids(data!.customer!.timeline.edges), pageInfo: data!.customer!.timeline.pageInfo };
        },
        async (before) => {
          const { data } = await stack.gql(CustomerTimelineBackwardDocument, { id: customerId, last: 3, before }, Role.Viewer);
          return { ids: ids(data!.customer!.timeline.edges), pageInfo: data!.customer!.timeline.pageInfo };
        },
      ),
    ).toHaveLength(7);
    expect(
      await pagesBothWays(
        async (after) => {
          const { data } = await stack.gql(CustomerOrdersDocument, { id: customerId, first: 2, after }, Role.Viewer);
          return { ids: ids(data!.customer!.orders.edges), pageInfo: data!.customer!.orders.pageInfo };
        },
        async (before) => {
          const { data } = await stack.gql(CustomerOrdersBackwardDocument, { id: customerId, last: 2, before }, Role.Viewer);
          return { ids: ids(data!.customer!.orders.edges), pageInfo: data!.customer!.orders.pageInfo };
        },
      ),
    ).toHaveLength(7);
  });

  it('refuses first and last together, a last out of bounds, and an empty or foreign before cursor, with the argument named', async () => {
    expect(reasonOf(await stack.gql(CustomersBothWaysDocument, { first: 2, last: 2 }, Role.Viewer))).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_ARGUMENT', field: 'last' });
    expect(reasonOf(await stack.gql(CustomersBackwardDocument, { last: 101 }, Role.Viewer))).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_ARGUMENT', field: 'last' });
    // A nested list's page size, as its first's.
    expect(reasonOf(await stack.gql(CustomerTimelineBackwardDocument, { id: customerId, last: 0 }, Role.Viewer))).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_PAGE_SIZE', field: 'last' });
    expect(reasonOf(await stack.gql(CustomersBackwardDocument, { last: 2, before: '' }, Role.Viewer))).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_CURSOR', field: 'before' });
    // Another list's cursor (another sort's), and another customer's timeline's, are refused going backward too.
    const byName = await stack.gql(CustomersDocument, { first: 1, sort: { field: 'Name', direction: 'Asc' } }, Role.Viewer);
    expect(reasonOf(await stack.gql(CustomersBackwardDocument, { last: 2, before: byName.data!.customers.pageInfo.endCursor! }, Role.Viewer))).toMatchObject({ reason: 'INVALID_CURSOR', field: 'before' });
    const orders = await stack.gql(CustomerOrdersDocument, { id: customerId, first: 1 }, Role.Viewer);
    expect(reasonOf(await stack.gql(CustomerTimelineBackwardDocument, { id: customerId, last: 2, before: orders.data!.customer!.orders.pageInfo.endCursor! }, Role.Viewer))).toMatchObject({ reason: 'INVALID_CURSOR', field: 'before' });
  });

  it("pages both ways from one document declaring first, after, last and before, as Relay's loadPrevious and Apollo's fetchMore send it", async () => {
    const sort = { field: 'Name', direction: 'Asc' } as const;
    const listed = await pagesBothWays(
      async (after) => {
        // Forward as the client's first request: first given, the other direction's arguments null.
        const { data, errors } = await stack.gql(CustomersEitherWayDocument, { first: 2, after: after ?? null, last: null, before: null, filter: search, sort }, Role.Viewer);
        expect(errors).toBeUndefined();
        return { ids: ids(data!.customers.edges), pageInfo: data!.customers.pageInfo };
      },
      async (before) => {
        // Backward: Relay's refetch variables, first and after sent as null.
        const { data, errors } = await stack.gql(CustomersEitherWayDocument, { first: null, after: null, last: 2, before: before ?? null, filter: search, sort }, Role.Viewer);
        expect(errors).toBeUndefined();
        return { ids: ids(data!.customers.edges), pageInfo: data!.customers.pageInfo };
      },
    );
    // The same rows, in the same order, as the document without first gives going backward.
    const backward = await stack.gql(CustomersBackwardDocument, { last: 9, filter: search, sort }, Role.Viewer);
    expect(listed).toEqual(ids(backward.data!.customers.edges));
    expect(listed).toHaveLength(9);
    // Nothing given but the filter: the default page size (20), forward.
    const byDefault = await stack.gql(CustomersEitherWayDocument, { filter: search, sort }, Role.Viewer);
    expect(byDefault.errors).toBeUndefined();
    expect(ids(byDefault.data!.customers.edges)).toEqual(listed);
  });

  it('refuses a null first without last (no silent default page size) and first and last both given, from that document, with the argument named', async () => {
    const nullFirst = await stack.gql(CustomersEitherWayDocument, { first: null, after: null, last: null, before: null }, Role.Viewer);
    expect(reasonOf(nullFirst)).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_ARGUMENT', field: 'first' });
    expect(nullFirst.errors![0].extensions!.fields).toEqual([{ field: 'first', messages: ['first must not be null without last: leave it out for its default (20), or give last (and before) to page backward'] }]);
    expect(nullFirst.data).toBeUndefined();
    // Apollo's fetchMore merging the first request's first with the backward page's last: ambiguous, refused.
    expect(reasonOf(await stack.gql(CustomersEitherWayDocument, { first: 20, last: 2, before: null }, Role.Viewer))).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_ARGUMENT', field: 'last' });
  });

  it("answers a segment's page before a cursor taken before its filter was edited as STALE_CURSOR, naming before", async () => {
    const created = await stack.gql(CreateSegmentDocument, { input: { name: 'edited while paged back', filter: { search: 'Paging' } } }, Role.Marketer);
    const id = created.data!.createSegment.id;
    const last = await stack.gql(SegmentCustomersBackwardDocument, { id, last: 2 }, Role.Viewer);
    const cursor = last.data!.segment!.customers!.pageInfo.startCursor!;
    await stack.gql(UpdateSegmentDocument, { id, input: { filter: { search: 'Paging 0' } } }, Role.Marketer);
    expect(reasonOf(await stack.gql(SegmentCustomersBackwardDocument, { id, last: 2, before: cursor }, Role.Viewer))).toMatchObject({ code: 'CONFLICT', reason: 'STALE_CURSOR', field: 'before' });
  });
});
