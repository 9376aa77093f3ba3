import { readFile } from 'node:fs/promises';

/**
 * The production-like stack reads its settings from `.env`, but compose hands a container only
 * the variables its `environment` lists: a setting README's Configuration table offers that the
 * file does not list would be silently ignored there (QA 47 F2).
 */
it('hands the containers every setting README offers, except those of the local development servers', async () => {
  const readme = await readFile('README.md', 'utf8');
  const compose = await readFile('docker-compose.yml', 'utf8');
  const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\nPorts:', readme.indexOf('## Configuration')));
  const rows = table.split('\n').filter((line) => line.startsWith('| `'));
  // `npm start`'s own servers, and a Temporal CLI binary for building none: nothing a container runs.
  const local = (row: string) => row.includes('`npm start` only') || row.startsWith('| `TEMPORAL_CLI`');
  const offered = rows.filter((row) => !local(row)).flatMap((row) => [...row.split(' | ')[0].matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]));
  expect(offered.length).toBeGreaterThan(25);
  const listed = new Set([...compose.matchAll(/^\s+([A-Z_]+):/gm)].map((m) => m[1]));
  expect(offered.filter((name) => !listed.has(name))).toEqual([]);
});
