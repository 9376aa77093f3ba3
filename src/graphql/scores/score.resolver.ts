import { Ctx, FieldResolver, ID, Resolver, Root } from 'type-graphql';
import type { ScoreView } from '../../services/scores/score.service.js';
import type { GraphQLContext } from '../context.js';
import { ScoreType } from './score.types.js';

@Resolver(() => ScoreType)
export class ScoreResolver {
  @FieldResolver(() => ID, { description: 'The score\'s own identity (the snapshot it was computed in, and its kind): a current score and the same entry of its history share it, for a client cache' })
  id(@Root() score: ScoreView): string {
    return `${score.snapshotId}/${score.kind}`;
  }

  @FieldResolver(() => [String], { description: 'Plain-language reasons, e.g. "last purchase 140 days ago"' })
  async reasons(@Root() score: ScoreView, @Ctx() ctx: GraphQLContext): Promise<string[]> {
    return (await ctx.services.scores.explain(score)).reasons;
  }

  @FieldResolver(() => String, {
    description:
      'Which model computed it: the model and its version, then, where a scoring policy sets its windows or thresholds, that policy\'s version (e.g. "bgnbd/1;policy=2", "rfm-quintile/2", "clv/4(bgnbd/1+gamma-gamma/1)": the models it combines). A new version can move values and bands with nothing changed about the customer, so compare values of the same version',
  })
  async modelVersion(@Root() score: ScoreView, @Ctx() ctx: GraphQLContext): Promise<string> {
    return (await ctx.services.scores.explain(score)).modelVersion;
  }
}
