import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../logger.js';

/** What body-parser says about a request it could not read (`type`), and the HTTP status it chose. */
interface BodyError {
  type?: string;
  status?: number;
  limit?: number;
}

/**
 * A request to /graphql whose body cannot be read (not JSON, too large, an encoding we
 * do not take) is answered in GraphQL's shape with a code, as every other failure is,
 * instead of Express's HTML page with a stack trace. Anything else that reaches here is
 * unexpected: logged, and reported without internals.
 */
export function graphqlRequestErrors(logger: Logger, maxBodyBytes: number): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) return next(error);
    const { type, status } = (error ?? {}) as BodyError;
    const answer = (httpStatus: number, message: string, extensions: Record<string, unknown>) => res.status(httpStatus).json({ errors: [{ message, extensions }] });
    if (type === 'entity.parse.failed') return answer(400, 'The request body is not valid JSON', { code: 'BAD_REQUEST', reason: 'INVALID_JSON' });
    if (type === 'entity.too.large')
      return answer(413, `The request body is larger than ${maxBodyBytes} bytes`, { code: 'BAD_REQUEST', reason: 'REQUEST_TOO_LARGE', limitBytes: maxBodyBytes });
    if (typeof status === 'number' && status >= 400 && status < 500)
      return answer(status, 'The request body cannot be read', { code: 'BAD_REQUEST', reason: 'UNREADABLE_REQUEST' });
    logger.error({ err: error }, 'unexpected error while handling an HTTP request');
    return answer(500, 'Internal server error', { code: 'INTERNAL_SERVER_ERROR' });
  };
}

/**
 * A POST to /graphql is JSON (`Content-Type: application/json`): another body (what `curl -d`
 * sends as a form) is answered with a code saying so, not with Apollo's refusal of a possible
 * cross-site request forgery, which names no content type and carries a stack trace.
 */
export const graphqlPostIsJson: RequestHandler = (req, res, next) => {
  if (req.method !== 'POST' || req.is('application/json')) return next();
  res.status(415).json({ errors: [{ message: 'POST /graphql takes a JSON body: send the header Content-Type: application/json', extensions: { code: 'BAD_REQUEST', reason: 'UNSUPPORTED_CONTENT_TYPE' } }] });
};

/**
 * A JSON body /graphql can run is one operation: an object with the query as a string (or an
 * automatic persisted query's hash in `extensions`, which Apollo answers PERSISTED_QUERY_NOT_SUPPORTED:
 * a client's APQ link then sends the query itself). JSON of
 * another shape (`null`, `"x"`, `[]`) is said to be no operation, instead of "not valid JSON", and an
 * object without a query is answered with a reason, as the other unreadable bodies are. A query text
 * longer than `maxQueryChars` is refused before Apollo hashes, lexes or parses it: large
 * values travel as variables.
 */
export const graphqlBodyIsOperation =
  (maxQueryChars: number): RequestHandler =>
  (req, res, next) => {
    if (req.method !== 'POST') return next();
    const body: unknown = req.body;
    const refuse = (message: string, reason: string, details: Record<string, unknown> = {}) => res.status(400).json({ errors: [{ message, extensions: { code: 'BAD_REQUEST', reason, ...details } }] });
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return refuse('The request body is JSON but not a GraphQL operation: send one object, {"query": "..."}', 'NOT_AN_OPERATION');
    const { query, extensions } = body as { query?: unknown; extensions?: { persistedQuery?: unknown } };
    if (typeof query !== 'string' && extensions?.persistedQuery === undefined)
      return refuse('The request body has no query: send {"query": "..."} with the operation as a string', 'MISSING_QUERY');
    if (typeof query === 'string' && query.length > maxQueryChars)
      return refuse(`The query is longer than ${maxQueryChars} characters: send large values as variables`, 'QUERY_TOO_LONG', { limitChars: maxQueryChars });
    if (nestedDeeperThan(body, MAX_BODY_DEPTH))
      return refuse(`The request body nests values deeper than ${MAX_BODY_DEPTH} levels; no input of this API nests that deep`, 'REQUEST_TOO_DEEP', { maxDepth: MAX_BODY_DEPTH });
    next();
  };

/**
 * How deep a request body's JSON may nest (the body's object is level 1). No input of the schema comes near it; JSON
 * nested thousands deep (which the body parser reads) overflowed the stack of whatever walked it next, as a server error.
 */
export const MAX_BODY_DEPTH = 64;

/** Whether `value` nests arrays or objects deeper than `max`: walked with a path of its own (as long as the depth), not the call stack. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const children = (v: object) => (Array.isArray(v) ? v : Object.values(v)).values();
  const path = [children(value)];
  while (path.length) {
    const next = path[path.length - 1].next();
    if (next.done) path.pop();
    else if (typeof next.value === 'object' && next.value !== null) {
      if (path.length >= max) return true;
      path.push(children(next.value));
    }
  }
  return false;
}
