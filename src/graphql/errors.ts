import type { ApolloServerPlugin } from '@apollo/server';
import {
  getNamedType,
  GraphQLError,
  isInputObjectType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
  Kind,
  type FragmentDefinitionNode,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLFormattedError,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type ValueNode,
  parse,
  visit,
} from 'graphql';
import type { ValidationError } from 'class-validator';
import { ArgumentValidationError } from 'type-graphql';
import { DomainException } from '../domain/errors/domain-exception.js';
import { isDatabaseUnreachable, isStatementTimeout } from '../db/unreachable.js';
import { requestLogContext, type Logger } from '../logger.js';

const DATABASE_UNAVAILABLE = 'The database cannot be reached just now; try again shortly';
const DATABASE_TIMEOUT = 'The database did not finish this request in the time the API gives a statement (it may be busy, or another task such as an import may hold what it needs); nothing of it was written: try again shortly';

/**
 * The one place where failures become GraphQL errors: a domain exception's kind
 * is the error code, its own code the reason; anything unexpected is logged and
 * reported without internals. `field` (and each of `fields`) is the path from the
 * operation's argument, `input.topic` or `id`, however the service or rule named it.
 */
/** An error of a request the API's stop cut off: its statement cancelled (57014), or the ORM closed under it. */
function isCutOffByStop(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === '57014' || /driver has already been destroyed|after calling end on the pool|Client was closed|Connection terminated/i.test(String(message));
}

/** `stopping`: whether the API is stopping (errors of requests it cuts off are then expected, logged at warn). */
export function createErrorFormatter(logger: Logger, exposeInternals: boolean, stopping: () => boolean = () => false) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = rootCause(error);
    const args = (error instanceof GraphQLError && resolvedFields.get(error)?.args) || [];
    if (original instanceof DomainException) {
      // A service out of reach (the workflow engine) is an operator's matter, as the database's is: said once per request, whatever its fields.
      if (original.kind === 'UNAVAILABLE' && firstInRequest(warnedUnavailable)) logger.warn({ reason: original.code, path: formatted.path }, original.message);
      const details = asApiSpells(original.details);
      if (typeof details.field === 'string') {
        details.field = pathFromArgument(args, details.field);
        // The same shape as a declared rule's: a form reads `fields` whichever rule refused the input (a service may name several).
        if (original.kind === 'VALIDATION') {
          const named = Array.isArray(details.fields) ? (details.fields as { field: string; messages: string[] }[]) : null;
          details.fields = named ? named.map((f) => ({ field: pathFromArgument(args, f.field), messages: f.messages })) : [{ field: details.field, messages: [original.message] }];
        }
      }
      return {
        message: original.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { ...details, code: original.kind, reason: original.code },
      };
    }
    if (original instanceof ArgumentValidationError) {
      const fields = argumentProblems(original.extensions.validationErrors).map((f) => ({ ...f, field: pathFromArgument(args, f.field) }));
      return {
        message: fields.flatMap((f) => f.messages).join('; ') || 'Input is not valid',
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: 'VALIDATION', reason: 'INVALID_ARGUMENT', field: fields[0]?.field, fields },
      };
    }
    // graphql-js gives up validating a document of too many fields to compare (hundreds of one name): say so, with a reason.
    if (formatted.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' && formatted.message === 'Validation aborted.') {
      return {
        message: 'The query has too many fields to validate (hundreds of one name); ask for each field once',
        locations: formatted.locations,
        extensions: { ...formatted.extensions, reason: 'QUERY_TOO_COMPLEX' },
      };
    }
    // graphql-js stops lexing a document of too many tokens (parseOptions.maxTokens): a reason, and the limit (16.x spells it "more that").
    const tokens = formatted.extensions?.code === 'GRAPHQL_PARSE_FAILED' ? /Document contains more tha[nt] (\d+) tokens/.exec(formatted.message) : null;
    if (tokens) {
      return {
        message: `The query has more than ${tokens[1]} tokens; ask for less in one operation`,
        extensions: { ...formatted.extensions, reason: 'QUERY_TOO_MANY_TOKENS', maxTokens: Number(tokens[1]) },
      };
    }
    // Apollo's own refusals of a request it cannot take (BAD_REQUEST) come without a reason: given one, as every malformed body's is.
    if (formatted.extensions?.code === 'BAD_REQUEST' && formatted.extensions.reason === undefined) {
      return { ...formatted, extensions: { ...formatted.extensions, reason: badRequestReason(formatted.message) } };
    }
    // A variable GraphQL could not take (an impossible day, an unknown enum value): the argument it fills named as `field`,
    // as every other refusal of an input names it, so a form maps it to its input whichever rule refused it.
    const refusedVariable = formatted.extensions?.code === 'BAD_USER_INPUT' ? variableRefusal(error, formatted.message) : null;
    if (refusedVariable) {
      return { ...formatted, extensions: { ...formatted.extensions, reason: 'INVALID_VARIABLE', ...refusedVariable, fields: [{ field: refusedVariable.field, messages: [formatted.message] }] } };
    }
    // Parse, validation and variable errors from graphql-js / Apollo carry their own codes.
    const code = formatted.extensions?.code;
    if (code && code !== 'INTERNAL_SERVER_ERROR') return formatted;
    // A request cut off by the API's stop (its statement cancelled, or the pool closed under it): expected at a stop, no fault to alert on.
    if (stopping() && isCutOffByStop(original)) {
      logger.warn({ err: original, path: formatted.path }, 'a GraphQL operation was cut off by the API stopping');
      return { message: DATABASE_UNAVAILABLE, locations: formatted.locations, path: formatted.path, extensions: { code: 'UNAVAILABLE', reason: 'SHUTTING_DOWN' } };
    }
    // The database gone for a moment is a passing condition to retry, and its address is nobody's business.
    if (isDatabaseUnreachable(original)) {
      logger.warn({ err: original, path: formatted.path }, 'the database could not be reached in a GraphQL operation');
      return { message: DATABASE_UNAVAILABLE, locations: formatted.locations, path: formatted.path, extensions: { code: 'UNAVAILABLE', reason: 'DATABASE_UNAVAILABLE' } };
    }
    // Reached, but too slow: a statement the server cancelled (a lock held by an import, a heavy query) is worth an operator's look.
    if (isStatementTimeout(original)) {
      logger.error({ err: original, path: formatted.path }, 'a statement of a GraphQL operation ran past its statement timeout');
      return { message: DATABASE_TIMEOUT, locations: formatted.locations, path: formatted.path, extensions: { code: 'UNAVAILABLE', reason: 'DATABASE_TIMEOUT' } };
    }

    logger.error({ err: original, path: formatted.path }, 'unexpected error in a GraphQL operation');
    if (exposeInternals) return formatted;
    return { message: 'Internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}

/**
 * The reason of one of Apollo's BAD_REQUEST answers, told by its message (Apollo gives none): `variables` or `extensions`
 * that are no object (a JSON-encoded string, an array), an `operationName` that is no string, an empty `query`, a GET
 * Apollo's cross-site request forgery guard refuses (no `Content-Type: application/json` nor `apollo-require-preflight`
 * header) or a mutation sent by GET; anything else Apollo refuses is INVALID_REQUEST.
 */
export function badRequestReason(message: string): string {
  if (/^`variables` in a POST body|^The variables search parameter/.test(message)) return 'INVALID_VARIABLES';
  if (/^`extensions` in a POST body|^The extensions search parameter/.test(message)) return 'INVALID_EXTENSIONS';
  if (message.startsWith('`operationName` in a POST body')) return 'INVALID_OPERATION_NAME';
  if (message.startsWith('GraphQL operations must contain a non-empty `query`')) return 'MISSING_QUERY';
  if (message.includes('Cross-Site Request Forgery')) return 'CSRF_PREVENTED';
  if (message.startsWith('GET requests only support query operations')) return 'MUTATION_OVER_GET';
  return 'INVALID_REQUEST';
}

/**
 * What graphql-js's refusal of a variable's value (`Variable "$f" got invalid value … at "f.acquiredFrom"; …`) refused:
 * the variable, and the input it fills as the other refusals name one (`filter.acquiredFrom`: the argument, then the
 * path inside it), found where the operation uses the variable; null for another error, or a variable used nowhere.
 */
export function variableRefusal(error: unknown, message: string): { variable: string; field: string } | null {
  const name = /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)" got invalid value/.exec(message)?.[1];
  const source = error instanceof GraphQLError ? (error.source ?? error.nodes?.[0]?.loc?.source) : undefined;
  if (!name || !source) return null;
  // Inside the variable's value (graphql-js prints it `f.acquiredFrom`, `f.serviceTier[0]`): kept as printed, after the argument's path.
  const inside = new RegExp(` at "${name}((?:\\.[_A-Za-z][_0-9A-Za-z]*|\\[\\d+\\])*)"`).exec(message)?.[1] ?? '';
  let used: string | null = null;
  const find = (value: ValueNode, path: string): void => {
    if (used) return;
    if (value.kind === Kind.VARIABLE && value.name.value === name) used = path;
    else if (value.kind === Kind.OBJECT) for (const f of value.fields) find(f.value, `${path}.${f.name.value}`);
    else if (value.kind === Kind.LIST) value.values.forEach((v, i) => find(v, `${path}[${i}]`));
  };
  try {
    visit(parse(source), { Argument: (argument) => find(argument.value, argument.name.value) });
  } catch {
    return null;
  }
  return used === null ? null : { variable: name, field: `${used}${inside}` };
}

/** The requests an unavailable service was already logged for. */
const warnedUnavailable = new WeakSet<object>();

/** True the first time it is asked within a request (its log context) for `seen`, and outside any request. */
function firstInRequest(seen: WeakSet<object>): boolean {
  const request = requestLogContext.getStore();
  if (!request) return true;
  if (seen.has(request)) return false;
  seen.add(request);
  return true;
}

/** Details that name a status or a playbook, which a front end compares with the API's enum values. */
const ENUM_DETAILS = new Set(['status', 'playbook']);

/**
 * Details as the API spells them: a status or playbook stored as `cancelled` or `fair-reminder`
 * is `Cancelled` or `FairReminder`, as the schema's enums (CampaignStatus, Playbook, ...) name it.
 */
export function asApiSpells(details: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(details).map(([key, value]) => [key, ENUM_DETAILS.has(key) && typeof value === 'string' ? enumName(value) : value]));
}

const enumName = (stored: string): string => stored.replace(/(^|[-_ ])([a-z])/g, (_, __, letter: string) => letter.toUpperCase());

/**
 * A failure of the context function fails the whole request, before any resolver runs:
 * a wrong API key answers HTTP 401 with `WWW-Authenticate: Bearer` (Apollo would answer
 * 500, which monitors and clients read as the server's fault); its body is formatted as
 * above.
 */
export function contextFailure(error: unknown): unknown {
  if (isDatabaseUnreachable(error)) {
    // The API key could not be looked up: the whole request is unavailable (503), not the client's fault.
    return new GraphQLError(DATABASE_UNAVAILABLE, { originalError: error as Error, extensions: { http: { status: 503, headers: new Map([['retry-after', '5']]) } } });
  }
  if (!isUnauthenticated(error)) return error;
  return new GraphQLError(error.message, {
    originalError: error,
    extensions: { http: { status: 401, headers: new Map([['www-authenticate', 'Bearer']]) } },
  });
}

/** A request refused for its credentials (a wrong, revoked or expired key): HTTP 401. */
export const isUnauthenticated = (error: unknown): error is DomainException => error instanceof DomainException && error.kind === 'UNAUTHENTICATED';

/** The error a resolver or the context function threw, under graphql-js's and Apollo's wrappers. */
function rootCause(error: unknown): unknown {
  let current = error;
  while (current instanceof GraphQLError && current.originalError) current = current.originalError;
  return current;
}

/**
 * The broken rules of arguments, as the offending field (a dotted path inside an input
 * object) and its messages: what a client shows next to the field, without the validator's
 * internals (it echoes the whole input back as `target`).
 */
export function argumentProblems(errors: readonly ValidationError[], parent = ''): { field: string; messages: string[] }[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {});
    return [...(own.length ? [{ field, messages: own }] : []), ...argumentProblems(e.children ?? [], field)];
  });
}

/**
 * A field named relative to the input a service or validator was given (`topic`, `filter.segment`)
 * as the path from the operation's argument (`input.topic`), as a front end maps it to a form:
 * a path that begins with an argument's name stays; one that begins with a field of exactly
 * one input object argument gets that argument's name in front. Lists are not entered (a row's
 * index is not known here).
 */
export function pathFromArgument(args: readonly GraphQLArgument[], field: string): string {
  const first = field.split('.')[0];
  if (args.some((a) => a.name === first)) return field;
  const holders = args.filter((a) => {
    const type = isNonNullType(a.type) ? a.type.ofType : a.type;
    return isInputObjectType(type) && first in type.getFields();
  });
  return holders.length === 1 ? `${holders[0].name}.${field}` : field;
}

/** The schema field each resolver error came from, for the formatter to read its arguments. */
const resolvedFields = new WeakMap<GraphQLError, GraphQLField<unknown, unknown>>();

/**
 * Notes, for each error a resolver threw, the schema field it was resolving (found along the
 * error's path in the operation): Apollo gives the formatter the error alone. Errors raised
 * before execution (the argument checks) already name the whole path.
 */
export const resolvedFieldsPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ errors, operation, document, schema }) {
        if (!operation || !document) return;
        let fragments: Map<string, FragmentDefinitionNode> | undefined;
        for (const error of errors) {
          if (!error.path?.length) continue;
          fragments ??= new Map(document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
          const field = fieldAt(schema, operation, fragments, error.path);
          if (field) resolvedFields.set(error, field);
        }
      },
    };
  },
};

/** The schema field at a response path (`['customers', 'edges', 0, 'node', 'orders']`) of an operation. */
export function fieldAt(schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, path: readonly (string | number)[]): GraphQLField<unknown, unknown> | undefined {
  let parent: GraphQLNamedType | null | undefined = schema.getRootType(operation.operation);
  let selections: readonly SelectionNode[] | undefined = operation.selectionSet.selections;
  let field: GraphQLField<unknown, unknown> | undefined;
  for (const key of path) {
    if (typeof key === 'number') continue;
    const found: Selected | undefined = parent && selections ? selectedField(schema, selections, key, parent, fragments) : undefined;
    if (!found) return undefined;
    field = found.field;
    parent = getNamedType(field.type);
    selections = found.selections;
  }
  return field;
}

interface Selected {
  field: GraphQLField<unknown, unknown>;
  selections?: readonly SelectionNode[];
}

/**
 * The field answered under `key` among selections (an alias or a name, inside fragments too),
 * with the sub-selections of every place that selects it; undefined when the key names different
 * fields under different type conditions (the error's path does not say which it came from).
 */
function selectedField(schema: GraphQLSchema, selections: readonly SelectionNode[], key: string, parent: GraphQLNamedType, fragments: ReadonlyMap<string, FragmentDefinitionNode>): Selected | undefined {
  const found = matchingFields(schema, selections, key, parent, fragments);
  if (found.length === 0 || found.some((f) => f.field !== found[0].field)) return undefined;
  return { field: found[0].field, selections: found.flatMap((f) => f.selections ?? []) };
}

function matchingFields(schema: GraphQLSchema, selections: readonly SelectionNode[], key: string, parent: GraphQLNamedType, fragments: ReadonlyMap<string, FragmentDefinitionNode>): Selected[] {
  return selections.flatMap((selection): Selected[] => {
    if (selection.kind === Kind.FIELD) {
      if ((selection.alias ?? selection.name).value !== key || !(isObjectType(parent) || isInterfaceType(parent))) return [];
      const field = parent.getFields()[selection.name.value];
      return field ? [{ field, selections: selection.selectionSet?.selections }] : [];
    }
    const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
    if (!fragment) return [];
    const on = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : parent;
    return on ? matchingFields(schema, fragment.selectionSet.selections, key, on, fragments) : [];
  });
}
