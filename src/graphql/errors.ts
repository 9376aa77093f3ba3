import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { ValidationError } from 'class-validator';
import { ArgumentValidationError } from 'type-graphql';
import { DomainException } from '../domain/errors/domain-exception.js';
import { isDatabaseUnreachable } from '../db/unreachable.js';
import type { Logger } from '../logger.js';

const DATABASE_UNAVAILABLE = 'The database cannot be reached just now; try again shortly';

/**
 * The one place where failures become GraphQL errors: a domain exception's kind
 * is the error code, its own code the reason; anything unexpected is logged and
 * reported without internals.
 */
export function createErrorFormatter(logger: Logger, exposeInternals: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = rootCause(error);
    if (original instanceof DomainException) {
      return {
        message: original.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { ...asApiSpells(original.details), code: original.kind, reason: original.code },
      };
    }
    if (original instanceof ArgumentValidationError) {
      const fields = argumentProblems(original.extensions.validationErrors);
      return {
        message: fields.flatMap((f) => f.messages).join('; ') || 'Input is not valid',
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: 'VALIDATION', reason: 'INVALID_ARGUMENT', field: fields[0]?.field, fields },
      };
    }
    // Parse, validation and variable errors from graphql-js / Apollo carry their own codes.
    const code = formatted.extensions?.code;
    if (code && code !== 'INTERNAL_SERVER_ERROR') return formatted;
    // The database gone for a moment is a passing condition to retry, and its address is nobody's business.
    if (isDatabaseUnreachable(original)) {
      logger.warn({ err: original, path: formatted.path }, 'the database could not be reached in a GraphQL operation');
      return { message: DATABASE_UNAVAILABLE, locations: formatted.locations, path: formatted.path, extensions: { code: 'UNAVAILABLE', reason: 'DATABASE_UNAVAILABLE' } };
    }

    logger.error({ err: original, path: formatted.path }, 'unexpected error in a GraphQL operation');
    if (exposeInternals) return formatted;
    return { message: 'Internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
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
