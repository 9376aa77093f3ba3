import { LocalDateResolver } from 'graphql-scalars';
import { Arg, Args, Ctx, Extensions, FieldResolver, ID, Mutation, Query, Resolver, Root, UseMiddleware } from 'type-graphql';
import { mapPage } from '../../services/common/pagination.js';
import { Role } from '../../domain/auth/roles.js';
import { WORKFLOW_ID_ARGS } from '../argument-checks.js';
import { Allow } from '../auth/allow.js';
import { reportField, ReportTurn } from '../limits.js';
import { PageArgs, pageComplexity } from '../common/connection.js';
import type { GraphQLContext } from '../context.js';
import { ConcentrationArgs, ConcentrationReportType, ScoreDistributionArgs, ScoreBandsType, ScoreDistributionReportType, ScoreModelType, ScoringRunConnection, ScoringRunType } from './scoring.types.js';

@Resolver(() => ScoringRunType)
export class ScoringResolver {
  @Allow(Role.Admin)
  @Mutation(() => ScoringRunType, { description: 'Starts a rescore of the whole base now (the nightly schedule runs one too); follow it with scoringRun(id). One rescore of a day at a time: CONFLICT while one of that day is under way' })
  startRescore(@Arg('asOf', () => LocalDateResolver, { nullable: true, description: 'Day to score (default: today)' }) asOf: string | null, @Ctx() ctx: GraphQLContext): Promise<ScoringRunType> {
    return ctx.services.scoring.startRescore(ctx.caller!.id, asOf).then(ScoringRunType.from);
  }

  @Allow(Role.Admin)
  @Extensions(WORKFLOW_ID_ARGS)
  @Mutation(() => ScoringRunType, { description: 'Stops a rescore under way: the pages scored so far stand, and the run ends as cancelled once the pages in flight are written' })
  cancelRescore(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<ScoringRunType> {
    return ctx.services.scoring.cancelRescore(ctx.caller!.id, id).then(ScoringRunType.from);
  }

  @Allow(Role.Viewer)
  @Extensions(WORKFLOW_ID_ARGS)
  @Query(() => ScoringRunType, { nullable: true, description: 'One scoring run with its progress; null when unknown' })
  scoringRun(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<ScoringRunType | null> {
    return ctx.services.scoring.run(id).then((view) => view && ScoringRunType.from(view));
  }

  @Allow(Role.Viewer)
  @Query(() => ScoringRunConnection, { description: 'Scoring runs, newest first', complexity: pageComplexity })
  async scoringRuns(@Args() { first, after, last, before }: PageArgs, @Ctx() ctx: GraphQLContext): Promise<ScoringRunConnection> {
    const page = await ctx.services.scoring.listRuns({ first, after, last, before });
    return mapPage(page, ScoringRunType.from);
  }

  @Allow(Role.Viewer)
  @Query(() => [ScoreBandsType], { description: "Each score's bands, in order: the choices of a band filter" })
  scoreBands(@Ctx() ctx: GraphQLContext): ScoreBandsType[] {
    return ctx.services.scoring.bandsOfEachScore();
  }

  @FieldResolver(() => [ScoreModelType], {
    description:
      "The purchase models (BG/NBD, Gamma-Gamma) this run fitted, with fit quality and, for one that did not converge, the fit it scored with instead (scoredWith): also those of a rescore of a past day, which scoreModels does not show. Empty until the run has fitted them, or when none could be fitted (no repeat purchase by then)",
  })
  models(@Root() run: ScoringRunType, @Ctx() ctx: GraphQLContext): Promise<ScoreModelType[]> {
    return ctx.services.scoring.runModels(run.id);
  }

  @Allow(Role.Viewer)
  @Query(() => [ScoreModelType], { description: "The purchase models (BG/NBD, Gamma-Gamma) of the completed rescore of the newest day scored (not of a backfill of an earlier day), with fit quality; a run's own (of a past day too): ScoringRun.models" })
  scoreModels(@Ctx() ctx: GraphQLContext): Promise<ScoreModelType[]> {
    return ctx.services.scoring.scoreModels();
  }

  @Allow(Role.Viewer)
  @Query(() => ScoreDistributionReportType, reportField('Customers per band of every score, with mean and median values; for the whole base or a segment'))
  @UseMiddleware(ReportTurn)
  scoreDistribution(@Args() { filter, asOf }: ScoreDistributionArgs, @Ctx() ctx: GraphQLContext): Promise<ScoreDistributionReportType> {
    return ctx.services.scoring.distribution({ filter, asOf });
  }

  @Allow(Role.Viewer)
  @Query(() => ConcentrationReportType, reportField('Revenue concentration per month: top-20% share, Lorenz curve, Gini; for the whole base or a segment'))
  @UseMiddleware(ReportTurn)
  concentration(@Args() { months, until, filter }: ConcentrationArgs, @Ctx() ctx: GraphQLContext): Promise<ConcentrationReportType> {
    return ctx.services.scoring.concentration({ months, until, filter }).then(ConcentrationReportType.from);
  }
}
