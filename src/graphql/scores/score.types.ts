import 'reflect-metadata';
import { LocalDateResolver } from 'graphql-scalars';
import { ArgsType, Field, Float, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { ScoreKind } from '../../domain/scoring/score-kind.js';
import { connectionOf, NestedPageArgs } from '../common/connection.js';


registerEnumType(ScoreKind, {
  name: 'ScoreKind',
  description: "The scores kept per customer; each value's unit and range (a Score's value) below. Windows and thresholds are the scoring policy's defaults",
  valuesConfig: {
    Rfm: {
      description:
        'Recency, frequency and monetary quintiles over the buyers (1 to 5 each, 5 best; equal values score alike, by the buyers below them, so the lowest is 1: a one-time buyer is F 1) as one code, R×100 + F×10 + M (111 to 555, e.g. 511: bought lately, seldom, little); band: the RFM segment (e.g. Champions). Null for a customer without a purchase (not ranked)',
    },
    ChurnRisk: {
      description:
        `Churn risk, 0 to 1. With a repeat purchase, the probability that the customer has stopped buying (1 − P(alive) of the BG/NBD purchase model): bands low, medium (from 0.25), high (from 0.5). ` +
        `Without one it is no probability (the model cannot tell a first-time buyer who has gone from a slow one) but the share of the purchases expected of a customer who bought for the first time today that their silence has cost, rising faster: ` +
        `bands of its own, low, medium (from 0.5), high (from 0.8); the reasons say which applied`,
    },
    Clv: { description: 'Customer lifetime value: the margin expected over the next 12 months, discounted at 10% a year, minor units, 0 or more (at the customer\'s own margin share, or the base\'s where their orders give none; the revenue only where no order of the base carries a margin). No bands' },
    Profitability: { description: 'Margin minus cost to serve over the last 365 days, minor units: above 0 band profitable; 0, or a loss smaller than the larger of 25.00 and 5% of the margin (profitabilityLoss in the scoring policy), break-even; a larger loss loss-making (too-new in the first 90 days); null when not judged (the reasons say why)' },
    PaymentLoyalty: { description: "Share of the counted invoices paid on time (by the due day, plus the policy's grace days), 0 to 1; null while none counts. Bands loyal, regular, at-risk, new" },
    BehaviourChange: {
      description:
        "Days since the last purchase against the customer's own rhythm, in usual spreads: (days since the last purchase − mean gap) / spread of the gaps; 0 on rhythm, 2 two spreads later than usual, negative earlier. Bands in-rhythm, later-than-usual from 1, overdue from 2; null (not-enough-history) with fewer than 3 purchase days",
    },
    ReferralValue: { description: 'Sum of the margins over the last 365 days of the customers this one brought in, minor units (loss-making referrals count negative); 0 without referrals' },
    PersistentIssue: { description: 'Number of complaint topics that are persistent (the same topic 3 times, or reopened, within 90 days), 0 or more; band persistent from 1, else none' },
  },
});

/** A score's value; its reasons and model version come from score.resolver.ts, read only when asked for. */
@ObjectType('Score', { simpleResolvers: true, description: 'The latest value of one score, with the facts behind it' })
export class ScoreType {
  @Field(() => ScoreKind, { description: 'Which score: its unit, range and bands are the kind\'s' })
  kind!: ScoreKind;

  @Field(() => Float, { nullable: true, description: "Its unit and range are the kind's (see the ScoreKind values: a probability or a share, minor units, a code or a count). Null when the model has no value yet (too little history); band and reasons say why" })
  value!: number | null;

  @Field(() => String, { nullable: true, description: 'Named band or segment, e.g. "Champions". Null for every Clv (no bands), an Rfm not ranked (no purchase yet), a Profitability not judged and a ChurnRisk without a value (the reasons say why)' })
  band?: string | null;

  @Field({ description: 'When this value was computed (asOf is the day it describes)' })
  computedAt!: Date;

  @Field(() => LocalDateResolver, {
    description: "The day the score describes (its reasons count from it): its rescore's day; after an event, the customer's own today. A rescore of a past day is computed later but as of that day",
  })
  asOf!: string;
}

/** Where the previous page of a score history ended: its last value, as the list orders them. */
@InputType('ScoreHistoryPositionInput', { description: "The last value of a scoreHistory page (its asOf, computedAt and id, as listed), to list those after it: the history's order is by asOf, then computedAt, then id" })
export class ScoreHistoryPositionInput {
  @Field(() => LocalDateResolver, { description: "The Score's asOf, as listed" })
  asOf!: string;

  @Field({ description: "The Score's computedAt, as listed" })
  computedAt!: Date;

  // Text, not an ID: a Score's id names its snapshot and kind (`<snapshot>/<kind>`), and every ID argument is a UUID.
  @Field(() => String, { description: "The Score's id, as listed" })
  id!: string;
}

export const ScoreConnection = connectionOf(ScoreType, 'Score');
export type ScoreConnection = InstanceType<typeof ScoreConnection>;

@ArgsType()
export class ScoreValuesArgs extends NestedPageArgs {
  @Field(() => ScoreKind, { description: 'Which score' })
  kind!: ScoreKind;
}
