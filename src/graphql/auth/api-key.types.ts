import 'reflect-metadata';
import { ArgsType, Field, ID, InputType, ObjectType } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';
import type { ApiKey } from '../../entities/index.js';
import { fingerprint, MAX_KEY_NAME } from '../../services/auth/api-key.service.js';
import { PageArgs, connectionOf } from '../common/connection.js';
import './auth.types.js';

@ObjectType('ApiKey', { simpleResolvers: true, description: 'An API key an admin issued (its secret is never shown again)' })
export class ApiKeyType {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'Who or what holds it' })
  name!: string;

  @Field(() => Role)
  role!: Role;

  @Field({ description: 'Start of the digest of its secret: the audit log names its caller "<role>:<fingerprint>"' })
  fingerprint!: string;

  @Field()
  createdBy!: string;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'Refused from then on' })
  expiresAt!: Date | null;

  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;

  @Field(() => String, { nullable: true })
  revokedBy!: string | null;

  @Field(() => Date, { nullable: true, description: 'Roughly when it was last used (to the minute)' })
  lastUsedAt!: Date | null;

  static from(key: ApiKey): ApiKeyType {
    return {
      id: key.id,
      name: key.name,
      role: key.role,
      fingerprint: fingerprint(key),
      createdBy: key.createdBy,
      createdAt: key.createdAt,
      expiresAt: key.expiresAt ?? null,
      revokedAt: key.revokedAt ?? null,
      revokedBy: key.revokedBy ?? null,
      lastUsedAt: key.lastUsedAt ?? null,
    };
  }
}

@ObjectType('IssuedApiKey', { simpleResolvers: true })
export class IssuedApiKeyType {
  @Field(() => ApiKeyType)
  apiKey!: ApiKeyType;

  @Field({ description: 'The key to send as "Authorization: Bearer <secret>"; shown this once (only its digest is kept): put it in a secret store now' })
  secret!: string;
}

@InputType()
export class IssueApiKeyInput {
  @Field({ description: `Who or what will hold it, unique, 1 to ${MAX_KEY_NAME} characters, e.g. "web front end"` })
  name!: string;

  @Field(() => Role)
  role!: Role;

  @Field(() => Date, { nullable: true, description: 'Refused from then on (default: until revoked)' })
  expiresAt?: Date | null;
}

@ArgsType()
export class ApiKeysArgs extends PageArgs {
  @Field(() => Boolean, { defaultValue: false, description: 'Also the keys no longer in use: revoked or expired' })
  includeRevoked!: boolean;
}

export const ApiKeyConnection = connectionOf(ApiKeyType, 'ApiKey');
export type ApiKeyConnection = InstanceType<typeof ApiKeyConnection>;
