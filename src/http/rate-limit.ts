import { createHash } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { type ClientRateLimitInfo, ipKeyGenerator, MemoryStore, type Options, rateLimit, type Store } from 'express-rate-limit';
import type { Logger } from '../logger.js';
import { bearerToken, digestOf } from '../services/auth/api-keys.js';

/** Where a limit counts (a store shared by the API processes; without one, this process's memory) and who hears of its failures. */
export interface Counting {
  store?: Store;
  logger: Logger;
}

const countingOptions = ({ store, logger }: Counting) => ({
  store,
  // The count failing (PostgreSQL away) lets the request through; it fails or not on its own.
  passOnStoreError: true,
  logger: {
    error: (error: unknown) => logger.warn({ err: error }, 'counting a request against its rate limit failed; it was let through'),
    warn: (error: unknown) => logger.warn({ err: error }, 'express-rate-limit warns about its configuration'),
  },
});

/** A one-minute window of at most `perMinute` requests per key, with the standard RateLimit headers; over it, `refuse` answers. */
const perMinuteLimit = (perMinute: number, counting: Counting, keyGenerator: (req: Request) => string, refuse: RequestHandler): RequestHandler =>
  rateLimit({ windowMs: 60_000, ...countingOptions(counting), limit: perMinute, standardHeaders: 'draft-7', legacyHeaders: false, keyGenerator, handler: refuse });

/**
 * At most `perMinute` requests a minute per API key (a runaway front end cannot starve the
 * others), or per client address for requests without one. Keys are counted by their
 * digest, so no secret is kept. Over the limit: 429 with a GraphQL-shaped error and the
 * standard RateLimit headers saying when to try again.
 */
export function rateLimitPerKey(perMinute: number, counting: Counting): RequestHandler {
  // The key itself, as authentication reads it: "bearer K" and "Bearer  K" are the same key, counted once.
  const keyOf = (req: Request) => {
    const authorization = req.headers.authorization;
    const key = authorization ? (bearerToken(authorization) ?? authorization) : null;
    return key ? `key:${createHash('sha256').update(key).digest('hex')}` : `ip:${ipKeyGenerator(req.ip ?? '')}`;
  };
  return perMinuteLimit(perMinute, counting, keyOf, (req, res) => {
    // Refused before the key is looked up: the request's log line names the key by its fingerprint (as apiKeys and the audit log do), not its role.
    const counted = keyOf(req);
    if (counted.startsWith('key:')) res.locals.caller = `key:${counted.slice('key:'.length, 'key:'.length + 8)}`;
    res.status(429).json({
      errors: [{ message: `Too many requests: at most ${perMinute} a minute for one API key; try again after the Retry-After seconds`, extensions: { code: 'RATE_LIMITED', limitPerMinute: perMinute } }],
    });
  });
}

/**
 * At most `perMinute` requests a minute from one client address to a public page (one without
 * an API key, such as the unsubscribe link's); over it, `refuse` answers (its Retry-After set).
 */
export function rateLimitPerAddress(name: string, perMinute: number, counting: Counting, refuse: RequestHandler): RequestHandler {
  // Its own keys: the stores of all limits count in one table.
  return perMinuteLimit(perMinute, counting, (req) => `${name}:${ipKeyGenerator(req.ip ?? '')}`, refuse);
}

/** The limit on wrong API keys: a middleware that refuses an address over it, and the count of one more. */
export interface FailedAuthenticationLimit {
  refuseOverLimit: RequestHandler;
  /**
   * Counts a request refused for its key (before its 401 is sent, so the next request sees it); a request
   * `refuseOverLimit` counted in advance (its key to be looked up) is kept counted instead of counted twice.
   */
  recordFailure(req: Request): Promise<void>;
}

/** The response local of a request whose attempt `refuseOverLimit` counted in advance. */
const ATTEMPT = 'authAttempt';

/** A request's attempt counted before its key's lookup: refused (stays counted), or taken back as the request ended first. */
interface Attempt {
  refused: boolean;
  takenBack: boolean;
}

/**
 * At most `perMinute` requests with a wrong API key (HTTP 401) a minute from one client
 * address; beyond it the address is refused for the rest of the minute, for any key but one
 * known at once (`knownKey`: configured, or issued and verified lately): guessing keys is slow,
 * a flood of made-up keys (each looked up in PostgreSQL) is cut short, and whoever shares the
 * address (a NAT, a proxy) cannot lock a working client out. A key to be looked up is counted
 * before the lookup, so that requests sent at once cannot all pass the check before the first
 * failures are counted (500 made-up keys at once were 500 lookups); the count is taken back when
 * the request ends without its key refused, and added again should the key be refused after a
 * client gave up on its answer (the lookup was made). Requests of one address in flight with the
 * same key count once (the verifier looks a key up once for all of them): a front end's burst with
 * an issued key new to this process is not refused as many wrong keys; those refused count after
 * the lookup. Only a refused key stays counted (express-rate-limit's `skipSuccessfulRequests` would
 * also count each request the client gave up on before its answer), so the check and the count use
 * the store directly.
 */
export function limitFailedAuthentications(perMinute: number, { store = new MemoryStore(), logger, knownKey = () => false }: Counting & { knownKey?: (req: Request) => boolean }): FailedAuthenticationLimit {
  const windowMs = 60_000;
  void store.init?.({ windowMs } as Options);
  const keyOf = (req: Request) => `auth-failures:${ipKeyGenerator(req.ip ?? '')}`;
  const failed = (error: unknown) => logger.warn({ err: error }, 'counting wrong API keys failed');
  /** Requests in flight by address and key: only the first of them is counted before its lookup. */
  const inFlight = new Map<string, number>();
  return {
    refuseOverLimit: async (req, res, next) => {
      const authorization = req.headers.authorization;
      const token = authorization ? bearerToken(authorization) : null;
      // Without a bearer key nothing is looked up (a missing or malformed header is answered at once), and a key known at once is never refused.
      if (!token || knownKey(req)) return next();
      // By the key's digest: the map holds no key itself.
      const flight = `${keyOf(req)}:${digestOf(token).toString('hex')}`;
      const alongside = inFlight.get(flight) ?? 0;
      inFlight.set(flight, alongside + 1);
      res.once('close', () => {
        const left = inFlight.get(flight)! - 1;
        if (left > 0) inFlight.set(flight, left);
        else inFlight.delete(flight);
      });
      let seen: ClientRateLimitInfo | undefined;
      try {
        seen = alongside > 0 ? await store.get?.(keyOf(req)) : await store.increment(keyOf(req));
        if (alongside === 0) {
          const attempt: Attempt = { refused: false, takenBack: false };
          res.locals[ATTEMPT] = attempt;
          res.once('close', () => {
            if (attempt.refused) return;
            attempt.takenBack = true;
            Promise.resolve(store.decrement(keyOf(req))).catch(failed);
          });
        }
      } catch (error) {
        // Not knowing the count lets the request through: its key is still checked.
        failed(error);
      }
      if (!seen || seen.totalHits <= perMinute) return next();
      const seconds = seen.resetTime ? Math.max(1, Math.ceil((seen.resetTime.getTime() - Date.now()) / 1000)) : windowMs / 1000;
      res.setHeader('Retry-After', seconds);
      res.status(429).json({
        errors: [
          {
            message: `Too many requests with a wrong API key from this address: at most ${perMinute} a minute; try again after the Retry-After seconds`,
            extensions: { code: 'RATE_LIMITED', reason: 'TOO_MANY_FAILED_AUTHENTICATIONS', limitPerMinute: perMinute },
          },
        ],
      });
    },
    recordFailure: async (req) => {
      const attempt = req.res?.locals[ATTEMPT] as Attempt | undefined;
      // Counted before its lookup and not taken back yet: it stays counted.
      if (attempt && !attempt.takenBack) {
        attempt.refused = true;
        return;
      }
      await Promise.resolve(store.increment(keyOf(req))).catch(failed);
    },
  };
}
