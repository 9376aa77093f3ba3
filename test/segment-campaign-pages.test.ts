import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { sql } from 'kysely';
import { Role } from '../src/domain/auth/roles.js';
import { Customer } from '../src/entities/index.js';
import { countStatements } from './support/statement-counter.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * Nested connections under a list of segments (their campaigns) or campaigns (their members)
 * are read for the whole page at once, as a customer page's nested fields are: the statements
 * a page costs do not grow with the number of parents on it.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ worker: false });
}, 90_000);
afterAll(() => stack?.stop());

const doc = (text: string) => parse(text) as TypedDocumentNode<any, Record<string, unknown>>;

/** `n` segments, each with a campaign made from it, each campaign with 3 members (the last one in the holdout); `tag` names them apart. */
async function world(n: number, tag = `${n}`): Promise<{ segmentIds: string[]; campaignIds: string[]; customerIds: string[] }> {
  const em = stack.orm.em.fork();
  const customers = Array.from({ length: 3 }, (_, i) => em.create(Customer, { name: `M${tag}-${i}`, email: `m${tag}-${i}@example.com`, acquiredAt: '2020-01-01' }));
  await em.flush();
  const segmentIds: string[] = [];
  const campaignIds: string[] = [];
  for (let i = 0; i < n; i++) {
    const segment = await stack.gql(doc(`mutation($i: CreateSegmentInput!) { createSegment(input: $i) { id } }`), { i: { name: `seg ${tag}-${i}`, filter: { search: 'M' } } }, Role.Marketer);
    const segmentId = segment.data!.createSegment.id as string;
    const campaign = await stack.gql(doc(`mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }`), { i: { name: `cmp ${tag}-${i}`, playbook: 'Appreciation', segmentId } }, Role.Marketer);
    const campaignId = campaign.data!.createCampaign.id as string;
    for (const [j, c] of customers.entries()) {
      await sql`insert into campaign_member (campaign_id, customer_id, "group", enrolled_at, pass) values (${campaignId}::uuid, ${c.id}::uuid, ${j === 2 ? 'holdout' : 'treated'}::campaign_group, now(), 1)`.execute(em.getKysely());
    }
    segmentIds.push(segmentId);
    campaignIds.push(campaignId);
  }
  return { segmentIds, campaignIds, customerIds: customers.map((c) => c.id).sort() };
}

const segmentsWithCampaigns = doc(`{ segments(first: 50) { edges { node { id campaigns(first: 5) { totalCount edges { node { id } } } } } } }`);
const campaignsWithMembers = doc(`{ campaigns(first: 50) { edges { node { id members(first: 5) { totalCount edges { node { enrolledAt } } } } } } }`);

it('reads a page of segments with their campaigns, and of campaigns with their members, in as many statements for 2 parents as for 10', async () => {
  await world(2);
  const statements = async (query: TypedDocumentNode<any, Record<string, unknown>>) => {
    const { result, statements } = await countStatements(() => stack.gql(query, {}, Role.Viewer));
    expect(result.errors).toBeUndefined();
    return statements.length;
  };
  const small = { segments: await statements(segmentsWithCampaigns), campaigns: await statements(campaignsWithMembers) };
  await world(8);
  const large = { segments: await statements(segmentsWithCampaigns), campaigns: await statements(campaignsWithMembers) };
  expect(large).toEqual(small);
}, 60_000);

it("pages a segment's campaigns and a campaign's members as before: order, cursors, counts and the group filter", async () => {
  const { segmentIds, campaignIds, customerIds } = await world(1, 'paging');
  const [segmentId] = segmentIds;
  const [campaignId] = campaignIds;
  // A second campaign from the same segment, newer: listed first.
  const newer = await stack.gql(doc(`mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }`), { i: { name: 'newer', playbook: 'Appreciation', segmentId } }, Role.Marketer);
  const newerId = newer.data!.createCampaign.id as string;
  const campaignsOf = (after: string | null) =>
    stack.gql(doc(`query($id: ID!, $after: String) { segment(id: $id) { campaigns(first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } } }`), { id: segmentId, after }, Role.Viewer).then((r) => r.data!.segment.campaigns);
  const first = await campaignsOf(null);
  expect(first).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: true }, edges: [{ node: { id: newerId } }] });
  expect(await campaignsOf(first.pageInfo.endCursor)).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: false }, edges: [{ node: { id: campaignId } }] });

  const membersOf = (group: string | null, after: string | null) =>
    stack
      .gql(doc(`query($id: ID!, $group: CampaignGroup, $after: String) { campaign(id: $id) { members(first: 2, group: $group, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { customer { id } group } } } } }`), { id: campaignId, group, after }, Role.Viewer)
      .then((r) => {
        expect(r.errors).toBeUndefined();
        return r.data!.campaign.members;
      });
  const page1 = await membersOf(null, null);
  expect(page1).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: true } });
  const page2 = await membersOf(null, page1.pageInfo.endCursor);
  expect(page2).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: false } });
  expect([...page1.edges, ...page2.edges].map((e: any) => e.node.customer.id)).toEqual(customerIds);
  const holdout = await membersOf('Holdout', null);
  expect(holdout).toMatchObject({ totalCount: 1, pageInfo: { hasNextPage: false }, edges: [{ node: { group: 'Holdout' } }] });
}, 60_000);
