import { Readable } from 'node:stream';
import pg from 'pg';
import { Role } from '../src/domain/auth/roles.js';
import { Complaint, ComplaintSeverity, Customer, PlaybookRun, ScoreSnapshot } from '../src/entities/index.js';
import { fixIssueWorkflowId } from '../src/domain/playbooks/fix-issue.js';
import { ImportService } from '../src/services/import/import.service.js';
import { EraseCustomerDocument, OptOutDocument, RecordComplaintDocument, UpdateCustomerDocument } from './__generated__/graphql.js';
import { startTestStack, type TestStack } from './support/stack.js';

/**
 * An erasure clears the complaint texts of its customer (personal data). A complaint recorded
 * at the same moment, through the API or an import, must not slip in after that: it holds its
 * customer's row (for share) from its check to its insert, so either it is refused (the erasure
 * came first) or the erasure waits for it and clears its text too.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ worker: false });
}, 90_000);
afterAll(() => stack?.stop());

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Another session holds the customer's row a moment (an update of the contact data, an opt-out), so that two requests meet on it. */
async function holdingCustomer(id: string, meanwhile: () => Promise<void>): Promise<void> {
  const other = new pg.Client({ connectionString: stack.config.databaseUrl });
  await other.connect();
  try {
    await other.query('begin');
    await other.query('select 1 from customer where id = $1 for update', [id]);
    await meanwhile();
    await other.query('commit');
  } finally {
    await other.end();
  }
}

async function storedAfter(customerId: string) {
  const after = await stack.orm.em.fork().findOneOrFail(Customer, { id: customerId });
  const stored = await stack.orm.em.fork().find(Complaint, { customer: customerId });
  return { status: after.status, summaries: stored.map((c) => c.summary).filter((s) => s !== null) };
}

/** An erasure of the customer asked for first, then an import of `csv`, both waiting on the customer's row held a moment: they meet on it. */
async function importWhileErasing(customerId: string, kind: 'complaints' | 'customers', csv: string) {
  const imports = new ImportService(stack.config.databaseUrl, {}, null, 'EUR');
  let erasing!: ReturnType<typeof stack.gql<unknown, Record<string, unknown>>>;
  let importing!: ReturnType<ImportService['importCsv']>;
  await holdingCustomer(customerId, async () => {
    erasing = stack.gql(EraseCustomerDocument, { id: customerId, reason: 'Art. 17 request' }, Role.Admin);
    await pause(300);
    importing = imports.importCsv(kind, Readable.from([csv]), { mode: 'good-rows', source: 'crm.csv', actor: 'import:test' });
    await pause(500);
  });
  const [erased, report] = await Promise.all([erasing, importing]);
  expect(erased.errors).toBeUndefined();
  return report;
}

it('stores no complaint text for a customer erased while the complaint is recorded: the complaint is refused or its text is erased too', async () => {
  const em = stack.orm.em.fork();
  const customer = em.create(Customer, { name: 'Greta Example', email: 'greta@example.com', acquiredAt: '2024-01-01' });
  await em.flush();

  let erasing!: ReturnType<typeof stack.gql<unknown, Record<string, unknown>>>;
  let recording!: ReturnType<typeof stack.gql<unknown, Record<string, unknown>>>;
  await holdingCustomer(customer.id, async () => {
    erasing = stack.gql(EraseCustomerDocument, { id: customer.id, reason: 'Art. 17 request' }, Role.Admin);
    await pause(300);
    recording = stack.gql(
      RecordComplaintDocument,
      { input: { customerId: customer.id, topic: 'delivery-delay', severity: 'High', summary: 'Greta Example, Hauptstr. 5: parcel lost again' } },
      Role.Operator,
    );
    await pause(300);
  });
  const [erased, recorded] = await Promise.all([erasing, recording]);
  expect(erased.errors).toBeUndefined();
  // The erasure came first here: the complaint is refused.
  expect({ ...(await storedAfter(customer.id)), recordedError: recorded.errors?.[0]?.extensions?.reason ?? null }).toEqual({ status: 'erased', recordedError: 'CUSTOMER_ERASED', summaries: [] });
}, 60_000);

it('imports no complaint text for a customer erased while the file is imported: the line is refused as an unknown customer', async () => {
  const em = stack.orm.em.fork();
  const customer = em.create(Customer, { name: 'Hanna Example', email: 'hanna@example.com', acquiredAt: '2024-01-01', externalRef: 'CRM-ERASE-1' });
  await em.flush();
  const report = await importWhileErasing(
    customer.id,
    'complaints',
    'complaint_ref,customer_ref,topic,severity,opened_at,summary\nERASE-C1,CRM-ERASE-1,delivery-delay,high,2026-01-05T10:00:00Z,"Hanna Example, Hauptstr. 7: parcel lost"\n',
  );
  expect(await storedAfter(customer.id)).toEqual({ status: 'erased', summaries: [] });
  expect(report).toMatchObject({ inserted: 0, rejected: 1, errors: [{ line: 2, field: 'customer_ref', message: 'unknown customer "CRM-ERASE-1"' }] });
}, 60_000);

it('gives a customer erased while a customers import runs nothing of theirs in that import: the line makes a new customer with the defaults (QA 60 F1)', async () => {
  const em = stack.orm.em.fork();
  const customer = em.create(Customer, { name: 'Ida Example', email: 'ida@example.com', acquiredAt: '2024-01-01', externalRef: 'CRM-ERASE-2', timeZone: 'Europe/Berlin', locale: 'de' });
  await em.flush();
  const report = await importWhileErasing(customer.id, 'customers', 'customer_ref,name,email\nCRM-ERASE-2,Ida New,ida.new@example.com\n');
  expect(report).toMatchObject({ inserted: 1, rejected: 0 });
  // The erased customer's time zone and language, which the file does not give, are not copied to the new one.
  const now = await stack.orm.em.fork().find(Customer, { externalRef: 'CRM-ERASE-2' });
  expect(now.map((c) => ({ isNew: c.id !== customer.id, name: c.name, timeZone: c.timeZone, locale: c.locale }))).toEqual([{ isNew: true, name: 'Ida New', timeZone: 'UTC', locale: 'en' }]);
  expect((await stack.orm.em.fork().findOneOrFail(Customer, { id: customer.id })).status).toBe('erased');
}, 60_000);

it('lets a person edit a customer while an import holds them, as it does until its commit: only an erasure waits for it (review 37 F1)', async () => {
  const em = stack.orm.em.fork();
  const customer = em.create(Customer, { name: 'Kai Example', email: 'kai@example.com', acquiredAt: '2024-01-01', externalRef: 'CRM-EDIT-1' });
  await em.flush();
  const importing = new pg.Client({ connectionString: stack.config.databaseUrl });
  await importing.connect();
  try {
    await importing.query('begin');
    await importing.query(`select 1 from customer where external_ref = 'CRM-EDIT-1' for key share`);
    const edited = await Promise.race([
      Promise.all([
        stack.gql(UpdateCustomerDocument, { id: customer.id, input: { name: 'Kai Edited' } }, Role.Operator),
        stack.gql(OptOutDocument, { customerId: customer.id }, Role.Operator),
      ]),
      pause(5_000).then(() => 'waited for the import' as const),
    ]);
    expect(edited).not.toBe('waited for the import');
    for (const answer of edited as Array<{ errors?: unknown }>) expect(answer.errors).toBeUndefined();
    await importing.query('commit');
  } finally {
    await importing.end();
  }
  expect(await stack.orm.em.fork().findOneOrFail(Customer, { id: customer.id })).toMatchObject({ name: 'Kai Edited', marketingConsent: false });
}, 60_000);

it("records the fix a complaint starts as it starts, so an erasure before its first step finds it under way and is refused (QA 46 F1)", async () => {
  // A customer at risk, with the topic complained about twice: the third complaint starts a fix at once.
  const em = stack.orm.em.fork();
  const customer = em.create(Customer, { name: 'Ida Example', email: 'ida@example.com', acquiredAt: '2024-01-01' });
  for (const daysAgo of [20, 10]) em.create(Complaint, { customer, topic: 'delivery-delay', severity: ComplaintSeverity.Medium, openedAt: new Date(Date.now() - daysAgo * 86_400_000) });
  em.create(ScoreSnapshot, { customer, computedAt: new Date(), scores: { 'churn-risk': { value: 0.7, band: 'high', modelVersion: 'test', reasons: ['test'] } } });
  await em.flush();

  const third = await stack.gql(RecordComplaintDocument, { input: { customerId: customer.id, topic: 'delivery-delay', severity: 'Medium', summary: 'late again' } }, Role.Operator);
  expect(third.errors).toBeUndefined();
  // No worker runs here: the run's first step, which used to record it, has not run, as in the moment after a start.
  expect(await stack.orm.em.fork().findOne(PlaybookRun, { workflowId: fixIssueWorkflowId(customer.id, 'delivery-delay') })).toMatchObject({ status: 'running', playbook: 'fix-issue' });
  const erased = await stack.gql(EraseCustomerDocument, { id: customer.id, reason: 'Art. 17 request' }, Role.Admin);
  expect(erased.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'CUSTOMER_PLAYBOOKS_RUNNING' });
  expect((await stack.orm.em.fork().findOneOrFail(Customer, { id: customer.id })).status).toBe('active');
}, 60_000);
