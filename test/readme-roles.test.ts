import { readFile } from 'node:fs/promises';
import { getMetadataStorage } from 'type-graphql';
import { Role, roleAllows } from '../src/domain/auth/roles.js';
import { createSchema } from '../src/graphql/schema.js';

/** The README's table of who may call what, as `operation -> "marketer, operator, admin"` (or "any role"). */
async function readmeRoleTable(): Promise<Map<string, string>> {
  const readme = await readFile('README.md', 'utf8');
  const table = readme.slice(readme.indexOf('| operation | roles |')).split('\n\n')[0].split('\n').slice(2);
  const roles = new Map<string, string>();
  for (const row of table) {
    const [, operations, who] = row.split('|').map((cell) => cell.trim());
    for (const [, name, plural] of operations.matchAll(/`(\w+)(\(s\))?`/g)) {
      for (const op of plural ? [name, `${name}s`] : [name]) {
        expect(roles.has(op)).toBe(false);
        roles.set(op, who);
      }
    }
  }
  return roles;
}

/** Who may call an operation allowed to `allowed`, as the README writes it. */
function whoMay(allowed: readonly Role[]): string {
  const callers = [Role.Viewer, Role.Marketer, Role.Operator, Role.Admin].filter((caller) => roleAllows(caller, allowed));
  return callers.includes(Role.Viewer) ? 'any role' : callers.join(', ');
}

it("lists every query and mutation in the README's role table with the roles the code allows", async () => {
  await createSchema();
  const storage = getMetadataStorage();
  const table = await readmeRoleTable();
  const inCode = new Map(
    [...storage.queries, ...storage.mutations].map((op) => [op.schemaName, whoMay(storage.authorizedFields.find((a) => a.target === op.target && a.fieldName === op.methodName)!.roles as Role[])]),
  );
  expect(Object.fromEntries([...table].filter(([op]) => inCode.has(op)).sort())).toEqual(Object.fromEntries([...inCode].sort()));
  // Nothing listed that the API does not have (a renamed or removed operation).
  expect([...table.keys()].filter((op) => !inCode.has(op))).toEqual([]);
});
