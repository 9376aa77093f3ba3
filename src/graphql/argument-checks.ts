import type { ApolloServerPlugin } from '@apollo/server';
import { ValidationError } from 'class-validator';
import {
  getArgumentValues,
  getNamedType,
  GraphQLError,
  isInputObjectType,
  isInputType,
  isListType,
  isNonNullType,
  Kind,
  typeFromAST,
  TypeInfo,
  valueFromAST,
  visit,
  visitWithTypeInfo,
  type DefinitionNode,
  type DocumentNode,
  type FieldNode,
  type GraphQLInputObjectType,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValueNode,
} from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import { isUuid } from '../domain/ids.js';

/**
 * Extension of a query or mutation whose ID arguments are Temporal workflow IDs
 * (a scoring run's `rescore/...` or `rescore-nightly/<task queue>-...`), not UUIDs: their services look them up as given.
 */
export const WORKFLOW_ID_ARGS = { workflowIdArgs: true } as const;

/**
 * Extension of an input type whose text may hold a NUL character or a lone surrogate half: the import refuses
 * such a row itself, as one bad row of the file, instead of refusing the whole request.
 */
export const NUL_REFUSED_PER_ROW = { nulRefusedPerRow: true } as const;

interface Broken {
  node: FieldNode;
  error: ValidationError;
}

/**
 * Rules every argument follows, whatever the field, checked once per request for the
 * whole document (nested fields too, not once per row): an `ID` is a UUID, and no text
 * holds a NUL character or a lone surrogate half, which PostgreSQL cannot store. A malformed ID or a NUL would
 * otherwise surface as a database error, or as a different answer in each service.
 */
export function argumentProblemsOf(schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: readonly DefinitionNode[], variables: Record<string, unknown> | undefined): Broken[] {
  // The variables as sent, with the defaults their definitions give: not coerced here (execution coerces them once,
  // and a bulk import's 10,000 rows cost ~100 ms a coercion); values that do not fit their types are left to execution.
  const given: Record<string, unknown> = { ...variables };
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (given[name] === undefined && definition.defaultValue) {
      const type = typeFromAST(schema, definition.type);
      if (type && isInputType(type)) given[name] = valueFromAST(definition.defaultValue, type);
    }
  }
  const typeInfo = new TypeInfo(schema);
  const broken: Broken[] = [];
  const document = { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] } as const;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const field = typeInfo.getFieldDef();
        if (!field?.args.length) return;
        // A connection that pages both ways (its first nullable, with a default).
        const paged = field.args.some((a) => a.name === 'first') && field.args.some((a) => a.name === 'last');
        let values: Record<string, unknown>;
        try {
          values = getArgumentValues(field, node, given);
        } catch {
          // A variable sent as null where the argument (or an input field) is non-null with a default (`first: $first` with
          // `$first: Int` sent null): refused as every broken argument rule is, with its path. Other values graphql-js itself
          // refuses are reported by execution.
          for (const arg of node.arguments ?? []) {
            const declared = field.args.find((a) => a.name === arg.name.value);
            if (!declared) continue;
            if (paged && declared.name === 'first') {
              const problem = nullFirstProblem(node, given, declared.defaultValue);
              if (problem) broken.push({ node, error: problem });
            } else collectNulls(arg.value, declared.type, declared.name, declared.defaultValue, given, (error) => broken.push({ node, error }));
          }
          return;
        }
        const rules = { uuidIds: !field.extensions?.workflowIdArgs, nulAllowed: false };
        const errors: ValidationError[] = [];
        for (const arg of field.args) collectProblems(values[arg.name], arg.type, arg.name, rules, errors);
        if (paged) collectDirectionProblems(node, given, field.args.find((a) => a.name === 'first')!.defaultValue, errors);
        for (const error of errors) broken.push({ node, error });
      },
    }),
  );
  return broken;
}

interface Rules {
  uuidIds: boolean;
  nulAllowed: boolean;
}

const rulesInside = (type: GraphQLInputObjectType, rules: Rules): Rules => (type.extensions?.nulRefusedPerRow && !rules.nulAllowed ? { ...rules, nulAllowed: true } : rules);

/** Per input type and rules: whether any value inside it could break one (an import row holds no ID and may hold a NUL: its 10,000 rows are not walked). */
const mayBreakCache = new WeakMap<GraphQLInputObjectType, Map<string, boolean>>();
function mayBreak(type: GraphQLInputType, rules: Rules): boolean {
  const named = getNamedType(type);
  if (!isInputObjectType(named)) return !rules.nulAllowed || (named.name === 'ID' && rules.uuidIds);
  const key = `${rules.uuidIds}/${rules.nulAllowed}`;
  const known = mayBreakCache.get(named) ?? new Map<string, boolean>();
  mayBreakCache.set(named, known);
  if (!known.has(key)) {
    known.set(key, false); // An input type that holds itself: its other fields decide.
    const inner = rulesInside(named, rules);
    known.set(key, Object.values(named.getFields()).some((f) => mayBreak(f.type, inner)));
  }
  return known.get(key)!;
}

function collectProblems(value: unknown, type: GraphQLInputType, path: string, rules: Rules, errors: ValidationError[]): void {
  if (value == null || !mayBreak(type, rules)) return;
  if (isNonNullType(type)) return collectProblems(value, type.ofType, path, rules, errors);
  if (isListType(type)) {
    // A single value where a list is expected is a list of one, as GraphQL coerces it.
    if (!Array.isArray(value)) return collectProblems(value, type.ofType, `${path}.0`, rules, errors);
    for (let i = 0; i < value.length; i++) collectProblems(value[i], type.ofType, `${path}.${i}`, rules, errors);
    return;
  }
  if (isInputObjectType(type)) {
    if (typeof value !== 'object') return;
    const inner = rulesInside(type, rules);
    for (const [name, field] of Object.entries(type.getFields())) collectProblems((value as Record<string, unknown>)[name], field.type, `${path}.${name}`, inner, errors);
    return;
  }
  const isId = type.name === 'ID';
  // An ID may be sent as a number, which GraphQL takes as its text.
  const text = typeof value === 'string' ? value : isId && typeof value === 'number' ? String(value) : null;
  if (text === null) return;
  if (isId && rules.uuidIds && !isUuid(text)) errors.push(broken(path, { isId: `${path} is not an ID (a UUID)` }));
  else if (!rules.nulAllowed && text.includes('\0')) errors.push(broken(path, { noNul: `${path} contains a NUL character` }));
  // A lone half of a surrogate pair (JSON's "\ud800") is no text either: the audit log's jsonb refuses it, and a text column would keep U+FFFD instead.
  else if (!rules.nulAllowed && !text.isWellFormed()) errors.push(broken(path, { wellFormed: `${path} contains a lone UTF-16 surrogate (not well-formed text)` }));
}

/**
 * A connection pages one way at a time (Relay's cursor connections): forward with `first` and `after`, backward with
 * `last` and `before`. `first` has a default, so only a `first` the document gives (written in, or a variable given a
 * value or a default of its own) counts as given; a null counts as not given, as Relay and Apollo send the other
 * direction's from one query document: `first: null` beside `last` pages backward. Without `last`, a null `first` is
 * refused (`nullFirstProblem`).
 */
function collectDirectionProblems(node: FieldNode, given: Record<string, unknown>, firstDefault: unknown, errors: ValidationError[]): void {
  const has = (name: string) => {
    const arg = node.arguments?.find((a) => a.name.value === name);
    if (!arg || arg.value.kind === Kind.NULL) return false;
    return arg.value.kind !== Kind.VARIABLE || given[arg.value.name.value] != null;
  };
  const nullFirst = nullFirstProblem(node, given, firstDefault);
  if (nullFirst) errors.push(nullFirst);
  else if (has('last') && has('first')) errors.push(broken('last', { firstOrLast: 'first and last cannot be given together: page forward with first (and after), backward with last (and before)' }));
  else if (has('last') && has('after')) errors.push(broken('after', { afterIsForward: 'after pages forward, with first: going backward with last, give before (the startCursor of the page after)' }));
  else if (has('before') && !has('last')) errors.push(broken('before', { beforeNeedsLast: 'before pages backward: give last with it (first pages forward, with after)' }));
}

/**
 * A connection's `first` sent as null (written in, or a variable sent null) without a `last`: refused rather than read as
 * the default page size, as a null for any argument with a default is (`collectNulls`): the client asked for no size, and
 * silently getting one hides a forgotten variable. Beside a non-null `last` it is the backward page's "not forward".
 */
function nullFirstProblem(node: FieldNode, given: Record<string, unknown>, firstDefault: unknown): ValidationError | null {
  const valueOf = (name: string) => {
    const arg = node.arguments?.find((a) => a.name.value === name);
    if (!arg) return undefined;
    if (arg.value.kind === Kind.NULL) return null;
    return arg.value.kind === Kind.VARIABLE ? given[arg.value.name.value] : arg.value;
  };
  if (valueOf('first') !== null || valueOf('last') != null) return null;
  const fallback = firstDefault === undefined ? '' : `: leave it out for its default (${JSON.stringify(firstDefault)})`;
  return broken('first', { notNull: `first must not be null without last${fallback}, or give last (and before) to page backward` });
}

/** A variable sent as null in a non-null place of an argument's value: the place's path, with its default when it has one (a connection's nullable `first`: `nullFirstProblem`). */
function collectNulls(value: ValueNode, type: GraphQLInputType, path: string, defaultValue: unknown, given: Record<string, unknown>, report: (error: ValidationError) => void): void {
  if (value.kind === Kind.VARIABLE) {
    if (isNonNullType(type) && given[value.name.value] === null) {
      const fallback = defaultValue === undefined ? '' : `; leave it out for its default (${JSON.stringify(defaultValue)})`;
      report(broken(path, { notNull: `${path} must not be null${fallback}` }));
    }
    return;
  }
  const inner = isNonNullType(type) ? type.ofType : type;
  if (value.kind === Kind.LIST && isListType(inner)) value.values.forEach((item, i) => collectNulls(item, inner.ofType, `${path}.${i}`, undefined, given, report));
  if (value.kind === Kind.OBJECT && isInputObjectType(inner)) {
    const fields = inner.getFields();
    for (const f of value.fields) {
      const declared = fields[f.name.value];
      if (declared) collectNulls(f.value, declared.type, `${path}.${declared.name}`, declared.defaultValue, given, report);
    }
  }
}

const broken = (property: string, constraints: Record<string, string>) => Object.assign(new ValidationError(), { property, constraints, children: [] });

/**
 * The refusal of an operation whose arguments break a rule every argument follows (a malformed ID, a NUL character or a lone
 * surrogate half, a variable sent as null where the argument is non-null with a default, a connection's `first` null
 * without `last`, a connection asked to page both ways at once), or null when none does. Shaped by the error
 * formatter as every broken argument rule is (VALIDATION, INVALID_ARGUMENT, field, fields), and answered with HTTP 200
 * as those are: a front end reads it as a GraphQL error, not as a failed request.
 */
export function argumentRefusal(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined): GraphQLError | null {
  const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  const found = argumentProblemsOf(schema, operation, fragments, variables);
  if (!found.length) return null;
  return new GraphQLError('Input is not valid', {
    nodes: [...new Set(found.map((b) => b.node))],
    originalError: new ArgumentValidationError(found.map((b) => b.error)),
    extensions: { http: { status: 200 } },
  });
}

/** Refuses a request with a malformed ID, a NUL character, a lone surrogate half, a null for a non-null argument or a connection asked to page both ways (or neither: a null first without last) before any resolver runs: VALIDATION with the field. */
export function argumentChecksPlugin(schema: GraphQLSchema): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, operation }) {
          // No operation of that name: execution reports it.
          if (!operation) return;
          const refusal = argumentRefusal(schema, document, operation, request.variables);
          if (refusal) throw refusal;
        },
      };
    },
  };
}
