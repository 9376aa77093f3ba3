import { Ctx, Query, Resolver } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';
import { Allow } from '../auth/allow.js';
import type { GraphQLContext } from '../context.js';
import { CurrencyType } from './currency.types.js';

@Resolver()
export class CurrencyResolver {
  @Allow(Role.Viewer)
  @Query(() => CurrencyType, { description: 'The currency of every amount (the *Minor fields are in its minor units): for showing amounts' })
  currency(@Ctx() ctx: GraphQLContext): CurrencyType {
    return ctx.services.currency.currency();
  }
}
