import { readFile } from 'node:fs/promises';
import type { GraphQLEnumType } from 'graphql';
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

it('describes every value of the enums a front end shows, and each score kind with the unit and defaults of its policy (QA21 M8, L10)', async () => {
  const schema = await createSchema();
  const values = (name: string) => (schema.getType(name) as GraphQLEnumType).getValues();
  for (const name of ['ScoreKind', 'CustomerEventKind', 'ServiceTier', 'MessageChannel', 'CampaignStatus', 'Playbook']) {
    expect(values(name).filter((v) => !v.description).map((v) => `${name}.${v.name}`)).toEqual([]);
  }
  const kind = (name: string) => values('ScoreKind').find((v) => v.name === name)!.description!;
  const { scoring } = defaultPolicies;
  expect(kind('ChurnRisk')).toContain('0 to 1');
  expect(kind('ChurnRisk')).toContain(`medium (from ${scoring.churnRisk.mediumRiskAtLeast}), high (from ${scoring.churnRisk.highRiskAtLeast})`);
  // Without a repeat purchase the value is no probability, and has thresholds of its own.
  expect(kind('ChurnRisk')).toContain(`Without one it is no probability`);
  expect(kind('ChurnRisk')).toContain(`of its own, low, medium (from ${scoring.churnRisk.noRepeatYet!.mediumRiskAtLeast}), high (from ${scoring.churnRisk.noRepeatYet!.highRiskAtLeast})`);
  expect(kind('Rfm')).toContain('R×100 + F×10 + M');
  expect(kind('Clv')).toContain(`next ${scoring.clv.months} months, discounted at ${scoring.clv.annualDiscountRate * 100}% a year, minor units`);
  expect(kind('Profitability')).toContain(`last ${scoring.profitabilityWindowDays} days, minor units`);
  expect(kind('Profitability')).toContain(`first ${scoring.profitabilityMinTenureDays} days`);
  expect(kind('ReferralValue')).toContain(`last ${scoring.profitabilityWindowDays} days`);
  expect(kind('PaymentLoyalty')).toContain('0 to 1');
  expect(kind('BehaviourChange')).toContain(`later-than-usual from ${scoring.behaviourChange.laterThanUsualAt}, overdue from ${scoring.behaviourChange.overdueAt}`);
  expect(kind('BehaviourChange')).toContain(`fewer than ${scoring.behaviourChange.minGaps + 1} purchase days`);
  expect(kind('PersistentIssue')).toContain(`the same topic ${scoring.persistentIssue.minComplaints} times, or reopened, within ${scoring.persistentIssue.windowDays} days`);
});

it("names an import row's problem as the GraphQL API answers it: the ImportRowProblem value, in the schema's descriptions and in docs/import.md beside the CLI report's spelling", async () => {
  const schema = await createSchema();
  const answered = (schema.getType('ImportRowProblem') as GraphQLEnumType).getValues();
  const sdl = await readFile('schema/schema.graphql', 'utf8');
  // Lines wrapped anywhere read as one.
  const doc = (await readFile('docs/import.md', 'utf8')).replace(/\s+/g, ' ');
  for (const { name, value } of answered) {
    // The CLI's spelling (the enum's internal value) is never what a description tells a GraphQL client to expect.
    expect(sdl).not.toMatch(new RegExp(`\\b${String(value)}\\b`));
    expect(doc).toContain(`\`${String(value)}\` → \`${name}\``);
  }
  const row = schema.getType('OrderImportRow') as unknown as { getFields(): Record<string, { description?: string | null }> };
  expect(row.getFields().currency.description).toContain('InvalidValue');
});

it('maps every custom scalar of the schema to a TypeScript type in codegen.ts, so no generated field is `unknown` (QA 62 F3)', async () => {
  const schema = await readFile('schema/schema.graphql', 'utf8');
  const codegen = await readFile('codegen.ts', 'utf8');
  const scalars = [...schema.matchAll(/^scalar (\w+)/gm)].map((m) => m[1]);
  expect(scalars).toEqual(expect.arrayContaining(['SafeInt', 'LocalDate', 'DateTimeISO']));
  const mapped = codegen.match(/scalars: \{([^}]*)\}/)![1];
  expect(scalars.filter((name) => !new RegExp(`\\b${name}: '`).test(mapped))).toEqual([]);
  expect(mapped).toContain("SafeInt: 'number'");
  const generated = await readFile('test/__generated__/graphql.ts', 'utf8');
  expect(generated).toMatch(/recordPayment: \{ id: string, amountMinor: number,/);
});

it('selects id wherever a checked-in document asks for a run, and pages no nested list under a list with one cursor for every row (QA 62 F9)', async () => {
  const { buildSchema, getNamedType, getNullableType, isListType, parse, TypeInfo, visit, visitWithTypeInfo, Kind } = await import('graphql');
  const { readdir } = await import('node:fs/promises');
  const schema = buildSchema(await readFile('schema/schema.graphql', 'utf8'));
  const files = (await readdir('schema/documents')).filter((f) => f.endsWith('.graphql'));
  const document = parse((await Promise.all(files.map((f) => readFile(`schema/documents/${f}`, 'utf8')))).join('\n'));
  // Fragments that select id, themselves or through a fragment they spread.
  const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  const fragmentsWithId = new Set<string>();
  const selectsId = (selections: readonly { kind: string; name: { value: string } }[]) =>
    selections.some((s) => (s.kind === Kind.FIELD && s.name.value === 'id') || (s.kind === Kind.FRAGMENT_SPREAD && fragmentsWithId.has(s.name.value)));
  for (let size = -1; size !== fragmentsWithId.size; ) {
    size = fragmentsWithId.size;
    for (const f of fragments) if (selectsId(f.selectionSet.selections as never)) fragmentsWithId.add(f.name.value);
  }
  const runsWithoutId: string[] = [];
  const nestedCursors: string[] = [];
  let operation = '';
  // Lists entered: a customer's invoices, a page of customers, ... (a root list's edges, a nested one's edges, a plain list).
  let listDepth = 0;
  const entered: boolean[] = [];
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      OperationDefinition: { enter: (node) => void (operation = node.name?.value ?? '') },
      FragmentDefinition: { enter: (node) => void (operation = `fragment ${node.name.value}`) },
      Field: {
        enter(node) {
          const type = typeInfo.getType();
          if (type && getNamedType(type).name === 'PlaybookRun' && node.selectionSet) {
            if (!selectsId(node.selectionSet.selections as never)) runsWithoutId.push(`${operation}: ${node.name.value}`);
          }
          const after = node.arguments?.find((a) => a.name.value === 'after');
          // Under a list (customers, a customer's invoices, ...): its rows' nested lists page on each row's own page.
          if (after && after.value.kind === Kind.VARIABLE && listDepth > 0 && !operation.endsWith('NestedCursor')) nestedCursors.push(`${operation}: ${node.name.value}`);
          const list = Boolean(type && isListType(getNullableType(type)));
          entered.push(list);
          if (list) listDepth++;
        },
        leave() {
          if (entered.pop()) listDepth--;
        },
      },
    }),
  );
  expect(runsWithoutId).toEqual([]);
  expect(nestedCursors).toEqual([]);
});

it('declares no checked-in variable nullable where its argument is non-null with a default, and gives it the same default (QA 62 F5)', async () => {
  const { buildSchema, isNonNullType, parse, print, specifiedRules, validate, valueFromAST, typeFromAST, astFromValue, Kind } = await import('graphql');
  const { readdir } = await import('node:fs/promises');
  const schema = buildSchema(await readFile('schema/schema.graphql', 'utf8'));
  const files = (await readdir('schema/documents')).filter((f) => f.endsWith('.graphql'));
  const document = parse((await Promise.all(files.map((f) => readFile(`schema/documents/${f}`, 'utf8')))).join('\n'));
  const nullable: string[] = [];
  const otherDefault: string[] = [];
  validate(schema, document, [
    ...specifiedRules,
    (context) => ({
      OperationDefinition(operation) {
        for (const { node, type, defaultValue } of context.getRecursiveVariableUsages(operation)) {
          const definition = operation.variableDefinitions?.find((d) => d.variable.name.value === node.name.value);
          if (!definition || !type || !isNonNullType(type) || defaultValue === undefined) continue;
          const where = `${operation.name?.value}: $${node.name.value}`;
          // A nullable variable invites the null the argument refuses (its generated type takes null).
          if (definition.type.kind !== Kind.NON_NULL_TYPE) nullable.push(where);
          else if (definition.defaultValue) {
            const declared = valueFromAST(definition.defaultValue, typeFromAST(schema, definition.type) as never);
            if (print(astFromValue(declared, type)!) !== print(astFromValue(defaultValue, type)!)) otherDefault.push(where);
          }
        }
      },
    }),
  ]);
  expect(nullable).toEqual([]);
  expect(otherDefault).toEqual([]);
});
