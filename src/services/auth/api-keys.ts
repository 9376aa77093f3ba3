import { createHash, timingSafeEqual } from 'node:crypto';
import { callerLabel, isRole, type Role } from '../../domain/auth/roles.js';
import { AuthException, AuthExceptionCode } from './auth.exception.js';

export { AuthException, AuthExceptionCode };

export interface Caller {
  role: Role;
  /** A stable, non-secret label for the audit log: the role and a short fingerprint of the key. */
  id: string;
}

interface KeyEntry {
  role: Role;
  digest: Buffer;
  fingerprint: string;
}

/** A key an admin issued (see ApiKeyService), as the verifier needs it. */
export interface StoredApiKey {
  id: string;
  role: Role;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

/** Where issued keys are looked up by the SHA-256 digest of their secret (hex). */
export interface StoredApiKeys {
  find(digest: string): Promise<StoredApiKey | null>;
  /** Notes that the key was used (the store may write it at most once in a while). */
  touch(id: string): Promise<void>;
}

export const digestOf = (key: string) => createHash('sha256').update(key).digest();
const fingerprintOf = (digest: Buffer) => digest.toString('hex').slice(0, 8);
const MIN_KEY_LENGTH = 16;
/** How long an issued key that verified passes a lockout of wrong keys from its address (longer than the lockout's minute, renewed by each use). */
const RECENTLY_VERIFIED_MS = 5 * 60_000;

/** Issued keys looked up at once, at most; beyond it the cache starts again. */
const MAX_CACHED_KEYS = 10_000;

/** The PostgreSQL channel on which a revocation names the key's digest (hex), at its commit. */
export const API_KEY_REVOKED_CHANNEL = 'api_key_revoked';

/**
 * The keys of an `API_KEYS` value (`role:key,role:key`), as digests; an error naming what is wrong in it
 * (`npm start` checks the value with it before it starts anything).
 */
/**
 * Why the `n`th entry of API_KEYS names no role, without repeating what may be a key (start-up errors reach logs): an entry
 * written key:role, or without a colon, is said to be so; text before the colon is quoted only when it is too short to be a key.
 */
function notARole(pair: string, sep: number, n: number): string {
  const roles = 'viewer, marketer, operator, admin';
  if (sep < 0) return `entry ${n} has no colon: write each as role:key (${roles})`;
  if (isRole(pair.slice(sep + 1))) return `entry ${n} is written key:role: write it as role:key`;
  const before = pair.slice(0, sep);
  return before.length > 0 && before.length < MIN_KEY_LENGTH ? `"${before}" is not a role (${roles})` : `entry ${n} does not begin with a role (${roles}) and a colon`;
}

export function parseApiKeys(spec: string): KeyEntry[] {
  const entries = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((pair, i) => {
      const sep = pair.indexOf(':');
      const role = pair.slice(0, sep);
      const key = pair.slice(sep + 1);
      if (sep < 1 || !isRole(role)) throw new Error(`API_KEYS: ${notARole(pair, sep, i + 1)}`);
      if (key.length < MIN_KEY_LENGTH) throw new Error(`API_KEYS: the ${role} key is shorter than ${MIN_KEY_LENGTH} characters`);
      // A header carries no white space in its key: such a key could never sign in (a space after the colon, say).
      if (/\s/.test(key)) throw new Error(`API_KEYS: the ${role} key holds white space, which no Authorization header carries (a space after "${role}:"?)`);
      const d = digestOf(key);
      return { role, digest: d, fingerprint: fingerprintOf(d) };
    });
  // One key under two roles would sign in as the first only.
  const twice = entries.find((entry, i) => entries.findIndex((other) => other.digest.equals(entry.digest)) !== i);
  if (twice) throw new Error(`API_KEYS: the key ${twice.role}:${twice.fingerprint}… is listed twice; each key has one role`);
  return entries;
}

/**
 * API keys from configuration (`role:key,role:key`) and, when a store is given, keys an
 * admin issued. Only SHA-256 digests are kept; configured keys are compared in constant
 * time; an issued key is looked up by its digest and remembered for `cacheMs`. A revoked
 * key is forgotten as soon as the revocation is heard of (`forget`); `cacheMs` bounds how
 * long it can still work where it is not heard of.
 */
export class ApiKeyVerifier {
  private readonly entries: KeyEntry[];
  private readonly cache = new Map<string, { key: StoredApiKey; until: number }>();
  /** Issued keys that verified lately, by digest, with when: they pass a lockout of wrong keys (`knownAtOnce`), and are verified as ever. */
  private readonly recentlyVerified = new Map<string, number>();
  /** Lookups of issued keys under way, by digest. */
  private readonly lookups = new Map<string, Promise<StoredApiKey | null>>();

  constructor(
    spec: string,
    private readonly stored: StoredApiKeys | null = null,
    private readonly cacheMs = 10_000,
    private readonly onTouchFailed: (error: unknown) => void = () => undefined,
  ) {
    this.entries = parseApiKeys(spec);
  }

  /** How many keys the configuration holds. */
  get size(): number {
    return this.entries.length;
  }

  /** The caller behind an `Authorization` header; null when there is none; an error for a wrong one. */
  async verify(authorization: string | undefined, now = new Date()): Promise<Caller | null> {
    if (!authorization) return null;
    const token = bearerToken(authorization);
    if (!token) throw new AuthException(AuthExceptionCode.MalformedCredentials, MALFORMED_CREDENTIALS);
    const given = digestOf(token);
    const entry = this.configured(given);
    if (entry) return { role: entry.role, id: callerLabel(entry.role, entry.fingerprint) };
    const issued = await this.issued(given.toString('hex'), now);
    if (!issued) throw new AuthException(AuthExceptionCode.UnknownKey, 'The API key is not valid');
    if (issued.revokedAt) throw new AuthException(AuthExceptionCode.KeyRevoked, 'The API key was revoked');
    if (issued.expiresAt && issued.expiresAt <= now) throw new AuthException(AuthExceptionCode.KeyExpired, 'The API key has expired');
    if (this.recentlyVerified.size >= MAX_CACHED_KEYS) this.recentlyVerified.clear();
    this.recentlyVerified.set(given.toString('hex'), now.getTime());
    return { role: issued.role, id: callerLabel(issued.role, fingerprintOf(given)) };
  }

  /**
   * Whether the header carries a key known without looking it up: a configured one, or an issued
   * one that verified in the last RECENTLY_VERIFIED_MS (each use renews it; a revocation heard of forgets it). Such a key still opens the API while its address is over
   * the limit of wrong keys (someone sharing the address cannot lock its client out), without a
   * flood of made-up keys costing a lookup each.
   */
  knownAtOnce(authorization: string | undefined, now = new Date()): boolean {
    const token = authorization ? bearerToken(authorization) : null;
    if (!token) return false;
    const given = digestOf(token);
    if (this.configured(given)) return true;
    const verifiedAt = this.recentlyVerified.get(given.toString('hex'));
    return verifiedAt !== undefined && now.getTime() - verifiedAt < RECENTLY_VERIFIED_MS;
  }

  /** An issued key changed (revoked): asked again at its next use. */
  forget(digest: string): void {
    this.cache.delete(digest);
    this.recentlyVerified.delete(digest);
  }

  /** Every issued key asked again at its next use (revocations may have been missed). */
  forgetAll(): void {
    this.cache.clear();
    // (The keys that worked lately stay: they only pass the lockout, and verify still asks again.)
  }

  /** The configured key with this digest, compared in constant time. */
  private configured(given: Buffer): KeyEntry | undefined {
    return this.entries.find((e) => timingSafeEqual(e.digest, given));
  }

  private async issued(digest: string, now: Date): Promise<StoredApiKey | null> {
    if (!this.stored) return null;
    const cached = this.cache.get(digest);
    if (cached && cached.until > now.getTime()) return cached.key;
    // Requests sent at once with one key (a front end's burst, or a flood of one wrong key) look it up once.
    let lookup = this.lookups.get(digest);
    if (!lookup) {
      lookup = this.stored.find(digest).finally(() => this.lookups.delete(digest));
      this.lookups.set(digest, lookup);
    }
    const key = await lookup;
    // Unknown keys are not remembered: one issued a moment later works at once.
    if (!key) return null;
    if (this.cache.size >= MAX_CACHED_KEYS) this.cache.clear();
    this.cache.set(digest, { key, until: now.getTime() + this.cacheMs });
    if (!key.revokedAt) this.stored.touch(key.id).catch(this.onTouchFailed);
    return key;
  }
}

/** What a request whose Authorization header is no bearer key is told. */
export const MALFORMED_CREDENTIALS = 'Authorization must be "Bearer <api key>"';

/** The API key an `Authorization` header carries ("Bearer <key>", any case, any spacing); null when it is not one. */
export function bearerToken(authorization: string): string | null {
  return /^Bearer\s+(\S+)$/i.exec(authorization.trim())?.[1] ?? null;
}
