import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { cancelRunningStatements } from '../db/cancel-running.js';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express from 'express';
import { configuredPolicies, localAddress, type AppConfig } from '../config/config.js';
import { listenToChannel } from '../db/notifications.js';
import type { Orm } from '../db/orm.js';
import type { GraphQLContext } from '../graphql/context.js';
import { argumentChecksPlugin } from '../graphql/argument-checks.js';
import { contextFailure, createErrorFormatter, isUnauthenticated, resolvedFieldsPlugin } from '../graphql/errors.js';
import { aliasLimitRule, costLimitPlugin, defaultQueryLimits, depthLimitRule, knownOperationTypeRule, MAX_QUERY_CHARS, MAX_QUERY_TOKENS, mutationCountRule, type QueryLimits } from '../graphql/limits.js';
import { createSchema } from '../graphql/schema.js';
import type { Logger } from '../logger.js';
import { API_KEY_REVOKED_CHANNEL, ApiKeyVerifier, bearerToken, MALFORMED_CREDENTIALS } from '../services/auth/api-keys.js';
import { storedApiKeys } from '../services/auth/api-key.service.js';
import { UNSUBSCRIBE_ACTOR, UNSUBSCRIBE_PATH } from '../domain/messages/unsubscribe-link.js';
import type { Policies } from '../domain/policies/index.js';
import { CustomerException, CustomerExceptionCode } from '../services/customers/customer.exception.js';
import { createServices } from '../services/index.js';
import { ImportPlaces } from '../services/import/import.service.js';
import { OperationsStatusService } from '../services/operations/operations-status.service.js';
import { TemporalCampaignEngine } from '../temporal/temporal-campaign-engine.js';
import { TemporalScoringEngine } from '../temporal/temporal-scoring-engine.js';
import type { TemporalClient } from '../temporal/client.js';
import { TemporalPlaybookEngine } from '../temporal/temporal-playbook-engine.js';
import { TemporalWorkerPresence } from '../temporal/temporal-worker-presence.js';
import { TemporalPlatformSchedules } from '../temporal/temporal-platform-schedules.js';
import { graphiqlRouter } from './graphiql.js';
import { limitFailedAuthentications, rateLimitPerAddress, rateLimitPerKey } from './rate-limit.js';
import { jitExecutor } from './jit-executor.js';
import { graphqlBodyIsOperation, graphqlPostIsJson, graphqlRequestErrors } from './request-errors.js';
import { requestLog, requestLogPlugin } from './request-log.js';
import { PostgresRateLimitStore } from './rate-limit-store.js';
import { createApiMetrics, metricsAccess } from './metrics.js';
import { checkReadiness } from './readiness.js';
import { tooManyRequestsPage, unsubscribeRouter } from './unsubscribe-page.js';
import { AuthException, AuthExceptionCode } from '../services/auth/auth.exception.js';
import { sealCursorsWithInstallationKey } from '../services/common/cursor-key.js';

/** How long an issued key's state is remembered: a revocation not heard of (no listening connection) works within it. */
const API_KEY_CACHE_MS = 10_000;
/** The largest request body /graphql reads: room for the CSV text of the importCsv mutation. */
const MAX_BODY_BYTES = 12 * 1024 * 1024;

export interface ApiDeps {
  config: AppConfig;
  orm: Orm;
  temporal: TemporalClient;
  logger: Logger;
  /** What the services decide by (the defaults unless given: the worker must be given the same). */
  policies?: Policies;
  limits?: QueryLimits;
  /** Headers pre-filled in GraphiQL (the development key printed by `npm start`). */
  ideHeaders?: Record<string, string>;
  /** How long a stop lets the requests in flight finish before closing their connections (API_DRAIN_MS). */
  drainMs?: number;
}

/**
 * How long a stop waits for the requests in flight: then their clients' connections are closed and their
 * statements cancelled (`cancelRunningStatements`), so an API process ends within about 15 s of SIGTERM,
 * inside compose's stop_grace_period (20 s) for the API.
 */
export const API_DRAIN_MS = 10_000;

export interface Api {
  app: express.Express;
  apollo: ApolloServer<GraphQLContext>;
  /** Builds the per-request context from an Authorization header; used by the HTTP route and by tests. */
  contextFor(authorization?: string): Promise<GraphQLContext>;
  listen(): Promise<{ url: string; port: number }>;
  stop(): Promise<void>;
}

/** How often an API that could not read the installation's cursor key (the database away as it started) tries again. */
const CURSOR_KEY_RETRY_MS = 5_000;

export async function createApi(deps: ApiDeps): Promise<Api> {
  const { config, orm, temporal, logger } = deps;
  let stopping = false;
  // Cursors are sealed with the installation's key, read from the database as the API starts, or once it answers: an API
  // started while it does not seals meanwhile with a key of its own (its lists from the database fail then; one from
  // Temporal, the runs under way, gives cursors that page on with this process until the key is read).
  let cursorKeyRetry: NodeJS.Timeout | undefined;
  const sealCursors = async (): Promise<void> => {
    try {
      await sealCursorsWithInstallationKey(orm.em.fork());
    } catch (error) {
      logger.warn({ err: error }, `reading the installation's cursor key failed; trying again in ${CURSOR_KEY_RETRY_MS / 1000} s`);
      cursorKeyRetry = setTimeout(() => void sealCursors(), CURSOR_KEY_RETRY_MS).unref();
    }
  };
  await sealCursors();
  // Amounts are in the configured currency, whatever policies were given.
  const policies = configuredPolicies(config, deps.policies);
  const keys = new ApiKeyVerifier(config.apiKeys, storedApiKeys(orm.em), API_KEY_CACHE_MS, (error) => logger.warn({ err: error }, 'noting when an API key was last used failed'));
  const revocations = listenToChannel(config.databaseUrl, API_KEY_REVOKED_CHANNEL, {
    onMessage: (digest) => keys.forget(digest),
    onListening: () => keys.forgetAll(),
    onError: (error) => logger.warn({ err: error }, `listening for API key revocations failed; revoked keys stop working within ${API_KEY_CACHE_MS / 1000} s`),
  });
  if (keys.size === 0) logger.warn('API_KEYS is empty: only keys issued through issueApiKey open the API (issuing one needs an admin key)');
  const engines = {
    playbooks: new TemporalPlaybookEngine(temporal.client, config.temporal.taskQueue),
    scoring: new TemporalScoringEngine(temporal.client, config.temporal.taskQueue),
    campaigns: new TemporalCampaignEngine(temporal.client, config.temporal.taskQueue),
    workers: new TemporalWorkerPresence(temporal.client, config.temporal.taskQueue),
    schedules: new TemporalPlatformSchedules(temporal.client, config.temporal.taskQueue),
  };
  const metrics = createApiMetrics({
    // Each source read apart: the database down leaves Temporal's gauges standing, and the other way round.
    status: {
      database: () => new OperationsStatusService(orm.em.fork(), policies, null).database(),
      engine: () => new OperationsStatusService(orm.em.fork(), policies, engines.workers, engines.schedules).engine(),
    },
    onStatusFailed: (error, source) => logger.warn({ err: error, source }, `reading the operations status's ${source} part for /metrics failed`),
    revocations: { heard: () => revocations.listening, cacheMs: API_KEY_CACHE_MS },
  });

  const app = express();
  // Behind a proxy, the client's address (counted by the per-address limits) is the one the trusted proxies name.
  app.set('trust proxy', config.api.trustProxy);
  app.disable('x-powered-by');
  // GraphQL answers are POSTed, never revalidated: hashing each one for an ETag was wasted work.
  app.disable('etag');
  const httpServer = http.createServer(app);
  const schema = await createSchema();
  const limits = deps.limits ?? defaultQueryLimits;
  const apollo = new ApolloServer<GraphQLContext>({
    // The schema, run by compiled operations (graphql-jit).
    gateway: jitExecutor(schema),
    validationRules: [knownOperationTypeRule, depthLimitRule(limits), aliasLimitRule(limits), mutationCountRule(limits)],
    // A document of more tokens is refused while lexing, before it is parsed whole or validated.
    parseOptions: { maxTokens: MAX_QUERY_TOKENS },
    // No automatic persisted queries: nothing here uses them, and a wrong hash was an internal error with an error log line.
    // A client that sends one is told PERSISTED_QUERY_NOT_SUPPORTED, which Apollo Client's link reads as "send the query itself".
    persistedQueries: false,
    introspection: config.api.introspection,
    // Without introspection, no "Did you mean ...?" in errors either: they would read the schema out field by field.
    hideSchemaDetailsFromClientErrors: !config.api.introspection,
    // Our own SIGINT/SIGTERM handlers drain and close in order (src/bin/api.ts, npm start).
    stopOnTerminationSignals: false,
    // No server stack traces to clients in any mode (Apollo's default sends them outside production): they show the server's
    // paths for a typo in a document; the log has the stack of anything internal.
    includeStacktraceInErrorResponses: false,
    formatError: createErrorFormatter(logger, config.env !== 'production', () => stopping),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: deps.drainMs ?? API_DRAIN_MS }),
      ApolloServerPluginLandingPageDisabled(),
      // No HTTP caching of GraphQL responses here; without it no plugin wraps every field resolver.
      ApolloServerPluginCacheControlDisabled(),
      costLimitPlugin(schema, limits),
      argumentChecksPlugin(schema),
      // Lets the error formatter spell `field` as the path from the argument (`input.topic`).
      resolvedFieldsPlugin,
      metrics.plugin,
      requestLogPlugin,
    ],
  });
  await apollo.start();

  const reportFollowUpFailure = (error: unknown, customerId: string) =>
    logger.warn({ err: error, customerId }, 'a follow-up of a complaint or payment (rescoring the customer, starting a fix) failed; the nightly rescore and trigger sweep catch up');
  // The limits hold across API processes when counted in PostgreSQL (each limit its own store, as express-rate-limit asks).
  const rateLimitStores: PostgresRateLimitStore[] = [];
  const rateLimitStore = () => {
    if (config.api.rateLimitStore === 'memory') return undefined;
    const store = new PostgresRateLimitStore(() => orm.em.fork().getKysely(), {
      syncFailed: (error) => logger.warn({ err: error }, 'sharing rate-limit counts through PostgreSQL failed; this process counts alone until it works again'),
      syncWorksAgain: () => logger.info('sharing rate-limit counts through PostgreSQL works again'),
    });
    rateLimitStores.push(store);
    return store;
  };
  const authFailures = config.api.authFailuresPerMinute > 0 ? limitFailedAuthentications(config.api.authFailuresPerMinute, { store: rateLimitStore(), logger, knownKey: (req) => keys.knownAtOnce(req.headers.authorization) }) : null;
  // The process's import places, shared by every request: an import opens its connection once its turn came.
  const imports = new ImportPlaces(config.api.importsAtOnce, config.api.importWaitMs);
  const missingKey = () => new AuthException(AuthExceptionCode.MissingCredentials, 'Send an API key: Authorization: Bearer <key>');
  const contextFor = async (authorization?: string, request?: express.Request): Promise<GraphQLContext> => {
    // Over HTTP, a request without a key fails as a whole (401), as one with a wrong key does: every operation needs one.
    if (request && !authorization) throw contextFailure(missingKey());
    // A wrong key fails the whole request, before any resolver runs; over HTTP it counts against the address's limit of wrong keys.
    const caller = await keys.verify(authorization).catch(async (error: unknown) => {
      if (request && authFailures && isUnauthenticated(error)) await authFailures.recordFailure(request);
      throw contextFailure(error);
    });
    // The access log names who asked (role and key fingerprint, as the audit log does).
    if (request?.res && caller) request.res.locals.caller = caller.id;
    return { caller, services: createServices(orm.em.fork(), engines, policies, reportFollowUpFailure, imports) };
  };

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const readiness = await checkReadiness(orm, temporal.connection, logger);
    res.status(readiness.ready ? 200 : 503).json(readiness);
  });
  if (!config.api.metricsToken && config.env === 'production') logger.warn('METRICS_TOKEN is not set: GET /metrics answers anyone who reaches the API port');
  app.get('/metrics', metricsAccess(config.api.metricsToken), async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  if (config.unsubscribe) {
    const optOut = async (customerId: string) => {
      try {
        await createServices(orm.em.fork(), engines, policies, reportFollowUpFailure).customers.optOut(customerId, UNSUBSCRIBE_ACTOR);
        return true;
      } catch (error) {
        if (error instanceof CustomerException && error.code === CustomerExceptionCode.NotFound) return false;
        throw error;
      }
    };
    app.use(UNSUBSCRIBE_PATH, requestLog(logger));
    // Public (the signed link is the key): a flood from one address is cut short before any signature check or write.
    const limit = config.api.unsubscribePerMinute > 0 ? rateLimitPerAddress('unsubscribe', config.api.unsubscribePerMinute, { store: rateLimitStore(), logger }, tooManyRequestsPage) : undefined;
    app.use(unsubscribeRouter({ secrets: config.unsubscribe.secrets, optOut, logger, limit }));
  }
  app.use('/graphql', requestLog(logger), metrics.countResponses);
  // Before CORS: the page may carry a development key in its headers, which no other origin's script may read.
  // (GET and HEAD only: a browser's preflight of an API call goes on to CORS.)
  if (config.api.ide) {
    const ide = graphiqlRouter({ endpoint: '/graphql', headers: deps.ideHeaders });
    app.use((req, res, next) => (req.method === 'GET' || req.method === 'HEAD' ? ide(req, res, next) : next()));
  }
  // Front ends on other origins call the API from the browser with their key in the Authorization header (no cookies).
  app.use('/graphql', cors({ origin: config.api.corsOrigins, allowedHeaders: ['authorization', 'content-type', 'apollo-require-preflight', 'x-request-id'], exposedHeaders: ['x-request-id', 'ratelimit', 'ratelimit-policy', 'retry-after'], methods: ['GET', 'POST'], maxAge: 600 }));
  if (authFailures) app.use('/graphql', authFailures.refuseOverLimit);
  if (config.api.rateLimitPerMinute > 0) app.use('/graphql', rateLimitPerKey(config.api.rateLimitPerMinute, { store: rateLimitStore(), logger }));
  /**
   * A POST without a key, or with an Authorization header that is no bearer key, is answered (401, as the context
   * would) before its body is read: a 12 MB deeply nested JSON body cost an anonymous client ~1 s of the API's one
   * thread to parse. A malformed header counts as a wrong key, as it does in the context; a missing one does not.
   */
  const credentialsBeforeBody: express.RequestHandler = async (req, res, next) => {
    if (req.method !== 'POST') return next();
    const authorization = req.headers.authorization;
    const refused = !authorization ? missingKey() : bearerToken(authorization) ? null : new AuthException(AuthExceptionCode.MalformedCredentials, MALFORMED_CREDENTIALS);
    if (!refused) return next();
    if (authorization && authFailures) await authFailures.recordFailure(req);
    res.status(401).setHeader('www-authenticate', 'Bearer');
    res.json({ errors: [{ message: refused.message, extensions: { code: refused.kind, reason: refused.code } }] });
  };
  app.use(
    '/graphql',
    credentialsBeforeBody,
    graphqlPostIsJson,
    // Any JSON is read (not only objects and arrays), so that JSON of the wrong shape is told apart from a broken body.
    express.json({ limit: MAX_BODY_BYTES, strict: false }),
    graphqlBodyIsOperation(MAX_QUERY_CHARS),
    expressMiddleware(apollo, { context: ({ req }) => contextFor(req.headers.authorization, req) }),
    graphqlRequestErrors(logger, MAX_BODY_BYTES),
  );

  return {
    app,
    apollo,
    contextFor,
    listen: () =>
      new Promise((resolve, reject) => {
        // Named by the settings that chose the address: "getaddrinfo ENOTFOUND foo" alone does not say it was HOST.
        httpServer.once('error', (error: NodeJS.ErrnoException) =>
          reject(new Error(`The API cannot listen on HOST=${config.api.host} PORT=${config.api.port}: ${error.code === 'ENOTFOUND' ? `${config.api.host} is no address of this machine` : error.message}`, { cause: error })),
        );
        httpServer.listen(config.api.port, config.api.host, () => {
          const { port } = httpServer.address() as AddressInfo;
          resolve({ url: `http://${localAddress(config.api.host)}:${port}/graphql`, port });
        });
      }),
    // Stops taking requests, lets those in flight finish, then closes.
    async stop() {
      stopping = true;
      clearTimeout(cursorKeyRetry);
      await apollo.stop();
      // Requests still running after the grace: their clients are gone; their statements are cancelled, not waited for.
      const cancelled = await cancelRunningStatements(orm);
      if (cancelled) logger.warn({ cancelled }, `cancelled ${cancelled} statement(s) of requests still running ${(deps.drainMs ?? API_DRAIN_MS) / 1000} s after the stop began`);
      await revocations.close();
      await Promise.all(rateLimitStores.map((store) => store.shutdown()));
    },
  };
}
