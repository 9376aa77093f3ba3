import '../src/bin/require-node.js';
import { Kind, parse, validate, type OperationDefinitionNode } from 'graphql';
import { argumentProblemsOf } from '../src/graphql/argument-checks.js';
import { createSchema } from '../src/graphql/schema.js';
import { writeBenchmarkSection } from './benchmarks-file.js';
import { median } from './measure.js';

/**
 * What the per-request argument check (every ID a UUID, no NUL in any text: src/graphql/argument-checks.ts)
 * costs in the API process, against graphql-js validating the same document (work Apollo does once per
 * new document and caches) and parsing it. The check runs on every request, as variables differ.
 */
const ROUNDS = 7;
const customerRow = (i: number) => ({ customerRef: `CRM-${i}`, name: `Customer ${i}`, email: `c${i}@example.com`, timeZone: 'Europe/Berlin', serviceTier: 'standard', referrerRef: i > 0 ? `CRM-${i - 1}` : null });
const cases: Array<{ label: string; query: string; variables?: Record<string, unknown>; iterations: number }> = [
  {
    label: 'customer page (bench:api query: 50 customers, scores, 5 orders each)',
    query: 'query BenchPage { customers(first: 50) { edges { node { id name email scores { kind value band } orders(first: 5) { edges { node { id orderedAt amountMinor } } } } } } }',
    iterations: 20_000,
  },
  {
    label: 'createCampaign with a filter and a segment ID in variables',
    query: 'mutation ($input: CreateCampaignInput!) { createCampaign(input: $input) { id status preview { customers } } }',
    variables: { input: { name: 'Thank loyal payers', playbook: 'Appreciation', segmentId: '0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b', holdoutPercent: 10 } },
    iterations: 20_000,
  },
  {
    label: 'importCustomers with 10,000 rows (the most one call takes)',
    query: 'mutation ($rows: [CustomerImportRow!]!) { importCustomers(rows: $rows) { inserted updated unchanged rejected } }',
    variables: { rows: Array.from({ length: 10_000 }, (_, i) => customerRow(i)) },
    iterations: 20,
  },
];

function perCallMicros(iterations: number, fn: () => unknown): number {
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    for (let i = 0; i < iterations; i++) fn();
    times.push(((performance.now() - started) * 1000) / iterations);
  }
  return median(times);
}

const schema = await createSchema();
const rows: string[] = [];
for (const c of cases) {
  const document = parse(c.query);
  if (validate(schema, document).length) throw new Error(`${c.label}: the document does not validate`);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const check = () => {
    if (argumentProblemsOf(schema, operation, [], c.variables).length) throw new Error(`${c.label}: the check refused it`);
  };
  // Warm-up, then the three interleaved per round (check, validate, parse) so the machine's noise hits each alike.
  perCallMicros(Math.ceil(c.iterations / 10), check);
  const checkUs = perCallMicros(c.iterations, check);
  const validateUs = perCallMicros(c.iterations, () => validate(schema, document));
  const parseUs = perCallMicros(c.iterations, () => parse(c.query));
  console.error(`${c.label}: check ${checkUs.toFixed(1)} µs, validate ${validateUs.toFixed(1)} µs, parse ${parseUs.toFixed(1)} µs`);
  rows.push(`| ${c.label} | ${checkUs.toFixed(1)} µs | ${validateUs.toFixed(1)} µs | ${(checkUs / validateUs).toFixed(2)}x | ${parseUs.toFixed(1)} µs | ${(checkUs / parseUs).toFixed(2)}x |`);
}

await writeBenchmarkSection(`## GraphQL argument checks (bench:argument-checks)

Run ${new Date().toISOString().slice(0, 10)} on this 2-core machine (shared, noisy: compare ratios, not absolute numbers).
Command: \`npm run bench:argument-checks\` (median of ${ROUNDS} rounds per measurement, in one process, after a warm-up).
The check that refuses a malformed ID or a NUL character in any argument before a resolver runs (\`src/graphql/argument-checks.ts\`) runs on every request; graphql-js validating the same document (which Apollo does once per new document and then caches) and parsing it are the references measured beside it.

| document | argument check | validate | check / validate | parse | check / parse |
|---|---|---|---|---|---|
${rows.join('\n')}
`);
