import { LocalDateResolver } from 'graphql-scalars';
import { Arg, Ctx, Query, Resolver, UseMiddleware } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';
import { Allow } from '../auth/allow.js';
import { reportField, ReportTurn } from '../limits.js';
import type { GraphQLContext } from '../context.js';
import { FairnessBandType } from './fairness-report.types.js';

@Resolver()
export class FairnessReportResolver {
  @Allow(Role.Viewer)
  @Query(() => [FairnessBandType], reportField('Per payment-loyalty band: offers, reminders, fees charged and waived, messages, since a day'))
  @UseMiddleware(ReportTurn)
  fairnessReport(@Arg('since', () => LocalDateResolver, { description: 'Invoices due and messages written from this day: not after today, nor before 1900-01-01 (VALIDATION with field since)' }) since: string, @Ctx() ctx: GraphQLContext): Promise<FairnessBandType[]> {
    return ctx.services.fairness.byLoyaltyBand(since);
  }
}
