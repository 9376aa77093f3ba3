import { sql } from 'kysely';
import { Role } from '../src/domain/auth/roles.js';
import {
  CampaignDocument,
  ComplaintTopicsDocument,
  ConcentrationDocument,
  CreateCampaignDocument,
  FairnessReportDocument,
  ImportCsvDocument,
  type ImportKind,
} from './__generated__/graphql.js';
import { defaultScoringPolicy } from '../src/domain/scoring/scoring-policy.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * Amounts the import takes (up to 13 integer digits each) add up past 2^53 minor units in a
 * few rows: the reports carry such totals as numbers instead of failing as a whole.
 */
let stack: TestStack;
beforeAll(async () => {
  // The concentration report's bands from the policies given (a deployment's own), not a default.
  stack = await startTestStack({ worker: false, policies: { scoring: { ...defaultScoringPolicy, concentration: { version: 7, highAtLeast: 0.999, mediumAtLeast: 0.99 } } } });
}, 60_000);
afterAll(() => stack?.stop());

/** The largest amount an import row takes: 999,999,999,999,999 minor units. */
const MAX = '9999999999999.99';
const today = new Date().toISOString().slice(0, 10);
/** Ten rows of the largest amount: 9,999,999,999,999,990 minor units, above 2^53. */
const TEN_MAX = 9_999_999_999_999_990;

const lines = (n: number, line: (i: number) => string) => Array.from({ length: n }, (_, i) => line(i + 1)).join('\n');

async function imported(kind: ImportKind, csv: string) {
  const r = await stack.gql(ImportCsvDocument, { input: { kind, csv } }, Role.Admin);
  expect(r.errors).toBeUndefined();
  expect(r.data!.importCsv).toMatchObject({ errorCount: 0, rejected: 0 });
}

beforeAll(async () => {
  await imported('Customers', 'customer_ref,name,email\nBIGREV-1,Big Spender,bigrev@example.com\nBIGREV-2,Small Spender,smallrev@example.com\n');
  await imported('Orders', `customer_ref,ordered_at,amount,order_ref\n${lines(10, (i) => `BIGREV-1,${today}T00:00:00Z,${MAX},BIGREV-ORD-${i}`)}\nBIGREV-2,${today}T00:00:00Z,1.00,SMALLREV-ORD-1\n`);
  await imported('Complaints', `complaint_ref,customer_ref,topic,severity,opened_at,handling_cost\n${lines(10, (i) => `BIGREV-K-${i},BIGREV-1,billing-error,low,${today}T00:00:00Z,${MAX}`)}\n`);
  await imported('Invoices', `invoice_ref,customer_ref,issued_at,due_at,amount,fee_charged,fee_waived\n${lines(10, (i) => `BIGREV-INV-${i},BIGREV-1,${today},${today},${MAX},${MAX},${MAX}`)}\n`);
}, 60_000);

it('reports the revenue concentration of months whose revenue passes 2^53 minor units, for the base and a segment', async () => {
  const base = await stack.gql(ConcentrationDocument, { months: 2 }, Role.Viewer);
  expect(base.errors).toBeUndefined();
  const month = base.data!.concentration!.periods[1];
  expect(month).toMatchObject({ customers: 2, totalRevenueMinor: TEN_MAX + 100 });
  expect(month.totalRevenueMinor).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
  expect(base.data!.concentration!.value).toBe(month.topShare);
  expect(base.data!.concentration!.modelVersion).toMatch(/;policy=7$/);
  expect(month.lorenz!.at(-1)).toEqual({ populationShare: 1, revenueShare: 1 });

  const segment = await stack.gql(ConcentrationDocument, { months: 2, filter: { search: 'Big Spender' } }, Role.Viewer);
  expect(segment.errors).toBeUndefined();
  expect(segment.data!.concentration!.periods[1]).toMatchObject({ customers: 1, totalRevenueMinor: TEN_MAX });
});

it('reports the handling cost of a topic and the fees of a band past 2^53 minor units', async () => {
  const topics = await stack.gql(ComplaintTopicsDocument, { since: today }, Role.Viewer);
  expect(topics.errors).toBeUndefined();
  expect(topics.data!.complaintTopics).toEqual([expect.objectContaining({ topic: 'billing-error', complaints: 10, handlingCostMinor: TEN_MAX })]);

  const fairness = await stack.gql(FairnessReportDocument, { since: today }, Role.Viewer);
  expect(fairness.errors).toBeUndefined();
  // (The invoices import rescored the customer's payment loyalty: a customer of today is 'new'.)
  expect(fairness.data!.fairnessReport!.find((b) => b.band === 'new')).toMatchObject({ feesChargedMinor: TEN_MAX, feesWaivedMinor: TEN_MAX });
});

it('refuses a fairness report since a day to come or before 1900 as the other reports do, instead of an empty one (QA 65 F4)', async () => {
  // Two days ahead: still a day to come when the server checks just after midnight UTC.
  const dayToCome = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
  for (const [since, message] of [
    [dayToCome, `since must not be after today (got "${dayToCome}")`],
    ['9999-12-31', 'since must not be after today (got "9999-12-31")'],
    ['0001-01-01', 'since must not be before 1900-01-01'],
  ]) {
    const r = await stack.gql(FairnessReportDocument, { since }, Role.Viewer);
    expect(r.errors![0]).toMatchObject({ message, extensions: { code: 'VALIDATION', reason: 'SCORING_INVALID_INPUT', field: 'since' } });
  }
});

it("reports a campaign group's revenue past 2^53 minor units", async () => {
  const created = await stack.gql(CreateCampaignDocument, { input: { name: 'Big spenders', playbook: 'Appreciation', filter: { search: 'Big Spender' } } }, Role.Marketer);
  const id = created.data!.createCampaign.id;
  // Enrolled the day before their orders (as a launched campaign would have enrolled them).
  await sql`insert into campaign_member (campaign_id, customer_id, "group", enrolled_at)
            select ${id}::uuid, c.id, 'treated', now() - interval '2 days' from customer c where c.external_ref = 'BIGREV-1'`.execute(stack.orm.em.fork().getKysely());
  const campaign = await stack.gql(CampaignDocument, { id }, Role.Viewer);
  expect(campaign.errors).toBeUndefined();
  expect(campaign.data!.campaign!.outcome).toEqual([
    expect.objectContaining({ group: 'Treated', members: 1, retained: 1, revenueMinor: TEN_MAX }),
    expect.objectContaining({ group: 'Holdout', members: 0, revenueMinor: 0 }),
  ]);
});
