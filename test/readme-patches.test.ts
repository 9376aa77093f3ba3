import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';

/** Every `patched('<marker>')` in the workflow code, with the file it is in. */
async function markersInWorkflows(): Promise<Map<string, string>> {
  const markers = new Map<string, string>();
  for (const name of (await readdir('workflows')).filter((n) => n.endsWith('.ts'))) {
    const source = await readFile(path.join('workflows', name), 'utf8');
    for (const [, marker] of source.matchAll(/\bpatched\('([^']+)'\)/g)) markers.set(marker, name);
  }
  return markers;
}

/** The markers README's table of `patched()` markers lists (its first column). */
async function markersInReadme(): Promise<string[]> {
  const readme = await readFile('README.md', 'utf8');
  const table = readme.slice(readme.indexOf('| marker | workflow |')).split('\n\n')[0].split('\n').slice(2);
  return table.map((row) => /^\| `([^`]+)` \|/.exec(row)?.[1] ?? row);
}

// Someone removing an old branch (deprecatePatch) goes by the table: a marker missing there is a branch nobody knows to check (QA 51 F8).
it("lists every patched() marker of the workflows in README's table, and no other", async () => {
  const inCode = await markersInWorkflows();
  expect(inCode.size).toBeGreaterThan(10);
  expect([...(await markersInReadme())].sort()).toEqual([...inCode.keys()].sort());
});
