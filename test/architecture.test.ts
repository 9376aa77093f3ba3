import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The arrows of README's Layout, checked on the source: `graphql -> services -> domain,
 * entities`; domain rules stay pure; workflows import only activity types, domain rules and
 * policies, and their own files (their bundle runs in Temporal's deterministic sandbox).
 */
interface Import {
  file: string;
  from: string;
  typeOnly: boolean;
  /** The names imported as values (not `type X`, nor under `import type`), as the module exports them. */
  values: string[];
}

const root = path.resolve('.');
const sources = (dir: string): string[] =>
  readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));

/** Every `import ... from`, `import '...'` and `export ... from` of a file; type-only when `import type` or each name is `type X`. */
function importsOf(file: string): Import[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const found: Import[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?([\s\S]*?)\s*from\s+'([^']+)'/gm)) {
    const names = /\{([\s\S]*)\}/.exec(m[2])?.[1].split(',').map((n) => n.trim()).filter(Boolean) ?? [];
    const typeOnly = Boolean(m[1]) || (names.length > 0 && !/^\w/.test(m[2]) && names.every((n) => n.startsWith('type ')));
    const values = m[1] ? [] : names.filter((n) => !n.startsWith('type ')).map((n) => n.split(/\s+as\s+/)[0]);
    found.push({ file, from: m[3], typeOnly, values });
  }
  for (const m of text.matchAll(/^import\s+'([^']+)'/gm)) found.push({ file, from: m[1], typeOnly: false, values: [] });
  return found;
}

/** The project folder an import reaches (`src/services`, `workflows`, ...), or the package it names. */
function target({ file, from }: Import): string {
  if (!from.startsWith('.')) return from.startsWith('node:') ? 'node' : from.split('/').slice(0, from.startsWith('@') ? 2 : 1).join('/');
  const resolved = path.relative(root, path.resolve(path.dirname(path.join(root, file)), from));
  const [top, second] = resolved.split(path.sep);
  return top === 'src' ? `src/${second}` : top;
}

const offending = (dirs: string[], allowed: (i: Import, to: string) => boolean) =>
  dirs.flatMap(sources).flatMap(importsOf).filter((i) => !allowed(i, target(i))).map((i) => `${i.file} imports ${i.from}`);

it('keeps domain rules pure: no database, engine, API or service in src/domain', () => {
  // Pure libraries only: statistics, and ISO 4217's currency list.
  expect(offending(['src/domain'], (_, to) => ['src/domain', 'node', 'simple-statistics', 'currency-codes'].includes(to))).toEqual([]);
});

it('keeps domain services free of GraphQL and Temporal: they reach the engine through its interfaces', () => {
  const forbidden = ['src/graphql', 'src/temporal', 'src/activities', 'src/http', 'src/app', 'src/bin', 'workflows', 'graphql', 'type-graphql', '@apollo/server', '@temporalio/client', '@temporalio/worker', '@temporalio/workflow', '@temporalio/activity', '@temporalio/common'];
  expect(offending(['src/services'], (_, to) => !forbidden.includes(to))).toEqual([]);
});

it('lets resolvers call services, never the engine or its activities directly', () => {
  expect(offending(['src/graphql'], (_, to) => !['src/temporal', 'src/activities', 'workflows', '@temporalio/client', '@temporalio/workflow'].includes(to))).toEqual([]);
});

it('lets workflows import only the workflow SDK, activity types, domain rules and their own files', () => {
  const allowed = (i: Import, to: string) =>
    ['@temporalio/workflow', '@temporalio/common', 'workflows', 'src/domain'].includes(to) || (to === 'src/activities' && i.typeOnly);
  expect(offending(['workflows'], allowed)).toEqual([]);
});

/** A policy object's value: `defaultScoringPolicy`, `appreciationPolicy`, `defaultPolicies`, `policiesWith` (types are fine). */
const POLICY_VALUE = /^(?:[a-z]\w*Policy|default\w*Polic(?:y|ies)|policiesWith)$/;

it('gives services, activities and resolvers their policies: none of them reads a default policy object itself', () => {
  // The processes (src/app, src/http, src/bin) choose the policies and hand them to createServices and createWorker.
  const dirs = ['src/services', 'src/activities', 'src/graphql'];
  const imported = dirs.flatMap(sources).flatMap(importsOf).flatMap((i) => i.values.filter((n) => POLICY_VALUE.test(n)).map((n) => `${i.file} imports ${n} from ${i.from}`));
  expect(imported).toEqual([]);
  // Nor do they define one: a policy lives beside its rule in src/domain, gathered in src/domain/policies.
  const defined = dirs.flatMap(sources).flatMap((file) => [...readFileSync(path.join(root, file), 'utf8').matchAll(/^export const (\w*Polic(?:y|ies))\b/gm)].map((m) => `${file} defines ${m[1]}`));
  expect(defined).toEqual([]);
});
