import { createHash, timingSafeEqual } from 'node:crypto';
import { isRole, type Role } from '../../domain/auth/roles.js';
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

const digest = (key: string) => createHash('sha256').update(key).digest();
const MIN_KEY_LENGTH = 16;

/**
 * API keys from configuration (`role:key,role:key`). Only SHA-256 digests are
 * kept in memory and compared in constant time.
 */
export class ApiKeyVerifier {
  private readonly entries: KeyEntry[];

  constructor(spec: string) {
    this.entries = spec
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((pair) => {
        const sep = pair.indexOf(':');
        const role = pair.slice(0, sep);
        const key = pair.slice(sep + 1);
        if (sep < 1 || !isRole(role)) throw new Error(`API_KEYS: "${pair.slice(0, Math.max(sep, 0))}" is not a role (viewer, marketer, operator, admin)`);
        if (key.length < MIN_KEY_LENGTH) throw new Error(`API_KEYS: the ${role} key is shorter than ${MIN_KEY_LENGTH} characters`);
        const d = digest(key);
        return { role, digest: d, fingerprint: d.toString('hex').slice(0, 8) };
      });
  }

  get size(): number {
    return this.entries.length;
  }

  /** The caller behind an `Authorization` header; null when there is none; an error for a wrong one. */
  verify(authorization: string | undefined): Caller | null {
    if (!authorization) return null;
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match) throw new AuthException(AuthExceptionCode.MalformedCredentials, 'Authorization must be "Bearer <api key>"');
    const given = digest(match[1]);
    const entry = this.entries.find((e) => timingSafeEqual(e.digest, given));
    if (!entry) throw new AuthException(AuthExceptionCode.UnknownKey, 'The API key is not valid');
    return { role: entry.role, id: `${entry.role}:${entry.fingerprint}` };
  }
}
