import { defaultPolicies } from '../src/domain/policies/index.js';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { SMTPServer } from 'smtp-server';
import { Role } from '../src/domain/auth/roles.js';
import { AuditEntry, Campaign, CampaignGroup, CampaignMember, Customer, CustomerExport, MessageChannel, MessagePurpose, OutboxMessage, PlaybookRun } from '../src/entities/index.js';
import { RunStatus } from '../src/domain/playbooks/run-status.js';
import { customerDocument } from '../src/services/customers/customer-data-export.service.js';
import { SmtpSender } from '../src/services/outbox/channels/smtp-sender.js';
import { mayMentionInFull } from '../src/services/customers/customer-erasure.service.js';
import { redactFullMentions, type Identity } from '../src/domain/customers/personal-mentions.js';
import { DeliveryService } from '../src/services/outbox/delivery.service.js';
import { PlaybookRunService } from '../src/services/playbooks/playbook-run.service.js';
import { AuditService } from '../src/services/audit/audit.service.js';
import { promisePolicyOf } from '../src/domain/playbooks/fair-reminder.js';
import { CreateCampaignDocument, CreateSegmentDocument, CustomerMessagesDocument, EraseCustomerDocument, RetryMessageDocument, UpdateCampaignDocument, UpdateSegmentDocument } from './__generated__/graphql.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * After eraseCustomer nothing in the database holds the customer's e-mail address (README,
 * "Erasing a customer's personal data"), also where it travelled as text: a mail server's
 * refusal, the audit of a retry, a marketer's saved search.
 */
let stack: TestStack;
const em = () => stack.orm.em.fork();

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
});
afterAll(() => stack?.stop());

/** A time zone where it is daytime now, so the quiet-hours guard lets a message go. */
function daytimeZone(): string {
  for (const zone of ['UTC', 'Europe/Berlin', 'America/New_York', 'America/Los_Angeles', 'Pacific/Auckland', 'Asia/Tokyo', 'Asia/Kolkata', 'Pacific/Honolulu']) {
    const hour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', hourCycle: 'h23' }).format(new Date()));
    if (hour >= 10 && hour < 19) return zone;
  }
  throw new Error('no daytime zone found');
}

/** An SMTP server that refuses a mailbox the way Postfix does: naming the address in its answer. */
async function refusingSmtp(): Promise<{ sender: SmtpSender; stop(): Promise<void> }> {
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const error = new Error(`5.1.1 <${address.address}>: Recipient address rejected: User unknown in virtual mailbox table`) as Error & { responseCode: number };
      error.responseCode = 550;
      callback(error);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const { port } = smtp.server.address() as AddressInfo;
  const sender = new SmtpSender(`smtp://127.0.0.1:${port}`, 'Retention <care@example.com>', 'team@example.com');
  return {
    sender,
    async stop() {
      await sender.close();
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    },
  };
}

it('keeps a mail server refusal without the address it names, and erasure leaves no copy of the address in the outbox (last_error) nor in the audit log (message.retry)', async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const email = `ada.lovelace.${tag}@example.com`;
  const e = em();
  const customer = e.create(Customer, { name: 'Ada Lovelace', email, timeZone: daytimeZone(), acquiredAt: '2024-05-01' });
  const message = e.create(OutboxMessage, {
    idempotencyKey: `test/${customer.id}/reminder`,
    customer,
    channel: MessageChannel.Email,
    purpose: MessagePurpose.Service,
    template: 'reminder-friendly',
    payload: { invoiceRef: 'INV-1', amountMinor: 1000 },
  });
  await e.flush();

  // The mail server refuses the address; delivery keeps its answer as the message's last error.
  const smtp = await refusingSmtp();
  try {
    const round = await new DeliveryService(em(), smtp.sender, defaultPolicies).deliverDue();
    expect(round.failed).toBeGreaterThanOrEqual(1);
  } finally {
    await smtp.stop();
  }
  const refusal = (await em().findOneOrFail(OutboxMessage, message.id)).lastError!;
  expect(refusal).toContain('550 5.1.1 <<recipient>>: Recipient address rejected');
  expect(refusal).not.toContain(email);
  // One kept before refusals were stored so: the address is in it.
  await em().nativeUpdate(OutboxMessage, { id: message.id }, { lastError: `550 5.1.1 <${email}>: Recipient address rejected` });

  // An operator retries it (after correcting nothing): the audit log keeps the refusal, address included.
  const retried = await stack.gql(RetryMessageDocument, { id: message.id }, Role.Operator);
  expect(retried.errors).toBeUndefined();

  // The customer asks to be erased.
  const erased = await stack.gql(EraseCustomerDocument, { id: customer.id, reason: 'Erasure request, ticket 1' }, Role.Admin);
  expect(erased.errors).toBeUndefined();
  expect(erased.data!.eraseCustomer.customer.email).toBe(`erased-${customer.id}@erased.invalid`);

  // Every table, as text: nothing may still hold the address.
  const db = stack.orm.em.fork().getKysely();
  const leftovers: string[] = [];
  for (const table of ['customer', 'outbox_message', 'audit_entry', 'complaint', 'customer_export', 'fix_case', 'playbook_run', 'campaign', 'segment']) {
    const { rows } = await sql<{ row: string }>`select t::text as row from ${sql.table(table)} t where t::text like ${`%${email}%`}`.execute(db);
    for (const r of rows) leftovers.push(`${table}: ${r.row.slice(0, 300)}`);
  }
  // And nobody, not even a viewer, reads it back through the customer's messages.
  const viewed = await stack.gql(CustomerMessagesDocument, { id: customer.id, first: 10 }, Role.Viewer);
  expect(viewed.errors).toBeUndefined();
  const seenByViewer = viewed.data!.customer!.messages.edges.map((m) => m.node.lastError).filter((t) => t?.includes(email));

  expect({ leftovers, seenByViewer }).toEqual({ leftovers: [], seenByViewer: [] });
}, 60_000);

it('erasure leaves no copy of the e-mail address in a saved segment or campaign (and their audit entries) that searched for the customer, and keeps searches others share', async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const email = `grace.hopper.${tag}@example.com`;
  const e = em();
  const customer = e.create(Customer, { name: `Grace Hopper ${tag}`, email, acquiredAt: '2024-05-01' });
  await e.flush();
  // A marketer keeps a one-person segment, found by e-mail address (the customers filter's search).
  const saved = await stack.gql(CreateSegmentDocument, { input: { name: `VIP ${tag}`, filter: { search: email } } }, Role.Marketer);
  expect(saved.errors).toBeUndefined();
  // A campaign for them, found by name; and a segment of everyone at the domain, which names nobody.
  const campaign = await stack.gql(CreateCampaignDocument, { input: { name: `Thanks ${tag}`, playbook: 'Appreciation', filter: { search: `grace hopper ${tag}` } } }, Role.Marketer);
  expect(campaign.errors).toBeUndefined();
  const domain = await stack.gql(CreateSegmentDocument, { input: { name: `Domain ${tag}`, filter: { search: 'example.com' } } }, Role.Marketer);
  expect(domain.errors).toBeUndefined();

  const erased = await stack.gql(EraseCustomerDocument, { id: customer.id, reason: 'Erasure request, ticket 2' }, Role.Admin);
  expect(erased.errors).toBeUndefined();

  const db = stack.orm.em.fork().getKysely();
  const leftovers: string[] = [];
  for (const table of ['segment', 'campaign', 'audit_entry']) {
    const { rows } = await sql<{ row: string }>`select t::text as row from ${sql.table(table)} t where t::text like ${`%${email}%`}`.execute(db);
    for (const r of rows) leftovers.push(`${table}: ${r.row.slice(0, 200)}`);
  }
  for (const table of ['segment', 'campaign', 'audit_entry']) {
    const { rows } = await sql<{ row: string }>`select t::text as row from ${sql.table(table)} t where lower(t::text) like ${`%grace hopper ${tag}%`}`.execute(db);
    for (const r of rows) leftovers.push(`${table}: ${r.row.slice(0, 200)}`);
  }
  expect(leftovers).toEqual([]);
  // What they searched for now finds nobody; the search many share stays as it was.
  const searches = await sql<{ id: string; search: string }>`select id::text, filter ->> 'search' as search from segment where id in (${saved.data!.createSegment.id}, ${domain.data!.createSegment.id})
    union all select id::text, segment ->> 'search' from campaign where id = ${campaign.data!.createCampaign.id}`.execute(db);
  expect(Object.fromEntries(searches.rows.map((r) => [r.id, r.search]))).toEqual({
    [saved.data!.createSegment.id]: '[erased]',
    [domain.data!.createSegment.id]: 'example.com',
    [campaign.data!.createCampaign.id]: '[erased]',
  });
  // The changes are audited, by the admin who erased, with the search as it is now (review 37 F7).
  const audited = await sql<{ entity_id: string; action: string; before: unknown; after: Record<string, { search?: string }> }>`select entity_id, action, before, after from audit_entry
    where entity_id in (${saved.data!.createSegment.id}, ${domain.data!.createSegment.id}, ${campaign.data!.createCampaign.id}) and actor like 'admin:%'`.execute(db);
  expect(Object.fromEntries(audited.rows.map((r) => [r.entity_id, [r.action, r.before, r.after.filter?.search ?? r.after.segment?.search]]))).toEqual({
    [saved.data!.createSegment.id]: ['segment.update', null, '[erased]'],
    [campaign.data!.createCampaign.id]: ['campaign.update', null, '[erased]'],
  });
}, 60_000);

it('erases a saved search that is a part of the customer\'s address, name or phone only they have, and keeps a part others share (QA 52 F2)', async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const domain = `mail-${tag}.test`;
  const e = em();
  const customer = e.create(Customer, { name: `Ada Quill ${tag}`, email: `aq-${tag}@${domain}`, phone: `+45 20 ${tag.length}7 31 ${tag.length}9`, acquiredAt: '2026-01-01' });
  // Another customer, with the same first name and a like mailbox at another domain.
  e.create(Customer, { name: `Ada Byron ${tag}`, email: `ab-${tag}@elsewhere-${tag}.test`, acquiredAt: '2026-01-01' });
  await e.flush();
  const segment = async (search: string) => {
    const saved = await stack.gql(CreateSegmentDocument, { input: { name: `Part ${Math.random().toString(36).slice(2, 10)}`, filter: { search } } }, Role.Marketer);
    expect(saved.errors).toBeUndefined();
    return saved.data!.createSegment.id;
  };
  // Parts only she has: the mailbox without its domain's end, the local part with its @, her surname, digits of her phone.
  const hers = { mailbox: await segment(`aq-${tag}@mail`), localPart: await segment(`AQ-${tag}@`), surname: await segment(`quill ${tag}`), phone: await segment(`20 ${tag.length}7 31`) };
  const campaign = await stack.gql(CreateCampaignDocument, { input: { name: `Just one ${tag}`, playbook: 'WelcomeCheck', filter: { search: `q-${tag}@${domain.slice(0, 6)}` } } }, Role.Marketer);
  expect(campaign.errors).toBeUndefined();
  // Shared parts: her domain (with or without its @: only she has it now, but a domain is many people's), and parts
  // another customer has too (the mailboxes' common end, the first name).
  const shared = { domain: await segment(domain), atDomain: await segment(`@${domain}`), mailboxEnd: await segment(`-${tag}@`), firstName: await segment(`ada `) };

  expect((await stack.gql(EraseCustomerDocument, { id: customer.id, reason: 'Erasure request, ticket 3' }, Role.Admin)).errors).toBeUndefined();

  const db = stack.orm.em.fork().getKysely();
  const searches = async (ids: Record<string, string>) =>
    Object.fromEntries(
      await Promise.all(Object.entries(ids).map(async ([k, id]) => [k, (await sql<{ search: string }>`select filter ->> 'search' as search from segment where id = ${id}`.execute(db)).rows[0].search])),
    );
  expect(await searches(hers)).toEqual({ mailbox: '[erased]', localPart: '[erased]', surname: '[erased]', phone: '[erased]' });
  expect(await searches(shared)).toEqual({ domain, atDomain: `@${domain}`, mailboxEnd: `-${tag}@`, firstName: 'ada' });
  expect((await sql<{ search: string }>`select segment ->> 'search' as search from campaign where id = ${campaign.data!.createCampaign.id}`.execute(db)).rows[0].search).toBe('[erased]');
  // Nor do the segments' and the campaign's audit entries keep them.
  const leftovers: string[] = [];
  for (const part of [`aq-${tag}`, `quill ${tag}`, `q-${tag}@`, `20 ${tag.length}7 31`]) {
    const { rows } = await sql<{ row: string }>`select t::text as row from audit_entry t where t.entity_type in ('segment', 'campaign') and lower(t::text) like ${`%${part}%`}`.execute(db);
    for (const r of rows) leftovers.push(r.row.slice(0, 200));
  }
  expect(leftovers).toEqual([]);
}, 60_000);

it('keeps a segment description within its bounds when a short name in it becomes [erased], so the segment can still be updated (review 37 F4)', async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const e = em();
  const short = `Li ${tag.slice(0, 3)}`;
  const customer = e.create(Customer, { name: short, email: `li.${tag}@example.test`, acquiredAt: '2026-01-01' });
  await e.flush();
  const description = `${'x'.repeat(1000 - ` ${short}`.length)} ${short}`;
  const saved = await stack.gql(CreateSegmentDocument, { input: { name: `Full ${tag}`, description, filter: { serviceTier: ['Premium'] } } }, Role.Marketer);
  expect(saved.errors).toBeUndefined();
  expect((await stack.gql(EraseCustomerDocument, { id: customer.id, reason: 'Erasure request' }, Role.Admin)).errors).toBeUndefined();
  const id = saved.data!.createSegment.id;
  const [row] = (await sql<{ description: string }>`select description from segment where id = ${id}`.execute(stack.orm.em.fork().getKysely())).rows;
  expect(row.description.length).toBe(1000);
  expect(row.description).not.toContain(short);
  expect((await stack.gql(UpdateSegmentDocument, { id, input: { filter: { serviceTier: ['Basic'] } } }, Role.Marketer)).errors).toBeUndefined();
});

it('erases the full name, e-mail address and phone from segment and campaign names and descriptions (and their audit entries), keeps a first name alone, and keeps segment and campaign names unique (QA 60 F3)', async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const email = `mateo.${tag}@gmx.test`;
  const e = em();
  const customer = e.create(Customer, { name: `Mateo Yilmaz-Oberholzer`, email, phone: `+49 170 555 ${tag.length}234`, acquiredAt: '2026-01-01' });
  await e.flush();
  const segment = async (name: string, description?: string) => {
    const saved = await stack.gql(CreateSegmentDocument, { input: { name, description, filter: { serviceTier: ['Premium'] } } }, Role.Marketer);
    expect(saved.errors).toBeUndefined();
    return saved.data!.createSegment.id;
  };
  // Named in full (spaced instead of hyphenated) in a description; a first name and a surname alone elsewhere.
  const described = await segment(`Loyal ${tag}`, `for MATEO Yılmaz Öberholzer, ticket 7`);
  const called = await segment(`Call 0170 555 ${tag.length}234 back ${tag}`);
  const firstName = await segment(`Mateo's friends ${tag}`, `Mateo and others; Oberholzer family`);
  // A name that, without them, would be another segment's (whatever its case): renamed to it, through an update.
  const taken = await segment(`VIP [ERASED] ${tag}`);
  const renamed = await segment(`VIP ${tag}`);
  expect((await stack.gql(UpdateSegmentDocument, { id: renamed, input: { name: `VIP Mateo Yilmaz-Oberholzer ${tag}` } }, Role.Marketer)).errors).toBeUndefined();
  // A campaign named by their e-mail address, on creation and again by an update.
  const created = await stack.gql(CreateCampaignDocument, { input: { name: `Thanks ${email}`, playbook: 'Appreciation', filter: { serviceTier: ['Premium'] } } }, Role.Marketer);
  expect(created.errors).toBeUndefined();
  const campaign = created.data!.createCampaign.id;
  expect((await stack.gql(UpdateCampaignDocument, { id: campaign, input: { name: `Thanks again ${email.toUpperCase()}` } }, Role.Marketer)).errors).toBeUndefined();
  // Another campaign has the name it gets without theirs (an earlier erasure's, say): campaign names are unique too.
  expect((await stack.gql(CreateCampaignDocument, { input: { name: 'Thanks again [ERASED]', playbook: 'Appreciation', filter: { serviceTier: ['Premium'] } } }, Role.Marketer)).errors).toBeUndefined();

  expect((await stack.gql(EraseCustomerDocument, { id: customer.id, reason: 'Erasure request, ticket 7' }, Role.Admin)).errors).toBeUndefined();

  const db = stack.orm.em.fork().getKysely();
  const segments = await sql<{ id: string; name: string; description: string | null }>`select id::text, name, description from segment where id in (${described}, ${called}, ${firstName}, ${taken}, ${renamed})`.execute(db);
  expect(Object.fromEntries(segments.rows.map((r) => [r.id, [r.name, r.description]]))).toEqual({
    [described]: [`Loyal ${tag}`, 'for [erased], ticket 7'],
    [called]: [`Call [erased] back ${tag}`, null],
    [firstName]: [`Mateo's friends ${tag}`, 'Mateo and others; Oberholzer family'],
    [taken]: [`VIP [ERASED] ${tag}`, null],
    [renamed]: [`VIP [erased] ${tag} (${renamed.slice(0, 8)})`, null],
  });
  expect((await sql<{ name: string }>`select name from campaign where id = ${campaign}`.execute(db)).rows[0].name).toBe(`Thanks again [erased] (${campaign.slice(0, 8)})`);
  // Their audit entries (segment.create / update, campaign.create / update, before and after) keep none of it either.
  const entries = await sql<{ entity_id: string; action: string; actor: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null }>`
    select entity_id, action, actor, before, after from audit_entry where entity_id in (${described}, ${called}, ${firstName}, ${renamed}, ${campaign}) and action in ('segment.create', 'segment.update', 'campaign.create', 'campaign.update') order by at, id`.execute(db);
  const byErasure = entries.rows.filter((r) => r.actor.startsWith('admin:'));
  const texts = entries.rows.filter((r) => !byErasure.includes(r)).map((r) => [r.entity_id, r.action, r.before?.name ?? null, r.after?.name ?? null, r.after?.description ?? null]);
  expect(texts).toEqual([
    [described, 'segment.create', null, `Loyal ${tag}`, 'for [erased], ticket 7'],
    [called, 'segment.create', null, `Call [erased] back ${tag}`, null],
    [firstName, 'segment.create', null, `Mateo's friends ${tag}`, 'Mateo and others; Oberholzer family'],
    [renamed, 'segment.create', null, `VIP ${tag}`, null],
    [renamed, 'segment.update', `VIP ${tag}`, `VIP [erased] ${tag}`, null],
    [campaign, 'campaign.create', null, `Thanks [erased]`, null],
    [campaign, 'campaign.update', `Thanks [erased]`, `Thanks again [erased]`, null],
  ]);
  // The erasure's own renames are audited, by the admin who erased, with what each is now and not what it was (review 37 F7).
  expect(Object.fromEntries(byErasure.map((r) => [r.entity_id, [r.action, r.before, r.after]]))).toEqual({
    [described]: ['segment.update', null, { description: 'for [erased], ticket 7' }],
    [called]: ['segment.update', null, { name: `Call [erased] back ${tag}` }],
    [renamed]: ['segment.update', null, { name: `VIP [erased] ${tag} (${renamed.slice(0, 8)})` }],
    [campaign]: ['campaign.update', null, { name: `Thanks again [erased] (${campaign.slice(0, 8)})` }],
  });
  expect(byErasure).toHaveLength(4);
  const leftovers: string[] = [];
  for (const needle of [email, 'yilmaz', 'yılmaz', `555 ${tag.length}234`]) {
    for (const table of ['segment', 'campaign', 'audit_entry']) {
      const { rows } = await sql<{ row: string }>`select t::text as row from ${sql.table(table)} t where lower(t::text) like ${`%${needle}%`}`.execute(db);
      for (const r of rows) leftovers.push(`${table}: ${r.row.slice(0, 200)}`);
    }
  }
  expect(leftovers).toEqual([]);
}, 60_000);

it('reads every text redactFullMentions changes as perhaps naming the customer in its first look in the database, whatever the script, case, accents or apostrophes (review 37 F5)', async () => {
  const people: Identity[] = [
    { names: ['Νίκος Παπαδόπουλος', 'Αλέξης Σοφός'], emails: ['nikos@example.gr'], phones: ['+30 21 0123 4567'] },
    { names: ['Mateo Yilmaz-Oberholzer'], emails: ['Mateo.Private@GMX.de'], phones: [] },
    { names: ['Zoë Łukasiewicz-Groß', 'Ægir Þórsson'], emails: [], phones: [] },
    { names: ['Seán O’Brien', 'İlkay Işık', 'Đorđe Ħaġar'], emails: [], phones: [] },
  ];
  const spellings = (name: string) => {
    const plain = name.normalize('NFD').replace(/\p{M}/gu, '');
    return [...new Set([name, name.toUpperCase(), name.toLowerCase(), name.normalize('NFD'), plain, plain.toUpperCase(), name.replace(/-/g, ' '), name.replace(/ /g, '-').toUpperCase()])];
  };
  const around = (v: string) => [v, `for ${v}'s renewal`, `${v}'S renewal`, `${v}’S`, `${v}'s'`, `VIP ${v}.`, `(${v})`, `${v}-team`, `${v}'x ${v}`];
  const misses: string[] = [];
  let changed = 0;
  for (const who of people) {
    const texts = [...who.names.flatMap(spellings).flatMap(around), ...who.emails.flatMap((e) => [`for ${e.toUpperCase()}`, `${e}'s`]), ...who.phones.map((p) => `call ${p}`)];
    const found = await mayMentionInFull(em(), who, texts);
    texts.forEach((text, i) => {
      if (redactFullMentions(text, who) === text) return;
      changed++;
      if (!found[i]) misses.push(text);
    });
  }
  expect(changed).toBeGreaterThan(100);
  expect(misses).toEqual([]);
});

it("erases a Greek name written in capitals before an apostrophe from a segment's name (review 37 F5, R3)", async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const e = em();
  const customer = e.create(Customer, { name: 'Νίκος Παπαδόπουλος', email: `nikos.${tag}@example.com`, acquiredAt: '2024-01-01' });
  await e.flush();
  const segment = async (name: string) => {
    const saved = await stack.gql(CreateSegmentDocument, { input: { name, filter: { serviceTier: ['Premium'] } } }, Role.Marketer);
    expect(saved.errors).toBeUndefined();
    return saved.data!.createSegment.id;
  };
  const possessive = await segment(`ΝΙΚΟΣ ΠΑΠΑΔΟΠΟΥΛΟΣ'S renewal ${tag}`);
  const plain = await segment(`ΝΙΚΟΣ ΠΑΠΑΔΟΠΟΥΛΟΣ renewal ${tag}`);
  expect((await stack.gql(EraseCustomerDocument, { id: customer.id, reason: 'Art. 17' }, Role.Admin)).errors).toBeUndefined();
  const { rows } = await sql<{ id: string; name: string }>`select id::text, name from segment where id in (${possessive}, ${plain})`.execute(stack.orm.em.fork().getKysely());
  expect(Object.fromEntries(rows.map((r) => [r.id, r.name]))).toEqual({ [possessive]: `[erased]'S renewal ${tag}`, [plain]: `[erased] renewal ${tag}` });
}, 60_000);

it("erases a full mention from the campaign names other customers' stored data exports copied, and from the reasons typed in the Temporal UI in a campaign's audit entries (review 37 F6)", async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const e = em();
  const rosa = e.create(Customer, { name: 'Rosa Delgado-Ruiz', email: `rosa.${tag}@example.test`, acquiredAt: '2026-01-01' });
  const tom = e.create(Customer, { name: `Tom Berg ${tag}`, email: `tom.${tag}@example.test`, acquiredAt: '2026-01-01' });
  const named = e.create(Campaign, { name: `Thanks Rosa Delgado-Ruiz ${tag}`, playbook: 'appreciation', segment: {}, createdBy: 'marketer:test' });
  const firstNameOnly = e.create(Campaign, { name: `Autumn for Rosa ${tag}`, playbook: 'appreciation', segment: {}, createdBy: 'marketer:test' });
  e.create(CampaignMember, { campaign: named, customer: tom, group: CampaignGroup.Treated, enrolledAt: new Date('2026-11-01T09:00:00Z') });
  e.create(CampaignMember, { campaign: firstNameOnly, customer: tom, group: CampaignGroup.Holdout, enrolledAt: new Date('2026-11-02T09:00:00Z') });
  await e.flush();
  // Tom left: his offboarding stored his export, which copies the campaigns' names.
  const x = em();
  x.create(CustomerExport, { workflowId: `offboarding/${tom.id}`, customer: tom.id, document: await customerDocument(x, await x.findOneOrFail(Customer, tom.id), 'EUR', 2), createdAt: new Date() });
  // Reasons an operator typed in the Temporal UI, as the campaign service audits them.
  const typed: Array<[string, Record<string, unknown>]> = [
    ['campaign.cancel-in-engine', { reason: 'Rosa Delgado-Ruiz complained, stop it', closedAt: '2026-11-03T09:00:00.000Z' }],
    ['campaign.ended-in-engine', { status: 'cancelled', endedInEngine: 'terminated', reason: 'ROSA DELGADO RUIZ asked', closedAt: '2026-11-03T09:00:00.000Z' }],
    ['campaign.reset-in-engine', { status: 'running', endUndone: 'cancelled', runId: 'r1', reason: 'undo for Rosa, ticket 9', resetAt: '2026-11-04T09:00:00.000Z' }],
  ];
  for (const [action, after] of typed) x.create(AuditEntry, { actor: 'temporal:ops@example.test', action, entityType: 'campaign', entityId: named.id, after });
  await x.flush();
  const db = stack.orm.em.fork().getKysely();
  const stored = async () => (await sql<{ document: Record<string, unknown> }>`select document from customer_export where customer_id = ${tom.id}`.execute(db)).rows[0].document;
  const before = await stored();
  expect(before.campaigns).toEqual([expect.objectContaining({ campaign: `Thanks Rosa Delgado-Ruiz ${tag}` }), expect.objectContaining({ campaign: `Autumn for Rosa ${tag}` })]);

  expect((await stack.gql(EraseCustomerDocument, { id: rosa.id, reason: 'Erasure request' }, Role.Admin)).errors).toBeUndefined();

  // Tom's export stays, with the campaign named as the erasure left it; the rest of it as it was.
  const campaigns = before.campaigns as Record<string, unknown>[];
  expect(await stored()).toEqual({ ...before, campaigns: [{ ...campaigns[0], campaign: `Thanks [erased] ${tag}` }, campaigns[1]] });
  expect((await sql<{ name: string }>`select name from campaign where id = ${named.id}`.execute(db)).rows[0].name).toBe(`Thanks [erased] ${tag}`);
  const reasons = await sql<{ action: string; reason: string }>`select action, after ->> 'reason' as reason from audit_entry where entity_id = ${named.id} and after ? 'reason' order by action`.execute(db);
  expect(reasons.rows).toEqual([
    { action: 'campaign.cancel-in-engine', reason: '[erased] complained, stop it' },
    { action: 'campaign.ended-in-engine', reason: '[erased] asked' },
    { action: 'campaign.reset-in-engine', reason: 'undo for Rosa, ticket 9' },
  ]);
  // Nothing else in those entries moved.
  const entries = await em().find(AuditEntry, { entityId: named.id, actor: 'temporal:ops@example.test' }, { orderBy: { action: 'asc' } });
  expect(entries.map((a) => a.after)).toEqual(typed.map(([, after], i) => ({ ...after, reason: reasons.rows[i].reason })));
}, 60_000);

it("erases the reason of an offboarding decision typed in the Temporal UI from the state an ended account review kept with its record, and keeps the rest of it (QA 69 F2)", async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const e = em();
  const customer = e.create(Customer, { name: `Ida Reason ${tag}`, email: `ida.${tag}@example.com`, acquiredAt: '2024-05-01' });
  // As the run hands it to recordRunOutcome as it ends: a decision typed in the Temporal UI carries its reason (the API's name their audit entry).
  const finalState = {
    customerId: customer.id,
    step: 'done',
    outcome: 'kept-by-decision',
    deadline: null,
    policyVersion: 1,
    proposal: { kind: 'none', reason: 'no cheaper tier fits' },
    answer: null,
    profitabilityMinor: -1200,
    decision: { approve: false, decidedBy: 'admin:1a2b3c4d', reason: `Ida Reason ${tag} called: she stays, ida.${tag}@example.com` },
    loyaltyBandTag: 'loyal',
  };
  e.create(PlaybookRun, { workflowId: `account-review/${customer.id}`, playbook: 'account-review', customer, status: RunStatus.Completed, outcome: 'kept-by-decision', finishedAt: new Date(), finalState });
  await e.flush();
  expect((await stack.gql(EraseCustomerDocument, { id: customer.id, reason: 'Erasure request, ticket 9' }, Role.Admin)).errors).toBeUndefined();
  const kept = (await em().findOneOrFail(PlaybookRun, { workflowId: `account-review/${customer.id}` })).finalState;
  expect(kept).toEqual({ ...finalState, decision: { approve: false, decidedBy: 'admin:1a2b3c4d', reason: '[erased]' } });
  // Nothing of the customer's is left in it.
  expect(JSON.stringify(kept)).not.toMatch(new RegExp(`Ida|${tag}`));
});

it('erases the typed reason from the state a run cancelled through the API keeps when it winds down after its customer was erased, and a cancel after a run completed keeps the state it completed in', async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const e = em();
  const customer = e.create(Customer, { name: `Rita Race ${tag}`, email: `rita.${tag}@example.com`, acquiredAt: '2024-05-01' });
  const other = e.create(Customer, { name: `Otto Done ${tag}`, email: `otto.${tag}@example.com`, acquiredAt: '2024-05-01' });
  // cancelPlaybookRun records the run cancelled as Temporal takes the cancel; the erasure then goes through while the run still winds down.
  e.create(PlaybookRun, { workflowId: `account-review/${customer.id}`, playbook: 'account-review', customer, status: RunStatus.Cancelled, outcome: 'cancelled', finishedAt: new Date() });
  const completedState = { customerId: other.id, step: 'done', outcome: 'offboarded', deadline: null, policyVersion: 1 };
  e.create(PlaybookRun, { workflowId: `account-review/${other.id}`, playbook: 'account-review', customer: other, status: RunStatus.Completed, outcome: 'offboarded', finishedAt: new Date(), finalState: completedState });
  await e.flush();
  expect((await stack.gql(EraseCustomerDocument, { id: customer.id, reason: 'Erasure request, ticket 10' }, Role.Admin)).errors).toBeUndefined();
  const runs = new PlaybookRunService(em(), new AuditService(), defaultPolicies.delivery.maxAttempts, promisePolicyOf(defaultPolicies.fairReminder));
  const wound = { customerId: customer.id, step: 'awaiting-decision', outcome: 'cancelled', deadline: null, policyVersion: 1, decision: { approve: true, decidedBy: 'admin:1a2b3c4d', reason: `Rita Race ${tag} phoned, rita.${tag}@example.com` } };
  await runs.recordOutcome({ workflowId: `account-review/${customer.id}`, outcome: 'cancelled', finalState: wound as never });
  const kept = (await em().findOneOrFail(PlaybookRun, { workflowId: `account-review/${customer.id}` })).finalState;
  expect(kept).toMatchObject({ step: 'awaiting-decision', decision: { approve: true, reason: '[erased]' } });
  expect(JSON.stringify(kept)).not.toMatch(new RegExp(`Rita|${tag}`));
  // A cancel that came while the other's completed run waited for its handlers: its record and kept state stay completed.
  await runs.recordOutcome({ workflowId: `account-review/${other.id}`, outcome: 'cancelled', finalState: { ...completedState, outcome: 'cancelled' } as never });
  expect(await em().findOneOrFail(PlaybookRun, { workflowId: `account-review/${other.id}` })).toMatchObject({ status: RunStatus.Completed, outcome: 'offboarded', finalState: completedState });
});
