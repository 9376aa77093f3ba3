import { Role } from '../src/domain/auth/roles.js';
import { Customer, FixCase, Offer, OfferAudience, Order, ScoreSnapshot } from '../src/entities/index.js';
import { encodeCursor, scopedTag, sealCursorsWith } from '../src/services/common/pagination.js';
import { sealCursorsWithInstallationKey } from '../src/services/common/cursor-key.js';
import {
  ApiKeysDocument,
  AuditEntriesDocument,
  CustomerOrdersDocument,
  CustomerListNestedCursorDocument,
  CustomersDocument,
  CustomerTimelineDocument,
  FixCasesDocument,
  OffersDocument,
  RunningPlaybookRunsDocument,
  ScoreBandChangesDocument,
  ScoringRunsDocument,
  SegmentsDocument,
  UndeliverableMessagesDocument,
} from './__generated__/graphql.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * A cursor that a client changed or damaged (the right list, values of the wrong kind) is
 * refused as a cursor, VALIDATION / INVALID_CURSOR, on every list: never an internal error
 * from PostgreSQL failing to read the value.
 */
let stack: TestStack;
let customerId: string;
beforeAll(async () => {
  stack = await startTestStack({ worker: false });
  const em = stack.orm.em.fork();
  customerId = em.create(Customer, { name: 'Cursor Case', email: 'cursor@example.com', acquiredAt: '2025-01-01' }).id;
  await em.flush();
});
afterAll(() => stack?.stop());

/** A cursor sealed as the API seals them, holding what a client could not put in one (the API's key is this process's). */
const forge = (tag: string, ...parts: unknown[]) => encodeCursor(tag, parts);

it('refuses forged cursors on every list with its code, not an internal error', async () => {
  const cases: [string, Promise<{ errors?: readonly { extensions?: Record<string, unknown> }[] }>][] = [
    ['customers by creation', stack.gql(CustomersDocument, { first: 5, after: forge('customers:createdAt:desc', 'yesterday', 'nope') }, Role.Viewer)],
    ['customers by tenure', stack.gql(CustomersDocument, { first: 5, sort: { field: 'AcquiredAt', direction: 'Asc' }, after: forge('customers:acquiredAt:asc', '2026-02-30', customerId) }, Role.Viewer)],
    ['customers by revenue', stack.gql(CustomersDocument, { first: 5, sort: { field: 'Revenue' }, after: forge('customers:revenue:desc', '12.5', customerId) }, Role.Viewer)],
    ['customers by score', stack.gql(CustomersDocument, { first: 5, sort: { field: 'Score', scoreKind: 'Clv' }, after: forge('customers:score:clv:desc', 'scored', 'high', customerId) }, Role.Viewer)],
    ['customers by score, an empty value', stack.gql(CustomersDocument, { first: 5, sort: { field: 'Score', scoreKind: 'Clv' }, after: forge('customers:score:clv:desc', 'scored', '', customerId) }, Role.Viewer)],
    ['customers by score, a hex value', stack.gql(CustomersDocument, { first: 5, sort: { field: 'Score', scoreKind: 'Clv' }, after: forge('customers:score:clv:desc', 'scored', ' 0x10', customerId) }, Role.Viewer)],
    ['customers by creation, February 30th', stack.gql(CustomersDocument, { first: 5, after: forge('customers:createdAt:desc', '2026-02-30T10:00:00.000Z', customerId) }, Role.Viewer)],
    ['scoring runs, year 0', stack.gql(ScoringRunsDocument, { first: 5, after: forge('scoring-runs', '0000-01-01T00:00:00.000Z', 'rescore/1') }, Role.Viewer)],
    ["a customer's orders, April 31st", stack.gql(CustomerOrdersDocument, { id: customerId, first: 5, after: forge(scopedTag('orders', { parentId: customerId }), '2026-04-31T00:00:00.000Z', customerId) }, Role.Viewer)],
    ['customers by name, a NUL', stack.gql(CustomersDocument, { first: 5, sort: { field: 'Name', direction: 'Desc' }, after: forge('customers:name:desc', 'a\u0000b', customerId) }, Role.Viewer)],
    ["a customer's orders", stack.gql(CustomerOrdersDocument, { id: customerId, first: 5, after: forge(scopedTag('orders', { parentId: customerId }), 'soon', customerId) }, Role.Viewer)],
    ["a customer's timeline", stack.gql(CustomerTimelineDocument, { id: customerId, first: 5, after: forge(scopedTag('timeline', { customerId }), 42, 'order-placed', 'x') }, Role.Viewer)],
    ['band moves', stack.gql(ScoreBandChangesDocument, { kind: 'ChurnRisk', since: '2026-01-01', after: forge(scopedTag('band-changes', { kind: 'churn-risk', since: '2026-01-01' }), '2026-12-01T00:00:00Z', 'nope') }, Role.Viewer)],
    ['scoring runs', stack.gql(ScoringRunsDocument, { first: 5, after: forge('scoring-runs', 'last night', 'rescore/1') }, Role.Viewer)],
    ['audit entries', stack.gql(AuditEntriesDocument, { first: 5, after: forge('audit', '2026-12-01T00:00:00Z', 'nope') }, Role.Admin)],
    ['offers', stack.gql(OffersDocument, { first: 5, after: forge('offers', 'spring', 'CODE') }, Role.Viewer)],
    ['segments', stack.gql(SegmentsDocument, { first: 5, after: forge('segments', 'A', 'nope') }, Role.Viewer)],
    ['fix cases', stack.gql(FixCasesDocument, { first: 5, after: forge('fix-cases', 'x', customerId) }, Role.Viewer)],
    ['undeliverable messages', stack.gql(UndeliverableMessagesDocument, { first: 5, after: forge('undeliverable', '2026-12-01T00:00:00Z', 7) }, Role.Operator)],
    ['running playbook runs', stack.gql(RunningPlaybookRunsDocument, { first: 5, after: forge('running-runs', 'ten') }, Role.Viewer)],
    // Pages of running runs go by position: a cursor deep past any search's list would make the engine walk every run before it.
    ['running playbook runs, far past the end', stack.gql(RunningPlaybookRunsDocument, { first: 5, after: forge('running-runs', '10001') }, Role.Viewer)],
  ];
  const codes = await Promise.all(cases.map(async ([list, result]) => [list, (await result).errors?.[0]?.extensions?.reason ?? 'accepted']));
  expect(codes).toEqual(cases.map(([list]) => [list, 'INVALID_CURSOR']));
});

it("shows nothing of the row it points at (a customer's name sorts the list), and a restarted API opens the cursors the last one gave out", async () => {
  const em = stack.orm.em.fork();
  em.create(Customer, { name: 'Zelda Quartermaine', email: 'zelda@example.com', acquiredAt: '2025-01-01' });
  await em.flush();
  const byName = { field: 'Name', direction: 'Desc' } as const;
  const first = await stack.gql(CustomersDocument, { first: 1, sort: byName }, Role.Viewer);
  expect(first.data!.customers.edges[0].node.name).toBe('Zelda Quartermaine');
  const cursor = first.data!.customers.pageInfo.endCursor!;
  expect(Buffer.from(cursor, 'base64url').toString('latin1')).not.toMatch(/Zelda|Quartermaine|customers/);
  // The same row, the same cursor.
  expect((await stack.gql(CustomersDocument, { first: 1, sort: byName }, Role.Viewer)).data!.customers.pageInfo.endCursor).toBe(cursor);

  // Another process's key opens none; the installation's key, which every API takes at its start, opens it again.
  sealCursorsWith(['another installation']);
  expect((await stack.gql(CustomersDocument, { first: 1, sort: byName, after: cursor }, Role.Viewer)).errors![0].extensions).toMatchObject({ reason: 'INVALID_CURSOR' });
  await sealCursorsWithInstallationKey(stack.orm.em.fork());
  const next = await stack.gql(CustomersDocument, { first: 1, sort: byName, after: cursor }, Role.Viewer);
  expect(next.errors).toBeUndefined();
  expect(next.data!.customers.edges[0].node.name).not.toBe('Zelda Quartermaine');
});

it('refuses the cursor of a list under another filter, where a page would silently skip rows', async () => {
  const em = stack.orm.em.fork();
  const customer = em.create(Customer, { name: 'Filter Case', email: 'filter@example.com', acquiredAt: '2025-01-01' });
  for (const [n, owner] of ['billing', 'logistics', 'billing', 'logistics'].entries()) {
    em.create(FixCase, { customer, workflowId: `fix-issue/cursor-${n}`, topic: 'late-delivery', team: owner, owner, openedAt: new Date(Date.now() - (10 - n) * 60_000) });
    em.create(Order, { customer, orderedAt: new Date(Date.now() - (n + 1) * 86_400_000), amountMinor: 1_000 });
  }
  await em.flush();
  const reason = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => result.errors?.[0]?.extensions?.reason ?? 'accepted';
  // The whole queue's cursor, then one team's.
  const queue = await stack.gql(FixCasesDocument, { first: 1 }, Role.Viewer);
  const after = queue.data!.fixCases.pageInfo.endCursor;
  expect(reason(await stack.gql(FixCasesDocument, { first: 5, after, filter: { owner: 'logistics' } }, Role.Viewer))).toBe('INVALID_CURSOR');
  expect((await stack.gql(FixCasesDocument, { first: 5, after }, Role.Viewer)).data!.fixCases.edges).toHaveLength(3);
  const billing = await stack.gql(FixCasesDocument, { first: 1, filter: { owner: 'billing' } }, Role.Viewer);
  const next = await stack.gql(FixCasesDocument, { first: 5, after: billing.data!.fixCases.pageInfo.endCursor, filter: { owner: 'billing' } }, Role.Viewer);
  expect(next.data!.fixCases.edges.map((e) => e.node.owner)).toEqual(['billing']);
  // A timeline's cursor of its orders only, then of every kind; the same kinds in another order are the same list.
  const orders = await stack.gql(CustomerTimelineDocument, { id: customer.id, first: 1, kinds: ['OrderPlaced', 'InvoicePaid'] }, Role.Viewer);
  const ordersAfter = orders.data!.customer!.timeline.pageInfo.endCursor;
  expect(reason(await stack.gql(CustomerTimelineDocument, { id: customer.id, first: 5, after: ordersAfter }, Role.Viewer))).toBe('INVALID_CURSOR');
  const same = await stack.gql(CustomerTimelineDocument, { id: customer.id, first: 5, after: ordersAfter, kinds: ['InvoicePaid', 'OrderPlaced'] }, Role.Viewer);
  expect(same.data!.customer!.timeline.edges).toHaveLength(3);

  // One customer's cursor under another's list (a detail screen that kept it when the customer changed) would skip
  // the other's newest rows: refused (QA 41 F1), as the orders' and the timeline's own cursors are taken.
  const other = em.create(Customer, { name: 'Other Case', email: 'other@example.com', acquiredAt: '2025-01-01' });
  em.create(Order, { customer: other, orderedAt: new Date(), amountMinor: 1_000 });
  await em.flush();
  const ownOrders = (await stack.gql(CustomerOrdersDocument, { id: customer.id, first: 1 }, Role.Viewer)).data!.customer!.orders.pageInfo.endCursor;
  expect(reason(await stack.gql(CustomerOrdersDocument, { id: other.id, first: 5, after: ownOrders }, Role.Viewer))).toBe('INVALID_CURSOR');
  expect((await stack.gql(CustomerOrdersDocument, { id: customer.id, first: 5, after: ownOrders }, Role.Viewer)).data!.customer!.orders.edges).toHaveLength(3);
  const ownTimeline = (await stack.gql(CustomerTimelineDocument, { id: customer.id, first: 1 }, Role.Viewer)).data!.customer!.timeline.pageInfo.endCursor;
  expect(reason(await stack.gql(CustomerTimelineDocument, { id: other.id, first: 5, after: ownTimeline }, Role.Viewer))).toBe('INVALID_CURSOR');
  // Under a customers page, a customer's cursor is read for that customer alone: refused for the others on the page.
  const listed = await stack.gql(CustomerListNestedCursorDocument, { nestedAfter: ownOrders, filter: { search: 'Filter Case' } }, Role.Viewer);
  expect(listed.data!.customers.edges.map((e) => [e.node.id, e.node.orders.edges.length])).toEqual([[customer.id, 3]]);
  expect(reason(await stack.gql(CustomerListNestedCursorDocument, { nestedAfter: ownOrders, filter: { search: ' Case' } }, Role.Viewer))).toBe('INVALID_CURSOR');

  // Movers: a cursor of another score, band or segment (QA 41 F2).
  for (const [ago, band] of [[3_600_000, 'low'], [0, 'high']] as const) {
    for (const c of [customer, other]) em.create(ScoreSnapshot, { customer: c, computedAt: new Date(Date.now() - ago), scores: { 'churn-risk': { value: 0.5, band, modelVersion: 'test', reasons: [] } } });
    await em.flush();
  }
  const since = new Date().toISOString().slice(0, 10);
  const movers = await stack.gql(ScoreBandChangesDocument, { kind: 'ChurnRisk', since, first: 1 }, Role.Viewer);
  const moversAfter = movers.data!.scoreBandChanges.pageInfo.endCursor;
  expect(moversAfter).toBeTruthy();
  for (const changed of [{ kind: 'Rfm' as const }, { to: ['high'] }, { latestOnly: true }, { filter: { serviceTier: ['Premium' as const] } }, { since: '2026-01-01' }]) {
    expect(reason(await stack.gql(ScoreBandChangesDocument, { kind: 'ChurnRisk', since, first: 5, after: moversAfter, ...changed }, Role.Viewer))).toBe('INVALID_CURSOR');
  }
  expect((await stack.gql(ScoreBandChangesDocument, { kind: 'ChurnRisk', since, first: 5, after: moversAfter }, Role.Viewer)).errors).toBeUndefined();

  // The audit log, offers and API keys (review 32 F1): a cursor of one actor's entries, of one audience's offers, of the keys in use.
  const em2 = stack.orm.em.fork();
  em2.create(Offer, { code: 'CURSOR-A', name: 'A', audience: OfferAudience.ExistingCustomers, discountPercent: 5, validFrom: '2026-01-01' });
  em2.create(Offer, { code: 'CURSOR-B', name: 'B', audience: OfferAudience.ExistingCustomers, discountPercent: 5, validFrom: '2026-01-02' });
  await em2.flush();
  const offersAfter = (await stack.gql(OffersDocument, { first: 1, audience: ['ExistingCustomers'] }, Role.Viewer)).data!.offers.pageInfo.endCursor;
  expect(reason(await stack.gql(OffersDocument, { first: 5, after: offersAfter }, Role.Viewer))).toBe('INVALID_CURSOR');
  expect(reason(await stack.gql(OffersDocument, { first: 5, after: offersAfter, audience: ['ExistingCustomers'] }, Role.Viewer))).toBe('accepted');
  for (const actor of ['admin:one', 'admin:two', 'admin:one']) {
    await stack.orm.em.getConnection().execute(`insert into audit_entry (id, at, actor, action, entity_type, entity_id) values (gen_random_uuid(), now(), ?, 'offer.end', 'offer', null)`, [actor]);
  }
  const oneAfter = (await stack.gql(AuditEntriesDocument, { first: 1, actor: 'admin:one' }, Role.Admin)).data!.auditEntries.pageInfo.endCursor;
  expect(oneAfter).toBeTruthy();
  expect(reason(await stack.gql(AuditEntriesDocument, { first: 5, after: oneAfter }, Role.Admin))).toBe('INVALID_CURSOR');
  expect(reason(await stack.gql(AuditEntriesDocument, { first: 5, after: oneAfter, actor: 'admin:one' }, Role.Admin))).toBe('accepted');
  const keysAfter = forge(scopedTag('api-keys', {}), new Date().toISOString(), customer.id);
  expect(reason(await stack.gql(ApiKeysDocument, { first: 5, after: keysAfter, includeRevoked: true }, Role.Admin))).toBe('INVALID_CURSOR');
  expect(reason(await stack.gql(ApiKeysDocument, { first: 5, after: keysAfter }, Role.Admin))).toBe('accepted');
});

it('pages through rows written within one millisecond without skipping any (times are kept to the millisecond)', async () => {
  // What an import writes in SQL: four orders and five audit entries whose times differ in microseconds only.
  const db = stack.orm.em.getConnection();
  const times = ['2026-03-01T10:00:00.123456Z', '2026-03-01T10:00:00.123789Z', '2026-03-01T10:00:00.123001Z', '2026-03-01T10:00:00.123999Z'];
  for (const at of times) {
    await db.execute(`insert into customer_order (id, customer_id, ordered_at, amount_minor, created_at) values (gen_random_uuid(), ?, ?::timestamptz, 1000, ?::timestamptz)`, [customerId, at, at]);
  }
  for (let i = 0; i < 5; i++) {
    await db.execute(`insert into audit_entry (id, at, actor, action, entity_type, entity_id) values (gen_random_uuid(), ('2026-03-01T10:00:01.12345' || ?::text || 'Z')::timestamptz, 'import:test', 'customer.consent', 'customer', ?)`, [String(i), customerId]);
  }
  /** Every row of a list, a page at a time. */
  const walk = async (page: (after: string | null) => Promise<{ ids: string[]; next: string | null }>) => {
    const ids: string[] = [];
    let after: string | null = null;
    do {
      const got = await page(after);
      ids.push(...got.ids);
      after = got.next;
    } while (after);
    return ids;
  };
  const orders = await walk(async (after) => {
    const page = (await stack.gql(CustomerOrdersDocument, { id: customerId, first: 1, after }, Role.Viewer)).data!.customer!.orders;
    return { ids: page.edges.map((e) => e.node.id), next: page.pageInfo.hasNextPage ? page.pageInfo.endCursor! : null };
  });
  expect(new Set(orders).size).toBe(4);
  const audit = await walk(async (after) => {
    const page = (await stack.gql(AuditEntriesDocument, { first: 2, after, entityType: 'customer', entityId: customerId }, Role.Admin)).data!.auditEntries;
    return { ids: page.edges.map((e) => e.node.id), next: page.pageInfo.hasNextPage ? page.pageInfo.endCursor! : null };
  });
  expect(new Set(audit).size).toBe(5);
  const timeline = await walk(async (after) => {
    const page = (await stack.gql(CustomerTimelineDocument, { id: customerId, first: 1, after, kinds: ['OrderPlaced'] }, Role.Viewer)).data!.customer!.timeline;
    return { ids: page.edges.map((e) => e.node.ref), next: page.pageInfo.hasNextPage ? page.pageInfo.endCursor! : null };
  });
  expect(new Set(timeline).size).toBe(4);
});
