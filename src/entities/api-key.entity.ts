import 'reflect-metadata';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, Enum, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';
import { Role } from '../domain/auth/roles.js';

/**
 * An API key an admin issued to a front end or a service: only the SHA-256 digest of the
 * secret is kept (the secret is shown once); revoked or expired, it opens nothing.
 */
@Entity({ tableName: 'api_key' })
// A name tells the keys in use apart, in any case; a revoked key's name is free for its successor.
@Unique({ name: 'api_key_name_unique', expression: 'create unique index "api_key_name_unique" on "api_key" (lower("name")) where "revoked_at" is null' })
export class ApiKey {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Who or what holds it, e.g. "web front end". */
  @Property({ type: 'text' })
  name!: string;

  @Enum({ items: () => Role, nativeEnumName: 'api_key_role' })
  role!: Role;

  /** SHA-256 of the secret, hex. */
  @Property({ type: 'text', unique: true })
  digest!: string;

  @Property({ type: 'text' })
  createdBy!: string;

  @Property({ type: 'timestamptz', length: 3 })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  expiresAt?: Date | null;

  @Property({ type: 'timestamptz', length: 3, nullable: true })
  revokedAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  revokedBy?: string | null;

  /** Roughly when it was last used (written at most once a minute). */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  lastUsedAt?: Date | null;
}
