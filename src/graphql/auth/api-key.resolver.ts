import { Arg, Args, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';
import { mapPage } from '../../services/common/pagination.js';
import { Allow } from './allow.js';
import { pageComplexity } from '../common/connection.js';
import type { GraphQLContext } from '../context.js';
import { ApiKeyConnection, ApiKeysArgs, ApiKeyType, IssueApiKeyInput, IssuedApiKeyType } from './api-key.types.js';

@Resolver(() => ApiKeyType)
export class ApiKeyResolver {
  @Allow(Role.Admin)
  @Query(() => ApiKeyConnection, { description: 'API keys issued through issueApiKey, newest first (the keys of API_KEYS are configuration, not listed)', complexity: pageComplexity })
  async apiKeys(@Args() { first, after, last, before, includeRevoked }: ApiKeysArgs, @Ctx() ctx: GraphQLContext): Promise<ApiKeyConnection> {
    return mapPage(await ctx.services.apiKeys.list({ first, after, last, before, includeRevoked }), ApiKeyType.from);
  }

  @Allow(Role.Admin)
  @Mutation(() => IssuedApiKeyType, { description: 'Issues a key for a front end or a service; its secret is in this answer only; audited' })
  async issueApiKey(@Arg('input') input: IssueApiKeyInput, @Ctx() ctx: GraphQLContext): Promise<IssuedApiKeyType> {
    const { key, secret } = await ctx.services.apiKeys.issue(input, ctx.caller!.id);
    return { apiKey: ApiKeyType.from(key), secret };
  }

  @Allow(Role.Admin)
  @Mutation(() => ApiKeyType, { description: 'Revokes a key: refused from then on, by every API process within 10 s; idempotent; audited' })
  async revokeApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<ApiKeyType> {
    return ApiKeyType.from(await ctx.services.apiKeys.revoke(id, ctx.caller!.id));
  }
}
