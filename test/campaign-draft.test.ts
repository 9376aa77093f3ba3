import { sql, type RawBuilder } from 'kysely';
import { Role } from '../src/domain/auth/roles.js';
import { Customer } from '../src/entities/index.js';
import { CampaignDocument, CreateCampaignDocument, type Playbook } from './__generated__/graphql.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * Campaign drafts and what a marketer reads of them before and after a launch, on data set up
 * directly (runs under way, other campaigns' members): no worker needed.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ worker: false });
}, 90_000);
afterAll(() => stack?.stop());

const rows = async <T>(q: RawBuilder<T>) => (await q.execute(stack.orm.em.fork().getKysely())).rows;
const campaign = (id: string) => stack.gql(CampaignDocument, { id }, Role.Viewer).then((r) => r.data!.campaign!);
const create = async (name: string, playbook: Playbook, search: string, holdoutPercent: number | null = null) => {
  const created = await stack.gql(CreateCampaignDocument, { input: { name, playbook, filter: { search }, holdoutPercent } }, Role.Marketer);
  expect(created.errors).toBeUndefined();
  return created.data!.createCampaign;
};
/** Customers named `<prefix> <n>`, customers since `acquiredAt`. */
async function namedCustomers(prefix: string, n: number, fields: Partial<Customer> = {}): Promise<string[]> {
  const em = stack.orm.em.fork();
  const created = Array.from({ length: n }, (_, i) => em.create(Customer, { name: `${prefix} ${i}`, email: `${prefix.toLowerCase()}${i}@example.com`, acquiredAt: '2023-06-01', ...fields }));
  await em.flush();
  return created.map((c) => c.id);
}

it('shows the outcome of both groups, one without members with zeros and null rates', async () => {
  await namedCustomers('Outcomer', 2);
  const draft = await create('Thank the outcomers', 'Appreciation', 'Outcomer', 0);
  // A holdout of 0: all are treated, none held back.
  await rows(sql`insert into campaign_member (campaign_id, customer_id, "group", enrolled_at, pass) select ${draft.id}::uuid, id, 'treated', now(), 1 from customer where name like 'Outcomer %'`);
  const { outcome, comparison } = await campaign(draft.id);
  expect(outcome.map((o) => [o.group, o.members])).toEqual([
    ['Treated', 2],
    ['Holdout', 0],
  ]);
  expect(outcome[1]).toMatchObject({ retained: 0, retentionRate: null, revenueMinor: 0, invoicesDue: 0, onTimePaymentRate: null, complainedAgain: 0, meanProfitabilityMinor: null, inPlaybookElsewhere: 0 });
  expect(comparison.find((c) => c.metric === 'Retention')).toMatchObject({ treatedRate: 0, holdoutRate: null, difference: null, pValue: null, smallSample: true });
  // Nobody at all (an empty segment): still both groups.
  const empty = await create('Thank nobody', 'Appreciation', 'Nobody by this name');
  expect((await campaign(empty.id)).outcome.map((o) => [o.group, o.members, o.retentionRate])).toEqual([
    ['Treated', 0, null],
    ['Holdout', 0, null],
  ]);
});
