import { readFile } from 'node:fs/promises';
import { getMetadataStorage } from 'type-graphql';
import { createSchema, printSdl } from '../src/graphql/schema.js';

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
