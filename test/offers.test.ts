import { Role } from '../src/domain/auth/roles.js';
import { AuditEntry, Customer, MessageChannel, MessagePurpose, Offer, OutboxMessage } from '../src/entities/index.js';
import { OfferService } from '../src/services/offers/offer.service.js';
import { AuditEntriesDocument, CreateOfferDocument, EndOfferDocument, ImportCsvDocument, OffersDocument, SetOfferTranslatedNamesDocument, type CreateOfferInput, type OffersQuery, type OffersQueryVariables } from './__generated__/graphql.js';
import { startTestStack, type TestStack } from './support/stack.js';

/** Marketers manage offers through GraphQL; playbooks make them through the fairness rule. */
let stack: TestStack;
const em = () => stack.orm.em.fork();

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
});
afterAll(() => stack?.stop());

const input = (over: Partial<CreateOfferInput> = {}): CreateOfferInput => ({
  code: 'loyal10',
  name: '10% loyalty discount',
  audience: 'ExistingCustomers',
  discountPercent: 10,
  validFrom: '2026-01-01',
  ...over,
});
const create = (over: Partial<CreateOfferInput> = {}, role: Role | null = Role.Marketer) => stack.gql(CreateOfferDocument, { input: input(over) }, role);
const offerCount = () => em().count(Offer);

it('is created by a marketer or an admin only, upper-cased and audited', async () => {
  for (const role of [Role.Viewer, Role.Operator]) expect((await create({}, role)).errors![0].extensions!.code).toBe('FORBIDDEN');
  expect((await create({}, null)).errors![0].extensions!.code).toBe('UNAUTHENTICATED');
  expect(await offerCount()).toBe(0);

  const created = await create();
  expect(created.errors).toBeUndefined();
  expect(created.data!.createOffer).toMatchObject({ code: 'LOYAL10', audience: 'ExistingCustomers', discountPercent: 10, serviceTier: null, validFrom: '2026-01-01', validUntil: null });
  const [audit] = await em().find(AuditEntry, { entityId: created.data!.createOffer.id });
  expect(audit).toMatchObject({ action: 'offer.create', entityType: 'offer', after: { code: 'LOYAL10', audience: 'existing', discountPercent: 10 } });
  expect(audit.actor).toMatch(/^marketer:/);
  expect((await create({ code: 'TIER-SWITCH', discountPercent: null, serviceTier: 'Basic', audience: 'Everyone' }, Role.Admin)).data!.createOffer.serviceTier).toBe('Basic');
});

it('keeps its name in other languages, one per language, listed by language; an offers import leaves them', async () => {
  const created = await create({ code: 'TREUE', name: 'Loyalty', translatedNames: [{ language: 'fr', name: ' Fidélité ' }, { language: 'DE', name: 'Treuerabatt' }] });
  expect(created.errors).toBeUndefined();
  expect(created.data!.createOffer).toMatchObject({ name: 'Loyalty', translatedNames: [{ language: 'de', name: 'Treuerabatt' }, { language: 'fr', name: 'Fidélité' }] });
  expect((await em().findOneOrFail(Offer, { code: 'TREUE' })).translatedNames).toEqual({ de: 'Treuerabatt', fr: 'Fidélité' });
  const [createdAudit] = await em().find(AuditEntry, { entityId: created.data!.createOffer.id, action: 'offer.create' });
  expect(createdAudit.after).toMatchObject({ code: 'TREUE', translatedNames: { de: 'Treuerabatt', fr: 'Fidélité' } });
  // The source system renames it in its own language: the translations stay.
  const csv = 'code,name,audience,discount_percent,valid_from\nTREUE,Loyalty discount,existing,10,2026-01-01\n';
  expect((await stack.gql(ImportCsvDocument, { input: { kind: 'Offers', csv } }, Role.Admin)).data!.importCsv).toMatchObject({ updated: 1, written: true });
  expect(await em().findOneOrFail(Offer, { code: 'TREUE' })).toMatchObject({ name: 'Loyalty discount', translatedNames: { de: 'Treuerabatt', fr: 'Fidélité' } });
  const plain = (await create({ code: 'PLAIN' })).data!.createOffer;
  expect(plain.translatedNames).toEqual([]);

  // An imported or older offer gets its translations by setOfferTranslatedNames: a marketer's or admin's, checked, audited.
  const set = (id: string, translatedNames: { language: string; name: string }[], role: Role = Role.Marketer) => stack.gql(SetOfferTranslatedNamesDocument, { id, translatedNames }, role);
  expect((await set(plain.id, [{ language: 'de', name: 'Schlicht' }], Role.Operator)).errors![0].extensions).toMatchObject({ code: 'FORBIDDEN' });
  expect((await set(plain.id, [{ language: 'deutsch', name: 'Schlicht' }])).errors![0].extensions).toMatchObject({ code: 'VALIDATION', reason: 'OFFER_INVALID_INPUT', field: 'translatedNames' });
  // A name under another code of the language than a customer's locale keeps (deu for de) would never be read: refused, naming the one to use.
  const deu = (await set(plain.id, [{ language: 'DEU', name: 'Schlicht' }])).errors![0];
  expect(deu.extensions).toMatchObject({ code: 'VALIDATION', reason: 'OFFER_INVALID_INPUT', field: 'translatedNames' });
  expect(deu.message).toContain('deu: use the two-letter code de');
  expect((await set(plain.id, [{ language: 'tl', name: 'Payak' }])).errors![0].message).toContain('tl: use the code fil');
  expect((await set('4a0b0c6e-1d2e-4f3a-9b8c-7d6e5f4a3b2c', [])).errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'OFFER_NOT_FOUND' });
  expect((await em().findOneOrFail(Offer, { code: 'PLAIN' })).translatedNames).toBeNull();
  expect((await set(plain.id, [{ language: 'de', name: 'Schlicht' }])).data!.setOfferTranslatedNames.translatedNames).toEqual([{ language: 'de', name: 'Schlicht' }]);
  expect((await set(plain.id, [])).data!.setOfferTranslatedNames.translatedNames).toEqual([]);
  const audited = await em().find(AuditEntry, { entityId: plain.id, action: 'offer.translated-names' }, { orderBy: { at: 'asc', id: 'asc' } });
  expect(audited.map((e) => [e.before, e.after])).toEqual([
    [{ translatedNames: null }, { translatedNames: { de: 'Schlicht' } }],
    [{ translatedNames: { de: 'Schlicht' } }, { translatedNames: null }],
  ]);
  // (Out of the way of the listings below.)
  await em().nativeDelete(Offer, { code: { $in: ['TREUE', 'PLAIN'] } });
});

it('stores its name and translations in Unicode NFC, as the offers import does, so importing the same name changes nothing', async () => {
  const nfd = (s: string) => s.normalize('NFD');
  const created = await create({ code: 'GRUEN', name: nfd('Grüner Tarif'), translatedNames: [{ language: 'fr', name: nfd('Tarif écologique') }] });
  expect(created.errors).toBeUndefined();
  expect(await em().findOneOrFail(Offer, { code: 'GRUEN' })).toMatchObject({ name: 'Gr\u00fcner Tarif', translatedNames: { fr: 'Tarif \u00e9cologique' } });
  const csv = `code,name,audience,discount_percent,valid_from\nGRUEN,${nfd('Grüner Tarif')},existing,10,2026-01-01\n`;
  expect((await stack.gql(ImportCsvDocument, { input: { kind: 'Offers', csv } }, Role.Admin)).data!.importCsv).toMatchObject({ updated: 0, unchanged: 1 });
  await em().nativeDelete(Offer, { code: 'GRUEN' });
});

it('refuses bad input and a taken code, and writes nothing', async () => {
  const before = await offerCount();
  const cases: [Partial<CreateOfferInput>, string, string][] = [
    [{ code: 'x' }, 'VALIDATION', 'input.code'],
    [{ code: 'TEN PERCENT' }, 'VALIDATION', 'input.code'],
    [{ name: '  ' }, 'VALIDATION', 'input.name'],
    [{ discountPercent: 0 }, 'VALIDATION', 'input.discountPercent'],
    [{ discountPercent: 101 }, 'VALIDATION', 'input.discountPercent'],
    [{ discountPercent: null, serviceTier: null }, 'VALIDATION', 'input.discountPercent'],
    [{ validUntil: '2025-12-31' }, 'VALIDATION', 'input.validUntil'],
    [{ validFrom: '0001-01-01' }, 'VALIDATION', 'input.validFrom'],
    [{ description: 'x'.repeat(1001) }, 'VALIDATION', 'input.description'],
    [{ translatedNames: [{ language: 'German', name: 'Treuerabatt' }] }, 'VALIDATION', 'input.translatedNames'],
    [{ translatedNames: [{ language: 'ger', name: 'Treuerabatt' }] }, 'VALIDATION', 'input.translatedNames'],
    [{ translatedNames: [{ language: 'de', name: 'Treuerabatt' }, { language: 'DE', name: 'Treue' }] }, 'VALIDATION', 'input.translatedNames'],
    [{ translatedNames: [{ language: 'de', name: ' ' }] }, 'VALIDATION', 'input.translatedNames'],
    [{ translatedNames: [{ language: 'de', name: 'Treue\u202Erabatt' }] }, 'VALIDATION', 'input.translatedNames'],
    [{ code: 'Loyal10' }, 'CONFLICT', 'input.code'],
  ];
  for (const [over, code, field] of cases) {
    expect((await create({ code: 'NEW-ONE', ...over })).errors![0].extensions).toMatchObject({ code, field });
  }
  expect((await create({ validFrom: 'soon' })).errors![0].extensions!.code).toBe('BAD_USER_INPUT');
  expect(await offerCount()).toBe(before);
});

it('lists offers latest first day first, page by page, by the day they can be made and by audience', async () => {
  await create({ code: 'WELCOME30', audience: 'NewCustomers', discountPercent: 30, validFrom: '2026-03-01', validUntil: '2026-03-31' });
  await create({ code: 'SPRING5', audience: 'Everyone', discountPercent: 5, validFrom: '2026-04-01', validUntil: '2026-04-30' });
  const codes = async (vars: OffersQueryVariables) => {
    const all: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: OffersQuery['offers'] = (await stack.gql(OffersDocument, { first: 2, ...vars, after }, Role.Viewer)).data!.offers;
      all.push(...page.edges.map((e) => e.node.code));
      if (!page.pageInfo.hasNextPage) return { all, total: page.totalCount };
      after = page.pageInfo.endCursor!;
    }
  };
  expect(await codes({})).toEqual({ all: ['SPRING5', 'WELCOME30', 'LOYAL10', 'TIER-SWITCH'], total: 4 });
  expect(await codes({ activeOn: '2026-03-31' })).toEqual({ all: ['WELCOME30', 'LOYAL10', 'TIER-SWITCH'], total: 3 });
  expect(await codes({ activeOn: '2026-04-01', audience: ['NewCustomers', 'Everyone'] })).toEqual({ all: ['SPRING5', 'TIER-SWITCH'], total: 2 });
  expect((await stack.gql(OffersDocument, { first: 101 }, Role.Viewer)).errors![0].extensions).toMatchObject({ code: 'VALIDATION', field: 'first' });
});

it('is matched for existing customers from its first day: a better new-customer deal becomes what they are offered', async () => {
  const service = new OfferService(em());
  expect((await service.bestForExistingCustomer('2026-02-01')).best?.code).toBe('LOYAL10');
  const on = await service.bestForExistingCustomer('2026-03-15');
  expect(on.best).toMatchObject({ code: 'WELCOME30', discountPercent: 30 });
  expect(on.matchedNewCustomerOffer?.code).toBe('WELCOME30');
});

it('is not ended before a day thank-yous promised it to customers ("is yours until"): refused with that day and how many were told, taken from it on', async () => {
  const offer = (await create({ code: 'WINTER25', discountPercent: 25, validFrom: '2026-01-01', validUntil: '2027-02-04' })).data!.createOffer;
  const e = em();
  const customer = e.create(Customer, { name: 'Told', email: 'told@example.com', acquiredAt: '2020-01-01' });
  e.create(OutboxMessage, { idempotencyKey: `appreciation/${customer.id}/2026/thank-you`, customer, channel: MessageChannel.Email, purpose: MessagePurpose.Marketing, template: 'appreciation', payload: { offerCode: 'WINTER25', offerValidUntil: '2027-02-04' }, sentAt: new Date() });
  await e.flush();
  expect((await stack.gql(EndOfferDocument, { id: offer.id, on: '2026-12-31' }, Role.Marketer)).errors![0]).toMatchObject({
    message: 'Offer WINTER25 was promised to 1 customer in their thank-you until 2027-02-04: end it on that day or later',
    extensions: { code: 'CONFLICT', reason: 'OFFER_PROMISED', field: 'on', promisedUntil: '2027-02-04', customers: 1 },
  });
  expect((await em().findOneOrFail(Offer, offer.id)).validUntil).toBe('2027-02-04');
  // A thank-you held back never reached anyone: it promises nothing.
  await em().nativeUpdate(OutboxMessage, { customer: customer.id }, { sentAt: null, suppressedAt: new Date(), suppressedReason: 'opted-out' });
  expect((await stack.gql(EndOfferDocument, { id: offer.id, on: '2026-12-31' }, Role.Marketer)).data!.endOffer.validUntil).toBe('2026-12-31');
});

it('is not ended before the days a thank-you gave to use an offer without an end ("is yours")', async () => {
  const offer = (await create({ code: 'ALWAYS15', discountPercent: 15, validFrom: '2026-01-01' })).data!.createOffer;
  const e = em();
  const customer = e.create(Customer, { name: 'Thanked', email: 'thanked@example.com', acquiredAt: '2020-01-01' });
  e.create(OutboxMessage, {
    idempotencyKey: `appreciation/${customer.id}/2026/thank-you`, customer, channel: MessageChannel.Email, purpose: MessagePurpose.Marketing, template: 'appreciation',
    payload: { offerCode: 'ALWAYS15', offerValidUntil: null, offerPromisedUntil: '2026-12-20' }, sentAt: new Date(),
  });
  await e.flush();
  expect((await stack.gql(EndOfferDocument, { id: offer.id, on: '2026-12-07' }, Role.Marketer)).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'OFFER_PROMISED', promisedUntil: '2026-12-20', customers: 1 });
  expect((await stack.gql(EndOfferDocument, { id: offer.id, on: '2026-12-20' }, Role.Marketer)).data!.endOffer.validUntil).toBe('2026-12-20');
});

it('is ended by a marketer: its last day set, audited; ending it again by then is refused', async () => {
  const offer = (await create({ code: 'AUTUMN15', discountPercent: 15, validFrom: '2026-09-01' })).data!.createOffer;
  expect((await stack.gql(EndOfferDocument, { id: offer.id, on: '2026-09-30' }, Role.Operator)).errors![0].extensions!.code).toBe('FORBIDDEN');
  const ended = await stack.gql(EndOfferDocument, { id: offer.id, on: '2026-09-30' }, Role.Marketer);
  expect(ended.data!.endOffer.validUntil).toBe('2026-09-30');
  expect((await stack.gql(EndOfferDocument, { id: offer.id, on: '2026-10-15' }, Role.Marketer)).errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'OFFER_ALREADY_ENDED' });
  // Ending it earlier than planned is allowed: a mistake found before its last day.
  expect((await stack.gql(EndOfferDocument, { id: offer.id, on: '2026-09-10' }, Role.Marketer)).data!.endOffer.validUntil).toBe('2026-09-10');
  const audits = await em().find(AuditEntry, { entityId: offer.id, action: 'offer.end' }, { orderBy: { at: 'asc' } });
  expect(audits.map((a) => [a.before, a.after])).toEqual([
    [{ validUntil: null }, { validUntil: '2026-09-30' }],
    [{ validUntil: '2026-09-30' }, { validUntil: '2026-09-10' }],
  ]);
  expect((await stack.gql(EndOfferDocument, { id: '00000000-0000-4000-8000-000000000000' }, Role.Marketer)).errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'OFFER_NOT_FOUND' });
  expect((await stack.gql(EndOfferDocument, { id: 'nope' }, Role.Marketer)).errors![0].extensions).toMatchObject({ code: 'VALIDATION', field: 'id' });
  expect((await stack.gql(EndOfferDocument, { id: offer.id, on: '1899-12-31' }, Role.Marketer)).errors![0]).toMatchObject({
    message: 'on must not be before 1900-01-01',
    extensions: { code: 'VALIDATION', reason: 'OFFER_INVALID_INPUT', field: 'on' },
  });
});

it('takes one of two or three ends sent at the same moment, and audits only what it did', async () => {
  const end = (id: string, on: string) => stack.gql(EndOfferDocument, { id, on }, Role.Marketer).then((r) => r.data?.endOffer.validUntil ?? r.errors![0].extensions!.reason);
  const ends = async (id: string) =>
    (await em().find(AuditEntry, { entityId: id, action: 'offer.end' })).map((a) => [(a.before as { validUntil: string | null }).validUntil, (a.after as { validUntil: string }).validUntil]);
  for (let round = 0; round < 5; round++) {
    const sameDay = (await create({ code: `RACE-SAME-${round}`, validFrom: '2026-11-01' })).data!.createOffer;
    expect((await Promise.all([1, 2, 3].map(() => end(sameDay.id, '2026-12-05')))).sort()).toEqual(['2026-12-05', 'OFFER_ALREADY_ENDED', 'OFFER_ALREADY_ENDED']);
    expect(await ends(sameDay.id)).toEqual([[null, '2026-12-05']]);
    // The earlier last day stands whichever comes first; the later one is refused if the earlier came first.
    const twoDays = (await create({ code: `RACE-TWO-${round}`, validFrom: '2026-11-01' })).data!.createOffer;
    const answers = await Promise.all([end(twoDays.id, '2026-12-05'), end(twoDays.id, '2026-12-20')]);
    expect((await em().findOneOrFail(Offer, { id: twoDays.id })).validUntil).toBe('2026-12-05');
    // (Two entries written within the same millisecond have no order of their own: compared as a set.)
    expect((await ends(twoDays.id)).sort()).toEqual(
      answers[1] === 'OFFER_ALREADY_ENDED'
        ? [[null, '2026-12-05']]
        : [
            [null, '2026-12-20'],
            ['2026-12-20', '2026-12-05'],
          ],
    );
  }
});

it('withdraws an offer before its first day: it is never made', async () => {
  const winter = (await create({ code: 'WINTER20', audience: 'NewCustomers', discountPercent: 20, validFrom: '2026-12-01' })).data!.createOffer;
  expect((await stack.gql(EndOfferDocument, { id: winter.id, on: '2026-11-20' }, Role.Marketer)).data!.endOffer.validUntil).toBe('2026-11-20');
  const codesOn = async (day: string) => (await stack.gql(OffersDocument, { first: 50, activeOn: day }, Role.Viewer)).data!.offers.edges.map((e) => e.node.code);
  for (const day of ['2026-11-20', '2026-12-01', '2026-12-15']) expect(await codesOn(day)).not.toContain('WINTER20');
  expect((await new OfferService(em()).bestForExistingCustomer('2026-12-15')).best?.code).not.toBe('WINTER20');
});

/** An offers export imported as an admin does it: the rows given under the offers header. */
async function importOffers(rows: string) {
  const r = await stack.gql(ImportCsvDocument, { input: { kind: 'Offers', csv: 'code,name,audience,discount_percent,valid_from,valid_until\n' + rows } }, Role.Admin);
  expect(r.errors).toBeUndefined();
  return r.data!.importCsv;
}

const offerTrail = async (id: string) =>
  (await stack.gql(AuditEntriesDocument, { first: 20, entityType: 'offer', entityId: id }, Role.Admin)).data!.auditEntries.edges.map((e) => [e.node.action, e.node.before, e.node.after]);

it('stays ended against an offers import that does not know of the end, and audits what that import changed in it, until the source agrees', async () => {
  expect(await importOffers('SUMMER10,Summer,all,10,2026-06-01,2026-08-31\n')).toMatchObject({ inserted: 1, written: true });
  const summer = (await stack.gql(OffersDocument, { first: 50 }, Role.Viewer)).data!.offers.edges.find((e) => e.node.code === 'SUMMER10')!.node;
  expect((await stack.gql(EndOfferDocument, { id: summer.id, on: '2026-07-15' }, Role.Marketer)).data!.endOffer.validUntil).toBe('2026-07-15');

  // The next export still has the old last day, and a new name: the name is taken, the end stays.
  expect(await importOffers('SUMMER10,Summer sale,all,10,2026-06-01,2026-08-31\n')).toMatchObject({ updated: 1, written: true });
  expect(await em().findOneOrFail(Offer, summer.id)).toMatchObject({ name: 'Summer sale', validUntil: '2026-07-15', endedHereOn: '2026-07-15' });
  const activeOn = async (day: string) => (await stack.gql(OffersDocument, { first: 50, activeOn: day }, Role.Viewer)).data!.offers.edges.map((e) => e.node.code);
  expect(await activeOn('2026-08-01')).not.toContain('SUMMER10');
  // Nor does an open end open it; unchanged otherwise, the import still says in the offer's trail that it kept the end.
  expect(await importOffers('SUMMER10,Summer sale,all,10,2026-06-01,\n')).toMatchObject({ updated: 0, unchanged: 1 });
  expect((await em().findOneOrFail(Offer, summer.id)).validUntil).toBe('2026-07-15');
  const trail = () => offerTrail(summer.id);
  expect(await trail()).toEqual([
    ['offer.import', {}, { endKept: { validUntil: '2026-07-15', fileValidUntil: null } }],
    ['offer.import', { name: 'Summer' }, { name: 'Summer sale', endKept: { validUntil: '2026-07-15', fileValidUntil: '2026-08-31' } }],
    ['offer.end', { validUntil: '2026-08-31' }, { validUntil: '2026-07-15' }],
  ]);

  // The source ends it too (on an earlier day): taken, and the hold is over; a later extension is the source's own.
  expect(await importOffers('SUMMER10,Summer sale,all,10,2026-06-01,2026-07-10\n')).toMatchObject({ updated: 1 });
  expect(await em().findOneOrFail(Offer, summer.id)).toMatchObject({ validUntil: '2026-07-10', endedHereOn: null });
  expect(await importOffers('SUMMER10,Summer sale,all,10,2026-06-01,2026-09-30\n')).toMatchObject({ updated: 1 });
  expect((await em().findOneOrFail(Offer, summer.id)).validUntil).toBe('2026-09-30');
  expect((await trail()).slice(0, 2)).toEqual([
    ['offer.import', { validUntil: '2026-07-10' }, { validUntil: '2026-09-30' }],
    ['offer.import', { validUntil: '2026-07-15', endedHereOn: '2026-07-15' }, { validUntil: '2026-07-10', endedHereOn: null }],
  ]);
});

it('is kept open to the day thank-yous promised it until against an offers import that ends it earlier, audited with how many were told', async () => {
  expect(await importOffers('SPRING30,Spring,existing,30,2026-03-01,2027-03-31\n')).toMatchObject({ inserted: 1 });
  const spring = await em().findOneOrFail(Offer, { code: 'SPRING30' });
  const e = em();
  const thankYou = (name: string, until: string, sent: boolean) => {
    const customer = e.create(Customer, { name, email: `${name.toLowerCase()}@example.com`, acquiredAt: '2020-01-01' });
    e.create(OutboxMessage, {
      idempotencyKey: `appreciation/${customer.id}/2026/thank-you`, customer, channel: MessageChannel.Email, purpose: MessagePurpose.Marketing, template: 'appreciation',
      payload: { offerCode: 'SPRING30', discountPercent: 30, offerValidUntil: until },
      ...(sent ? { sentAt: new Date() } : { suppressedAt: new Date(), suppressedReason: 'opted-out' }),
    });
  };
  thankYou('Promised', '2027-03-15', true);
  // A thank-you held back never reached anyone: it promises nothing.
  thankYou('Never-told', '2027-03-30', false);
  await e.flush();

  // The CRM's export ends it at the end of January: the written promise stands until 15 March.
  expect(await importOffers('SPRING30,Spring,existing,30,2026-03-01,2027-01-31\n')).toMatchObject({ updated: 1 });
  expect(await em().findOneOrFail(Offer, spring.id)).toMatchObject({ validUntil: '2027-03-15', endedHereOn: null });
  expect((await offerTrail(spring.id))[0]).toEqual([
    'offer.import',
    { validUntil: '2027-03-31' },
    { validUntil: '2027-03-15', promiseKept: { validUntil: '2027-03-15', fileValidUntil: '2027-01-31', customers: 1 } },
  ]);
  // A last day on or after the promised one is taken as it comes.
  expect(await importOffers('SPRING30,Spring,existing,30,2026-03-01,2027-03-20\n')).toMatchObject({ updated: 1 });
  expect((await em().findOneOrFail(Offer, spring.id)).validUntil).toBe('2027-03-20');
  // A cut of the discount while the promise stands ("30% off, yours until 15 March") keeps the 30%; the rest of the row is taken.
  expect(await importOffers('SPRING30,Spring sale,existing,5,2026-03-01,2027-03-20\n')).toMatchObject({ updated: 1 });
  expect(await em().findOneOrFail(Offer, spring.id)).toMatchObject({ name: 'Spring sale', discountPercent: 30 });
  expect((await offerTrail(spring.id))[0]).toEqual([
    'offer.import',
    { name: 'Spring' },
    { name: 'Spring sale', promiseKept: { discountPercent: 30, fileDiscountPercent: 5, customers: 1 } },
  ]);
  // A raise is taken, and so is its correction back to what the customers were told: only a cut below that is held.
  expect(await importOffers('SPRING30,Spring sale,existing,40,2026-03-01,2027-03-20\n')).toMatchObject({ updated: 1 });
  expect(await importOffers('SPRING30,Spring sale,existing,30,2026-03-01,2027-03-20\n')).toMatchObject({ updated: 1 });
  expect((await em().findOneOrFail(Offer, spring.id)).discountPercent).toBe(30);
  // Nor is it taken from them for a while: a first day moved after today keeps the stored one while the promise stands.
  const later = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);
  expect(await importOffers(`SPRING30,Spring sale,existing,30,${later},2027-03-20\n`)).toMatchObject({ unchanged: 1 });
  expect((await em().findOneOrFail(Offer, spring.id)).validFrom).toBe('2026-03-01');
  expect((await offerTrail(spring.id))[0]).toEqual(['offer.import', {}, { promiseKept: { validFrom: '2026-03-01', fileValidFrom: later, customers: 1 } }]);
});
