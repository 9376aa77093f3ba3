import { readFile } from 'node:fs/promises';
import { getMetadataStorage } from 'type-graphql';
import { createSchema, printSdl } from '../src/graphql/schema.js';
import { defaultPolicies } from '../src/domain/policies/index.js';

it('matches the checked-in schema/schema.graphql (run `npm run schema` after changing the API)', async () => {
  const checkedIn = await readFile('schema/schema.graphql', 'utf8');
  expect(printSdl(await createSchema())).toBe(checkedIn);
});

it('requires an explicit role on every query and mutation (deny by default)', async () => {
  await createSchema();
  const storage = getMetadataStorage();
  const operations = [...storage.queries, ...storage.mutations];
  expect(operations.length).toBeGreaterThan(0);
  const unguarded = operations.filter(
    (op) => !storage.authorizedFields.some((a) => a.target === op.target && a.fieldName === op.methodName && a.roles.length > 0),
  );
  expect(unguarded.map((op) => op.methodName)).toEqual([]);
});

it('names the default policy values in the playbook mutations as the policies have them', async () => {
  const schema = await createSchema();
  const mutation = (name: string) => schema.getMutationType()!.getFields()[name].description ?? '';
  const { fairReminder, triggers, appreciation, scoring } = defaultPolicies;
  expect(mutation('promiseToPay')).toContain(`${fairReminder.promise!.maxDaysAhead} by default`);
  expect(mutation('promiseToPay')).toContain(`(${fairReminder.promise!.graceDays} by default)`);
  expect(mutation('startAccountReview')).toContain(`(${triggers.accountReviewCooldownDays} days by default)`);
  expect(mutation('startAppreciation')).toContain(`(${appreciation.minTenureDays / 365} years by default)`);
  expect(mutation('startFixIssue')).toContain(`by default ${scoring.persistentIssue.minComplaints} complaints or a reopen within ${scoring.persistentIssue.windowDays} days`);
});
