import 'reflect-metadata';
import { LocalDateResolver } from 'graphql-scalars';
import { ArgsType, Field, ObjectType } from 'type-graphql';
import { ScoreKind } from '../../domain/scoring/score-kind.js';
import { PageArgs, connectionOf } from '../common/connection.js';
import { CustomerFilterType } from '../customers/customer.types.js';

@ObjectType('ScoreBandChange', { simpleResolvers: true, description: "A customer's score moved from one band to another when a scoring ran" })
export class ScoreBandChangeType {
  @Field(() => ScoreKind, { description: 'The score that moved' })
  kind!: ScoreKind;

  @Field(() => String, { nullable: true, description: 'The band before, e.g. "low"' })
  previous!: string | null;

  @Field(() => String, { nullable: true, description: 'The band it moved to, e.g. "high"' })
  band!: string | null;

  @Field({ description: 'When the scoring that moved it ran' })
  changedAt!: Date;
}

export const ScoreBandChangeConnection = connectionOf(ScoreBandChangeType, 'ScoreBandChange');
export type ScoreBandChangeConnection = InstanceType<typeof ScoreBandChangeConnection>;

@ArgsType()
export class ScoreBandChangesArgs extends PageArgs {
  @Field(() => ScoreKind, { description: 'The score (one with bands: not Clv)' })
  kind!: ScoreKind;

  @Field(() => LocalDateResolver, { description: 'Moves from this day (UTC)' })
  since!: string;

  @Field(() => [String], { nullable: true, description: 'Only moves out of these bands, e.g. ["low"]' })
  from?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Only moves into these bands, e.g. ["high"]' })
  to?: string[] | null;

  @Field({ defaultValue: false, description: "Only each customer's latest move of this score: the band they are in now (a move undone since is left out)" })
  latestOnly!: boolean;

  @Field(() => CustomerFilterType, { nullable: true, description: 'A segment: the same filters as the customers query' })
  filter?: CustomerFilterType | null;
}
