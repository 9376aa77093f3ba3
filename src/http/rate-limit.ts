import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { type AugmentedRequest, ipKeyGenerator, rateLimit } from 'express-rate-limit';

/**
 * At most `perMinute` requests a minute per API key (a runaway front end cannot starve the
 * others), or per client address for requests without one. Keys are counted by their
 * digest, so no secret is kept. Over the limit: 429 with a GraphQL-shaped error and the
 * standard RateLimit headers saying when to try again.
 */
export function rateLimitPerKey(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => {
      const authorization = req.headers.authorization;
      return authorization ? `key:${createHash('sha256').update(authorization).digest('hex')}` : `ip:${ipKeyGenerator(req.ip ?? '')}`;
    },
    handler: (_req, res) => {
      res.status(429).json({
        errors: [{ message: `Too many requests: at most ${perMinute} a minute for one API key; try again after the Retry-After seconds`, extensions: { code: 'RATE_LIMITED', limitPerMinute: perMinute } }],
      });
    },
  });
}

/**
 * At most `perMinute` requests with a wrong API key (HTTP 401) a minute from one client
 * address; beyond it the address is refused for the rest of the minute, whatever key it
 * sends: guessing keys is slow, and a flood of made-up keys (each looked up in
 * PostgreSQL) is cut short. Requests that authenticate are not counted.
 */
export function limitFailedAuthentications(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    // The per-key limit's RateLimit headers are the ones clients plan by; this one only says when to come back.
    standardHeaders: false,
    legacyHeaders: false,
    keyGenerator: (req) => `auth-failures:${ipKeyGenerator(req.ip ?? '')}`,
    skipSuccessfulRequests: true,
    requestPropertyName: 'authFailures',
    requestWasSuccessful: (_req, res) => res.statusCode !== 401,
    handler: (req, res) => {
      const resetTime = (req as AugmentedRequest).authFailures?.resetTime;
      if (resetTime) res.setHeader('Retry-After', Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000)));
      res.status(429).json({
        errors: [
          {
            message: `Too many requests with a wrong API key from this address: at most ${perMinute} a minute; try again after the Retry-After seconds`,
            extensions: { code: 'RATE_LIMITED', reason: 'TOO_MANY_FAILED_AUTHENTICATIONS', limitPerMinute: perMinute },
          },
        ],
      });
    },
  });
}
