import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler } from 'express';
import { getOperationAST } from 'graphql';
import { requestLogContext, type Logger } from '../logger.js';

/** An ID a caller may choose for its request (a proxy's or the front end's), as long as it is short and plain. */
const GIVEN_ID = /^[\w.:-]{1,128}$/;

/**
 * Each request gets an ID, the caller's `X-Request-Id` when it gives a plain one, else a
 * new UUID: answered in `X-Request-Id` and carried by every log line written while it is
 * served (an unexpected error's too), so a front end's report of a failed request leads to
 * its lines; once the document is parsed they name its GraphQL operation too
 * (`requestLogPlugin`). When it is answered, one line says who asked (`res.locals.caller`,
 * set once the key is known), how it ended and how long it took, never its variables:
 * info, warn for 4xx, error for 5xx.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const given = req.get('x-request-id');
    const requestId = given && GIVEN_ID.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', requestId);
    const started = performance.now();
    requestLogContext.run({ requestId }, () => {
      res.once(
        'finish',
        AsyncResource.bind(() => {
          const status = res.statusCode;
          const caller = typeof res.locals.caller === 'string' ? res.locals.caller : undefined;
          const line = { method: req.method, path: req.baseUrl || req.path, caller, status, ms: Math.round(performance.now() - started) };
          if (status >= 500) logger.error(line, 'request');
          else if (status >= 400) logger.warn(line, 'request');
          else logger.info(line, 'request');
        }),
      );
      next();
    });
  };
}

/**
 * Names the request's GraphQL operation (as the document does, whether or not the client sent `operationName`) in its log lines:
 * from the parsed document, so a document that then fails validation (a front end's query that no longer matches the schema)
 * is named too; a document Apollo had cached skips validation, and is named once its operation is resolved.
 */
export const requestLogPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    const name = (operationName: string | null | undefined) => {
      const context = requestLogContext.getStore();
      if (context && operationName) context.operation = operationName;
    };
    return {
      async validationDidStart({ document, request }) {
        name(getOperationAST(document, request.operationName)?.name?.value);
      },
      async didResolveOperation({ operationName }) {
        name(operationName);
      },
    };
  },
};
