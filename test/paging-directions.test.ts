import { Role } from '../src/domain/auth/roles.js';
import { Customer } from '../src/entities/index.js';
import { CreateSegmentDocument, CustomersDocument, CustomerTimelineDocument, ScoreBandChangesDocument, SegmentDocument, UpdateSegmentDocument } from './__generated__/graphql.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * How a front end pages: an empty cursor (a lost one read from a URL as "") is no cursor of any list, and is refused as a
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
  customerId = em.create(Customer, { name: 'Timeline Case', email: 'timeline@example.com', acquiredAt: '2025-01-01' }).id;
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
  const cursor = firstPage.data!.segment!.customers.pageInfo.endCursor!;
  // Before the edit the cursor pages on.
  expect((await stack.gql(SegmentDocument, { id, first: 1, after: cursor }, Role.Viewer)).errors).toBeUndefined();
  // Cursors of other lists are not this segment's: another segment's, the same filter's top-level list's, another sort's.
  const otherSegment = await stack.gql(SegmentDocument, { id: segmentId, first: 1 }, Role.Viewer);
  const topLevel = await stack.gql(CustomersDocument, { first: 1, filter: { search: 'Paging 1' } }, Role.Viewer);
  const byName = await stack.gql(SegmentDocument, { id, first: 1, sort: { field: 'Name', direction: 'Asc' } }, Role.Viewer);
  for (const foreign of [otherSegment.data!.segment!.customers.pageInfo.endCursor!, topLevel.data!.customers.pageInfo.endCursor!, byName.data!.segment!.customers.pageInfo.endCursor!]) {
    expect(reasonOf(await stack.gql(SegmentDocument, { id, first: 1, after: foreign }, Role.Viewer))).toMatchObject({ code: 'VALIDATION', reason: 'INVALID_CURSOR', field: 'after' });
  }

  // Another user edits the filter between the pages.
  const updated = await stack.gql(UpdateSegmentDocument, { id, input: { filter: { search: 'Paging 2' } } }, Role.Marketer);
  expect(updated.errors).toBeUndefined();
  const next = await stack.gql(SegmentDocument, { id, first: 1, after: cursor }, Role.Viewer);
  expect(next.errors?.[0]?.message).toMatch(/filter changed since .*first page/);
  expect(reasonOf(next)).toMatchObject({ code: 'CONFLICT', reason: 'STALE_CURSOR', field: 'after', segmentUpdatedAt: expect.any(String) });
  // A cursor of another sort of the same segment is still no cursor of this list, stale or not.
  expect(reasonOf(await stack.gql(SegmentDocument, { id, first: 1, after: byName.data!.segment!.customers.pageInfo.endCursor! }, Role.Viewer))).toMatchObject({ reason: 'INVALID_CURSOR' });
  // Starting again works.
  expect((await stack.gql(SegmentDocument, { id, first: 1 }, Role.Viewer)).data!.segment!.customers.edges[0].node.name).toBe('Paging 2');
});
