import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';

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
