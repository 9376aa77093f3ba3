import { Role } from '../../domain/auth/roles.js';
import { ApiKeyVerifier, digestOf, parseApiKeys, type StoredApiKey, type StoredApiKeys } from './api-keys.js';
import { AuthExceptionCode } from './auth.exception.js';

/** Issued keys in memory, counting look-ups (the real store is PostgreSQL, tested in test/api-keys.test.ts). */
function memoryStore(keys: Record<string, StoredApiKey>) {
  const byDigest = new Map(Object.entries(keys).map(([secret, key]) => [digestOf(secret).toString('hex'), key]));
  const store = { finds: 0, touched: [] as string[] };
  const stored: StoredApiKeys = {
    find: async (digest) => {
      store.finds++;
      return byDigest.get(digest) ?? null;
    },
    touch: async (id) => {
      store.touched.push(id);
    },
  };
  return { store, stored };
}

const code = (promise: Promise<unknown>) => promise.then(() => null, (e: { code: string }) => e.code);
const t0 = new Date('2026-12-02T10:00:00Z');
const later = (ms: number) => new Date(t0.getTime() + ms);

describe('ApiKeyVerifier', () => {
  it('knows the configured keys by role and fingerprint, and no other', async () => {
    const verifier = new ApiKeyVerifier('viewer:viewer-key-0123456789, admin:admin-key-0123456789');
    expect(verifier.size).toBe(2);
    expect(await verifier.verify('Bearer admin-key-0123456789')).toEqual({ role: Role.Admin, id: `admin:${digestOf('admin-key-0123456789').toString('hex').slice(0, 8)}` });
    expect(await verifier.verify(undefined)).toBeNull();
    expect(await code(verifier.verify('Bearer someone-elses-key-0123'))).toBe(AuthExceptionCode.UnknownKey);
    expect(await code(verifier.verify('Basic dXNlcjpwYXNz'))).toBe(AuthExceptionCode.MalformedCredentials);
  });

  it('knows at once, without a look-up, the configured keys and the issued ones that verified lately, and forgets a revoked one', async () => {
    const issued: StoredApiKey = { id: 'k1', role: Role.Operator, revokedAt: null, expiresAt: null };
    const { store, stored } = memoryStore({ 'issued-key-0123456789': issued });
    const verifier = new ApiKeyVerifier('viewer:viewer-key-0123456789', stored);
    expect(verifier.knownAtOnce('Bearer viewer-key-0123456789')).toBe(true);
    expect(verifier.knownAtOnce('Bearer issued-key-0123456789', t0)).toBe(false);
    expect(verifier.knownAtOnce('Bearer made-up-key-0123456789', t0)).toBe(false);
    expect(verifier.knownAtOnce(undefined)).toBe(false);
    await verifier.verify('Bearer issued-key-0123456789', t0);
    // Past the look-up cache's 10 s, for the whole of a lockout's minute and beyond: each use renews it.
    expect(verifier.knownAtOnce('Bearer issued-key-0123456789', later(90_000))).toBe(true);
    expect(verifier.knownAtOnce('Bearer issued-key-0123456789', later(5 * 60_000 + 1))).toBe(false);
    await verifier.verify('Bearer issued-key-0123456789', later(4 * 60_000));
    expect(verifier.knownAtOnce('Bearer issued-key-0123456789', later(8 * 60_000))).toBe(true);
    expect(store.finds).toBe(2);
    verifier.forget(digestOf('issued-key-0123456789').toString('hex'));
    expect(verifier.knownAtOnce('Bearer issued-key-0123456789', later(8 * 60_000))).toBe(false);
  });

  it('refuses a configuration with an unknown role or a short key', () => {
    expect(() => new ApiKeyVerifier('root:0123456789abcdef')).toThrow(/not a role/);
    expect(() => new ApiKeyVerifier('viewer:short')).toThrow(/shorter than 16/);
  });

  it('refuses a key no header could carry, or one listed under two roles, instead of starting with keys that never sign in (QA 55 F1)', () => {
    expect(() => new ApiKeyVerifier('admin: qa55-admin-key-0123456789')).toThrow('API_KEYS: the admin key holds white space, which no Authorization header carries (a space after "admin:"?)');
    expect(() => new ApiKeyVerifier('admin:qa55 admin key 0123456789')).toThrow(/white space/);
    expect(() => new ApiKeyVerifier('viewer:qa55-shared-key-0123456789,admin:qa55-shared-key-0123456789')).toThrow(/is listed twice; each key has one role/);
    expect(new ApiKeyVerifier(' viewer:qa55-viewer-key-0123456789 , admin:qa55-admin-key-0123456789').size).toBe(2);
  });

  it('accepts an issued key, remembers it for the cache time, and notes its use once per look-up', async () => {
    const { store, stored } = memoryStore({ rk_issued: { id: 'k1', role: Role.Marketer, expiresAt: null, revokedAt: null } });
    const verifier = new ApiKeyVerifier('', stored, 10_000);
    expect(await verifier.verify('Bearer rk_issued', t0)).toMatchObject({ role: Role.Marketer, id: expect.stringMatching(/^marketer:[0-9a-f]{8}$/) });
    await verifier.verify('Bearer rk_issued', later(9_000));
    expect(store.finds).toBe(1);
    await verifier.verify('Bearer rk_issued', later(10_001));
    expect(store.finds).toBe(2);
    expect(store.touched).toEqual(['k1', 'k1']);
  });

  it('looks a key sent by many requests at once up once, a wrong one too', async () => {
    const { store, stored } = memoryStore({ rk_issued: { id: 'k1', role: Role.Marketer, expiresAt: null, revokedAt: null } });
    const verifier = new ApiKeyVerifier('', stored, 10_000);
    const callers = await Promise.all(Array.from({ length: 20 }, () => verifier.verify('Bearer rk_issued', t0)));
    expect(new Set(callers.map((c) => c!.role))).toEqual(new Set([Role.Marketer]));
    expect(store.finds).toBe(1);
    const refused = await Promise.all(Array.from({ length: 20 }, () => code(verifier.verify('Bearer rk_made_up', t0))));
    expect(new Set(refused)).toEqual(new Set([AuthExceptionCode.UnknownKey]));
    expect(store.finds).toBe(2);
    // A lookup ended is not kept for a wrong key: one issued a moment later works at once.
    await code(verifier.verify('Bearer rk_made_up', t0));
    expect(store.finds).toBe(3);
  });

  it('asks again for a key it was told changed, or for every key after it may have missed a change', async () => {
    const { store, stored } = memoryStore({ rk_a: { id: 'a', role: Role.Viewer, expiresAt: null, revokedAt: null }, rk_b: { id: 'b', role: Role.Viewer, expiresAt: null, revokedAt: null } });
    const verifier = new ApiKeyVerifier('', stored, 10_000);
    const use = (...secrets: string[]) => Promise.all(secrets.map((s) => verifier.verify(`Bearer ${s}`, t0)));
    await use('rk_a', 'rk_b');
    expect(store.finds).toBe(2);
    verifier.forget(digestOf('rk_a').toString('hex'));
    await use('rk_a', 'rk_b');
    expect(store.finds).toBe(3);
    verifier.forgetAll();
    await use('rk_a', 'rk_b');
    expect(store.finds).toBe(5);
  });

  it('refuses a revoked or expired key with its own reason, and asks again for an unknown one', async () => {
    const { store, stored } = memoryStore({
      rk_revoked: { id: 'k2', role: Role.Admin, expiresAt: null, revokedAt: t0 },
      rk_expiring: { id: 'k3', role: Role.Viewer, expiresAt: later(5_000), revokedAt: null },
    });
    const verifier = new ApiKeyVerifier('', stored);
    expect(await code(verifier.verify('Bearer rk_revoked', t0))).toBe(AuthExceptionCode.KeyRevoked);
    expect(await code(verifier.verify('Bearer rk_expiring', t0))).toBeNull();
    // Expiry is checked on every request, also while the key is remembered.
    expect(await code(verifier.verify('Bearer rk_expiring', later(5_000)))).toBe(AuthExceptionCode.KeyExpired);
    const before = store.finds;
    expect(await code(verifier.verify('Bearer rk_unknown', t0))).toBe(AuthExceptionCode.UnknownKey);
    expect(await code(verifier.verify('Bearer rk_unknown', t0))).toBe(AuthExceptionCode.UnknownKey);
    expect(store.finds).toBe(before + 2);
    // A revoked key's use is not noted.
    expect(store.touched).toEqual(['k3']);
  });
});

describe('API_KEYS refused at start', () => {
  it('never repeats what may be a key: an entry written key:role, one without a colon, one beginning with something as long as a key', () => {
    const secret = 'abcdef0123456789abcdef';
    const refusal = (spec: string) => {
      try {
        parseApiKeys(spec);
        return null;
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(refusal(`${secret}:viewer`)).toBe('API_KEYS: entry 1 is written key:role: write it as role:key');
    expect(refusal(`admin:${secret},viewer`)).toBe('API_KEYS: entry 2 has no colon: write each as role:key (viewer, marketer, operator, admin)');
    expect(refusal(`${secret}:${secret}`)).toBe('API_KEYS: entry 1 does not begin with a role (viewer, marketer, operator, admin) and a colon');
    for (const spec of [`${secret}:viewer`, `${secret}:${secret}`, secret]) expect(refusal(spec)).not.toContain(secret);
    // A word too short to be a key is quoted, to show the typo.
    expect(refusal(`owner:${secret}`)).toBe('API_KEYS: "owner" is not a role (viewer, marketer, operator, admin)');
  });
});
