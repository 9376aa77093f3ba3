import { Args, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';
import type { Customer } from '../../entities/index.js';
import type { BandChange } from '../../services/scores/score-band-change.service.js';
import { Allow } from '../auth/allow.js';
import { pageComplexity } from '../common/connection.js';
import type { GraphQLContext } from '../context.js';
import { CustomerType } from '../customers/customer.types.js';
import { ScoreBandChangeConnection, ScoreBandChangesArgs, ScoreBandChangeType } from './score-band-change.types.js';

@Resolver(() => ScoreBandChangeType)
export class ScoreBandChangeResolver {
  @Allow(Role.Viewer)
  @Query(() => ScoreBandChangeConnection, {
    description: 'Who moved between bands of a score across the base, newest first: e.g. who became high churn risk since Monday (kind ChurnRisk, to ["high"]), or stopped being a loyal payer',
    complexity: pageComplexity,
  })
  scoreBandChanges(@Args() { first, after, last, before, ...query }: ScoreBandChangesArgs, @Ctx() ctx: GraphQLContext): Promise<ScoreBandChangeConnection> {
    return ctx.services.bandChanges.list(query, { first, after, last, before });
  }

  @FieldResolver(() => ID, { description: "The move's own identity (its customer, score and time), for a client cache" })
  id(@Root() change: BandChange): string {
    return `${change.customerId}/${change.kind}/${change.changedAt.toISOString()}`;
  }

  /** Batched with the page's other moves (the customer service's loader). */
  @FieldResolver(() => CustomerType, { description: 'The customer whose score moved' })
  customer(@Root() change: BandChange, @Ctx() ctx: GraphQLContext): Promise<Customer> {
    return ctx.services.customers.get(change.customerId);
  }
}
