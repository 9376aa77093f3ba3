import type { AddressInfo } from 'node:net';
import express from 'express';
import { MemoryStore } from 'express-rate-limit';
import { limitFailedAuthentications } from './rate-limit.js';

/**
 * The limit on wrong API keys around a key lookup that takes a while (as PostgreSQL's does), with
 * keys ending in `-ok` verifying and any other refused.
 */
async function server(perMinute: number) {
  const logger = { warn: () => undefined } as never;
  const limit = limitFailedAuthentications(perMinute, { store: new MemoryStore(), logger });
  let lookups = 0;
  /** Resolved as the next lookup begins (a client may give up only once its request has arrived, however slow the machine). */
  let lookupBegun: () => void = () => undefined;
  const nextLookup = () => new Promise<void>((resolve) => (lookupBegun = resolve));
  /** Resolved once the next refused key has been counted. */
  let failureRecorded: () => void = () => undefined;
  const nextFailure = () => new Promise<void>((resolve) => (failureRecorded = resolve));
  const app = express();
  app.use('/graphql', limit.refuseOverLimit, async (req, res) => {
    lookups++;
    lookupBegun();
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (req.headers.authorization!.endsWith('-ok')) return void res.status(200).json({ data: {} });
    await limit.recordFailure(req);
    failureRecorded();
    res.status(401).json({ errors: [] });
  });
  const listening = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => listening.once('listening', resolve));
  const url = `http://127.0.0.1:${(listening.address() as AddressInfo).port}/graphql`;
  const ask = (key: string, signal?: AbortSignal) => fetch(url, { headers: { authorization: `Bearer ${key}` }, signal }).then((r) => r.status);
  return { ask, nextLookup, nextFailure, lookups: () => lookups, close: () => new Promise((resolve) => listening.close(resolve)) };
}

describe('the limit of wrong API keys', () => {
  it('counts a wrong key whose client gave up before the lookup ended: the lookup was made', async () => {
    const { ask, nextLookup, nextFailure, lookups, close } = await server(3);
    try {
      for (let i = 0; i < 3; i++) {
        const gaveUp = new AbortController();
        const [begun, counted] = [nextLookup(), nextFailure()];
        const asked = ask(`made-up-${i}`, gaveUp.signal);
        // The client leaves while its key is being looked up; the lookup goes on and refuses the key.
        await begun;
        gaveUp.abort();
        await expect(asked).rejects.toThrow();
        await counted;
      }
      expect(lookups()).toBe(3);
      // Before, each count was taken back as its client left, and the lookups cost nothing: the next wrong key was looked up (401).
      expect(await ask('made-up-next')).toBe(429);
    } finally {
      await close();
    }
  });

  it('counts requests sent at once with one key once: a burst with a key that works is not refused as many wrong keys', async () => {
    const { ask, close } = await server(3);
    try {
      const statuses = await Promise.all(Array.from({ length: 40 }, () => ask('issued-key-ok')));
      // Before, each request in flight counted as a wrong key until its lookup ended: 3 answered, 37 refused.
      expect(statuses.every((status) => status === 200)).toBe(true);
      // Wrong keys sent at once, each its own, still count before their lookups.
      const wrong = await Promise.all(Array.from({ length: 10 }, (_, i) => ask(`made-up-burst-${i}`)));
      expect([wrong.filter((s) => s === 401).length, wrong.filter((s) => s === 429).length]).toEqual([3, 7]);
    } finally {
      await close();
    }
  });
});
