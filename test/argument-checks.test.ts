import { AuditEntry, Campaign, Customer, Invoice, Offer, Payment, Segment } from '../src/entities/index.js';
import { Role } from '../src/domain/auth/roles.js';
import {
  AuditEntriesDocument,
  CampaignDocument,
  CancelPlaybookRunDocument,
  CreateCampaignDocument,
  CreateOfferDocument,
  CreateSegmentDocument,
  CustomerDocument,
  CustomersDocument,
  ExportCustomerDataDocument,
  FixCasesDocument,
  ImportCsvDocument,
  IssueApiKeyDocument,
  RecordPaymentDocument,
  RetryMessageDocument,
  RunningPlaybookRunsDocument,
  ScoreBandChangesDocument,
  ScoringRunDocument,
  SegmentDocument,
  UpdateCustomerDocument,
} from './__generated__/graphql.js';
import { countStatements } from './support/statement-counter.js';
import { startTestStack, testKeys, type TestStack } from './support/stack.js';

/** What every field answers for a malformed ID or a NUL character, whatever its service. */
let stack: TestStack;
let customer: Customer;
let invoice: Invoice;
const em = () => stack.orm.em.fork();
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
  const e = em();
  customer = e.create(Customer, { name: 'Ada Lovelace', email: 'ada@example.com', acquiredAt: '2024-05-01' });
  invoice = e.create(Invoice, { customer, issuedAt: '2026-10-01', dueAt: '2026-10-15', amountMinor: 10_000 });
  await e.flush();
});
afterAll(() => stack?.stop());

/** Refused as a whole, before any resolver ran: VALIDATION naming the argument, and no data. */
const refusedFor = (field: string) => ({ errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'VALIDATION', reason: 'INVALID_ARGUMENT', field }) })] });

describe('a NUL character in a text argument', () => {
  it('is refused with VALIDATION naming the argument, before anything reaches PostgreSQL, and nothing is written', async () => {
    const nul = 'a\u0000b';
    const requests: [string, () => Promise<unknown>][] = [
      ['input.name', () => stack.gql(UpdateCustomerDocument, { id: customer.id, input: { name: nul } }, Role.Operator)],
      ['input.name', () => stack.gql(CreateSegmentDocument, { input: { name: nul, filter: {} } }, Role.Marketer)],
      ['input.description', () => stack.gql(CreateSegmentDocument, { input: { name: 'Fine', description: nul, filter: {} } }, Role.Marketer)],
      ['input.name', () => stack.gql(CreateCampaignDocument, { input: { name: nul, playbook: 'Appreciation', filter: {} } }, Role.Marketer)],
      ['reason', () => stack.gql(ExportCustomerDataDocument, { id: customer.id, reason: nul }, Role.Operator)],
      ['input.name', () => stack.gql(CreateOfferDocument, { input: { name: nul, code: 'NUL-1', audience: 'Everyone', validFrom: '2026-01-01' } }, Role.Marketer)],
      ['reason', () => stack.gql(CancelPlaybookRunDocument, { workflowId: `welcome-check/${customer.id}`, reason: nul }, Role.Operator)],
      ['filter.search', () => stack.gql(CustomersDocument, { first: 5, filter: { search: nul } }, Role.Viewer)],
    ];
    for (const [field, request] of requests) {
      const { result, statements } = await countStatements(request);
      expect(result).toEqual(refusedFor(field));
      expect(statements).toEqual([]);
    }
    expect((await em().findOneOrFail(Customer, customer.id)).name).toBe('Ada Lovelace');
    expect([await em().count(Segment), await em().count(Campaign), await em().count(Offer), await em().count(AuditEntry)]).toEqual([0, 0, 0, 0]);
  });

  it('in an imported file refuses that row alone, as the import reports bad rows', async () => {
    const csv = 'customer_ref,name,email\nNUL-1,Bad\u0000Name,bad@example.com\nNUL-2,Good Name,good@example.com\n';
    const r = await stack.gql(ImportCsvDocument, { input: { kind: 'Customers', csv, mode: 'GoodRows' } }, Role.Admin);
    expect(r.errors).toBeUndefined();
    expect(r.data!.importCsv).toMatchObject({ inserted: 1, rejected: 1, errors: [{ line: 2, field: null, message: 'contains a NUL character' }] });
  });
});

describe('a lone UTF-16 surrogate half in a text argument (QA 66 F2)', () => {
  it('is refused with VALIDATION naming the argument, before anything reaches PostgreSQL (it failed as INTERNAL_SERVER_ERROR writing the audit entry)', async () => {
    const lone = 'Bob \ud800';
    const requests: [string, () => Promise<unknown>][] = [
      ['input.name', () => stack.gql(UpdateCustomerDocument, { id: customer.id, input: { name: lone } }, Role.Operator)],
      ['input.name', () => stack.gql(IssueApiKeyDocument, { input: { name: '\udc00', role: 'Viewer' } }, Role.Admin)],
      ['input.name', () => stack.gql(CreateSegmentDocument, { input: { name: lone, filter: {} } }, Role.Marketer)],
      ['filter.search', () => stack.gql(CustomersDocument, { first: 5, filter: { search: lone } }, Role.Viewer)],
    ];
    for (const [field, request] of requests) {
      const { result, statements } = await countStatements(request);
      expect(result).toEqual(refusedFor(field));
      expect(statements).toEqual([]);
    }
    expect((await em().findOneOrFail(Customer, customer.id)).name).toBe('Ada Lovelace');
    // A pair (an emoji) is text like any other.
    expect((await stack.gql(CustomersDocument, { first: 5, filter: { search: '😀' } }, Role.Viewer)).errors).toBeUndefined();
  });

  it('in imported rows (importCustomers) refuses that row alone', async () => {
    const importCustomers = 'mutation($rows: [CustomerImportRow!]!) { importCustomers(rows: $rows, mode: GoodRows) { inserted errors { row field message } } }';
    const rows = [{ customerRef: 'LONE-1', name: 'Bad\ud800Name', email: 'lone@example.com' }, { customerRef: 'LONE-2', name: 'Good 😀 Name', email: 'good2@example.com' }];
    const r = await stack.gql(importCustomers as never, { rows }, Role.Admin);
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ importCustomers: { inserted: 1, errors: [{ row: 1, field: null, message: 'contains a lone UTF-16 surrogate (not well-formed text)' }] } });
  });

  it('in CSV text (importCsv) refuses the text, naming the line, and writes nothing: it was stored as U+FFFD, a reference no later export matches', async () => {
    const csv = 'customer_ref,name,email\nLONE-3,Good Name,good3@example.com\nLONE-4\ud83d,Ref cut,lone4@example.com\n';
    const r = await stack.gql(ImportCsvDocument, { input: { kind: 'Customers', mode: 'GoodRows', csv } }, Role.Admin);
    expect(r.errors![0]).toMatchObject({ message: 'Line 3 is not well-formed text: it contains a lone UTF-16 surrogate (a character cut in half)', extensions: { code: 'VALIDATION', reason: 'IMPORT_UNREADABLE_CSV', line: 3 } });
    expect(await em().count(Customer, { externalRef: { $in: ['LONE-3', 'LONE-4', 'LONE-4\ufffd'] } })).toBe(0);
    // A pair (an emoji) is text like any other.
    const fine = await stack.gql(ImportCsvDocument, { input: { kind: 'Customers', csv: 'customer_ref,name,email\nLONE-5,Good 😀 Name,good5@example.com\n' } }, Role.Admin);
    expect(fine.data!.importCsv).toMatchObject({ inserted: 1 });
  });
});

describe('IDs', () => {
  it('a malformed one is VALIDATION naming the argument, wherever it is used', async () => {
    expect(await stack.gql(CustomerDocument, { id: 'abc' }, Role.Viewer)).toEqual(refusedFor('id'));
    expect(await stack.gql(CampaignDocument, { id: 'nope' }, Role.Viewer)).toEqual(refusedFor('id'));
    expect(await stack.gql(SegmentDocument, { id: 'nope' }, Role.Viewer)).toEqual(refusedFor('id'));
    expect(await stack.gql(CreateCampaignDocument, { input: { name: 'C', playbook: 'Appreciation', segmentId: 'not-a-uuid' } }, Role.Marketer)).toEqual(refusedFor('input.segmentId'));
    expect(await stack.gql(RecordPaymentDocument, { input: { invoiceId: 'nope', amountMinor: 100 } }, Role.Operator)).toEqual(refusedFor('input.invoiceId'));
    expect(await stack.gql(RetryMessageDocument, { id: 'nope' }, Role.Operator)).toEqual(refusedFor('id'));
    expect(await em().count(Payment)).toBe(0);
  });

  it('an unknown well-formed one is NOT_FOUND, or null from a lookup query', async () => {
    expect((await stack.gql(CustomerDocument, { id: UNKNOWN }, Role.Viewer)).data!.customer).toBeNull();
    expect((await stack.gql(CampaignDocument, { id: UNKNOWN }, Role.Viewer)).data!.campaign).toBeNull();
    const notFound = async (request: Promise<{ errors?: readonly { extensions?: Record<string, unknown> }[] }>) => (await request).errors![0].extensions;
    expect(await notFound(stack.gql(CreateCampaignDocument, { input: { name: 'C', playbook: 'Appreciation', segmentId: UNKNOWN } }, Role.Marketer))).toMatchObject({ code: 'NOT_FOUND', reason: 'SEGMENT_NOT_FOUND' });
    expect(await notFound(stack.gql(RecordPaymentDocument, { input: { invoiceId: UNKNOWN, amountMinor: 100 } }, Role.Operator))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await notFound(stack.gql(RetryMessageDocument, { id: UNKNOWN }, Role.Operator))).toMatchObject({ code: 'NOT_FOUND', reason: 'MESSAGE_NOT_FOUND' });
    // A known one still works, in capitals too (a UUID is case-insensitive).
    expect((await stack.gql(RecordPaymentDocument, { input: { invoiceId: invoice.id, amountMinor: 100 } }, Role.Operator)).errors).toBeUndefined();
    expect((await stack.gql(CustomerDocument, { id: customer.id.toUpperCase() }, Role.Viewer)).data!.customer).toMatchObject({ id: customer.id, name: 'Ada Lovelace' });
  });

  it("a scoring run's is its workflow ID, taken as given", async () => {
    expect(await stack.gql(ScoringRunDocument, { id: 'rescore/no-such-run' }, Role.Viewer)).toEqual({ data: { scoringRun: null } });
  });
});

describe('a variable sent as null where the argument is non-null with a default (QA 62 F5)', () => {
  /** The answer and HTTP status of an operation as a front end writes it, with a nullable variable for a page size. */
  const send = async (query: string, variables: Record<string, unknown>) => {
    const response = await stack.api.apollo.executeOperation({ query, variables }, { contextValue: await stack.api.contextFor(`Bearer ${testKeys[Role.Admin]}`) });
    return { status: response.http.status ?? 200, result: response.body.kind === 'single' ? response.body.singleResult : null };
  };

  it('is refused as every broken argument rule is: HTTP 200, VALIDATION/INVALID_ARGUMENT with the field, before anything runs', async () => {
    const { result, statements } = await countStatements(async () => {
      const answer = await send('query ($first: Int, $after: String, $includeRevoked: Boolean) { apiKeys(first: $first, after: $after, includeRevoked: $includeRevoked) { totalCount } }', { first: null, includeRevoked: null });
      expect(answer.status).toBe(200);
      return answer.result;
    });
    expect(result).toEqual(refusedFor('first'));
    expect(statements).toEqual([]);
    expect(result!.errors![0].extensions!.fields).toEqual([
      { field: 'first', messages: ['first must not be null without last: leave it out for its default (20), or give last (and before) to page backward'] },
      { field: 'includeRevoked', messages: ['includeRevoked must not be null; leave it out for its default (false)'] },
    ]);
    // Left out, the default holds.
    expect((await send('query ($first: Int) { apiKeys(first: $first) { totalCount } }', {})).result!.errors).toBeUndefined();
  });
});

describe('a value of a megabyte where a refusal would quote it (QA 82 F4)', () => {
  const MB = 'a'.repeat(1 << 20);
  /** A refusal with its code, reason and field, and as short as any: it quotes the value by its start and length (README). */
  const refusedShort = async (request: Promise<unknown>, reason: string, field: string) => {
    const result = await request;
    expect(result).toMatchObject({ errors: [{ extensions: { code: 'VALIDATION', reason, field } }] });
    expect(JSON.stringify(result).length).toBeLessThan(2_000);
    return (result as { errors: { message: string }[] }).errors[0].message;
  };

  it('in a band, segment, step, owner or entity type filter is quoted by its first 60 characters and its length, once', async () => {
    const cut = `"${'a'.repeat(60)}… (${1 << 20} characters)"`;
    expect(await refusedShort(stack.gql(CustomersDocument, { first: 5, filter: { segment: [MB, MB] } }, Role.Viewer), 'CUSTOMER_INVALID_INPUT', 'filter.segment')).toBe(`Unknown segment ${cut}; one of: Champions, Loyal, Potential loyalist, New, Promising, Need attention, About to sleep, At risk, Can't lose them, Hibernating, Lost`);
    await refusedShort(stack.gql(CustomersDocument, { first: 5, filter: { riskBand: [MB] } }, Role.Viewer), 'CUSTOMER_INVALID_INPUT', 'filter.riskBand');
    for (const filter of [{ step: MB }, { riskBand: MB }, { loyaltyBand: MB }]) {
      expect(await refusedShort(stack.gql(RunningPlaybookRunsDocument, { first: 5, filter }, Role.Viewer), 'PLAYBOOK_INVALID_INPUT', `filter.${Object.keys(filter)[0]}`)).toContain(cut);
    }
    expect(await refusedShort(stack.gql(FixCasesDocument, { first: 5, filter: { owner: MB } }, Role.Viewer), 'PLAYBOOK_INVALID_INPUT', 'filter.owner')).toContain(cut);
    expect(await refusedShort(stack.gql(FixCasesDocument, { first: 5, filter: { owner: `x${'-'.repeat(1 << 20)}` } }, Role.Viewer), 'PLAYBOOK_INVALID_INPUT', 'filter.owner')).toContain('characters)" owns no fix case');
    expect(await refusedShort(stack.gql(ScoreBandChangesDocument, { kind: 'ChurnRisk', since: '2026-01-01', to: [MB] }, Role.Viewer), 'SCORING_INVALID_INPUT', 'to')).toContain(cut);
    expect(await refusedShort(stack.gql(AuditEntriesDocument, { first: 5, entityType: MB }, Role.Admin), 'AUDIT_INVALID_INPUT', 'entityType')).toContain(cut);
  });

  it('names many unknown values each once, five of them and how many more', async () => {
    const typos = Array.from({ length: 20_000 }, (_, i) => `typo-${i % 10_000}`);
    expect(await refusedShort(stack.gql(CustomersDocument, { first: 5, filter: { riskBand: typos } }, Role.Viewer), 'CUSTOMER_INVALID_INPUT', 'filter.riskBand')).toBe(
      'Unknown riskBand "typo-0", "typo-1", "typo-2", "typo-3", "typo-4" and 9995 more; one of: low, medium, high',
    );
  });

  it('as a cursor is refused without being decoded or sent back', async () => {
    await refusedShort(stack.gql(CustomersDocument, { first: 5, after: MB }, Role.Viewer), 'INVALID_CURSOR', 'after');
    await refusedShort(stack.gql(AuditEntriesDocument, { first: 5, after: MB }, Role.Admin), 'INVALID_CURSOR', 'after');
  });

  it("as a customer's locale or time zone is refused by its length (at most 35 and 64 characters), and the customer is left as is", async () => {
    expect(await refusedShort(stack.gql(UpdateCustomerDocument, { id: customer.id, input: { locale: MB } }, Role.Operator), 'INVALID_ARGUMENT', 'input.locale')).not.toContain('aaaa');
    expect(await refusedShort(stack.gql(UpdateCustomerDocument, { id: customer.id, input: { timeZone: MB } }, Role.Operator), 'INVALID_ARGUMENT', 'input.timeZone')).not.toContain('aaaa');
    // Within the length, a value that is none is quoted whole.
    expect(await refusedShort(stack.gql(UpdateCustomerDocument, { id: customer.id, input: { locale: 'x'.repeat(35) } }, Role.Operator), 'CUSTOMER_INVALID_INPUT', 'input.locale')).toBe(`"${'x'.repeat(35)}" is not a language tag (e.g. "de" or "de-AT")`);
    expect((await em().findOneOrFail(Customer, customer.id)).locale).toBe('en');
  });
});

describe('control, escape, direction-override and invisible-only names (QA 82 F5)', () => {
  const hidden = ['abc\u0001\u001b[31mred\u0007', '\u202Eevil', '\u200B', 'l1\nl2'];
  const refusedName = (result: unknown, reason: string) =>
    expect(result).toMatchObject({ errors: [{ message: expect.stringMatching(/holds no control or invisible characters .*; this one has U\+[0-9A-F]{4}\)$/), extensions: { code: 'VALIDATION', reason, field: 'input.name' } }] });

  it("are refused as a segment's, a campaign's or a customer's name, as an API key's is, and nothing is written", async () => {
    for (const name of hidden) {
      refusedName(await stack.gql(CreateSegmentDocument, { input: { name, filter: {} } }, Role.Marketer), 'SEGMENT_INVALID_INPUT');
      refusedName(await stack.gql(CreateCampaignDocument, { input: { name, playbook: 'Appreciation', filter: {} } }, Role.Marketer), 'CAMPAIGN_INVALID_INPUT');
      refusedName(await stack.gql(UpdateCustomerDocument, { id: customer.id, input: { name } }, Role.Operator), 'CUSTOMER_INVALID_INPUT');
      refusedName(await stack.gql(IssueApiKeyDocument, { input: { name, role: 'Viewer' } }, Role.Admin), 'AUTH_INVALID_INPUT');
      // An offer's name goes into the customers' e-mails as written.
      refusedName(await stack.gql(CreateOfferDocument, { input: { name, code: 'HIDDEN-1', audience: 'Everyone', discountPercent: 10, validFrom: '2026-01-01' } }, Role.Marketer), 'OFFER_INVALID_INPUT');
    }
    expect(await em().count(Offer, { code: 'HIDDEN-1' })).toBe(0);
    expect((await stack.gql(CreateOfferDocument, { input: { name: 'Treue 👩\u200D💻 Rabatt', code: 'SHOWN-1', audience: 'Everyone', discountPercent: 10, validFrom: '2026-01-01' } }, Role.Marketer)).errors).toBeUndefined();
    expect((await em().findOneOrFail(Customer, customer.id)).name).toBe('Ada Lovelace');
    expect(await em().count(Segment, { name: { $in: hidden } })).toBe(0);
    expect(await em().count(Campaign, { name: { $in: hidden } })).toBe(0);
  });

  it("take letters of every script, and a joiner between two of them in a customer's name", async () => {
    for (const name of ["Zoë O'Brien-Łukasz", '山田 太郎', 'محمد', 'حسین\u200Cزاده']) {
      const r = await stack.gql(UpdateCustomerDocument, { id: customer.id, input: { name } }, Role.Operator);
      expect(r.errors).toBeUndefined();
      expect((await em().findOneOrFail(Customer, customer.id)).name).toBe(name);
    }
    expect((await stack.gql(CreateSegmentDocument, { input: { name: 'Zoë 山田 محمد', filter: {} } }, Role.Marketer)).errors).toBeUndefined();
    await stack.gql(UpdateCustomerDocument, { id: customer.id, input: { name: 'Ada Lovelace' } }, Role.Operator);
  });

  it("in an imported customer's name refuse that row with its line, as updateCustomer refuses it; letters of every script pass", async () => {
    const offers = ['code,name,audience,discount_percent,valid_from', 'F5-OFFER-1,"Loyal\u202Etnuocsid",existing,10,2026-01-01', 'F5-OFFER-2,Loyal discount,existing,10,2026-01-01'].join('\n');
    expect((await stack.gql(ImportCsvDocument, { input: { kind: 'Offers', csv: offers, mode: 'GoodRows' } }, Role.Admin)).data!.importCsv).toMatchObject({
      inserted: 1,
      errors: [{ line: 2, field: 'name', message: expect.stringContaining('this one has U+202E') }],
    });
    const csv = ['customer_ref,name,email', 'F5-1,"abc\u001b[31mred",f51@example.com', 'F5-2,\u202Eevil,f52@example.com', 'F5-3,\u200B,f53@example.com', 'F5-4,"l1\nl2",f54@example.com', 'F5-5,山田 太郎,f55@example.com', 'F5-6,حسین\u200Cزاده,f56@example.com', "F5-7,Zoë O'Brien-Łukasz,f57@example.com"].join('\n');
    const r = await stack.gql(ImportCsvDocument, { input: { kind: 'Customers', csv, mode: 'GoodRows' } }, Role.Admin);
    expect(r.errors).toBeUndefined();
    const message = (code: string) => `holds no control or invisible characters (line breaks, tabs, zero-width or direction marks; this one has ${code})`;
    expect(r.data!.importCsv).toMatchObject({
      inserted: 3,
      rejected: 4,
      errors: [
        { line: 2, field: 'name', message: message('U+001B') },
        { line: 3, field: 'name', message: message('U+202E') },
        { line: 4, field: 'name', message: message('U+200B') },
        { line: 5, field: 'name', message: message('U+000A') },
      ],
    });
    expect((await em().find(Customer, { externalRef: { $like: 'F5-%' } }, { orderBy: { externalRef: 'asc' } })).map((c) => c.name)).toEqual(['山田 太郎', 'حسین\u200Cزاده', "Zoë O'Brien-Łukasz"]);
  });
});
