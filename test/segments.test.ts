import { Role } from '../src/domain/auth/roles.js';
import { AuditEntry, Campaign, Complaint, ComplaintSeverity, Customer, Order, ScoreSnapshot, Segment, ServiceTier } from '../src/entities/index.js';
import { sql } from 'kysely';
import {
  CampaignDocument,
  CampaignPreviewDocument,
  CreateCampaignDocument,
  DiscardCampaignDocument,
  LaunchCampaignDocument,
  CreateSegmentDocument,
  CustomersDocument,
  DeleteSegmentDocument,
  SegmentDocument,
  SegmentReportsDocument,
  SegmentsDocument,
  UpdateCampaignDocument,
  UpdateSegmentDocument,
  type CreateSegmentInput,
  type SegmentsQuery,
} from './__generated__/graphql.js';
import { startTestStack, type TestStack } from './support/stack.js';

/** Marketers save segments, see who is in them and how they fare, and make campaigns from them. */
let stack: TestStack;
const em = () => stack.orm.em.fork();
const premium: string[] = [];

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
  const fork = em();
  // Three premium customers (two with consent to marketing) and two standard ones; orders and complaints for the reports.
  const month = new Date();
  month.setUTCDate(1);
  for (let i = 0; i < 5; i++) {
    const tier = i < 3 ? ServiceTier.Premium : ServiceTier.Standard;
    const c = fork.create(Customer, { name: `Segment customer ${i}`, email: `seg${i}@example.com`, acquiredAt: '2024-01-01', serviceTier: tier, marketingConsent: i !== 1, createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)) });
    if (tier === ServiceTier.Premium) premium.push(c.id);
    fork.create(Order, { customer: c, orderedAt: month, amountMinor: (i + 1) * 10_000 });
    fork.create(Complaint, { customer: c, topic: i < 3 ? 'slow-support' : 'billing-error', severity: ComplaintSeverity.Medium, openedAt: new Date() });
  }
  await fork.flush();
});
afterAll(() => stack?.stop());

const input = (over: Partial<CreateSegmentInput> = {}): CreateSegmentInput => ({
  name: 'Premium customers',
  description: 'Everyone on the premium tier',
  filter: { serviceTier: ['Premium'], riskBand: null, segment: [] },
  ...over,
});
const create = (over: Partial<CreateSegmentInput> = {}, role: Role | null = Role.Marketer) => stack.gql(CreateSegmentDocument, { input: input(over) }, role);
const segmentCount = () => em().count(Segment);

it('is saved by a marketer or an admin only, with the conditions given, and audited', async () => {
  for (const role of [Role.Viewer, Role.Operator]) expect((await create({}, role)).errors![0].extensions!.code).toBe('FORBIDDEN');
  expect((await create({}, null)).errors![0].extensions!.code).toBe('UNAUTHENTICATED');
  expect(await segmentCount()).toBe(0);

  const created = await create({ name: '  Premium customers ' });
  expect(created.errors).toBeUndefined();
  const segment = created.data!.createSegment;
  // Only the conditions given are kept: the null and the empty list are left out.
  expect(segment).toMatchObject({ name: 'Premium customers', description: 'Everyone on the premium tier', createdBy: expect.stringMatching(/^marketer:/) });
  expect(segment.filter).toEqual({ status: null, serviceTier: ['Premium'], search: null, hasOpenComplaint: null, hasOpenIssue: null, marketingConsent: null, segment: null, riskBand: null, scores: null, acquiredFrom: null, acquiredTo: null, bandMoved: null });
  const [audit] = await em().find(AuditEntry, { entityId: segment.id });
  expect(audit).toMatchObject({ action: 'segment.create', entityType: 'segment', after: { name: 'Premium customers', filter: { serviceTier: ['premium'] } } });
});

it('refuses bad input and a name taken in any case, and writes nothing', async () => {
  const before = await segmentCount();
  const cases: [Partial<CreateSegmentInput>, string, string, string][] = [
    [{ name: '   ' }, 'VALIDATION', 'SEGMENT_INVALID_INPUT', 'input.name'],
    [{ name: 'x'.repeat(101) }, 'VALIDATION', 'SEGMENT_INVALID_INPUT', 'input.name'],
    [{ name: 'Long', description: 'y'.repeat(1001) }, 'VALIDATION', 'SEGMENT_INVALID_INPUT', 'input.description'],
    [{ name: 'Typo', filter: { segment: ['Champion'] } }, 'VALIDATION', 'CUSTOMER_INVALID_INPUT', 'input.filter.segment'],
    [{ name: 'Upside down', filter: { scores: [{ kind: 'Clv', min: 10, max: 1 }] } }, 'VALIDATION', 'CUSTOMER_INVALID_INPUT', 'input.filter.scores.0.min'],
    [{ name: 'Huge search', filter: { search: 'a'.repeat(201) } }, 'VALIDATION', 'CUSTOMER_INVALID_INPUT', 'input.filter.search'],
    [{ name: 'PREMIUM customers' }, 'CONFLICT', 'SEGMENT_NAME_TAKEN', 'input.name'],
  ];
  for (const [over, code, reason, field] of cases) {
    expect((await create(over)).errors![0].extensions).toMatchObject({ code, reason, field });
  }
  expect(await segmentCount()).toBe(before);
  // A hundred characters as people count them: 100 emoji are 200 UTF-16 units, and fit.
  const emoji = await create({ name: '🌱'.repeat(100) });
  expect(emoji.errors).toBeUndefined();
  await stack.gql(DeleteSegmentDocument, { id: emoji.data!.createSegment.id }, Role.Marketer);
});

it('shows who is in it now, sorted as asked, and its reports', async () => {
  const id = (await create({ name: 'Premium with consent', filter: { serviceTier: ['Premium'], marketingConsent: true } })).data!.createSegment.id;
  const result = await stack.gql(SegmentDocument, { id, first: 10, sort: { field: 'Name', direction: 'Asc' } }, Role.Viewer);
  expect(result.errors).toBeUndefined();
  const customers = result.data!.segment!.customers!;
  expect(customers.totalCount).toBe(2);
  expect(customers.edges.map((e) => e.node.name)).toEqual(['Segment customer 0', 'Segment customer 2']);

  const reports = await stack.gql(SegmentReportsDocument, { id, since: '2020-01-01', months: 1 }, Role.Viewer);
  expect(reports.errors).toBeUndefined();
  const segment = reports.data!.segment!;
  expect(segment.scoreDistribution!.population).toBe(2);
  expect(segment.complaintTopics).toEqual([{ topic: 'slow-support', complaints: 2, customers: 2 }]);
  // Two customers with 10,000 and 30,000 this month: the top 20% is 0.4 of the larger one, 0.4 x 3/4
  // (the whole base of five, 10,000 to 50,000, would give 1/3).
  expect(segment.concentration!.value).toBeCloseTo(0.3, 5);

  // Bad arguments of its nested fields are refused with the same codes as the top-level queries.
  const bad = await stack.gql(SegmentReportsDocument, { id, since: '2020-01-01', months: 0 }, Role.Viewer);
  expect(bad.errors![0].extensions).toMatchObject({ code: 'VALIDATION', field: 'months' });
  expect((await stack.gql(SegmentDocument, { id: '00000000-0000-4000-8000-000000000000' }, Role.Viewer)).data!.segment).toBeNull();
  expect((await stack.gql(SegmentDocument, { id: 'nope' }, Role.Viewer)).errors![0].extensions).toMatchObject({ code: 'VALIDATION', field: 'id' });
});

it('selects the customers whose score has no band (profitability not judged), as scoreDistribution counts them (QA 83 F4)', async () => {
  const fork = em();
  const customers = await fork.find(Customer, { email: { $in: ['seg3@example.com', 'seg4@example.com'] } }, { orderBy: { email: 'asc' } });
  // One judged (a band), one not judged (a score without a band).
  fork.create(ScoreSnapshot, { customer: customers[0], computedAt: new Date(), scores: { profitability: { value: 12, band: 'profitable', modelVersion: 'test', reasons: ['test'] } } });
  fork.create(ScoreSnapshot, { customer: customers[1], computedAt: new Date(), scores: { profitability: { value: null, band: null, modelVersion: 'test', reasons: ['not judged: no purchase yet'] } } });
  await fork.flush();
  const created = await create({ name: 'Not judged', filter: { scores: [{ kind: 'Profitability', withoutBand: true }] } });
  expect(created.errors).toBeUndefined();
  expect(created.data!.createSegment.filter.scores).toEqual([{ kind: 'Profitability', bands: null, withoutBand: true, min: null, max: null }]);
  const { id } = created.data!.createSegment;
  const segment = (await stack.gql(SegmentDocument, { id, first: 10 }, Role.Viewer)).data!.segment!;
  expect(segment.customers!.edges.map((e) => e.node.name)).toEqual(['Segment customer 4']);
  // The base's distribution counts the same customer withoutBand.
  const all = (await stack.gql(SegmentReportsDocument, { id, since: '2020-01-01', months: 1 }, Role.Viewer)).data!.segment!;
  expect(all.scoreDistribution!.scores.find((s) => s.kind === 'Profitability')).toMatchObject({ customers: 1, withoutBand: 1 });
  // A campaign of the segment has the same audience.
  const campaign = await stack.gql(CreateCampaignDocument, { input: { name: 'Welcome the not judged', playbook: 'WelcomeCheck', segmentId: id } }, Role.Marketer);
  expect(campaign.errors).toBeUndefined();
  const preview = campaign.data!.createCampaign.preview!;
  expect(preview.customers + preview.inOtherHoldout + preview.leftOut.reduce((sum, l) => sum + l.customers, 0)).toBe(1);
  // withoutBand with bands asks for two contradicting things.
  expect((await create({ name: 'Both', filter: { scores: [{ kind: 'Profitability', bands: ['profitable'], withoutBand: true }] } })).errors![0].extensions).toMatchObject({ code: 'VALIDATION', field: 'input.filter.scores.0.withoutBand' });
  // (The later tests count the segments: the campaign keeps its copy of the filter.)
  expect((await stack.gql(DeleteSegmentDocument, { id }, Role.Marketer)).errors).toBeUndefined();
});

it('lists segments by name, page by page, with their sizes', async () => {
  const names: string[] = [];
  let after: string | null = null;
  for (;;) {
    const page: SegmentsQuery['segments'] = (await stack.gql(SegmentsDocument, { first: 1, after }, Role.Viewer)).data!.segments;
    names.push(...page.edges.map((e) => `${e.node.name}: ${e.node.customers!.totalCount}`));
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor!;
  }
  expect(names).toEqual(['Premium customers: 3', 'Premium with consent: 2']);
});

it('lists segments alphabetically as people read them, whatever their case and accents, and pages through them losing and repeating none', async () => {
  const ids: string[] = [];
  for (const name of ['zoo', 'Émile', 'apple', 'Zebra', 'emile', 'Eve', 'éclair', 'Apricot']) {
    const created = await create({ name });
    expect(created.errors).toBeUndefined();
    ids.push(created.data!.createSegment.id);
  }
  // Pages of four: "emile" ends the first page and "Émile" starts the next; the second ends with "Premium with consent", before "Zebra".
  const pages: string[][] = [];
  let after: string | null = null;
  for (;;) {
    const page: SegmentsQuery['segments'] = (await stack.gql(SegmentsDocument, { first: 4, after }, Role.Viewer)).data!.segments;
    pages.push(page.edges.map((e) => e.node.name));
    expect(page.totalCount).toBe(10);
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor!;
  }
  expect(pages).toEqual([
    ['apple', 'Apricot', 'éclair', 'emile'],
    ['Émile', 'Eve', 'Premium customers', 'Premium with consent'],
    ['Zebra', 'zoo'],
  ]);
  for (const id of ids) await stack.gql(DeleteSegmentDocument, { id }, Role.Marketer);
});

it('refuses a filter day before 1900 (a typo: 0001 for 2001) wherever a filter is taken, as every business date, and writes nothing: kept, it would take in the whole base', async () => {
  const [segments, campaigns] = [await segmentCount(), await em().count(Campaign)];
  const tooEarly = (field: string, at = `input.filter.${field}`) => ({ message: `${field} must not be before 1900-01-01`, extensions: { code: 'VALIDATION', reason: 'CUSTOMER_INVALID_INPUT', field: at } });
  expect((await create({ name: 'Cohort', filter: { acquiredFrom: '0001-12-01' } })).errors![0]).toMatchObject(tooEarly('acquiredFrom'));
  // Before the window's order is looked at: the typo is what is wrong.
  expect((await create({ name: 'Cohort', filter: { acquiredFrom: '0001-12-01', acquiredTo: '2026-12-31' } })).errors![0]).toMatchObject(tooEarly('acquiredFrom'));
  expect((await create({ name: 'Cohort', filter: { acquiredTo: '1899-12-31' } })).errors![0]).toMatchObject(tooEarly('acquiredTo'));
  const id = (await create({ name: 'Cohort', filter: { acquiredFrom: '1900-01-01' } })).data!.createSegment.id;
  expect((await stack.gql(UpdateSegmentDocument, { id, input: { filter: { acquiredFrom: '0026-12-01' } } }, Role.Marketer)).errors![0]).toMatchObject(tooEarly('acquiredFrom'));
  expect((await stack.gql(SegmentDocument, { id }, Role.Viewer)).data!.segment!.filter).toMatchObject({ acquiredFrom: '1900-01-01' });
  const inline = await stack.gql(CreateCampaignDocument, { input: { name: 'Cohort welcome', playbook: 'WelcomeCheck', filter: { acquiredFrom: '0001-12-01' } } }, Role.Marketer);
  expect(inline.errors![0]).toMatchObject(tooEarly('acquiredFrom'));
  expect((await stack.gql(CustomersDocument, { first: 1, filter: { acquiredTo: '0001-01-01' } }, Role.Viewer)).errors![0]).toMatchObject(tooEarly('acquiredTo', 'filter.acquiredTo'));
  expect([await segmentCount(), await em().count(Campaign)]).toEqual([segments + 1, campaigns]);
  await stack.gql(DeleteSegmentDocument, { id }, Role.Marketer);
});

/** The refusal of a stored filter's day before 1900: the check's code, naming the stored field of the segment or campaign and the change that fixes it. */
const storedTooEarly = (kind: 'segment' | 'campaign', id: string, fix: string) => ({
  message: expect.stringMatching(new RegExp(`^The filter stored with ${kind} ${id} is refused now: acquiredFrom must not be before 1900-01-01; .*\\(${fix}\\)`)),
  extensions: { code: 'VALIDATION', reason: 'CUSTOMER_INVALID_INPUT', field: `${kind}.filter.acquiredFrom`, [`${kind}Id`]: id },
});

it('reads a segment or draft saved with a day before 1900 before days so early were refused, takes changes that leave its filter alone, and refuses to select customers by it, naming the stored filter', async () => {
  const db = () => em().getKysely();
  // Saved as the check would take them, then given the 0001 the check was made for, as rows saved before it hold it.
  const segmentId = (await create({ name: 'Old cohort', filter: { acquiredFrom: '2026-12-01' } })).data!.createSegment.id;
  const draft = await stack.gql(CreateCampaignDocument, { input: { name: 'Old cohort welcome', playbook: 'WelcomeCheck', filter: { acquiredFrom: '2026-12-01' } } }, Role.Marketer);
  const campaignId = draft.data!.createCampaign.id;
  await sql`update segment set filter = jsonb_set(filter, '{acquiredFrom}', '"0001-12-01"') where id = ${segmentId}::uuid`.execute(db());
  await sql`update campaign set segment = jsonb_set(segment, '{acquiredFrom}', '"0001-12-01"') where id = ${campaignId}::uuid`.execute(db());

  // The segment reads, its filter as stored; who is in it is refused (not the whole base), the rest of it answered.
  const read = await stack.gql(SegmentDocument, { id: segmentId }, Role.Viewer);
  expect(read.data!.segment).toMatchObject({ name: 'Old cohort', filter: { acquiredFrom: '0001-12-01' }, customers: null });
  expect(read.errors).toHaveLength(1);
  expect(read.errors![0]).toMatchObject({ ...storedTooEarly('segment', segmentId, 'updateSegment'), path: ['segment', 'customers'] });
  const reports = await stack.gql(SegmentReportsDocument, { id: segmentId, since: '2026-01-01' }, Role.Viewer);
  expect(reports.data!.segment).toMatchObject({ name: 'Old cohort', scoreDistribution: null, concentration: null, complaintTopics: null });
  expect(reports.errors).toHaveLength(3);
  for (const error of reports.errors!) expect(error).toMatchObject(storedTooEarly('segment', segmentId, 'updateSegment'));
  // A campaign is not made from it: refused naming the segment's stored field, not an input the caller sent.
  const campaigns = await em().count(Campaign);
  const fromSegment = await stack.gql(CreateCampaignDocument, { input: { name: 'From the old cohort', playbook: 'WelcomeCheck', segmentId } }, Role.Marketer);
  expect(fromSegment.errors![0]).toMatchObject(storedTooEarly('segment', segmentId, 'updateSegment'));
  expect(await em().count(Campaign)).toBe(campaigns);
  // A rename leaves the filter alone: taken, the filter kept as stored.
  const renamed = await stack.gql(UpdateSegmentDocument, { id: segmentId, input: { name: 'Older cohort' } }, Role.Marketer);
  expect(renamed.errors).toBeUndefined();
  expect(renamed.data!.updateSegment).toMatchObject({ name: 'Older cohort', filter: { acquiredFrom: '0001-12-01' } });

  // The draft reads; its preview and its launch are refused naming its stored field, and it stays a draft.
  const campaign = await stack.gql(CampaignDocument, { id: campaignId }, Role.Viewer);
  expect(campaign.errors).toBeUndefined();
  expect(campaign.data!.campaign).toMatchObject({ status: 'Draft', filter: { acquiredFrom: '0001-12-01' } });
  const preview = await stack.gql(CampaignPreviewDocument, { id: campaignId }, Role.Viewer);
  expect(preview.data!.campaign).toMatchObject({ id: campaignId, preview: null });
  expect(preview.errors![0]).toMatchObject(storedTooEarly('campaign', campaignId, 'updateCampaign'));
  // Now, or for later (which asks no preview first: a launch for later may start empty).
  for (const at of [null, new Date(Date.now() + 86_400_000).toISOString()]) {
    const launch = await stack.gql(LaunchCampaignDocument, { id: campaignId, at }, Role.Marketer);
    expect(launch.errors![0]).toMatchObject(storedTooEarly('campaign', campaignId, 'updateCampaign'));
  }
  expect((await em().findOneOrFail(Campaign, campaignId)).status).toBe('draft');
  // A new holdout leaves the filter alone: taken (its preview, asked with it, is what is refused).
  const holdout = await stack.gql(UpdateCampaignDocument, { id: campaignId, input: { holdoutPercent: 5 } }, Role.Marketer);
  expect(holdout.data!.updateCampaign).toMatchObject({ holdoutPercent: 5, filter: { acquiredFrom: '0001-12-01' }, preview: null });
  expect(holdout.errors!.map((e) => e.path)).toEqual([['updateCampaign', 'preview']]);

  // Fixed with updateSegment and updateCampaign, both select customers again.
  await stack.gql(UpdateSegmentDocument, { id: segmentId, input: { filter: { acquiredFrom: '2001-12-01' } } }, Role.Marketer);
  const fixed = await stack.gql(SegmentDocument, { id: segmentId }, Role.Viewer);
  expect(fixed.errors).toBeUndefined();
  expect(fixed.data!.segment!.customers!.totalCount).toBe(5);
  const fixedDraft = await stack.gql(UpdateCampaignDocument, { id: campaignId, input: { filter: { acquiredFrom: '2001-12-01' } } }, Role.Marketer);
  expect(fixedDraft.errors).toBeUndefined();
  expect(fixedDraft.data!.updateCampaign.preview).not.toBeNull();
  await stack.gql(DiscardCampaignDocument, { id: campaignId }, Role.Marketer);
  await stack.gql(DeleteSegmentDocument, { id: segmentId }, Role.Marketer);
});

it('is changed by a marketer: the new conditions apply at once, the change is audited, a taken name refused', async () => {
  const id = (await create({ name: 'Standard customers', filter: { serviceTier: ['Standard'] } })).data!.createSegment.id;
  expect((await stack.gql(UpdateSegmentDocument, { id, input: { name: 'x' } }, Role.Viewer)).errors![0].extensions!.code).toBe('FORBIDDEN');
  expect((await stack.gql(UpdateSegmentDocument, { id, input: { name: 'premium CUSTOMERS' } }, Role.Marketer)).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'SEGMENT_NAME_TAKEN' });

  const updated = await stack.gql(UpdateSegmentDocument, { id, input: { filter: { serviceTier: ['Standard', 'Premium'], marketingConsent: false }, description: '' } }, Role.Marketer);
  expect(updated.errors).toBeUndefined();
  expect(updated.data!.updateSegment).toMatchObject({ name: 'Standard customers', description: null, filter: { serviceTier: ['Standard', 'Premium'], marketingConsent: false } });
  expect((await stack.gql(SegmentDocument, { id }, Role.Viewer)).data!.segment!.customers!.totalCount).toBe(1);

  // A change that changes nothing is not audited.
  await stack.gql(UpdateSegmentDocument, { id, input: { filter: { marketingConsent: false, serviceTier: ['Standard', 'Premium'] } } }, Role.Marketer);
  const audits = await em().find(AuditEntry, { entityId: id, action: 'segment.update' });
  expect(audits.map((a) => [a.before, a.after])).toEqual([
    [
      { description: 'Everyone on the premium tier', filter: { serviceTier: ['standard'] } },
      { description: null, filter: { serviceTier: ['standard', 'premium'], marketingConsent: false } },
    ],
  ]);
  // A patch, as UpdateSegmentInput says: null keeps a field as left out does (it clears nothing), an empty name is refused, not kept.
  expect((await stack.gql(UpdateSegmentDocument, { id, input: { description: '  Standard and premium ' } }, Role.Marketer)).data!.updateSegment.description).toBe('Standard and premium');
  const kept = await stack.gql(UpdateSegmentDocument, { id, input: { name: null, description: null, filter: null } }, Role.Marketer);
  expect(kept.data!.updateSegment).toMatchObject({ name: 'Standard customers', description: 'Standard and premium', filter: { serviceTier: ['Standard', 'Premium'], marketingConsent: false } });
  expect((await stack.gql(UpdateSegmentDocument, { id, input: { name: '' } }, Role.Marketer)).errors![0].extensions).toMatchObject({ code: 'VALIDATION', field: 'input.name' });
  expect((await stack.gql(UpdateSegmentDocument, { id, input: { description: '   ' } }, Role.Marketer)).data!.updateSegment.description).toBeNull();
  expect((await stack.gql(UpdateSegmentDocument, { id: '00000000-0000-4000-8000-000000000000', input: { name: 'y' } }, Role.Marketer)).errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'SEGMENT_NOT_FOUND' });
});

it('makes campaigns: the filter is copied, so a later change or deletion of the segment moves no campaign', async () => {
  const segment = (await create({ name: 'Premium for thanks', filter: { serviceTier: ['Premium'] } })).data!.createSegment;
  const campaign = await stack.gql(CreateCampaignDocument, { input: { name: 'Thank premium', playbook: 'Appreciation', segmentId: segment.id, holdoutPercent: 0 } }, Role.Marketer);
  expect(campaign.errors).toBeUndefined();
  const draft = campaign.data!.createCampaign;
  expect(draft.segment).toEqual({ id: segment.id, name: 'Premium for thanks' });
  expect(draft.filter.serviceTier).toEqual(['Premium']);
  // A thank-you is marketing: the campaign leaves out the premium customer without consent, and the contact guard holds it back from the two with a complaint open.
  expect(draft.preview!.customers).toBe(2);
  expect(draft.preview).toMatchObject({ treated: 2, messages: 0, heldBack: [{ reason: 'open-complaint', customers: 2 }] });
  const [audit] = await em().find(AuditEntry, { entityId: draft.id, action: 'campaign.create' });
  expect(audit.after).toMatchObject({ segment: { serviceTier: ['premium'] }, segmentId: segment.id });

  // The segment is narrowed: the draft keeps its copy until a marketer takes up the change.
  await stack.gql(UpdateSegmentDocument, { id: segment.id, input: { filter: { serviceTier: ['Premium'], marketingConsent: true } } }, Role.Marketer);
  const listed = await stack.gql(SegmentDocument, { id: segment.id }, Role.Viewer);
  expect(listed.data!.segment!.campaigns.edges.map((e) => e.node.id)).toEqual([draft.id]);
  expect((await em().findOneOrFail(Campaign, draft.id)).segment).toEqual({ serviceTier: ['premium'] });
  const takenUp = await stack.gql(UpdateCampaignDocument, { id: draft.id, input: { segmentId: segment.id } }, Role.Marketer);
  expect(takenUp.data!.updateCampaign.filter).toMatchObject({ serviceTier: ['Premium'], marketingConsent: true });

  // A filter given directly replaces the segment's: the campaign no longer comes from it.
  const own = await stack.gql(UpdateCampaignDocument, { id: draft.id, input: { filter: { serviceTier: ['Standard'] } } }, Role.Marketer);
  expect(own.data!.updateCampaign).toMatchObject({ segment: null, filter: { serviceTier: ['Standard'] } });
  await stack.gql(UpdateCampaignDocument, { id: draft.id, input: { segmentId: segment.id } }, Role.Marketer);

  // Deleted: the campaign keeps its filter and forgets where it came from.
  expect((await stack.gql(DeleteSegmentDocument, { id: segment.id }, Role.Viewer)).errors![0].extensions!.code).toBe('FORBIDDEN');
  expect((await stack.gql(DeleteSegmentDocument, { id: segment.id }, Role.Marketer)).data!.deleteSegment).toBe(segment.id);
  const kept = await em().findOneOrFail(Campaign, draft.id);
  expect(kept.segment).toEqual({ serviceTier: ['premium'], marketingConsent: true });
  expect(kept.sourceSegment).toBeNull();
  const [deleted] = await em().find(AuditEntry, { entityId: segment.id, action: 'segment.delete' });
  expect(deleted.before).toMatchObject({ name: 'Premium for thanks' });
  expect((await stack.gql(DeleteSegmentDocument, { id: segment.id }, Role.Marketer)).errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'SEGMENT_NOT_FOUND' });
});

it('refuses a campaign with both a filter and a segment, with neither, or with an unknown segment, and writes nothing', async () => {
  const segmentId = (await create({ name: 'Anyone', filter: {} })).data!.createSegment.id;
  const before = await em().count(Campaign);
  const attempt = (extra: Record<string, unknown>) => stack.gql(CreateCampaignDocument, { input: { name: 'x', playbook: 'Appreciation', ...extra } }, Role.Marketer);
  expect((await attempt({ segmentId, filter: {} })).errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'CAMPAIGN_INVALID_INPUT', field: 'input.segmentId' });
  expect((await attempt({})).errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'CAMPAIGN_INVALID_INPUT', field: 'input.filter' });
  expect((await attempt({ segmentId, name: 'x'.repeat(101) })).errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'CAMPAIGN_INVALID_INPUT', field: 'input.name' });
  expect((await attempt({ segmentId: '00000000-0000-4000-8000-000000000000' })).errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'SEGMENT_NOT_FOUND', field: 'input.segmentId' });
  expect(await em().count(Campaign)).toBe(before);
});

it('takes names that read the same as one name: another Unicode form, full-width letters or a run of spaces is refused as taken, quoting the stored name', async () => {
  const created = await create({ name: ' Ｇru\u0308ne  Kunden ' });
  expect(created.errors).toBeUndefined();
  // Stored as people read it: NFKC (the "ü" a keyboard types, a plain "G"), one space.
  const { id, name } = created.data!.createSegment;
  expect(name).toBe('Gr\u00fcne Kunden');
  const before = await segmentCount();
  for (const taken of ['Grüne Kunden', 'Gru\u0308ne Kunden', 'GRÜNE KUNDEN', 'Ｇrüne Kunden', 'Grüne  Kunden', 'Grüne\u00a0Kunden', 'Grüne\u3000Kunden']) {
    const refused = await create({ name: taken });
    expect(refused.errors![0]).toMatchObject({ message: 'A segment named "Grüne Kunden" exists (names are compared in any case)', extensions: { code: 'CONFLICT', reason: 'SEGMENT_NAME_TAKEN', field: 'input.name', name: 'Grüne Kunden' } });
  }
  expect(await segmentCount()).toBe(before);
  // Renaming another segment to one of its spellings is refused alike; its own name in another spelling is the same name.
  const other = (await create({ name: 'Blaue Kunden' })).data!.createSegment.id;
  expect((await stack.gql(UpdateSegmentDocument, { id: other, input: { name: 'gru\u0308ne kunden' } }, Role.Marketer)).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'SEGMENT_NAME_TAKEN', name: 'Grüne Kunden' });
  const same = await stack.gql(UpdateSegmentDocument, { id, input: { name: 'Gru\u0308ne   Kunden' } }, Role.Marketer);
  expect(same.data!.updateSegment.name).toBe('Gr\u00fcne Kunden');
  expect(await em().find(AuditEntry, { entityId: id, action: 'segment.update' })).toEqual([]);
  for (const segment of [id, other]) await stack.gql(DeleteSegmentDocument, { id: segment }, Role.Marketer);
});
