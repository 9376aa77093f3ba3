import { createHash } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  getNamedType,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  isObjectType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import type { MiddlewareFn } from 'type-graphql';
import { Turns } from '../services/common/turns.js';
import { argumentRefusal } from './argument-checks.js';

export interface QueryLimits {
  /** Deepest selection allowed (customers > edges > node > orders > edges > node ... counts each level). */
  maxDepth: number;
  /** Largest estimated cost: each field 1, connections times the page size asked for. */
  maxCost: number;
  /** Most mutations one request may carry (aliases included): each is a write, an import or a workflow start, and the rate limit counts a request once. */
  maxMutations: number;
  /** Most aliases one operation may use, anywhere in it: a thousand aliased counts or reports would each run against the whole base. */
  maxAliases: number;
  /**
   * Most fields an operation may have once its fragments are expanded: fragments that spread
   * each other many times grow to millions of fields from a few kilobytes, which compiling alone
   * would spend seconds of the API's one thread on.
   */
  maxFields: number;
}

/**
 * Most tokens (names, punctuation, values; not white space or comments) a document may have: graphql-js stops
 * lexing there (`parseOptions.maxTokens`), before parsing or validating more. A 12 MB `{ me { id id id ... } }`
 * held the API's one thread for 6 s in lexing, parsing and validation, before any limit above looked.
 * GraphiQL's introspection query has about 400; a screen's query a few hundred.
 */
export const MAX_QUERY_TOKENS = 10_000;

/** Longest query text a request may send (characters): large values travel as variables (importCsv's CSV), not in the document. */
export const MAX_QUERY_CHARS = 100_000;

export const defaultQueryLimits: QueryLimits = { maxDepth: 12, maxCost: 25_000, maxMutations: 10, maxAliases: 30, maxFields: 10_000 };

/**
 * What a report costs in a query (scoreDistribution, concentration, complaintTopics, fairnessReport,
 * fixCaseReport, operationsStatus, and a segment's reports): a pass over the base or a segment,
 * not a field read from a row; aliases or a page of segments with reports add up.
 */
export const REPORT_COMPLEXITY = 1_000;

/**
 * How many reports run at once in an API process: more wait their turn, so the reports of one
 * request (up to 25 within the cost limit) or of many cannot take every database connection
 * from the pages and mutations of everyone else.
 */
export const REPORTS_AT_ONCE = 3;
/** How many reports may wait for a place; more are refused at once (UNAVAILABLE, REPORTS_BUSY: try again shortly) rather than queued without end. */
export const REPORTS_WAITING = 50;
const reportTurns = new Turns(
  REPORTS_AT_ONCE,
  REPORTS_WAITING,
  () => new GraphQLError(`${REPORTS_WAITING} reports are waiting for their turn already; try again shortly`, { extensions: { code: 'UNAVAILABLE', reason: 'REPORTS_BUSY' } }),
);

/**
 * A report field's options: priced as a report, and nullable, so a report refused as busy
 * leaves the rest of the answer standing (the campaign or segment it belongs to, the other
 * root fields) instead of nulling its parent.
 */
export function reportField(description: string): { description: string; complexity: number; nullable: true } {
  return { description: `${description}. Null, with UNAVAILABLE/REPORTS_BUSY, while too many reports wait their turn: try again shortly`, complexity: REPORT_COMPLEXITY, nullable: true };
}

/** `@UseMiddleware(ReportTurn)` on a report field: it runs when one of the few report places is free. */
export const ReportTurn: MiddlewareFn = (_action, next) => reportTurns.take(() => next());

/**
 * What a workflow's live state costs (a run's step, deadline, fees, ...; a campaign's progress): a Temporal query per
 * run, which the worker answers by running the workflow (replaying it when not cached) in a workflow-task slot that
 * the playbooks' own timers and updates need, not a column of a row. Counted once per run (or campaign) whose state
 * is asked for, whatever fields of it, as one query answers them all: within the cost limit a request reads at most
 * about 240 runs' state (2 pages of 100 runs under way; a page of 100 customers with their 2 newest runs), while a
 * dashboard's page of 100 runs with all their fields fits. Every process also takes turns for them
 * (src/temporal/workflow-query-turns.ts).
 */
export const LIVE_STATE_COMPLEXITY = 100;

/**
 * `complexity` of a field of a workflow's live state: the field costs as any other, and the object it belongs to
 * (a run, a campaign) costs LIVE_STATE_COMPLEXITY more once when any of them is selected (`liveStateEstimator`).
 */
export const LIVE_STATE_FIELD: ComplexityEstimator = ({ childComplexity }) => 1 + childComplexity;

/**
 * Prices the live state of the objects a query asks it of: a field whose type is an object some of whose live-state
 * fields (`LIVE_STATE_FIELD`) it selects, through fragments too, costs LIVE_STATE_COMPLEXITY more, once; its own
 * price (a page's size times each node) multiplies that as any child's. @skip and @include are not looked at: the
 * price is of the fields written.
 */
function liveStateEstimator(schema: GraphQLSchema, document: DocumentNode): ComplexityEstimator {
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  const selectsLiveState = (type: GraphQLNamedType | undefined, selectionSet: SelectionSetNode, spread: Set<string>): boolean =>
    selectionSet.selections.some((selection) => {
      if (selection.kind === Kind.FIELD) return isObjectType(type) && type.getFields()[selection.name.value]?.extensions.complexity === LIVE_STATE_FIELD;
      if (selection.kind === Kind.INLINE_FRAGMENT) return selectsLiveState(selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type, selection.selectionSet, spread);
      const fragment = fragments.get(selection.name.value);
      if (!fragment || spread.has(fragment.name.value)) return false;
      spread.add(fragment.name.value);
      return selectsLiveState(schema.getType(fragment.typeCondition.name.value), fragment.selectionSet, spread);
    });
  const ownPrice = fieldExtensionsEstimator();
  return (options) => {
    if (!options.node.selectionSet || !selectsLiveState(getNamedType(options.field.type), options.node.selectionSet, new Set())) return undefined;
    const withState = { ...options, childComplexity: options.childComplexity + LIVE_STATE_COMPLEXITY };
    return ownPrice(withState) ?? 1 + withState.childComplexity;
  };
}

/** Refuses too deep queries while validating, before any resolver runs. */
export function depthLimitRule(limits: QueryLimits) {
  return maxDepthRule({
    n: limits.maxDepth,
    ignoreIntrospection: true,
    // Depth counts fields: a front end's fragments (co-located, generated) add no levels of their own.
    flattenFragments: true,
    // Report as a validation error of the request instead of throwing (which would surface as a 500).
    propagateOnRejection: false,
    onReject: [
      (context, error) =>
        context?.reportError(
          new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { reason: 'QUERY_TOO_DEEP', maxDepth: limits.maxDepth } }),
        ),
    ],
  });
}

/** Refuses an operation with more aliases than the limit while validating, before any resolver runs (graphql-armor's rule). */
export function aliasLimitRule(limits: QueryLimits): ValidationRule {
  return maxAliasesRule({
    n: limits.maxAliases,
    // graphql-armor leaves `__typename` out of the count by default (its allowList): a thousand `x: __typename`
    // still cost a thousand fields to validate and answer, so every alias counts.
    allowList: [],
    propagateOnRejection: false,
    onReject: [
      (context, error) =>
        context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { reason: 'TOO_MANY_ALIASES', maxAliases: limits.maxAliases } })),
    ],
  }) as unknown as ValidationRule;
}

/**
 * Refuses an operation of a kind the schema does not offer (a subscription: the API has none) while validating, as any
 * other document the schema cannot run, instead of failing later as an internal error.
 */
export function knownOperationTypeRule(context: ValidationContext) {
  return {
    OperationDefinition(operation: OperationDefinitionNode) {
      if (context.getSchema().getRootType(operation.operation)) return;
      context.reportError(
        new GraphQLError(`The API offers no ${operation.operation}s: send a query or a mutation`, { nodes: [operation], extensions: { reason: 'OPERATION_NOT_SUPPORTED', operation: operation.operation } }),
      );
    },
  };
}

/**
 * Refuses a mutation operation carrying more root fields than the limit, while validating:
 * a thousand aliased optOuts or imports in one request would otherwise pass the cost limit
 * (a mutation costs 1) and the rate limit (one request) alike.
 */
export function mutationCountRule(limits: QueryLimits): ValidationRule {
  return (context: ValidationContext) => ({
    OperationDefinition(operation) {
      if (operation.operation !== 'mutation') return;
      const count = rootFields(context, operation.selectionSet, new Set());
      if (count > limits.maxMutations) {
        context.reportError(
          new GraphQLError(`The operation carries ${count} mutations; at most ${limits.maxMutations} go in one request`, {
            nodes: [operation],
            extensions: { reason: 'TOO_MANY_MUTATIONS', mutations: count, maxMutations: limits.maxMutations },
          }),
        );
      }
    },
  });
}

/** Root fields of a selection, through its fragments (each spread once: a cycle is refused by GraphQL's own rules). */
function rootFields(context: ValidationContext, selectionSet: SelectionSetNode, spread: Set<string>): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) count += selection.name.value === '__typename' ? 0 : 1;
    else if (selection.kind === Kind.INLINE_FRAGMENT) count += rootFields(context, selection.selectionSet, spread);
    else if (!spread.has(selection.name.value)) {
      spread.add(selection.name.value);
      const fragment = context.getFragment(selection.name.value);
      if (fragment) count += rootFields(context, fragment.selectionSet, spread);
    }
  }
  return count;
}

/** Apollo keeps one parsed document per query text, so costs are remembered per document, for this many variable sets. */
const MAX_COSTS_PER_DOCUMENT = 100;

/** Refuses too costly operations once variables are known, before any resolver runs. */
export function costLimitPlugin(schema: GraphQLSchema, limits: QueryLimits): ApolloServerPlugin {
  const costs = new WeakMap<DocumentNode, Map<string, number>>();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          const operation = getOperationAST(document, request.operationName ?? undefined);
          if (!operation) return;
          // A front end sends the same few operations with the same few variables: each cost is computed once. Kept under a
          // digest of the variables the operation declares (what its cost depends on), so a request's memory goes with it:
          // a cache keyed by the variables' text held megabytes per request, and undeclared ones could be anything.
          const declared = (operation.variableDefinitions ?? []).map((d) => request.variables?.[d.variable.name.value] ?? null);
          const key = `${request.operationName ?? ''}|${createHash('sha256').update(JSON.stringify(declared)).digest('base64url')}`;
          let known = costs.get(document);
          if (!known) costs.set(document, (known = new Map()));
          let cost = known.get(key);
          if (cost === undefined) {
            // Invalid variables: execution refuses them next, with BAD_USER_INPUT and no resolver run.
            if (getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {}).errors) return;
            try {
              cost = getComplexity({
                schema,
                query: document,
                operationName: request.operationName ?? undefined,
                variables: request.variables,
                estimators: [liveStateEstimator(schema, document), fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
                maxQueryNodes: limits.maxFields,
              });
            } catch (error) {
              // A cost not known is no cost allowed: the operation is refused, never run unchecked.
              if (error instanceof GraphQLError && error.message.startsWith('Query exceeds the maximum allowed number of nodes')) {
                throw new GraphQLError(`The query has more than ${limits.maxFields} fields once its fragments are expanded; ask for fewer`, {
                  extensions: { code: ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED, reason: 'QUERY_TOO_LARGE', maxFields: limits.maxFields, http: { status: 400 } },
                });
              }
              // An argument the variables leave invalid (null for a non-null argument with a default): refused as every broken
              // argument rule is, HTTP 200 with its field (the argument checks' own refusal, whichever plugin comes first).
              const refusal = argumentRefusal(schema, document, operation, request.variables);
              if (refusal) throw refusal;
              // Null for @skip's or @include's if (a variable with a default): no argument of a field to name.
              throw new GraphQLError((error as Error).message, { extensions: { code: 'VALIDATION', reason: 'INVALID_ARGUMENT', http: { status: 400 } } });
            }
            if (known.size < MAX_COSTS_PER_DOCUMENT) known.set(key, cost);
          }
          if (cost > limits.maxCost) {
            // Refused as the depth limit is: the document is not acceptable, and the reason says why.
            throw new GraphQLError(`The query's estimated cost ${cost} exceeds the limit of ${limits.maxCost}; ask for smaller pages or fewer fields`, {
              extensions: { code: ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED, reason: 'QUERY_TOO_COSTLY', cost, maxCost: limits.maxCost, http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}
