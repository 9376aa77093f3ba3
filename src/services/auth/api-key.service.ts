import { LockMode, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Role } from '../../domain/auth/roles.js';
import { isUuid } from '../../domain/ids.js';
import { ApiKey } from '../../entities/index.js';
import type { AuditService } from '../audit/audit.service.js';
import { keysetPage } from '../common/keyset-page.js';
import { withUniqueName } from '../common/unique-name.js';
import { scopedTag, type Page, type PageArgs } from '../common/pagination.js';
import { API_KEY_REVOKED_CHANNEL, digestOf, type StoredApiKeys } from './api-keys.js';
import { AuthException, AuthExceptionCode } from './auth.exception.js';
import { characterCount, hiddenCharacterProblem, readableName } from '../../domain/text.js';

export interface ApiKeyInput {
  name: string;
  role: Role;
  expiresAt?: Date | null;
}

/** A key just issued: the secret is in this answer only. */
export interface IssuedApiKey {
  key: ApiKey;
  secret: string;
}

export const MAX_KEY_NAME = 100;
/** The secret's prefix says what it is, e.g. to secret scanners. */
const SECRET_PREFIX = 'rk_';
/** The scripts whose letters look alike (a Cyrillic "а", a Latin "a", a Greek "α"): a word may take its letters from one of them only. */
const LOOK_ALIKE_SCRIPTS = [/\p{Script=Latin}/u, /\p{Script=Cyrillic}/u, /\p{Script=Greek}/u];

/**
 * A key's name as it is stored and compared: `readableName` (NFKC, so that a full-width "ａdmin" or the ligature "ﬁ" is
 * the letter itself, a run of spaces as one, trimmed), the rule every name people choose between follows.
 */
export const keyName = readableName;

/** Whether a word of `name` takes letters from more than one of Latin, Cyrillic and Greek ("аdmin" with a Cyrillic "а"). */
export function mixesLookAlikeScripts(name: string): boolean {
  return name.split(/[^\p{L}\p{M}\p{N}]+/u).some((word) => LOOK_ALIKE_SCRIPTS.filter((script) => script.test(word)).length > 1);
}

/** Short form of a key's digest: what the audit log names a caller by (`role:fingerprint`). */
export const fingerprint = (key: ApiKey) => key.digest.slice(0, 8);

/**
 * Keys admins issue to front ends and services, and revoke (a leaked key, a team that
 * left) without a restart; the keys in API_KEYS stay for bootstrapping. Audited.
 */
export class ApiKeyService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
  ) {}

  /** Issued keys, newest first: those in use; the revoked and expired ones too when asked for. */
  list(args: PageArgs & { includeRevoked?: boolean | null }): Promise<Page<ApiKey>> {
    const inUse: FilterQuery<ApiKey> = { revokedAt: null, $or: [{ expiresAt: null }, { expiresAt: { $gt: new Date() } }] };
    return keysetPage(this.em, ApiKey, { tag: scopedTag('api-keys', { includeRevoked: args.includeRevoked || null }), where: args.includeRevoked ? {} : inUse, key: { property: 'createdAt', direction: 'desc', time: true }, tiebreaker: { property: 'id', direction: 'desc' } }, args);
  }

  /**
   * A new key with a random 256-bit secret, answered once; its name is unique among the keys in
   * use, in any case (CONFLICT otherwise). An expired key of that name, which works nowhere, is
   * revoked in the same transaction (audited), so its successor can take the name.
   */
  async issue(input: ApiKeyInput, actor: string, now = new Date()): Promise<IssuedApiKey> {
    const invalid = (field: string, message: string) => new AuthException(AuthExceptionCode.InvalidInput, message, { field });
    // A name is read by people (apiKeys, the audit log, a terminal), so two names in use must not read the same: stored and
    // compared as readableName has them (a full-width "ａdmin" is "admin", "web  app" is "web app"), in any case (the unique index's lower()).
    const name = keyName(input.name);
    if (!name || characterCount(name) > MAX_KEY_NAME) throw invalid('name', `A key's name is 1 to ${MAX_KEY_NAME} characters, e.g. "web front end"`);
    // No control characters (a line break, an ESC sequence) and no invisible ones (a zero-width space made "ops" and "ops\u200b"
    // two keys that read the same).
    const hidden = hiddenCharacterProblem(name, "A key's name");
    if (hidden) throw invalid('name', hidden);
    // No word with letters of two look-alike scripts: "аdmin" with a Cyrillic "а" reads as "admin". A word all in one (a Cyrillic name) is fine.
    if (mixesLookAlikeScripts(name)) throw invalid('name', "A key's name mixes Latin, Cyrillic or Greek letters within a word (one may read as another, as a Cyrillic \"а\" as a Latin \"a\")");
    if (input.expiresAt && !(input.expiresAt.getTime() > now.getTime())) throw invalid('expiresAt', 'expiresAt must be in the future');
    const secret = `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
    // Refused when a key in use has the name, quoted as stored: "Web Front End" is taken by "web front end".
    return withUniqueName(
      this.em,
      { table: 'api_key', name, inUse: 'revoked_at is null' },
      () =>
        this.em.transactional(async (em) => {
          // As the unique index compares names: lower(name) among the keys not revoked.
          const ids = await em.execute<{ id: string }[]>(`select id from api_key where lower(name) = lower(?) and revoked_at is null and expires_at <= ? for update`, [name, now]);
          const expired = ids.length ? await em.find(ApiKey, { id: { $in: ids.map((r) => r.id) } }) : [];
          for (const old of expired) {
            em.assign(old, { revokedAt: now, revokedBy: actor });
            this.audit.record(em, { actor, action: 'api-key.revoke', entityType: 'api-key', entityId: old.id, before: { revokedAt: null }, after: { name: old.name, fingerprint: fingerprint(old), revokedAt: now.toISOString(), reason: 'expired; its name was given to a new key' } });
          }
          if (expired.length) await em.flush();
          const key = em.create(ApiKey, { name, role: input.role, digest: digestOf(secret).toString('hex'), createdBy: actor, expiresAt: input.expiresAt ?? null });
          this.audit.record(em, { actor, action: 'api-key.issue', entityType: 'api-key', entityId: key.id, after: { name, role: key.role, fingerprint: fingerprint(key), expiresAt: key.expiresAt?.toISOString() ?? null } });
          return { key, secret };
        }),
      (stored) => new AuthException(AuthExceptionCode.NameTaken, `A key in use is named "${stored}" (names are compared in any case)`, { field: 'name', name: stored }),
    );
  }

  /** Revokes a key: refused from then on, in every API process that hears of it (else within the verifier's cache time). Revoking it again changes nothing. */
  async revoke(id: string, actor: string): Promise<ApiKey> {
    return this.em.transactional(async (em) => {
      const key = isUuid(id) ? await em.findOne(ApiKey, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE }) : null;
      if (!key) throw new AuthException(AuthExceptionCode.KeyNotFound, `No API key ${id}`, { id, field: 'id' });
      if (!key.revokedAt) {
        em.assign(key, { revokedAt: new Date(), revokedBy: actor });
        this.audit.record(em, { actor, action: 'api-key.revoke', entityType: 'api-key', entityId: id, before: { revokedAt: null }, after: { name: key.name, fingerprint: fingerprint(key), revokedAt: key.revokedAt!.toISOString() } });
        // Delivered to the listening API processes when this transaction commits.
        await sql`select pg_notify(${API_KEY_REVOKED_CHANNEL}, ${key.digest})`.execute(em.getKysely());
      }
      return key;
    });
  }
}

/** Issued keys for the API's verifier, read from PostgreSQL. */
export function storedApiKeys(em: EntityManager): StoredApiKeys {
  const db = () => em.fork().getKysely();
  return {
    async find(digest) {
      const { rows } = await sql<{ id: string; role: Role; expiresAt: Date | string | null; revokedAt: Date | string | null }>`
        select id, role, expires_at as "expiresAt", revoked_at as "revokedAt" from api_key where digest = ${digest}`.execute(db());
      // Timestamps may come back as text from the ORM's connection.
      const time = (value: Date | string | null) => (value === null ? null : new Date(value));
      return rows[0] ? { ...rows[0], expiresAt: time(rows[0].expiresAt), revokedAt: time(rows[0].revokedAt) } : null;
    },
    async touch(id) {
      await sql`update api_key set last_used_at = now() where id = ${id}::uuid and (last_used_at is null or last_used_at < now() - interval '1 minute')`.execute(db());
    },
  };
}
