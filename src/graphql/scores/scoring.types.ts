import 'reflect-metadata';
import { GraphQLJSONObject, LocalDateResolver } from 'graphql-scalars';
import { ArgsType, Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { ConcentrationScore } from '../../domain/scoring/concentration.js';
import { MAX_CONCENTRATION_MONTHS } from '../../services/scores/scoring.service.js';
import type { ModelFit } from '../../services/scores/scoring-run.service.js';
import type { ScoringRunView } from '../../services/scores/scoring.service.js';
import { ScoreKind } from '../../domain/scoring/score-kind.js';
import { connectionOf } from '../common/connection.js';
import { CustomerFilterType } from '../customers/customer.types.js';
import { MoneyTotal } from '../common/money.js';

/** Where a scoring run stands: its workflow's phase while it runs, then how it ended. */
export enum ScoringRunPhase {
  Starting = 'starting',
  Gathering = 'gathering',
  Fitting = 'fitting',
  Scoring = 'scoring',
  Completing = 'completing',
  Running = 'running',
  Completed = 'completed',
  Cancelled = 'cancelled',
  Abandoned = 'abandoned',
}
registerEnumType(ScoringRunPhase, {
  name: 'ScoringRunPhase',
  valuesConfig: {
    Running: { description: 'Under way as its record says, while its workflow cannot say its phase just now (no worker is taking the work, or Temporal cannot be reached); customersScored is then what its record holds (0 until it ends)' },
    Cancelled: { description: 'Stopped by an operator; the pages it scored stand' },
    Abandoned: { description: 'Its workflow was terminated or failed; ended by the next rescore, the pages it scored stand' },
  },
});

@ObjectType('ScoringRun', { simpleResolvers: true, description: 'One rescore of the whole base: its record in the database and, while it runs, its live progress in Temporal' })
export class ScoringRunType {
  @Field(() => ID, { description: 'Temporal workflow ID of the run; snapshots written by it carry it' })
  id!: string;

  @Field(() => String, { nullable: true, description: '"schedule" or the admin who started it' })
  trigger!: string | null;

  @Field(() => LocalDateResolver, { nullable: true, description: 'The day scored (UTC)' })
  asOf!: string | null;

  @Field(() => ScoringRunPhase, { description: "Its workflow's phase while it runs (gathering, fitting, scoring, ...; running when the workflow cannot say), then how it ended: completed, cancelled or abandoned" })
  phase!: ScoringRunPhase;

  @Field(() => Int, { nullable: true, description: 'The customers it scores: acquired by asOf and recorded by the time it began (one imported while it runs is the next run\'s), not erased (their scores stay as they were at the erasure)' })
  population!: number | null;

  @Field(() => Int, { nullable: true, description: 'Customers with a purchase by asOf, whose purchases rank everyone\'s (erased customers\' too: their orders stay in the base\'s figures)' })
  buyers!: number | null;

  @Field(() => Int, { description: 'Customers scored so far, of population' })
  customersScored!: number;

  @Field(() => Int, { nullable: true, description: 'Scores written, one per customer and kind (once the run has ended)' })
  snapshots!: number | null;

  @Field(() => Date, { nullable: true, description: 'When it began; null until its record is written (just after it is started)' })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it ended (completed, cancelled or abandoned); null while it runs' })
  finishedAt!: Date | null;

  static from({ id, record, progress, progressUnavailable }: ScoringRunView): ScoringRunType {
    return {
      id,
      trigger: record?.trigger ?? null,
      asOf: record?.asOf ?? progress?.asOf ?? null,
      phase: (record && (record.status !== 'running' || progressUnavailable) ? record.status : (progress?.phase ?? 'starting')) as ScoringRunPhase,
      population: record?.population ?? progress?.population ?? null,
      buyers: record?.buyers ?? progress?.buyers ?? null,
      customersScored: record?.scoredCustomers ?? progress?.customersScored ?? 0,
      snapshots: record?.snapshots ?? null,
      startedAt: record?.startedAt ?? null,
      finishedAt: record?.finishedAt ?? null,
    };
  }
}

export const ScoringRunConnection = connectionOf(ScoringRunType, 'ScoringRun');
export type ScoringRunConnection = InstanceType<typeof ScoringRunConnection>;

@ObjectType('ScoreBands', { simpleResolvers: true, description: 'The bands one score can take, in order' })
export class ScoreBandsType {
  @Field(() => ScoreKind, { description: 'The score' })
  kind!: ScoreKind;

  @Field(() => [String], {
    description:
      "As the filters take them, in the score's own order: churn risk low to high, RFM segments from Champions to Lost, payment loyalty from loyal to at-risk, referral value from none to ambassador; a band for customers the score cannot judge yet (too-new, not-enough-history, a new payer) comes last. None for Clv, a value without bands",
  })
  bands!: readonly string[];
}

@ObjectType('ScoreModel', { simpleResolvers: true, description: "A purchase model a rescore fitted on its buyers (in a large base a sample of them, the same one in every run, of the rescore policy's fitSampleSize) and scored the whole base with" })
export class ScoreModelType implements Omit<ModelFit, 'kind' | 'scoredWith'> {
  @Field({ description: 'bgnbd (churn risk, expected purchases) or gamma-gamma (spend, for CLV)' })
  kind!: string;

  @Field({ description: 'The model and its version, e.g. "bgnbd/1": a fit that did not converge scores only with an earlier fit of the same version (scoredWith)' })
  modelVersion!: string;

  @Field(() => GraphQLJSONObject, {
    description:
      "Parameters by name. bgnbd { r, alpha, a, b }: r and alpha shape and scale of the purchase rates across customers (alpha in weeks: r/alpha is the base's mean purchases a week while active), a and b of the chance to drop out after a purchase (its mean a/(a+b)). gamma-gamma { p, q, gamma }: p shape of a customer's spend per purchase around their own mean, q and gamma shape and scale of how those means vary across customers (the base's mean spend per purchase p·gamma/(q−1); gamma in major units of the currency, the amount divided by 100, unlike the API's other amounts in minor units). A parameter named in runOff is no estimate: only its ratio to its partner is pinned down by the data",
  })
  params!: Record<string, number>;

  @Field(() => Float, { description: 'Log-likelihood at the estimate: fit quality' })
  logLikelihood!: number;

  @Field(() => Int, { description: 'Customers the model was fitted on (the sample, in a large base)' })
  customers!: number;

  @Field({
    description:
      "Whether the optimiser converged. When not, the parameters are where it stopped, not estimates: the run scored with scoredWith, the newest earlier converged fit, or, without one, with these, and the reasons of the churn risk and CLV scores computed from them say so",
  })
  converged!: boolean;

  @Field(() => [String], {
    description:
      "The shape parameters (bgnbd's r, a, b; gamma-gamma's p, q; not the scales alpha and gamma, whose size depends on the units) that ran off towards 0 or infinity, beyond e^±10 (about 22,000 and 1/22,000); usually empty. The optimiser can stop there and say it converged, but the likelihood kept rising along a ridge: for these parameters only their ratio is pinned down by the data, not each value (bgnbd's a and b growing together from one rescore to the next, on a base where hardly anyone seems to drop out: a/(a+b), the drop-out chance, is the estimate; r and alpha on a handful of customers). The rescore logs a warning for such a fit. Never null: fits stored before the rescore recorded it were given it from their stored parameters, by the same check",
  })
  runOff!: string[];

  @Field({ description: 'When the run fitted it' })
  fittedAt!: Date;

  @Field(() => ID, { description: 'The scoring run that fitted it (ScoringRun.id)' })
  runId!: string;

  @Field(() => LocalDateResolver, { description: 'The day the run scored as of' })
  asOf!: string;

  @Field(() => ScoreModelType, {
    nullable: true,
    description:
      "The fit whose parameters the run scored with instead of this one, because this one did not converge: the newest converged fit of the same model version, of a run as of this run's day or before. Null when the run scored with this fit's own parameters (it converged, or no earlier fit did)",
  })
  scoredWith!: ScoreModelType | null;
}

@ObjectType('LorenzPoint', { simpleResolvers: true, description: "A point of a month's Lorenz curve: the poorest populationShare of its customers brought revenueShare of its revenue" })
export class LorenzPointType {
  @Field(() => Float, { description: 'Share of customers, poorest first (0..1)' })
  populationShare!: number;

  @Field(() => Float, { description: 'Share of revenue they bring (0..1)' })
  revenueShare!: number;
}

@ObjectType('ConcentrationPeriod', { simpleResolvers: true, description: "One month of a concentration report: how its revenue spread over its customers" })
export class ConcentrationPeriodType {
  @Field({ description: 'Month, YYYY-MM' })
  period!: string;

  @Field(() => Int, { description: 'Customers with an order in the month, also those whose orders total 0 (they count in the Lorenz curve as customers bringing nothing)' })
  customers!: number;

  @Field(() => MoneyTotal, {
    description: 'Revenue in the month, minor units (a total: exact up to 2^53 minor units)',
    deprecationReason: 'Named as the other amounts in minor units are: use totalRevenueMinor (the same value)',
  })
  totalRevenue!: number;

  @Field(() => MoneyTotal, { description: 'Revenue in the month, minor units (a total: exact up to 2^53 minor units)' })
  totalRevenueMinor!: number;

  @Field(() => Float, { nullable: true, description: 'Revenue share of the top 20% of customers, 0 to 1 (0.53: the reasons\' "53%"), read off the Lorenz curve: the customer on the 20% boundary counts with the part of them inside it (of 7 customers, the top 2 and 0.4 of the third; a single customer brings 20%), so small segments differ from "the top N customers". Null for a month without revenue' })
  topShare!: number | null;

  @Field(() => Float, { nullable: true, description: "Gini coefficient of the month's revenue over its customers: 0 when all bring the same (or there is one), towards 1 the more one customer brings ((n-1)/n when one brings it all). Null for a month without revenue" })
  gini!: number | null;

  @Field(() => [LorenzPointType], { nullable: true, description: 'Lorenz curve, poorest first, from (0, 0) to (1, 1): a point per customer up to 100 customers, else 101 evenly spaced points. Null for a month without revenue' })
  lorenz!: LorenzPointType[] | null;
}

@ObjectType('ConcentrationReport', { simpleResolvers: true, description: 'How much revenue depends on few customers, month by month (80/20 drifting to 60/40 is a healthier base)' })
export class ConcentrationReportType {
  @Field(() => Float, { nullable: true, description: 'Top-20% share (topShare, 0 to 1: 0.53 is the reasons\' "53%") of the latest complete month with revenue (the month under way only when no complete one has revenue; its share so far is in periods and the reasons)' })
  value!: number | null;

  @Field(() => String, {
    nullable: true,
    description: "The concentration of value's month: high, medium or low by the concentration policy's thresholds, which the reasons' last line names (modelVersion names the policy); null without revenue, or when that month has fewer than 5 customers (then one of them is already more than the top 20%: the reasons say so)",
  })
  band!: string | null;

  @Field(() => [String], { description: "One line each: the month under way (to date), the latest two complete months with revenue, the window's first with revenue (the trend), what is missing (months without revenue, why no band), and last the band with the thresholds that made it" })
  reasons!: string[];

  @Field({ description: 'The model and its policy, e.g. "concentration/5;policy=1": the policy version names the band thresholds in force (the last reason gives them)' })
  modelVersion!: string;

  @Field(() => [ConcentrationPeriodType], { description: 'Every month of the window, oldest first, those without revenue too (their shares, Gini and curve null), so a chart has no gaps; the last may be the month under way' })
  periods!: ConcentrationPeriodType[];

  static from(score: ConcentrationScore): ConcentrationReportType {
    return { value: score.value, band: score.band ?? null, reasons: score.reasons, modelVersion: score.modelVersion, periods: score.periods.map((p) => ({ ...p, totalRevenueMinor: p.totalRevenue })) };
  }
}

@ObjectType('ScoreBandCount', { simpleResolvers: true, description: 'How many customers of the base or segment one band of a score holds' })
export class ScoreBandCountType {
  @Field({ description: 'The band, as scoreBands lists it (e.g. "Champions", "high")' })
  band!: string;

  @Field(() => Int, { description: 'Customers in this band (0 for an empty one)' })
  customers!: number;

  @Field(() => Float, { description: 'Of the customers with this score (0..1)' })
  share!: number;
}

@ObjectType('ScoreDistribution', { simpleResolvers: true, description: 'One score across the base or a segment' })
export class ScoreDistributionType {
  @Field(() => ScoreKind, { description: 'The score' })
  kind!: ScoreKind;

  @Field(() => Int, { description: 'Customers with this score' })
  customers!: number;

  @Field(() => Float, { nullable: true, description: 'Mean of their values (those with a value); null for Rfm, whose values are codes (R·100 + F·10 + M), not amounts' })
  average!: number | null;

  @Field(() => Float, { nullable: true, description: 'Median of their values, as average' })
  median!: number | null;

  @Field(() => [ScoreBandCountType], { description: 'Every band the score can take, in order, empty ones too (none for Clv)' })
  bands!: ScoreBandCountType[];

  @Field(() => Int, {
    description: 'Customers with this score but no band: Rfm not ranked (no purchase yet), Profitability not judged (no margin to judge it by, or nothing but the tier fee: no purchase or margin and no cost, or nothing in the window at all: no order, fee or cost; the reasons say so), ChurnRisk without a value (the base could not fit its model yet: the reasons say so), every Clv. With the bands, they add up to customers',
  })
  withoutBand!: number;
}

@ObjectType('ScoreDistributionReport', { simpleResolvers: true, description: 'The customer base (or a segment) by its current scores: an X-ray in one query' })
export class ScoreDistributionReportType {
  @Field(() => Int, { description: 'Customers in the base or segment' })
  population!: number;

  @Field(() => [ScoreDistributionType], { description: 'One per score kind, in the order of ScoreKind' })
  scores!: ScoreDistributionType[];
}

/** The day a distribution reads the scores as of (a segment's, and the query's). */
@ArgsType()
export class ScoreDistributionAsOfArgs {
  @Field(() => LocalDateResolver, {
    nullable: true,
    description:
      "Each customer's scores as their newest snapshot up to this day holds them (a past rescore's, an event's), for customers acquired by then: how the base stood, to compare with today's (a thinned history keeps fewer snapshots of long ago: scoreHistory). Default: the current scores. The filter still reads customers as they are now",
  })
  asOf?: string | null;
}

@ArgsType()
export class ScoreDistributionArgs extends ScoreDistributionAsOfArgs {
  @Field(() => CustomerFilterType, { nullable: true, description: 'A segment: the same filters as the customers query' })
  filter?: CustomerFilterType | null;
}

/** How far back a concentration report looks (the query's and a segment's). */
@ArgsType()
export class ConcentrationMonthsArgs {
  @Field(() => Int, { defaultValue: 12, description: `Months back, the last one included (1 to ${MAX_CONCENTRATION_MONTHS})` })
  months!: number;

  @Field(() => LocalDateResolver, {
    nullable: true,
    description: "The last month: the month of this day, not after today (default: the current month, under way). An earlier one reads the revenue of those months, or data that ended in the past; a segment's members are today's",
  })
  until?: string | null;
}

@ArgsType()
export class ConcentrationArgs extends ConcentrationMonthsArgs {
  @Field(() => CustomerFilterType, { nullable: true, description: 'A segment: the same filters as the customers query' })
  filter?: CustomerFilterType | null;
}
